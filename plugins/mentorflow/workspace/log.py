"""The meeting and exchange log: what a space's members did together, and the next steps they agreed.

A member logs an entry (date, minutes, mode, an optional private note) with up to ``STEP_ROWS`` next steps,
each owned by one of the space's members. A written exchange is contact like a meeting (seed 000: mentoring
can be asynchronous), which pair health reads through :mod:`mentorflow.workspace.contact`. The private note
is shown to its author alone: :func:`load` drops it for everyone else, and no report or log line reads it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from mentorflow.contract import workspace as contract
from mentorflow.errors import FieldErrors
from mentorflow.store import meeting_log, next_steps
from mentorflow.workspace.section import MAX_TEXT, Section, SpaceView

MODES: dict[str, str] = {"meeting": "Meeting (in person or video)", "call": "Call", "written": "Written exchange"}
MODE_NAMES: dict[str, str] = {"meeting": "meeting", "call": "call", "written": "written exchange"}
MINUTES = contract.MINUTES  # the gate checks the same bounds (contract/workspace.py)
STEP_ROWS = 3
STEP_TEXT = 500


def today(view: SpaceView) -> dt.date:
    """The member's date in the cohort's timezone (an entry cannot be later)."""
    return view.now.astimezone(view.config.tz).date()


def kickoff(view: SpaceView) -> dt.date:
    """No partnership met before the cohort's kickoff (an entry cannot be earlier)."""
    return view.config.at(view.config.calendar.kickoff).date()


def load(view: SpaceView) -> dict[str, Any]:
    """The space's entries (newest first; a note only for its author) and its next steps, open ones first."""
    names = {m.employee_id: m.name for m in view.space.members}
    where = (view.space.cohort_id, view.space.space_id)
    with view.store.engine.connect() as conn:
        entries = conn.execute(sa.select(meeting_log).where(
            meeting_log.c.cohort_id == where[0], meeting_log.c.space_id == where[1])
            .order_by(meeting_log.c.held_on.desc(), meeting_log.c.entry_id.desc())).mappings().all()
        steps = conn.execute(sa.select(next_steps).where(
            next_steps.c.cohort_id == where[0], next_steps.c.space_id == where[1])
            .order_by(next_steps.c.due_on.is_(None), next_steps.c.due_on, next_steps.c.step_id)).mappings().all()
    now = today(view)
    shown = [{"entry_id": e["entry_id"], "held_on": e["held_on"], "minutes": e["minutes"],
              "mode": MODE_NAMES.get(e["mode"], e["mode"]), "mine": e["author_id"] == view.person_id,
              "author": "you" if e["author_id"] == view.person_id else names.get(e["author_id"], "a former member"),
              "note": e["private_note"] if e["author_id"] == view.person_id else None} for e in entries]
    listed = [{"step_id": s["step_id"], "text": s["text"], "due_on": s["due_on"],
               "owner": "you" if s["owner_id"] == view.person_id else names.get(s["owner_id"], "a former member"),
               "overdue": s["due_on"] is not None and s["due_on"] < now and s["done_at"] is None,
               "done": s["done_at"] is not None} for s in steps]
    return {"entries": shown, "open_steps": [s for s in listed if not s["done"]],
            "done_steps": [s for s in listed if s["done"]],
            "modes": list(MODES.items()), "members": [(m.employee_id, f"{m.name} (you)" if m.employee_id == view.person_id else m.name)
                        for m in view.space.members],
            "rows": range(STEP_ROWS), "today": now.isoformat(), "kickoff": kickoff(view).isoformat(),
            "minutes": MINUTES}


def save(view: SpaceView, fields: dict[str, str]) -> None:
    """Log an entry with its next steps, or mark one next step done; nothing is written on a bad answer."""
    if fields.get("log_action") == "done":
        _mark_done(view, fields.get("log_step", ""))
        return
    entry, steps = _checked(view, fields)
    with view.store.begin() as conn:
        if _already_logged(conn, view, entry, steps):
            return  # the same post again (back button, double click): nothing new
        entry_id = conn.execute(meeting_log.insert().values(**entry)).inserted_primary_key[0]
        for step in steps:
            conn.execute(next_steps.insert().values(entry_id=entry_id, **step))


