"""The demo's matching committee: three reviewers who answer each round through the committee console's API.

While ``dag.test`` runs a stage with a committee step (the initial match, the midpoint re-match), a thread waits
until the round's review task waits for input (seen through Airflow's HITL REST API); then each reviewer, with
their own Airflow token, reads the round (``GET /mentorflow-committee/api/committee/<cohort>/<round>``) and votes
(``POST …/votes``) until the quorum decides. The console answers the waiting task as the deciding reviewer, and the
run goes on. Nothing here answers Airflow itself.

Every wait is bounded. When the committee cannot finish (the API server did not start, a vote was refused, Airflow
did not take the answer), the waiting review task is marked failed in Airflow's metadata database, so ``dag.test``
ends instead of waiting for the task's 72-hour timeout, and the run fails with the committee's reason
(:class:`CommitteeFailed`). Tokens are used for the requests only, never printed or stored.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from mentorflow.cohorts.calendar import PlannedRun
from mentorflow.committee.hitl import ROUND_STAGES, HitlClient, dag_id_for
from mentorflow.demo.airflow_server import AirflowServer, ServerFailed, login
from mentorflow.errors import StageFailed

REVIEWERS = ("ann", "ben", "cai")
QUORUM = 2  # a majority: the round is decided without waiting for everyone, as a real committee would
ADMIN = "admin"
USERS = {ADMIN: "admin", **dict.fromkeys(REVIEWERS, "user")}  # the demo's Airflow users (SimpleAuthManager roles)
CONSOLE = "/mentorflow-committee"
ROUND_OF = {stage: round_name for round_name, stage in ROUND_STAGES.items()}  # the stage -> the committee round
WORDS = {"approve": "approved", "reject": "rejected"}


class CommitteeFailed(StageFailed):
    """The demo's committee could not answer a round; the message says why."""


@dataclass
class Decision:
    """What the committee did in one round, as the console answered."""

    round: str
    votes: list[tuple[str, str]] = field(default_factory=list)   # (reviewer, decision) in order
    state: str = "pending"
    answered: list[str] = field(default_factory=list)             # "dag/run/task" the console answered
    read: dict[str, int] = field(default_factory=dict)            # what the reviewers read: pairs, unmatched

    def said(self) -> str:
        """Who voted what and the outcome: "ann approved, ben approved -> approved"."""
        return ", ".join(f"{who} {WORDS.get(decision, decision)}" for who, decision in self.votes) + f" -> {self.state}"

    def line(self) -> str:
        review = "match review" if self.round == "initial" else f"{self.round} review"
        return (f"committee: {self.said()}; the {review} was answered through the console "
                f"(the reviewers read {self.read.get('pairs', 0)} proposed pairs, "
                f"{self.read.get('unmatched', 0)} without a partner)")


