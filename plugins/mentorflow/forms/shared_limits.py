"""The per-link rate limit shared by every worker process: the token bucket of :class:`security.RateLimiter`,
kept in Redis (opt-in: ``MENTORFLOW_FORMS_RATE_LIMIT_REDIS_URL``; docs/forms.md, Several workers).

One bucket is one Redis hash (``level``, ``seen``) under ``<prefix><sha256 of the link>``, read and written by
one Lua script, so concurrent posts to one link from several processes never both take the last token. The
time is Redis's own (``TIME``) unless a test passes ``now``; a bucket expires once it would be full again, so
Redis keeps only the links posted recently. If Redis cannot be reached the post is allowed (and logged): the
limit guards against floods, and a submission must not fail because its guard is away.
"""

from __future__ import annotations

import hashlib
import logging
import math
import weakref
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("mentorflow.forms")

# KEYS[1] bucket; ARGV: burst, tokens per second, now in seconds ("" = Redis's clock). Returns {allowed, wait * 1e6}.
BUCKET = """
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1e6
end
local state = redis.call('HMGET', KEYS[1], 'level', 'seen')
local level, seen = tonumber(state[1]), tonumber(state[2])
if not level then level, seen = burst, now end
level = math.min(burst, level + math.max(0, now - seen) * rate)
local allowed, wait = 0, 0
if level >= 1 then
  level, allowed = level - 1, 1
elseif rate > 0 then
  wait = (1 - level) / rate
else
  wait = -1
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'seen', tostring(now))
if rate > 0 then
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - level) / rate * 1000) + 1000)
end
return {allowed, math.floor(wait * 1e6)}
"""


@dataclass
class RedisRateLimiter:
    """Allow ``burst`` posts per link at once, refilled at ``per_minute`` a minute, across all processes."""

    url: str
    burst: float = 10
    per_minute: float = 6
    prefix: str = "mentorflow:forms:rate:"
    _client: Any = field(default=None, repr=False)
    _script: Any = field(default=None, repr=False)
    _per_loop: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary, repr=False)

    def _bucket_script(self) -> Any:
        if self._script is None:
            import redis  # lazy: only a deployment that shares its limit needs the client

            self._client = redis.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5)
            self._script = self._client.register_script(BUCKET)
        return self._script

    def allow(self, link_token: str, now: float | None = None) -> tuple[bool, float]:
        """(allowed, seconds to wait before the next post would be allowed), as :class:`security.RateLimiter`."""
        try:
            answer = self._bucket_script()(keys=[self._key(link_token)], args=self._args(now))
        except Exception as exc:  # noqa: BLE001 - any Redis failure: let the post through, say so
            return _unavailable(exc)
        return _outcome(answer)

    async def allow_async(self, link_token: str, now: float | None = None) -> tuple[bool, float]:
        """:meth:`allow` on the event loop, without a worker thread (``redis.asyncio``, a client per loop)."""
        try:
            answer = await self._loop_script()(keys=[self._key(link_token)], args=self._args(now))
        except Exception as exc:  # noqa: BLE001 - as allow()
            return _unavailable(exc)
        return _outcome(answer)

    def _loop_script(self) -> Any:
        import asyncio

        loop = asyncio.get_running_loop()  # an asyncio client's connections belong to the loop that made them
        script = self._per_loop.get(loop)
        if script is None:
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5)
            script = self._per_loop[loop] = client.register_script(BUCKET)
        return script

    def _key(self, link_token: str) -> str:
        return self.prefix + hashlib.sha256(link_token.encode()).hexdigest()

    def _args(self, now: float | None) -> list:
        return [self.burst, self.per_minute / 60.0, "" if now is None else repr(now)]


def _outcome(answer: Any) -> tuple[bool, float]:
    allowed, wait = answer
    return bool(allowed), (math.inf if wait < 0 else wait / 1e6)


def _unavailable(exc: Exception) -> tuple[bool, float]:
    log.warning("mentorflow forms: the shared rate limit is unavailable (%s); post allowed", type(exc).__name__)
    return True, 0.0