def _checked(view: SpaceView, fields: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    errors: dict[str, str] = {}
    held = _date(fields.get("log_held_on", ""), "log_held_on", errors, required=True)
    if held is not None and held > today(view):
        errors["log_held_on"] = "cannot be in the future"
    elif held is not None and held < kickoff(view):
        errors["log_held_on"] = f"cannot be before the program's kickoff ({kickoff(view).isoformat()})"
    minutes = _minutes(fields.get("log_minutes", "").strip(), errors)
    mode = fields.get("log_mode", "").strip()
    if mode not in MODES:
        errors["log_mode"] = "please choose meeting, call or written exchange" if not mode else "is not one of the choices"
    note = _text(fields.get("log_note", ""), "log_note", MAX_TEXT, errors)
    members = {m.employee_id for m in view.space.members}
    steps = []
    for row in range(STEP_ROWS):
        key = f"log_step-{row}"
        text = _text(fields.get(f"{key}-text", ""), f"{key}-text", STEP_TEXT, errors)
        owner = fields.get(f"{key}-owner", "").strip()
        due = _date(fields.get(f"{key}-due", ""), f"{key}-due", errors)
        if not text and not owner and not fields.get(f"{key}-due", "").strip():
            continue  # an unused row
        if not text and f"{key}-text" not in errors:
            errors[f"{key}-text"] = "write the step, or clear this row"
        if not owner:
            errors[f"{key}-owner"] = "choose who will do it"
        elif owner not in members:
            errors[f"{key}-owner"] = "choose one of the members of this partnership"
        if due is not None and held is not None and due < held:
            errors[f"{key}-due"] = "cannot be before the date of the entry"
        steps.append({"cohort_id": view.space.cohort_id, "space_id": view.space.space_id, "text": text,
                      "owner_id": owner, "due_on": due, "created_at": view.now})
    if errors:
        raise FieldErrors(errors)
    entry = {"cohort_id": view.space.cohort_id, "space_id": view.space.space_id, "author_id": view.person_id,
             "held_on": held, "minutes": minutes, "mode": mode, "private_note": note or None,
             "created_at": view.now}  # the app's clock: health counts what was logged before a check-in closed
    return entry, steps


def _date(raw: str, field: str, errors: dict[str, str], *, required: bool = False) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        if required:
            errors[field] = "please give the date"
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[field] = "is not a date (use the form YYYY-MM-DD)"
        return None


def _minutes(raw: str, errors: dict[str, str]) -> int | None:
    low, high = MINUTES
    try:
        minutes = int(raw)
    except ValueError:
        errors["log_minutes"] = "please give a whole number of minutes" if raw else "please give how many minutes"
        return None
    if not low <= minutes <= high:
        errors["log_minutes"] = f"must be between {low} and {high} minutes"
        return None
    return minutes


def _text(raw: str, field: str, limit: int, errors: dict[str, str]) -> str:
    text = raw.strip()
    if "\x00" in text:
        errors[field] = "contains a character that cannot be stored (NUL)"
    elif len(text) > limit:
        errors[field] = f"is too long (at most {limit} characters)"
    return text


def _already_logged(conn: sa.Connection, view: SpaceView, entry: dict[str, Any], steps: list[dict[str, Any]]) -> bool:
    """Whether this author already logged this very entry with these very steps in this space."""
    same = conn.execute(sa.select(meeting_log.c.entry_id, meeting_log.c.private_note).where(
        *(meeting_log.c[k] == entry[k] for k in ("cohort_id", "space_id", "author_id", "held_on", "minutes", "mode"))
    )).all()
    for entry_id, note in same:
        if note != entry["private_note"]:
            continue
        theirs = conn.execute(sa.select(next_steps.c.text, next_steps.c.owner_id, next_steps.c.due_on).where(
            next_steps.c.entry_id == entry_id).order_by(next_steps.c.step_id)).all()
        if [tuple(r) for r in theirs] == [(s["text"], s["owner_id"], s["due_on"]) for s in steps]:
            return True
    return False


def _mark_done(view: SpaceView, raw: str) -> None:
    step_id = int(raw) if raw.strip().isdigit() else None
    with view.store.begin() as conn:
        found = conn.execute(sa.select(next_steps.c.step_id, next_steps.c.done_at).where(
            next_steps.c.step_id == step_id, next_steps.c.cohort_id == view.space.cohort_id,
            next_steps.c.space_id == view.space.space_id)).first() if step_id is not None else None
        if found is None:
            raise FieldErrors({"log_step": "there is no such next step on this page"})
        if found.done_at is None:  # marking a done step again changes nothing
            conn.execute(next_steps.update().where(next_steps.c.step_id == step_id).values(done_at=view.now))


SECTION = Section(name="log", title="Meetings and exchanges", template="log.html", load=load, save=save,
                  saved_text="Saved in your log.")
