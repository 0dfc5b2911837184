"""Self-selection: recommendations from the matcher's own scores (hard rules, popularity cap), the mentee's
requests and the mentor's answers through the forms app, the selection gate, the locks the match stage
honours, and re-runs that send nothing twice."""

from __future__ import annotations

import datetime as dt
import re
import socket
from collections import Counter

import pandas as pd
import pytest
from conftest import ready_store, run_of, write_cohort
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_fixtures import random_instance
from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import MatchingRules
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.synthetic import write_population
from mentorflow.forms import events, tokens
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.matching.capacity import mentor_capacity
from mentorflow.selection.locks import Accepted, decide_locks
from mentorflow.selection.recommend import assign, default_cap, feasible_options, recommend
from mentorflow.stages import intake, match, selection, selection_locks, validate
from mentorflow.stages import open as open_stage
from mentorflow.store import applications, email_ledger, matches, quarantine, recommendations, selection_requests
from test_matching import assert_hard_rules

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "derandomize": True}


# -- recommendations (pure) ---------------------------------------------------------------------


@settings(max_examples=25, **SETTINGS)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 40), kind=st.sampled_from(["traditional", "reverse", "group"]),
       count=st.integers(1, 6), cap=st.sampled_from([None, 1, 2, 100]))
def test_recommendations_break_no_hard_rule_and_respect_the_popularity_cap(seed, n, kind, count, cap):
    inp = random_instance(seed, n, kind, rules=MatchingRules(group_size=3))
    recs = recommend(inp, count, cap)
    options, prep = feasible_options(inp)
    for i in range(len(recs)):  # one pair at a time: the capacity of a pair, not of a proposal
        assert_hard_rules(inp, recs.iloc[[i]])
    limit = cap or default_cap(count, len(prep.rows), len(prep.cols))
    assert recs.groupby("mentor_id").size().max() <= limit if len(recs) else True
    assert not recs.duplicated(["mentee_id", "mentor_id"]).any()
    # mentors with room only, best first within each mentee, ranks 1..k
    with_room = {prep.pop.ids[c] for c in prep.cols}
    assert set(recs["mentor_id"]) <= with_room
    for mentee, shown in recs.groupby("mentee_id"):
        assert list(shown["rank"]) == list(range(1, len(shown) + 1))
        assert shown["score"].is_monotonic_decreasing
        assert len(shown) <= min(count, len(options[mentee]))
    if cap == 100:  # the cap never binds: everyone sees as many as they can
        seen = recs.groupby("mentee_id").size()
        for mentee, opts in options.items():
            assert seen.get(mentee, 0) == min(count, len(opts))


def test_a_mentor_without_room_is_never_shown():
    inp = random_instance(4, 30, "traditional", relations=False, pip=False)
    popular = recommend(inp, 3)["mentor_id"].value_counts().index[0]
    apps = inp.applications.set_index("employee_id")
    room = int(mentor_capacity(apps.loc[[popular], "capacity"], "traditional", inp.rules).iloc[0])
    inp.fixed_pairs = [(popular, f"elsewhere-{i}") for i in range(room)]  # their capacity is taken
    assert popular not in set(recommend(inp, 3)["mentor_id"])


def test_the_explanations_are_the_matchers_own():
    inp = random_instance(3, 30, "traditional", relations=False, pip=False)
    recs = recommend(inp, 3)
    assert len(recs) and recs["explanation"].str.len().gt(0).all()
    from mentorflow.matching import propose

    made = propose(inp).pairs
    both = recs.merge(made, on=["mentee_id", "mentor_id"], suffixes=("", "_matcher"))
    assert len(both), "some recommended pair is also the matcher's choice"
    assert (both["explanation"] == both["explanation_matcher"]).all()
    assert (both["score"] - both["score_matcher"]).abs().max() < 1e-3


@settings(max_examples=60, **SETTINGS)
@given(feasible=st.dictionaries(st.sampled_from([f"e{i}" for i in range(12)]),
                                st.lists(st.sampled_from([f"m{i}" for i in range(6)]), unique=True, max_size=6),
                                max_size=12),
       count=st.integers(1, 4), cap=st.integers(1, 5))
