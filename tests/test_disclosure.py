"""Confidentiality that holds up: an attacker with everything HR receives cannot work out any group
under five people. The attacker (tests/disclosure_attack.py) is written apart from the report code and
solves integer programs over the published numbers with PuLP and CBC. Also the rules on their own, the
cohort-over-cohort table, and the committee report (its fairness audit, and no word of a PIP)."""

from __future__ import annotations

import random

import pytest
from disclosure_attack import STATES, leaks, read_view
from mentorflow.reports.hr_figures import publishable
from mentorflow.reports.render import bar_width, histogram

# -- the solver on its own: tables with margins, checked by an independent integer program --------------------


def _table_problem(cells: list[list[int]]):
    from mentorflow.reports.disclosure import Problem

    p = Problem()
    rows, cols = len(cells), len(cells[0])
    for i in range(rows):
        for j in range(cols):
            p.cell(f"c{i}.{j}", cells[i][j], parent=f"r{i}")
    for i in range(rows):
        p.cell(f"r{i}", sum(cells[i]))
    for j in range(cols):
        p.cell(f"k{j}", sum(cells[i][j] for i in range(rows)))
    p.cell("all", sum(map(sum, cells)))
    for i in range(rows):
        p.total(f"r{i}", [f"c{i}.{j}" for j in range(cols)])
    for j in range(cols):
        p.total(f"k{j}", [f"c{i}.{j}" for i in range(rows)])
    p.total("all", [f"r{i}" for i in range(rows)])
    p.total("all", [f"k{j}" for j in range(cols)])
    return p


def _pulp_ranges(p, suppressed) -> dict[str, tuple[float, float]]:
    import pulp

    out = {}
    for target in sorted(suppressed):
        bounds = []
        for sense in (pulp.LpMinimize, pulp.LpMaximize):
            prob = pulp.LpProblem("t", sense)
            x = {k: pulp.LpVariable(f"x{i}", lowBound=0, cat="Integer") for i, k in enumerate(sorted(suppressed))}
            for relations, equal in ((p.equalities, True), (p.inequalities, False)):
                for terms in relations:
                    expr = pulp.lpSum(c * (x[k] if k in x else p.values[k]) for k, c in terms.items())
                    prob += (expr == 0) if equal else (expr <= 0)
            prob += pulp.lpSum(x.values()) <= 10**6  # a finite stand-in for "unbounded"
            prob.setObjective(x[target])
            assert pulp.LpStatus[prob.solve(pulp.PULP_CBC_CMD(msg=0))] == "Optimal"
            bounds.append(round(pulp.value(x[target])))
        out[target] = tuple(bounds)
    return out


def test_primary_suppression_and_the_zero_rule():
    from mentorflow.reports.disclosure import Problem

    p = Problem()
    p.cell("level", 3)
    p.cell("matched", 0, parent="level")
    p.cell("elsewhere", 0, parent="big")
    p.cell("big", 40)
    p.cell("small", 4, parent="big")
    assert p.primary() == {"level", "matched", "small"}


def test_a_wrong_guess_is_not_a_relation():
    from mentorflow.reports.disclosure import Problem

    p = Problem()
    for k, v in {"a": 2, "b": 3, "total": 6}.items():
        p.cell(k, v)
    p.total("total", ["a", "b"])
    assert p.equalities == [] and p.inequalities == [{"a": 1, "b": 1, "total": -1}]


@pytest.mark.parametrize("seed", range(8))
def test_complementary_suppression_of_a_table_with_margins_leaves_every_cell_protected(seed):
    from mentorflow.reports.disclosure import MIN_CELL, protect, ranges

    rng = random.Random(seed)
    rows, cols = rng.randint(2, 5), rng.randint(2, 5)
    cells = [[rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 30]) for _ in range(cols)] for _ in range(rows)]
    p = _table_problem(cells)
    suppressed = protect(p)
    assert p.primary() <= suppressed
    independent = _pulp_ranges(p, suppressed)
    assert ranges(p, set(suppressed)) == {k: (lo, hi if hi < 10**6 - 10**5 else float("inf"))
                                          for k, (lo, hi) in independent.items()}
    for key, (lo, hi) in independent.items():
        assert hi >= MIN_CELL and hi - lo >= MIN_CELL, (key, lo, hi, cells)


