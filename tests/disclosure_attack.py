"""An attacker with everything HR receives, written apart from the report code.

HR gets, per cohort, the HTML report, its PDF (the same numbers) and the CSV exports, and keeps
the reports of earlier cohorts. This module turns what was published into linear constraints over
the report's unknown counts (a suppressed cell, or a count only seen through a percentage or a
chart) and asks CBC, through PuLP, for the smallest and largest value of each unknown. It knows how
the report is built (which columns add up to which totals, what a percentage is rounded to, how a
bar is drawn) and, when it is given the true figures, also every *plausible* relation that happens
to hold for them (a guess that is right is as good as knowledge).

Nothing here imports the report code: a report is read either from the files
(:func:`read_files`) or from the dictionary the writers render (:func:`read_view`).
"""

from __future__ import annotations

import csv
import html.parser
import re
from dataclasses import dataclass, field
from pathlib import Path

import pulp

FIVE = 5  # the promise: HR only ever sees totals of groups of five or more
STATES = ("On track", "Needs check-in", "At risk")
ROUNDS = ("initial", "midpoint")


def number(text) -> float | None:
    """A published number ("181", "97%", "+2") or None for anything else ("suppressed", "<5")."""
    match = re.fullmatch(r"\s*'?([+-]?\d+(?:\.\d+)?)\s*%?\s*", str(text))
    return float(match.group(1)) if match else None


@dataclass
class Report:
    """What one HR report publishes, in the attacker's own names (``<cohort>/<name>``)."""

    cohort: str
    counts: dict[str, list[str]] = field(default_factory=dict)       # shown count -> every text printed for it
    percents: list[tuple[list[str], str, float]] = field(default_factory=list)  # (numerator parts, denominator, %)
    groupings: dict[str, list[str]] = field(default_factory=dict)
    periods: list[str] = field(default_factory=list)
    bands: int = 0
    careers: list[str] = field(default_factory=list)
    histogram: list[float] = field(default_factory=list)             # bar heights, % of the fullest bin
    rows_of: list[str] = field(default_factory=list)                 # cohorts in the comparison table
    coverage: dict[str, list[str]] = field(default_factory=dict)     # coverage groups by grouping
    coverage_classes: list[str] = field(default_factory=list)        # the coverage outcomes
    coverage_columns: list[str] = field(default_factory=list)        # the by-group columns
    members: dict[str, list[str]] = field(default_factory=dict)      # a merged coverage row's groups
    waits: bool = False

    def v(self, name: str, cohort: str | None = None) -> str:
        return f"{cohort or self.cohort}/{name}"

    def shown(self, name: str, text, cohort: str | None = None) -> None:
        self.counts.setdefault(self.v(name, cohort), []).append(str(text))

    def percent(self, parts: list[str], whole: str, text, cohort: str | None = None) -> None:
        value = number(text)
        if value is not None:
            self.percents.append(([self.v(p, cohort) for p in parts], self.v(whole, cohort), value))


# -- reading a report ---------------------------------------------------------------------------------------


