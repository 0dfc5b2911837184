"""Re-runs never duplicate: a stage that fails after any of its writes and runs again, or a stage that
completed and runs again, leaves the program store (matches, unmatched, email ledger) as one
uninterrupted run does. On SQLite and PostgreSQL.

Each failure is injected once, just after (or, for the solver, instead of) one write point of the
match stage (propose, approve, kickoff) or of the midpoint stage (health, re-match, activation); the
failed step then runs again, as Airflow's retry does.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import ask_to_end, run_of, write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.synthetic import write_population
from mentorflow.reports import matches as match_reports
from mentorflow.stages import intake, kickoff, match, midpoint, validate
from mentorflow.stages import open as open_stage
from mentorflow.store import email_ledger, matches, unmatched

pytestmark = pytest.mark.slow

PEOPLE = 70


class Boom(RuntimeError):
    """The injected failure."""


def fail_once(monkeypatch, owner, name: str, *, after: bool) -> None:
    """``owner.name`` fails on its first call: after doing its work (``after``) or instead of it."""
    original = getattr(owner, name)
    calls = []

    def failing(*args, **kwargs):
        calls.append(name)
        if len(calls) > 1:
            return original(*args, **kwargs)
        if after:
            original(*args, **kwargs)
        raise Boom(f"{name} failed once")

    monkeypatch.setattr(owner, name, failing)


def retried(step):
    """Run a step as Airflow would with retries: again after an injected failure."""
    for _ in range(3):
        try:
            return step()
        except Boom:
            continue
    raise AssertionError("the step kept failing")


# -- the cohort and its steps ----------------------------------------------------------------------


@pytest.fixture
def config(cohorts_dir):
    write_population(cohorts_dir / "data", PEOPLE, seed=5)
    return load_cohort(write_cohort(cohorts_dir, committee={"review_mode": "auto"}))


def _at(config, name: str, seconds: int = 0) -> dt.datetime:
    return config.at(getattr(config.calendar, name)) + dt.timedelta(seconds=seconds)


def prepare(config, store) -> None:
    """Up to the match stage: roster, applications, validation."""
    open_stage.import_roster(run_of(config, store, _at(config, "application_open")))
    intake.import_applications(run_of(config, store, _at(config, "application_open", 60)))
    validate.validate_applications(run_of(config, store, _at(config, "application_close")))


def match_steps(config, store) -> list:
    return [lambda: match.propose_matches(run_of(config, store, _at(config, "application_close", 1))),
            lambda: match.approve_matches(run_of(config, store, _at(config, "application_close", 1))),
            lambda: kickoff.send_kickoff(run_of(config, store, _at(config, "application_close", 2)))]


def midpoint_steps(config, store) -> list:
    moment = _at(config, "midpoint")
    return [lambda: midpoint.assess_midpoint_health(run_of(config, store, moment)),
            lambda: midpoint.rematch(run_of(config, store, moment)),
            lambda: midpoint.activate_rematches(run_of(config, store, moment))]


def run_all(steps) -> list:
    return [retried(step) for step in steps]


def snapshot(config, store) -> dict[str, list]:
    """The store's pairs, unmatched lists and ledger, without the row ids a replaced proposal renumbers."""
    c = config.cohort
    return {
        "matches": sorted((m["round"], m["mentor_id"], m["mentee_id"], m["status"], round(m["score"], 9),
                           m["end_reason"], str(m["ended_at"]), str(m["created_at"]))
                          for m in store.rows(matches, cohort_id=c)),
        "unmatched": sorted((u["round"], u["employee_id"], u["reason"]) for u in store.rows(unmatched, cohort_id=c)),
        "email_ledger": sorted((e["person_id"], e["template"], e["period"], e["recipient"], e["status"])
                               for e in store.rows(email_ledger, cohort_id=c)),
    }


def assert_same(actual: dict[str, list], expected: dict[str, list]) -> None:
    """Equal snapshots; else, per table, the rows only one of them has (a few of each)."""
    differences = {}
    for table in expected:
        extra = [r for r in actual[table] if r not in expected[table]]
        missing = [r for r in expected[table] if r not in actual[table]]
        if extra or missing or len(actual[table]) != len(expected[table]):
            differences[table] = {"rows": (len(actual[table]), len(expected[table])), "only_now": extra[:4],
                                  "only_uninterrupted": missing[:4]}
    assert differences == {}


