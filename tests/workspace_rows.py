"""Rows of the partnership pages' tables written straight into a store (as any direct write would), each free
text distinctive so a test can look for it anywhere it must never appear."""

from __future__ import annotations

import datetime as dt

from mentorflow.store import Store, agreements, goals, meeting_log, milestones, next_steps, resource_feedback

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def note(space: str, person: str) -> str:
    return f"private-note-{space}-{person}-zebra"


def secrets(space: str, person: str) -> dict[str, str]:
    """The distinctive texts one member writes in one space."""
    tag = f"{space}-{person}"
    return {"note": note(space, person), "learn": f"learn-{tag}-quokka", "offer": f"offer-{tag}-narwhal",
            "problem": f"problem-{tag}-axolotl", "goal": f"goal-{tag}-pangolin", "stone": f"stone-{tag}-okapi",
            "step": f"step-{tag}-wombat"}


def agree(store: Store, cohort: str, space: str, person: str, *, confirmed: bool = True, every: str = "two weeks",
          modes: str = "call;written") -> None:
    s = secrets(space, person)
    store.upsert(agreements, [{"cohort_id": cohort, "space_id": space, "employee_id": person, "confidential": True,
                               "meet_every": every, "modes": modes, "wants_to_learn": s["learn"], "offers": s["offer"],
                               "raise_problem": s["problem"], "confirmed_at": NOW if confirmed else None,
                               "updated_at": NOW}])


def log(store: Store, cohort: str, space: str, person: str, day: dt.date, mode: str = "meeting",
        minutes: int = 45) -> int:
    with store.begin() as conn:
        return conn.execute(meeting_log.insert().values(
            cohort_id=cohort, space_id=space, author_id=person, held_on=day, minutes=minutes, mode=mode,
            private_note=note(space, person), created_at=NOW)).inserted_primary_key[0]


def goal(store: Store, cohort: str, space: str, owner: str, *, milestones_set: int = 2, reached: int = 1,
         by: str | None = None) -> int:
    """A goal with milestones, ``reached`` of them reached (by ``by``, default the owner)."""
    s = secrets(space, owner)
    with store.begin() as conn:
        goal_id = conn.execute(goals.insert().values(cohort_id=cohort, space_id=space, title=s["goal"], source="added",
                                                     owner_id=owner, position=0, created_at=NOW)).inserted_primary_key[0]
        for i in range(milestones_set):
            done = i < reached
            conn.execute(milestones.insert().values(goal_id=goal_id, title=f"{s['stone']}-{i}", created_at=NOW,
                                                    reached_at=NOW if done else None,
                                                    reached_by=(by or owner) if done else None))
    return goal_id


def step(store: Store, cohort: str, space: str, owner: str, entry_id: int | None = None) -> None:
    with store.begin() as conn:
        conn.execute(next_steps.insert().values(cohort_id=cohort, space_id=space, entry_id=entry_id,
                                                text=secrets(space, owner)["step"], owner_id=owner, created_at=NOW))


def feedback(store: Store, cohort: str, space: str, person: str, resource: str, *, done: bool = True,
             rating: int | None = 4) -> None:
    store.upsert(resource_feedback, [{"cohort_id": cohort, "space_id": space, "employee_id": person,
                                      "resource_id": resource, "done": done, "rating": rating, "updated_at": NOW}])


def every_secret(spaces: list) -> list[str]:
    """Every distinctive text the helpers write for the members of ``spaces`` (``Space`` objects)."""
    return [text for s in spaces for m in s.members for text in secrets(s.space_id, m.employee_id).values()]
