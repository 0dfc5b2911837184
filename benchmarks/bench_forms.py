"""Load test of the participant forms on loopback: N application submissions from C concurrent
clients through the real HTML flow (GET the form for its CSRF pair, then POST it), against the
app under uvicorn in its own process, on SQLite and on PostgreSQL.

Prints throughput and p50/p99 latency of the POSTs, of the form pages and (with wrk) of the pages after saving
(the POST's redirect), and the same for GET /healthz as a baseline (the server's floor on this machine), then
checks that every accepted submission is in the store exactly once with the answer that was sent.

    python benchmarks/bench_forms.py [--submissions 5000] [--clients 50] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import datetime as dt
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
PG_ADMIN_URL = os.environ.get("MENTORFLOW_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
COHORT = "bench-forms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(home: Path, store_url: str, people_count: int) -> None:
    """A cohort whose application window is open now, with ``people_count`` eligible people."""
    import yaml
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.store import Store, people

    start = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) - dt.timedelta(days=1)
    cohorts = home / "cohorts"
    cohorts.mkdir(parents=True)
    path = cohorts / f"{COHORT}.yaml"
    path.write_text(yaml.safe_dump({
        "cohort": COHORT, "name": "Forms benchmark", "program_type": "traditional", "timezone": "UTC",
        "calendar": {"application_open": start.isoformat(),
                     "application_close": (start + dt.timedelta(days=10)).isoformat(),
                     "kickoff": (start + dt.timedelta(days=11)).isoformat(),
                     "midpoint": (start + dt.timedelta(days=60)).isoformat(),
                     "close_out": (start + dt.timedelta(days=120)).isoformat()},
        "sources": {"roster_csv": "roster.csv"}, "store": {"url": store_url},
    }))
    store = Store(store_url)
    store.drop_all()
    store.upgrade()
    store.register_cohort(load_cohort(path))
    store.upsert(people, [{"cohort_id": COHORT, "employee_id": f"B{i:06d}", "full_name": f"Bench {i}",
                           "email": f"b{i}@example.com", "level": 3, "on_pip": False, "eligible": True,
                           "eligibility_reason": "ok"} for i in range(people_count)])
    store.engine.dispose()


def answers(person: str) -> dict[str, str]:
    return {"role": "mentee", "goals": f"goal of {person}", "skills_wanted-0-name": "python",
            "skills_wanted-0-level": "3", "hours_per_month": "4", "consent": "yes",
            **{f"tipi_{i}": str(i % 7 + 1) for i in range(1, 11)}}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def load(base: str, links: list[tuple[str, str]], clients: int) -> tuple[list[float], dict[str, int], float]:
    import httpx

    queue: asyncio.Queue = asyncio.Queue()
    for item in links:
        queue.put_nowait(item)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    accepted: list[str] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while not queue.empty():
                person, link = queue.get_nowait()
                page = await http.get(link)
                csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
                started = time.perf_counter()
                response = await http.post(link, data={**answers(person), "csrf_token": csrf})
                latencies.append(time.perf_counter() - started)
                statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
                if response.status_code == 303:
                    accepted.append(person)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    load.accepted = accepted  # type: ignore[attr-defined]
    return latencies, statuses, time.perf_counter() - started


async def baseline(base: str, requests: int, clients: int) -> tuple[list[float], float]:
    import httpx

    latencies: list[float] = []
    remaining = [requests]

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while remaining[0] > 0:
                remaining[0] -= 1
                started = time.perf_counter()
                (await http.get("/healthz")).raise_for_status()
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - started


def run_backend(name: str, store_url: str, args: argparse.Namespace) -> dict[str, float]:
    from mentorflow.forms import tokens
    from mentorflow.store import Store, applications

    with tempfile.TemporaryDirectory(prefix="bench-forms-") as tmp:
        home = Path(tmp)
        prepare(home, store_url, args.submissions)
        port = free_port()
        env = {**os.environ, "MENTORFLOW_HOME": str(home / "home"), "MENTORFLOW_COHORTS_DIR": str(home / "cohorts"),
               "MENTORFLOW_SECRET_KEY": os.environ["MENTORFLOW_SECRET_KEY"],
               "MENTORFLOW_AIRFLOW_URL": f"http://127.0.0.1:{free_port()}", "PYTHONPATH": str(ROOT / "plugins")}
        if args.shared_limit:  # the per-link rate limit in Redis, shared by the workers (docs/forms.md)
            env["MENTORFLOW_FORMS_RATE_LIMIT_REDIS_URL"] = args.shared_limit
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "mentorflow.forms.app:app", "--host", "127.0.0.1",
                                   "--port", str(port), "--log-level", "warning", "--workers", str(args.workers)], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base, server)
            links = [(f"B{i:06d}", "/forms/application?token=" + tokens.issue(
                tokens.FormGrant(COHORT, f"B{i:06d}", "application", "window"))) for i in range(args.submissions)]
            if args.driver == "wrk":
                measured = wrk_load(base, links, args, home)
            else:
                floor, floor_seconds = asyncio.run(baseline(base, args.submissions, args.clients))
                latencies, statuses, seconds = asyncio.run(load(base, links, args.clients))
                measured = None
        finally:
            server.terminate()
            server.wait(timeout=30)
        accepted = measured.pop("accepted") if measured else load.accepted  # type: ignore[attr-defined]
        store = Store(store_url)
        rows = store.rows(applications, cohort_id=COHORT)
        store.drop_all()
        store.engine.dispose()
    ids = [r["employee_id"] for r in rows]
    exactly_once = len(ids) == len(set(ids)) == len(accepted) and set(ids) == set(accepted)
    answers_kept = all(r["goals"] == f"goal of {r['employee_id']}" and r["source"] == "form" for r in rows)
    if measured:
        result, statuses = measured, measured.pop("statuses")
    else:
        result = {  # a submission is a GET of the form and its POST; latencies are the POSTs'
            "submissions/s": len(latencies) / seconds, "p50 ms": 1000 * statistics.median(latencies),
            "p99 ms": 1000 * percentile(latencies, 0.99), "healthz/s": len(floor) / floor_seconds,
            "healthz p50 ms": 1000 * statistics.median(floor), "healthz p99 ms": 1000 * percentile(floor, 0.99),
        }
    print(f"\n[{name}] statuses {statuses}; accepted {len(accepted)}, rows in store {len(rows)}")
    if statuses.get("POST 429"):  # refused posts are cheap answers, then a full page: not what a submission costs
        print(f"  note: {statuses['POST 429']} posts got 429 (a link posted more than the per-link limit within the "
              f"run): submissions/s and the latencies then describe the limit, not the forms; run with more "
              f"--submissions (each person's link is posted round and round)")
    for key, value in result.items():
        print(f"  {key:<16} {value:10.1f}")
    print(f"  submissions/s ÷ healthz/s = {result['submissions/s'] / result['healthz/s']:.3f}  "
          f"(p50 ratio {result['p50 ms'] / result['healthz p50 ms']:.1f}×)")
    if "pages/s" in result:
        print(f"  a submission POST costs {result['healthz/s'] / result['submissions/s']:.2f}× a /healthz request; "
              f"page + POST {result['healthz/s'] / result['page+post/s']:.2f}×; with the page after saving (a "
              f"browser follows the redirect) {result['healthz/s'] * (1 / result['page+post/s'] + 1 / result['saved pages/s']):.2f}×")
    print(f"  every accepted submission stored exactly once: {exactly_once}; answers as sent: {answers_kept}")
    if not (exactly_once and answers_kept):
        raise SystemExit(f"{name}: store check FAILED")
    return result


def wrk_load(base: str, links: list[tuple[str, str]], args: argparse.Namespace, work: Path) -> dict:
    """/healthz, then every form page (its CSRF cookie and field kept), then every POST, then the page each POST
    redirects to (the answers just saved, as a browser shows it next), each a wrk run."""
    import urllib.parse

    import forms_wrk

    run = functools.partial(forms_wrk.run, base, work=work, connections=args.clients, threads=args.threads,
                            seconds=args.seconds)
    floor = run([("GET", "/healthz", "", "")] * len(links), name="healthz", seconds=args.seconds // 2)
    pages = run([("GET", link, "", "") for _, link in links], name="pages", capture=True)
    pairs = {urllib.parse.unquote(token): (cookie, field) for token, cookie, field in pages.pop("captured")}
    posted, posts = [], []  # the people whose page came back (within the run's time): their forms are posted
    for person, link in links:
        if (pair := pairs.get(link.split("token=", 1)[1])) is not None:
            body = urllib.parse.urlencode({**answers(person), "csrf_token": pair[1]})
            posts.append(("POST", link, f"mf_csrf={pair[0]}", body))
            posted.append(person)
    if not posts:
        raise SystemExit("no form page came back with its CSRF pair")
    sent = run(posts, name="posts")
    # a browser follows the post's redirect: the page again with the answers just saved
    after = run([("GET", link + "&saved=1", cookie, "") for _, link, cookie, _ in posts], name="saved pages")
    # a link posted more than the limiter's burst within the run is refused (429): only stored posts count
    rate = sent["statuses"].get("303", 0) / sent["seconds"]
    page_rate = pages["requests"] / pages["seconds"]
    statuses = {f"POST {k}": v for k, v in sent["statuses"].items()}
    statuses.update({f"GET {k}": v for k, v in pages["statuses"].items()})
    statuses.update({f"GET saved {k}": v for k, v in after["statuses"].items()})
    statuses["errors"] = sent["errors"] + pages["errors"] + floor["errors"] + after["errors"]
    accepted = posted if set(sent["statuses"]) <= {"303", "429"} and not sent["errors"] else []
    return {"submissions/s": rate, "p50 ms": sent["p50 ms"], "p99 ms": sent["p99 ms"],
            "pages/s": page_rate, "page p99 ms": pages["p99 ms"], "page+post/s": 1 / (1 / rate + 1 / page_rate),
            "saved pages/s": after["requests"] / after["seconds"], "saved page p99 ms": after["p99 ms"],
            "healthz/s": floor["requests"] / floor["seconds"], "healthz p50 ms": floor["p50 ms"],
            "healthz p99 ms": floor["p99 ms"], "statuses": statuses, "accepted": accepted}


def _wait(base: str, server: subprocess.Popen) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("uvicorn exited during start-up")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("uvicorn did not start in 60 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=5000,
                        help="people, each with a link (default 5000: with wrk each link is posted round and round, "
                             "and fewer links than ~rate x seconds / 10 run into the per-link limit)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--driver", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx",
                        help="wrk (compiled, default when installed) or the Python client (page + POST per client)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--seconds", type=int, default=10,
                        help="length of the wrk runs of pages and of POSTs (/healthz: half; default 10)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--shared-limit", metavar="REDIS_URL", default=None,
                        help="keep the per-link rate limit in this Redis (e.g. redis://127.0.0.1:6379/0; default: in-process)")
    args = parser.parse_args()
    os.environ.setdefault("MENTORFLOW_SECRET_KEY", "bench-" + uuid.uuid4().hex)
    print(f"forms load test: {args.submissions} application submissions (GET form + POST each), "
          f"{args.clients} concurrent clients, {args.workers} uvicorn worker(s), driver {args.driver}, "
          f"backends {args.backends}; python {sys.version.split()[0]}")
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="bench-forms-db-") as tmp:
                run_backend("sqlite", f"sqlite:///{tmp}/store.db", args)
        elif backend == "postgresql":
            import sqlalchemy as sa

            name = f"mentorflow_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            except sa.exc.OperationalError as exc:
                print(f"\n[postgresql] skipped: not reachable at {PG_ADMIN_URL} ({str(exc).splitlines()[0]})")
                continue
            try:
                run_backend("postgresql", PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, args)
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        else:
            raise SystemExit(f"unknown backend {backend!r} (sqlite, postgresql)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
