"""The committee acts in the console (mentorflow.committee.acting): lock, forbid and swap by click, re-solve and
see the diff before accepting, vote, reopen; the same actions through the JSON API with a Bearer token; a closed
round takes no change; CSRF on every post. In process, with real Airflow tokens (committee_fixtures.console)."""

from __future__ import annotations

import re
import shutil
import sqlite3

import pytest
from committee_fixtures import COHORT, ConsoleWorld, build_world, csrf_of
from mentorflow.committee import audit, deciding, voting
from mentorflow.store import committee_edits, committee_votes, matches

PAGE = f"/committee/{COHORT}/initial"
API = f"/api/committee/{COHORT}/initial"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """One matched cohort that every test starts from a copy of."""
    return build_world(tmp_path_factory.mktemp("acting-world"))


@pytest.fixture
def world(pristine, tmp_path, monkeypatch):
    """A copy of the matched cohort: its YAML and data, and its store (through SQLite's backup, WAL included)."""
    cohorts = shutil.copytree(pristine.cohorts_dir, tmp_path / "world" / "cohorts")
    url = f"sqlite:///{tmp_path / 'world' / 'store.db'}"
    with sqlite3.connect(pristine.store_url.removeprefix("sqlite:///")) as source, \
            sqlite3.connect(url.removeprefix("sqlite:///")) as target:
        source.backup(target)
    yaml = cohorts / f"{COHORT}.yaml"
    yaml.write_text(yaml.read_text().replace(pristine.store_url, url))
    monkeypatch.setenv("MENTORFLOW_AIRFLOW_URL", "http://127.0.0.1:9")  # no Airflow: decisions stay unsent
    return ConsoleWorld(cohorts, url)


def proposed(world) -> list[tuple[str, str]]:
    return sorted((m["mentor_id"], m["mentee_id"])
                  for m in world.store.rows(matches, cohort_id=COHORT, round="initial", status="proposed"))


def actions(world) -> list[str]:
    return [e["action"] for e in audit.trail(world.store, COHORT, "initial")]


