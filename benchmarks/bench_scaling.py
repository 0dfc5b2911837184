"""How a company's cost grows with its size: ``mentorflow generate``, then ``mentorflow match`` (gates, scoring,
solving, explanations, report) in a fresh process for each size, with the import floor measured in the same run.

    python benchmarks/bench_scaling.py [--people 1000,10000,30000,121500] [--svg docs/performance-scaling.svg]

Prints a Markdown table (per size: applications, wall and CPU time, peak memory, seconds per 1,000
applications, and how much each step up in size multiplied the time) and, with ``--svg``, draws wall and CPU
time against applications on log-log axes, the import floor as a line, with no plotting library. The figures
in docs/performance.md (A 121,500-person company, How cost grows with size) come from this.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

from bench_company import COHORT, ROOT, environment, timed


def measure(people: int, work: Path) -> dict:
    """One size: generate (timed apart), then one ``mentorflow match``."""
    env, py = environment(ROOT), sys.executable
    folder = work / str(people)
    folder.mkdir()
    (folder / "company.yaml").write_text(COHORT, encoding="utf-8")
    generated = timed([py, "-m", "mentorflow.cli.main", "generate", "--people", str(people), "--out",
                       str(folder / "data")], env, folder)
    applications = sum(1 for _ in open(folder / "data" / "applications.csv", encoding="utf-8")) - 1
    matched = timed([py, "-m", "mentorflow.cli.main", "match", "--cohort", "company.yaml", "--out",
                     str(folder / "out"), "--today", "2026-01-05"], env, folder)
    pairs = sum(1 for _ in open(folder / "out" / "matches.csv", encoding="utf-8")) - 1
    return {"people": people, "applications": applications, "pairs": pairs, "generate": generated["wall"],
            "wall": matched["wall"], "cpu": matched["cpu"], "peak_mb": matched["peak_mb"]}


def table(rows: list[dict], floor: dict) -> str:
    lines = ["| people | applications | pairs | `match` wall | CPU | peak memory | wall per 1,000 applications "
             "| × size → × wall | `generate` wall |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for before, row in zip([None, *rows], rows):
        growth = (f"×{row['applications'] / before['applications']:.1f} → ×{row['wall'] / before['wall']:.1f}"
                  if before else "")
        lines.append(f"| {row['people']:,} | {row['applications']:,} | {row['pairs']:,} | {row['wall']:.1f} s | "
                     f"{row['cpu']:.1f} s | {row['peak_mb']:,.0f} MB | {1000 * row['wall'] / row['applications']:.2f} s"
                     f" | {growth} | {row['generate']:.1f} s |")
    lines.append(f"| import floor (same run) | | | {floor['wall']:.2f} s | {floor['cpu']:.2f} s | "
                 f"{floor['peak_mb']:,.0f} MB | | | |")
    return "\n".join(lines)


def svg(rows: list[dict], floor: dict, title: str) -> str:
    """Wall and CPU seconds against applications, both axes logarithmic (decades), as a standalone SVG."""
    width, height, left, right, top, bottom = 660, 400, 70, 45, 40, 50
    xs = [r["applications"] for r in rows]
    ys = [v for r in rows for v in (r["wall"], r["cpu"])] + [floor["wall"]]
    x0, x1 = 10 ** math.floor(math.log10(min(xs))), 10 ** math.ceil(math.log10(max(xs)))
    y0, y1 = 10 ** math.floor(math.log10(min(ys))), 10 ** math.ceil(math.log10(max(ys)))

    def px(x: float) -> float:
        return left + (width - left - right) * math.log10(x / x0) / math.log10(x1 / x0)

    def py(y: float) -> float:
        return height - bottom - (height - top - bottom) * math.log10(y / y0) / math.log10(y1 / y0)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>']
    decade = x0
    while decade <= x1:
        out.append(f'<line x1="{px(decade):.1f}" y1="{top}" x2="{px(decade):.1f}" y2="{height - bottom}" stroke="#ddd"/>'
                   f'<text x="{px(decade):.1f}" y="{height - bottom + 16}" text-anchor="middle">{decade:,.0f}</text>')
        decade *= 10
    decade = y0
    while decade <= y1:
        out.append(f'<line x1="{left}" y1="{py(decade):.1f}" x2="{width - right}" y2="{py(decade):.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{py(decade) + 4:.1f}" text-anchor="end">{decade:g} s</text>')
        decade *= 10
    out.append(f'<text x="{width / 2}" y="{height - 10}" text-anchor="middle">applications (log)</text>')
    for key, colour, label in (("wall", "#1f5fa8", "wall"), ("cpu", "#c0504d", "CPU")):
        points = " ".join(f"{px(r['applications']):.1f},{py(r[key]):.1f}" for r in rows)
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [f'<circle cx="{px(r["applications"]):.1f}" cy="{py(r[key]):.1f}" r="3" fill="{colour}"/>' for r in rows]
        out.append(f'<text x="{px(xs[-1]) - 8:.1f}" y="{py(rows[-1][key]) + (-10 if key == "cpu" else 18):.1f}" '
                   f'text-anchor="end" fill="{colour}">{label}</text>')
    out.append(f'<line x1="{left}" y1="{py(floor["wall"]):.1f}" x2="{width - right}" y2="{py(floor["wall"]):.1f}" '
               f'stroke="#777" stroke-dasharray="4 4"/><text x="{width - right}" y="{py(floor["wall"]) - 6:.1f}" '
               f'text-anchor="end" fill="#555">import floor (same run)</text>')
    return "\n".join(out) + "\n</svg>\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", default="1000,10000,30000,121500", help="company sizes, comma-separated")
    ap.add_argument("--svg", type=Path, help="write the plot here")
    args = ap.parse_args()
    sizes = sorted(int(n) for n in args.people.split(","))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; sizes {sizes}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
        floor = timed([sys.executable, "-c", "import pandas, numpy, scipy.sparse, sqlalchemy, pydantic"],
                      environment(ROOT), Path(tmp))
        rows = []
        for people in sizes:
            rows.append(measure(people, Path(tmp)))
            row = rows[-1]
            print(f"{people:,} people: {row['applications']:,} applications, match wall {row['wall']:.1f} s, CPU "
                  f"{row['cpu']:.1f} s, peak {row['peak_mb']:,.0f} MB (load average {os.getloadavg()[0]:.1f})",
                  flush=True)
    print("\n" + table(rows, floor))
    if args.svg:
        args.svg.write_text(svg(rows, floor, "mentorflow match: time against company size"), encoding="utf-8")
        print(f"\nplot written to {args.svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
