"""Every form filled and submitted in headless Chromium (Playwright, JavaScript off), against the
app served by uvicorn on loopback: field errors appear beside their fields, answers are kept,
saved answers come back. A screenshot of each page goes to test-output/screenshots/."""

from __future__ import annotations


import pytest
from browser_fixtures import needs_chromium, shot
from forms_fixtures import add_group, make_world, serving
from mentorflow.store import Store, applications, evaluations, form_events, pulse_responses, rematch_requests

pytestmark = [
    needs_chromium,
    pytest.mark.slow,
]




@pytest.fixture
def served(cohorts_dir, tmp_path):
    """The world, and the forms app under uvicorn on a free loopback port (in a thread)."""
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")
    with serving() as base:
        yield world, base


def error_beside(page, field_id: str) -> str:
    """The error text tied to a control through aria-describedby."""
    control = page.locator(f"#{field_id}")
    assert control.get_attribute("aria-invalid") == "true"
    assert f"{field_id}-error" in (control.get_attribute("aria-describedby") or "")
    return page.locator(f"#{field_id}-error").inner_text()


def test_application_errors_then_saves_and_gapfill_shows_it_again(served, page):
    world, base = served
    page.goto(base + world.link("E1", "application"))
    assert page.title().startswith("Apply to the mentoring program")
    page.check("input[name=role][value=both]")
    page.fill("#motivation", "I like teaching")
    page.fill("#skills_offered-0-name", "python")
    page.select_option("#skills_offered-0-level", "4")
    page.fill("#goals", "Lead a small team")
    page.fill("#hours_per_month", "100")          # too many
    for i in range(1, 10):                        # tipi_10 left unanswered
        page.select_option(f"#tipi_{i}", str(i % 7 + 1))
    page.check("#circle_volunteer")
    page.fill("#async_budget", "50")              # over the 20 a month a mentor may offer
    page.select_option("#preferred_partners-0", label="Person 3 (Engineer, Eng)")  # by name, never an id
    shot(page, "application-filled")
    # after a full-page capture of this tall page, headless Chromium may drop a click on the button unless it has
    # focus first (seen with the last step a select_option, JavaScript off)
    page.focus("button[type=submit]")
    page.click("button[type=submit]")
    assert "Please check" in page.locator("#error-summary").inner_text()
    assert "at most 40" in error_beside(page, "hours_per_month")
    assert "please answer" in error_beside(page, "tipi_10")
    assert "agree" in page.locator("#consent-error").inner_text()
    assert "at most 20" in error_beside(page, "async_budget")
    assert page.is_checked("#circle_volunteer") and page.input_value("#async_budget") == "50"
    # the mentor's offers sit in their own fieldset, named by its legend, and fit a phone's width
    offers = page.locator("fieldset#mentor_offers")
    assert offers.locator("legend").inner_text() == "More ways to help as a mentor (optional)"
    assert offers.bounding_box()["width"] <= 390
    # everything else typed is kept
    assert page.input_value("#motivation") == "I like teaching" and page.input_value("#skills_offered-0-name") == "python"
    assert page.input_value("#skills_offered-0-level") == "4" and page.input_value("#preferred_partners-0") == "E3"
    assert page.is_checked("input[name=role][value=both]")
    shot(page, "application-errors")

    page.fill("#hours_per_month", "6")
    page.select_option("#tipi_10", "2")
    page.fill("#capacity", "2")
    page.fill("#skills_wanted-0-name", "public speaking")
    page.select_option("#skills_wanted-0-level", "3")
    assert not page.is_checked("#share_goals")  # goals stay with the program team unless the person agrees
    page.check("#share_goals")
    page.fill("#async_budget", "4")
    assert not page.is_checked("#group_consent")  # contact within a group is shared only with consent
    page.check("#group_consent")
    page.check("#consent")
    page.click("button[type=submit]")
    assert "your answers are saved" in page.locator(".success").inner_text()
    shot(page, "application-saved")
    row = Store(world.store_url).rows(applications, employee_id="E1")[0]
    assert (row["role"], row["hours_per_month"], row["tipi_10"], row["skills_wanted"]) == ("both", 6.0, 2,
                                                                                         "public speaking:3")
    assert row["share_goals"] is True
    assert (row["circle_volunteer"], row["async_budget"], row["group_consent"]) == (True, 4, True)

    page.goto(base + world.link("E1", "gapfill"))
    assert page.input_value("#goals") == "Lead a small team" and page.is_checked("#share_goals")
    assert page.is_checked("#circle_volunteer") and page.input_value("#async_budget") == "4"
    page.fill("#goals", "Lead a team of five")
    page.check("#consent")
    page.click("button[type=submit]")
    assert page.locator(".success").count() == 1
    shot(page, "gapfill-saved")
    assert Store(world.store_url).rows(applications, employee_id="E1")[0]["goals"] == "Lead a team of five"