def test_forbid_by_click_re_solve_shows_the_diff_and_accept_makes_it_the_proposal(console):
    client, world = console
    chair = client("chair")
    page = chair.get(PAGE)
    assert page.status_code == 200 and "Lock this pair" in page.text and "Forbid this pair" in page.text
    field = csrf_of(page.text)
    first = proposed(world)[0]
    pair = f"{first[0]}:{first[1]}"
    saved = chair.post(f"{PAGE}/edits", data={"kind": "forbid", "pair": pair, "csrf_token": field},
                       follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?edited=1#edits")
    shown = chair.get(saved.headers["location"]).text
    assert f"forbid {pair}" in shown and "The edit was saved." in shown
    assert proposed(world)[0] == first  # an edit alone changes no pair

    diff = chair.post(f"{PAGE}/resolve", data={"csrf_token": field})
    assert diff.status_code == 200, diff.text[:400]
    removed = re.search(r'<table id="pairs-removed">.*?</table>', diff.text, re.S).group(0)
    assert first[0] in removed and first[1] in removed
    assert re.search(r"\d+ pairs? added, \d+ removed", diff.text) and "Who is affected" in diff.text
    assert proposed(world)[0] == first  # a what-if writes nothing

    before, after = (re.search(rf'name="{k}" value="([0-9a-f]+)"', diff.text).group(1) for k in ("before", "after"))
    done = chair.post(f"{PAGE}/accept", data={"before": before, "after": after, "csrf_token": field},
                      follow_redirects=False)
    assert done.status_code == 303 and "accepted=1" in done.headers["location"]
    assert first not in proposed(world)
    assert {"edit", "what-if", "resolve"} <= set(actions(world))
    # accepting the same diff again: the proposal it compared against is gone
    again = chair.post(f"{PAGE}/accept", data={"before": before, "after": after, "csrf_token": field})
    assert again.status_code == 409 and "changed since you compared" in again.text


def test_a_swap_is_two_forbids_and_two_locks_removed_as_one(console):
    client, world = console
    chair = client("chair")
    field = csrf_of(chair.get(PAGE).text)
    a, b = proposed(world)[:2]
    saved = chair.post(f"{PAGE}/edits", data={"kind": "swap", "pair": f"{a[0]}:{a[1]}", "with": f"{b[0]}:{b[1]}",
                                              "csrf_token": field}, follow_redirects=False)
    rows = world.store.rows(committee_edits, cohort_id=COHORT, round="initial")
    if saved.status_code == 422:  # the crossed pairs break a named rule: the page says which, nothing is stored
        assert "breaks the rule" in saved.text or "is not" in saved.text
        assert rows == []
        return
    assert saved.status_code == 303
    assert sorted((r["kind"], r["mentor_id"], r["mentee_id"]) for r in rows) == sorted(
        [("forbid", *a), ("forbid", *b), ("lock", a[0], b[1]), ("lock", b[0], a[1])])
    page = chair.get(PAGE).text
    table = re.search(r'<table id="edit-set">.*?</table>', page, re.S).group(0)
    assert table.count(f'<th scope="row">swap {a[0]}:{a[1]} with {b[0]}:{b[1]}</th>') == 1  # one line
    assert table.count(">Remove</button>") == 1
    gone = chair.post(f"{PAGE}/edits", data={"kind": "remove", "edit_id": rows[2]["edit_id"], "csrf_token": field})
    assert gone.status_code == 200
    assert world.store.rows(committee_edits, cohort_id=COHORT, round="initial") == []


def test_a_bad_edit_names_the_ids_and_the_reason_and_stores_nothing(console):
    client, world = console
    chair = client("chair")
    field = csrf_of(chair.get(PAGE).text)
    bad = chair.post(f"{PAGE}/edits", data={"kind": "lock", "pair": "E-NOBODY:E-NONE", "csrf_token": field})
    assert bad.status_code == 422
    assert "E-NOBODY is not a mentor of this cohort" in bad.text and "E-NONE is not a mentee" in bad.text
    assert chair.post(f"{PAGE}/edits", data={"kind": "lock", "pair": "no-colon", "csrf_token": field}
                      ).status_code == 422
    a, b = proposed(world)[:2]
    swap = chair.post(f"{PAGE}/edits", data={"kind": "swap", "pair": f"{a[0]}:{b[1]}", "with": f"{b[0]}:{a[1]}",
                                             "csrf_token": field})
    assert swap.status_code == 422 and "is not a proposed pair" in swap.text
    assert world.store.rows(committee_edits, cohort_id=COHORT) == []


def test_every_post_needs_the_csrf_field_of_the_same_user_and_a_non_reviewer_is_refused(console):
    client, world = console
    chair, outsider = client("chair"), client("outsider")
    field = csrf_of(chair.get(PAGE).text)
    pair = "{}:{}".format(*proposed(world)[0])
    for path, data in (("edits", {"kind": "forbid", "pair": pair}), ("resolve", {}), ("votes", {"decision": "approve"}),
                       ("accept", {"before": "x", "after": "y"}), ("reopen", {}), ("answer", {})):
        assert chair.post(f"{PAGE}/{path}", data=data).status_code == 403, path  # no field
        # JSON with the cookie login is still a browser: the field is needed
        assert chair.post(f"{PAGE}/{path}", json=data).status_code == 403, path
        assert outsider.post(f"{PAGE}/{path}", data={**data, "csrf_token": field}).status_code == 403, path
        assert client().post(f"{PAGE}/{path}", data=data).status_code == 401, path
    assert world.store.rows(committee_edits, cohort_id=COHORT) == []
    assert world.store.rows(committee_votes, cohort_id=COHORT) == []


def test_votes_decide_the_round_which_then_takes_no_change_until_reopened(console):
    client, world = console
    chair, member = client("chair"), client("member")
    pair = "{}:{}".format(*proposed(world)[0])
    for who in (chair, member):
        field = csrf_of(who.get(PAGE).text)
        voted = who.post(f"{PAGE}/votes", data={"decision": "approve", "comment": "fair", "csrf_token": field},
                         follow_redirects=False)
        assert voted.status_code == 303
    assert "voted=approved" in voted.headers["location"] and "unsent=1" in voted.headers["location"]
    page = member.get(voted.headers["location"]).text
    assert "Airflow did not take it yet" in page and "<strong>Approved</strong>" in page
    assert 'id="vote-form"' not in page and "Lock this pair" not in page
    field = csrf_of(page)
    # closed: no edit, re-solve, accept or second vote
    for path, data in (("edits", {"kind": "forbid", "pair": pair}), ("resolve", {}),
                       ("accept", {"before": "x", "after": "y"}), ("votes", {"decision": "reject"})):
        refused = chair.post(f"{PAGE}/{path}", data={**data, "csrf_token": csrf_of(chair.get(PAGE).text)})
        assert refused.status_code == 409 and "reopen it first" in refused.text.lower(), path
    assert world.store.rows(committee_edits, cohort_id=COHORT) == []
    # reopened: the votes are cleared and edits are possible again
    assert member.post(f"{PAGE}/reopen", data={"csrf_token": field}, follow_redirects=False).status_code == 303
    assert world.store.rows(committee_votes, cohort_id=COHORT) == []
    assert chair.post(f"{PAGE}/edits", data={"kind": "forbid", "pair": pair,
                                             "csrf_token": csrf_of(chair.get(PAGE).text)}).status_code == 200
    assert actions(world).count("vote") == 2 and "reopen" in actions(world)


def test_once_the_dag_applied_the_approval_nothing_changes_and_reopen_is_refused(console):
    client, world = console
    with world.store.begin() as conn:
        conn.execute(matches.update().where(matches.c.cohort_id == COHORT, matches.c.round == "initial",
                                            matches.c.status == "proposed").values(status="approved"))
    chair = client("chair")
    page = chair.get(PAGE).text
    assert "can no longer change here" in page and 'id="vote-form"' not in page
    field = csrf_of(page)
    for path in ("edits", "resolve", "reopen", "votes"):
        answer = chair.post(f"{PAGE}/{path}", data={"kind": "lock", "pair": "a:b", "decision": "approve",
                                                    "csrf_token": field})
        assert answer.status_code == 409 and "already approved" in answer.text, path


def test_the_json_api_with_a_bearer_token_reads_the_round_and_votes_without_a_form(console, airflow_auth):
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    client, world = console
    bearer = client()
    token = airflow_auth.generate_jwt(SimpleAuthManagerUser(username="chair", role="user"))
    headers = {"Authorization": f"Bearer {token}"}
    state = bearer.get(API, headers=headers).json()
    assert state["cohort"] == COHORT and state["votes"]["state"] == "pending" and not state["closed"]
    assert state["questions"] == [] and state["edits"] == []
    assert sorted((p["mentor_id"], p["mentee_id"]) for p in state["pairs"]) == proposed(world)
    pair = "{}:{}".format(*proposed(world)[0])
    assert bearer.post(f"{API}/edits", json={"kind": "forbid", "pair": pair}, headers=headers).json() == {
        "changed": [f"forbid {pair}"]}
    solved = bearer.post(f"{API}/resolve", json={}, headers=headers).json()
    assert solved["diff"]["removed"] and solved["before"] != solved["after"]
    accepted = bearer.post(f"{API}/accept", json={"before": solved["before"], "after": solved["after"]},
                           headers=headers).json()
    assert accepted["changed"] is True
    voted = bearer.post(f"{API}/votes", json={"decision": "approve", "comment": "ok"}, headers=headers)
    assert voted.status_code == 200 and voted.json()["outcome"]["state"] == "pending"
    assert voted.json()["outcome"]["approvals"] == ["chair"]
    bad = bearer.post(f"{API}/votes", json={"decision": "maybe"}, headers=headers)
    assert bad.status_code == 422 and "approve or reject" in bad.json()["error"]
    assert voting.outcome(world.config, world.store, "initial").approvals == ("chair",)
    asked = bearer.post(f"{API}/questions", json={"employee_id": proposed(world)[1][1], "question": "Which team?"},
                        headers=headers)
    assert asked.status_code == 201
    [question] = bearer.get(API, headers=headers).json()["questions"]
    assert (question["employee_id"], question["question"], question["answer"]) == (
        proposed(world)[1][1], "Which team?", None)
    assert deciding.round_state(world.config, world.store, "initial").closed is False
