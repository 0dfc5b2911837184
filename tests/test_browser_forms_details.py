"""Forms details in headless Chromium on a 390 px phone, JavaScript off, against the app under uvicorn:
the 1–5 and 0–10 scales sit on one line, a partner is found by name and chosen without JavaScript,
required questions say so, the closed page names the program and whom to write to. Screenshots go to
test-output/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from browser_fixtures import finish_application, needs_chromium, shot
from forms_fixtures import COHORT, add_group, make_world, serving
from mentorflow.store import Store, applications
from test_forms_details import big_roster

pytestmark = [needs_chromium, pytest.mark.slow]


def one_line(page, name: str, count: int) -> None:
    """Every option of the scale ``name`` shares one top, and the row fits the phone's width."""
    boxes = [page.locator(f"input[name={name}]").nth(i).bounding_box() for i in range(count)]
    assert len({round(b["y"]) for b in boxes}) == 1, (name, boxes)
    assert all(b["x"] + b["width"] <= 390 for b in boxes)
    assert [b["x"] for b in boxes] == sorted(b["x"] for b in boxes)  # in order, left to right


def test_scales_sit_on_one_line_on_a_phone(cohorts_dir, tmp_path, page):
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")
    with serving() as base:
        page.goto(base + world.link("E2", "pulse"))
        for name in ("satisfaction", "goal_progress", "follow_through"):
            one_line(page, name, 5)
        assert page.locator("#satisfaction legend").inner_text().endswith("(required)")
        page.check("input[name=satisfaction][value='5']")  # the number's own label is a tap target
        assert page.is_checked("input[name=satisfaction][value='5']")
        shot(page, "details-pulse-scales-390")
        page.goto(base + world.link("E2", "closeout"))
        for name, count in (("goals_met", 5), ("satisfaction", 5), ("recommend", 11)):
            one_line(page, name, count)
        page.locator("fieldset#recommend label.point", has_text="10").click()
        assert page.is_checked("input[name=recommend][value='10']")
        shot(page, "details-closeout-scales-390")
        # a group leader's pulse has the same scales
        add_group(world.store_url, "G1", ("G2", "G3"), 9)
        page.goto(base + world.link("G1", "pulse"))
        one_line(page, "follow_through", 5)


def test_partner_found_by_name_and_chosen_without_javascript(cohorts_dir, tmp_path, page):
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")
    big_roster(world)
    with serving() as base:
        page.goto(base + world.link("E1", "application"))
        page.check("input[name=role][value=mentee]")
        page.fill("#motivation", "Grow into a lead")
        page.fill("#preferred_partners-find", "smith")
        page.click("button[name=find][value=preferred_partners]")
        assert "1 name(s) found" in page.locator("#preferred_partners-found").inner_text()
        assert page.input_value("#motivation") == "Grow into a lead" and page.is_checked("input[value=mentee]")
        page.select_option("#preferred_partners-0", label="Dana Smith (Analyst, Sales)")
        shot(page, "details-partner-search-390")
        assert page.locator("#preferred_partners-find").bounding_box()["width"] > 150  # usable on a phone
        finish_application(page)
        assert "your answers are saved" in page.locator(".success").inner_text()
        row = Store(world.store_url).rows(applications, cohort_id=COHORT, employee_id="E1")[0]
        assert row["preferred_partners"] == "R007"  # the id the matcher reads
        assert page.locator("#preferred_partners-0 option:checked").inner_text() == "Dana Smith (Analyst, Sales)"


def test_closed_form_names_program_and_contact(cohorts_dir, tmp_path, page):
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}",
                       now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=14))
    with serving() as base:
        page.goto(base + world.link("E3", "application"))
        assert page.locator("h1").inner_text() == "This form is closed"
        text = page.locator("main").inner_text()
        assert "Test Cohort" in text and world.config.sender.ops_email in text
        assert page.locator(f"a[href='mailto:{world.config.sender.ops_email}']").count() == 1
        shot(page, "details-closed-390")
