"""The committee's re-solve with a diff: locks, forbids and swaps re-solve the initial or midpoint round
without writing anything, the diff says who is affected, and accepting writes the proposal once."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from conftest import ask_to_end, run_of, write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.committee import audit, resolve
from mentorflow.committee.diff import NEW_PARTNER, NEWLY_MATCHED, Pair, Proposal, Unplaced, diff
from mentorflow.committee.edits import CommitteeEdits, EditError
from mentorflow.demo.synthetic import write_population
from mentorflow.roster.eligibility import reporting_chain
from mentorflow.stages import intake, kickoff, match, midpoint, validate
from mentorflow.stages import open as open_stage
from mentorflow.store import Store, applications, matches, metadata, people, url_for

BACKENDS = pytest.mark.parametrize("world", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
                                   indirect=True)


@pytest.fixture
def world(request, cohorts_dir):
    """A cohort of 70 synthetic people whose initial round is proposed (not approved): (config, store)."""
    backend = getattr(request, "param", "sqlite")
    write_population(cohorts_dir / "data", 70, seed=19)
    overrides = {"eligibility": {"min_tenure_days": 0}}
    if backend == "postgresql":
        overrides["store"] = {"url": request.getfixturevalue("postgres_url")}
    config = load_cohort(write_cohort(cohorts_dir, "resolve-cohort", **overrides))
    store = Store(url_for(config.store))
    if backend == "postgresql":
        store.drop_all()
    store.upgrade()
    store.register_cohort(config)
    open_stage.import_roster(run_of(config, store, dt.date(2026, 1, 5)))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    match.propose_matches(run_of(config, store))
    yield config, store
    if backend == "postgresql":
        store.drop_all()
    store.engine.dispose()


def snapshot(store: Store) -> dict[str, list]:
    """Every row of every table, in a stable order: equal snapshots mean nothing was written."""
    out = {}
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            out[table.name] = sorted(repr(tuple(r)) for r in conn.execute(sa.select(table)))
    return out


def pairs_of(proposal: Proposal) -> set[tuple[str, str]]:
    return {(p.mentor_id, p.mentee_id) for p in proposal.pairs}


def forbid_first(config, store):
    """(before, the forbidden pair, after) for the first proposed pair whose mentee finds another mentor."""
    before = resolve.current(config, store, "initial")
    for gone in before.pairs[:10]:
        after = resolve.what_if(config, store, "initial", CommitteeEdits(forbids=((gone.mentor_id, gone.mentee_id),)))
        if any(p.mentee_id == gone.mentee_id for p in after.pairs):
            return before, gone, after
    pytest.fail("no mentee of the first ten pairs has another allowed mentor")


@BACKENDS
def test_a_forbid_removes_the_pair_and_a_lock_appears_with_the_people_it_affects(world):
    config, store = world
    before, gone, after = forbid_first(config, store)
    assert len(before.pairs) > 5
    assert (gone.mentor_id, gone.mentee_id) not in pairs_of(after)
    assert gone in diff(before, after).removed
    # the mentee's new mentor in that re-solve is a pair the hard rules allow: lock it on the original
    moved = [p for p in after.pairs if p.mentee_id == gone.mentee_id]
    lock = (moved[0].mentor_id, gone.mentee_id)
    locked = resolve.what_if(config, store, "initial", CommitteeEdits(locks=(lock,)))
    change = diff(before, locked)
    assert lock in pairs_of(locked) and lock in {(p.mentor_id, p.mentee_id) for p in change.added}
    people_changed = {(c.employee_id, c.role): c for c in change.affected}
    mentee = people_changed[(gone.mentee_id, "mentee")]
    assert mentee.change == NEW_PARTNER and mentee.gained == (lock[0],) and mentee.lost == (gone.mentor_id,)
    assert mentee.name == before.names[gone.mentee_id] and mentee.name != gone.mentee_id
    assert people_changed[(lock[0], "mentor")].gained == (gone.mentee_id,)
    assert (gone.mentor_id, "mentor") in people_changed
    assert change.objective_change == round(locked.objective - before.objective, 4)
    assert change.summary.startswith(f"{len(change.added)} pair")
    assert change.as_dict()["objective_change"] == change.objective_change


@BACKENDS
def test_what_if_writes_nothing_and_accept_writes_once(world):
    config, store = world
    untouched = snapshot(store)
    before, gone, after = forbid_first(config, store)
    assert snapshot(store) == untouched  # no pair, no quarantine row, no gate run written
    done = resolve.accept(config, store, "initial", after, actor="reviewer-1")
    assert done["changed"] is True and done["actor"] == "reviewer-1"
    entry = audit.trail(store, config.cohort, "initial")[0]  # the accepted re-solve is in the audit trail
    assert (entry["actor"], entry["action"]) == ("reviewer-1", "resolve")
    assert f"{gone.mentor_id}:{gone.mentee_id}" in entry["detail"]["removed"] and entry["detail"]["added"]
    stored = resolve.current(config, store, "initial")
    assert stored.same_as(after) and not stored.same_as(before)
    assert all(m["status"] == "proposed" for m in store.rows(matches, cohort_id=config.cohort))
    once = snapshot(store)
    again = resolve.accept(config, store, "initial", after, actor="reviewer-2")
    assert again["changed"] is False and snapshot(store) == once
    assert resolve.diff(stored, resolve.current(config, store, "initial")).added == ()
    # a reviewer who compared against the old proposal cannot overwrite the accepted one with theirs
    other = resolve.what_if(config, store, "initial", CommitteeEdits())
    assert not other.same_as(after)
    with pytest.raises(resolve.ProposalChanged, match="re-solve again"):
        resolve.accept(config, store, "initial", other, actor="reviewer-3", before=before)
    assert snapshot(store) == once


def test_a_swap_exchanges_the_mentees_of_two_pairs(world):
    config, store = world
    before = resolve.current(config, store, "initial")
    tried = []
    for a, b in zip(before.pairs, before.pairs[1:]):
        if a.mentor_id == b.mentor_id:
            continue
        swap = ((a.mentor_id, a.mentee_id), (b.mentor_id, b.mentee_id))
        try:
            after = resolve.what_if(config, store, "initial", CommitteeEdits(swaps=(swap,)))
        except EditError as error:  # this swap breaks a hard rule (level, skills): try the next two pairs
            tried.append(str(error))
            continue
        made = pairs_of(after)
        assert {(a.mentor_id, b.mentee_id), (b.mentor_id, a.mentee_id)} <= made
        assert not {(a.mentor_id, a.mentee_id), (b.mentor_id, b.mentee_id)} & made
        return
    pytest.fail(f"no swap of neighbouring pairs was allowed: {tried}")


def test_invalid_edits_name_the_ids_and_the_reason_and_change_nothing(world):
    config, store = world
    before = resolve.current(config, store, "initial")
    untouched = snapshot(store)
    pair = before.pairs[0]
    with pytest.raises(EditError) as bad:
        resolve.what_if(config, store, "initial", CommitteeEdits(locks=(("E-NOBODY", pair.mentee_id),)))
    assert "E-NOBODY is not a mentor of this cohort" in str(bad.value)
    with pytest.raises(EditError) as bad:
        resolve.what_if(config, store, "initial", CommitteeEdits(
            locks=((pair.mentor_id, pair.mentee_id),), forbids=((pair.mentor_id, pair.mentee_id),),
            swaps=(((pair.mentor_id, "E-NOBODY"), (before.pairs[1].mentor_id, before.pairs[1].mentee_id)),)))
    problems = bad.value.problems
    assert f"lock {pair.mentor_id}:{pair.mentee_id} is also forbidden" in problems
    assert any(f"{pair.mentor_id}:E-NOBODY is not a proposed pair" in p for p in problems)
    # a mentee locked to their own manager (or a manager's manager) who mentors
    roster = store.frame(people, cohort_id=config.cohort)
    roles = {a["employee_id"]: a["role"] for a in store.rows(applications, cohort_id=config.cohort, status="valid")}
    line = [(boss, me) for me, bosses in sorted(reporting_chain(roster).items()) if roles.get(me) in ("mentee", "both")
            for boss in bosses if roles.get(boss) in ("mentor", "both")]
    assert line, "the synthetic roster has no mentee reporting to a mentor"
    with pytest.raises(EditError) as bad:
        resolve.what_if(config, store, "initial", CommitteeEdits(locks=(line[0],)))
    assert f"lock {line[0][0]}:{line[0][1]} breaks the rule 'not in their reporting line'" in str(bad.value)
    with pytest.raises(EditError, match="locks, item 1 'oops': expected mentor_id:mentee_id"):
        CommitteeEdits.from_text(locks="oops")
    assert snapshot(store) == untouched


def test_an_approved_round_is_refused_until_reopened(world):
    config, store = world
    before, gone, after = forbid_first(config, store)
    match.approve_matches(run_of(config, store))
    approved = snapshot(store)
    with pytest.raises(resolve.RoundClosed, match="already approved .*: reopen first"):
        resolve.accept(config, store, "initial", after, actor="reviewer-1")
    with pytest.raises(resolve.RoundClosed, match="reopen first"):
        resolve.what_if(config, store, "initial", CommitteeEdits())
    assert snapshot(store) == approved


@BACKENDS
def test_the_midpoint_round_is_resolved_and_accepted_the_same_way(world):
    config, store = world
    with pytest.raises(resolve.RoundClosed, match="midpoint round has not been proposed yet"):
        resolve.what_if(config, store, "midpoint", CommitteeEdits())
    match.approve_matches(run_of(config, store))
    kickoff.send_kickoff(run_of(config, store))
    ask_to_end(config, store, 3)
    midpoint.rematch(run_of(config, store, config.calendar.midpoint))
    before = resolve.current(config, store, "midpoint")
    assert before.pairs, "the midpoint proposed no new pair"
    untouched = snapshot(store)
    gone = before.pairs[0]
    after = resolve.what_if(config, store, "midpoint", CommitteeEdits(forbids=((gone.mentor_id, gone.mentee_id),)))
    assert snapshot(store) == untouched
    assert (gone.mentor_id, gone.mentee_id) not in pairs_of(after)
    assert pairs_of(before) - {(gone.mentor_id, gone.mentee_id)} <= pairs_of(after) | {
        (p.mentor_id, p.mentee_id) for p in diff(before, after).removed}
    # nobody kept from the initial round, and no former partner, is offered in the re-solve
    kept = {(m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=config.cohort, round="initial")}
    assert not pairs_of(after) & kept
    assert resolve.accept(config, store, "midpoint", after, actor="reviewer-1")["changed"] is True
    assert resolve.current(config, store, "midpoint").same_as(after)
    assert resolve.accept(config, store, "midpoint", after, actor="reviewer-1")["changed"] is False


def test_the_diff_is_plain_ordered_data_with_a_summary():
    before = Proposal("c", "initial", (Pair("M1", "E1", 0.5), Pair("M2", "E2", 0.4)), (Unplaced("E3", "mentee", "x"),),
                      names={"M1": "Ann", "M2": "Bo", "E1": "Cy", "E2": "Di", "E3": "Ed"})
    after = Proposal("c", "initial", (Pair("M1", "E1", 0.5), Pair("M2", "E3", 0.6)), (Unplaced("E2", "mentee", "y"),),
                     names=before.names)
    change = diff(before, after)
    assert change.added == (Pair("M2", "E3", 0.6),) and change.removed == (Pair("M2", "E2", 0.4),)
    assert [(k.mentor_id, k.change) for k in change.kept] == [("M1", 0.0)]
    assert [(c.employee_id, c.role, c.name, c.change) for c in change.affected] == [
        ("E2", "mentee", "Di", "now unmatched"), ("E3", "mentee", "Ed", NEWLY_MATCHED),
        ("M2", "mentor", "Bo", NEW_PARTNER)]
    assert change.unmatched_before == ("E3",) and change.unmatched_after == ("E2",)
    assert change.objective_change == 0.2
    assert change.summary == ("1 pair added, 1 removed, 1 kept; total score 0.9000 → 1.1000 (+0.2000); "
                              "3 people affected; unmatched 1 → 1.")