def test_a_rate_or_mean_is_shown_only_over_published_parts():
    from mentorflow.reports.disclosure import SUPPRESSED, Problem, Publication

    p = Problem()
    for k, v in {"whole": 20, "part": 7, "small": 3, "none": 0}.items():
        p.cell(k, v)
    pub = Publication(p, frozenset({"small"}))
    assert (pub.rate("part", "whole"), pub.rate("small", "whole"), pub.rate("part", "none")) == ("35%", SUPPRESSED,
                                                                                             SUPPRESSED)
    assert (pub.mean(3.5, "whole"), pub.mean(3.5, "small"), pub.mean(None, "whole")) == ("3.50", SUPPRESSED, SUPPRESSED)


def test_histogram_bars_merge_until_none_is_small():
    from mentorflow.reports.disclosure import coarsened

    edges = ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"]
    assert coarsened([0, 2, 3, 9, 1], edges) == [("0.0", 0), ("0.1-0.3", 5), ("0.3-0.5", 10)]
    assert coarsened([1, 1, 1, 1, 0], edges) == []
    assert all(n == 0 or n >= 5 for _, n in coarsened([4, 0, 7, 1, 5], edges))


# -- the true figures, in the attacker's names --------------------------------------------------------------


def truth_of(raw: dict, cohort: str) -> dict[str, int]:
    """Every count of a cohort's raw figures under the attacker's names (to tell a right guess from a wrong one)."""
    t: dict[str, int] = {}

    def put(name, value):
        t[f"{cohort}/{name}"] = int(value)

    for stage, n in raw["funnel"]:
        put(f"funnel.{stage}", n)
    for grouping, rows in raw["groups"].items():
        for row in rows:
            put(f"{grouping}.{row[grouping]}.applied", row["applied"])
            put(f"{grouping}.{row[grouping]}.matched", row["matched"])
    for h in raw["health"]:
        for key in ("asked", "answered", "assessed", *STATES):
            put(f"health.{h['period']}.{key}", h[key])
    for role, o in raw["outcomes"].items():
        put(f"outcomes.{role}.n", o["n"])
        put(f"outcomes.{role}.goals", round((o["goals_met_rate"] or 0) * o["n"]))
    for group, c in (raw.get("careers") or {}).items():
        for key in ("people", "retained", "promoted"):
            put(f"careers.{group}.{key}", c[key])
    eff = raw["mentor_effectiveness"]
    put("eff.mentors", len(eff))
    for i, (lo, hi) in enumerate([(0, 2), (2, 3), (3, 4), (4, 99)]):
        put(f"eff.band{i}", sum(1 for v in eff if lo <= v < hi))
    for rnd in ("initial", "midpoint"):
        x = raw["rematch"][rnd]
        put(f"rematch.{rnd}.pairs", x["pairs"])
        put(f"rematch.{rnd}.completed", x["completed"])
        put(f"rematch.{rnd}.mentee_n", x["mentee_n"])
        put(f"rematch.{rnd}.goals", round((x["mentee_goals_met_rate"] or 0) * x["mentee_n"]))
    put("rematch.ended", raw["rematch"]["ended"])
    put("pairs_total", raw["pairs_total"])
    for i, b in enumerate(raw["score_histogram"]):
        put(f"hist.{i}", b["count"])
    if "learning_pairs" in raw:
        put("learning.pairs", raw["learning_pairs"])
    return t


# -- the demo's figures, as measured in the issue -------------------------------------------------------------


def _health(period, asked, answered, on_track, check_in, at_risk):
    assessed = on_track + check_in + at_risk
    counts = {"On track": on_track, "Needs check-in": check_in, "At risk": at_risk}
    return {"period": period, "asked": asked, "answered": answered, "response_rate": answered / asked,
            "assessed": assessed, **counts, "bars": {s: bar_width(c, assessed) for s, c in counts.items()}}


def _outcome(n, goals, satisfaction, nps):
    return {"n": n, "goals_met_rate": goals / n if n else None, "satisfaction": satisfaction if n else None,
            "nps": nps if n else None}


