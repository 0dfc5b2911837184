"""The mentoring agreement in headless Chromium (Playwright, JavaScript off, a 390 px phone screen), against the
app served by uvicorn on loopback: a refused confirmation shows its error beside the field, then both partners
confirm through the page and it says they agreed. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import os

import pytest
from browser_fixtures import CHROMIUM, SHOTS
from forms_fixtures import COHORT, make_world, serving
from mentorflow.store import Store
from mentorflow.workspace import agreement

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium)"),
    pytest.mark.slow,
]




def phone(browser):
    return browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}).new_page()


def fill(page, wants: str) -> None:
    page.check("input[name=agreement_meet_every][value='two weeks']")
    page.check("#agreement_mode_call")
    page.check("#agreement_mode_written")
    page.fill("#agreement_wants", wants)
    page.fill("#agreement_offers", "Time every other week and honest feedback")
    page.fill("#agreement_raise", "Say it at the start of our next call")


def test_both_partners_confirm_through_the_page_and_it_says_they_agreed(cohorts_dir, tmp_path, browser):
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")
    with serving() as base:
        mentor = phone(browser)
        mentor.goto(base + world.link("E1", "partnership"))
        fill(mentor, "How a newer colleague sees our tooling")
        mentor.click("button[value=confirm]")  # confidentiality not ticked: refused, nothing lost
        box = mentor.locator("#agreement_confidential")
        assert box.get_attribute("aria-invalid") == "true"
        assert "confidential" in mentor.locator("#agreement_confidential-error").inner_text()
        assert mentor.locator("#agreement_wants").input_value() == "How a newer colleague sees our tooling"
        mentor.check("input[name=agreement_confidential]")
        mentor.click("button[value=confirm]")
        assert "Still to confirm:" in mentor.inner_text("#agreement") and "Person 2" in mentor.inner_text("#agreement")

        mentee = phone(browser)
        mentee.goto(base + world.link("E2", "partnership"))
        assert "How a newer colleague sees our tooling" in mentee.inner_text("#agreement")  # shared in the pair
        fill(mentee, "Running a meeting with senior people")
        mentee.check("input[name=agreement_confidential]")
        mentee.click("button[value=confirm]")
        text = mentee.inner_text("#agreement")
        assert "Agreed on" in text and "Still to confirm" not in text
        assert mentee.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / "partnership-agreement-390.png"
        mentee.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5000
        mentor.reload()
        assert "Agreed on" in mentor.inner_text("#agreement")
    assert agreement.status(COHORT, Store(world.store_url))["pair-1"] is not None