def read_view(view: dict, cohort: str) -> Report:
    """The numbers of the dictionary the HTML, PDF and CSV writers render (the same names as the files)."""
    r = Report(cohort)
    for row in view["funnel"]:
        r.shown(f"funnel.{row['stage']}", row["count"])
        if row.get("width"):
            r.percent([f"funnel.{row['stage']}"], "funnel.invited", row["width"])
    for grouping, rows in view["groups"].items():
        r.groupings[grouping] = [str(x["group"]) for x in rows]
        for x in rows:
            base = f"{grouping}.{x['group']}"
            r.shown(f"{base}.applied", x["applied"])
            r.shown(f"{base}.matched", x["matched"])
            r.percent([f"{base}.matched"], f"{base}.applied", x["match_rate"])
    for h in view["health"]:
        p = h["period"]
        r.periods.append(p)
        r.shown(f"health.{p}.asked", h["asked"])
        if "pairs" in h:
            r.shown(f"health.{p}.assessed", h["pairs"])
        r.percent([f"health.{p}.answered"], f"health.{p}.asked", h["response_rate"])
        for s in STATES:
            r.shown(f"health.{p}.{s}", h[s])
        bars = h.get("bars") or {}
        if any(bars.values()):
            for s, pct in bars.items():
                parts = [f"health.{p}.{s}"] if s in STATES else [f"health.{p}.{x}" for x in STATES if x not in bars]
                r.percent(parts, f"health.{p}.assessed", pct)
    for role, o in view["outcomes"].items():
        r.shown(f"outcomes.{role}.n", o["respondents"])
        r.percent([f"outcomes.{role}.goals"], f"outcomes.{role}.n", o["goals_met"])
    for c in view.get("careers") or []:
        r.careers.append(c["group"])
        r.shown(f"careers.{c['group']}.people", c["people"])
        r.percent([f"careers.{c['group']}.retained"], f"careers.{c['group']}.people", c["retention"])
        r.percent([f"careers.{c['group']}.promoted"], f"careers.{c['group']}.people", c["promotion"])
    eff = view.get("effectiveness")
    if eff:
        r.shown("eff.mentors", eff["mentors"])
        r.bands = len(eff["bands"])
        for i, b in enumerate(eff["bands"]):
            r.shown(f"eff.band{i}", b["mentors"])
        r.percent(["eff.band0", "eff.band1"], "eff.mentors", eff["needs_support"])
    for rnd in ROUNDS:
        x = view["rematch"][rnd]
        r.shown(f"rematch.{rnd}.pairs", x["pairs"])
        r.shown(f"rematch.{rnd}.completed", x["completed"])
        r.percent([f"rematch.{rnd}.goals"], f"rematch.{rnd}.mentee_n", x["mentee_goals_met"])
    r.shown("rematch.ended", view["rematch"]["ended"])
    r.shown("pairs_total", view["pairs_total"])
    r.histogram = [float(b["height"]) for b in view.get("score_histogram") or []]
    _comparison(r, view["comparison"])
    if view.get("coverage"):
        _coverage(r, view["coverage"])
    return r


WAITED = {"placed with a partner": "placed", "still waiting": "waiting", "everyone waitlisted": "all"}
COLUMN_PARTS = {"alternative": ["circle", "async", "waitlist"]}  # the by-group column of three outcomes


def _coverage(r: Report, cov: dict) -> None:
    """The coverage section: outcomes of the valid applicants, overall and by group, and the waitlist's counts."""
    r.coverage_classes = [o["class"] for o in cov["outcomes"]]
    r.shown("funnel.valid", cov["applicants"])
    for o in cov["outcomes"]:
        r.shown(f"coverage.{o['class']}", o["people"])
        r.percent([f"coverage.{o['class']}"], "funnel.valid", o["share"])
    r.coverage_columns = [c["class"] for c in cov["columns"]]
    for grouping, rows in cov["groups"].items():
        r.coverage[grouping] = [str(x["group"]) for x in rows]
        for x in rows:
            r.members[f"{grouping}.{x['group']}"] = [m for m in str(x.get("members") or "").split(", ") if m]
            r.shown(f"coverage.{grouping}.{x['group']}.applicants", x["applicants"])
            for c in r.coverage_columns:
                r.shown(f"coverage.{grouping}.{x['group']}.{c}", x[c])
    for w in cov.get("waits") or []:
        r.waits = True
        r.shown(f"coverage.wait.{WAITED[w['who']]}", w["people"])


def _comparison(r: Report, rows: list[dict]) -> None:
    for row in rows:
        c = row["cohort"]
        r.rows_of.append(c)
        r.shown("funnel.applied", row["applied"], cohort=c)
        r.shown("pairs_total", row["pairs"], cohort=c)
        r.percent(["outcomes.all.goals"], "outcomes.all.n", row["goals_met"], cohort=c)


