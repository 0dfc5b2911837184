"""The mentoring agreement (seed 002, "To Build Trust"): each member of a space writes down, and confirms,
how the partnership keeps confidences, how often and how its members meet, what each wants to learn and
to offer, and how they will raise a problem.

Trust needs the agreement to be explicit and shared, so every member sees every member's answers; the
space is "agreed" once every member has confirmed. Changing confirmed answers takes the changer's
confirmation back until they confirm again. Ops and reports read only :func:`status` (agreed or not, and
when), never the answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from mentorflow.errors import FieldErrors
from mentorflow.store import Store, agreements
from mentorflow.workspace import spaces
from mentorflow.workspace.section import MAX_TEXT, Section, SpaceView
from mentorflow.workspace.spaces import Space

FREQUENCIES: dict[str, str] = {"week": "Every week", "two weeks": "Every two weeks", "month": "Every month"}
MODES: dict[str, str] = {"in person": "In person", "call": "By call or video", "written": "In writing, when it suits each of us"}
# one checkbox per way of meeting (a posted form keeps one value per name)
MODE_FIELDS: dict[str, str] = {"agreement_mode_person": "in person", "agreement_mode_call": "call",
                               "agreement_mode_written": "written"}
TEXTS: dict[str, str] = {"agreement_wants": "wants_to_learn", "agreement_offers": "offers",
                         "agreement_raise": "raise_problem"}
ACTIONS = ("draft", "confirm")


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back without their zone; every one here was written in UTC."""
    return moment.replace(tzinfo=dt.timezone.utc) if moment is not None and moment.tzinfo is None else moment


def agreed_at(space: Space, rows: dict[str, dict[str, Any]]) -> dt.datetime | None:
    """When the last member confirmed, if every member of the space has; else None."""
    confirmed = [_utc(rows[m.employee_id]["confirmed_at"]) if m.employee_id in rows else None for m in space.members]
    return max(confirmed) if confirmed and all(confirmed) else None  # type: ignore[type-var]


def status(cohort_id: str, store: Store) -> dict[str, dt.datetime | None]:
    """Each open space of the cohort: when it became agreed, or None. Only dates: never what was agreed."""
    found = spaces.all_spaces(cohort_id, store)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(agreements.c.space_id, agreements.c.employee_id, agreements.c.confirmed_at)
                            .where(agreements.c.cohort_id == cohort_id)).all()
    by_space: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_space.setdefault(row.space_id, {})[row.employee_id] = {"confirmed_at": row.confirmed_at}
    return {s.space_id: agreed_at(s, by_space.get(s.space_id, {})) for s in found}


def labels(program_type: str, role: str, others: str, group: bool = False) -> dict[str, str]:
    """The two "learn" and "offer" questions as this member reads them: a symbiotic pair learns in both
    directions, a mentor also learns, a circle shares among all its members."""
    if program_type == "symbiotic" and not group:
        return {"agreement_wants": f"What you want to learn from {others}",
                "agreement_offers": f"What you offer {others} in return"}
    if group or program_type == "group" or role not in ("mentor", "mentee"):
        return {"agreement_wants": "What you want to learn in this group",
                "agreement_offers": "What you offer the group"}
    if role == "mentor":
        return {"agreement_wants": "What you hope to learn as a mentor (mentors learn too)",
                "agreement_offers": f"What you offer {others}"}
    return {"agreement_wants": f"What you want to learn from {others}",
            "agreement_offers": f"What you bring to {others} (your view, your questions, your skills)"}


def _rows(view: SpaceView) -> dict[str, dict[str, Any]]:
    return {r["employee_id"]: r for r in view.store.rows(agreements, cohort_id=view.config.cohort,
                                                          space_id=view.space.space_id)}


def _form(row: dict[str, Any] | None) -> dict[str, str]:
    """A stored answer as the form's values."""
    if row is None:
        return {}
    values = {"agreement_confidential": "yes" if row["confidential"] else "", "agreement_meet_every": row["meet_every"]}
    chosen = set(filter(None, (row["modes"] or "").split(";")))
    values |= {name: "yes" for name, mode in MODE_FIELDS.items() if mode in chosen}
    return values | {name: row[column] or "" for name, column in TEXTS.items()}


