"""The committee console end to end, as reviewers use it: a real ``airflow api-server`` with the plugin, Airflow's
own login page, headless Chromium. While the match DAG's committee task waits, one reviewer locks a pair, re-solves,
reads the diff and accepts it; three reviewers vote in their own browsers; the third vote answers the waiting task
through Airflow's HITL API and the run approves the accepted proposal."""

from __future__ import annotations

import re

import pytest
from browser_fixtures import SHOTS, chromium, needs_chromium
from committee_fixtures import airflow_api_server, await_review, login, meanwhile, validated_hitl_cohort
from mentorflow.committee import resolve
from mentorflow.committee.edits import CommitteeEdits, EditError
from mentorflow.committee.hitl import HitlClient, dag_id_for
from mentorflow.store import committee_audit, matches

REVIEWERS = ["ann", "ben", "cai"]
COHORT = "console-e2e"


def a_lock_that_changes_the_proposal(config, store) -> tuple[str, str]:
    """A pair the matcher did not propose and may make: a proposed mentor with another pair's mentee."""
    before = resolve.current(config, store, "initial")
    for first in before.pairs:
        for other in before.pairs:
            if other.mentee_id == first.mentee_id or other.mentor_id == first.mentor_id:
                continue
            lock = (first.mentor_id, other.mentee_id)
            try:
                after = resolve.what_if(config, store, "initial", CommitteeEdits(locks=(lock,)))
            except EditError:
                continue
            if not after.same_as(before):
                return lock
    raise AssertionError("no lock changes this proposal")


def sign_in(context, url: str, page_path: str, user: str, password: str):
    """Open a console page; Airflow's login page (its own JavaScript app) brings the reviewer back."""
    page = context.new_page()
    page.goto(f"{url}{page_path}")
    page.wait_for_selector("input[name=username]", timeout=120_000)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{page_path}", timeout=120_000)
    return page


def committee_at_work(url, passwords, config, store, seen: dict) -> None:
    """The reviewers' side, in their browsers (runs while the DAG waits in the test's main thread)."""
    await_review(HitlClient(login(url, "ann", passwords["ann"]), url), dag_id_for(config.cohort, "initial"),
                 hang_after=600)
    lock = a_lock_that_changes_the_proposal(config, store)
    seen["lock"] = lock
    review = f"/mentorflow-committee/committee/{config.cohort}/initial"
    with chromium() as browser:
        context = browser.new_context(java_script_enabled=True)
        page = sign_in(context, url, review, "ann", passwords["ann"])
        # lock a pair by choosing both people by name, then re-solve and read the diff
        page.select_option("#pair-mentor", lock[0])
        page.select_option("#pair-mentee", lock[1])
        page.click("#pair-form button[value=lock]")
        page.wait_for_selector("div.success")
        seen["edit_set"] = page.inner_text("#edit-set")
        page.click("#resolve-form button")
        page.wait_for_selector("#diff-summary")
        seen["summary"] = page.inner_text("#diff-summary")
        seen["added"] = page.inner_text("#pairs-added")
        seen["affected"] = page.inner_text("#people-affected")
        page.screenshot(path=str(SHOTS / "committee-diff.png"), full_page=True)
        page.click("#accept-form button")
        page.wait_for_selector("div.success")
        seen["accepted"] = page.inner_text("div.success")
        for who in REVIEWERS:  # each reviewer votes in their own browser session
            voter = page if who == "ann" else sign_in(browser.new_context(), url, review, who, passwords[who])
            voter.check("#vote-form input[value=approve]")
            voter.fill("#vote-comment", f"{who}: the locked pair makes sense")
            voter.click("#vote-form button")
            voter.wait_for_selector("div.success")
            seen[f"after_{who}"] = voter.inner_text("#decision-state")
        voter.screenshot(path=str(SHOTS / "committee-decided.png"), full_page=True)
        context.close()


@pytest.mark.airflow
@pytest.mark.slow
@needs_chromium
def test_reviewers_lock_re_solve_accept_and_vote_in_chromium_and_the_match_dag_goes_on(airflow_db, cohorts_dir,
                                                                                       tmp_path):
    config, store, dag = validated_hitl_cohort(cohorts_dir, COHORT, REVIEWERS, 3, seed=23)

    with airflow_api_server(tmp_path, cohorts_dir, users={u: "user" for u in REVIEWERS}) as (url, passwords):
        seen: dict = {}
        with meanwhile(lambda: committee_at_work(url, passwords, config, store, seen), dag.dag_id, join_after=120):
            run = dag.test(logical_date=config.at(config.calendar.application_close))
    mentor, mentee = seen["lock"]
    assert f"lock {mentor}:{mentee}" in seen["edit_set"]
    assert re.search(r"\d+ pairs? added", seen["summary"]) and mentor in seen["added"] and mentee in seen["added"]
    assert mentee in seen["affected"] and "now the round's proposal" in seen["accepted"]
    assert seen["after_ann"].startswith("Pending") and seen["after_ben"].startswith("Pending")
    assert seen["after_cai"].startswith("Approved")

    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state).endswith("success"), states
    assert states["approve_matches"].endswith("success") and states["resolve_matches"].endswith("skipped")
    # the run approved the proposal the committee accepted, with the locked pair
    approved = {(m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=COHORT, round="initial",
                                                                     status="approved")}
    assert (mentor, mentee) in approved and not store.rows(matches, cohort_id=COHORT, status="proposed")
    trail = [(r["actor"], r["action"]) for r in store.rows(committee_audit, cohort_id=COHORT)]
    assert {("ann", "edit"), ("ann", "what-if"), ("ann", "resolve")} <= set(trail)
    assert [a for a, action in trail if action == "vote"] == REVIEWERS
    store.engine.dispose()