class _Html(html.parser.HTMLParser):
    """Sections (by id) of the report: their tables, paragraphs, KPI boxes and chart rectangles."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.current: dict | None = None
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.text: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.current = self.sections.setdefault(a.get("id", ""), {"tables": [], "texts": [], "rects": [],
                                                                        "heads": []})
        elif self.current is None:
            return
        elif tag == "table":
            self.current["tables"].append([])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in ("p", "div", "h3"):
            self.text = []
        elif tag == "rect":
            self.current["rects"].append({k: v for k, v in a.items()})

    def handle_endtag(self, tag):
        if self.current is None:
            return
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.current["tables"][-1].append(self.row)
            self.row = None
        elif tag in ("p", "div", "h3") and self.text is not None:
            said = " ".join(" ".join(self.text).split())
            self.current["heads" if tag == "h3" else "texts"].append(said)
            self.text = None
        elif tag == "section":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.text is not None:
            self.text.append(data)


def _csv(folder: Path, name: str) -> list[dict[str, str]]:
    path = folder / f"hr-report-{name}.csv"
    return list(csv.DictReader(path.open(encoding="utf-8"))) if path.exists() else []


def read_files(folder: Path, cohort: str) -> Report:
    """The numbers HR receives in ``folder``: the CSV exports and what only the HTML file shows (KPIs,
    rounds, effectiveness, the charts). Every table the HTML shares with a CSV must print the same."""
    page = _Html()
    page.feed((folder / "hr-report.html").read_text(encoding="utf-8"))
    s = page.sections
    view: dict = {"funnel": [], "groups": {}, "health": [], "outcomes": {}, "careers": [], "comparison": []}
    widths = _funnel_widths(s["funnel"]["rects"])
    for i, row in enumerate(_csv(folder, "funnel")):
        view["funnel"].append({"stage": row["stage"], "count": row["people"], "width": widths[i]})
    assert [[r["stage"], r["count"]] for r in view["funnel"]] == s["funnel"]["tables"][0][1:]
    for table, head in zip(s["fairness"]["tables"], s["fairness"]["heads"]):
        grouping = head.removeprefix("By ").strip()
        rows = _csv(folder, f"by-{grouping}")
        assert [[r[grouping], r["applied"], r["matched"], r["match_rate"]] for r in rows] == table[1:]
        view["groups"][grouping] = [{"group": r[grouping], **r} for r in rows]
    health = _csv(folder, "health")
    bars = _health_bars(s["health"]["rects"], len(health))
    for row, b in zip(health, bars):
        view["health"].append({**row, "bars": b})
    view["outcomes"] = {r["group"]: r for r in _csv(folder, "outcomes")}
    view["careers"] = _csv(folder, "careers")
    view["comparison"] = _csv(folder, "comparison")
    quality = s["match-quality"]
    rounds = {row[0].split()[0]: row for row in quality["tables"][0][1:]}
    view["rematch"] = {rnd: {"pairs": rounds[rnd][1], "completed": rounds[rnd][2], "mentee_goals_met": rounds[rnd][3]}
                       for rnd in ROUNDS}
    ended = next(t for t in quality["texts"] if t.startswith("Pairs ended at the midpoint"))
    view["rematch"]["ended"] = ended.rsplit(":", 1)[1].strip(" .")
    view["score_histogram"] = [{"height": r["height"]} for r in quality["rects"]]
    kpis = {t.split(" ", 1)[1]: t.split(" ", 1)[0] for t in s["summary"]["texts"] if " " in t}
    view["pairs_total"] = kpis.get("pairs formed", "")
    view["effectiveness"] = _effectiveness(s["outcomes"])
    report = read_view(view, cohort)
    learning = " ".join(s["learning"]["texts"])
    for said in re.findall(r"(\d+) pairs", learning):
        report.shown("learning.pairs", said)
    return report


FUNNEL_PX_PER_PERCENT = 2.7  # the funnel chart's scale (reports/_charts.html), as its axis ticks print it


def _funnel_widths(rects: list[dict]) -> list[float]:
    return [round(float(r["width"]) / FUNNEL_PX_PER_PERCENT, 6) for r in rects]


def _health_bars(rects: list[dict], periods: int) -> list[dict[str, float]]:
    """Per period the stacked bar's segments, as % of the period's pairs (the height is 1.5 px per %)."""
    colour = {"#d64545": "At risk", "#f0b429": "Needs check-in", "#3ebd93": "On track", "#9aa5b1": "suppressed"}
    by_x: dict[str, dict[str, float]] = {}
    for r in rects:
        by_x.setdefault(r["x"], {})[colour[r["fill"]]] = round(float(r["height"]) / 1.5, 6)
    bars = list(by_x.values())
    return bars + [{}] * (periods - len(bars))


def _effectiveness(section: dict) -> dict | None:
    sentence = next((t for t in section["texts"] if t.startswith("Mentors rated by their mentees")), None)
    if sentence is None:
        return None
    mentors, share = re.search(r": (\S+) mentors; (\S+) averaged below 3", sentence).groups()
    table = next(t for t in section["tables"] if t and t[0] == ["Mean rating", "Mentors"])
    return {"mentors": mentors, "needs_support": share, "bands": [{"band": b, "mentors": n} for b, n in table[1:]]}


# -- what the attacker knows about how the numbers hang together ----------------------------------------------


def relations(r: Report) -> tuple[list, list]:
    """(certain, guessed) linear relations, each ``(coefficients by name, sense, constant)``; sense is
    "=" or "<=". Certain ones follow from what the report says its numbers are; guesses are relations
    that usually hold (kept only when the true figures satisfy them)."""
    v = r.v
    certain, guess = [], []

    def eq(terms, to=0, into=None):
        (into if into is not None else guess).append((terms, "=", to))

    def le(small, big, into=None):
        (into if into is not None else certain).append(({v(small): 1, v(big): -1}, "<=", 0))

    stages = ["invited", "applied", "valid", "matched"]
    for a, b in zip(stages[1:], stages):
        le(f"funnel.{a}", f"funnel.{b}", into=guess)
    for stage in ("active", "completed", "evaluated"):
        le(f"funnel.{stage}", "funnel.matched", into=guess)
    le("funnel.evaluated", "funnel.completed", into=guess)
    for grouping, groups in r.groupings.items():
        for what in ("applied", "matched"):
            parts = {v(f"{grouping}.{g}.{what}"): 1 for g in groups}
            certain.append(({**parts, v(f"funnel.{what}"): -1}, "<=", 0))
            eq({**parts, v(f"funnel.{what}"): -1})
        for g in groups:
            le(f"{grouping}.{g}.matched", f"{grouping}.{g}.applied")
    for p in r.periods:
        eq({**{v(f"health.{p}.{s}"): 1 for s in STATES}, v(f"health.{p}.assessed"): -1}, into=certain)
        le(f"health.{p}.answered", f"health.{p}.asked")
        eq({v(f"health.{p}.asked"): 1, v("funnel.matched"): -1})
        eq({v(f"health.{p}.assessed"): 1, v("rematch.initial.pairs"): -1})
        eq({v(f"health.{p}.assessed"): 1, v("pairs_total"): -1, v("rematch.ended"): 1})
    if r.bands:
        eq({**{v(f"eff.band{i}"): 1 for i in range(r.bands)}, v("eff.mentors"): -1}, into=certain)
    eq({v("outcomes.all.n"): 1, v("outcomes.mentor.n"): -1, v("outcomes.mentee.n"): -1})
    eq({v("outcomes.all.goals"): 1, v("outcomes.mentor.goals"): -1, v("outcomes.mentee.goals"): -1})
    eq({v("outcomes.all.n"): 1, v("funnel.evaluated"): -1})
    for role in ("all", "mentor", "mentee"):
        le(f"outcomes.{role}.goals", f"outcomes.{role}.n")
    for group in r.careers:
        le(f"careers.{group}.retained", f"careers.{group}.people")
        le(f"careers.{group}.promoted", f"careers.{group}.people")
    if len(r.careers) == 2:
        eq({v(f"careers.{g}.people"): 1 for g in r.careers} | {v("funnel.invited"): -1})
        eq({v(f"careers.{r.careers[0]}.people"): 1, v("funnel.matched"): -1})
    eq({v("rematch.initial.pairs"): 1, v("rematch.midpoint.pairs"): 1, v("pairs_total"): -1})
    eq({v("rematch.initial.pairs"): 1, v("rematch.initial.completed"): -1, v("rematch.ended"): -1})
    le("rematch.ended", "rematch.initial.pairs")
    eq({v("rematch.initial.mentee_n"): 1, v("rematch.midpoint.mentee_n"): 1, v("outcomes.mentee.n"): -1})
    eq({v("rematch.initial.goals"): 1, v("rematch.midpoint.goals"): 1, v("outcomes.mentee.goals"): -1})
    for rnd in ROUNDS:
        le(f"rematch.{rnd}.completed", f"rematch.{rnd}.pairs")
        le(f"rematch.{rnd}.goals", f"rematch.{rnd}.mentee_n")
        le(f"rematch.{rnd}.mentee_n", f"rematch.{rnd}.pairs", into=guess)
    le("learning.pairs", "pairs_total", into=guess)
    if r.histogram:
        eq({**{v(f"hist.{i}"): 1 for i in range(len(r.histogram))}, v("pairs_total"): -1})
    if r.coverage_classes:
        _coverage_relations(r, certain, guess)
    return certain, guess


def _coverage_relations(r: Report, certain: list, guess: list) -> None:
    """Every valid applicant has one outcome; a group's outcomes add up to its applicants, the groups to the
    totals; a group's applicants are among those who applied, its one-to-one among the matched."""
    v, classes = r.v, r.coverage_classes

    def total(parts: list[str], whole: str) -> None:
        terms = {v(p): 1 for p in parts} | {v(whole): -1}
        certain.append((terms, "<=", 0))
        guess.append((terms, "=", 0))

    certain.append(({**{v(f"coverage.{c}"): 1 for c in classes}, v("funnel.valid"): -1}, "=", 0))
    total(["coverage.one_to_one"], "funnel.matched")
    columns = r.coverage_columns
    for grouping, groups in r.coverage.items():
        for g in groups:
            base = f"coverage.{grouping}.{g}"
            certain.append(({**{v(f"{base}.{c}"): 1 for c in columns}, v(f"{base}.applicants"): -1}, "=", 0))
            members = [m for m in (r.members.get(f"{grouping}.{g}") or [g]) if m in r.groupings.get(grouping, [])]
            for mine, theirs in (("applicants", "applied"), ("one_to_one", "matched")):
                if members:  # a row (or merged row) against the fairness rows of its groups
                    terms = {v(f"{base}.{mine}"): 1} | {v(f"{grouping}.{m}.{theirs}"): -1 for m in members}
                    certain.append((terms, "<=", 0))
                    guess.append((terms, "=", 0))
        total([f"coverage.{grouping}.{g}.applicants" for g in groups], "funnel.valid")
        for c in columns:
            parts = {v(f"coverage.{grouping}.{g}.{c}"): 1 for g in groups}
            whole = {v(f"coverage.{p}"): -1 for p in COLUMN_PARTS.get(c, [c])}
            certain.append((parts | whole, "<=", 0))
            guess.append((parts | whole, "=", 0))
    if r.waits:
        certain.append(({v("coverage.wait.placed"): 1, v("coverage.wait.waiting"): 1, v("coverage.wait.all"): -1},
                        "=", 0))
        guess.append(({v("coverage.wait.waiting"): 1, v("coverage.waitlist"): -1}, "=", 0))
        guess.append(({v("coverage.wait.placed"): 1, v("coverage.one_to_one"): -1}, "<=", 0))
        guess.append(({v("coverage.wait.all"): 1, v("funnel.valid"): -1}, "<=", 0))


