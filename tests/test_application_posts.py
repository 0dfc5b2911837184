"""Application form posts committed together (forms.group_commit, forms.application_posts): what arrives during a
commit goes into the next one, one bad item never loses the others, and every refusal still answers as the
general way does, with nothing saved."""

from __future__ import annotations

import asyncio
import re
import threading

import httpx
import pytest
import sqlalchemy as sa
from forms_fixtures import GOOD_APPLICATION, make_world
from mentorflow.forms import events
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.forms.group_commit import GroupCommit
from mentorflow.store import Store, applications, people

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def _written(url: str) -> tuple[sa.Engine, sa.Table]:
    engine = sa.create_engine(url)
    table = sa.Table("written", sa.MetaData(), sa.Column("item", sa.Integer, primary_key=True))
    table.metadata.create_all(engine)
    return engine, table


def test_what_arrives_during_a_commit_is_written_in_the_next_one(tmp_path):
    engine, table = _written(f"sqlite:///{tmp_path / 'g.db'}")
    batches: list[list[int]] = []
    first_started, release = threading.Event(), threading.Event()

    def apply(conn, items):
        batches.append(list(items))
        if len(batches) == 1:
            first_started.set()
            release.wait()  # set by the test once the rest are queued (pytest-timeout bounds a hang)
        conn.execute(table.insert(), [{"item": i} for i in items])
        return [f"saved {i}" for i in items]

    writes = GroupCommit(engine, apply)

    async def run():
        first = asyncio.ensure_future(writes.submit(0))
        await asyncio.to_thread(first_started.wait)
        rest = [asyncio.ensure_future(writes.submit(i)) for i in range(1, 10)]
        while writes._queue.qsize() < 9:
            await asyncio.sleep(0.001)
        release.set()
        return await asyncio.gather(first, *rest)

    assert asyncio.run(run()) == [f"saved {i}" for i in range(10)]
    writes.close()
    assert batches == [[0], list(range(1, 10))]
    with engine.connect() as conn:
        assert sorted(conn.execute(sa.select(table.c.item)).scalars()) == list(range(10))


def test_one_failing_item_does_not_lose_the_others(tmp_path):
    engine, table = _written(f"sqlite:///{tmp_path / 'g.db'}")
    release, taken = threading.Event(), []

    def apply(conn, items):
        taken.extend(items)
        release.wait()  # set by the test once the rest are queued (pytest-timeout bounds a hang)
        conn.execute(table.insert(), [{"item": i} for i in items])  # written, then rolled back with the batch
        if 13 in items:
            raise ValueError("item 13 is bad")
        return [True] * len(items)

    writes = GroupCommit(engine, apply)

    async def run():
        waiting = [asyncio.ensure_future(writes.submit(i)) for i in (11, 12, 13, 14)]
        while writes._queue.qsize() + len(taken) < 4:  # all four queued or being written
            await asyncio.sleep(0.001)
        release.set()
        return await asyncio.gather(*waiting, return_exceptions=True)

    outcomes = asyncio.run(run())
    writes.close()
    assert outcomes[:2] == [True, True] and outcomes[3] is True
    assert isinstance(outcomes[2], ValueError)
    with engine.connect() as conn:
        assert sorted(conn.execute(sa.select(table.c.item)).scalars()) == [11, 12, 14]


def test_an_unreachable_database_fails_each_waiting_post_with_the_database_error():
    engine = sa.create_engine("postgresql+psycopg2://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2})
    writes = GroupCommit(engine, lambda conn, items: [True] * len(items))

    async def run():
        return await asyncio.gather(*(writes.submit(i) for i in range(5)), return_exceptions=True)

    outcomes = asyncio.run(run())
    writes.close()
    assert all(isinstance(o, sa.exc.DBAPIError) for o in outcomes), outcomes


# -- through the app -------------------------------------------------------------------------------


@pytest.fixture
def world_both(cohorts_dir, store):
    return make_world(cohorts_dir, store.url)


def _app():
    return create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9"), deliver_events=False))


async def _opened(app, link: str) -> httpx.AsyncClient:
    """A browser of its own (its own CSRF cookie) with the form page open."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://forms")
    page = await client.get(link)
    assert page.status_code == 200, page.text
    client.csrf = CSRF.search(page.text).group(1)
    return client


async def _post(client: httpx.AsyncClient, link: str, fields: dict) -> httpx.Response:
    return await client.post(link, data={**fields, "csrf_token": client.csrf}, follow_redirects=False)


def test_concurrent_posts_are_each_stored_once_and_refusals_answer_as_before(world_both):
    """Posts sent at once, so they share transactions: the good ones stored once each (a person posting twice
    keeps one row), a partner not on the roster and the applicant's own id refused beside the list (422), and an
    applicant made ineligible after opening the page refused (403): nothing of theirs is stored."""
    app = _app()
    good = ("E1", "E2", "E3")
    links = {p: world_both.link(p, "application") for p in ("E1", "E2", "E3", "E4", "E5")}

    async def run():
        browsers = {p: await _opened(app, link) for p, link in links.items()}
        with Store(world_both.store_url).begin() as conn:
            conn.execute(people.update().where(people.c.employee_id == "E5").values(eligible=False))
        chosen = {"E3": {"preferred_partners-0": "E1"}}  # GOOD_APPLICATION prefers E3
        posts = [_post(browsers[p], links[p], {**GOOD_APPLICATION, "goals": f"goals of {p}", **chosen.get(p, {})})
                 for p in (*good, "E1")]
        posts.append(_post(browsers["E4"], links["E4"], {**GOOD_APPLICATION, "preferred_partners-0": "NOBODY"}))
        posts.append(_post(browsers["E2"], links["E2"], {**GOOD_APPLICATION, "avoid_partners-0": "E2"}))
        posts.append(_post(browsers["E5"], links["E5"], GOOD_APPLICATION))
        try:
            return await asyncio.gather(*posts)
        finally:
            for browser in browsers.values():
                await browser.aclose()

    answers = asyncio.run(run())
    assert [a.status_code for a in answers] == [303, 303, 303, 303, 422, 422, 403]
    assert "choose people from the list" in answers[4].text and "choose people from the list" in answers[5].text
    assert "not open to you" in answers[6].text
    rows = Store(world_both.store_url).rows(applications)
    assert sorted(r["employee_id"] for r in rows) == ["E1", "E2", "E3"]
    assert {r["employee_id"]: r["goals"] for r in rows} == {p: f"goals of {p}" for p in good}


def test_the_app_served_alone_keeps_start_up_objects_out_of_collections_until_it_stops():
    """Full collections over everything start-up made took 70-80 ms each under load (the slowest answers)."""
    import gc

    from fastapi.testclient import TestClient

    gc.unfreeze()
    with TestClient(_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