def test_assignment_spreads_mentors_and_keeps_each_mentees_order(feasible, count, cap):
    shown = assign(feasible, count, cap)
    load = Counter(m for picks in shown.values() for m in picks)
    assert all(v <= cap for v in load.values())
    for mentee, picks in shown.items():
        assert len(picks) <= count and set(picks) <= set(feasible[mentee])
        order = [m for m in feasible[mentee] if m in picks]
        assert picks == order  # best first, as the mentee's feasible list ranks them
        # a mentor left out had no room, or the mentee already had enough
        if len(picks) < count:
            assert all(load[m] >= cap for m in feasible[mentee] if m not in picks)


def test_the_mentee_with_fewest_options_chooses_first():
    shown = assign({"a": ["m1", "m2"], "b": ["m1"]}, 1, 1)
    assert shown == {"b": ["m1"], "a": ["m2"]}


def test_locks_keep_the_preferred_mentor_and_never_exceed_capacity():
    rows = [Accepted("e1", "m1", 2), Accepted("e1", "m2", 1), Accepted("e2", "m2", 1), Accepted("e3", "m2", 1)]
    kept, released = decide_locks(rows, per_mentee=1, capacity={"m1": 1, "m2": 2})
    assert kept == [Accepted("e1", "m2", 1), Accepted("e2", "m2", 1)]
    assert set(released) == {Accepted("e1", "m1", 2), Accepted("e3", "m2", 1)}
    kept, _ = decide_locks(rows, per_mentee=1, capacity={"m1": 1, "m2": 2}, already=[("m2", "x")])
    assert Counter(r.mentor_id for r in kept)["m2"] == 1


# -- end to end: recommend → requests → answers → close → match -------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


class Cohort:
    """A 70-person cohort with self-selection, taken to validation; the forms app at a chosen moment."""

    def __init__(self, cohorts_dir, store_url: str | None = None, **overrides):
        write_population(cohorts_dir / "data", 70, seed=5)
        if store_url:
            overrides["store"] = {"url": store_url}
        self.path = write_cohort(cohorts_dir, committee={"review_mode": "auto"},
                                 self_selection={"enabled": True, "recommendations": 4, "requests": 2}, **overrides)
        self.config = load_cohort(self.path)
        self.store = ready_store(self.config)
        self.dates = calendar.selection_dates(self.config)
        self.closed = calendar.window(self.config)[1]
        open_stage.import_roster(run_of(self.config, self.store, calendar.window(self.config)[0]))
        intake.import_applications(run_of(self.config, self.store, calendar.window(self.config)[0]))
        validate.validate_applications(run_of(self.config, self.store, self.closed))
        self.now = self.closed

    def run(self, moment=None):
        return run_of(self.config, self.store, moment or self.now)

    def client(self) -> TestClient:
        return TestClient(create_app(FormsSettings(clock=lambda: self.now,
                                                   airflow=events.AirflowClient(f"http://127.0.0.1:{closed_port()}"))))

    def link(self, person: str, form: str) -> str:
        return f"/forms/{form}?token={tokens.issue(tokens.FormGrant(self.config.cohort, person, form, 'selection'))}"

    def post(self, client: TestClient, person: str, form: str, fields: dict):
        link = self.link(person, form)
        page = client.get(link)
        assert page.status_code == 200, page.text
        return client.post(link, data={**fields, "csrf_token": csrf_of(page.text)}, follow_redirects=False)

    def recs(self) -> pd.DataFrame:
        return self.store.frame(recommendations, cohort_id=self.config.cohort)

    def requests(self) -> dict[tuple[str, str], str]:
        return {(r["mentee_id"], r["mentor_id"]): r["status"]
                for r in self.store.rows(selection_requests, cohort_id=self.config.cohort)}

    def capacity(self, mentor: str) -> int:
        apps = match.match_input(self.config, self.store).applications.set_index("employee_id")
        return int(mentor_capacity(apps.loc[[mentor], "capacity"], "traditional", self.config.matching.rules).iloc[0])

    def sent(self, template: str) -> int:
        return self.store.count(email_ledger, cohort_id=self.config.cohort, template=template)


@pytest.fixture
def cohort(cohorts_dir):
    return Cohort(cohorts_dir)