def test_pulse_with_errors_then_flagging_leads_to_the_rematch_request(served, page):
    world, base = served
    page.goto(base + world.link("E2", "pulse"))
    page.fill("#meetings", "-2")
    page.check("input[name=satisfaction][value='2']")
    page.fill("#comment", "We keep cancelling")
    page.click("button[type=submit]")
    assert "at least 0" in page.locator("#meetings-error").inner_text()
    assert "please answer" in page.locator("#goal_progress-error").inner_text()
    assert page.input_value("#comment") == "We keep cancelling"
    assert page.is_checked("input[name=satisfaction][value='2']")
    shot(page, "pulse-errors")
    page.fill("#meetings", "1")
    page.check("input[name=goal_progress][value='2']")
    page.check("input[name=follow_through][value='1']")
    page.check("input[name=outcome][value=rematch]")
    page.click("button[type=submit]")
    assert "your answers are saved" in page.locator(".success").inner_text()
    shot(page, "pulse-saved")
    store = Store(world.store_url)
    assert store.rows(pulse_responses, respondent_id="E2")[0]["wants_end"] is True
    assert [e["reason"] for e in store.rows(form_events)] == ["rematch"]

    page.click("text=Ask for a re-match")
    assert page.title().startswith("Ask for a different partner")
    page.click("button[type=submit]")
    assert "please answer" in page.locator("#reason-error").inner_text()
    shot(page, "rematch-errors")
    page.check("input[name=reason][value=chemistry]")
    page.fill("#comment", "Different working styles")
    page.click("button[type=submit]")
    assert "program team has been told" in page.content()
    shot(page, "rematch-saved")
    assert store.rows(rematch_requests)[0]["reason"] == "chemistry"


def test_closeout_errors_then_saves(served, page):
    world, base = served
    page.goto(base + world.link("E1", "closeout"))
    page.check("input[name=goals_met][value='4']")
    page.fill("#comment", "Worth it")
    page.click("button[type=submit]")
    assert "please answer" in page.locator("#recommend-error").inner_text()
    assert page.input_value("#comment") == "Worth it" and page.is_checked("input[name=goals_met][value='4']")
    shot(page, "closeout-errors")
    page.check("input[name=satisfaction][value='5']")
    page.check("input[name=recommend][value='9']")
    page.click("button[type=submit]")
    assert page.locator(".success").count() == 1
    shot(page, "closeout-saved")
    row = Store(world.store_url).rows(evaluations)[0]
    assert (row["goals_met"], row["satisfaction"], row["recommend"], row["role"]) == (4, 5, 9, "mentor")


def test_a_bad_link_shows_a_plain_refusal(served, page):
    world, base = served
    page.goto(base + "/forms/pulse?token=forged")
    assert "This link is not valid." in page.locator("[role=alert]").inner_text()
    shot(page, "refused")


def test_a_group_leader_answers_the_pulse_about_the_group_as_a_whole(served, page):
    """A group is one entry of the pulse form; the one answer is stored for each pair of the group."""
    world, base = served
    store = add_group(world.store_url, "L1", ("G1", "G2"), 9)
    page.goto(base + world.link("L1", "pulse"))
    assert "your group with 2 members (you lead it)" in page.locator("form").inner_text()
    assert "How satisfied are you with the group?" in page.content()
    page.fill("#meetings", "2")
    for name, value in (("satisfaction", "4"), ("goal_progress", "3"), ("follow_through", "4")):
        page.check(f"input[name={name}][value='{value}']")
    page.click("button[type=submit]")
    assert "your answers are saved" in page.locator(".success").inner_text()
    shot(page, "pulse-group-saved")
    stored = store.rows(pulse_responses, respondent_id="L1")
    assert len(stored) == 2 and {r["satisfaction"] for r in stored} == {4}
