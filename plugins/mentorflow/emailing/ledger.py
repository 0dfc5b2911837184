"""The send ledger: every email keyed by (cohort, person, template, period) is sent once.

Protocol for one batch: (1) record each key as ``pending`` unless it exists;
(2) hand only keys not yet ``sent`` (and not permanently ``failed``) to the backend;
(3) record each result. A task retried after a crash at any point therefore skips
nobody and never resends what the ledger marks as sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from mentorflow.emailing.backends import EmailBackend
from mentorflow.emailing.message import OutgoingEmail, SendResult
from mentorflow.store import Store, email_ledger

SENT, PENDING, FAILED, RETRY = "sent", "pending", "failed", "retry"


def send_once(store: Store, backend: EmailBackend, messages: Iterable[OutgoingEmail], *, batch: int = 500) -> dict[str, int]:
    """Send each message whose key is not yet sent; returns counts by outcome."""
    messages = list(messages)
    now = dt.datetime.now(dt.timezone.utc)
    store.upsert(
        email_ledger,
        [
            {"cohort_id": m.key.cohort_id, "person_id": m.key.person_id, "template": m.key.template,
             "period": m.key.period, "recipient": m.to_email, "status": PENDING, "backend": backend.name,
             "attempts": 0, "updated_at": now}
            for m in messages
        ],
        update=False,
    )
    done = _settled_keys(store, messages)
    todo = [m for m in messages if (m.key.person_id, m.key.template, m.key.period) not in done]
    counts = {"skipped": len(messages) - len(todo), "sent": 0, "failed": 0, "retry": 0}
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        results = backend.send(chunk)
        _record(store, results)
        for result in results:
            outcome = "sent" if result.ok else ("failed" if result.permanent else "retry")
            counts[outcome] += 1
    return counts


def _settled_keys(store: Store, messages: list[OutgoingEmail]) -> set[tuple[str, str, str]]:
    if not messages:
        return set()
    cohort = messages[0].key.cohort_id
    templates = sorted({m.key.template for m in messages})
    stmt = sa.select(email_ledger.c.person_id, email_ledger.c.template, email_ledger.c.period).where(
        email_ledger.c.cohort_id == cohort,
        email_ledger.c.template.in_(templates),
        email_ledger.c.status.in_([SENT, FAILED]),
    )
    with store.engine.connect() as conn:
        return {tuple(row) for row in conn.execute(stmt)}


def _record(store: Store, results: list[SendResult]) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    table = email_ledger
    with store.engine.begin() as conn:
        for result in results:
            key = result.key
            status = SENT if result.ok else (FAILED if result.permanent else RETRY)
            conn.execute(
                table.update()
                .where(table.c.cohort_id == key.cohort_id, table.c.person_id == key.person_id,
                       table.c.template == key.template, table.c.period == key.period)
                .values(status=status, message_id=result.message_id, last_error=result.error,
                        attempts=table.c.attempts + 1, updated_at=now)
            )