def test_self_selection_end_to_end(cohorts_dir, store):
    """On SQLite and PostgreSQL."""
    c = Cohort(cohorts_dir, store.url)
    summary = selection.send_recommendations(c.run())
    recs = c.recs()
    assert summary["enabled"] and summary["mentees"] == recs["mentee_id"].nunique() > 5
    assert c.sent("recommendations") == summary["mentees"]

    # the most recommended mentor gets one request more than their capacity
    popular = recs["mentor_id"].value_counts().index[0]
    room = c.capacity(popular)
    askers = sorted(recs.loc[recs["mentor_id"] == popular, "mentee_id"])[: room + 1]
    assert len(askers) == room + 1, "the test needs a mentor recommended to more mentees than their capacity"
    c.now = c.closed + dt.timedelta(seconds=30)
    with c.client() as client:
        for mentee in askers:
            assert c.post(client, mentee, "recommendations", {"choice-1": popular}).status_code == 303
        # one mentee also asks for a second mentor, who never answers: that request expires
        first = askers[0]
        other = next(m for m in recs.loc[recs["mentee_id"] == first].sort_values("rank")["mentor_id"] if m != popular)
        assert c.post(client, first, "recommendations", {"choice-1": popular, "choice-2": other}).status_code == 303
        page = client.get(c.link(first, "recommendations")).text
        assert 'value="' + popular + '" selected' in page and 'value="' + other + '" selected' in page
    assert c.requests()[(first, other)] == "requested"

    assert selection.ask_mentors(c.run(c.dates["requests_close"]))["asked"] == 2
    assert c.sent("mentor_requests") == 2
    selection.ask_mentors(c.run(c.dates["requests_close"]))  # a retry
    assert c.sent("mentor_requests") == 2

    c.now = c.dates["requests_close"] + dt.timedelta(seconds=30)
    with c.client() as client:
        everyone = {f"answer-{m}": "accept" for m in askers}
        refused = c.post(client, popular, "requests", everyone)
        assert refused.status_code == 422
        assert f"your application offers to take {room} mentee" in refused.text
        assert all(status == "requested" for status in c.requests().values()), "a refused answer stores nothing"
        answers = {**everyone, f"answer-{askers[-1]}": "decline"}
        assert c.post(client, popular, "requests", answers).status_code == 303
        # the mentee can no longer change their requests: that form closed at requests_close
        assert client.get(c.link(first, "recommendations")).status_code == 410

    closing = selection.close_selection(c.run(c.dates["responses_close"]))
    status = c.requests()
    assert closing["locked"] == room and closing["expired"] == 1
    assert status[(first, other)] == "expired" and status[(askers[-1], popular)] == "declined"
    chosen = selection_locks.chosen_pairs(c.config, c.store)
    assert sorted(chosen) == sorted((popular, m) for m in askers[:room])

    proposal = match.propose_matches(c.run(c.dates["responses_close"] + dt.timedelta(seconds=1)))
    pairs = c.store.rows(matches, cohort_id=c.config.cohort, status="proposed")
    made = {(p["mentor_id"], p["mentee_id"]): p for p in pairs}
    assert set(chosen) <= set(made)
    assert all(made[p]["explanation"].startswith(selection_locks.CHOSEN) for p in chosen)
    assert f"{room} pair{'s' if room != 1 else ''} chosen by the mentee and accepted by the mentor" in \
        proposal["committee_text"]
    assert (first, other) not in {(m, e) for e, m in made}  # the expired request is no lock
    load = Counter(p["mentor_id"] for p in pairs)
    assert all(load[m] <= c.capacity(m) for m in load)

    # every step again: nothing sent twice, nothing changed
    ledger = c.store.count(email_ledger, cohort_id=c.config.cohort)
    assert selection.send_recommendations(c.run())["unchanged"] is True
    assert selection.ask_mentors(c.run(c.dates["requests_close"]))["asked"] == 0  # every request is answered
    again = selection.close_selection(c.run(c.dates["responses_close"]))
    assert again["locked"] == room and again["expired"] == 0 and c.requests() == status
    assert c.store.count(email_ledger, cohort_id=c.config.cohort) == ledger
    assert len(c.recs()) == len(recs)


def test_a_mentee_accepted_by_two_mentors_keeps_the_preferred_one(cohort):
    c = cohort
    selection.send_recommendations(c.run())
    recs = c.recs()
    mentee = recs.groupby("mentee_id").size().idxmax()
    best, second = list(recs.loc[recs["mentee_id"] == mentee].sort_values("rank")["mentor_id"])[:2]
    c.now = c.closed + dt.timedelta(seconds=30)
    with c.client() as client:
        # the second-ranked mentor is their first choice: preference, not rank, decides
        assert c.post(client, mentee, "recommendations", {"choice-1": second, "choice-2": best}).status_code == 303
    c.now = c.dates["requests_close"] + dt.timedelta(seconds=30)
    with c.client() as client:
        for mentor in (best, second):
            assert c.post(client, mentor, "requests", {f"answer-{mentee}": "accept"}).status_code == 303
    selection.close_selection(c.run(c.dates["responses_close"]))
    assert c.requests() == {(mentee, second): "accepted", (mentee, best): "released"}
    assert selection_locks.chosen_pairs(c.config, c.store) == [(second, mentee)]


