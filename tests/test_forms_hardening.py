"""The forms API refuses abuse cheaply, link keys are strong and made once, links end at their deadline,
and neither logs nor files give away what they should not (hardening issue, items 9–12 and 14)."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import stat

import pytest
from fastapi.testclient import TestClient
from forms_fixtures import GOOD_PULSE, make_world
from mentorflow.cohorts import calendar
from mentorflow.errors import WeakSecretKey
from mentorflow.forms import events, tokens
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.forms.request_limits import MAX_BODY_BYTES
from mentorflow.privacy import redact
from mentorflow.store import Store, pulse_responses


@pytest.fixture
def world(cohorts_dir, tmp_path):
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")


def client_for(forms_settings: FormsSettings | None = None) -> TestClient:
    airflow = events.AirflowClient("http://127.0.0.1:9")
    return TestClient(create_app(forms_settings or FormsSettings(airflow=airflow, deliver_events=False)))


def api(world, form: str = "pulse", person: str = "E1") -> str:
    return world.link(person, form).replace("/forms/", "/api/forms/", 1)


# -- item 9: the body is limited before it is parsed, the link is checked first ------------------


def test_an_oversized_body_is_refused_before_it_is_read(world):
    body = b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}"
    with client_for() as client:
        response = client.post(api(world), content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert Store(world.store_url).count(pulse_responses) == 0


def test_a_streamed_body_without_length_is_cut_at_the_limit(world):
    def chunks():
        for _ in range(MAX_BODY_BYTES // 1024 + 10):
            yield b" " * 1024

    with client_for() as client:
        response = client.post(api(world), content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_forged_link_is_refused_without_reading_the_body(world, monkeypatch):
    from starlette.requests import Request

    read = []
    original = Request.stream

    async def spying_stream(self):
        read.append(True)
        async for chunk in original(self):
            yield chunk

    monkeypatch.setattr(Request, "stream", spying_stream)
    with client_for() as client:
        for path in ("/api/forms/pulse?token=forged", "/forms/pulse?token=forged"):
            response = client.post(path, content=b'{"a": 1}', headers={"Content-Type": "application/json"})
            assert response.status_code == 403, path
    assert read == []


@pytest.mark.parametrize("body", [
    b"[" * 1000 + b"]" * 1000,                       # nested deeper than the parser's stack
    b'{"meetings": ' + b"9" * 5000 + b"}",           # an integer over Python's 4,300-digit limit
    b'{"comment": "\xff\xfe"}',                      # not UTF-8
    b"NaN",
])
def test_hostile_json_gets_a_4xx_not_a_traceback(world, body):
    with client_for() as client:
        response = client.post(api(world), content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert "Traceback" not in response.text


# -- item 10: the JSON media type is parsed exactly ------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain; application/json", "text/plain;charset=application/json",
                                          "application/jsonp", "multipart/form-data; boundary=application/json"])
def test_only_the_json_media_type_is_accepted(world, content_type):
    with client_for() as client:
        response = client.post(api(world), json=GOOD_PULSE | {"match_id": 1},
                               headers={"Content-Type": content_type})
    assert response.status_code == 415
    assert Store(world.store_url).count(pulse_responses) == 0


def test_json_with_parameters_is_still_json(world):
    payload = {**{k: int(v) for k, v in GOOD_PULSE.items() if v.isdigit()}, "comment": "ok", "outcome": "continue"}
    with client_for() as client:
        response = client.post(api(world), json=payload, headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert response.status_code == 200, response.text


# -- item 11: the link-signing key is created once, atomically, and must be strong -----------------


def _read_key(home: str, queue) -> None:
    os.environ["MENTORFLOW_HOME"] = home
    os.environ.pop("MENTORFLOW_SECRET_KEY", None)
    try:
        queue.put(tokens.secret_key())
    except Exception as exc:  # reported to the parent, which fails the test
        queue.put(f"error: {exc!r}")


def test_processes_creating_the_key_at_once_agree_on_one_strong_key(tmp_path, monkeypatch):
    import secrets
    import time

    real = secrets.token_urlsafe

    def slow_token(nbytes=None):  # widens the moment between creating the key and having it written
        time.sleep(0.5)
        return real(nbytes)

    monkeypatch.setattr(secrets, "token_urlsafe", slow_token)  # the forked processes inherit it
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_read_key, args=(str(tmp_path), queue)) for _ in range(8)]
    for worker in workers:
        worker.start()
    keys = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert len(set(keys)) == 1, keys
    assert len(keys[0]) >= tokens.MIN_KEY_LENGTH and not keys[0].startswith("error")
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600


@pytest.mark.parametrize("weak", ["change-me-form-link-secret", "secret", "x" * 10, "changeme" * 8])
def test_weak_or_placeholder_keys_are_refused(monkeypatch, weak):
    monkeypatch.setenv("MENTORFLOW_SECRET_KEY", weak)
    with pytest.raises(WeakSecretKey, match="MENTORFLOW_SECRET_KEY"):
        tokens.issue(tokens.FormGrant("c", "E1", "pulse", "pulse-1"))


def test_rotating_the_key_keeps_links_that_are_still_valid(monkeypatch):
    old, new = "o" * 20 + "ld-key-0123456789abcdef", "n" * 20 + "ew-key-fedcba9876543210"
    grant = tokens.FormGrant("c", "E1", "pulse", "pulse-1")
    far = lambda g: dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)  # noqa: E731
    monkeypatch.setenv("MENTORFLOW_SECRET_KEY", old)
    issued_before = tokens.issue(grant)
    monkeypatch.setenv("MENTORFLOW_SECRET_KEY", f"{new},{old}")  # rotation: new key first, the old one kept
    issued_after = tokens.issue(grant)
    assert tokens.verify(issued_before, form="pulse", expires_at=far) == grant
    assert tokens.verify(issued_after, form="pulse", expires_at=far) == grant
    monkeypatch.setenv("MENTORFLOW_SECRET_KEY", new)  # the old key retired: its links end
    with pytest.raises(tokens.TokenError, match="not valid"):
        tokens.verify(issued_before, form="pulse", expires_at=far)
    assert tokens.verify(issued_after, form="pulse", expires_at=far) == grant


def test_a_generated_key_has_384_random_bits(monkeypatch, tmp_path):
    monkeypatch.delenv("MENTORFLOW_SECRET_KEY")
    keys = []
    for name in ("a", "b"):
        monkeypatch.setenv("MENTORFLOW_HOME", str(tmp_path / name))
        keys.append(tokens.secret_key())
    assert keys[0] != keys[1] and all(len(k) == 64 for k in keys)  # 48 random bytes, base64url


def test_an_empty_key_file_is_refused_not_used(monkeypatch, tmp_path):
    monkeypatch.delenv("MENTORFLOW_SECRET_KEY")
    (tmp_path / "home").mkdir(exist_ok=True)
    (tmp_path / "home" / "secret.key").write_text("")
    with pytest.raises(WeakSecretKey, match="secret.key"):
        tokens.secret_key()


# -- item 12: no link token or email address in logs -------------------------------------------------


def test_redaction_hides_tokens_and_addresses():
    line = ('127.0.0.1:5000 - "GET /mentorflow/forms/pulse?token=eyJjIjoiYyJ9.ZmFrZQ.c2ln&saved=1 HTTP/1.1" 200 '
            "550 <jane.doe@example.com> mailbox unavailable; bcc Bob <bob@corp.example.org>")
    shown = redact(line)
    assert "eyJjIjoiYyJ9" not in shown and "token=[redacted]&saved=1" in shown
    assert "jane.doe@example.com" not in shown and "bob@corp.example.org" not in shown
    assert "@example.com" in shown  # the domain stays: it tells ops which provider refused


def test_the_access_log_of_the_forms_app_carries_no_token(world, caplog):
    create_app(FormsSettings(deliver_events=False))
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", world.link("E1", "pulse"), "1.1", 200), None)
    for handler_filter in logging.getLogger("uvicorn.access").filters:
        handler_filter.filter(record)
    assert "token=" in record.getMessage() and world.token("E1", "pulse") not in record.getMessage()


def test_delivery_errors_name_no_recipient():
    from mentorflow.errors import DeliveryIncomplete, ProviderBusy

    counts = {"retry": 1, "last_transient_error": "451 <ann@example.com> try later"}
    assert "ann@example.com" not in str(DeliveryIncomplete(counts))
    assert "ann@example.com" not in str(ProviderBusy("550 <ann@example.com> unavailable"))


def test_a_send_summary_names_people_by_id_not_address(tmp_path):
    from mentorflow.messaging.ledger import send_once
    from mentorflow.messaging.message import LedgerKey, OutgoingEmail, SendResult

    class Refusing:
        name = "outbox"

        def batches(self, messages):
            return [messages]

        def send(self, messages):
            return [SendResult(m.key, False, error=f"550 <{m.to_email}> no such user", permanent=True)
                    for m in messages]

    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.upgrade()
    message = OutgoingEmail(key=LedgerKey("c", "E1", "pulse", "pulse-1"), to_email="ann.secret@example.com",
                            to_name="Ann", subject="s", html="h", text="t", from_email="m@example.com", from_name="M")
    summary = send_once(store, Refusing(), [message])
    assert summary["failed"] == 1 and summary["undeliverable"][0]["person_id"] == "E1"
    assert "ann.secret" not in repr(summary)


# -- item 14: links end at their form's deadline; sensitive files are private ------------------------


def test_a_link_issued_late_still_ends_at_the_deadline(world, monkeypatch):
    import time

    config = world.config
    closes = calendar.form_deadline(config, "closeout")
    issued_late = closes - dt.timedelta(hours=1)
    monkeypatch.setattr(time, "time", lambda: issued_late.timestamp())  # the signer stamps the issue time
    token = tokens.issue(tokens.FormGrant(config.cohort, "E1", "closeout", "closeout"))
    monkeypatch.undo()
    after = closes + calendar.TOKEN_SLACK + dt.timedelta(minutes=1)
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.verify(token, form="closeout", expires_at=lambda g: calendar.link_expiry(config, g.form, g.period),
                      now=after)
    before = closes + calendar.TOKEN_SLACK - dt.timedelta(minutes=1)
    assert tokens.verify(token, form="closeout", expires_at=lambda g: calendar.link_expiry(config, g.form, g.period),
                         now=before).person_id == "E1"


def test_the_forms_app_refuses_a_link_past_its_expiry(world):
    late = calendar.link_expiry(world.config, "pulse", "pulse-1") + dt.timedelta(seconds=5)
    with client_for(FormsSettings(clock=lambda: late, deliver_events=False)) as client:
        response = client.get(world.link("E1", "pulse"))
    assert response.status_code == 403 and "expired" in response.text


def test_the_store_outbox_and_reports_are_private(tmp_path, monkeypatch):
    from conftest import write_cohort
    from mentorflow import settings
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.messaging.backends import OutboxBackend
    from mentorflow.messaging.message import LedgerKey, OutgoingEmail

    home = settings.home()
    store = Store(settings.current().default_store_url)
    store.upgrade()
    config = load_cohort(write_cohort(settings.cohorts_dir()))
    message = OutgoingEmail(key=LedgerKey(config.cohort, "E1", "pulse", "pulse-1"), to_email="p1@example.com",
                            to_name="P", subject="s", html="<p>h</p>", text="t", from_email="m@example.com",
                            from_name="M")
    OutboxBackend(settings.outbox_dir(config.cohort)).send([message])
    private_files = [home / "store.db", *settings.outbox_dir(config.cohort).rglob("*.eml")]
    for path in private_files:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (path, oct(path.stat().st_mode))
    for folder in (home, settings.outbox_dir(config.cohort)):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, (folder, oct(folder.stat().st_mode))


def test_written_reports_are_private(tmp_path):
    from conftest import write_cohort
    from mentorflow import settings
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.privacy import write_private_text

    config = load_cohort(write_cohort(settings.cohorts_dir()))
    path = write_private_text(settings.reports_dir(config.cohort) / "x.html", "<p>confidential</p>")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0


def test_a_stage_task_logs_no_address_token_or_answer(cohorts_dir, caplog):
    """What a task writes to its Airflow log (our log lines and the summary Airflow keeps) names people by
    id at most: no address, no link token, no free-text answer (confidentiality issue, item 5)."""
    import json as json_module

    import pendulum
    from conftest import ready_store, write_cohort
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.demo.synthetic import write_population
    from mentorflow.orchestration.tasks import run_stage
    from mentorflow.stages import intake
    from mentorflow.stages import open as open_stage
    from mentorflow.store import applications, people

    write_population(cohorts_dir / "data", 60, seed=4)
    config = load_cohort(write_cohort(cohorts_dir))
    store = ready_store(config)
    context = {"run_id": "t", "logical_date": pendulum.instance(config.at(config.calendar.application_open))}
    with caplog.at_level(logging.DEBUG):
        summaries = [run_stage(open_stage.import_roster, config.cohort, context),
                     run_stage(open_stage.send_invitations, config.cohort, context),
                     run_stage(intake.import_applications, config.cohort, context)]
    logged = caplog.text + json_module.dumps(summaries, default=str)
    addresses = [p["email"] for p in store.rows(people)]
    answers = [a["goals"] for a in store.rows(applications) if a["goals"]]
    assert addresses and answers
    assert not any(a in logged for a in addresses)
    assert not any(g in logged for g in answers)
    assert "token=" not in logged.replace("token=[redacted]", "")
