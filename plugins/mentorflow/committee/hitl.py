"""Answer a cohort's waiting committee task through Airflow's own human-in-the-loop REST API.

Airflow keeps one responder per HITL task and, when the task names ``assigned_users`` (the cohort's
``committee.reviewers``), accepts an answer only from one of them: admins are not exempt. So the answer
is sent with the deciding reviewer's own Airflow token (the caller passes it in; it is used for these
requests only, never stored or logged), and ``responded_by`` names a real committee member. Where Airflow
is comes from the same settings as the forms app's client (``MENTORFLOW_AIRFLOW_URL``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from mentorflow.forms.events import AirflowClient

# the committee round -> the stage DAG whose HITL task reviews it (orchestration/committee_steps.py)
ROUND_STAGES = {"initial": "match", "midpoint": "midpoint"}
COMMITTEE_TASKS = ("committee_approval", "committee_reapproval")


def dag_id_for(cohort_id: str, round_name: str) -> str:
    """The DAG id of the round's stage, as the DAG factory builds it (a test keeps the two equal)."""
    return f"mentorflow__{cohort_id}__{ROUND_STAGES[round_name]}"


class HitlError(RuntimeError):
    """Airflow did not take the answer (unreachable, refused); the decision stays recorded in the store."""


@dataclass
class HitlClient:
    """Airflow's HITL endpoints, called as one user (their bearer token)."""

    token: str
    base_url: str = ""
    timeout: float = 10.0

    @classmethod
    def for_user(cls, token: str) -> HitlClient:
        """A client for the Airflow the settings name, acting as the user whose token this is."""
        return cls(token, AirflowClient.from_env().base_url)

    def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            with httpx.Client(base_url=self.base_url, timeout=self.timeout) as http:
                return http.request(method, path, headers={"Authorization": f"Bearer {self.token}"}, **kw)
        except httpx.HTTPError as exc:
            raise HitlError(f"Airflow is unreachable at {self.base_url}: {type(exc).__name__}") from None

    def waiting(self, dag_id: str) -> list[dict[str, Any]]:
        """The HITL tasks of ``dag_id`` that wait for an answer (committee tasks only)."""
        response = self._request("GET", "/api/v2/dags/~/dagRuns/~/hitlDetails", params={
            "response_received": "false", "state": "awaiting_input", "dag_id_pattern": dag_id, "limit": 100})
        if response.status_code != 200:
            raise HitlError(f"Airflow answered HTTP {response.status_code} listing the waiting tasks of {dag_id}")
        return [d for d in response.json()["hitl_details"]
                if d["task_instance"]["dag_id"] == dag_id and d["task_instance"]["task_id"] in COMMITTEE_TASKS]

    def answer(self, detail: dict[str, Any], option: str) -> bool:
        """Choose ``option`` on one waiting task; False when it was already answered (409: someone else, or
        the timeout's default), which counts as done."""
        ti = detail["task_instance"]
        if option not in detail["options"]:
            raise HitlError(f"{ti['task_id']} offers {detail['options']}, not {option!r}")
        path = (f"/api/v2/dags/{quote(ti['dag_id'], safe='')}/dagRuns/{quote(ti['dag_run_id'], safe='')}"
                f"/taskInstances/{quote(ti['task_id'], safe='')}/{ti['map_index']}/hitlDetails")
        # params_input stays empty: the re-solve task's locks/forbids are then left as they are
        response = self._request("PATCH", path, json={"chosen_options": [option], "params_input": {}})
        if response.status_code == 409:
            return False
        if response.status_code != 200:
            raise HitlError(f"Airflow answered HTTP {response.status_code} for {ti['dag_id']}.{ti['task_id']}: "
                            f"{response.text[:300]}")
        return True
