"""The HR report: every number equals an independent recomputation from the program store,
small cells are suppressed, the HTML renders with its charts in Chromium, the PDF says the same."""

from __future__ import annotations

import csv
import re

import pytest
import sqlalchemy as sa
from browser_fixtures import SHOTS, chromium, needs_chromium
from mentorflow import settings
from mentorflow.reports.disclosure import SUPPRESSED
from mentorflow.reports.hr_figures import figures, publishable
from mentorflow.reports.render import MIN_CELL
from mentorflow.store import evaluations

TOOK_PART = ("approved", "active", "ended", "completed")  # a pair, circle seat or written mentoring that ran

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


@pytest.fixture(autouse=True)
def mentorflow_home(completed_cohort):
    return settings.home()


def sql(store, query: str, **params):
    with store.engine.connect() as conn:
        return conn.execute(sa.text(query), params).scalar()


def recomputed_funnel(store, cohort: str) -> dict[str, int]:
    """The funnel in plain SQL, independent of the report code."""
    paired = "status IN ('approved','active','ended','completed')"
    people_in = ("SELECT COUNT(*) FROM (SELECT mentor_id AS p FROM matches WHERE cohort_id=:c AND {w} "
                 "UNION SELECT mentee_id FROM matches WHERE cohort_id=:c AND {w}) AS x")
    met = f"{paired} AND match_id IN (SELECT match_id FROM pulse_responses WHERE cohort_id=:c AND meetings > 0)"
    return {
        "invited": sql(store, "SELECT COUNT(*) FROM email_ledger WHERE cohort_id=:c AND template='invitation' AND status='sent'", c=cohort),
        "applied": sql(store, "SELECT COUNT(*) FROM applications WHERE cohort_id=:c", c=cohort),
        "valid": sql(store, "SELECT COUNT(*) FROM applications WHERE cohort_id=:c AND status='valid'", c=cohort),
        "matched": sql(store, people_in.format(w=paired), c=cohort),
        "active": sql(store, people_in.format(w=met), c=cohort),
        "completed": sql(store, people_in.format(w="status='completed'"), c=cohort),
        "evaluated": sql(store, "SELECT COUNT(*) FROM evaluations WHERE cohort_id=:c", c=cohort),
    }


def agrees(printed: str, n: int) -> bool:
    """A printed count is the recomputed one or "suppressed" (complementary suppression may hide any
    count), and a group of 1 to MIN_CELL - 1 people is always suppressed."""
    return printed == SUPPRESSED if 0 < n < MIN_CELL else printed in (str(n), SUPPRESSED)


def agrees_rate(printed: str, part: int, whole: int) -> bool:
    if part < MIN_CELL and not (part == 0 and whole >= MIN_CELL) or whole < MIN_CELL:
        return printed == SUPPRESSED
    return printed in (f"{100 * part / whole:.0f}%", SUPPRESSED)


def test_funnel_in_html_and_csv_equals_sql_recomputation(completed_cohort):
    config, store, _, _ = completed_cohort
    expected = recomputed_funnel(store, config.cohort)
    assert expected["applied"] >= expected["valid"] >= expected["matched"] > 0
    html = (settings.reports_dir(config.cohort) / "hr-report.html").read_text()
    with (settings.reports_dir(config.cohort) / "hr-report-funnel.csv").open() as handle:
        exported = {r["stage"]: r["people"] for r in csv.DictReader(handle)}
    assert exported.keys() == expected.keys()
    for stage, n in expected.items():
        assert agrees(exported[stage], n), (stage, exported[stage], n)
        assert re.search(rf'class="funnel-{stage}">{re.escape(exported[stage])}<', html), stage
    assert exported["applied"] == str(expected["applied"]) and exported["matched"] == str(expected["matched"])


def test_outcomes_equal_sql_recomputation(completed_cohort):
    config, store, _, _ = completed_cohort
    n = sql(store, "SELECT COUNT(*) FROM evaluations WHERE cohort_id=:c", c=config.cohort)
    mean_sat = sql(store, "SELECT AVG(satisfaction * 1.0) FROM evaluations WHERE cohort_id=:c", c=config.cohort)
    promoters = sql(store, "SELECT COUNT(*) FROM evaluations WHERE cohort_id=:c AND recommend >= 9", c=config.cohort)
    detractors = sql(store, "SELECT COUNT(*) FROM evaluations WHERE cohort_id=:c AND recommend <= 6", c=config.cohort)
    with (settings.reports_dir(config.cohort) / "hr-report-outcomes.csv").open() as handle:
        overall = next(r for r in csv.DictReader(handle) if r["group"] == "all")
    assert n >= MIN_CELL and overall["respondents"] == str(n)
    assert overall["satisfaction"] == f"{float(mean_sat):.2f}"
    assert overall["nps"] == f"{round(100 * (promoters - detractors) / n):+d}"