def live_mentees_once(config, store) -> None:
    """No mentee is in two live pairs of one round (every program type pairs a mentee once)."""
    live = [(m["round"], m["mentee_id"]) for m in store.rows(matches, cohort_id=config.cohort)
            if m["status"] in ("proposed", "approved", "active")]
    assert len(live) == len(set(live)), sorted(p for p in live if live.count(p) > 1)


_BASELINES: dict[tuple[str, str], dict] = {}


def baseline(config, store, stage: str) -> dict:
    """The store after one uninterrupted run of the stages (computed once per backend), then a fresh store."""
    key = (store.dialect, stage)
    if key not in _BASELINES:
        prepare(config, store)
        run_all(match_steps(config, store))
        if stage == "midpoint":
            ask_to_end(config, store, 2)
            run_all(midpoint_steps(config, store))
        _BASELINES[key] = snapshot(config, store)
        store.drop_all()
        store.upgrade()
    return _BASELINES[key]


# -- the match stage: propose, approve, kickoff -------------------------------------------------------

MATCH_FAILURES = {
    "validate-done": (validate, "validate_applications", True),
    "solve": (match, "propose", False),
    "gate-done": (match, "replace_proposal", False),
    "proposal-written": (match, "replace_proposal", True),
    "report-written": (match_reports, "write_match_report", True),
    "propose-done": (match, "committee_summary", True),
    "approved": (match, "approve_matches", True),
    "kickoff-sent": (kickoff, "send", True),
    "kickoff-done": (kickoff, "send_kickoff", True),
}


@pytest.mark.parametrize("point", list(MATCH_FAILURES))
def test_match_stage_failing_after_a_write_then_retried_is_an_uninterrupted_run(config, store, monkeypatch, point):
    expected = baseline(config, store, "match")
    owner, name, after = MATCH_FAILURES[point]
    fail_once(monkeypatch, owner, name, after=after)
    if point == "validate-done":
        open_stage.import_roster(run_of(config, store, _at(config, "application_open")))
        intake.import_applications(run_of(config, store, _at(config, "application_open", 60)))
        retried(lambda: validate.validate_applications(run_of(config, store, _at(config, "application_close"))))
    else:
        prepare(config, store)
    run_all(match_steps(config, store))
    assert_same(snapshot(config, store), expected)
    live_mentees_once(config, store)


def test_match_stage_run_again_after_approval_changes_nothing(config, store):
    expected = baseline(config, store, "match")
    prepare(config, store)
    run_all(match_steps(config, store))
    # validate again (it emits the asset that starts the match stage again), then the whole match stage
    validate.validate_applications(run_of(config, store, _at(config, "application_close")))
    summaries = run_all(match_steps(config, store))
    assert_same(snapshot(config, store), expected)
    live_mentees_once(config, store)
    assert summaries[0]["unchanged"] is True
    assert "already approved" in summaries[0]["committee_text"]
    assert summaries[1] == {"approved": 0}
    # the committee's Re-solve after approval changes nothing either
    pair = store.rows(matches, cohort_id=config.cohort, status="active")[0]
    response = {"params_input": {"forbids": f"{pair['mentor_id']}:{pair['mentee_id']}", "locks": ""}}
    summary = match.resolve_matches(run_of(config, store, _at(config, "application_close", 1)), response)
    assert summary["unchanged"] is True
    assert_same(snapshot(config, store), expected)


def test_resolve_before_approval_replaces_the_open_proposal(config, store):
    prepare(config, store)
    run = run_of(config, store, _at(config, "application_close", 1))
    first = match.propose_matches(run)
    proposed = store.rows(matches, cohort_id=config.cohort, status="proposed")
    assert len(proposed) == first["pairs"] > 0
    pair = sorted(proposed, key=lambda m: m["mentee_id"])[0]
    response = {"params_input": {"forbids": f"{pair['mentor_id']}:{pair['mentee_id']}", "locks": ""}}
    resolved = match.resolve_matches(run, response)
    assert "unchanged" not in resolved
    now = store.rows(matches, cohort_id=config.cohort)
    assert len(now) == resolved["pairs"] and all(m["status"] == "proposed" for m in now)
    assert (pair["mentor_id"], pair["mentee_id"]) not in {(m["mentor_id"], m["mentee_id"]) for m in now}
    match.approve_matches(run)
    kickoff.send_kickoff(run_of(config, store, _at(config, "application_close", 2)))
    assert store.count(matches, cohort_id=config.cohort, status="active") == resolved["pairs"]
    live_mentees_once(config, store)


# -- the midpoint stage: health, re-match, activation ---------------------------------------------------

