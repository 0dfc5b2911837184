"""Events for ops triage: kept in the store's ``form_events`` outbox, delivered to Airflow.

A re-match request, or a pulse answer asking to end or re-match, is written to the outbox in
the same transaction as the answer itself. Delivery then triggers the cohort's triage DAG
through Airflow's REST API (``POST /api/v2/dags/{dag_id}/dagRuns``, JWT from ``/auth/token``).
The run id is derived from the event id, so a delivery retried after a lost response gets
409 (already there) and counts as delivered: an event is never lost and never triggers twice.

Where Airflow is: ``MENTORFLOW_AIRFLOW_URL`` (default http://127.0.0.1:8080), credentials
``MENTORFLOW_AIRFLOW_USERNAME`` / ``MENTORFLOW_AIRFLOW_PASSWORD`` (simple auth manager users);
without a password the all-admins token endpoint (``GET /auth/token``) is used.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa

from mentorflow import settings
from mentorflow.store import Store, form_events

log = logging.getLogger("mentorflow.forms")


def triage_dag_id(cohort_id: str) -> str:
    return f"mentorflow__{cohort_id}__triage"


def run_id_for(event: dict[str, Any]) -> str:
    return f"mentorflow-event-{event['cohort_id']}-{event['event_id']}"


def outbox_insert(conn: sa.Connection, store: Store, *, cohort_id: str, match_id: int, reason: str,
                  requester_id: str, dedupe_key: str) -> None:
    """Queue an event inside the caller's transaction; the same ``dedupe_key`` twice is one event."""
    store.upsert(form_events, [{"cohort_id": cohort_id, "dedupe_key": dedupe_key, "match_id": match_id,
                                "reason": reason, "requester_id": requester_id, "status": "pending", "attempts": 0,
                                "created_at": dt.datetime.now(dt.timezone.utc)}],
                 update=False, conflict_key=["dedupe_key"], conn=conn)


class DeliveryError(RuntimeError):
    """Airflow did not take the event (unreachable, refused); the event stays pending."""


DEFAULT_AIRFLOW_URL = settings.DEFAULT_AIRFLOW_URL


@dataclass
class AirflowClient:
    base_url: str = DEFAULT_AIRFLOW_URL
    username: str | None = None
    password: str | None = None
    timeout: float = 5.0

    @classmethod
    def from_env(cls) -> AirflowClient:
        """The client the settings describe (``MENTORFLOW_AIRFLOW_*``)."""
        current = settings.current()
        password = current.airflow_password.get_secret_value() if current.airflow_password else None
        return cls(current.airflow_url or DEFAULT_AIRFLOW_URL, current.airflow_username or None, password or None)

    def _token(self, http: httpx.Client) -> str:
        if self.password:
            response = http.post("/auth/token", json={"username": self.username or "admin", "password": self.password})
        else:
            response = http.get("/auth/token")
        if response.status_code not in (200, 201):
            raise DeliveryError(f"Airflow refused the login at {self.base_url}/auth/token: HTTP {response.status_code}")
        return response.json()["access_token"]

    def trigger(self, event: dict[str, Any]) -> str:
        """Trigger the triage DAG for one event; returns the run id (already there counts as done)."""
        run_id = run_id_for(event)
        body = {"dag_run_id": run_id, "logical_date": None,
                "conf": {"match_id": event["match_id"], "reason": event["reason"],
                         "requester": event["requester_id"], "event_id": event["event_id"]}}
        try:
            with httpx.Client(base_url=self.base_url, timeout=self.timeout) as http:
                headers = {"Authorization": f"Bearer {self._token(http)}"}
                response = http.post(f"/api/v2/dags/{triage_dag_id(event['cohort_id'])}/dagRuns", json=body,
                                     headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Airflow is unreachable at {self.base_url}: {type(exc).__name__}: {exc}") from None
        if response.status_code in (200, 201, 409):
            return run_id
        raise DeliveryError(f"Airflow answered HTTP {response.status_code} for "
                            f"{triage_dag_id(event['cohort_id'])}: {response.text[:300]}")


def deliver_pending(store: Store, client: AirflowClient, *, cohort_id: str | None = None,
                    limit: int = 200) -> dict[str, int]:
    """Try every pending event (oldest first); stops at the first unreachable-Airflow error."""
    stmt = sa.select(form_events).where(form_events.c.status == "pending").order_by(form_events.c.event_id).limit(limit)
    if cohort_id:
        stmt = stmt.where(form_events.c.cohort_id == cohort_id)
    with store.engine.connect() as conn:
        pending = [dict(r._mapping) for r in conn.execute(stmt)]
    delivered = failed = 0
    for event in pending:
        now = dt.datetime.now(dt.timezone.utc)
        try:
            run_id = client.trigger(event)
        except DeliveryError as exc:
            failed += 1
            _update(store, event, attempts=event["attempts"] + 1, last_error=str(exc))
            log.warning("mentorflow: event %s kept for later: %s", event["event_id"], exc)
            if "unreachable" in str(exc):
                break
            continue
        delivered += 1
        _update(store, event, status="delivered", attempts=event["attempts"] + 1, last_error=None, dag_run_id=run_id,
                delivered_at=now)
    left = store.count(form_events, status="pending", **({"cohort_id": cohort_id} if cohort_id else {}))
    return {"delivered": delivered, "failed": failed, "pending": left}


def _update(store: Store, event: dict[str, Any], **values: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(form_events.update().where(form_events.c.event_id == event["event_id"]).values(**values))
