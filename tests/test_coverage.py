"""Coverage: every applicant is counted once under the outcome they got (one-to-one, circle, async, waitlist,
nothing), the committee's report and the HR report show it by department, level and location without a
group under five people being printed or worked out of the totals, and the HR report's PDF and CSV carry the
same figures as its HTML section."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from conftest import ready_store, run_to_kickoff, write_cohort
from disclosure_attack import leaks, read_view
from mentorflow.contract.disclosure import MIN_CELL
from mentorflow.reports import coverage, coverage_view
from mentorflow.reports.disclosure import SUPPRESSED
from test_disclosure import demo_figures, truth_of

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def pair(rnd: str, mentor: str, mentee: str, status: str, group_id: int | None = None) -> dict:
    return {"round": rnd, "mentor_id": mentor, "mentee_id": mentee, "status": status, "group_id": group_id}


def wait(person: str, status: str, since: dt.datetime, placed: dt.datetime | None = None) -> dict:
    return {"employee_id": person, "role": "mentee", "status": status, "waiting_since": since, "placed_at": placed}


# -- the classification on a hand-made set ---------------------------------------------------------------------


def test_each_outcome_once_by_precedence():
    pairs = [
        pair("initial", "M1", "A", "active"),                    # A and M1: one-to-one
        pair("circle", "M1", "A", "active", 1),                  # ... and a circle too: one-to-one wins
        pair("midpoint", "M2", "H", "ended"),                    # H: a pair that is over still counts
        pair("circle", "L", "B", "active", 2),                   # B: a circle seat; L: leads it, no one-to-one mentee
        pair("async", "M3", "C", "completed"),                   # C and M3: written mentoring
        pair("circle", "L", "C", "active", 2),                   # ... but C's circle seat comes first
        pair("initial", "M4", "G", "proposed"),                  # G: only proposed, never approved
        pair("circle", "L", "G", "declined", 2),                 # ... and a declined seat: nothing
        pair("async", "M3", "E", "offered"),                     # E: offered, chose none
    ]
    waiting = [wait("B", "waiting", T0), wait("C", "waiting", T0), wait("D", "waiting", T0),
               wait("E", "waiting", T0), wait("H", "waiting", T0), wait("K", "carried", T0), wait("F", "left", T0)]
    offer_rows = [{"employee_id": "E", "choice": "none"}, {"employee_id": "D", "choice": "waitlist"}]
    applicants = ["A", "M1", "H", "B", "L", "C", "M3", "D", "K", "E", "F", "G"]
    got = coverage.classify(applicants, pairs, offer_rows, waiting)
    assert got == {"A": "one_to_one", "M1": "one_to_one", "H": "one_to_one", "B": "circle", "L": "circle",
                   "C": "circle", "M3": "async", "D": "waitlist", "K": "waitlist", "E": "nothing", "F": "nothing",
                   "G": "nothing"}
    assert set(got.values()) == set(coverage.OUTCOMES)


def test_people_who_did_not_apply_are_not_counted():
    got = coverage.classify(["A"], [pair("initial", "X", "A", "active")], [], [wait("Z", "waiting", T0)])
    assert got == {"A": "one_to_one"}


def random_world(seed: int, n: int = 150):
    rng = random.Random(seed)
    ids = [f"P{i}" for i in range(n)]
    roster = {p: {"employee_id": p, "department": rng.choice(["Eng", "Ops", "Legal", "Sales"]),
                  "level": rng.choice([1, 2, 3, 3.0, None]), "location": rng.choice(["Berlin", "Remote"])} for p in ids}
    statuses = ("proposed", "approved", "active", "ended", "completed", "offered", "declined")
    pairs = [pair(rng.choice(("initial", "midpoint", "circle", "async")), rng.choice(ids), rng.choice(ids),
                  rng.choice(statuses)) for _ in range(n // 2)]
    waiting = [wait(p, rng.choice(("waiting", "carried", "placed", "left")), T0 - dt.timedelta(days=rng.randint(0, 90)),
                    T0) for p in rng.sample(ids, n // 3)]
    offer_rows = [{"employee_id": p, "choice": rng.choice((None, "none", "circle", "waitlist"))}
                  for p in rng.sample(ids, n // 3)]
    applicants = rng.sample(ids, n * 4 // 5)
    return applicants, roster, pairs, offer_rows, waiting


@pytest.mark.parametrize("seed", range(5))
def test_every_applicant_is_in_exactly_one_class_and_the_totals_add_up(seed):
    applicants, roster, pairs, offer_rows, waiting = random_world(seed)
    outcomes = coverage.classify(applicants, pairs, offer_rows, waiting)
    assert sorted(outcomes) == sorted(applicants) and set(outcomes.values()) <= set(coverage.OUTCOMES)
    table = coverage.tally(outcomes, roster)
    assert table["applicants"] == len(applicants) == sum(table["total"].values())
    for grouping, rows in table["groups"].items():
        for row in rows:
            assert row["applicants"] == sum(row[c] for c in coverage.COLUMNS)
            assert all(not 0 < row[k] < MIN_CELL for k in ("applicants", *coverage.COLUMNS)) or row is rows[-1]
        known = sum(1 for a in applicants if roster[a][grouping] is not None)
        assert sum(r["applicants"] for r in rows) == known
        if known == len(applicants):
            for column, members in coverage.COLUMNS.items():
                assert sum(r[column] for r in rows) == sum(table["total"][c] for c in members)
    names = [m for r in table["groups"]["level"] for m in r.get("members", [r["group"]])]
    assert "3.0" not in names and len(names) == len(set(names))  # a level read as 3.0 is level 3
    split = coverage.proposal_outcomes(applicants, [p for p in pairs if p["status"] == "proposed"])
    assert sorted(split) == sorted(applicants) and set(split.values()) <= set(coverage.PROPOSAL)


def test_waits_in_whole_days_to_the_placement_or_the_report():
    moment = T0 + dt.timedelta(days=40)
    rows = [wait("A", "placed", T0, T0 + dt.timedelta(days=10, hours=5)), wait("B", "placed", T0, T0 + dt.timedelta(days=20)),
            wait("C", "waiting", T0 + dt.timedelta(days=30)), wait("D", "carried", T0.replace(tzinfo=None)),
            wait("E", "left", T0), wait("F", "placed", T0, None)]
    got = coverage.waits(rows, moment)
    assert got["placed"] == {"n": 2, "median": 15, "max": 20}
    assert got["waiting"] == {"n": 2, "median": 25, "max": 40}
    assert got["all"] == {"n": 4, "median": 15, "max": 40}


# -- suppression -------------------------------------------------------------------------------------------------


def demo_with_coverage() -> dict:
    """The 300-people demo's HR figures with a department of three applicants (Legal), and what every applicant
    got: people with the same marginals as the fairness rows, the matched ones one-to-one, the rest spread over
    circles, async, the waitlist and nothing."""
    raw = demo_figures()
    raw["groups"]["department"] = [r for r in raw["groups"]["department"] if r["department"] != "Sales"] + [
        {"department": "Sales", "applied": 16, "matched": 14}, {"department": "Legal", "applied": 3, "matched": 2}]
    labels = {}
    for grouping, rows in raw["groups"].items():
        matched = [r[grouping] for r in rows for _ in range(r["matched"])]
        rest = [r[grouping] for r in rows for _ in range(r["applied"] - r["matched"])]
        labels[grouping] = matched + rest
    people = len(labels["department"])
    funnel = dict(raw["funnel"])
    invalid = funnel["applied"] - funnel["valid"]
    roster = {f"P{i}": {g: labels[g][i] for g in labels} for i in range(people)}
    spread = ("circle", "async", "waitlist", "nothing", "circle", "waitlist")
    outcomes = {f"P{i}": "one_to_one" if i < funnel["matched"] else spread[i % len(spread)]
                for i in range(people - invalid)}
    waiting = sum(1 for o in outcomes.values() if o == "waitlist")
    raw["coverage"] = {**coverage.tally(outcomes, roster, applied=list(roster)),
                       "waits": {"placed": {"n": 6, "median": 12, "max": 30}, "waiting": {"n": waiting, "median": 20, "max": 41},
                                 "all": {"n": 6 + waiting, "median": 19, "max": 41}}}
    return raw


def coverage_truth(raw: dict, cohort: str) -> dict[str, int]:
    t = {f"{cohort}/coverage.{c}": n for c, n in raw["coverage"]["total"].items()}
    for grouping, rows in raw["coverage"]["groups"].items():
        for r in rows:
            for key in ("applicants", *coverage.COLUMNS):
                t[f"{cohort}/coverage.{grouping}.{r['group']}.{key}"] = r[key]
    for key, w in raw["coverage"]["waits"].items():
        t[f"{cohort}/coverage.wait.{key}"] = w["n"]
    return t


def test_a_small_department_is_hidden_and_cannot_be_worked_out_of_the_totals():
    from mentorflow.reports.hr_figures import publishable

    raw = demo_with_coverage()
    view = publishable(raw)
    rows = {r["group"]: r for r in view["coverage"]["groups"]["department"]}
    # Legal (three applications, two valid) has no row of its own: it is counted with other departments, so
    # subtracting the departments shown from the totals gives several departments' people, never Legal's
    assert "Legal" not in rows
    other = rows["other departments"]
    assert "Legal" in other["members"] and len(other["members"].split(", ")) >= 3
    level7 = next(r for r in view["coverage"]["groups"]["level"] if "7" in r["members"].split(", "))
    assert level7["group"] == "other levels"
    printed = [r[k] for g in view["coverage"]["groups"].values() for r in g for k in ("applicants", *coverage.COLUMNS)]
    assert all(p == SUPPRESSED or not 0 < int(p) < MIN_CELL for p in printed)
    found = leaks([read_view(view, "demo-cohort")], truth_of(raw, "demo-cohort") | coverage_truth(raw, "demo-cohort"))
    assert not found, "\n".join(found)
    assert publishable(raw) == view  # the same figures give the same report


def test_the_attacker_recovers_the_small_department_when_it_is_printed_on_its_own(monkeypatch):
    """Not vacuous: with each department on its own row and only primary suppression, the attacker works Legal's
    applicants out of the totals."""
    from mentorflow.reports import hr_figures
    from mentorflow.reports.disclosure import Publication

    monkeypatch.setattr(coverage, "merged", lambda rows, name: rows)
    monkeypatch.setattr(hr_figures, "publish", lambda problem: Publication(problem, frozenset(problem.primary())))
    raw = demo_with_coverage()
    found = leaks([read_view(hr_figures.publishable(raw), "demo-cohort")],
                  truth_of(raw, "demo-cohort") | coverage_truth(raw, "demo-cohort"))
    assert "suppressed demo-cohort/coverage.department.Legal.applicants in [2, 2]" in found


def test_wait_times_over_fewer_than_min_cell_people_are_suppressed():
    from mentorflow.reports.hr_figures import publishable

    raw = demo_with_coverage()
    raw["coverage"]["waits"]["placed"] = {"n": 3, "median": 12, "max": 30}
    raw["coverage"]["waits"]["all"]["n"] = 3 + raw["coverage"]["waits"]["waiting"]["n"]
    waits = {w["who"]: w for w in publishable(raw)["coverage"]["waits"]}
    placed = waits[coverage.WAITS["placed"]]
    assert placed["people"] == SUPPRESSED and placed["median_days"] == SUPPRESSED and placed["max_days"] == SUPPRESSED
    assert waits[coverage.WAITS["all"]]["people"] == SUPPRESSED  # else "all" minus "still waiting" gives the 3
    still = waits[coverage.WAITS["waiting"]]
    assert still["median_days"] == "20" and still["max_days"] == "41"


def test_the_committee_table_counts_a_small_department_with_others():
    people = [{"employee_id": f"P{i}", "department": dept, "level": 2, "location": "Berlin"}
              for i, dept in enumerate(["Eng"] * 12 + ["Ops"] * 9 + ["Legal"] * 2)]
    apps = [{"employee_id": p["employee_id"], "status": "valid"} for p in people] + [
        {"employee_id": "X", "status": "quarantined"}]
    proposal = [pair("initial", "P0", "P1", "proposed"), pair("initial", "P2", "P3", "proposed"),
                pair("initial", "P12", "P13", "proposed"), pair("initial", "P14", "P15", "proposed"),
                pair("initial", "P21", "P4", "proposed")]
    held = [pair("initial", "P5", "P6", "active")]
    v = coverage_view.committee_view(apps, people, proposal, held)
    assert v["applicants"] == "23"
    assert {o["class"]: o["people"] for o in v["outcomes"]} == {"one_to_one": "12", "alternatives": "11"}
    rows = {r["group"]: r for r in v["groups"]["department"]}
    assert rows["Eng"] == {"group": "Eng", "members": "", "applicants": "12", "one_to_one": "7", "alternatives": "5"}
    assert rows["other departments"] == {"group": "other departments", "members": "Legal, Ops", "applicants": "11",
                                         "one_to_one": "5", "alternatives": "6"}
    line = coverage_view.committee_line(v)
    assert "12 of 23 applicants have a one-to-one partner" in line and "11 will be offered alternatives" in line


# -- the reports of a real cohort ----------------------------------------------------------------------------


@pytest.fixture
def kicked_off(cohorts_dir):
    """A cohort run to kickoff, then what the alternatives and waitlist steps would have written: a circle, a
    written-mentoring pair, people waiting, one placed, one who chose none."""
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.demo.synthetic import write_population
    from mentorflow.store import applications, matches, offers, waitlist

    write_population(cohorts_dir / "data", 90, seed=5)
    config = load_cohort(write_cohort(cohorts_dir, committee={"review_mode": "auto"}))
    store = ready_store(config)
    run_to_kickoff(config, store)
    c = config.cohort
    # mentors scarcer than the matcher found them: a dozen pairs never were
    dropped = [m["match_id"] for m in sorted(store.rows(matches, cohort_id=c), key=lambda m: m["match_id"])][-12:]
    with store.begin() as conn:
        conn.execute(matches.delete().where(matches.c.match_id.in_(dropped)))
    paired = {p for m in store.rows(matches, cohort_id=c) for p in (m["mentor_id"], m["mentee_id"])}
    valid = {a["employee_id"] for a in store.rows(applications, cohort_id=c, status="valid")}
    left = sorted(valid - paired)
    assert len(left) >= 12, "the population leaves too few applicants without a partner for this test"
    leader = min(m["mentor_id"] for m in store.rows(matches, cohort_id=c))  # leads a circle, has a mentee
    circle, written, waiting, none = left[:4], left[4:5], left[5:11], left[11:12]
    row = {"cohort_id": c, "score": 0.5, "explanation": "x", "created_at": T0}
    store.upsert(matches, [{**row, "round": "circle", "mentor_id": leader, "mentee_id": p, "status": "active",
                            "group_id": 1} for p in circle] +
                 [{**row, "round": "async", "mentor_id": leader, "mentee_id": written[0], "status": "active", "group_id": None}])
    store.upsert(offers, [{"cohort_id": c, "employee_id": p, "role": "mentee", "reason": "r", "options": "waitlist",
                           "choice": "none" if p in none else "waitlist", "status": "chosen"} for p in waiting + none])
    moment = dt.datetime(2026, 1, 5, 10, 40, tzinfo=UTC)
    store.upsert(waitlist, [{"cohort_id": c, "employee_id": p, "role": "mentee", "status": "waiting",
                             "waiting_since": moment - dt.timedelta(days=3 + i), "joined_at": moment}
                            for i, p in enumerate(waiting)] +
                 [{"cohort_id": c, "employee_id": none[0], "role": "mentee", "status": "left", "waiting_since": moment,
                   "joined_at": moment}])
    return config, store, {"paired": paired, "circle": set(circle), "async": set(written),
                           "waitlist": set(waiting), "none": set(none)}


def test_the_hr_report_has_the_coverage_section_in_html_pdf_and_csv(kicked_off):
    import csv

    from mentorflow.reports import hr
    from mentorflow.reports.hr_figures import figures, publishable
    from mentorflow.store import evaluations
    from pypdf import PdfReader

    config, store, made = kicked_off
    moment = dt.datetime(2026, 1, 5, 10, 40, tzinfo=UTC)
    evals = store.frame(evaluations, cohort_id=config.cohort)
    raw = figures(config, store, evals, moment)
    cov = raw["coverage"]
    assert cov["applicants"] == dict(raw["funnel"])["valid"] == sum(cov["total"].values())
    assert cov["total"]["waitlist"] == len(made["waitlist"]) and cov["total"]["async"] == len(made["async"])
    assert cov["total"]["circle"] == len(made["circle"])
    assert cov["waits"]["waiting"] == {"n": 6, "median": 5.5, "max": 8}
    files = hr.write(config, store, evals, moment=moment)
    view = publishable({**raw, "learning_pairs": 0})["coverage"]
    html = files["html"].read_text(encoding="utf-8")
    assert '<section id="coverage">' in html
    for o in view["outcomes"]:
        assert f"<td>{o['outcome']}</td><td>{o['people']}</td><td>{o['share']}</td>" in html
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(files["pdf"]).pages).split())
    assert "Coverage: what every applicant got" in text
    assert f"Each of the {view['applicants']} people with a valid application" in text  # the HTML printed
    for o in view["outcomes"]:
        assert f"{o['outcome']} {o['people']} {o['share']}" in text
    for rows in view["groups"].values():
        for r in rows:
            group = f"{r['group']} ({r['members']})" if r["members"] else r["group"]
            assert " ".join([group, r["applicants"], *[r[c] for c in coverage.COLUMNS]]) in text
    for w in view["waits"]:
        assert f"{w['who']} {w['people']} {w['median_days']} {w['max_days']}" in text
    with files["coverage"].open(encoding="utf-8") as handle:
        assert [dict(r) for r in csv.DictReader(handle)] == coverage_view.table_rows(view)["coverage"]
    with files["coverage-by-group"].open(encoding="utf-8") as handle:
        assert [dict(r) for r in csv.DictReader(handle)] == [
            {k: str(x) for k, x in r.items()} for r in coverage_view.table_rows(view)["coverage-by-group"]]


def test_the_committee_text_and_report_carry_the_coverage_line(kicked_off):
    from mentorflow import settings
    from mentorflow.reports.matches import write_match_report
    from mentorflow.stages import match
    from mentorflow.store import applications

    config, store, made = kicked_off
    text = match.committee_summary(config, store, "initial")
    valid = {a["employee_id"] for a in store.rows(applications, cohort_id=config.cohort, status="valid")}
    one = len(valid & made["paired"])
    assert f"Coverage: {one} of {len(valid)} applicants have a one-to-one partner" in text
    assert f"{len(valid) - one} will be offered alternatives" in text
    write_match_report(config, store, "initial")
    html = (settings.reports_dir(config.cohort) / "matches-initial.html").read_text(encoding="utf-8")
    assert '<section id="coverage">' in html and f"<td>one-to-one partner</td><td>{one}</td>" in html


def test_after_the_alternatives_flow_every_applicant_has_the_outcome_they_chose(cohorts_dir):
    """The scarce cohort of the alternatives tests, through the offers and their deadline: coverage puts each
    applicant where the flow left them."""
    from alternatives_world import IDLE_MENTOR, MENTEES, MENTORS, scarce_world
    from conftest import run_of
    from mentorflow.cohorts import calendar
    from mentorflow.stages import alternatives
    from mentorflow.store import applications, matches, offers

    config, store = scarce_world(cohorts_dir)
    c = config.cohort
    alternatives.offer_alternatives(run_of(config, store, config.at(config.calendar.kickoff)))
    held = {o["employee_id"]: o for o in store.rows(offers, cohort_id=c)}
    circle = [e for e, o in held.items() if "circle" in o["options"]][:3]
    written = [e for e, o in held.items() if "async" in o["options"] and e not in circle][:1]
    none = [e for e in held if e not in circle + written][:1]
    with store.begin() as conn:
        for choice, people in (("circle", circle), ("async", written), ("none", none)):
            conn.execute(offers.update().where(offers.c.cohort_id == c, offers.c.employee_id.in_(people))
                         .values(choice=choice))
    deadline = calendar.offer_deadline(config)
    alternatives.start_alternatives(run_of(config, store, deadline))
    paired = {p for m in store.rows(matches, cohort_id=c, round="initial", status="active")
              for p in (m["mentor_id"], m["mentee_id"])}
    expected = {p: "one_to_one" for p in paired} | dict.fromkeys(circle, "circle") | dict.fromkeys(written, "async")
    expected |= dict.fromkeys(none, "nothing") | {IDLE_MENTOR: "nothing"}
    expected |= {e: "waitlist" for e in MENTEES if e not in expected}
    assert set(MENTORS) <= paired  # each mentor has a one-to-one mentee, whatever else they lead or answer
    src = coverage.load(store, c)
    valid = [a["employee_id"] for a in store.rows(applications, cohort_id=c, status="valid")]
    assert coverage.classify(valid, src.pairs, src.offers, src.waitlist) == expected
    fig = coverage.figures(store, c, deadline)
    assert sum(fig["total"].values()) == fig["applicants"] == len(valid)
    assert fig["waits"]["waiting"]["n"] == fig["total"]["waitlist"]


def test_groups_too_small_to_show_are_counted_together_or_not_at_all():
    def row(group, applicants, one, other):
        return {"group": group, "applied": applicants, "applicants": applicants, "one_to_one": one, "nothing": other}

    big, small, tiny = row("A", 20, 15, 5), row("B", 12, 9, 3), row("C", 2, 2, 0)
    assert coverage.merged([big, row("D", 10, 5, 5)], "other") == [big, row("D", 10, 5, 5)]
    assert coverage.merged([big, small, tiny], "other") == []  # merging B and C needs A too: only totals remain
    kept = coverage.merged([big, row("D", 10, 5, 5), small, tiny, row("E", 6, 4, 2)], "other")
    assert kept[:-1] == [big, row("D", 10, 5, 5)] and kept[-1]["members"] == ["B", "C", "E"]
    assert kept[-1] | {"members": None} == row("other", 20, 15, 5) | {"members": None}
    assert all(not 0 < kept[-1][k] < MIN_CELL for k in ("applied", "applicants", "one_to_one", "nothing"))