def test_fairness_rows_equal_sql_and_small_groups_are_suppressed(completed_cohort):
    config, store, _, _ = completed_cohort
    with (settings.reports_dir(config.cohort) / "hr-report-by-department.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    join = ("FROM applications a JOIN people p ON p.cohort_id=a.cohort_id AND p.employee_id=a.employee_id "
            "WHERE a.cohort_id=:c AND p.department=:d")
    matched = ("AND a.employee_id IN (SELECT mentor_id FROM matches WHERE cohort_id=:c AND status IN "
               "('approved','active','ended','completed') UNION SELECT mentee_id FROM matches WHERE cohort_id=:c "
               "AND status IN ('approved','active','ended','completed'))")
    for row in rows:
        applied = sql(store, f"SELECT COUNT(*) {join}", c=config.cohort, d=row["department"])
        paired = sql(store, f"SELECT COUNT(*) {join} {matched}", c=config.cohort, d=row["department"])
        assert agrees(row["applied"], applied) and agrees(row["matched"], paired), (row, applied, paired)
        assert agrees_rate(row["match_rate"], paired, applied), (row, applied, paired)
        if SUPPRESSED in (row["applied"], row["matched"]):
            assert row["match_rate"] == SUPPRESSED
    assert any(row["applied"] != SUPPRESSED for row in rows)


def test_suppression_hides_every_small_group_and_small_mean():
    raw = {
        "funnel": [("invited", 40), ("applied", 4)], "pairs_total": 3, "mean_match_score": 0.5,
        "careers": {"participants": {"people": 4, "retained": 4, "promoted": 2},
                    "non-participants": {"people": 40, "retained": 36, "promoted": 3}},
        "median_meetings": 2.0, "score_histogram": [{"label": "0.5", "count": 3, "height": 100}],
        "groups": {"department": [{"department": "Legal", "applied": 3, "matched": 2},
                                  {"department": "Eng", "applied": 30, "matched": 4}]},
        "outcomes": {"all": {"n": 4, "goals_met_rate": 0.75, "satisfaction": 4.5, "nps": 50}},
        "mentor_effectiveness": [4.0, 2.0], "health": [], "comparison": [],
        "rematch": {"initial": {"pairs": 3, "completed": 3, "mentee_n": 2, "mentee_goals_met_rate": 1.0,
                                "mentee_satisfaction": 5.0, "mentee_nps": 100},
                    "midpoint": {"pairs": 0, "completed": 0, "mentee_n": 0, "mentee_goals_met_rate": None,
                                 "mentee_satisfaction": None, "mentee_nps": None}, "ended": 1},
    }
    view = publishable(raw)
    assert [r["count"] for r in view["funnel"]] == ["40", "suppressed"]
    legal, eng = view["groups"]["department"]
    assert (legal["applied"], legal["matched"], legal["match_rate"]) == ("suppressed", "suppressed", "suppressed")
    assert (eng["applied"], eng["matched"], eng["match_rate"]) == ("30", "suppressed", "suppressed")
    assert view["outcomes"]["all"] == {"respondents": "suppressed", "goals_met": "suppressed",
                                       "satisfaction": "suppressed", "nps": "suppressed"}
    assert view["effectiveness"] is None and view["score_histogram"] == []
    assert view["mean_match_score"] == "suppressed"
    assert view["careers"] == [
        {"group": "participants", "people": "suppressed", "retention": "suppressed", "promotion": "suppressed"},
        {"group": "non-participants", "people": "40", "retention": "90%", "promotion": "suppressed"}]


def test_complementary_suppression_keeps_a_small_group_from_being_worked_out_of_the_totals():
    """Primary suppression alone would let HR subtract: Legal = 40 - 36 applied."""
    raw = {
        "funnel": [("invited", 60), ("applied", 40), ("matched", 30)], "pairs_total": 15, "mean_match_score": 0.5,
        "careers": None, "median_meetings": 2.0, "score_histogram": [], "health": [], "comparison": [],
        "groups": {"department": [{"department": "Legal", "applied": 4, "matched": 3},
                                  {"department": "Eng", "applied": 20, "matched": 15},
                                  {"department": "Ops", "applied": 16, "matched": 12}]},
        "outcomes": {"all": {"n": 20, "goals_met_rate": 0.5, "satisfaction": 4.0, "nps": 10}},
        "mentor_effectiveness": [4.0] * 6,
        "rematch": {"initial": {"pairs": 15, "completed": 15, "mentee_n": 10, "mentee_goals_met_rate": 0.5,
                                "mentee_satisfaction": 4.0, "mentee_nps": 10},
                    "midpoint": {"pairs": 0, "completed": 0, "mentee_n": 0, "mentee_goals_met_rate": None,
                                 "mentee_satisfaction": None, "mentee_nps": None}, "ended": 0},
    }
    legal, eng, ops = publishable(raw)["groups"]["department"]
    assert legal["applied"] == legal["matched"] == SUPPRESSED
    assert SUPPRESSED in (eng["applied"], ops["applied"]) and SUPPRESSED in (eng["matched"], ops["matched"])


