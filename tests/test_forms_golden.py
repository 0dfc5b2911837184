"""The application page's speed-ups change no byte of it: each case below (empty, saved and pre-filled, with
errors, the gap-fill form, the name search of a large roster, the network questions, the rate-limit notice)
renders as recorded in tests/data/forms_golden/ (recorded before the page's helper macros became Python
functions and its option lists were built once per cohort).

The link, the CSRF field and the rate limit's wait vary from run to run: they are replaced by fixed words. If the page was changed on purpose, write the files again:

    FORMS_GOLDEN_WRITE=1 python -m pytest -q tests/test_forms_golden.py
"""

from __future__ import annotations

import datetime as dt
import os
import re
import urllib.parse
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from forms_fixtures import COHORT, GOOD_APPLICATION, XSS, make_world
from mentorflow.forms import events, partners, security
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import Store, people

GOLDEN = Path(__file__).parent / "data" / "forms_golden"
WRITE = bool(os.environ.get("FORMS_GOLDEN_WRITE"))
NOW = dt.datetime(2030, 3, 4, 10, 0, tzinfo=dt.timezone.utc)  # the page says the deadline: a fixed clock
AFFINITY = {"affinity": {"mode": "soft", "networks": ["Women in Tech", "Pride <Network>"]}}


def masked(page: str, token: str) -> str:
    page = page.replace(urllib.parse.quote(token), "LINK").replace(token, "LINK")
    page = re.sub(r'name="csrf_token" value="[0-9a-f]+"', 'name="csrf_token" value="CSRF"', page)
    return re.sub(r"Please wait \d+ seconds", "Please wait N seconds", page)  # the bucket's wait, to the second


def client(**limits) -> TestClient:
    limiter = security.RateLimiter(**limits) if limits else security.RateLimiter()
    return TestClient(create_app(FormsSettings(clock=lambda: NOW, limiter=limiter,
                                               airflow=events.AirflowClient("http://127.0.0.1:9"))))


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


def post(c: TestClient, link: str, fields: dict):
    page = c.get(link)
    assert page.status_code == 200, page.text
    return c.post(link, data={**fields, "csrf_token": csrf_of(page.text)}, follow_redirects=False)


def case_empty(world):
    with client() as c:
        return c.get(world.link("E1", "application")), world.token("E1", "application")


def case_saved(world):
    full = {**GOOD_APPLICATION, "share_goals": "yes", "circle_volunteer": "yes", "async_budget": "3",
            "group_consent": "yes", "motivation": XSS, "skills_offered-1-name": "public speaking",
            "skills_offered-1-level": "2", "preferred_partners-1": "E4", "avoid_partners-0": "E5"}
    with client() as c:
        link = world.link("E1", "application")
        assert post(c, link, full).status_code == 303
        return c.get(link + "&saved=1"), world.token("E1", "application")


def case_errors(world):
    bad = {**GOOD_APPLICATION, "role": "", "hours_per_month": "99", "tipi_3": "9", "consent": "",
           "skills_wanted-0-level": "7", "preferred_partners-0": "E5", "avoid_partners-0": "E5", "goals": XSS}
    with client() as c:
        response = post(c, world.link("E2", "application"), bad)
        assert response.status_code == 422
        return response, world.token("E2", "application")


def case_gapfill(world):
    with client() as c:
        assert post(c, world.link("E3", "application"), {**GOOD_APPLICATION, "preferred_partners-0": "E1"}).status_code == 303
        return c.get(world.link("E3", "gapfill", "gapfill-1")), world.token("E3", "gapfill", "gapfill-1")


def case_search(world):
    Store(world.store_url).upsert(people, [
        {"cohort_id": COHORT, "employee_id": f"R{i:03d}", "full_name": "Dana Smith" if i == 7 else f"Robin Ashby {i}",
         "email": f"r{i}@example.com", "department": "Sales", "job_title": "Analyst", "level": 3, "manager_id": None,
         "location": "Berlin", "timezone": "Europe/Berlin", "hire_date": dt.date(2020, 1, 1), "on_pip": False,
         "eligible": True, "eligibility_reason": "ok"} for i in range(1, partners.LIST_LIMIT + 11)])
    with client() as c:
        link = world.link("E1", "application")
        found = post(c, link, {"role": "mentee", "preferred_partners-0": "R010", "preferred_partners-find": "dana",
                               "avoid_partners-find": "x", partners.FIND: "preferred_partners"})
        assert found.status_code == 200
        return found, world.token("E1", "application")


def case_affinity(world):
    with client() as c:
        link = world.link("E4", "application")
        assert post(c, link, {**GOOD_APPLICATION, "affinity_network": "Pride <Network>", "affinity_match": "yes",
                              "affinity_consent": "yes"}).status_code == 303
        return c.get(link), world.token("E4", "application")


def case_rate_limited(world):
    with client(burst=1, per_minute=0.01) as c:
        link = world.link("E1", "application")
        assert post(c, link, GOOD_APPLICATION).status_code == 303
        refused = post(c, link, {**GOOD_APPLICATION, "goals": "again"})
        assert refused.status_code == 429
        return refused, world.token("E1", "application")


CASES = {"empty": case_empty, "saved": case_saved, "errors": case_errors, "gapfill": case_gapfill,
         "search": case_search, "affinity": case_affinity, "rate-limited": case_rate_limited}


