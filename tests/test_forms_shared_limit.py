"""The per-link rate limit in Redis (opt-in, for several workers): the same token bucket as the in-process one,
shared by every limiter that names the same Redis, against the real Redis (skipped when none listens)."""

from __future__ import annotations

import re
import uuid

import pytest
from mentorflow.forms import security, shared_limits
from mentorflow.forms.registry import FormsSettings

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def prefix():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    name = f"mentorflow:test:{uuid.uuid4().hex}:"
    yield name
    for key in client.scan_iter(match=name + "*"):
        client.delete(key)


def test_it_allows_the_burst_then_refuses_with_the_wait_and_refills_as_the_local_bucket_does(prefix):
    shared = shared_limits.RedisRateLimiter(REDIS_URL, burst=3, per_minute=6, prefix=prefix)
    local = security.RateLimiter(burst=3, per_minute=6)
    for now in (1000.0, 1000.1, 1000.2, 1000.3, 1005.0, 1011.0, 1011.1, 1200.0):
        got, expected = shared.allow("link-a", now=now), local.allow("link-a", now=now)
        assert got[0] == expected[0], now
        assert got[1] == pytest.approx(expected[1], abs=1e-5), now
    assert shared.allow("link-b", now=1011.2)[0]  # another link has its own bucket


def test_several_processes_share_one_bucket(prefix):
    """Two limiters (as two workers would hold) draw from the same bucket: the limit is not multiplied."""
    workers = [shared_limits.RedisRateLimiter(REDIS_URL, burst=4, per_minute=1, prefix=prefix) for _ in range(2)]
    allowed = [workers[i % 2].allow("one-link", now=50.0 + i / 100)[0] for i in range(10)]
    assert allowed == [True] * 4 + [False] * 6
    local = [security.RateLimiter(burst=4, per_minute=1) for _ in range(2)]  # in-process: each its own
    assert sum(local[i % 2].allow("one-link", now=50.0)[0] for i in range(10)) == 8


def test_redis_time_is_used_when_no_clock_is_given_and_buckets_expire(prefix):
    import redis

    limiter = shared_limits.RedisRateLimiter(REDIS_URL, burst=2, per_minute=60, prefix=prefix)
    assert limiter.allow("timed")[0] and limiter.allow("timed")[0]
    allowed, wait = limiter.allow("timed")
    assert not allowed and 0 < wait <= 1.0
    key = next(redis.Redis.from_url(REDIS_URL).scan_iter(match=prefix + "*"))
    assert 0 < redis.Redis.from_url(REDIS_URL).pttl(key) <= 3000  # gone once the bucket would be full again


def test_an_unreachable_redis_lets_the_post_through_and_says_so(caplog):
    limiter = shared_limits.RedisRateLimiter("redis://127.0.0.1:9/0")
    assert limiter.allow("any") == (True, 0.0)
    assert "shared rate limit is unavailable" in caplog.text


def test_the_settings_choose_the_shared_limiter_only_when_asked(monkeypatch):
    assert isinstance(FormsSettings().limiter, security.RateLimiter)
    monkeypatch.setenv("MENTORFLOW_FORMS_RATE_LIMIT_REDIS_URL", REDIS_URL)
    limiter = FormsSettings().limiter
    assert isinstance(limiter, shared_limits.RedisRateLimiter) and limiter.url == REDIS_URL


def test_the_forms_app_refuses_a_link_over_the_shared_limit(prefix, cohorts_dir, tmp_path):
    from fastapi.testclient import TestClient
    from forms_fixtures import GOOD_APPLICATION, make_world
    from mentorflow.forms import events
    from mentorflow.forms.app import create_app

    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")
    limiter = shared_limits.RedisRateLimiter(REDIS_URL, burst=1, per_minute=1, prefix=prefix)
    with TestClient(create_app(FormsSettings(limiter=limiter, airflow=events.AirflowClient("http://127.0.0.1:9")))) as c:
        link = world.link("E1", "application")
        def post():
            page = c.get(link).text
            csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)
            return c.post(link, data={**GOOD_APPLICATION, "csrf_token": csrf}, follow_redirects=False)

        assert post().status_code == 303
        refused = post()
        assert refused.status_code == 429 and 50 <= int(refused.headers["Retry-After"]) <= 61


def test_the_event_loop_version_shares_the_bucket_and_answers_as_the_other(prefix):
    """Application posts ask on the event loop (``allow_async``): the same bucket, the same answers."""
    import asyncio

    threaded = shared_limits.RedisRateLimiter(REDIS_URL, burst=3, per_minute=6, prefix=prefix)
    looped = shared_limits.RedisRateLimiter(REDIS_URL, burst=3, per_minute=6, prefix=prefix)

    async def alternately(link: str) -> None:  # the two limiters take turns on one link
        local = security.RateLimiter(burst=3, per_minute=6)
        for i, now in enumerate((2000.0, 2000.1, 2000.2, 2000.3, 2005.0, 2011.0, 2011.1)):
            got = await looped.allow_async(link, now=now) if i % 2 else threaded.allow(link, now=now)
            expected = local.allow(link, now=now)
            assert got[0] == expected[0] and got[1] == pytest.approx(expected[1], abs=1e-5), (link, now)

    asyncio.run(alternately("link-c"))
    asyncio.run(alternately("link-d"))  # a second event loop: a client of its own


def test_the_event_loop_version_lets_the_post_through_when_redis_is_away(caplog):
    import asyncio

    limiter = shared_limits.RedisRateLimiter("redis://127.0.0.1:9/0")
    assert asyncio.run(limiter.allow_async("any")) == (True, 0.0)
    assert "shared rate limit is unavailable" in caplog.text
