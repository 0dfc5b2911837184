"""The committee console (mentorflow.committee): Airflow authentication, the review page, the audit trail, CSRF.

The fast tests call the console app in-process with real tokens made by Airflow's own JWT generator and checked by
Airflow's own validator (the simple auth manager, initialised as the console does when it runs outside the API
server). The ``airflow`` tests run a real ``airflow api-server`` with the plugin: a reviewer logs in through
``POST /auth/token`` and opens the console mounted inside it.
"""

from __future__ import annotations

import re

import httpx
import pytest
from browser_fixtures import SHOTS, chromium, needs_chromium
from committee_fixtures import AVOIDED, COHORT, NETWORK, airflow_api_server, build_world, csrf_of, login
from mentorflow.committee import audit, review
from mentorflow.store import matches, unmatched

PAGE = f"/committee/{COHORT}/initial"
# the console imports the matcher on its first request inside the api-server: a generous bound, only against a hang
HANG = 120


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("committee-world"))


def names_in_cohort(world) -> list[str]:
    from mentorflow.store import people

    return [p["full_name"] for p in world.store.rows(people, cohort_id=COHORT)]


def test_a_reviewer_sees_pairs_with_ids_names_roles_answers_and_the_committee_report(console):
    client, world = console
    page = client("chair").get(PAGE)
    assert page.status_code == 200, page.text[:500]
    html = page.text
    pairs = world.store.rows(matches, cohort_id=COHORT, round="initial", status="proposed")
    assert pairs
    for pair in pairs:
        assert pair["mentor_id"] in html and pair["mentee_id"] in html
    context = review.load_review(world.config, world.store, "initial")
    first = context["pairs"][0]
    assert first["mentor"]["full_name"] in html and f"{first['score']:.3f}" in html
    # the pair's true explanation (the matcher's own reasons), escaped as the page prints it
    assert first["explanation"].replace("'", "&#39;") in html
    # each partner's own answers: goals as written, skills with levels
    assert "Goals" in html and "Can teach" in html and "/5)" in html
    # the unmatched: each with a role; the one who already mentors is listed as mentee only
    left = world.store.rows(unmatched, cohort_id=COHORT, round="initial")
    assert left and all(u["employee_id"] in html for u in left)
    mentoring = [u for u in context["unmatched"] if u["mentoring"]]
    assert mentoring and all(u["role"] == "as mentee" for u in mentoring)
    assert "already mentors" in html and "as mentee" in html
    # the committee report's sections, from the report's own functions
    for section in ('id="fairness"', 'id="coverage"', 'id="certificate"', 'id="trail"'):
        assert section in html
    assert context["certificate"] in html
    # never: avoid lists, the private network, personality items
    assert AVOIDED not in html and NETWORK not in html and "tipi" not in html.lower()


