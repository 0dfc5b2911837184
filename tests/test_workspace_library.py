"""The resource library (docs/workspace.md, "Resource library"): the shipped file, the checks ops rely on,
the suggestions with their reasons, ratings that move resources, and marking a resource done on the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from browser_fixtures import SHOTS, chromium, needs_chromium
from fastapi.testclient import TestClient
from forms_fixtures import COHORT, make_world

from mentorflow import settings
from mentorflow.cli.main import main as cli
from mentorflow.contract import skills as skill_vocabulary
from mentorflow.forms import events, security
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import Store, applications, cohorts, evaluations, resource_feedback
from mentorflow.workspace.library import catalogue as library_file
from mentorflow.workspace.library import suggest as suggesting

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)


def shipped() -> library_file.Catalogue:
    return library_file.load(settings.include_dir() / library_file.LIBRARY_FILE, settings.include_dir())


def test_the_shipped_library_loads_with_at_least_150_items_and_no_problem():
    catalogue = shipped()
    assert catalogue.problems == ()
    assert len(catalogue.resources) >= 150
    assert {r.type for r in catalogue.resources.values()} == set(library_file.TYPES)
    vocab = skill_vocabulary.vocabulary(settings.include_dir())
    used = {s for r in catalogue.resources.values() for s in r.skills}
    assert used <= set(vocab.names)  # every skill is a canonical skill of the vocabulary
    from mentorflow.outcomes.discovery import vocabulary as topics
    assert {t for t in topics() if not catalogue.for_skill(vocab.canonical(t))} == set()  # every kickoff topic has content


BROKEN = """\
resources:
- id: good-one
  title: "A Good Book"
  creator: Someone
  type: book
  length: 200 pages
  skills: [negotiation, presenting]
- id: misspelt-skill
  title: "Another"
  creator: Someone
  type: book
  length: 10 pages
  skills: [negotation]
- id: wrong-type
  title: "A Video"
  creator: Someone
  type: video
  length: 3 min
  skills: [sql]
- id: good-one
  title: "The Same Id Again"
  creator: Someone
  type: talk
  length: 5 min
  skills: [sql]
- id: good-two
  title: "Still Fine"
  creator: Someone
  type: podcast
  length: 30 min
  skills: [sql]
"""


def test_a_broken_file_names_each_problem_and_keeps_the_good_items(tmp_path, capsys):
    path = tmp_path / "library.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    catalogue = library_file.load(path, settings.include_dir())
    assert list(catalogue.resources) == ["good-one", "good-two"]
    assert catalogue.resources["good-one"].skills == ("negotiation", "public speaking")  # a synonym is read as its skill
    by_id = {(p.item_id, p.field): p for p in catalogue.problems}
    assert len(catalogue.problems) == 3
    skill = by_id[("misspelt-skill", "skills")]
    assert skill.line == 13 and skill.index == 2 and "'negotation'" in skill.reason and "closest: 'negotiation'" in skill.reason
    kind = by_id[("wrong-type", "type")]
    assert kind.line == 17 and "unknown type 'video'" in kind.reason and "book" in kind.reason
    duplicate = by_id[("good-one", "id")]
    assert duplicate.line == 20 and duplicate.index == 4 and "line 2" in duplicate.reason
    assert str(skill).startswith(f"{path}:13: item 2 (misspelt-skill): skills: ")
    assert cli(["resources", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:17: item 3 (wrong-type): type:" in err and "2 resources are fine, 3 problem(s)" in err
    assert cli(["resources", "check"]) == 0  # the shipped file


def test_the_cli_lists_resources_of_a_skill_by_any_of_its_names(capsys):
    assert cli(["resources", "list", "--skill", "Presentation Skills"]) == 0
    out = capsys.readouterr().out
    assert "ted-speak-so-people-listen\ttalk\t10 min" in out
    assert all("public speaking" in line for line in out.splitlines())
    assert cli(["resources", "list", "--skill", "leadrship"]) == 1
    assert "closest: 'leadership'" in capsys.readouterr().err


def _catalogue(tmp_path, items: list[tuple[str, str, str]]) -> library_file.Catalogue:
    """A small library: (id, title, skill) items."""
    text = "resources:\n" + "".join(
        f"- {{id: {rid}, title: {title!r}, creator: X, type: book, length: 1 page, skills: [{skill}]}}\n"
        for rid, title, skill in items)
    return library_file.parse(text, str(tmp_path / "library.yaml"), skill_vocabulary.vocabulary(settings.include_dir()))


def test_ratings_move_a_resource_up_and_one_rating_cannot_dominate(tmp_path):
    catalogue = _catalogue(tmp_path, [("a", "Alpha", "sql"), ("b", "Beta", "sql"), ("c", "Gamma", "sql"),
                                      ("d", "Delta", "sql")])
    plain = suggesting.suggest(catalogue, {"sql": ["Person 2"]}, {"sql"}, [], {}, set())
    assert [s.resource.id for s in plain] == ["a", "b", "d"]  # unrated: by title
    assert plain[0].reason == "For your wanted skill sql"
    scores = suggesting.ratings([("c", 5), ("c", 4), ("c", 5), ("a", 1), ("a", 2), ("d", 5)])
    rated = suggesting.suggest(catalogue, {"sql": ["Person 2"]}, {"sql"}, [], scores, set())
    assert [s.resource.id for s in rated] == ["c", "d", "b"]  # well rated up, badly rated out of the top three
    many = suggesting.ratings([("b", 4)] * 5 + [("d", 5)])
    assert suggesting.ranked(catalogue.for_skill("sql"), many)[0].id == "b"  # five 4s beat a single 5
    assert suggesting.shown_rating(many["d"]) is None and suggesting.shown_rating(many["b"]) == "Rated 4.0 of 5 by 5 people"
    done = suggesting.suggest(catalogue, {"sql": ["Person 2"]}, {"sql"}, [], scores, {"c"})
    assert "c" not in [s.resource.id for s in done]
    partner = suggesting.suggest(catalogue, {"sql": ["Person 2"]}, set(), [], {}, set())
    assert partner[0].reason == "For sql, which Person 2 wants to learn"


# -- the page ---------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, cohorts_dir, tmp_path):
    """The forms world with E2's wants and an earlier cohort's evaluations, on SQLite, then on PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        Store(url).drop_all()
    world = make_world(cohorts_dir, url)
    seed_history(Store(world.store_url))
    return world