@pytest.mark.parametrize("case", CASES)
def test_the_application_page_renders_byte_for_byte_as_recorded(case, cohorts_dir, tmp_path):
    overrides = {"matching": AFFINITY} if case == "affinity" else {}
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}", now=NOW, **overrides)
    response, token = CASES[case](world)
    page = masked(response.text, token)
    path = GOLDEN / f"{case}.html"
    if WRITE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert page == expected, (f"the {case} page renders differently from {path.name}; if that was meant, write the "
                              "files again (see this module's docstring)")


def test_the_recorded_pages_show_what_each_case_is_about():
    """The golden files are pages worth comparing: each shows the thing its case is there for."""
    pages = {case: (GOLDEN / f"{case}.html").read_text(encoding="utf-8") for case in CASES}
    assert 'id="consent"' in pages["empty"] and "selected" not in pages["empty"]
    assert "&lt;script&gt;" in pages["saved"] and "<script>" not in pages["saved"]
    assert pages["saved"].count(" selected>") >= 12 and 'id="share_goals" name="share_goals" value="yes" checked' \
        in pages["saved"]
    assert 'aria-invalid="true"' in pages["errors"] and "error-summary" in pages["errors"]
    assert "Complete your application" in pages["gapfill"]
    assert "Dana Smith" in pages["search"] and "Type at least" in pages["search"]
    assert "Pride &lt;Network&gt;" in pages["affinity"]
    assert "Too many submissions" in pages["rate-limited"]


# -- each Python control renders what its macro renders ------------------------------------------------------

VALUES = {"a": "2", "b": "<b>&\"'", "role": "m", "n": 3}
ERRORS = {"a": "too <big>", "role": "pick one"}
HINTS = (None, "", "a <hint> & more")
OPTIONS = ([("1", "1"), ("2", "x & <y>"), (3, "three")], [], [("m", "M"), ("n", "N")])


def macro(env, call: str, **context) -> str:
    template = env.from_string('{% import "forms/_macros.html" as f with context %}' + "{{ " + call + " }}")
    return template.render(**context)


@pytest.mark.parametrize("required_fields", [frozenset(), frozenset({"a", "role", "b"})], ids=["optional", "required"])
def test_each_control_renders_what_its_macro_renders(required_fields):
    from mentorflow.forms import controls
    from mentorflow.forms.registry import environment

    env = environment()
    c = controls.Controls(VALUES, ERRORS, required_fields)
    ctx = {"required_fields": required_fields, "values": VALUES, "errors": ERRORS, "args": {}}
    checked = 0
    for name in ("a", "b", "role", "n", "x"):
        for hint in HINTS:
            ctx["args"] = {"name": name, "hint": hint}
            assert c.described(name, hint) == macro(env, "f.described(args.name, args.hint, errors)", **ctx)
            assert c.messages(name, hint) == macro(env, "f.messages(args.name, args.hint, errors)", **ctx)
            for required in (False, True):
                ctx["args"]["required"] = required
                assert c.input(name, "L<", type="number", hint=hint, required=required, extra='min="0"') == macro(
                    env, "f.input(args.name, 'L<', values, errors, type='number', hint=args.hint, "
                         "required=args.required, extra='min=\"0\"')", **ctx)
                assert c.textarea(name, "T&", hint=hint, required=required, rows=2) == macro(
                    env, "f.textarea(args.name, 'T&', values, errors, hint=args.hint, required=args.required, rows=2)",
                    **ctx)
            for options in OPTIONS:
                ctx["args"]["options"] = options
                for blank in ("Choose…", None, "No <one>"):
                    ctx["args"]["blank"] = blank
                    assert c.select(name, "S", options, hint=hint, blank=blank) == macro(
                        env, "f.select(args.name, 'S', args.options, values, errors, hint=args.hint, blank=args.blank)",
                        **ctx)
                for inline in (False, True):
                    ctx["args"]["inline"] = inline
                    assert c.radios(name, "R>", options, hint=hint, inline=inline) == macro(
                        env, "f.radios(args.name, 'R>', args.options, values, errors, hint=args.hint, "
                             "inline=args.inline)", **ctx)
                checked += 1
    for options in (controls.SKILL_LEVELS, controls.TIPI_OPTIONS):  # the lists escaped once per process
        for name in ("a", "tipi_1"):
            ctx["args"] = {"name": name, "options": list(options)}
            assert c.select(name, "S", options) == macro(env, "f.select(args.name, 'S', args.options, values, errors)",
                                                         **ctx)
    for errors in ({}, {"a": "x"}, ERRORS):
        for notice in (None, "wait <1> minute"):
            ctx.update(errors=errors, args={"notice": notice}, label=lambda n: f"label of <{n}>")
            assert controls.Controls(VALUES, errors).summary(notice, ctx["label"]) == macro(
                env, "f.summary(errors, args.notice, label)", **ctx)
    for saved in (False, True):
        assert controls.saved_notice(saved, "1 May <x>") == macro(env, "f.saved_notice(args, '1 May <x>')",
                                                                  **{**ctx, "args": saved})
    assert controls.form_open("a?token=x&y", "csrf", "v<") == macro(env, "f.form_open('a?token=x&y', 'csrf', 'v<')",
                                                                     **ctx)
    assert controls.datalist_options(["C++", "a<b"]) == '<option value="C++"><option value="a&lt;b">'
    assert checked == len(("a", "b", "role", "n", "x")) * len(HINTS) * len(OPTIONS)
