"""The two self-selection pages filled in headless Chromium (Playwright, JavaScript off) against the app
served by uvicorn on loopback: the mentee's recommendations page (profiles, reasons, ordered choices, a
duplicate refused beside its field) and the mentor's requests page (accepting beyond capacity refused,
then saved). Screenshots go to test-output/screenshots/, phone-sized (390 px) and desktop-sized."""

from __future__ import annotations

import datetime as dt

import pytest
from forms_fixtures import serving
from mentorflow.stages import selection
from mentorflow.store import selection_requests
from browser_fixtures import needs_chromium, shot
from test_browser_forms import error_beside
from test_self_selection import Cohort

pytestmark = [
    needs_chromium,
    pytest.mark.slow,
]


@pytest.fixture
def served(cohorts_dir):
    """A cohort with self-selection whose recommendations went out, and the forms app under uvicorn on a
    free loopback port, its clock the cohort's ``now``."""
    cohort = Cohort(cohorts_dir)
    selection.send_recommendations(cohort.run())
    cohort.now = cohort.closed + dt.timedelta(seconds=30)
    with serving(clock=lambda: cohort.now) as base:
        yield cohort, base


def test_a_mentee_sees_the_recommended_mentors_and_requests_two_in_order(served, page, browser):  # noqa: F811
    cohort, base = served
    recs = cohort.recs()
    mentee = recs.groupby("mentee_id").size().idxmax()
    shown = recs[recs["mentee_id"] == mentee].sort_values("rank")
    page.goto(base + cohort.link(mentee, "recommendations"))
    assert page.title().startswith("Choose your mentor")
    profiles = page.locator("section.profile")
    assert profiles.count() == len(shown)
    first_reason = shown.iloc[0]["explanation"].split("; ")[0]
    assert first_reason in profiles.nth(0).inner_text()
    assert page.locator("label[for=choice-1]").inner_text() == "1st choice"
    best, second = list(shown["mentor_id"])[:2]
    page.select_option("#choice-1", best)
    page.select_option("#choice-2", best)
    shot(page, "selection-recommendations-filled")
    page.click("button[type=submit]")
    assert "Please check" in page.locator("#error-summary").inner_text()
    assert "already as your choice 1" in error_beside(page, "choice-2")
    assert page.input_value("#choice-1") == best  # what was chosen is kept
    shot(page, "selection-recommendations-errors")

    page.select_option("#choice-2", second)
    page.click("button[type=submit]")
    assert "your answers are saved" in page.locator(".success").inner_text()
    assert page.input_value("#choice-1") == best and page.input_value("#choice-2") == second
    shot(page, "selection-recommendations-saved")
    stored = {r["mentor_id"]: (r["preference"], r["status"])
              for r in cohort.store.rows(selection_requests, mentee_id=mentee)}
    assert stored == {best: (1, "requested"), second: (2, "requested")}

    wide = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900}).new_page()
    wide.goto(base + cohort.link(mentee, "recommendations"))
    assert wide.input_value("#choice-2") == second
    shot(wide, "selection-recommendations-desktop")
    wide.context.close()


def test_a_mentor_cannot_accept_beyond_capacity_then_saves_the_answers(served, page):  # noqa: F811
    cohort, base = served
    recs = cohort.recs()
    mentor = recs["mentor_id"].value_counts().index[0]
    room = cohort.capacity(mentor)
    askers = sorted(recs.loc[recs["mentor_id"] == mentor, "mentee_id"])[: room + 1]
    assert len(askers) == room + 1
    cohort.store.upsert(selection_requests, [
        {"cohort_id": cohort.config.cohort, "mentee_id": e, "mentor_id": mentor, "preference": 1,
         "status": "requested", "requested_at": cohort.now} for e in askers])
    cohort.now = cohort.dates["requests_close"] + dt.timedelta(seconds=30)
    page.goto(base + cohort.link(mentor, "requests"))
    assert page.title().startswith("Mentees who asked for you")
    assert page.locator("section.profile").count() == room + 1
    for mentee in askers:
        page.check(f"input[name='answer-{mentee}'][value=accept]")
    shot(page, "selection-requests-filled")
    page.click("button[type=submit]")
    assert f"offers to take {room} mentee" in page.locator("#error-summary").inner_text()
    assert f"offers to take {room} mentee" in page.locator("#answers-error").inner_text()
    assert page.is_checked(f"input[name='answer-{askers[0]}'][value=accept]")  # answers are kept
    shot(page, "selection-requests-errors")
    assert {r["status"] for r in cohort.store.rows(selection_requests, mentor_id=mentor)} == {"requested"}

    page.check(f"input[name='answer-{askers[-1]}'][value=decline]")
    page.click("button[type=submit]")
    assert "your answers are saved" in page.locator(".success").inner_text()
    shot(page, "selection-requests-saved")
    status = {r["mentee_id"]: r["status"] for r in cohort.store.rows(selection_requests, mentor_id=mentor)}
    assert status == {**{e: "accepted" for e in askers[:-1]}, askers[-1]: "declined"}
