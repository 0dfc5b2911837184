"""Shared set-up for the forms tests: a cohort whose forms are open now, people and pairs."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from conftest import write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.forms import tokens
from mentorflow.store import Store, matches, people

COHORT = "forms-cohort"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@dataclass
class FormsWorld:
    config_path: Path
    store_url: str
    opened: dt.datetime
    issued: dict = field(default_factory=dict)

    @property
    def config(self):
        return load_cohort(self.config_path)

    def token(self, person: str, form: str, period: str = "") -> str:
        """The same link for the same grant, however often a test asks (a signed link carries the second it
        was made, and a page's CSRF field is bound to its link: a second link made a second later would not
        match the page's field)."""
        grant = tokens.FormGrant(COHORT, person, form, period or _default_period(form))
        if grant not in self.issued:
            self.issued[grant] = tokens.issue(grant)
        return self.issued[grant]

    def link(self, person: str, form: str, period: str = "") -> str:
        """The path of a form link below the app root, as the emails build it."""
        return f"/forms/{form}?token={self.token(person, form, period)}"


def _default_period(form: str) -> str:
    return {"pulse": "pulse-1", "closeout": "closeout"}.get(form, "window")


def make_world(cohorts_dir: Path, store_url: str, *, now: dt.datetime | None = None, **overrides) -> FormsWorld:
    """A cohort whose application window is open at ``now`` (default: the real clock), with people
    E1..E6 (E6 not eligible) and two active pairs: E1 mentors E2, E3 mentors E4 (match ids 1, 2)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    start = (now - dt.timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    calendar = {
        "application_open": start.isoformat(), "application_close": (start + dt.timedelta(days=10)).isoformat(),
        "kickoff": (start + dt.timedelta(days=11)).isoformat(), "midpoint": (start + dt.timedelta(days=60)).isoformat(),
        "close_out": (start + dt.timedelta(days=120)).isoformat(), "pulse_cadence": "every 14 days",
        "reminder_after_days": 3, "intake_check_every_hours": 24,
    }
    path = write_cohort(cohorts_dir, COHORT, calendar=calendar, store={"url": store_url}, **overrides)
    config = load_cohort(path)
    store = Store(store_url)
    store.upgrade()
    store.register_cohort(config)
    store.upsert(people, [
        {"cohort_id": COHORT, "employee_id": f"E{i}", "full_name": f"Person {i}", "email": f"p{i}@example.com",
         "department": "Eng", "job_title": "Engineer", "level": 5 - (i % 2) * 2, "manager_id": None,
         "location": "Berlin", "timezone": "Europe/Berlin", "hire_date": dt.date(2020, 1, 1), "on_pip": False,
         "eligible": i != 6, "eligibility_reason": "ok" if i != 6 else "tenure"}
        for i in range(1, 7)
    ])
    with store.engine.begin() as conn:
        for mentor, mentee in (("E1", "E2"), ("E3", "E4")):
            conn.execute(matches.insert().values(cohort_id=COHORT, round="initial", mentor_id=mentor, mentee_id=mentee,
                                                 score=0.8, explanation="skills", status="active",
                                                 created_at=now))
    store.engine.dispose()
    return FormsWorld(path, store_url, config.at(config.calendar.application_open))


GOOD_APPLICATION = {
    "role": "both", "motivation": "Grow", "prior_experience": "None yet",
    "skills_offered-0-name": "python", "skills_offered-0-level": "4",
    "skills_wanted-0-name": "leadership", "skills_wanted-0-level": "3",
    "goals": "Lead a team", "preferred_traits": "Patient",
    **{f"tipi_{i}": str((i % 7) + 1) for i in range(1, 11)},
    "capacity": "2", "hours_per_month": "4", "preferred_partners-0": "E3", "avoid_partners-0": "E5",
    "consent": "yes",
}
GOOD_PULSE = {"match_id": "1", "meetings": "2", "satisfaction": "4", "goal_progress": "3", "follow_through": "5",
              "comment": "Going well", "outcome": "continue"}
GOOD_REMATCH = {"match_id": "1", "reason": "schedule", "comment": "We never find time"}
GOOD_CLOSEOUT = {"goals_met": "4", "satisfaction": "5", "recommend": "9", "comment": "Great"}


def add_group(store_url: str, leader: str, members: tuple[str, ...], group_id: int) -> Store:
    """People ``leader`` and ``members`` (named "Member <id>") and the active pairs of one group: the leader
    mentors each member, every pair with ``group_id`` (docs/groups.md)."""
    store = Store(store_url)
    store.upsert(people, [
        {"cohort_id": COHORT, "employee_id": pid, "full_name": f"Member {pid}", "email": f"{pid.lower()}@example.com",
         "department": "Eng", "job_title": "Engineer", "level": 3, "manager_id": None, "location": "Berlin",
         "timezone": "Europe/Berlin", "hire_date": dt.date(2020, 1, 1), "on_pip": False, "eligible": True,
         "eligibility_reason": "ok"} for pid in (leader, *members)])
    store.upsert(matches, [{"cohort_id": COHORT, "round": "initial", "mentor_id": leader, "mentee_id": m,
                            "score": 0.7, "explanation": "skills", "status": "active", "group_id": group_id,
                            "created_at": dt.datetime.now(dt.timezone.utc)} for m in members])
    return store


@contextlib.contextmanager
def serving(clock: Callable[[], dt.datetime] | None = None) -> Iterator[str]:
    """The forms app under uvicorn on a free loopback port (in a thread), its base URL while the block runs.
    Triggered events go to a closed port (nothing listens there), so they stay in the outbox."""
    import uvicorn

    from mentorflow.forms import events
    from mentorflow.forms.app import FormsSettings, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9"))
    if clock is not None:
        settings.clock = clock
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
