"""Forms details people trip on, through the forms app (TestClient): required questions marked as required,
partners chosen by name from the roster (every name for a small roster, a search that works without
JavaScript for a large one) while the ids stay what is stored, scales as one row of numbers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from forms_fixtures import COHORT, GOOD_APPLICATION, GOOD_PULSE, make_world
from mentorflow.forms import events, partners
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import Store, applications, people


@pytest.fixture
def world(cohorts_dir, tmp_path):
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")


@pytest.fixture
def client():
    with TestClient(create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9")))) as c:
        yield c


def big_roster(world, count: int = partners.LIST_LIMIT + 10) -> None:
    """More people than a list shows: R001 "Robin Ashby 1" … (and one "Dana Smith")."""
    Store(world.store_url).upsert(people, [
        {"cohort_id": COHORT, "employee_id": f"R{i:03d}", "full_name": "Dana Smith" if i == 7 else f"Robin Ashby {i}",
         "email": f"r{i}@example.com", "department": "Sales", "job_title": "Analyst", "level": 3, "manager_id": None,
         "location": "Berlin", "timezone": "Europe/Berlin", "hire_date": dt.date(2020, 1, 1), "on_pip": False,
         "eligible": True, "eligibility_reason": "ok"} for i in range(1, count + 1)])


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


def tag(page: str, element: str, id_: str) -> str:
    """The opening tag of the element with this id."""
    return re.search(rf'<{element}[^>]*\bid="{re.escape(id_)}"[^>]*>', page).group(0)


def options(page: str, select_id: str) -> list[tuple[str, str]]:
    block = re.search(rf'<select id="{re.escape(select_id)}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', block)


def test_required_questions_are_marked_and_optional_ones_are_not(world, client):
    page = client.get(world.link("E1", "application")).text
    # role (radios), goals, hours, every personality question, consent: the model's required answers
    assert re.search(r'<fieldset[^>]*id="role" role="radiogroup" aria-required="true"', page)
    assert re.search(r'<legend>How would you like to take part\? <span class="req">\(required\)</span>', page)
    for control, element in (("goals", "textarea"), ("hours_per_month", "input"), ("tipi_1", "select"),
                             ("tipi_10", "select"), ("consent", "input")):
        opening = tag(page, element, control)
        assert " required" in opening and 'aria-required="true"' in opening, control
    assert re.search(r'<label for="goals">[^<]*<span class="req">\(required\)</span></label>', page)
    for optional, element in (("motivation", "textarea"), ("capacity", "input"), ("preferred_partners-0", "select")):
        assert "required" not in tag(page, element, optional), optional
    assert '<label for="motivation">Why do you want to take part?</label>' in page

    pulse = client.get(world.link("E2", "pulse")).text
    assert re.search(r'id="satisfaction" role="radiogroup" aria-required="true"', pulse)
    assert " required" in tag(pulse, "input", "meetings")
    assert 'id="outcome" role="radiogroup">' in pulse  # has a default: not required


def test_small_roster_lists_every_other_name_and_stores_ids(world, client):
    link = world.link("E1", "application")
    page = client.get(link).text
    listed = options(page, "preferred_partners-0")
    assert listed[0] == ("", "No one")
    assert ("E3", "Person 3 (Engineer, Eng)") in listed
    assert "E1" not in [value for value, _ in listed]  # not oneself
    assert options(page, "avoid_partners-2") == listed
    assert 'name="preferred_partners-find"' not in page  # no search for a short list
    assert not re.search(r'<input[^>]*name="preferred_partners-0"', page)  # never a typed id
    saved = client.post(link, data={**GOOD_APPLICATION, "preferred_partners-0": "E4", "preferred_partners-1": "E3",
                                    "avoid_partners-0": "E5", "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert saved.status_code == 303
    row = Store(world.store_url).rows(applications, cohort_id=COHORT, employee_id="E1")[0]
    assert (row["preferred_partners"], row["avoid_partners"]) == ("E4;E3", "E5")
    again = client.get(link).text  # shown again by name, chosen
    assert '<option value="E4" selected>Person 4 (Engineer, Eng)</option>' in again


@pytest.mark.parametrize("who", ["E99", "E1"])
def test_a_partner_not_on_the_roster_or_oneself_is_refused_beside_the_list(world, client, who):
    link = world.link("E1", "application")
    page = client.get(link).text
    refused = client.post(link, data={**GOOD_APPLICATION, "preferred_partners-0": who, "csrf_token": csrf_of(page)})
    assert refused.status_code == 422
    assert re.search(r'id="preferred_partners-error">.*please choose people from the list', refused.text)
    assert not Store(world.store_url).rows(applications, cohort_id=COHORT, employee_id="E1")
    api = client.post("/api" + link, json={"role": "mentee", "skills_wanted": [{"name": "sql", "level": 3}],
                                          "goals": "Grow", "tipi": [4] * 10, "hours_per_month": 4,
                                          "consent": True, "avoid_partners": [who]})
    assert api.status_code == 422 and "avoid_partners" in api.json()["errors"]


def test_large_roster_search_keeps_every_answer_and_saves_nothing(world, client):
    big_roster(world)
    link = world.link("E1", "application")
    page = client.get(link).text
    assert 'name="preferred_partners-find"' in page and 'name="find" value="avoid_partners"' in page
    assert options(page, "preferred_partners-0") == [("", "No one")]  # nobody listed until searched
    typed = {**GOOD_APPLICATION, "preferred_partners-0": "", "avoid_partners-0": "", "motivation": "I like teaching",
             "preferred_partners-find": "smith", "find": "preferred_partners", "csrf_token": csrf_of(page)}
    found = client.post(link, data=typed)
    assert found.status_code == 200
    assert "1 name(s) found for “smith”" in found.text
    assert ("R007", "Dana Smith (Analyst, Sales)") in options(found.text, "preferred_partners-0")
    assert options(found.text, "avoid_partners-0") == [("", "No one")]  # only the list searched
    assert ">I like teaching</textarea>" in found.text and 'value="smith"' in found.text  # all kept
    assert not Store(world.store_url).rows(applications, cohort_id=COHORT, employee_id="E1")

    # pick Dana Smith, then search the other list: the chosen one stays offered and chosen
    second = client.post(link, data={**typed, "preferred_partners-0": "R007", "find": "avoid_partners",
                                     "avoid_partners-find": "Robin Ashby 1"})
    assert '<option value="R007" selected>Dana Smith (Analyst, Sales)</option>' in second.text
    assert "20 or more name(s) found" in second.text or "name(s) found for “Robin Ashby 1”" in second.text
    assert ("R001", "Robin Ashby 1 (Analyst, Sales)") in options(second.text, "avoid_partners-0")
    short = client.post(link, data={**typed, "preferred_partners-find": "s"})
    assert "Type at least 2 letters" in short.text
    nobody = client.post(link, data={**typed, "preferred_partners-find": "100%_"})  # LIKE wildcards are literal
    assert "No one on the roster is called" in nobody.text

    saved = client.post(link, data={**typed, "find": "", "preferred_partners-0": "R007", "avoid_partners-0": "R001"},
                        follow_redirects=False)
    assert saved.status_code == 303
    row = Store(world.store_url).rows(applications, cohort_id=COHORT, employee_id="E1")[0]
    assert (row["preferred_partners"], row["avoid_partners"]) == ("R007", "R001")


def test_scales_are_one_row_of_numbers_with_both_ends_named(world, client):
    pulse = client.get(world.link("E2", "pulse")).text
    block = re.search(r'<fieldset[^>]*id="satisfaction".*?</fieldset>', pulse, re.S).group(0)
    assert re.findall(r'name="satisfaction" value="(\d+)"', block) == ["1", "2", "3", "4", "5"]
    assert "1 = very low" in block and "5 = very high" in block
    closeout = client.get(world.link("E2", "closeout")).text
    block = re.search(r'<fieldset[^>]*id="recommend".*?</fieldset>', closeout, re.S).group(0)
    assert re.findall(r'name="recommend" value="(\d+)"', block) == [str(n) for n in range(11)]
    assert "0 = not at all" in block and "10 = extremely" in block
    # a stored answer comes back checked
    link = world.link("E2", "pulse")
    client.post(link, data={**GOOD_PULSE, "csrf_token": csrf_of(pulse)})
    assert 'name="satisfaction" value="4" checked' in client.get(link).text
