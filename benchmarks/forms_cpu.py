"""CPU time of one application page, one POST and one ``/healthz``, in-process and one at a time: the server's
own cost per request, which other load on a shared machine changes far less than it changes throughput.

The app runs in this process (its thread hops made direct, requests sent through httpx's ASGI transport, so
the client's cost is in every figure alike) against a throwaway PostgreSQL database with the same cohort and
answers as ``bench_forms.py``. Prints the median CPU milliseconds of each and the ratios to ``/healthz``.

    python benchmarks/forms_cpu.py [--people 2000] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

import bench_forms

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


async def measure(app, links: list[tuple[str, str]], warm: int) -> list[tuple[float, float, float]]:
    import httpx

    out = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for n, (person, link) in enumerate(links):
            client.cookies.clear()
            started = time.process_time()
            page = await client.get(link)
            paged = time.process_time()
            field = CSRF.search(page.text).group(1)
            posting = time.process_time()
            posted = await client.post(link, data={**bench_forms.answers(person), "csrf_token": field},
                                       follow_redirects=False)
            done = time.process_time()
            assert posted.status_code == 303, posted.text
            await client.get("/healthz")
            if n >= warm:
                out.append((paged - started, done - posting, time.process_time() - done))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000, help="people in the cohort (default 2000, as bench_forms)")
    parser.add_argument("--requests", type=int, default=300, help="pages and POSTs measured (default 300)")
    args = parser.parse_args()
    os.environ.setdefault("MENTORFLOW_SECRET_KEY", "bench-" + uuid.uuid4().hex)
    import sqlalchemy as sa
    import starlette.concurrency

    async def direct(fn, *a, **k):  # one thread: process_time is then this request's CPU
        return fn(*a, **k)

    starlette.concurrency.run_in_threadpool = direct
    import fastapi.routing

    fastapi.routing.run_in_threadpool = direct
    name = f"mentorflow_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(bench_forms.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory(prefix="forms-cpu-") as tmp:
            home = Path(tmp)
            os.environ.update({"MENTORFLOW_HOME": str(home / "home"), "MENTORFLOW_COHORTS_DIR": str(home / "cohorts")})
            bench_forms.prepare(home, bench_forms.PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, args.people)
            from mentorflow.forms import events, security, tokens
            from mentorflow.forms.app import FormsSettings, create_app

            app = create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9"), deliver_events=False,
                                           limiter=security.RateLimiter(burst=1e9)))
            warm = 30
            links = [(f"B{i:06d}", "/forms/application?token=" + tokens.issue(
                tokens.FormGrant(bench_forms.COHORT, f"B{i:06d}", "application", "window")))
                for i in range(min(args.requests + warm, args.people))]
            results = asyncio.run(measure(app, links, warm))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    page, post, healthz = (1000 * sorted(column)[len(column) // 2] for column in zip(*results))
    print(f"forms CPU per request (median of {len(results)}, ms): page {page:.2f}  POST {post:.2f}  /healthz "
          f"{healthz:.2f}\n  page ÷ /healthz {page / healthz:.1f}×   POST ÷ /healthz {post / healthz:.1f}×   "
          f"page + POST ÷ /healthz {(page + post) / healthz:.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
