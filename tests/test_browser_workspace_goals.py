"""Goals and milestones on a phone-sized screen in headless Chromium without JavaScript, and the pulse form
pre-filled from the page's log. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from browser_fixtures import needs_chromium, shot
from forms_fixtures import COHORT, make_world, serving

from mentorflow.store import Store, applications, meeting_log, milestones
from mentorflow.workspace import pulse_prefill

pytestmark = [
    needs_chromium,
    pytest.mark.slow,
]




def test_the_partner_adds_a_milestone_marks_it_and_the_pulse_is_prefilled(cohorts_dir, tmp_path, page):
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")
    store = Store(world.store_url)
    store.upsert(applications, [{"cohort_id": COHORT, "employee_id": "E2", "role": "mentee", "share_goals": True,
                                 "goals": "- Lead a small team\n- Speak at a conference", "source": "form",
                                 "status": "valid"}])
    with serving() as base:
        page.goto(base + world.link("E1", "partnership"))
        heading = page.locator("#goals h3").first
        assert heading.inner_text() == "Lead a small team"
        goal = page.locator("#goals article.goal").first
        goal.locator("summary").click()  # <details> opens without JavaScript
        goal.get_by_role("button", name="Add the milestone").click()  # no title: refused beside the field
        field = page.locator("#goals input[id^=goals_milestone-g][aria-invalid=true]")
        assert field.count() == 1 and "please write a few words" in page.locator("#goals .error").first.inner_text()
        field.fill("Run one team meeting")
        page.locator("#goals details[open] button[value=milestone]").click()
        assert "saved=goals" in page.url
        page.locator("#goals button[value=reached]").first.click()
        first = page.locator("#goals article.goal").first
        assert "1 of 1 milestone reached" in first.inner_text() and "by Person 1" in first.inner_text()
        assert page.locator("#goals article.goal").nth(1).inner_text().count("No milestones yet") == 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the phone
        shot(page, "partnership_goals_390")
        assert store.rows(milestones)[0]["reached_by"] == "E1"

        start, _ = pulse_prefill.asked_about(world.config, "pulse-1")
        with store.begin() as conn:
            for day, mode in ((2, "meeting"), (9, "written")):
                conn.execute(meeting_log.insert().values(cohort_id=COHORT, space_id="pair-1", author_id="E1",
                                                         held_on=start.date() + dt.timedelta(days=day), minutes=30,
                                                         mode=mode))
        page.goto(base + world.link("E2", "pulse"))
        assert page.input_value("#meetings") == "2"
        hint = page.locator("#meetings-hint").inner_text()
        assert "partnership page's log: 2 entries (1 meeting, 1 written exchange)" in hint
        assert "meetings-hint" in page.locator("#meetings").get_attribute("aria-describedby")
        shot(page, "pulse_prefilled_390")