def test_the_recommendation_form_refuses_duplicates_and_strangers(cohort):
    c = cohort
    selection.send_recommendations(c.run())
    recs = c.recs()
    mentee = recs.groupby("mentee_id").size().idxmax()
    shown = list(recs.loc[recs["mentee_id"] == mentee].sort_values("rank")["mentor_id"])
    stranger = next(m for m in recs["mentor_id"] if m not in shown)
    c.now = c.closed + dt.timedelta(seconds=30)
    with c.client() as client:
        twice = c.post(client, mentee, "recommendations", {"choice-1": shown[0], "choice-2": shown[0]})
        assert twice.status_code == 422 and "you chose this mentor already as your choice 1" in twice.text
        assert 'id="choice-2-error"' in twice.text
        forged = c.post(client, mentee, "recommendations", {"choice-1": stranger})
        assert forged.status_code == 422 and "recommended to you" in forged.text
        api = client.post(f"/api/forms/recommendations?token={c.link(mentee, 'recommendations').split('=')[1]}",
                          json={"choices": [shown[0], shown[1], shown[2]]})
        assert api.status_code == 422 and "at most 2" in api.json()["errors"]["choice-3"]
        nobody = next(p for p in c.store.frame(recommendations)["mentor_id"] if p not in set(recs["mentee_id"]))
        assert client.get(c.link(nobody, "recommendations")).status_code == 403
    assert c.requests() == {}


def test_the_page_shows_reasons_as_the_kickoff_email_would(cohort):
    """Whom someone ranked stays with the committee; words of the mentor's goals only with their consent."""
    c = cohort
    selection.send_recommendations(c.run())
    recs = c.recs()
    mentee, mentor = recs.iloc[0]["mentee_id"], recs.iloc[0]["mentor_id"]
    secret = "mentor ranked this partner as choice #1; goals meet what the mentor can teach: 'quarterly budgets'"
    with c.store.begin() as conn:
        conn.execute(recommendations.update().where(recommendations.c.mentee_id == mentee,
                                                    recommendations.c.mentor_id == mentor)
                     .values(explanation=f"same timezone; {secret}"))
        conn.execute(applications.update().where(applications.c.employee_id == mentor).values(share_goals=False))
    c.now = c.closed + dt.timedelta(seconds=30)
    with c.client() as client:
        page = client.get(c.link(mentee, "recommendations")).text
    assert "same timezone" in page
    assert "ranked this partner" not in page and "quarterly budgets" not in page


def test_the_gate_holds_bad_requests_and_keeps_every_good_one(cohorts_dir):
    c = Cohort(cohorts_dir)
    selection.send_recommendations(c.run())
    recs = c.recs()
    mentees = sorted(recs["mentee_id"].unique())
    good, twice, stranger, forbidden = mentees[:4]
    pick = {m: list(recs.loc[recs["mentee_id"] == m].sort_values("rank")["mentor_id"]) for m in mentees[:4]}
    outsider = next(m for m in recs["mentor_id"] if m not in pick[stranger])
    at = c.closed
    rows = [(good, pick[good][0], 1), (twice, pick[twice][0], 1), (twice, pick[twice][1], 1),
            (stranger, outsider, 1), (forbidden, pick[forbidden][0], 1)]
    c.store.upsert(selection_requests, [
        {"cohort_id": c.config.cohort, "mentee_id": e, "mentor_id": m, "preference": p, "status": "accepted",
         "requested_at": at, "answered_at": at} for e, m, p in rows])
    # the committee forbids one accepted pair after the recommendations went out
    write_cohort(cohorts_dir, committee={"review_mode": "auto"}, matching={"forbids": [[pick[forbidden][0], forbidden]]},
                 self_selection={"enabled": True, "recommendations": 4, "requests": 2})
    c.config = load_cohort(c.path)
    summary = selection.close_selection(c.run(c.dates["responses_close"]))
    status = c.requests()
    assert status[(good, pick[good][0])] == "accepted"
    held = {k for k, v in status.items() if v == "quarantined"}
    assert held == {(twice, pick[twice][0]), (twice, pick[twice][1]), (stranger, outsider),
                    (forbidden, pick[forbidden][0])}
    assert summary["quarantined"] == 4 and summary["locked"] == 1
    reasons = " | ".join(r["reason"] for r in c.store.rows(quarantine, cohort_id=c.config.cohort, gate="selection"))
    assert "who was not recommended to them" in reasons
    assert "gave preference 1 to more than one mentor" in reasons
    assert "the committee forbids this pair" in reasons
    assert selection_locks.chosen_pairs(c.config, c.store) == [(pick[good][0], good)]


