"""The partnership pages and a person's data (issue 18, point 5), on SQLite and PostgreSQL: erasure removes the
person's entries and words while every count HR's activity section rests on stays; the export gives the person
their own entries, their own private notes included, and never another member's."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from forms_fixtures import COHORT, make_world
from workspace_rows import agree, feedback, goal, log, secrets, step

from mentorflow.personal_data import erasure, export
from mentorflow.quality import stage_gates
from mentorflow.reports import activity
from mentorflow.store import (
    Store,
    agreements,
    goals,
    meeting_log,
    metadata,
    milestones,
    next_steps,
    quarantine,
    resource_feedback,
)

PAGE_TABLES = (agreements, goals, milestones, meeting_log, next_steps, resource_feedback)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, cohorts_dir, tmp_path):
    """E1 mentors E2 (pair-1), E3 mentors E4 (pair-2); every member of pair-1 wrote on the page."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        Store(url).drop_all()
    else:
        url = f"sqlite:///{tmp_path / 'store.db'}"
    config = make_world(cohorts_dir, url).config
    store = Store(url)
    day = config.at(config.calendar.kickoff).date() + dt.timedelta(days=3)
    for person in ("E1", "E2"):
        agree(store, COHORT, "pair-1", person)
        entry = log(store, COHORT, "pair-1", person, day, "call" if person == "E1" else "written")
        step(store, COHORT, "pair-1", person, entry)
        feedback(store, COHORT, "pair-1", person, "talk-7", rating=5)
    goal(store, COHORT, "pair-1", "E2", milestones_set=3, reached=2, by="E1")  # the mentee's goal, reached by both
    goal(store, COHORT, "pair-1", "E1", milestones_set=1, reached=1, by="E2")
    log(store, COHORT, "pair-1", "E2", day, minutes=2)  # held by the gate: its copy names E2
    stage_gates.check_workspace(config, store)
    yield config, store
    if request.param == "postgresql":
        store.drop_all()
    store.engine.dispose()


def _everything(store: Store) -> str:
    with store.engine.connect() as conn:
        return "\n".join(repr(tuple(row)) for table in metadata.sorted_tables for row in conn.execute(sa.select(table)))


def _counts(store: Store) -> dict[str, int]:
    return {t.name: store.count(t) for t in PAGE_TABLES}


def _mine(person: str) -> list[str]:
    s = secrets("pair-1", person)
    return [s[k] for k in ("note", "learn", "offer", "problem", "step")]


def test_erasure_removes_the_persons_entries_and_words_and_keeps_the_counts(world):
    config, store = world
    before_counts, before_figures = _counts(store), activity.figures(store, COHORT)
    e2_goal_stones = [f"{secrets('pair-1', 'E2')['stone']}-{i}" for i in range(3)]
    for text in [*_mine("E2"), secrets("pair-1", "E2")["goal"], *e2_goal_stones]:
        assert text in _everything(store)
    assert any('"E2"' in (r["row_json"] or "") for r in store.rows(quarantine, cohort_id=COHORT))

    plan = erasure.plan(store, COHORT, "E2")
    erasure.apply(store, plan, "dpo@example.com")

    text = _everything(store)
    for gone in [*_mine("E2"), secrets("pair-1", "E2")["goal"], *e2_goal_stones]:
        assert gone not in text, gone
    assert "'E2'" not in text and ":E2" not in text  # the id is pseudonymised everywhere, quarantine keys too
    for kept in [*_mine("E1"), secrets("pair-1", "E1")["goal"], f"{secrets('pair-1', 'E1')['stone']}-0"]:
        assert kept in text, kept  # the partner's own words are the partner's
    assert _counts(store) == before_counts
    assert activity.figures(store, COHORT) == before_figures  # HR's activity counts rest on the kept rows
    new = plan.pseudonym
    (theirs,) = store.rows(resource_feedback, cohort_id=COHORT, employee_id=new)
    assert theirs["done"] and theirs["rating"] is None  # marked done still counts; their opinion is gone
    assert {r["employee_id"] for r in store.rows(agreements, cohort_id=COHORT)} == {"E1", new}
    assert store.rows(agreements, cohort_id=COHORT, employee_id=new)[0]["wants_to_learn"] is None
    assert [g["title"] for g in store.rows(goals, cohort_id=COHORT, owner_id=new)] == [erasure.ERASED_NAME]
    assert {m["reached_by"] for m in store.rows(milestones)} == {"E1", new, None}
    assert all(r["private_note"] is None for r in store.rows(meeting_log, cohort_id=COHORT, author_id=new))
    assert all(r["row_json"] is None for r in store.rows(quarantine, cohort_id=COHORT))


def test_export_gives_the_person_their_own_entries_and_no_one_elses_private_note(world):
    config, store = world
    held = export.collect(store, COHORT, "E2")
    dumped = json.dumps(held, default=str)
    mine = secrets("pair-1", "E2")
    assert {r["private_note"] for r in held["meeting_log"]} == {mine["note"]}  # both their entries, their note
    assert len(held["meeting_log"]) == 2
    assert held["agreements"][0]["wants_to_learn"] == mine["learn"] and held["agreements"][0]["raise_problem"]
    assert [g["title"] for g in held["goals"]] == [mine["goal"]]
    # the milestones of their goal (reached by their mentor) and the one they reached on their mentor's goal
    assert sorted(m["title"] for m in held["milestones"]) == sorted(
        [f"{mine['stone']}-{i}" for i in range(3)] + [f"{secrets('pair-1', 'E1')['stone']}-0"])
    assert [s["text"] for s in held["next_steps"]] == [mine["step"]]
    assert [(f["resource_id"], f["rating"]) for f in held["resource_feedback"]] == [("talk-7", 5)]
    for other in [*_mine("E1"), secrets("pair-1", "E1")["goal"]]:
        assert other not in dumped, other  # E1's note, agreement, step and goal are E1's


def test_export_of_the_partner_holds_their_note_and_not_the_mentees(world):
    config, store = world
    dumped = json.dumps(export.collect(store, COHORT, "E1"), default=str)
    assert secrets("pair-1", "E1")["note"] in dumped
    assert secrets("pair-1", "E2")["note"] not in dumped and secrets("pair-1", "E2")["learn"] not in dumped


def test_retention_purges_the_pages_words_and_keeps_the_counts(world):
    from conftest import run_of

    from mentorflow.cohorts import calendar
    from mentorflow.stages import retention

    config, store = world
    before_counts, before_figures = _counts(store), activity.figures(store, COHORT)
    summary = retention.purge_free_text(run_of(config, store, calendar.retention_moment(config)))
    assert summary["rows_purged"]["meeting_log"] == 3 and summary["rows_purged"]["milestones"] == 4
    text = _everything(store)
    for person in ("E1", "E2"):
        s = secrets("pair-1", person)
        for gone in (s["note"], s["learn"], s["offer"], s["problem"], s["goal"], s["step"], f"{s['stone']}-0"):
            assert gone not in text, gone
    assert _counts(store) == before_counts and activity.figures(store, COHORT) == before_figures
    assert retention.purge_free_text(run_of(config, store, calendar.retention_moment(config)))["rows_purged"] == {}