def load(view: SpaceView) -> dict[str, Any]:
    """Every member's answers (shared within the space), this member's form, and whether the space agreed."""
    rows = _rows(view)
    space, me = view.space, view.person_id
    member = space.member(me)
    others = space.others(me)
    names = " and ".join(m.name for m in others) or "your partner"
    answers = []
    for m in space.members:
        row = rows.get(m.employee_id)
        answers.append({"name": m.name, "role": m.role, "me": m.employee_id == me, "row": row,
                        "confirmed_at": _utc(row["confirmed_at"]) if row else None,
                        "modes": [MODES[x] for x in (row["modes"] or "").split(";") if x in MODES] if row else [],
                        "meet_every": FREQUENCIES.get(row["meet_every"], "") if row else ""})
    agreed = agreed_at(space, rows)
    waiting = [a["name"] if not a["me"] else "you" for a in answers if a["confirmed_at"] is None]
    mine = rows.get(me)
    return {"answers": answers, "agreed_at": agreed, "waiting": waiting, "form": _form(mine),
            "confirmed": bool(mine and mine["confirmed_at"]), "frequencies": list(FREQUENCIES.items()),
            "modes": [(name, MODES[mode]) for name, mode in MODE_FIELDS.items()],
            "labels": labels(view.config.program_type.value, member.role if member else "", names,
                             space.kind == "group")}


def _answers(fields: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The posted answers as a row, and whether they are a draft or a confirmation; FieldErrors naming every
    wrong field (nothing is written then)."""
    errors: dict[str, str] = {}
    action = fields.get("agreement_action", "draft")
    if action not in ACTIONS:
        errors["agreement_action"] = "choose to save a draft or to confirm"
    confidential = fields.get("agreement_confidential", "")
    if confidential not in ("", "yes"):
        errors["agreement_confidential"] = "tick the box, or leave it empty"
    meet_every = fields.get("agreement_meet_every", "").strip()
    if meet_every and meet_every not in FREQUENCIES:
        errors["agreement_meet_every"] = "unknown choice: meet every week, every two weeks or every month"
    unknown = sorted(k for k in fields if k.startswith("agreement_mode_") and k not in MODE_FIELDS)
    if unknown:
        errors["agreement_modes"] = "unknown way of meeting: choose in person, call, or in writing"
    bad = [k for k in MODE_FIELDS if fields.get(k, "") not in ("", "yes")]
    if bad:
        errors[bad[0]] = "tick the box, or leave it empty"
    modes = [mode for name, mode in MODE_FIELDS.items() if fields.get(name) == "yes"]
    texts = {}
    for name, column in TEXTS.items():
        text = fields.get(name, "").strip()
        if len(text) > MAX_TEXT:
            errors[name] = f"too long: at most {MAX_TEXT} characters (this has {len(text)})"
        elif "\x00" in text:
            errors[name] = "contains a character that cannot be stored (NUL)"
        texts[column] = text or None
    if action == "confirm":
        if not confidential:
            errors.setdefault("agreement_confidential",
                              "to confirm the agreement, agree to keep what is said in the partnership confidential")
        if not meet_every:
            errors.setdefault("agreement_meet_every", "to confirm, choose how often you will meet")
        if not modes:
            errors.setdefault("agreement_modes", "to confirm, choose at least one way of meeting")
        for name, column in TEXTS.items():
            if not texts[column]:
                errors.setdefault(name, "to confirm, answer this (a draft may leave it empty)")
    if errors:
        raise FieldErrors(errors)
    return {"confidential": confidential == "yes", "meet_every": meet_every, "modes": ";".join(modes),
            **texts}, action


def save(view: SpaceView, fields: dict[str, str]) -> None:
    """Save a draft or confirm, in one transaction. Changed answers take back an earlier confirmation (unless
    this post confirms them); confirming unchanged answers keeps the first confirmation's date."""
    answers, action = _answers(fields)
    key = {"cohort_id": view.config.cohort, "space_id": view.space.space_id, "employee_id": view.person_id}
    where = sa.and_(*(agreements.c[k] == v for k, v in key.items()))
    with view.store.begin() as conn:
        found = conn.execute(sa.select(agreements).where(where)).first()
        before = dict(found._mapping) if found else None
        changed = before is None or any(before[k] != v for k, v in answers.items())
        confirmed_at = before["confirmed_at"] if before else None
        if changed:
            confirmed_at = None
        if action == "confirm" and confirmed_at is None:
            confirmed_at = view.now
        row = {**answers, "confirmed_at": confirmed_at, "updated_at": view.now if changed or before is None
               else before["updated_at"]}
        if before is None:
            conn.execute(agreements.insert().values(**key, **row))
        elif changed or confirmed_at != before["confirmed_at"]:
            conn.execute(agreements.update().where(where).values(**row))


SECTION = Section(
    name="agreement", title="Your mentoring agreement", template="agreement.html", load=load, save=save,
    saved_text=("Saved. If you changed answers you had confirmed, the agreement is open again until you confirm "
                "them."),
)