# -- the attack -----------------------------------------------------------------------------------------------


@dataclass
class Finding:
    name: str
    low: float
    high: float
    shown: bool  # a suppressed cell of a table (else a count seen only through a percentage or chart)

    def __str__(self) -> str:
        return f"{self.name} in [{self.low:g}, {self.high:g}]"


def constraints(reports: list[Report], truth: dict[str, int] | None = None):
    """(rows, published values, suppressed cells): every linear row ``(coefficients, sense, constant)``
    the attacker can write down, what the reports print as numbers, and which cells they suppress."""
    known: dict[str, float] = {}
    shown: set[str] = set()
    rows: list = []
    for r in reports:
        for name, texts in r.counts.items():
            values = {number(t) for t in texts} - {None}
            assert len(values) <= 1, f"{name} is printed as {texts}"
            if values:
                assert name not in known or known[name] == next(iter(values)), (name, known[name], values)
                known[name] = next(iter(values))
            else:
                shown.add(name)
        for parts, whole, pct in r.percents:
            rows += _percent(parts, whole, pct)
        certain, guessed = relations(r)
        rows += certain
        rows += [g for g in guessed if truth is not None and _holds(g, truth)]
        if r.histogram and 100 in r.histogram:
            top = r.v(f"hist.{r.histogram.index(100)}")
            for i, h in enumerate(r.histogram):
                rows += _percent([r.v(f"hist.{i}")], top, h)
    return rows, known, shown - set(known)