def test_an_anonymous_visitor_goes_to_airflow_login_and_an_api_call_gets_401(console):
    client, _ = console
    anonymous = client()
    page = anonymous.get(PAGE, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/api/v2/auth/login?next=")
    assert "committee-cohort" in page.headers["location"] and "Pers" not in page.text
    assert anonymous.get("/", follow_redirects=False).status_code == 303
    api = anonymous.get("/api/me")
    assert api.status_code == 401 and api.json()["error"] == "not authenticated"
    # a garbage, an expired and a revoked token are the same as none
    garbage = client()
    garbage.cookies.set("_token", "not-a-jwt")
    assert garbage.get(PAGE, follow_redirects=False).status_code == 303
    expired = client("chair", expiration_time_in_seconds=-3600)
    assert expired.get(PAGE, follow_redirects=False).status_code == 303
    revoked = client("chair")
    from mentorflow.committee import auth

    auth.auth_manager().revoke_token(revoked.cookies.get("_token"))
    assert revoked.get("/api/me").status_code == 401


def test_a_user_who_is_not_a_reviewer_gets_403_and_no_data(console):
    client, world = console
    outsider = client("outsider")
    before = len(audit.trail(world.store, COHORT, "initial"))
    for path in (PAGE, f"/committee/{COHORT}/midpoint", "/committee/no-such-cohort/initial",
                 "/committee/..%2f..%2fetc/initial"):
        page = outsider.get(path)
        assert page.status_code in (403, 404), (path, page.status_code)
        assert not any(name in page.text for name in names_in_cohort(world)), path
        assert not re.search(r"E0000\d\d", page.text), path
    assert outsider.get(PAGE).status_code == 403
    assert outsider.get("/committee/no-such-cohort/initial").status_code == 403  # unknown looks the same
    assert outsider.get("/api/me").json()["cohorts"] == []
    assert len(audit.trail(world.store, COHORT, "initial")) == before  # a refused request sees nothing, records nothing
    # an admin may review every cohort (and is told when a cohort does not exist)
    boss = client("boss", role="admin")
    assert boss.get(PAGE).status_code == 200
    assert boss.get("/committee/no-such-cohort/initial").status_code == 404


def test_every_view_is_in_the_audit_trail_latest_first_and_shown_on_the_page(console):
    client, world = console
    member = client("member")
    assert member.get(PAGE).status_code == 200
    chair = client("chair")
    html = chair.get(PAGE).text
    trail = audit.trail(world.store, COHORT, "initial")
    assert [(e["actor"], e["action"]) for e in trail[:2]] == [("chair", "view"), ("member", "view")]
    assert trail[0]["detail"]["pairs"] == world.store.count(matches, cohort_id=COHORT, round="initial")
    shown = html[html.index('id="trail"'):]
    assert shown.index(">chair<") < shown.index(">member<")  # latest first
    assert "viewed the review page" in shown


def test_a_bearer_token_works_and_the_index_lists_the_reviewable_rounds(console, airflow_auth):
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    client, _ = console
    token = airflow_auth.generate_jwt(SimpleAuthManagerUser(username="member", role="user"))
    scripted = client()
    me = scripted.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["id"] == "member" and me.json()["cohorts"][0]["rounds"] == ["initial"]
    index = client("chair").get("/")
    assert index.status_code == 200 and f'href="/committee/{COHORT}/initial"' in index.text


def test_a_note_needs_the_csrf_field_bound_to_the_same_user(console):
    client, world = console
    chair = client("chair")
    field = csrf_of(chair.get(PAGE).text)
    notes_before = audit.notes(audit.trail(world.store, COHORT, "initial"))
    # no field; a wrong field; the chair's field posted by another reviewer with the chair's cookie
    assert chair.post(f"{PAGE}/notes", data={"note": "x"}).status_code == 403
    assert chair.post(f"{PAGE}/notes", data={"note": "x", "csrf_token": "0" * 64}).status_code == 403
    member = client("member")
    member.cookies.set("mf_committee_csrf", chair.cookies.get("mf_committee_csrf"))
    assert member.post(f"{PAGE}/notes", data={"note": "x", "csrf_token": field}).status_code == 403
    assert audit.notes(audit.trail(world.store, COHORT, "initial")) == notes_before
    # anonymous posts are refused with 401, not redirected
    assert client().post(f"{PAGE}/notes", data={"note": "x", "csrf_token": field}).status_code == 401
    # the real thing: recorded, shown escaped
    note = "Check <b>pair 3</b>: same team last year?"
    done = chair.post(f"{PAGE}/notes", data={"note": note, "csrf_token": field}, follow_redirects=False)
    assert done.status_code == 303
    page = chair.get(done.headers["location"]).text
    assert "Check &lt;b&gt;pair 3&lt;/b&gt;: same team last year?" in page and "<b>pair 3</b>" not in page
    latest = audit.notes(audit.trail(world.store, COHORT, "initial"))[0]
    assert (latest["actor"], latest["detail"]["text"]) == ("chair", note)
    assert chair.post(f"{PAGE}/notes", data={"note": " ", "csrf_token": field}).status_code == 422


def test_unmatched_role_says_which_role_someone_lacks():
    pairs = [{"mentor_id": "A", "mentee_id": "B"}, {"mentor_id": "C", "mentee_id": "A2"}]
    assert review.unmatched_role("A", "both", pairs, False) == ("as mentee", ["B"])
    assert review.unmatched_role("B", "both", pairs, False) == ("as mentor", [])
    assert review.unmatched_role("D", "both", pairs, False) == ("as mentee or mentor", [])
    assert review.unmatched_role("D", "mentor", pairs, False) == ("as mentor", [])
    assert review.unmatched_role("D", "mentee", pairs, True) == ("as partner", [])


def test_answers_shown_hide_avoid_lists_and_private_answers():
    app = {"role": "mentor", "goals": "Lead", "skills_offered": "sql:4;negotiation:2", "skills_wanted": "",
           "preferred_partners": "E1;E9", "avoid_partners": "E7", "affinity_network": "net", "tipi_1": 3,
           "hours_per_month": 4.0, "capacity": 2, "preferred_traits": "patient"}
    shown = dict(review.answers_shown(app, {"E1": "Ann"}))
    assert shown == {"Goals": "Lead", "Can teach": "sql (4/5), negotiation (2/5)",
                     "Prefers a partner who is": "patient", "Would like to be paired with": "Ann (E1), E9 (E9)",
                     "Hours a month": "4", "Mentees at most": "2"}


# -- inside a real Airflow API server ----------------------------------------------------------------

@pytest.fixture(scope="module")
def served(world, airflow_db, tmp_path_factory):
    """The console inside a real ``airflow api-server`` (the plugin mounts it at /mentorflow-committee)."""
    with airflow_api_server(tmp_path_factory.mktemp("api-server"), world.cohorts_dir) as (url, passwords):
        yield url, passwords, world


@pytest.mark.airflow
@pytest.mark.slow
def test_inside_airflow_a_logged_in_reviewer_sees_the_page_and_the_view_is_audited(served):
    url, passwords, world = served
    token = login(url, "chair", passwords["chair"])
    with httpx.Client(base_url=url, cookies={"_token": token}, timeout=HANG) as browser:
        page = browser.get(f"/mentorflow-committee{PAGE}")
        assert page.status_code == 200, page.text[:500]
        for pair in world.store.rows(matches, cohort_id=COHORT, round="initial", status="proposed"):
            assert pair["mentor_id"] in page.text and pair["mentee_id"] in page.text
        assert "as mentee" in page.text and "Fairness audit" in page.text
        assert "Signed in to Airflow as <strong>chair</strong>" in page.text
        # links inside the page stay below the mount point
        assert f'action="/mentorflow-committee{PAGE}/notes"' in page.text
        assert browser.get("/mentorflow-committee/assets/committee.css").status_code == 200
        index = browser.get("/mentorflow-committee/")
        assert f'href="/mentorflow-committee{PAGE}"' in index.text
    latest = audit.trail(world.store, COHORT, "initial")[0]
    assert (latest["actor"], latest["action"]) == ("chair", "view")
    # Airflow lists the console in its navigation (Browse menu, shown in the UI's frame)
    plugins = httpx.get(f"{url}/api/v2/plugins", headers={"Authorization": f"Bearer {token}"}).json()["plugins"]
    [ours] = [p for p in plugins if p["name"] == "mentorflow"]
    [view] = ours["external_views"]
    assert (view["name"], view["href"], view["url_route"], view["destination"]) == (
        "Matching committee", "mentorflow-committee/", "mentorflow-committee", "nav")
    assert {a["url_prefix"] for a in ours["fastapi_apps"]} == {"/mentorflow", "/mentorflow-committee",
                                                                "/mentorflow-reports"}


@pytest.mark.airflow
@pytest.mark.slow
def test_inside_airflow_anonymous_goes_to_login_an_outsider_gets_403_and_posts_need_csrf(served):
    url, passwords, world = served
    with httpx.Client(base_url=url, timeout=HANG) as anonymous:
        page = anonymous.get(f"/mentorflow-committee{PAGE}")
        assert page.status_code == 303
        login_page = page.headers["location"]
        assert login_page.startswith("/api/v2/auth/login?next=")
        # Airflow accepts the way back (a foreign next= would be 400) and sends the browser to its login page
        onward = anonymous.get(login_page)
        assert onward.status_code == 307
        assert onward.headers["location"].startswith("/auth/login?next=")
        assert "mentorflow-committee%2Fcommittee%2Fcommittee-cohort%2Finitial" in onward.headers["location"]
        assert anonymous.get("/mentorflow-committee/api/me").status_code == 401
    outsider = login(url, "outsider", passwords["outsider"])
    with httpx.Client(base_url=url, cookies={"_token": outsider}, timeout=HANG) as browser:
        page = browser.get(f"/mentorflow-committee{PAGE}")
        assert page.status_code == 403
        assert not any(name in page.text for name in names_in_cohort(world))
    chair = login(url, "chair", passwords["chair"])
    with httpx.Client(base_url=url, cookies={"_token": chair}, timeout=HANG) as browser:
        field = csrf_of(browser.get(f"/mentorflow-committee{PAGE}").text)
        refused = browser.post(f"/mentorflow-committee{PAGE}/notes", data={"note": "no field"})
        assert refused.status_code == 403
        done = browser.post(f"/mentorflow-committee{PAGE}/notes", data={"note": "Looks fair", "csrf_token": field})
        assert done.status_code == 303
    notes = audit.notes(audit.trail(world.store, COHORT, "initial"))
    assert [n["detail"]["text"] for n in notes].count("no field") == 0 and notes[0]["detail"]["text"] == "Looks fair"


@pytest.mark.airflow
@pytest.mark.slow
@needs_chromium
def test_in_chromium_a_reviewer_logs_in_on_airflows_page_opens_the_console_and_adds_a_note_by_keyboard(served):
    url, passwords, world = served
    with chromium() as browser:
        # Airflow's own login page (a JavaScript app) brings the reviewer back to the console
        airflow = browser.new_context()
        page = airflow.new_page()
        page.goto(f"{url}/mentorflow-committee{PAGE}")
        page.wait_for_selector("input[name=username]", timeout=60_000)
        page.fill("input[name=username]", "chair")
        page.fill("input[name=password]", passwords["chair"])
        page.click("button[type=submit]")
        page.wait_for_url(f"**/mentorflow-committee{PAGE}", timeout=60_000)
        assert "Proposed pairs" in page.inner_text("h2#pairs-h")
        page.screenshot(path=str(SHOTS / "committee-review.png"), full_page=True)
        # inside Airflow's UI: the nav entry's page frames the console
        page.goto(f"{url}/plugin/mentorflow-committee")
        framed = page.frame_locator("iframe[src*='mentorflow-committee']")
        assert "Cohorts you may review" in framed.locator("h1").inner_text(timeout=60_000)
        assert framed.locator(f"a[href='/mentorflow-committee{PAGE}']").count() == 1
        page.screenshot(path=str(SHOTS / "committee-in-airflow.png"))
        cookies = airflow.cookies()
        airflow.close()
        # the console itself needs no JavaScript: the same login, scripts off, a note added by keyboard only
        plain = browser.new_context(java_script_enabled=False)
        plain.add_cookies(cookies)
        page = plain.new_page()
        page.goto(f"{url}/mentorflow-committee{PAGE}")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.focus("#note")
        page.keyboard.type("Keyboard note: pair 2 needs a second look")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Add note"
        page.keyboard.press("Enter")
        page.wait_for_selector("div.success")
        assert "Keyboard note: pair 2 needs a second look" in page.inner_text("#notes")
        page.screenshot(path=str(SHOTS / "committee-note.png"), full_page=True)
        plain.close()
    latest = audit.notes(audit.trail(world.store, COHORT, "initial"))[0]
    assert (latest["actor"], latest["detail"]["text"]) == ("chair", "Keyboard note: pair 2 needs a second look")


def test_retention_purges_the_text_of_committee_notes_and_keeps_who_and_when(store, cohorts_dir):
    from conftest import run_of, write_cohort
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.stages import retention

    config = load_cohort(write_cohort(cohorts_dir, "kept-cohort", store={"url": str(store.url)}))
    audit.record(store, "kept-cohort", "initial", "chair", "note", {"text": "Person 3 told me about her divorce"})
    audit.record(store, "kept-cohort", "initial", "chair", "view", {"pairs": 4, "unmatched": 1})
    audit.record(store, "other-cohort", "initial", "chair", "note", {"text": "another cohort's note"})
    summary = retention.purge_free_text(run_of(config, store))
    assert summary["rows_purged"]["committee_notes"] == 1
    kept = audit.trail(store, "kept-cohort", "initial")
    assert [(e["actor"], e["action"], e["detail"]) for e in kept] == [
        ("chair", "view", {"pairs": 4, "unmatched": 1}), ("chair", "note", {"purged": True})]
    assert audit.describe(kept[1]) == "added a note (its text was purged at retention)"
    assert audit.trail(store, "other-cohort", "initial")[0]["detail"]["text"] == "another cohort's note"
    assert "committee_notes" not in retention.purge_free_text(run_of(config, store))["rows_purged"]  # once only


def test_votes_and_reopening_go_to_the_audit_trail_refused_votes_do_not(store, cohorts_dir):
    from conftest import write_cohort
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.committee import voting

    config = load_cohort(write_cohort(cohorts_dir, "voting-cohort", committee={"reviewers": ["ann", "ben", "cai"],
                                                                                 "quorum": 2}))
    store.register_cohort(config)
    voting.vote(config, store, "initial", "ann", "approve", "fine by me", None)
    with pytest.raises(voting.VoteRefused):
        voting.vote(config, store, "initial", "zoe", "approve", None, None)
    voting.vote(config, store, "initial", "ben", "approve", None, None)
    voting.reopen(config, store, "initial", actor="ann")
    trail = audit.trail(store, "voting-cohort", "initial")
    assert [(e["actor"], e["action"], e["detail"]) for e in trail] == [
        ("ann", "reopen", {"votes_cleared": 2}),
        ("ben", "vote", {"decision": "approve", "outcome": "approved"}),
        ("ann", "vote", {"decision": "approve", "outcome": "pending"})]
    assert "fine by me" not in str(trail)  # a vote's comment stays with the vote