class Committee:
    """A ``lifecycle.run`` hook: ``committee(item)`` is a context manager that answers the item's committee round
    while the item's ``dag.test`` runs (a no-op for stages without a committee step)."""

    def __init__(self, server: AirflowServer, passwords: dict[str, str], cohort: str, *,
                 reviewers: tuple[str, ...] = REVIEWERS, decision: str = "approve", wait: float = 600,
                 say: Callable[[str], None] = print):
        self.server, self.passwords, self.cohort = server, passwords, cohort
        self.reviewers, self.decision, self.wait, self.say = reviewers, decision, wait, say
        self.decisions: list[Decision] = []

    def __call__(self, item: PlannedRun) -> contextlib.AbstractContextManager:
        round_name = ROUND_OF.get(item.stage)
        return self._answering(round_name) if round_name else contextlib.nullcontext()

    @contextlib.contextmanager
    def _answering(self, round_name: str) -> Iterator[None]:
        finished = threading.Event()   # set when the stage's dag.test has returned
        result: dict[str, Any] = {}
        thread = threading.Thread(target=self._answer, args=(round_name, finished, result), daemon=True,
                                  name=f"demo-committee-{round_name}")
        thread.start()
        try:
            yield
        finally:
            finished.set()
            thread.join(timeout=60)
        if thread.is_alive():
            raise CommitteeFailed(f"the committee's {round_name} round did not finish after the run ended")
        if "error" in result:
            raise CommitteeFailed(f"the committee could not answer the {round_name} round: {result['error']}")
        if result.get("decision"):
            self.decisions.append(result["decision"])
            self.say(f"        {result['decision'].line()}")

    # -- the committee's thread ----------------------------------------------------------------

    def _answer(self, round_name: str, finished: threading.Event, result: dict[str, Any]) -> None:
        dag_id = dag_id_for(self.cohort, round_name)
        try:
            result["decision"] = self.decide(round_name, finished)
        except Exception as exc:  # reported by _answering in the run's thread
            result["error"] = str(exc) or type(exc).__name__
            release(dag_id, finished, self.wait)

    def _ready(self, finished: threading.Event) -> str | None:
        """The server's URL once it answers; None when the run ended first."""
        deadline = time.monotonic() + self.wait
        while not finished.is_set():
            try:
                return self.server.wait_ready(timeout=1)
            except ServerFailed:
                if not self.server.running or time.monotonic() >= deadline:
                    return self.server.wait_ready(timeout=0)  # raises, naming the log file
        return None

    def decide(self, round_name: str, finished: threading.Event) -> Decision | None:
        """Wait for the round's review task, then vote reviewer by reviewer until the console says the round is
        decided; None when the run ended without waiting for the committee (it failed before the review)."""
        url = self._ready(finished)
        if url is None:
            return None
        tokens = {who: login(url, who, self.passwords[who]) for who in self.reviewers}
        dag_id = dag_id_for(self.cohort, round_name)
        watcher = HitlClient(tokens[self.reviewers[0]], url)
        deadline = time.monotonic() + self.wait
        while not watcher.waiting(dag_id):
            if finished.is_set():
                return None
            if time.monotonic() >= deadline:
                raise CommitteeFailed(f"{dag_id}'s review task did not wait for input within {self.wait:.0f} s")
            finished.wait(0.5)
        decision = Decision(round_name)
        base = f"{url}{CONSOLE}/api/committee/{self.cohort}/{round_name}"
        for who in self.reviewers:
            with httpx.Client(headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=60) as http:
                read = http.get(base)
                if read.status_code != 200:
                    raise CommitteeFailed(f"the console refused {who} the {round_name} round: HTTP "
                                          f"{read.status_code} {read.text[:300]}")
                shown = read.json()
                decision.read = {"pairs": len(shown.get("pairs") or []), "unmatched": len(shown.get("unmatched") or [])}
                comment = (f"{who} (demo reviewer) read {decision.read['pairs']} pairs and "
                           f"{decision.read['unmatched']} without a partner")
                answer = http.post(f"{base}/votes", json={"decision": self.decision, "comment": comment})
            if answer.status_code == 409:  # decided already (by an earlier vote, or by someone in the console)
                break
            if answer.status_code != 200:
                raise CommitteeFailed(f"the console refused {who}'s vote on the {round_name} round: HTTP "
                                      f"{answer.status_code} {answer.text[:300]}")
            said = answer.json()
            decision.votes.append((who, self.decision))
            decision.state = said["outcome"]["state"]
            if decision.state != "pending":
                if said.get("error"):
                    raise CommitteeFailed(f"the {round_name} round is {decision.state} in the console but Airflow "
                                          f"did not take the answer: {said['error']}")
                decision.answered = list(said.get("answered") or [])
                return decision
        raise CommitteeFailed(f"every reviewer voted and the {round_name} round is still {decision.state}")


def release(dag_id: str, finished: threading.Event, wait: float) -> None:
    """Mark the DAG's waiting review task failed (in Airflow's metadata database, which this process shares
    with ``dag.test``), so a run whose committee cannot answer ends now; bounded by ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while not finished.is_set() and time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # the database busy: try again in a moment
            if fail_waiting(dag_id):
                return
        finished.wait(1)


def fail_waiting(dag_id: str) -> int:
    """Mark every task of ``dag_id`` that waits for human input failed; returns how many."""
    import sqlalchemy as sa  # lazy: Airflow's ORM only in the demo's own process
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as session:
        return session.execute(
            sa.update(TaskInstance)
            .where(TaskInstance.dag_id == dag_id, TaskInstance.state == TaskInstanceState.AWAITING_INPUT)
            .values(state=TaskInstanceState.FAILED)
            .execution_options(synchronize_session=False)).rowcount