def test_the_gate_holds_acceptances_beyond_capacity(cohort):
    c = cohort
    selection.send_recommendations(c.run())
    recs = c.recs()
    popular = recs["mentor_id"].value_counts().index[0]
    room = c.capacity(popular)
    askers = sorted(recs.loc[recs["mentor_id"] == popular, "mentee_id"])[: room + 1]
    c.store.upsert(selection_requests, [
        {"cohort_id": c.config.cohort, "mentee_id": e, "mentor_id": popular, "preference": 1, "status": "accepted",
         "requested_at": c.closed, "answered_at": c.closed} for e in askers])  # past the form: written directly
    summary = selection.close_selection(c.run(c.dates["responses_close"]))
    assert summary["locked"] == room and summary["quarantined"] == 1
    assert c.requests()[(askers[-1], popular)] == "quarantined"
    assert any(f"capacity {room}" in r["reason"] for r in c.store.rows(quarantine, gate="selection"))


def test_everything_is_a_no_op_when_self_selection_is_off(cohorts_dir):
    write_population(cohorts_dir / "data", 30, seed=5)
    config = load_cohort(write_cohort(cohorts_dir, committee={"review_mode": "auto"}))
    store = ready_store(config)
    run = run_of(config, store)
    for step in (selection.send_recommendations, selection.ask_mentors, selection.close_selection):
        summary = step(run)
        assert summary["enabled"] is False and "self-selection is off" in summary["note"]
    assert store.count(recommendations) == 0 and store.count(email_ledger) == 0
    assert selection_locks.chosen_pairs(config, store) == []


@pytest.mark.slow
def test_the_selection_dags_run_through_airflow(airflow_db, cohorts_dir):
    """validate (recommend) → selection at requests_close (ask) → selection at responses_close (close) →
    match, as the scheduler would run them (dag.test in calendar order): the accepted requests are locked."""
    from airflow.dag_processing.dagbag import DagBag
    from conftest import ROOT
    from mentorflow.demo import lifecycle

    c = Cohort.__new__(Cohort)  # the cohort file and store only: Airflow runs every stage
    write_population(cohorts_dir / "data", 70, seed=5)
    c.path = write_cohort(cohorts_dir, committee={"review_mode": "auto"},
                          self_selection={"enabled": True, "recommendations": 4, "requests": 2})
    c.config = load_cohort(c.path)
    c.store = ready_store(c.config)
    c.dates = calendar.selection_dates(c.config)
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    wanted: list[tuple[str, str]] = []

    def participants(item) -> None:
        if item.stage == "selection" and item.moment == c.dates["requests_close"]:  # mentees chose: first choices
            best = c.recs().sort_values("rank").drop_duplicates("mentee_id").drop_duplicates("mentor_id").head(3)
            wanted.extend(zip(best["mentor_id"], best["mentee_id"]))
            c.store.upsert(selection_requests, [
                {"cohort_id": c.config.cohort, "mentee_id": e, "mentor_id": m, "preference": 1, "status": "requested",
                 "requested_at": item.moment} for m, e in wanted])
        if item.stage == "selection" and item.moment == c.dates["responses_close"]:  # the mentors accept
            with c.store.begin() as conn:
                conn.execute(selection_requests.update().values(status="accepted", answered_at=item.moment))

    lifecycle.run(c.config, bag.dags, before=participants, progress=lambda _: None, through="match")
    assert len(wanted) == 3
    assert c.sent("recommendations") == c.recs()["mentee_id"].nunique() > 0
    assert c.sent("mentor_requests") == 3
    assert sorted(selection_locks.chosen_pairs(c.config, c.store)) == sorted(wanted)
    proposed = {(m["mentor_id"], m["mentee_id"]) for m in c.store.rows(matches, cohort_id=c.config.cohort)}
    assert set(wanted) <= proposed
