"""Erasure and export of one person's data, and the retention purge (confidentiality issue, items 3 and 4),
on SQLite and PostgreSQL.

A small cohort runs to kickoff with pulse answers and an evaluation; one mentee asks to be erased.
Afterwards nothing in the store, the outbox or the report files names them or holds their words,
every count the HR report rests on is unchanged, and the erasure is recorded (who, when, not whom)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from conftest import run_of, run_to_kickoff, write_cohort
from mentorflow import settings
from mentorflow.cli.main import main
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.synthetic import write_population
from mentorflow.reports import matches as match_reports
from mentorflow.committee import audit
from mentorflow.store import committee_edits
from mentorflow.store import (
    Store,
    applications,
    email_ledger,
    erasures,
    evaluations,
    matches,
    metadata,
    people,
    pulse_responses,
    url_for,
)

SECRET_WORDS = "my manager makes me cry every Tuesday"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cohort(request, cohorts_dir):
    write_population(cohorts_dir / "data", 120, seed=31)
    overrides = {"committee": {"review_mode": "auto"}}
    if request.param == "postgresql":
        overrides["store"] = {"url": request.getfixturevalue("postgres_url")}
    config = load_cohort(write_cohort(cohorts_dir, **overrides))
    store = Store(url_for(config.store))
    if request.param == "postgresql":
        store.drop_all()
    store.upgrade()
    run_to_kickoff(config, store)
    pair = store.rows(matches, cohort_id=config.cohort, status="active")[0]
    now = dt.datetime.now(dt.timezone.utc)
    store.upsert(pulse_responses, [{"cohort_id": config.cohort, "period": "pulse-1", "match_id": pair["match_id"],
                                    "respondent_id": pair["mentee_id"], "meetings": 1, "satisfaction": 2,
                                    "goal_progress": 2, "follow_through": 3, "comment": SECRET_WORDS,
                                    "wants_end": False, "submitted_at": now}])
    store.upsert(evaluations, [{"cohort_id": config.cohort, "employee_id": pair["mentee_id"], "role": "mentee",
                                "goals_met": 3, "satisfaction": 3, "recommend": 8, "comment": SECRET_WORDS,
                                "valuable_topics": "negotiation", "submitted_at": now}])
    # the committee's trail and edits name people inside text, as pairs ("M:E") and swaps
    written = f"{pair['mentor_id']}:{pair['mentee_id']}"
    with store.begin() as conn:
        conn.execute(committee_edits.insert().values(
            cohort_id=config.cohort, round="initial", kind="forbid", mentor_id=pair["mentor_id"],
            mentee_id=pair["mentee_id"], via=f"swap {written} with E-OTHER:E-ANOTHER", added_by="chair", added_at=now))
    audit.record(store, config.cohort, "initial", "chair", "edit",
                 {"added": [f"forbid {written}"], "via": f"swap {written} with E-OTHER:E-ANOTHER"})
    audit.record(store, config.cohort, "initial", "chair", "resolve", {"removed": [written], "added": []})
    match_reports.write_match_report(config, store, "initial")
    yield config, store, pair["mentee_id"]
    if request.param == "postgresql":
        store.drop_all()
    store.engine.dispose()


def _everything(store: Store) -> str:
    """Every value of every table, as text."""
    with store.engine.connect() as conn:
        return "\n".join(repr(tuple(row)) for table in metadata.sorted_tables
                         for row in conn.execute(sa.select(table)))


def _counts(store: Store, cohort: str) -> dict[str, int]:
    return {"people": store.count(people, cohort_id=cohort), "applications": store.count(applications, cohort_id=cohort),
            "pairs": store.count(matches, cohort_id=cohort), "answers": store.count(pulse_responses, cohort_id=cohort),
            "evaluations": store.count(evaluations, cohort_id=cohort), "emails": store.count(email_ledger, cohort_id=cohort)}


def test_export_writes_everything_held_about_the_person(cohort, tmp_path):
    config, store, person = cohort
    out = tmp_path / "export.json"
    assert main(["person", "export", config.cohort, person, "--out", str(out)]) == 0
    held = json.loads(out.read_text())["cohorts"][config.cohort]
    assert held["people"][0]["employee_id"] == person and held["applications"][0]["goals"]
    assert held["pulse_responses"][0]["comment"] == SECRET_WORDS and held["evaluations"][0]["comment"] == SECRET_WORDS
    assert {m["mentee_id"] for m in held["matches"]} == {person}
    assert any(e["template"] == "kickoff" for e in held["emails"])
    assert all("goals" not in m for m in held["matches"])  # a partner's answers are the partner's


def test_erasure_leaves_no_trace_and_keeps_every_count(cohort):
    config, store, person = cohort
    (row,) = store.rows(people, cohort_id=config.cohort, employee_id=person)
    name, address = row["full_name"], row["email"]
    before = _counts(store, config.cohort)
    assert name in _everything(store) and person in _everything(store)

    assert main(["person", "erase", config.cohort, person, "--by", "dpo@example.com"]) == 0

    text = _everything(store)
    for trace in (person, name, address, SECRET_WORDS):
        assert trace not in text, trace
    assert _counts(store, config.cohort) == before
    outbox = settings.outbox_dir(config.cohort)
    assert not list(outbox.rglob(f"{person}.eml"))
    for path in settings.reports_dir(config.cohort).rglob("*.html"):
        page = path.read_text()
        assert name not in page and address not in page and person not in page, path
    regenerated = match_reports.write_match_report(config, store, "initial").read_text()
    assert name not in regenerated and person not in regenerated
    (record,) = store.rows(erasures)
    assert record["performed_by"] == "dpo@example.com" and record["scope"] == config.cohort
    assert person not in repr(record)


def test_erasure_across_all_cohorts_and_of_someone_unknown(cohort, capsys):
    config, store, person = cohort
    assert main(["person", "erase", "--all", "NOBODY-123"]) == 0
    assert "nothing held about NOBODY-123" in capsys.readouterr().out
    assert main(["person", "erase", "--all", person]) == 0
    assert person not in _everything(store)


def test_retention_purges_free_text_keeps_counts_and_the_hr_figures(cohort):
    from mentorflow.cohorts import calendar
    from mentorflow.reports.hr_figures import figures, publishable
    from mentorflow.stages import retention

    config, store, person = cohort
    before_counts = _counts(store, config.cohort)
    evals = store.frame(evaluations, cohort_id=config.cohort)
    before_view = publishable(figures(config, store, evals))
    goals = store.rows(applications, cohort_id=config.cohort, employee_id=person)[0]["goals"]
    assert goals and SECRET_WORDS in _everything(store)

    moment = calendar.retention_moment(config)
    summary = retention.purge_free_text(run_of(config, store, moment))
    assert summary["rows_purged"]["pulse_responses"] == 1 and summary["emails_deleted"] > 0

    text = _everything(store)
    assert SECRET_WORDS not in text and goals not in text
    assert _counts(store, config.cohort) == before_counts
    after_view = publishable(figures(config, store, store.frame(evaluations, cohort_id=config.cohort)))
    assert after_view["funnel"] == before_view["funnel"] and after_view["outcomes"] == before_view["outcomes"]
    assert not settings.outbox_dir(config.cohort).exists()
    assert retention.purge_free_text(run_of(config, store, moment))["rows_purged"] == {}  # a re-run changes nothing


def test_the_retention_run_is_on_the_cohort_calendar(cohorts_dir):
    from mentorflow.cohorts import calendar

    config = load_cohort(write_cohort(cohorts_dir, retention_days=30))
    moment = calendar.retention_moment(config)
    assert moment - calendar.closeout_dates(config)["report"] == dt.timedelta(days=30)
    assert calendar.scheduled_moments(config, "retention") == [moment]
    assert calendar.plan(config)[-1].stage == "retention"
