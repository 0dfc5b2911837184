"""SendGrid delivery through the ledger, against a local server speaking the v3 mail-send API.

For each fault scenario: every intended recipient got exactly one message, or is reported with
the reason; and the one documented exception (a batch the provider accepted while its answer was
lost, or the sender died before writing the ledger) arrives twice, no more, with the same key.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import json
import time

import pytest
import sqlalchemy as sa
from email_fixtures import CRASH_EXIT_CODE, FakeSendGrid, Fault, kickoff_messages, run_crashing_sender
from mentorflow.errors import ProviderBusy, ProviderConfigError
from mentorflow.messaging.ledger import send_once, undeliverable
from mentorflow.messaging.message import Attachment
from mentorflow.messaging.retry import RetryPolicy, rate_limit_wait
from mentorflow.messaging.sendgrid_backend import SendGridBackend, build_payload, plan_requests
from mentorflow.orchestration.wiring import DAG_STAGES
from mentorflow.store import Store, email_ledger

FAST = RetryPolicy(base_delay=0.02, max_delay=0.1, timeout=5)


@functools.lru_cache(maxsize=None)
def _rendered(count: int) -> tuple:
    return tuple(kickoff_messages(count))


def messages(count: int) -> list:
    return list(_rendered(count))


def sendgrid(fake: FakeSendGrid, **kw) -> SendGridBackend:
    return SendGridBackend(fake.api_key, fake.url, policy=kw.pop("policy", FAST), **kw)


def ledger_status(store: Store) -> dict[str, str]:
    return {f"{r['cohort_id']}/{r['person_id']}/{r['template']}/{r['period']}": r["status"]
            for r in store.rows(email_ledger)}


def assert_each_delivered_once_as_rendered(fake: FakeSendGrid, sent: list) -> None:
    assert fake.keys() == collections.Counter({m.key.message_key: 1 for m in sent})
    by_key = {d.mf_key: d for d in fake.delivered}
    for message in sent:
        got = by_key[message.key.message_key]
        assert (got.to, got.subject, got.text, got.html) == (message.to_email, message.subject, message.text,
                                                             message.html)


# -- batching ---------------------------------------------------------------------------------


def test_1200_kickoff_emails_take_2_calls_and_arrive_exactly_as_rendered(store):
    sent = messages(1200)
    with FakeSendGrid() as fake:
        summary = send_once(store, sendgrid(fake), sent)
        assert [r["personalizations"] for r in fake.requests] == [1000, 200]
        assert summary["sent"] == 1200 and summary["undeliverable"] == []
        assert_each_delivered_once_as_rendered(fake, sent)
        first = fake.delivered[0]
        assert first.categories == ["mentorflow", "kickoff", "crash-cohort"]
        assert first.custom_args == {"mf_cohort": "crash-cohort", "mf_template": "kickoff", "mf_key": first.mf_key}
        assert set(ledger_status(store).values()) == {"sent"}
        assert all(r["message_id"] for r in store.rows(email_ledger))
        # a second run of the same step sends nothing
        again = send_once(store, sendgrid(fake), sent)
        assert again["skipped"] == 1200 and again["sent"] == 0 and len(fake.requests) == 2


def test_each_request_shares_layout_once_and_carries_only_the_personal_part():
    batch = messages(50)
    payload = build_payload(batch)
    html_template = payload["content"][1]["value"]
    personal = payload["personalizations"][7]["substitutions"]
    assert "First meeting agenda" in html_template  # the shared guidance travels once per request
    assert all("First meeting agenda" not in v for v in personal.values())
    assert batch[7].to_name in "".join(personal.values())
    assert len(json.dumps(payload)) < sum(len(m.html) + len(m.text) for m in batch) * 0.8


def test_plan_keeps_templates_apart_and_an_address_once_per_request():
    from mentorflow.messaging.samples import sample_email

    kickoffs = messages(30)
    repeat = [dataclasses.replace(m, key=dataclasses.replace(m.key, period="again")) for m in kickoffs[:5]]
    pulses = [sample_email("pulse", n, "crash-cohort") for n in range(1, 11)]
    batches = plan_requests(kickoffs + repeat + pulses, max_personalizations=20)
    for batch in batches:
        assert len({m.key.template for m in batch}) == 1
        assert len({m.to_email for m in batch}) == len(batch) <= 20
    assert sorted(m.key for b in batches for m in b) == sorted(m.key for m in kickoffs + repeat + pulses)


def test_an_email_whose_personal_part_is_too_big_goes_alone(sqlite_store):
    from mentorflow.messaging.render import render_email
    from mentorflow.messaging.samples import context

    big_context = {**context("kickoff", 999), "my_goals": "grow " * 2500}
    subject, html, text = render_email("kickoff", big_context)
    big = dataclasses.replace(messages(1)[0], html=html, text=text, subject=subject,
                              key=dataclasses.replace(messages(1)[0].key, person_id="E00999"),
                              to_email="big@example.com")
    sent = messages(20) + [big]
    with FakeSendGrid() as fake:
        send_once(sqlite_store, sendgrid(fake), sent)
        assert sorted(r["personalizations"] for r in fake.requests) == [1, 20]
        assert_each_delivered_once_as_rendered(fake, sent)


def test_attachments_travel_base64_and_only_emails_carrying_the_same_files_share_a_request(sqlite_store):
    report = (Attachment("hr-report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
              Attachment("hr-report.html", "<!DOCTYPE html><p>Zoë</p>".encode(), "text/html"))
    other = (Attachment("hr-report.pdf", b"%PDF-1.4 another cohort\n", "application/pdf"),)
    plain = messages(3)
    attached = [dataclasses.replace(m, key=dataclasses.replace(m.key, period="with-report"), attachments=report)
                for m in messages(3)]
    different = [dataclasses.replace(m, key=dataclasses.replace(m.key, period="other-report"), attachments=other)
                 for m in messages(2)]
    with FakeSendGrid() as fake:
        assert send_once(sqlite_store, sendgrid(fake), plain + attached + different)["sent"] == 8
        assert sorted(r["personalizations"] for r in fake.requests) == [2, 3, 3]
        assert_each_delivered_once_as_rendered(fake, plain + attached + different)
        by_key = {d.mf_key: d for d in fake.delivered}
        for group, files in ((plain, ()), (attached, report), (different, other)):
            for message in group:
                assert by_key[message.key.message_key].attachments == [(a.filename, a.mime_type, a.content)
                                                                      for a in files]
    payload = build_payload(attached[:1])
    assert payload["attachments"][0] == {"content": "JVBERi0xLjQKJeLjz9MK", "type": "application/pdf",
                                         "filename": "hr-report.pdf", "disposition": "attachment"}


# -- faults: exactly once -------------------------------------------------------------------------

SCENARIOS = {
    "429 with Retry-After": [Fault(status=429, retry_after="1")],
    "429 with X-RateLimit-Reset": [Fault(status=429, reset_in=1)],
    "429 with both (the later wins)": [Fault(status=429, retry_after="0", reset_in=1.2)],
    "500 then 503": [Fault(status=500), Fault(status=503)],
    "slow answers": [Fault(delay=0.4), Fault(delay=0.4)],
    "dropped connections": [Fault(drop=True), Fault(drop=True)],
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_each_fault_scenario_delivers_every_message_exactly_once(sqlite_store, scenario):
    sent = messages(30)
    with FakeSendGrid(plan=list(SCENARIOS[scenario])) as fake:
        summary = send_once(sqlite_store, sendgrid(fake, batch_size=10), sent)
        assert summary["sent"] == 30 and summary["retry"] == summary["failed"] == 0
        assert_each_delivered_once_as_rendered(fake, sent)
        assert set(ledger_status(sqlite_store).values()) == {"sent"}
        first, second = fake.requests[0], fake.requests[1]
        if first["outcome"] == 429:
            headers = first["headers"]
            waited_until = second["at"]
            if "Retry-After" in headers:
                assert waited_until >= first["at"] + float(headers["Retry-After"]) - 0.01
            if "X-RateLimit-Reset" in headers:
                assert waited_until >= float(headers["X-RateLimit-Reset"]) - 0.01


def test_invalid_addresses_are_reported_once_and_everyone_else_gets_one_email(store):
    sent = messages(25)
    # addresses of one piece that SendGrid still refuses (empty domain labels): the provider's 400 path;
    # addresses that are not one address at all never reach it (test_email_smtp's line-break test)
    bad = {3: "alex@example..com", 11: "bob@example.com.", 17: "carol@.example.com"}
    sent = [dataclasses.replace(m, to_email=bad[i]) if i in bad else m for i, m in enumerate(sent)]
    with FakeSendGrid() as fake:
        summary = send_once(store, sendgrid(fake), sent)
        assert [r["outcome"] for r in fake.requests] == [400, 202]
        assert_each_delivered_once_as_rendered(fake, [m for i, m in enumerate(sent) if i not in bad])
        assert summary["sent"] == 22 and summary["failed"] == 3
        reported = {r["person_id"]: r["last_error"] for r in summary["undeliverable"]}
        assert set(reported) == {sent[i].key.person_id for i in bad}  # people by id: no address in the summary
        assert all("Does not contain a valid address" in e for e in reported.values())
        assert {r["recipient"] for r in undeliverable(store, "crash-cohort")} == set(bad.values())
        send_once(store, sendgrid(fake), sent)  # never retried
        assert len(fake.requests) == 2


def test_an_outage_after_a_400_keeps_the_refused_recipients_reported(sqlite_store):
    sent = messages(6)
    sent[2] = dataclasses.replace(sent[2], to_email="dora@example..com")
    policy = dataclasses.replace(FAST, max_tries=2)
    with FakeSendGrid(plan=[Fault(), Fault(status=500), Fault(status=500)]) as fake:
        with pytest.raises(ProviderBusy, match="SendGrid 500"):
            send_once(sqlite_store, sendgrid(fake, policy=policy), sent)
        status = {r["person_id"]: r["status"] for r in sqlite_store.rows(email_ledger)}
        assert [status[m.key.person_id] for m in sent] == ["retry", "retry", "failed", "retry", "retry", "retry"]
        send_once(sqlite_store, sendgrid(fake), sent)
        assert_each_delivered_once_as_rendered(fake, sent[:2] + sent[3:])
        assert [r["recipient"] for r in undeliverable(sqlite_store, "crash-cohort")] == ["dora@example..com"]


def test_a_400_naming_no_recipient_fails_the_batch_permanently_without_retry(sqlite_store):
    sent = [dataclasses.replace(m, from_email="mentoring@example..com") for m in messages(5)]
    with FakeSendGrid() as fake:
        summary = send_once(sqlite_store, sendgrid(fake), sent)
        assert len(fake.requests) == 1 and not fake.delivered
        assert summary["failed"] == 5
        assert all("from.email" in r["last_error"] for r in summary["undeliverable"])


def test_a_refused_api_key_stops_the_task_and_loses_no_one(sqlite_store):
    sent = messages(12)
    with FakeSendGrid(api_key="SG.right") as fake:
        wrong = SendGridBackend("SG.wrong", fake.url, policy=FAST)
        with pytest.raises(ProviderConfigError, match="refused the API key"):
            send_once(sqlite_store, wrong, sent)
        assert len(fake.requests) == 1 and not fake.delivered
        rows = sqlite_store.rows(email_ledger)
        assert {r["status"] for r in rows} == {"retry"} and all("401" in r["last_error"] for r in rows)
        assert {r["attempts"] for r in rows} == {0}  # our key, not the messages: no attempt is used up
        send_once(sqlite_store, sendgrid(fake), sent)
        assert_each_delivered_once_as_rendered(fake, sent)


def test_a_long_rate_limit_leaves_the_rest_for_the_task_retry(sqlite_store):
    sent = messages(30)
    with FakeSendGrid(plan=[Fault(), Fault(status=429, reset_in=3600)]) as fake:
        with pytest.raises(ProviderBusy, match="SendGrid 429: rate limited until"):
            send_once(sqlite_store, sendgrid(fake, batch_size=10), sent)
        assert len(fake.requests) == 2  # stopped at once: no hour of sleep, no third batch into the limit
        assert collections.Counter(ledger_status(sqlite_store).values()) == {"sent": 10, "retry": 10, "pending": 10}
        summary = send_once(sqlite_store, sendgrid(fake, batch_size=10), sent)  # Airflow's task retry
        assert summary["sent"] == 20 and summary["skipped"] == 10
        assert_each_delivered_once_as_rendered(fake, sent)


def test_attempts_are_capped_then_reported_and_never_retried(sqlite_store):
    sent = messages(4)
    policy = dataclasses.replace(FAST, max_tries=2)
    with FakeSendGrid(plan=[Fault(status=500)] * 4) as fake:
        for _ in range(2):  # two task tries, each stopped by the outage
            with pytest.raises(ProviderBusy, match="SendGrid 500"):
                send_once(sqlite_store, sendgrid(fake, policy=policy), sent, max_attempts=2)
        assert len(fake.requests) == 4
        summary = send_once(sqlite_store, sendgrid(fake), sent, max_attempts=2)  # the next try reports them
        assert summary["skipped"] == 4 and len(summary["undeliverable"]) == 4
        assert all(r["last_error"].startswith("gave up after 2 attempts: ProviderBusy: SendGrid 500")
                   for r in summary["undeliverable"])
        assert len(fake.requests) == 4 and not fake.delivered


# -- the at-least-once window -----------------------------------------------------------------------


def test_an_answer_lost_after_acceptance_resends_that_batch_only(sqlite_store):
    sent = messages(30)
    with FakeSendGrid(plan=[Fault(), Fault(accept_then_drop=True)]) as fake:
        send_once(sqlite_store, sendgrid(fake, batch_size=10), sent)
        counts = fake.keys()
        twice = {k for k, n in counts.items() if n == 2}
        assert twice == {m.key.message_key for m in sent[10:20]}
        assert set(counts.values()) == {1, 2} and set(counts) == {m.key.message_key for m in sent}
        assert set(ledger_status(sqlite_store).values()) == {"sent"}


def test_an_answer_slower_than_the_timeout_counts_as_lost(sqlite_store):
    """SendGrid accepts after our timeout: the retry sends the batch again (the documented window)."""
    sent = messages(20)
    policy = dataclasses.replace(FAST, timeout=0.5)
    with FakeSendGrid(plan=[Fault(delay=1.0)]) as fake:
        summary = send_once(sqlite_store, sendgrid(fake, batch_size=10, policy=policy), sent)
        time.sleep(1.0)  # let the slow request finish on the server
        assert summary["sent"] == 20
        counts = fake.keys()
        assert {k for k, n in counts.items() if n == 2} == {m.key.message_key for m in sent[:10]}
        assert {counts[m.key.message_key] for m in sent[10:]} == {1}


@pytest.mark.parametrize("moment", ["before-call", "after-accept"])
def test_a_sender_killed_mid_send_skips_no_one_on_retry(store, moment):
    """The child process dies hard on its 2nd batch of 10: before calling SendGrid, or after SendGrid
    accepted but before the ledger write. The task retry resumes from the ledger."""
    sent = messages(30)
    with FakeSendGrid() as fake:
        code = run_crashing_sender(store.url, fake.url, fake.api_key, 30, 10, 2, moment)
        assert code == CRASH_EXIT_CODE
        status = ledger_status(store)
        assert collections.Counter(status.values()) == {"sent": 10, "sending": 10, "pending": 10}
        assert {k for k, s in status.items() if s == "sending"} == {m.key.message_key for m in sent[10:20]}
        delivered_before_retry = len(fake.delivered)
        summary = send_once(store, sendgrid(fake, batch_size=10), sent)
        assert summary["resent_after_crash"] == 10 and summary["skipped"] == 10 and summary["sent"] == 20
        assert set(ledger_status(store).values()) == {"sent"}
        counts = fake.keys()
        assert set(counts) == {m.key.message_key for m in sent}
        if moment == "before-call":
            assert delivered_before_retry == 10 and set(counts.values()) == {1}
        else:  # at-least-once for exactly the batch in doubt, with the same mf_key
            assert delivered_before_retry == 20
            assert {k for k, n in counts.items() if n == 2} == {m.key.message_key for m in sent[10:20]}
            assert max(counts.values()) == 2
        attempts = {r["person_id"]: r["attempts"] for r in store.rows(email_ledger)}
        assert {attempts[m.key.person_id] for m in sent[10:20]} == {2}
        assert {attempts[m.key.person_id] for m in sent[:10] + sent[20:]} == {1}


# -- pure helpers and configuration -------------------------------------------------------------


def test_rate_limit_wait_reads_retry_after_and_the_reset_epoch():
    now = 1_800_000_000.0
    assert rate_limit_wait({"Retry-After": "7"}, now) == 7
    assert rate_limit_wait({"x-ratelimit-reset": str(int(now) + 30)}, now) == 30
    assert rate_limit_wait({"Retry-After": "5", "X-RateLimit-Reset": str(int(now) + 12)}, now) == 12
    moment = dt.datetime(2027, 1, 15, 8, 0, 0, tzinfo=dt.timezone.utc).timestamp()
    assert rate_limit_wait({"Retry-After": "Fri, 15 Jan 2027 08:00:10 GMT"}, moment) == 10
    assert rate_limit_wait({"X-RateLimit-Reset": str(int(now) - 5)}, now) == 0
    assert rate_limit_wait({"Retry-After": "soon"}, now) is None and rate_limit_wait({}, now) is None


def test_backoff_doubles_up_to_the_cap():
    import random

    policy = RetryPolicy(base_delay=1, max_delay=8)
    rng = random.Random(1)
    for try_number, full in [(1, 1), (2, 2), (3, 4), (4, 8), (6, 8)]:
        assert full / 2 <= policy.backoff(try_number, rng) <= full


def test_backend_for_reads_the_airflow_connection_at_run_time(cohorts_dir, monkeypatch, sqlite_store):
    from conftest import write_cohort
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.messaging.delivery import backend_for

    config = load_cohort(write_cohort(cohorts_dir, sender={"backend": "sendgrid", "conn_id": "mail_sendgrid"}))
    with FakeSendGrid(api_key="SG.from-connection") as fake:
        port = fake.url.rsplit(":", 1)[1]
        monkeypatch.setenv("AIRFLOW_CONN_MAIL_SENDGRID", json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": int(port), "schema": "http",
             "password": "SG.from-connection"}))
        backend = backend_for(config)
        assert backend.host == fake.url
        send_once(sqlite_store, backend, messages(3))
        assert len(fake.delivered) == 3


def test_backend_for_falls_back_to_environment_and_names_what_is_missing(cohorts_dir, monkeypatch):
    from conftest import write_cohort
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.messaging.delivery import backend_for

    config = load_cohort(write_cohort(cohorts_dir, sender={"backend": "sendgrid"}))
    monkeypatch.delenv("MENTORFLOW_SENDGRID_API_KEY", raising=False)
    with pytest.raises(ProviderConfigError, match="test-cohort: sender.backend is sendgrid but no API key"):
        backend_for(config)
    monkeypatch.setenv("MENTORFLOW_SENDGRID_API_KEY", "SG.env")
    monkeypatch.setenv("MENTORFLOW_SENDGRID_HOST", "http://127.0.0.1:9")
    assert backend_for(config).host == "http://127.0.0.1:9"


def test_ledger_rows_of_other_cohorts_are_untouched(sqlite_store):
    other = [dataclasses.replace(m, key=dataclasses.replace(m.key, cohort_id="other-cohort")) for m in messages(3)]
    with FakeSendGrid() as fake:
        send_once(sqlite_store, sendgrid(fake), other)
        send_once(sqlite_store, sendgrid(fake), messages(3))
        assert len(fake.delivered) == 6
    with sqlite_store.engine.connect() as conn:
        per_cohort = dict(conn.execute(sa.select(email_ledger.c.cohort_id, sa.func.count())
                                       .group_by(email_ledger.c.cohort_id)).all())
    assert per_cohort == {"crash-cohort": 3, "other-cohort": 3}


def test_send_rate_is_not_slowed_by_waits_when_nothing_fails(sqlite_store):
    """No fault, no sleep: the backend never waits (guards against a stray backoff on success)."""
    slept = []
    with FakeSendGrid() as fake:
        backend = SendGridBackend(fake.api_key, fake.url, policy=FAST, sleep=slept.append, clock=time.time)
        send_once(sqlite_store, backend, messages(20))
    assert slept == [] and backend.api_calls == 1


def test_dags_of_a_sendgrid_cohort_parse_without_looking_up_the_connection(cohorts_dir):
    """The parse runs with connection look-ups patched to raise: the sender's connection is a task-time read."""
    from conftest import write_cohort
    from test_dag_integrity import parse

    write_cohort(cohorts_dir, sender={"backend": "sendgrid", "conn_id": "mail_sendgrid"})
    parsed = parse(cohorts_dir)
    assert parsed["errors"] == {} and len(parsed["dag_ids"]) == len(DAG_STAGES)
