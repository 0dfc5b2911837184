"""Triage events reach Airflow through its real REST API, and the forms app runs inside
Airflow's real API server through the plugin.

One Airflow API server (simple auth manager, one user) is started on loopback. An event
queued while Airflow is unreachable stays in the outbox and is delivered by
``mentorflow forms deliver-events``; a re-match request posted to the forms app mounted at
/mentorflow inside that server is delivered on its own; the triage DAG then records the
request and emails ops.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest
from airflow_server import api_server
from fastapi.testclient import TestClient
from forms_fixtures import COHORT, GOOD_PULSE, GOOD_REMATCH, make_world
from mentorflow import settings
from mentorflow.cli import main as cli
from mentorflow.forms import events
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import Store, form_events, triage_requests

pytestmark = [pytest.mark.airflow, pytest.mark.slow]
USER, PASSWORD = "mentorflow-ops", "pw-" + os.urandom(6).hex()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def airflow_api(airflow_db, cohorts_dir, tmp_path, monkeypatch):
    """The world's DAGs serialized, and an Airflow API server on a free loopback port."""
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")
    env = os.environ.copy()
    out = subprocess.run([sys.executable, "-m", "airflow", "dags", "reserialize"], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    port = free_port()
    (tmp_path / "passwords.json").write_text(json.dumps({USER: PASSWORD}))
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("MENTORFLOW_AIRFLOW_URL", url)
    monkeypatch.setenv("MENTORFLOW_AIRFLOW_USERNAME", USER)
    monkeypatch.setenv("MENTORFLOW_AIRFLOW_PASSWORD", PASSWORD)
    env.update({
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(tmp_path / "passwords.json"),
        "AIRFLOW__API_AUTH__JWT_SECRET": os.urandom(16).hex(),
        "MENTORFLOW_AIRFLOW_URL": url, "MENTORFLOW_AIRFLOW_USERNAME": USER, "MENTORFLOW_AIRFLOW_PASSWORD": PASSWORD,
    })
    with api_server(env, port, tmp_path / "api-server.log", hang_after=180):
        yield world, url


def rest(url: str, path: str) -> httpx.Response:
    token = httpx.post(f"{url}/auth/token", json={"username": USER, "password": PASSWORD}).json()["access_token"]
    return httpx.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})


def post_form(client: httpx.Client | TestClient, link: str, fields: dict) -> int:
    page = client.get(link)
    assert page.status_code == 200, page.text[:500]
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    return client.post(link, data={**fields, "csrf_token": csrf}, follow_redirects=False).status_code


def test_events_reach_the_triage_dag_and_none_is_lost_while_airflow_is_down(airflow_api):
    world, url = airflow_api
    store = Store(world.store_url)
    dead = f"http://127.0.0.1:{free_port()}"
    with TestClient(create_app(FormsSettings(airflow=events.AirflowClient(dead, USER, PASSWORD)))) as client:
        assert post_form(client, world.link("E2", "pulse"), {**GOOD_PULSE, "outcome": "end"}) == 303
    kept = store.rows(form_events)
    assert [(e["status"], e["reason"]) for e in kept] == [("pending", "end")] and "unreachable" in kept[0]["last_error"]

    assert cli.main(["forms", "deliver-events", "--cohort", COHORT]) == 0
    delivered = store.rows(form_events)[0]
    assert delivered["status"] == "delivered"
    run = rest(url, f"/api/v2/dags/mentorflow__{COHORT}__triage/dagRuns/{delivered['dag_run_id']}").json()
    assert run["conf"] == {"match_id": 1, "reason": "end", "requester": "E2", "event_id": delivered["event_id"]}
    assert cli.main(["forms", "deliver-events"]) == 0  # nothing left, and no second run
    assert rest(url, f"/api/v2/dags/mentorflow__{COHORT}__triage/dagRuns").json()["total_entries"] == 1

    # the forms app inside Airflow's own API server (plugin), delivering on submit
    with httpx.Client(base_url=f"{url}/mentorflow") as browser:
        assert post_form(browser, world.link("E4", "rematch"), {**GOOD_REMATCH, "match_id": "2"}) == 303
    for _ in range(60):
        second = store.rows(form_events, requester_id="E4")
        if second and second[0]["status"] == "delivered":
            break
        time.sleep(0.5)
    assert second[0]["status"] == "delivered", second
    assert rest(url, f"/api/v2/dags/mentorflow__{COHORT}__triage/dagRuns").json()["total_entries"] == 2

    # the triage DAG records the request and emails ops (run here with dag.test, as the scheduler would)
    from mentorflow.orchestration.dags import build_all

    dag = build_all()[f"mentorflow__{COHORT}__triage"]
    result = dag.test(run_conf=run["conf"])
    assert str(result.state).endswith("success")
    recorded = store.rows(triage_requests)
    assert [(r["match_id"], r["reason"], r["requester_id"]) for r in recorded] == [(1, "end", "E2")]
    sent = list((settings.outbox_dir(COHORT) / "triage").rglob("*.eml"))
    assert len(sent) == 1
    message = email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)
    assert message["To"].endswith("mentoring-ops@example.com>") or "mentoring-ops@example.com" in message["To"]
    assert "Person 2 asked to end the partnership" in message["Subject"]


def test_the_triage_dag_is_manual_unpaused_and_runs_one_step(cohorts_dir, tmp_path):
    from mentorflow.orchestration.dags import build_all

    make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")
    dag = build_all()[f"mentorflow__{COHORT}__triage"]
    assert dag.schedule is None
    assert dag.is_paused_upon_creation is False and [t.task_id for t in dag.tasks] == ["record_triage"]
