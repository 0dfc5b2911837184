"""Kickoff emails rendered and sent through the ledger to a local SendGrid v3 server.

    python benchmarks/bench_email.py [--emails 10000] [--baseline-emails 1000]

Prints the render rate, the total time and the number of API calls for the batched sender
(target: at most 20 calls for 10,000 emails), and, in the same run, a baseline that makes
one API call per email (on a sample, extrapolated), with the ratio between the two.
Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests")]

from email_fixtures import FakeSendGrid  # noqa: E402  (the loopback server of the tests)
from mentorflow.messaging.ledger import send_once  # noqa: E402
from mentorflow.messaging.samples import sample_email  # noqa: E402
from mentorflow.messaging.sendgrid_backend import SendGridBackend  # noqa: E402
from mentorflow.store import Store  # noqa: E402

CALL_TARGET = 20


def render(count: int, cohort: str) -> tuple[list, float]:
    started = time.perf_counter()
    messages = [sample_email("kickoff", n, cohort) for n in range(1, count + 1)]
    return messages, time.perf_counter() - started


def send(store: Store, fake: FakeSendGrid, messages: list, batch_size: int) -> tuple[float, int]:
    backend = SendGridBackend(fake.api_key, fake.url, batch_size=batch_size)
    before = len(fake.requests)
    started = time.perf_counter()
    summary = send_once(store, backend, messages)
    elapsed = time.perf_counter() - started
    if summary["sent"] != len(messages):
        raise SystemExit(f"only {summary['sent']} of {len(messages)} sent: {summary}")
    return elapsed, len(fake.requests) - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--baseline-emails", type=int, default=1_000, help="sample sent one call per email")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, FakeSendGrid() as fake:
        store = Store(f"sqlite:///{Path(folder) / 'store.db'}")
        store.upgrade()

        messages, render_time = render(args.emails, "bench-batched")
        send_time, calls = send(store, fake, messages, batch_size=1000)
        delivered = {d.mf_key for d in fake.delivered}
        assert len(delivered) == len(fake.delivered) == args.emails, "every email exactly once"
        total = render_time + send_time

        baseline_messages, baseline_render = render(args.baseline_emails, "bench-baseline")
        baseline_send, baseline_calls = send(store, fake, baseline_messages, batch_size=1)
        per_email = baseline_send / args.baseline_emails
        baseline_total = (baseline_render + baseline_send) / args.baseline_emails * args.emails

    print(f"kickoff emails              {args.emails:,}")
    print(f"render rate                 {args.emails / render_time:,.0f} emails/s ({render_time:.2f} s)")
    print(f"batched send (ledger+API)   {send_time:.2f} s, {calls} API calls "
          f"({'within' if calls <= CALL_TARGET else 'OVER'} the target of {CALL_TARGET})")
    print(f"total (render + send)       {total:.2f} s, {args.emails / total:,.0f} emails/s")
    print(f"baseline (1 call per email) {baseline_calls:,} calls for {args.baseline_emails:,} emails in "
          f"{baseline_send:.2f} s ({per_email * 1000:.2f} ms/email); for {args.emails:,}: "
          f"{args.emails:,} calls, ~{baseline_total:.1f} s total")
    print(f"ratio                       {args.emails / calls:,.0f}x fewer API calls, "
          f"{baseline_total / total:.1f}x faster end to end")
    return 0 if calls <= CALL_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
