-- wrk script for benchmarks/bench_forms.py: requests prepared ahead, one per line of a file
-- (METHOD \t path \t cookie \t body), shared out among wrk's threads; each thread sends its share
-- round and round until wrk's -d ends the run (a form posted again is an update of the same row), or until it has
-- had <cap> replies (then it stops: the run is bounded in requests as well as in time).
-- Args: <requests file> <wrk threads> <cap per thread> [capture file prefix]. With a capture prefix, every reply's CSRF cookie,
-- CSRF field and link token are appended to <prefix><thread id>.tsv (the form pages).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local mine = {}
  local n = 0
  for line in io.lines(args[1]) do
    if n % tonumber(args[2]) == id then
      local method, path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
      local headers = {}
      if cookie ~= "" then headers["Cookie"] = cookie end
      if method == "POST" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
      table.insert(mine, wrk.format(method, path, headers, body ~= "" and body or nil))
    end
    n = n + 1
  end
  share, sent, replies, statuses, seen = #mine, 0, 0, {}, {}
  cap, capped = tonumber(args[3]), 0
  prepared = mine
  if args[4] then capture = io.open(args[4] .. id .. ".tsv", "w") end
end

function request()
  sent = sent + 1
  return prepared[(sent - 1) % share + 1]
end

function response(status, headers, body)
  replies = replies + 1
  if replies >= cap then
    capped = 1
    wrk.thread:stop()
  end
  statuses[status] = (statuses[status] or 0) + 1
  if capture and status == 200 then
    local cookie = (headers["set-cookie"] or headers["Set-Cookie"] or ""):match("mf_csrf=([^;]+)")
    local field = body:match('name="csrf_token" value="([0-9a-f]+)"')
    local token = body:match('action="[a-z]+%?token=([^"&]+)"')
    if cookie and field and token and not seen[token] then
      seen[token] = true
      capture:write(token, "\t", cookie, "\t", field, "\n")
      capture:flush()
    end
  end
end

function done(summary, latency, requests)
  local parts, capped_threads = {}, 0
  for _, thread in ipairs(threads) do
    capped_threads = capped_threads + thread:get("capped")
    local s = thread:get("statuses")
    for code, count in pairs(s) do parts[code] = (parts[code] or 0) + count end
  end
  local codes = {}
  for code, count in pairs(parts) do table.insert(codes, string.format('"%d": %d', code, count)) end
  io.write(string.format('WRK_RESULT {"requests": %d, "seconds": %.6f, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "capped": %d, "statuses": {%s}}\n', summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(99), summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, capped_threads, table.concat(codes, ", ")))
end
