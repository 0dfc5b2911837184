"""The "Goals and milestones" section: the mentee's goals, each with milestones either member marks reached.

The first load copies the mentee's application goals in (:mod:`.application_goals`, once and only with
their consent). Every form of the section posts ``goals_action`` (what to do) and, for a goal or a
milestone, its id; ids are checked against the space, so a post can never touch another space's goals.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from mentorflow.errors import FieldErrors
from mentorflow.store import goals, milestones
from mentorflow.workspace import application_goals
from mentorflow.workspace.application_goals import MAX_TITLE, consenting_goals
from mentorflow.workspace.section import Section, SpaceView

MAX_GOALS = 30  # live goals on one page
MAX_MILESTONES = 20  # per goal
ACTIONS = ("edit", "archive", "add", "milestone", "reached", "unreached")


def load(view: SpaceView) -> dict[str, Any]:
    """The live goals with their milestones and progress, after the application goals were copied in."""
    space = view.space
    wanted = consenting_goals(view.store, space.cohort_id, space.mentee_ids)
    application_goals.seed(view.store, space, view.now, wanted)
    names = {m.employee_id: m.name for m in space.members}
    with view.store.engine.connect() as conn:
        rows = conn.execute(sa.select(goals).where(
            goals.c.cohort_id == space.cohort_id, goals.c.space_id == space.space_id,
            goals.c.archived_at.is_(None))).all()
        steps = conn.execute(sa.select(milestones).where(milestones.c.goal_id.in_([r.goal_id for r in rows]))
                             .order_by(milestones.c.due_on.is_(None), milestones.c.due_on,
                                       milestones.c.milestone_id)).all() if rows else []
    order = {m: i for i, m in enumerate(space.mentee_ids)}
    shown = []
    for row in sorted(rows, key=lambda r: (order.get(r.owner_id, len(order)), r.position, r.goal_id)):
        own = [{"id": s.milestone_id, "title": s.title, "due_on": s.due_on,
                "reached_on": s.reached_at.date() if s.reached_at else None,
                "reached_by": names.get(s.reached_by, "a former member") if s.reached_by else None}
               for s in steps if s.goal_id == row.goal_id]
        reached = sum(1 for s in own if s["reached_on"])
        shown.append({"id": row.goal_id, "title": row.title, "source": row.source, "owner_id": row.owner_id,
                      "owner_name": names.get(row.owner_id, "a former member"), "milestones": own,
                      "reached": reached, "progress": progress(reached, len(own))})
    not_shared = [m for m, titles in wanted.items() if titles is None]
    return {"goals": shown, "owners": [(m, names[m]) for m in space.mentee_ids if m in names],
            "group": space.kind == "group", "my_goals_not_copied": view.person_id in not_shared,
            "room": len(shown) < MAX_GOALS}


def progress(reached: int, total: int) -> str:
    """The words beside a goal: "2 of 3 milestones reached", or what to do next when it has none."""
    if not total:
        return "No milestones yet"
    return f"{reached} of {total} milestone{'s' if total != 1 else ''} reached"


def save(view: SpaceView, fields: dict[str, str]) -> None:
    """Carry out one form of the section in one transaction; FieldErrors and nothing written on a bad post."""
    action = (fields.get("goals_action") or "").strip()
    if action not in ACTIONS:
        raise FieldErrors({"goals_action": "please use one of the buttons of this part of the page"})
    space = view.space
    with view.store.begin() as conn:
        live = {r.goal_id: r for r in conn.execute(sa.select(goals).where(
            goals.c.cohort_id == space.cohort_id, goals.c.space_id == space.space_id,
            goals.c.archived_at.is_(None)))}
        if action == "add":
            _add_goal(conn, view, fields, live)
            return
        goal_id = _known_id(fields.get("goals_goal"), live, "goals_goal", "this goal is not on your page")
        if action == "edit":
            key = f"goals_title-g{goal_id}"
            conn.execute(goals.update().where(goals.c.goal_id == goal_id).values(title=_title(fields, key)))
        elif action == "archive":
            conn.execute(goals.update().where(goals.c.goal_id == goal_id).values(archived_at=view.now))
        elif action == "milestone":
            _add_milestone(conn, view, fields, goal_id)
        else:
            steps = {r.milestone_id: r for r in conn.execute(sa.select(milestones).where(
                milestones.c.goal_id == goal_id))}
            step_id = _known_id(fields.get("goals_milestone"), steps, "goals_milestone",
                                "this milestone is not on your page")
            done = {"reached_at": view.now, "reached_by": view.person_id} if action == "reached" else \
                {"reached_at": None, "reached_by": None}
            conn.execute(milestones.update().where(milestones.c.milestone_id == step_id).values(**done))


def _add_goal(conn: sa.Connection, view: SpaceView, fields: dict[str, str], live: dict) -> None:
    space = view.space
    errors: dict[str, str] = {}
    title = _title(fields, "goals_new", errors)
    owner = _owner(view, fields.get("goals_owner"), errors)
    if len(live) >= MAX_GOALS:
        errors.setdefault("goals_new", f"this page has {MAX_GOALS} goals already: archive one first")
    if errors:
        raise FieldErrors(errors)
    top = conn.execute(sa.select(sa.func.max(goals.c.position)).where(
        goals.c.cohort_id == space.cohort_id, goals.c.space_id == space.space_id)).scalar()
    conn.execute(goals.insert().values(cohort_id=space.cohort_id, space_id=space.space_id, title=title,
                                       source="added", owner_id=owner, position=(top or 0) + 1,
                                       created_at=view.now))


def _owner(view: SpaceView, posted: str | None, errors: dict[str, str]) -> str:
    """Whose goal a new one is: the pair's mentee; in a group the chosen mentee (a mentee's own by default)."""
    mentees = view.space.mentee_ids
    if view.space.kind != "group" or len(mentees) == 1:
        return mentees[0] if mentees else view.person_id
    if not posted and view.person_id in mentees:
        return view.person_id
    if posted not in mentees:
        errors["goals_owner"] = "please choose one of the group's mentees"
        return ""
    return posted


def _add_milestone(conn: sa.Connection, view: SpaceView, fields: dict[str, str], goal_id: int) -> None:
    errors: dict[str, str] = {}
    title = _title(fields, f"goals_milestone-g{goal_id}", errors)
    due = _due(fields.get(f"goals_due-g{goal_id}"), f"goals_due-g{goal_id}", view.now, errors)
    count = conn.execute(sa.select(sa.func.count()).select_from(milestones).where(
        milestones.c.goal_id == goal_id)).scalar()
    if count >= MAX_MILESTONES:
        errors.setdefault(f"goals_milestone-g{goal_id}", f"this goal has {MAX_MILESTONES} milestones already")
    if errors:
        raise FieldErrors(errors)
    conn.execute(milestones.insert().values(goal_id=goal_id, title=title, due_on=due, created_at=view.now))


def _known_id(posted: str | None, known: dict, field: str, reason: str) -> int:
    try:
        value = int((posted or "").strip())
    except ValueError:
        raise FieldErrors({field: reason}) from None
    if value not in known:
        raise FieldErrors({field: reason})
    return value


def _title(fields: dict[str, str], key: str, errors: dict[str, str] | None = None) -> str:
    title = " ".join((fields.get(key) or "").split())
    problem = ("please write a few words" if not title else
               f"too long: at most {MAX_TITLE} characters" if len(title) > MAX_TITLE else
               "please remove the control characters" if any(ord(c) < 32 for c in title) else None)
    if problem and errors is None:
        raise FieldErrors({key: problem})
    if problem:
        errors[key] = problem
    return title


def _due(posted: str | None, key: str, now: dt.datetime, errors: dict[str, str]) -> dt.date | None:
    """An optional due date, as the date control sends it (YYYY-MM-DD), within two years either side of today."""
    text = (posted or "").strip()
    if not text:
        return None
    try:
        due = dt.date.fromisoformat(text)
    except ValueError:
        errors[key] = "please enter a date as YYYY-MM-DD (for example 2027-03-31), or leave it empty"
        return None
    if abs((due - now.date()).days) > 730:
        errors[key] = "please choose a date within two years of today"
        return None
    return due


SECTION = Section("goals", "Goals and milestones", "goals.html", load, save)