def test_no_comment_and_no_name_reaches_the_report(completed_cohort):
    config, store, _, _ = completed_cohort
    html = (settings.reports_dir(config.cohort) / "hr-report.html").read_text()
    with store.engine.connect() as conn:
        comments = [r[0] for r in conn.execute(sa.text("SELECT comment FROM evaluations WHERE comment <> ''"))]
        names = [r[0] for r in conn.execute(sa.text("SELECT full_name FROM people"))]
    assert comments and not any(c in html for c in comments)
    assert not any(n in html for n in names)


def test_pdf_carries_the_same_numbers(completed_cohort):
    from pypdf import PdfReader

    config, store, _, _ = completed_cohort
    text = "\n".join(page.extract_text() for page in PdfReader(settings.reports_dir(config.cohort) / "hr-report.pdf").pages)
    view = publishable(figures(config, store, store.frame(evaluations, cohort_id=config.cohort)))
    for row in view["funnel"]:
        assert row["stage"] in text and row["count"] in text
    assert view["outcomes"]["all"]["satisfaction"] in text and view["mean_match_score"] in text
    for row in view["groups"]["department"]:
        assert f"{row['group']} {row['applied']} {row['matched']} {row['match_rate']}" in " ".join(text.split())


@needs_chromium
def test_html_renders_offline_in_chromium_with_every_chart_visible(completed_cohort, request):
    config, store, _, _ = completed_cohort
    view = publishable(figures(config, store, store.frame(evaluations, cohort_id=config.cohort)))
    report = settings.reports_dir(config.cohort) / "hr-report.html"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        charts = page.locator("svg[role=img]")
        # funnel, health over time, and the score histogram unless the number of pairs is suppressed
        assert charts.count() == (3 if view["score_histogram"] else 2)
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 100 and box["height"] > 50
            assert charts.nth(i).locator("rect").count() > 0
        page.screenshot(path=str(SHOTS / f"hr-report-{request.node.callspec.id}.png"), full_page=True)
    assert [u for u in requests if not u.startswith("file://")] == []  # self-contained: no network at all


def test_retention_and_promotion_equal_a_recomputation_from_the_closeout_export(completed_cohort):
    import datetime as dt

    config, store, _, _ = completed_cohort
    # a circle seat or written mentoring offered and not taken (status declined) is no participation
    export = {r["employee_id"]: r for r in csv.DictReader(config.resolve(config.sources.closeout_roster_csv).open())}
    kickoff = config.at(config.calendar.kickoff).date()
    with store.engine.connect() as conn:
        eligible = {r[0] for r in conn.execute(sa.text(
            "SELECT employee_id FROM people WHERE cohort_id=:c AND eligible"), {"c": config.cohort})}
        paired = {r[0] for r in conn.execute(sa.text(
            "SELECT mentor_id FROM matches WHERE cohort_id=:c AND status IN :took UNION "
            "SELECT mentee_id FROM matches WHERE cohort_id=:c AND status IN :took").bindparams(
            sa.bindparam("took", expanding=True)), {"c": config.cohort, "took": list(TOOK_PART)})}
    expected = {}
    for group, members in (("participants", eligible & paired), ("non-participants", eligible - paired)):
        rows = [export[p] for p in members if p in export]
        retained = sum(r["employment_status"] == "active" for r in rows)
        promoted = sum(bool(r["last_promotion_date"]) and dt.date.fromisoformat(r["last_promotion_date"]) >= kickoff
                       for r in rows)
        expected[group] = (len(rows), retained, promoted)
    with (settings.reports_dir(config.cohort) / "hr-report-careers.csv").open() as handle:
        exported = {r["group"]: r for r in csv.DictReader(handle)}
    assert exported.keys() == expected.keys()
    for group, (people, retained, promoted) in expected.items():
        row = exported[group]
        assert agrees(row["people"], people), (group, row, people)
        assert agrees_rate(row["retention"], retained, people) and agrees_rate(row["promotion"], promoted, people), row
    assert exported["participants"]["people"] == str(expected["participants"][0])
    assert 'id="careers"' in (settings.reports_dir(config.cohort) / "hr-report.html").read_text()