@pytest.fixture
def sqlite_world(cohorts_dir, tmp_path):
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'store.db'}")
    seed_history(Store(world.store_url))
    return world


def seed_history(store: Store) -> None:
    """E2 wants negotiation; in an earlier cohort, three mentees who wanted negotiation found conflict resolution
    valuable without having asked for it."""
    store.upsert(cohorts, [{"cohort_id": "earlier", "name": "Earlier", "program_type": "traditional",
                            "config_json": "{}", "created_at": NOW}])
    store.upsert(applications, [{"cohort_id": COHORT, "employee_id": "E2", "skills_wanted": "negotiation:3"}])
    store.upsert(applications, [{"cohort_id": "earlier", "employee_id": f"P{i}", "skills_wanted": "negotiating:2;sql:1"}
                                for i in range(3)])
    store.upsert(evaluations, [{"cohort_id": "earlier", "employee_id": f"P{i}", "role": "mentee", "goals_met": 4,
                                "satisfaction": 4, "recommend": 8, "valuable_topics": "conflict resolution;negotiation"}
                               for i in range(3)])


@pytest.fixture
def client():
    with TestClient(create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9")))) as c:
        yield c


def library_part(html: str) -> tuple[str, str]:
    """(suggestions, done) parts of the page's library section."""
    section = html[html.index('<section id="library"'):]
    section = section[:section.index("</section>")]
    head, _, done = section.partition('id="library-done"')
    return head, done


def test_the_page_suggests_for_wanted_skills_and_what_similar_mentees_found_useful(world, client):
    page = client.get(world.link("E2", "partnership"))
    assert page.status_code == 200, page.text
    suggestions, done = library_part(page.text)
    assert "For your wanted skill negotiation" in suggestions
    assert "People who wanted negotiation often found conflict resolution useful" in suggestions
    assert "Getting to Yes" in suggestions or "Never Split the Difference" in suggestions
    assert "Nothing marked done yet" in done
    mentor = client.get(world.link("E1", "partnership"))
    assert "For negotiation, which Person 2 wants to learn" in library_part(mentor.text)[0]


def _post(client, world, person: str, data: dict[str, str]):
    token = world.token(person, "partnership")
    link = f"/forms/partnership?token={token}"
    client.get(link)
    csrf = security.csrf_field(client.cookies[security.CSRF_COOKIE], token)
    return client.post(link, data={"section": "library", "csrf_token": csrf, **data}, follow_redirects=False)


def test_marking_done_and_rating_moves_the_resource_to_done(world, client):
    first = re.search(r'name="library_resource" value="([a-z0-9-]+)"', client.get(world.link("E2", "partnership")).text)
    rid = first.group(1)
    saved = _post(client, world, "E2", {"library_resource": rid, f"library_done-{rid}": "yes",
                                        f"library_rating-{rid}": "5"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=library#library")
    rows = Store(world.store_url).rows(resource_feedback)
    assert [(r["space_id"], r["employee_id"], r["resource_id"], r["done"], r["rating"]) for r in rows] == [
        ("pair-1", "E2", rid, True, 5)]
    suggestions, done = library_part(client.get(world.link("E2", "partnership")).text)
    assert f'value="{rid}"' in done and f'value="{rid}"' not in suggestions
    assert re.search(rf'name="library_rating-{rid}" value="5" checked', done)
    partner = library_part(client.get(world.link("E1", "partnership")).text)
    assert f'value="{rid}"' in partner[0]  # the partner's own list is theirs: not done for them
    undone = _post(client, world, "E2", {"library_resource": rid})
    assert undone.status_code == 303 and Store(world.store_url).rows(resource_feedback) == []


def test_an_unknown_resource_or_a_bad_rating_is_refused_and_nothing_is_written(world, client):
    unknown = _post(client, world, "E2", {"library_resource": "no-such-thing", "library_done-no-such-thing": "yes"})
    assert unknown.status_code == 422 and "no such resource" in unknown.text
    bad = _post(client, world, "E2", {"library_resource": "getting-to-yes", "library_done-getting-to-yes": "yes",
                                      "library_rating-getting-to-yes": "9"})
    assert bad.status_code == 422
    assert 'id="library_rating-getting-to-yes-error"' in bad.text and "from 1 (not useful) to 5" in bad.text
    assert Store(world.store_url).rows(resource_feedback) == []


def test_other_members_ratings_reach_the_next_suggestions(world, client):
    """Ratings from any space of the store's cohorts: a resource rated well by five people elsewhere comes first."""
    catalogue = shipped()
    last = suggesting.ranked(catalogue.for_skill("negotiation"), {})[-1]
    Store(world.store_url).upsert(resource_feedback, [
        {"cohort_id": "earlier", "space_id": "pair-9", "employee_id": f"P{i}", "resource_id": last.id, "done": True,
         "rating": 5, "updated_at": NOW} for i in range(5)])
    suggestions, _ = library_part(client.get(world.link("E2", "partnership")).text)
    ids = re.findall(r'name="library_resource" value="([a-z0-9-]+)"', suggestions)
    assert ids[0] == last.id
    assert "Rated 5.0 of 5 by 5 people" in suggestions


# -- a real browser ---------------------------------------------------------------------------------

@pytest.mark.slow
@needs_chromium
def test_a_member_marks_a_resource_done_with_a_rating_in_a_phone_browser(sqlite_world):
    """Chromium without JavaScript on a 390 px screen: the 1..5 scale stays on one line, the post saves and the
    resource moves to "Done" with its rating checked; a screenshot goes where the other browser tests put theirs."""
    from forms_fixtures import serving

    world = sqlite_world
    with serving() as base, chromium() as browser:
        context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(base + world.link("E2", "partnership"))
        card = page.locator("#library article.resource").first
        rid = card.locator("input[name=library_resource]").get_attribute("value")
        scale = card.locator(f"fieldset#library_rating-{rid} label.choice")
        tops = {round(scale.nth(i).bounding_box()["y"]) for i in range(5)}
        assert len(tops) == 1, f"the rating scale wraps on a phone: {tops}"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
        card.locator(f"#library_done-{rid}").check()
        card.locator(f"input[name='library_rating-{rid}'][value='4']").check()
        card.locator("button[type=submit]").click()
        assert "saved=library" in page.url
        assert "Saved." in page.locator("#library .success").inner_text()
        done = page.locator(f"#library article#resource-{rid}")
        assert done.count() == 1  # shown once: in "Done", no longer among the suggestions
        assert done.locator(f"input[name='library_rating-{rid}'][value='4']").is_checked()
        assert done.locator(f"#library_done-{rid}").is_checked()
        page.locator("#library-done").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "partnership-library-done.png"), full_page=True)
        assert (SHOTS / "partnership-library-done.png").stat().st_size > 5000
        context.close()
    rows = Store(world.store_url).rows(resource_feedback)
    assert [(r["resource_id"], r["done"], r["rating"]) for r in rows] == [(rid, True, 4)]


def test_a_group_leader_sees_who_wants_what_and_a_member_sees_only_their_group(world, client):
    """The leader was introduced to every member; members were not necessarily introduced to each other."""
    from forms_fixtures import add_group

    add_group(world.store_url, "G1", ("G2", "G3"), group_id=7)
    Store(world.store_url).upsert(applications, [
        {"cohort_id": COHORT, "employee_id": "G2", "skills_wanted": "sql:2"},
        {"cohort_id": COHORT, "employee_id": "G3", "skills_wanted": "sql:3;negotiation:2"}])
    leader = library_part(client.get(world.link("G1", "partnership")).text)[0]
    assert "For sql, which Member G2 and Member G3 want to learn" in leader
    assert "For negotiation, which Member G3 wants to learn" in leader
    member = library_part(client.get(world.link("G2", "partnership")).text)[0]
    assert "For your wanted skill sql" in member
    assert "For negotiation, which your group wants to learn" in member and "Member G3 wants" not in member
