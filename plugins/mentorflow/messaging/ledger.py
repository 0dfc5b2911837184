"""The send ledger: every email keyed by (cohort, person, template, period) is delivered once.

Protocol, per provider batch (the backend says what one provider call holds):

1. every key is recorded ``pending`` unless the ledger already has it;
2. before the call, the batch's rows are claimed: ``sending``, a fresh ``attempt_id``, ``attempts + 1``
   (committed);
3. after the call, each result is recorded, but only on rows still carrying that ``attempt_id``:
   ``sent``, ``failed`` (permanent: invalid address, refused recipient) or ``retry`` (transient).

A run (an Airflow task try) that crashes at any point therefore skips no one: rows still ``pending``,
``retry`` or ``sending`` are handed to the provider by the next run, and ``sent`` rows never are.

The one window where a message can arrive twice: the provider accepted a batch but the process died
(or the connection broke) before step 3. Those rows stay ``sending`` and the next run sends them again:
delivery is **at-least-once for at most one batch per crash**, and a batch is, per backend: SMTP one
message (the SMTP backend hands over one message per batch, on one kept-open connection); SendGrid one
request of up to 1,000 recipients (its API takes them together, so that is its window); the outbox one
file, which is overwritten, so the outbox stays exactly-once. Every copy carries the same message key (SendGrid ``custom_args.mf_key``, SMTP
``Message-ID`` and ``X-Mentorflow-Key``), so duplicates can be found and folded. Neither provider can
be asked reliably whether it accepted a given key, so the ledger does not try.

A key is handed to the provider at most ``max_attempts`` times; after that it is ``failed`` with the
last error and listed by :func:`undeliverable`, never retried again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from mentorflow.errors import DeliveryIncomplete, ProviderConfigError
from mentorflow.messaging.backends import EmailBackend
from mentorflow.messaging.message import LedgerKey, OutgoingEmail, SendResult
from mentorflow.privacy import redact
from mentorflow.store import Store, email_ledger

log = logging.getLogger("mentorflow.email")

PENDING, SENDING, SENT, RETRY, FAILED = "pending", "sending", "sent", "retry", "failed"
MAX_ATTEMPTS = 5
REPORTED_FAILURES = 50  # undeliverable rows listed in a task summary (the CLI lists all)


def send_once(store: Store, backend: EmailBackend, messages: Iterable[OutgoingEmail], *,
              max_attempts: int = MAX_ATTEMPTS) -> dict[str, Any]:
    """Deliver each message whose key is not yet settled; returns counts and the undeliverable ones.

    Raises :class:`DeliveryIncomplete` after recording everything when transient failures remain,
    so the task is retried and resumes where it stopped. A backend's own exception (provider down,
    key refused) puts its batch back in the queue with the reason and propagates.
    """
    unique = _unique_by_key(list(messages))
    counts: dict[str, Any] = {"sent": 0, "skipped": 0, "failed": 0, "retry": 0, "resent_after_crash": 0}
    if not unique:
        return {**counts, "undeliverable": []}
    _insert_pending(store, backend.name, unique)
    ledger = _ledger_rows(store, [m.key for m in unique])
    attempt_id = uuid.uuid4().hex
    todo = []
    for message in unique:
        row = ledger[message.key]
        if row["status"] in (SENT, FAILED):
            counts["skipped"] += 1
        elif problem := message.address_problem():  # this message alone fails, never its batch
            _claim(store, [message], attempt_id)
            _record(store, [SendResult(message.key, False, error=problem, permanent=True)], attempt_id, max_attempts)
            counts["failed"] += 1
        elif row["attempts"] >= max_attempts:
            _give_up(store, message.key, row, max_attempts)
            counts["failed"] += 1
        else:
            counts["resent_after_crash"] += row["status"] == SENDING
            todo.append(message)
    try:
        for batch in backend.batches(todo):
            _claim(store, batch, attempt_id)
            try:
                results = backend.send(batch)
            except Exception as exc:  # what is unsettled goes back to the queue with the reason; the task fails
                settled = getattr(exc, "settled", [])
                done = {r.key for r in settled}
                unsettled = [SendResult(m.key, False, error=f"{type(exc).__name__}: {exc}") for m in batch
                             if m.key not in done]
                _record(store, settled, attempt_id, max_attempts)
                # a refused key or login is our configuration, not the message: it costs no attempt
                _record(store, unsettled, attempt_id, max_attempts, refund=isinstance(exc, ProviderConfigError))
                raise
            for result in _record(store, results, attempt_id, max_attempts):
                counts[result] += 1
            transient = [r.error for r in results if not r.ok and not r.permanent]
            if transient:
                counts["last_transient_error"] = redact(transient[-1] or "")
    finally:
        close = getattr(backend, "close", None)  # a backend that keeps a connection between batches
        if close is not None:
            close()
    keys = [m.key for m in unique]
    # the summary is the task's return value (and its log): people by id, provider texts redacted
    failures = [{**{k: v for k, v in row.items() if k != "recipient"}, "last_error": redact(row["last_error"] or "")}
                for cohort in sorted({k.cohort_id for k in keys}) for row in undeliverable(store, cohort, keys=keys)]
    summary = {**counts, "undeliverable": failures[:REPORTED_FAILURES]}
    if len(failures) > REPORTED_FAILURES:
        summary["undeliverable_not_listed"] = len(failures) - REPORTED_FAILURES
    if counts["retry"]:
        raise DeliveryIncomplete(summary)
    return summary


def undeliverable(store: Store, cohort_id: str, *, keys: list[LedgerKey] | None = None) -> list[dict[str, Any]]:
    """Messages that will not be delivered (bounced, invalid address, attempts used up), for ops."""
    table = email_ledger
    stmt = (sa.select(table.c.person_id, table.c.recipient, table.c.template, table.c.period, table.c.attempts,
                      table.c.last_error, table.c.updated_at)
            .where(table.c.cohort_id == cohort_id, table.c.status == FAILED)
            .order_by(table.c.template, table.c.period, table.c.person_id))
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    if keys is not None:
        wanted = {(k.person_id, k.template, k.period) for k in keys}
        rows = [r for r in rows if (r["person_id"], r["template"], r["period"]) in wanted]
    return [{**r, "updated_at": r["updated_at"].isoformat() if r["updated_at"] else None} for r in rows]


# -- steps ------------------------------------------------------------------------------------


def _unique_by_key(messages: list[OutgoingEmail]) -> list[OutgoingEmail]:
    """One message per key; a second message under the same key is a caller bug, logged and dropped."""
    seen: dict[LedgerKey, OutgoingEmail] = {}
    for message in messages:
        if message.key in seen:
            log.warning("email %s appears twice in one send; only the first is sent", message.key.message_key)
            continue
        seen[message.key] = message
    return list(seen.values())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _insert_pending(store: Store, backend_name: str, messages: list[OutgoingEmail]) -> None:
    now = _now()
    store.upsert(
        email_ledger,
        [{"cohort_id": m.key.cohort_id, "person_id": m.key.person_id, "template": m.key.template,
          "period": m.key.period, "recipient": m.to_email, "status": PENDING, "backend": backend_name,
          "attempts": 0, "updated_at": now} for m in messages],
        update=False,
    )


def _ledger_rows(store: Store, keys: list[LedgerKey]) -> dict[LedgerKey, dict[str, Any]]:
    table = email_ledger
    found: dict[LedgerKey, dict[str, Any]] = {}
    by_scope: dict[tuple[str, str, str], list[str]] = {}
    for key in keys:
        by_scope.setdefault((key.cohort_id, key.template, key.period), []).append(key.person_id)
    with store.engine.connect() as conn:
        for (cohort, template, period), people in by_scope.items():
            for start in range(0, len(people), 900):
                stmt = sa.select(table).where(table.c.cohort_id == cohort, table.c.template == template,
                                              table.c.period == period,
                                              table.c.person_id.in_(people[start:start + 900]))
                for row in conn.execute(stmt):
                    found[LedgerKey(cohort, row.person_id, template, period)] = dict(row._mapping)
    return found


def _key_filter():
    table = email_ledger
    return sa.and_(table.c.cohort_id == sa.bindparam("k_cohort"), table.c.person_id == sa.bindparam("k_person"),
                   table.c.template == sa.bindparam("k_template"), table.c.period == sa.bindparam("k_period"))


def _key_params(key: LedgerKey) -> dict[str, str]:
    return {"k_cohort": key.cohort_id, "k_person": key.person_id, "k_template": key.template, "k_period": key.period}


def _claim(store: Store, batch: list[OutgoingEmail], attempt_id: str) -> None:
    table = email_ledger
    stmt = (table.update().where(_key_filter(), table.c.status != SENT)
            .values(status=SENDING, attempt_id=attempt_id, attempts=table.c.attempts + 1,
                    updated_at=sa.bindparam("k_now")))
    now = _now()
    with store.engine.begin() as conn:
        conn.execute(stmt, [{**_key_params(m.key), "k_now": now} for m in batch])


def _record(store: Store, results: list[SendResult], attempt_id: str, max_attempts: int, *,
            refund: bool = False) -> list[str]:
    """Write each result on rows this attempt still holds; returns the outcome of each.

    ``refund`` gives the attempt back (the provider never judged these messages).
    """
    table = email_ledger
    now = _now()
    attempts = {k: r["attempts"] for k, r in _ledger_rows(store, [r.key for r in results]).items()}
    params, outcomes = [], []
    for result in results:
        if result.ok:
            status, error = SENT, None
        elif result.permanent:
            status, error = FAILED, result.error
        elif attempts.get(result.key, 0) >= max_attempts and not refund:
            status, error = FAILED, f"gave up after {max_attempts} attempts: {result.error}"
        else:
            status, error = RETRY, result.error
        outcomes.append({SENT: "sent", FAILED: "failed", RETRY: "retry"}[status])
        params.append({**_key_params(result.key), "k_status": status, "k_message_id": result.message_id,
                       "k_error": error, "k_now": now, "k_attempt": attempt_id})
    stmt = (table.update().where(_key_filter(), table.c.attempt_id == sa.bindparam("k_attempt"))
            .values(status=sa.bindparam("k_status"), message_id=sa.bindparam("k_message_id"),
                    last_error=sa.bindparam("k_error"), updated_at=sa.bindparam("k_now"),
                    attempts=table.c.attempts - int(refund)))
    if params:
        with store.engine.begin() as conn:
            conn.execute(stmt, params)
    return outcomes


def _give_up(store: Store, key: LedgerKey, row: dict[str, Any], max_attempts: int) -> None:
    table = email_ledger
    with store.engine.begin() as conn:
        conn.execute(table.update().where(_key_filter()).values(
            status=FAILED, updated_at=_now(),
            last_error=f"gave up after {max_attempts} attempts: {row['last_error'] or 'no provider answer'}"),
            _key_params(key))
