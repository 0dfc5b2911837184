"""The meeting log of the partnership page in headless Chromium (Playwright, JavaScript off, a 390 px phone),
against the app served by uvicorn on loopback: a mentee logs a written exchange with a next step for their
mentor after one refused try, the mentor sees it without the private note and marks the step done.
Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from forms_fixtures import make_world, serving
from mentorflow.store import Store, meeting_log, next_steps
from browser_fixtures import needs_chromium, shot
from test_browser_forms import error_beside

pytestmark = [
    needs_chromium,
    pytest.mark.slow,
]
WIDTH = 390


@pytest.fixture
def served(cohorts_dir, tmp_path):
    """A cohort whose kickoff was 19 days ago (there are days to log), and the forms app."""
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}",
                       now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30))
    with serving() as base:
        yield world, base


@pytest.fixture
def phone(browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": WIDTH, "height": 844})
    yield context.new_page()
    context.close()


def test_a_written_exchange_with_a_next_step_is_logged_and_the_step_marked_done(served, phone):
    world, base = served
    page = phone
    page.goto(base + world.link("E2", "partnership"))
    assert page.locator("#log-title").inner_text() == "Meetings and exchanges"
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    page.fill("#log_held_on", yesterday)
    page.fill("#log_minutes", "0")
    page.check("input[name=log_mode][value=written]")
    page.fill("#log_note", "Mine alone: nervous about the promotion talk")
    page.fill("#log_step-0-text", "Send me two examples of design docs")
    page.select_option("#log_step-0-owner", label="Person 1")
    page.click("#log button[type=submit]:has-text('Save in the log')")
    assert "between 5 and 600" in error_beside(page, "log_minutes")
    assert page.input_value("#log_note") == "Mine alone: nervous about the promotion talk"
    assert page.input_value("#log_step-0-owner") == "E1"
    assert Store(world.store_url).count(meeting_log) == 0
    page.fill("#log_minutes", "40")
    page.click("#log button[type=submit]:has-text('Save in the log')")
    assert "Saved in your log." in page.locator("#log .success").inner_text()
    entries = page.locator(".log-entry").all_inner_texts()
    assert len(entries) == 1 and "written exchange, 40 minutes, logged by you" in entries[0]
    assert "nervous about the promotion talk" in entries[0]
    assert "Owner: Person 1" in page.locator(".log-step").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, "nothing scrolls sideways"
    shot(page, "partnership-log-saved")

    page.goto(base + world.link("E1", "partnership"))  # the mentor's own link
    assert "logged by Person 2" in page.locator(".log-entry").inner_text()
    assert "promotion" not in page.content()
    page.click(".log-step button:has-text('Mark done')")
    assert "No open next steps." in page.locator("#log").inner_text()
    shot(page, "partnership-log-step-done")
    (step,) = Store(world.store_url).rows(next_steps)
    assert step["owner_id"] == "E1" and step["done_at"] is not None
