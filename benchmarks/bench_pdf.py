"""The HR report's PDF with HarfBuzz's font subsetter against WeasyPrint's fontTools fallback, in the same run.

    python benchmarks/bench_pdf.py [--html var/demo/reports/demo-cohort/hr-report.html] [--rounds 3]

Prints each round's CPU seconds of one ``write_pdf`` of the same HTML, subsetting fonts with HarfBuzz (the
system's ``libharfbuzz-subset0``, which ``./run`` installs) and with fontTools (what WeasyPrint falls back to
without it), alternately, and the ratio of the medians. The HTML is a report a demo wrote (``./run demo``).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", type=Path, default=ROOT / "var/demo/reports/demo-cohort/hr-report.html")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not args.html.is_file():
        print(f"{args.html} does not exist: run `./run demo --no-serve` first, or name a report with --html",
              file=sys.stderr)
        return 2
    import weasyprint
    from weasyprint.pdf import fonts

    if not fonts.harfbuzz_subset:
        print("HarfBuzz's subsetter is not installed (Debian package libharfbuzz-subset0)", file=sys.stderr)
        return 2
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # the fallback warns at every font
    html = args.html.read_text(encoding="utf-8")
    subsetter = fonts.harfbuzz_subset
    weasyprint.HTML(string=html).write_pdf()  # imports and the font configuration, outside the rounds
    seconds: dict[str, list[float]] = {"HarfBuzz": [], "fontTools": []}
    for number in range(1, args.rounds + 1):
        for name in seconds:
            fonts.harfbuzz_subset = subsetter if name == "HarfBuzz" else None
            started = time.process_time()
            size = len(weasyprint.HTML(string=html).write_pdf())
            seconds[name].append(time.process_time() - started)
            print(f"round {number}, {name:<9}: {seconds[name][-1]:.2f} s CPU, {size:,} bytes")
    fonts.harfbuzz_subset = subsetter
    harfbuzz, fonttools = (statistics.median(v) for v in seconds.values())
    print(f"medians: HarfBuzz {harfbuzz:.2f} s, fontTools {fonttools:.2f} s; HarfBuzz / fontTools ×{harfbuzz / fonttools:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