def _percent(parts: list[str], whole: str, pct: float) -> list:
    """``pct`` is 100 * sum(parts) / whole rounded to a whole number (and printed, so whole is not 0)."""
    out = [({whole: 1}, ">=", 1)]
    for sense, bound in (("<=", pct + 0.5), (">=", pct - 0.5)):
        terms = {p: 100.0 for p in parts}
        terms[whole] = terms.get(whole, 0.0) - bound
        out.append((terms, sense, 0))
    return out


def attack(reports: list[Report], truth: dict[str, int] | None = None) -> tuple[dict[str, float], dict[str, Finding]]:
    """What the reports print, and the range of every count they do not print under everything they print."""
    rows, known, shown = constraints(reports, truth)
    names = set(known) | shown | {n for terms, _, _ in rows for n in terms}
    x = {n: pulp.LpVariable(f"v{i}", lowBound=0, cat="Integer") for i, n in enumerate(sorted(names))}
    prob = pulp.LpProblem("hr", pulp.LpMinimize)
    for terms, sense, const in rows:
        expr = pulp.lpSum(c * x[n] for n, c in terms.items())
        prob += (expr == const) if sense == "=" else (expr <= const) if sense == "<=" else (expr >= const)
    for n, value in known.items():
        prob += x[n] == value
    found = {}
    for n in sorted(names - set(known)):
        bounds = []
        for sense in (pulp.LpMinimize, pulp.LpMaximize):
            prob.sense = sense
            prob.setObjective(x[n])
            status = pulp.LpStatus[prob.solve(pulp.PULP_CBC_CMD(msg=0))]
            if sense == pulp.LpMaximize and status != "Optimal":
                bounds.append(float("inf"))  # unbounded: the minimum was found, so the rows are consistent
                continue
            assert status == "Optimal", f"the published numbers contradict each other ({n}: {status})"
            bounds.append(round(pulp.value(x[n])))
        found[n] = Finding(n, bounds[0], bounds[1], n in shown)
    return known, found


def _holds(relation, truth: dict[str, int]) -> bool:
    terms, sense, const = relation
    if not all(n in truth for n in terms):
        return False
    total = sum(c * truth[n] for n, c in terms.items())
    return total == const if sense == "=" else total <= const


def leaks(reports: list[Report], truth: dict[str, int] | None = None) -> list[str]:
    """Every way the reports break the promise: a small group printed, a suppressed cell whose range stays
    under five or is narrower than five, a count seen through a percentage or chart that is known to be 1-4."""
    known, found = attack(reports, truth)
    out = [f"{n} printed as {v:g}" for n, v in known.items() if 0 < v < FIVE and not n.split("/", 1)[1].startswith(
        ("hist.",))]
    for f in found.values():
        if f.shown and (f.high < FIVE or f.high - f.low < FIVE):
            out.append(f"suppressed {f}")
        elif not f.shown and f.low >= 1 and f.high < FIVE:
            out.append(f"small group behind a percentage or chart: {f}")
    return out