def _round(pairs, completed, mentee_n, goals, satisfaction):
    o = _outcome(mentee_n, goals, satisfaction, 0)
    return {"pairs": pairs, "completed": completed, **{f"mentee_{k}": v for k, v in o.items()}}


def demo_figures() -> dict:
    """The 300-people demo's HR report numbers (the issue's measurements), raw."""
    scores = [0.12] + [0.35] * 3 + [0.45] * 14 + [0.55] * 30 + [0.65] * 33 + [0.75] * 20 + [0.85] * 4 + [0.95] * 2
    departments = [("Engineering", 26, 22), ("Finance", 22, 18), ("Marketing", 24, 13), ("Operations", 38, 30),
                   ("People", 26, 20), ("Product", 26, 20), ("Sales", 19, 16)]
    levels = [(1, 74, 54), (2, 43, 28), (3, 27, 23), (4, 18, 16), (5, 7, 7), (6, 11, 11), (7, 1, 0)]
    locations = [("Bangalore", 20, 16), ("Berlin", 20, 13), ("London", 27, 22), ("New York", 40, 30),
                 ("Remote (US Central)", 18, 14), ("San Francisco", 26, 22), ("Sao Paulo", 19, 15),
                 ("Singapore", 11, 7)]
    return {
        "cohort": "demo-cohort",
        "funnel": [("invited", 296), ("applied", 181), ("valid", 172), ("matched", 139), ("active", 139),
                   ("completed", 138), ("evaluated", 122)],
        "groups": {name: [{name: g, "applied": a, "matched": m} for g, a, m in rows]
                   for name, rows in (("department", departments), ("level", levels), ("location", locations))},
        "health": [_health("pulse-1", 139, 135, 77, 11, 4), _health("pulse-2", 139, 133, 59, 17, 16),
                   _health("pulse-3", 138, 131, 69, 15, 7), _health("pulse-4", 138, 135, 72, 9, 10)],
        "outcomes": {"all": _outcome(122, 63, 3.65, -5), "mentor": _outcome(50, 23, 3.72, 2),
                     "mentee": _outcome(72, 40, 3.60, -10)},
        "careers": {"participants": {"people": 139, "retained": 133, "promoted": 31},
                    "non-participants": {"people": 157, "retained": 146, "promoted": 14}},
        "mentor_effectiveness": [1.0, 1.5] + [2.5] * 10 + [3.5] * 9 + [4.5] * 26,
        "rematch": {"initial": _round(92, 76, 57, 32, 3.6), "midpoint": _round(15, 15, 15, 1, 2.2), "ended": 16},
        "pairs_total": 107, "mean_match_score": 0.602, "median_meetings": 2.0,
        "score_histogram": histogram(scores, bins=10, low=0.0, high=1.0),
        "comparison": [{"cohort": "demo-cohort", "name": "Demo Company Mentoring 2026", "program_type": "traditional",
                        "current": True, "applied": 181, "pairs": 107, **_outcome(122, 63, 3.65, -5)}],
    }


def test_the_measured_leaks_are_closed():
    """Level 7 (one applicant, not matched), the mentors rated below 2 (two, also through "26% averaged below
    3"), the pairs at risk in pulse-1 (four) and the midpoint mentees whose goals were met (one, through "7%")."""
    raw = demo_figures()
    found = leaks([read_view(publishable(raw), "demo-cohort")], truth_of(raw, "demo-cohort"))
    assert not found, "\n".join(found)


