"""The offer form in headless Chromium (Playwright, JavaScript off), against the app served by uvicorn on
loopback: someone without a one-to-one partner sees the options they were offered with their plain
descriptions, is told to choose, chooses, and finds the choice again. Screenshots go to
test-output/screenshots/ (one at 390 px width, one at desktop width)."""

from __future__ import annotations

import datetime as dt

import pytest
from alternatives_world import scarce_world
from conftest import run_of
from forms_fixtures import serving
from mentorflow.forms import tokens
from mentorflow.stages import alternatives
from mentorflow.store import offers
from browser_fixtures import needs_chromium, shot

pytestmark = [
    needs_chromium,
    pytest.mark.slow,
]


@pytest.fixture
def served(cohorts_dir):
    """A scarce cohort after its offers went out, and the forms app at a moment before the offers' deadline."""
    config, store = scarce_world(cohorts_dir)
    kickoff = config.at(config.calendar.kickoff)
    alternatives.offer_alternatives(run_of(config, store, kickoff))
    with serving(clock=lambda: kickoff + dt.timedelta(minutes=1)) as base:
        yield config, store, base


@pytest.mark.parametrize("width", [390, 1280])
def test_the_offer_page_lists_the_offered_options_asks_for_a_choice_and_keeps_it(served, browser, width):
    config, store, base = served
    held = {o["employee_id"]: o for o in store.rows(offers, cohort_id=config.cohort)}
    person = next(e for e, o in held.items() if o["options"] == "circle;waitlist")
    context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": 844})
    page = context.new_page()
    token = tokens.issue(tokens.FormGrant(config.cohort, person, "offer", "offer"))
    page.goto(f"{base}/forms/offer?token={token}")
    assert page.title().startswith("Choose how you take part")
    labels = page.locator("label.choice").all_inner_texts()
    assert labels[0].strip().startswith("A mentoring circle led by Person M")
    assert any("waitlist" in t for t in labels) and any("None of these" in t for t in labels)
    assert not any("Written mentoring" in t for t in labels), "only what was offered is shown"
    assert "every mentor who fits you already has" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "nothing scrolls sideways"
    page.click("button[type=submit]")  # no choice made
    assert "Please check" in page.locator("#error-summary").inner_text()
    assert page.locator("#choice").get_attribute("aria-invalid") == "true"
    assert "please answer" in page.locator("#choice-error").inner_text()
    page.check("#choice-circle")
    page.click("button[type=submit]")
    assert "your answers are saved" in page.locator(".success").inner_text()
    assert page.is_checked("#choice-circle")
    shot(page, f"offer-saved-{width}px")
    assert store.rows(offers, cohort_id=config.cohort, employee_id=person)[0]["choice"] == "circle"
    context.close()