MIDPOINT_FAILURES = {
    "health-assessed": (midpoint, "assess_health", True),
    "solve": (midpoint, "propose", False),
    "endings-and-proposal-written": (midpoint, "apply_rematch", True),
    "report-written": (match_reports, "write_match_report", True),
    "rematch-done": (midpoint, "committee_summary", True),
    "approved": (midpoint, "approve_matches", True),
    "notices-sent": (midpoint, "send", True),
    "activation-done": (midpoint, "activate_rematches", True),
}


def _to_midpoint(config, store) -> None:
    prepare(config, store)
    run_all(match_steps(config, store))
    ask_to_end(config, store, 2)


@pytest.mark.parametrize("point", list(MIDPOINT_FAILURES))
def test_midpoint_failing_after_a_write_then_retried_is_an_uninterrupted_run(config, store, monkeypatch, point):
    expected = baseline(config, store, "midpoint")
    _to_midpoint(config, store)
    owner, name, after = MIDPOINT_FAILURES[point]
    fail_once(monkeypatch, owner, name, after=after)
    run_all(midpoint_steps(config, store))
    assert_same(snapshot(config, store), expected)
    live_mentees_once(config, store)


def test_midpoint_run_again_after_it_completed_changes_nothing(config, store):
    expected = baseline(config, store, "midpoint")
    ended = [m for m in expected["matches"] if m[3] == "ended"]
    assert len(ended) == 2 and any(m[0] == "midpoint" for m in expected["matches"])
    _to_midpoint(config, store)
    run_all(midpoint_steps(config, store))
    summaries = run_all(midpoint_steps(config, store))
    assert_same(snapshot(config, store), expected)
    live_mentees_once(config, store)
    assert summaries[1]["unchanged"] is True and summaries[1]["ended"] == 2


def test_midpoint_rematch_run_again_before_approval_keeps_the_open_proposal(config, store):
    _to_midpoint(config, store)
    run = run_of(config, store, _at(config, "midpoint"))
    midpoint.assess_midpoint_health(run)
    first = midpoint.rematch(run)
    proposal = snapshot(config, store)
    assert first["ended"] == 2
    again = midpoint.rematch(run)
    assert_same(snapshot(config, store), proposal)
    assert again["unchanged"] is True
    assert (again["ended"], again["new_pairs"], again["still_unmatched"]) == (
        first["ended"], first["new_pairs"], first["still_unmatched"])


# -- the store's own guarantee ----------------------------------------------------------------------------


def _pair(mentor: str, mentee: str, status: str = "proposed", round_name: str = "initial") -> dict:
    return {"cohort_id": "store-cohort", "round": round_name, "mentor_id": mentor, "mentee_id": mentee, "score": 0.5,
            "explanation": "test", "status": status, "created_at": dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone.utc)}


def test_the_store_refuses_a_second_live_pair_of_a_mentee_in_a_round(store):
    import sqlalchemy as sa

    with store.begin() as conn:
        conn.execute(matches.insert(), [_pair("M1", "E1", "active"), _pair("M1", "E2", "active"),  # two mentees
                                        _pair("M2", "E3", "ended"), _pair("M3", "E3", "active"),  # after an end
                                        _pair("M2", "E1", "proposed", "midpoint")])               # another round
    for status in ("proposed", "approved", "active"):
        with pytest.raises(sa.exc.IntegrityError), store.begin() as conn:
            conn.execute(matches.insert(), [_pair("M4", "E1", status)])
    with store.begin() as conn:
        conn.execute(matches.insert(), [_pair("M4", "E1", "completed")])
    assert store.count(matches, cohort_id="store-cohort") == 6


def test_upgrading_a_store_that_holds_duplicate_live_pairs_names_them_and_changes_nothing(store):
    from mentorflow.errors import StoreNotReady
    from mentorflow.store import migrate

    store.drop_all()
    migrate.upgrade(store.engine, "0003")
    with store.begin() as conn:
        conn.execute(matches.insert(), [_pair("M1", "E1", "active"), _pair("M2", "E1", "active")])
    with pytest.raises(StoreNotReady, match=r"1 mentee\(s\) are in more than one live pair of a round "
                                            r"\(cohort round mentee: store-cohort initial E1 \(2 live pairs\)\)"):
        store.upgrade()
    assert store.revision() == "0003"
    with store.begin() as conn:
        conn.execute(matches.update().where(matches.c.mentor_id == "M2").values(status="ended"))
    store.upgrade()
    assert store.revision() == migrate.head()