# -- random cohorts, each with the report of the cohort before it ------------------------------------------------


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` random counts, skewed so that small cells are common."""
    weights = [rng.random() ** 3 + 1e-3 for _ in range(parts)]
    cuts = [int(total * sum(weights[:i + 1]) / sum(weights)) for i in range(parts)]
    return [b - a for a, b in zip([0] + cuts[:-1], cuts)]


def random_cohort(rng: random.Random, cohort: str, earlier: list[dict]) -> dict:
    """Raw figures of a made-up cohort in the shape of ``figures()``, consistent the way real ones are."""
    n = rng.randint(4, 140)
    vocab = {"department": [f"D{i}" for i in range(rng.randint(2, 7))], "level": list(range(1, rng.randint(3, 8))),
             "location": [f"L{i}" for i in range(rng.randint(1, 6))]}
    weights = {g: [rng.random() ** 3 + 0.01 for _ in values] for g, values in vocab.items()}
    p_match = rng.uniform(0.2, 1.0)
    people = []
    for _ in range(n):
        valid = rng.random() < 0.93
        people.append({**{g: rng.choices(values, weights[g])[0] for g, values in vocab.items()},
                       "matched": valid and rng.random() < p_match, "valid": valid})
    matched = sum(p["matched"] for p in people)
    groups = {g: [{g: v, "applied": sum(p[g] == v for p in people),
                   "matched": sum(p[g] == v and p["matched"] for p in people)}
                  for v in values if any(p[g] == v for p in people)] for g, values in vocab.items()}
    initial = max(0, matched // 2 - rng.randint(0, 2))
    ended = rng.randint(0, min(initial, 8))
    midpoint = rng.randint(0, ended + 1)
    m0, m1 = rng.randint(0, initial), rng.randint(0, midpoint)
    g0, g1 = rng.randint(0, m0), rng.randint(0, m1)
    mentors_n = rng.randint(0, max(0, matched - initial))
    evaluated = m0 + m1 + mentors_n
    completed = max(evaluated, matched - rng.randint(0, 3))
    health = []
    for k in range(rng.randint(0, 4)):
        assessed = initial if k < 2 else initial - ended + midpoint
        on_track, check_in, at_risk = _split(rng, assessed, 3)
        health.append(_health(f"pulse-{k + 1}", matched, rng.randint(0, matched), on_track, check_in, at_risk)
                      if matched else {**_health(f"pulse-{k + 1}", 1, 0, on_track, check_in, at_risk), "asked": 0,
                                       "response_rate": 0.0})
    mentor_goals = rng.randint(0, mentors_n)
    invited = n + rng.randint(0, 150)
    retained = [rng.randint(max(0, matched - 6), matched), rng.randint(max(0, invited - matched - 9), invited - matched)]
    pairs_total = initial + midpoint
    scores = [rng.betavariate(5, 3) for _ in range(pairs_total)]
    mentors = [rng.choice([1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]) for _ in range(rng.randint(0, initial))]
    this = {"cohort": cohort, "name": cohort.title(), "program_type": "traditional", "current": True, "applied": n,
            "pairs": pairs_total, **_outcome(evaluated, g0 + g1 + mentor_goals, 3.5, 5)}
    return {
        "cohort": cohort,
        "funnel": [("invited", invited), ("applied", n), ("valid", sum(p["valid"] for p in people)),
                   ("matched", matched), ("active", max(0, matched - rng.randint(0, 2))), ("completed", completed),
                   ("evaluated", evaluated)],
        "groups": groups, "health": health,
        "outcomes": {"all": _outcome(evaluated, g0 + g1 + mentor_goals, 3.5, 5),
                     "mentor": _outcome(mentors_n, mentor_goals, 3.7, 10), "mentee": _outcome(m0 + m1, g0 + g1, 3.3, 0)},
        "careers": {"participants": {"people": matched, "retained": retained[0], "promoted": rng.randint(0, matched)},
                    "non-participants": {"people": invited - matched, "retained": retained[1],
                                         "promoted": rng.randint(0, (invited - matched) // 4)}},
        "mentor_effectiveness": mentors,
        "rematch": {"initial": _round(initial, initial - ended, m0, g0, 3.6),
                    "midpoint": _round(midpoint, rng.randint(0, midpoint), m1, g1, 3.1), "ended": ended},
        "pairs_total": pairs_total, "mean_match_score": 0.6 if pairs_total else None,
        "median_meetings": 2.0 if pairs_total else None,
        "score_histogram": histogram(scores, bins=10, low=0.0, high=1.0),
        "learning_pairs": rng.randint(0, pairs_total),
        "comparison": [*earlier, this],
    }


def two_reports(seed: int):
    """The reports HR holds after two random cohorts: (reports as read by the attacker, the true counts)."""
    rng = random.Random(seed)
    first = random_cohort(rng, "first", [])
    first_view = publishable(first)
    own_row = next(r for r in first_view["comparison"] if r["cohort"] == "first")
    earlier = {"cohort": "first", "name": "First", "program_type": "traditional",
               "published": {k: own_row[k] for k in ("applied", "pairs", "goals_met", "satisfaction", "nps")}}
    second = random_cohort(rng, "second", [earlier])
    reports = [read_view(first_view, "first"), read_view(publishable(second), "second")]
    return reports, truth_of(first, "first") | truth_of(second, "second")


@pytest.mark.parametrize("seed", range(12))
def test_an_attacker_with_two_cohorts_reports_cannot_narrow_any_small_group(seed):
    reports, truth = two_reports(seed)
    found = leaks(reports, truth)
    assert not found, "\n".join(found)


def test_the_attacker_finds_what_primary_suppression_alone_leaves_open(monkeypatch):
    """The attack is not vacuous: with complementary suppression switched off it recovers small groups."""
    from mentorflow.reports import hr_figures
    from mentorflow.reports.disclosure import Publication

    monkeypatch.setattr(hr_figures, "publish", lambda problem: Publication(problem, frozenset(problem.primary())))
    raw = demo_figures()
    found = leaks([read_view(publishable(raw), "demo-cohort")], truth_of(raw, "demo-cohort"))
    assert {"suppressed demo-cohort/level.7.applied in [1, 1]", "suppressed demo-cohort/eff.band0 in [2, 2]",
            "suppressed demo-cohort/health.pulse-1.At risk in [4, 4]"} <= set(found)
    reports, truth = two_reports(0)
    assert leaks(reports, truth)


# -- the files a real cohort's run wrote ----------------------------------------------------------------------


@pytest.mark.airflow
@pytest.mark.slow
def test_an_attacker_with_the_files_hr_received_cannot_narrow_any_small_group(completed_cohort):
    """The CSV exports and the HTML file of a cohort run through Airflow, read back as HR gets them."""
    from pathlib import Path

    from disclosure_attack import read_files
    from mentorflow.outcomes.learning import pair_outcomes
    from mentorflow.reports.hr_figures import figures
    from mentorflow.store import evaluations, reports

    config, store, _, _ = completed_cohort
    [html] = [r["path"] for r in store.rows(reports, cohort_id=config.cohort, kind="hr-report")][-1:]
    raw = figures(config, store, store.frame(evaluations, cohort_id=config.cohort))
    raw["learning_pairs"] = len(pair_outcomes(store, config.cohort))
    report = read_files(Path(html).parent, config.cohort)
    assert report.counts and report.periods and report.groupings
    found = leaks([report], truth_of(raw, config.cohort))
    assert not found, "\n".join(found)


def test_an_earlier_cohort_is_compared_with_what_its_own_report_published(tmp_path):
    """Not its raw numbers: a count that cohort's report suppressed stays suppressed in every later report,
    and a cohort without an HR report shows no numbers at all."""
    import datetime as dt

    from mentorflow.reports.hr_figures import comparison
    from mentorflow.store import Store, cohorts

    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.upgrade()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with store.engine.begin() as conn:
        for i, c in enumerate(("old", "running", "new")):
            conn.execute(cohorts.insert().values(cohort_id=c, name=c.title(), program_type="traditional",
                                                 config_json="{}", created_at=start + dt.timedelta(days=i)))
    export = tmp_path / "hr-report-comparison.csv"
    export.write_text("cohort,name,program_type,applied,pairs,goals_met,satisfaction,nps\n"
                      "old,Old,traditional,41,suppressed,52%,3.65,-5\n", encoding="utf-8")
    store.record_report("old", "hr-report-comparison-csv", str(export))
    rows = comparison(store, "new")
    assert [r["cohort"] for r in rows] == ["old", "running", "new"]
    assert rows[0]["published"] == {"applied": "41", "pairs": "suppressed", "goals_met": "52%",
                                    "satisfaction": "3.65", "nps": "-5"}
    assert rows[1]["published"] is None and rows[2]["current"]
    raw = demo_figures()
    raw["comparison"] = [*rows[:2], {**raw["comparison"][0], "cohort": "new"}]
    shown = publishable(raw)["comparison"]
    assert [(r["applied"], r["pairs"], r["goals_met"]) for r in shown] == [
        ("41", "suppressed", "52%"), ("no report yet", "no report yet", "no report yet"), ("181", "107", "52%")]
    store.engine.dispose()


# -- the committee's fairness audit and who is told what -------------------------------------------------------


def _audit_people():
    import pandas as pd

    ids = [f"E{i}" for i in range(23)]
    return ids, pd.DataFrame({
        "employee_id": ids, "department": ["A"] * 10 + ["B"] * 10 + ["C"] * 3, "level": 2, "location": "X",
        "gender": ["f"] * 12 + ["m"] * 11, "ethnicity": ["x"] * 20 + ["y"] * 3, "demographics_consent": True,
        "on_pip": False})


def test_the_committee_audit_keeps_small_groups_from_being_worked_out_of_the_totals():
    """Departments add up to everyone who looked for a partner, and every demographic grouping to the people
    who consented (which the genders tell): primary suppression alone gives away department C and ethnicity y."""
    import pandas as pd
    import pulp
    from mentorflow.matching import fairness
    from mentorflow.reports.matches import published_audit

    ids, people = _audit_people()
    matched = ids[:8] + ids[10:13] + ids[20:21]
    pairs = pd.DataFrame({"mentor_id": [f"M{i}" for i in range(len(matched))], "mentee_id": matched, "score": 0.6})
    rows = published_audit(fairness.audit(people, ids, pairs)).rows
    shown = {(r.grouping, r.group): r.people for r in rows}
    assert shown[("department", "C")] == shown[("ethnicity", "y")] == "suppressed"
    # an attacker who knows how many looked for a partner (the report lists them all)
    for sense in (pulp.LpMinimize, pulp.LpMaximize):
        for target in [key for key, text in shown.items() if text == "suppressed"]:
            prob = pulp.LpProblem("committee", sense)
            x = {key: pulp.LpVariable(f"x{i}", lowBound=0, cat="Integer") for i, key in enumerate(shown)}
            consented = pulp.LpVariable("consented", lowBound=0, cat="Integer")
            for key, text in shown.items():
                if text != "suppressed":
                    prob += x[key] == int(text)
            for grouping in {g for g, _ in shown}:
                total = consented if grouping in fairness.DEMOGRAPHICS else len(ids)
                prob += pulp.lpSum(v for (g, _), v in x.items() if g == grouping) == total
            prob.setObjective(x[target])
            status = pulp.LpStatus[prob.solve(pulp.PULP_CBC_CMD(msg=0))]
            if sense == pulp.LpMaximize and status == "Unbounded":
                continue
            assert status == "Optimal", (target, status)
            value = pulp.value(x[target])
            assert value >= 5 if sense == pulp.LpMaximize else value <= 18, (target, value)


def test_the_committee_never_learns_who_is_on_a_performance_plan():
    from types import SimpleNamespace

    from mentorflow.reports.matches import match_report_context
    from mentorflow.reports.render import render_report

    ids, people = _audit_people()
    people.loc[people["employee_id"] == "E22", "on_pip"] = True
    config = SimpleNamespace(cohort="c", name="C", program_type=SimpleNamespace(value="traditional"))
    pairs = [{"mentor_id": "E0", "mentee_id": "E1", "score": 0.7, "explanation": "skills"}]
    left = [{"employee_id": "E22", "reason": "on a performance improvement plan"},
            {"employee_id": "E5", "reason": "no eligible mentor offers sql"}]
    context = match_report_context(config, "initial", pairs, left, people, {"E22": "mentee", "E5": "mentee"})
    assert [u["reason"] for u in context["unmatched"]] == ["not eligible under the cohort's eligibility rules",
                                                          "no eligible mentor offers sql"]
    assert all("on_pip" not in p for pair in context["pairs"] for p in (pair["mentor"], pair["mentee"]))
    html = render_report(config, "matches.html", context)
    assert "improvement plan" not in html and "not eligible under the cohort" in html
