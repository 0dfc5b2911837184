"""Defects in matching: hard rules over the whole roster, freed people at the midpoint, mentors' own
capacity, the run's moment instead of the wall clock, and a what-if run that sends nothing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import ready_store, run_of, write_cohort
from email_fixtures import SmtpCatcher
from mentorflow.cohorts.config import MatchingRules
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.synthetic import (
    APPLICATION_COLUMNS,
    ROSTER_COLUMNS,
    generate_applications,
    generate_roster,
    write_population,
)
from mentorflow.errors import GateFailure
from mentorflow.matching import MatchInput, MatchResult, propose, scoring
from mentorflow.quality import pair_suites, stage_gates
from mentorflow.roster.eligibility import reporting_chain
from mentorflow.stages import intake, kickoff, match, midpoint, validate
from mentorflow.stages import open as open_stage
from mentorflow.store import applications, matches, people, quarantine, rematch_requests, unmatched
from quality_fixtures import write_rows

OPENED = dt.date(2026, 1, 5)
PROGRAM_TYPES = ("traditional", "reverse", "symbiotic", "group")


# -- 1. hard rules see every reporting line the HRIS gives, whatever else is wrong with a row ---------

# soft problems that leave the row's manager link as the HRIS gave it (an unknown manager_id changes
# the link itself, so it is not among them)
SOFT_PROBLEMS = {
    "bad timezone": ("timezone", "Mars/Olympus_Mons"),
    "text where a number belongs": ("level", "two"),
    "level out of range": ("level", "99"),
    "invalid email": ("email", "ada.example.com"),
    "blank name": ("full_name", ""),
    "bad hire date": ("hire_date", "31/12/2020"),
    "unreadable pip flag": ("on_pip", "maybe"),
}
ROSTER_PEOPLE = 60


def _roster() -> pd.DataFrame:
    roster = generate_roster(ROSTER_PEOPLE, seed=4).astype(object)
    roster["on_pip"] = "false"
    return roster


def _everyone_applies(roster: pd.DataFrame) -> pd.DataFrame:
    """Everyone applies (as 'both'), avoiding no one: every pair is a candidate unless a hard rule says no."""
    apps = generate_applications(roster, seed=4, program_type="symbiotic", apply_rate=1.0, incomplete_rate=0.0)
    apps["avoid_partners"] = ""
    return apps


def _middle_managers(roster: pd.DataFrame, count: int) -> list[int]:
    """Rows of people who have a manager and reports of their own, most reports first: the links a
    broken chain walk would lose."""
    reports = roster["manager_id"].value_counts()
    managed = roster[roster["manager_id"].astype(str).ne("") & roster["employee_id"].isin(reports.index)]
    ranked = managed.assign(n=managed["employee_id"].map(reports)).sort_values(["n", "employee_id"], ascending=False)
    return list(ranked.index[:count])


def _imported(cohorts_dir, roster: pd.DataFrame, name: str):
    write_rows(cohorts_dir / "data" / "roster.csv", roster, ROSTER_COLUMNS)
    config = load_cohort(write_cohort(cohorts_dir, name, eligibility={"min_tenure_days": 0},
                                      store={"url": f"sqlite:///{cohorts_dir / (name + '.db')}"}))
    store = ready_store(config)
    open_stage.import_roster(run_of(config, store, OPENED))
    return config, store


def _reporting_line_pairs(config, store, applicants: pd.DataFrame) -> tuple[set, set]:
    """The reporting-line pairs among eligible applicants, as the matcher's hard rule and as the matches
    gate see them (unordered)."""
    inp = match.match_input(config, store)
    inp.applications = applicants
    pop = scoring.build_population(inp.people, applicants, inp.program_type, inp.rules)
    roster = inp.roster if inp.roster is not None else inp.people
    rules = scoring.relation_pairs(pop, {}, roster, forbid_reporting_line=True, previous=set(), forbidden=set())
    engine = {frozenset((pop.ids[r], pop.ids[c])) for r, c, why in zip(rules.rows, rules.cols, rules.why) if why == 0}
    ids = list(pop.ids)
    everyone = pd.DataFrame([(a, b) for a in ids for b in ids if a < b], columns=["mentor_id", "mentee_id"])
    everyone["score"], everyone["explanation"] = 0.5, "x"
    batches = pair_suites.matches_batches(everyone, pd.DataFrame(columns=["employee_id", "role", "reason"]), inp,
                                          config, to_place=set())
    checked = batches[0].frame
    line = checked["forbidden"].eq("the partners are in the same reporting line")
    gate = {frozenset(p) for p in zip(checked.loc[line, "mentor_id"], checked.loc[line, "mentee_id"])}
    return engine, gate


@pytest.mark.parametrize("problem", sorted(SOFT_PROBLEMS))
def test_quarantining_one_roster_row_never_removes_a_reporting_line_pair(cohorts_dir, problem):
    clean = _roster()
    everyone_applies = _everyone_applies(clean)
    config, store = _imported(cohorts_dir, clean, "clean")
    clean_engine, clean_gate = _reporting_line_pairs(config, store, everyone_applies)
    assert clean_engine and clean_engine == clean_gate
    column, value = SOFT_PROBLEMS[problem]
    for n, row in enumerate(_middle_managers(clean, 3)):
        broken = clean.copy()
        broken.at[row, column] = value
        held = broken.at[row, "employee_id"]
        config, store = _imported(cohorts_dir, broken, f"broken-{n}")
        assert [p["eligible"] for p in store.rows(people, employee_id=held)] in ([], [False])
        engine, gate = _reporting_line_pairs(config, store, everyone_applies)
        expected = {p for p in clean_engine if held not in p}  # the held person takes no part
        assert expected - engine == set(), f"{problem} on {held}: the matcher lost reporting-line pairs"
        assert expected - gate == set(), f"{problem} on {held}: the matches gate lost reporting-line pairs"


def test_a_mentee_is_never_paired_with_a_senior_above_a_quarantined_manager(cohorts_dir):
    # E1 (level 6) manages M (level 4, bad timezone) who manages E3 (level 1); E4 (level 6) sits elsewhere
    roster = pd.DataFrame([
        ["E1", "Ada Top", "ada@example.com", "Eng", "VP", 6, "", "Berlin", "Europe/Berlin", "2010-01-01", "false"],
        ["M", "Max Mid", "max@example.com", "Eng", "Lead", 4, "E1", "Berlin", "Mars/Olympus_Mons", "2012-01-01",
         "false"],
        ["E3", "Eve Low", "eve@example.com", "Eng", "Dev", 1, "M", "Berlin", "Europe/Berlin", "2020-01-01", "false"],
        ["E4", "Bob Far", "bob@example.com", "Ops", "VP", 6, "", "London", "Europe/London", "2010-01-01", "false"],
    ], columns=ROSTER_COLUMNS)
    apps = pd.DataFrame([
        {"employee_id": "E1", "role": "mentor", "skills_offered": "python:5", "goals": "teach python",
         "capacity": 1, **{f"tipi_{i}": 4 for i in range(1, 11)}},
        {"employee_id": "E3", "role": "mentee", "skills_wanted": "python:3", "goals": "learn python",
         **{f"tipi_{i}": 4 for i in range(1, 11)}},
    ], columns=APPLICATION_COLUMNS)
    write_rows(cohorts_dir / "data" / "applications.csv", apps, APPLICATION_COLUMNS)
    config, store = _imported(cohorts_dir, roster, "chain")
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    match.propose_matches(run_of(config, store))
    assert store.rows(matches, cohort_id=config.cohort) == []
    [left] = store.rows(unmatched, cohort_id=config.cohort, employee_id="E3")
    assert "reporting line" in left["reason"]


def test_a_person_whose_roster_row_is_held_is_kept_out_of_the_program(cohorts_dir):
    roster = _roster()
    held = roster.at[5, "employee_id"]
    roster.at[5, "timezone"] = "Mars/Olympus_Mons"
    write_rows(cohorts_dir / "data" / "applications.csv", _everyone_applies(roster), APPLICATION_COLUMNS)
    config, store = _imported(cohorts_dir, roster, "kept-out")
    [row] = store.rows(people, employee_id=held)
    assert row["eligible"] is False and row["manager_id"] == roster.at[5, "manager_id"]
    assert row["eligibility_reason"] == "roster row held by the data-quality gate (roster.timezones)"
    assert row["timezone"] == "" and row["email"] == ""  # nothing else of a held row is taken as true
    intake.import_applications(run_of(config, store))
    assert store.rows(applications, employee_id=held) == []
    assert any(r["record_key"] == held and "is not in this cohort's roster" in r["reason"]
               for r in store.rows(quarantine, gate="intake"))


def test_the_matches_gate_stops_a_pair_in_a_reporting_line_through_an_ineligible_manager(cohorts_dir):
    roster = _roster()
    config, store = _imported(cohorts_dir, roster, "gate")
    chains = reporting_chain(store.frame(people))
    row = _middle_managers(roster, 1)[0]
    manager = roster.at[row, "employee_id"]
    report = roster.loc[roster["manager_id"] == manager, "employee_id"].iloc[0]
    boss = chains[manager][0]
    with store.begin() as conn:  # the manager between them is not eligible (e.g. on a PIP)
        conn.execute(people.update().where(people.c.employee_id == manager).values(eligible=False))
    inp = match.match_input(config, store)
    inp.applications = _everyone_applies(roster)
    proposal = MatchResult(pd.DataFrame([{"mentor_id": boss, "mentee_id": report, "score": 0.5, "explanation": "x"}]),
                           pd.DataFrame(columns=["employee_id", "role", "reason"]))
    with pytest.raises(GateFailure, match="matches.no_forbidden_pair .* same reporting line"):
        stage_gates.check_proposal(config, store, proposal, inp, to_place=set())


# -- 3. a mentor's own capacity is never exceeded, in any program type ----------------------------------


def _synthetic_input(kind: str, seed: int, n: int = 300, **rules) -> MatchInput:
    roster = generate_roster(n, seed)
    roster["on_pip"] = roster["on_pip"].eq("true")
    apps = generate_applications(roster, seed, program_type=kind, incomplete_rate=0.0)
    return MatchInput(kind, MatchingRules(**rules), roster, apps)


def _program_cap(inp: MatchInput) -> int:
    if inp.program_type == "symbiotic":
        return 1  # one partner each
    return inp.rules.group_size if inp.program_type == "group" else inp.rules.max_mentees_per_mentor


@pytest.mark.parametrize("kind", PROGRAM_TYPES)
def test_no_mentor_gets_more_mentees_than_they_offered_or_the_program_allows(kind):
    for seed in (3, 17):
        inp = _synthetic_input(kind, seed, group_size=4, max_mentees_per_mentor=2)
        pairs = propose(inp).pairs
        assert len(pairs)
        offered = dict(zip(inp.applications["employee_id"], pd.to_numeric(inp.applications["capacity"])))
        sides = [pairs["mentor_id"], pairs["mentee_id"]] if kind == "symbiotic" else [pairs["mentor_id"]]
        load = pd.concat(sides).value_counts()
        over = {m: (int(n), offered[m]) for m, n in load.items() if n > min(offered[m], _program_cap(inp))}
        assert not over, f"{kind}, seed {seed}: mentor -> (mentees, capacity offered): {over}"


def test_the_matches_gate_holds_a_group_mentor_to_the_capacity_they_offered(cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir, "group-gate", program_type="group",
                                      matching={"rules": {"group_size": 4}}))
    store = ready_store(config)
    roster = pd.DataFrame({"employee_id": ["M", "A", "B"], "manager_id": [None, None, None],
                           "level": [5, 1, 1], "on_pip": [False] * 3})
    apps = pd.DataFrame({"employee_id": ["M", "A", "B"], "role": ["mentor", "mentee", "mentee"],
                         "capacity": [1, None, None], "avoid_partners": ["", "", ""]})
    inp = MatchInput("group", config.matching.rules, roster, apps, roster=roster)
    proposal = MatchResult(pd.DataFrame({"mentor_id": ["M", "M"], "mentee_id": ["A", "B"], "score": [0.5, 0.5],
                                         "explanation": ["x", "x"]}),
                           pd.DataFrame(columns=["employee_id", "role", "reason"]))
    with pytest.raises(GateFailure, match="matches.capacity .* mentor M has 2 mentees, capacity 1"):
        stage_gates.check_proposal(config, store, proposal, inp, to_place=set())


# -- 4. matching runs at the run's moment, never at the wall clock's ------------------------------------

SUMMER = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.timezone.utc)  # Berlin +2, New York -4
WINTER = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone.utc)  # Berlin +1, New York -5


def _wall_clock_at(monkeypatch, at: dt.datetime) -> None:
    """Whoever asks the datetime module for the time now gets ``at``."""
    real = dt.datetime

    class Clock(real):
        @classmethod
        def now(cls, tz=None):
            return at.astimezone(tz) if tz is not None else at.replace(tzinfo=None)

        @classmethod
        def utcnow(cls):
            return at.replace(tzinfo=None)

    class Calendar(dt.date):
        @classmethod
        def today(cls):
            return at.date()

    monkeypatch.setattr(dt, "datetime", Clock)
    monkeypatch.setattr(dt, "date", Calendar)


def _proposal(inp: MatchInput) -> pd.DataFrame:
    return propose(inp).pairs.sort_values(["mentor_id", "mentee_id"]).reset_index(drop=True)


def test_the_same_input_and_moment_give_the_same_pairs_whatever_the_wall_clock(monkeypatch):
    inp = _synthetic_input("traditional", 5, n=200)  # Berlin, London, US zones (DST) and Asian ones (none)
    inp.moment = WINTER
    runs = []
    for clock in (SUMMER, WINTER):
        with monkeypatch.context() as patched:
            _wall_clock_at(patched, clock)
            runs.append(_proposal(inp))
    pd.testing.assert_frame_equal(runs[0], runs[1])


def test_the_run_moment_decides_the_timezone_offsets(monkeypatch):
    inp = _synthetic_input("traditional", 5, n=200)
    runs = {}
    for moment in (SUMMER, WINTER):
        inp.moment = moment
        with monkeypatch.context() as patched:
            _wall_clock_at(patched, SUMMER)
            runs[moment] = _proposal(inp)
    assert not runs[SUMMER]["availability"].equals(runs[WINTER]["availability"])


def test_the_match_stage_hands_the_run_moment_to_the_matcher(cohorts_dir, monkeypatch):
    write_population(cohorts_dir / "data", 80, seed=6)
    config = load_cohort(write_cohort(cohorts_dir, "moment"))
    store = ready_store(config)
    open_stage.import_roster(run_of(config, store, OPENED))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    seen = []

    def spy(inp, **options):
        seen.append(getattr(inp, "moment", None))
        return propose(inp, **options)

    monkeypatch.setattr(match, "propose", spy)
    run = run_of(config, store, dt.datetime(2026, 6, 30, 9, 0))
    match.propose_matches(run)
    assert seen == [run.moment]


# -- 2. the midpoint accounts for every person it frees, in every program type ---------------------------


def _through_kickoff(cohorts_dir, kind: str):
    write_population(cohorts_dir / "data", 160, seed=21, program_type=kind)
    config = load_cohort(write_cohort(cohorts_dir, f"mid-{kind}", program_type=kind,
                                      committee={"review_mode": "auto"}))
    store = ready_store(config)
    open_stage.import_roster(run_of(config, store, OPENED))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    match.propose_matches(run_of(config, store))
    match.approve_matches(run_of(config, store))
    kickoff.send_kickoff(run_of(config, store))
    return config, store


@pytest.mark.parametrize("kind", PROGRAM_TYPES)
def test_every_person_freed_at_the_midpoint_is_rematched_or_given_a_reason(cohorts_dir, monkeypatch, kind):
    config, store = _through_kickoff(cohorts_dir, kind)
    active = sorted(store.rows(matches, cohort_id=config.cohort, status="active"), key=lambda m: m["match_id"])
    ending = active[:10]
    assert len(ending) == 10
    store.upsert(rematch_requests, [{"cohort_id": config.cohort, "match_id": m["match_id"],
                                     "requester_id": m["mentee_id"], "reason": "schedule", "comment": "",
                                     "submitted_at": dt.datetime.now(dt.timezone.utc)} for m in ending])
    seen = []

    def spy(inp, **options):
        seen.append(getattr(inp, "moment", None))
        return propose(inp, **options)

    monkeypatch.setattr(midpoint, "propose", spy)
    run = run_of(config, store, dt.datetime(2026, 1, 5, 10, 2))
    summary = midpoint.rematch(run)
    assert summary["ended"] == 10

    kept = {p for m in active[10:] for p in (m["mentor_id"], m["mentee_id"])}
    freed = {p for m in ending for p in (m["mentor_id"], m["mentee_id"])} - kept
    new = store.rows(matches, cohort_id=config.cohort, round="midpoint")
    rematched = {p for m in new for p in (m["mentor_id"], m["mentee_id"])}
    reasons = {u["employee_id"]: u["reason"] for u in store.rows(unmatched, cohort_id=config.cohort, round="midpoint")}
    lost = freed - rematched - set(reasons)
    assert not lost, f"{kind}: {len(lost)} of {len(freed)} freed people neither re-matched nor given a reason"
    assert all(reasons.values())
    # every new pair gives someone who lost a partner a new one, and no ended pair comes back
    lost_mentor = {m["mentee_id"] for m in ending}
    # (symbiotic: either column may hold the freed partner, since a pair's columns are just its two people)
    assert all(m["mentee_id"] in lost_mentor or (kind == "symbiotic" and {m["mentor_id"], m["mentee_id"]} & freed)
               for m in new)
    assert not {(m["mentor_id"], m["mentee_id"]) for m in new} & {(m["mentor_id"], m["mentee_id"]) for m in ending}
    assert seen == [run.moment]  # the midpoint matches at its run's moment too


def test_a_symbiotic_pair_the_gate_drops_leaves_both_partners_with_a_reason(cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir, "sym-gate", program_type="symbiotic",
                                      matching={"forbids": [["A", "B"]]},
                                      quality={"severity": {"matches.no_forbidden_pair": "soft"}}))
    store = ready_store(config)
    roster = pd.DataFrame({"employee_id": ["A", "B"], "manager_id": [None, None], "level": [2, 2],
                           "on_pip": [False, False]})
    apps = pd.DataFrame({"employee_id": ["A", "B"], "role": ["both", "both"], "capacity": [1, 1],
                         "avoid_partners": ["", ""]})
    inp = MatchInput("symbiotic", config.matching.rules, roster, apps, roster=roster)
    proposal = MatchResult(pd.DataFrame({"mentor_id": ["A"], "mentee_id": ["B"], "score": [0.5], "explanation": ["x"]}),
                           pd.DataFrame(columns=["employee_id", "role", "reason"]))
    checked = stage_gates.check_proposal(config, store, proposal, inp, to_place={"A", "B"})
    assert checked.pairs.empty
    reasons = dict(zip(checked.unmatched["employee_id"], checked.unmatched["reason"]))
    assert set(reasons) == {"A", "B"} and all("the committee forbids this pair" in r for r in reasons.values())


# -- 5. a what-if run sends nothing and leaves the cohort's store alone ---------------------------------


def _contents(store) -> dict[str, list]:
    from mentorflow.store import metadata

    with store.engine.connect() as conn:
        return {t.name: sorted(map(repr, conn.execute(t.select()).all())) for t in metadata.sorted_tables}


def test_a_whatif_run_sends_nothing_and_leaves_the_cohort_store_alone(cohorts_dir, tmp_path, monkeypatch, capsys):
    from mentorflow.cli import main as cli

    write_population(cohorts_dir / "data", 150, seed=9)  # some applications miss answers: gap-fill material
    cohort = write_cohort(cohorts_dir, "whatif-smtp", sender={"backend": "smtp"},
                          store={"url": f"sqlite:///{tmp_path / 'cohort-store.db'}"})
    config = load_cohort(cohort)
    store = ready_store(config)
    open_stage.import_roster(run_of(config, store, OPENED))  # the cohort is live: its store is in use
    before = _contents(store)
    out = tmp_path / "whatif"
    with SmtpCatcher() as catcher:
        monkeypatch.setenv("MENTORFLOW_SMTP_PORT", str(catcher.port))
        code = cli.main(["match", "--cohort", str(cohort), "--out", str(out), "--today", "2026-01-05"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert catcher.messages == [] and catcher.connections == 0
    assert _contents(store) == before
    [line] = [line for line in printed.splitlines() if "nothing is sent" in line]
    assert "the cohort's store is not touched" in line
    assert (out / "matches.csv").exists() and not (out / "outbox").exists()
