"""Kickoff rendering rate (issue 21, target 6: at least 5,000 emails/s), against same-run baselines.

    python benchmarks/bench_kickoff_render.py [--emails 3000] [--rounds 5] [--profile]

Each email is what the kickoff stage makes per recipient: the person's context (the samples' shape), the
text and HTML render, the OutgoingEmail. Three renderers take turns, round after round, on the same
contexts; each prints its best round (CPU time of this process, so other load on the machine counts less)
and its rate relative to this project's renderer:

- ``mentorflow``: mentorflow.messaging.render (cached environment, macros, guidance rendered once);
- ``jinja defaults``: the same templates in a plain ``jinja2.Environment`` with Jinja's defaults
  (``auto_reload``: a ``stat()`` per template use; globals as a ChainMap);
- ``before issue 21``: the email templates as they were at commit BEFORE (read from git into a temporary
  folder; skipped outside a git checkout), in that plain environment: the renderer this replaced.

Every baseline's emails must equal mentorflow's byte for byte, or the benchmark stops. ``--profile``
prints the top functions of both ends (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins")]

import jinja2  # noqa: E402
from mentorflow import settings  # noqa: E402
from mentorflow.messaging import render, samples  # noqa: E402
from mentorflow.messaging.message import LedgerKey, OutgoingEmail  # noqa: E402

BEFORE = "bd54874"  # main before issue 21's rendering work (7 includes and an import with context per email)
TARGET = 5_000


def plain(folder: Path | str) -> jinja2.Environment:
    """Jinja's defaults, with the email options (autoescape, strict, trimmed blocks)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), **render.OPTIONS)


def templates_at(commit: str, into: Path) -> Path | None:
    """include/templates at ``commit``, unpacked into ``into`` (None outside a git checkout)."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "include/templates/email"],
                                 check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "include" / "templates"


def kickoff(ctx: dict, env: jinja2.Environment | None) -> OutgoingEmail:
    """One recipient's kickoff email, as stages.common.compose makes it."""
    subject, html, text = render.render_email("kickoff", ctx, env)
    who = ctx["person"]
    return OutgoingEmail(key=LedgerKey("bench", who["employee_id"], "kickoff", "kickoff"), to_email=who["email"],
                         to_name=who["full_name"], subject=subject, html=html, text=text,
                         from_email="mentoring@example.com", from_name="Mentoring Program")


def one_round(count: int, env: jinja2.Environment | None) -> tuple[float, list[OutgoingEmail]]:
    started = time.process_time()
    emails = [kickoff(samples.context("kickoff", n), env) for n in range(1, count + 1)]
    return time.process_time() - started, emails


def profile(label: str, run: Callable[[], object]) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(run)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(8)
    print(f"--- profile: {label}")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[-1200:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        renderers: dict[str, jinja2.Environment | None] = {"mentorflow": None,
                                                            "jinja defaults": plain(settings.templates_dir())}
        before = templates_at(BEFORE, Path(folder))
        if before is not None:
            renderers["before issue 21"] = plain(before)
        best = dict.fromkeys(renderers, float("inf"))
        reference: list[OutgoingEmail] | None = None
        for _ in range(args.rounds):
            for name, env in renderers.items():
                elapsed, emails = one_round(args.emails, env)
                best[name] = min(best[name], elapsed)
                reference = reference or emails
                if emails != reference:
                    raise SystemExit(f"{name} renders other bytes than mentorflow: not a fair baseline")
        if args.profile:
            for name in ("mentorflow", "before issue 21"):
                if name in renderers:
                    profile(name, lambda env=renderers[name]: one_round(args.emails, env))

    rate = {name: args.emails / seconds for name, seconds in best.items()}
    print(f"kickoff emails per round   {args.emails:,} (best of {args.rounds} rounds, CPU time)")
    for name in renderers:
        print(f"{name:<26} {rate[name]:>8,.0f} emails/s  {best[name] / args.emails * 1e6:6.0f} us/email  "
              f"mentorflow is {rate['mentorflow'] / rate[name]:.2f}x")
    if before is None:
        print(f"before issue 21            (skipped: commit {BEFORE} not readable with git)")
    print(f"target                     {TARGET:,} emails/s: {'met' if rate['mentorflow'] >= TARGET else 'NOT met'}")
    return 0 if rate["mentorflow"] >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
