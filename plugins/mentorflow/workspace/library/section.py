"""The page's "Resources" section: suggestions with their reasons, and a small form per resource to mark it
done and rate it (``resource_feedback``, one row per member, space and resource).

Field names carry the resource id (``library_rating-<id>``, ``library_done-<id>``) so every control on the
page has its own id; ``library_resource`` names the resource a post is about.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mentorflow import settings
from mentorflow.errors import ImportFileError
from mentorflow.errors import FieldErrors
from mentorflow.outcomes import discovery
from mentorflow.store import applications, resource_feedback
from mentorflow.workspace.library import catalogue as library_file
from mentorflow.workspace.library import suggest as suggesting
from mentorflow.workspace.section import Section, SpaceView

RATINGS = [(str(n), str(n)) for n in range(1, 6)]


def _entry(resource: library_file.Resource, mine: dict[str, Any] | None, reason: str | None = None,
           rating: suggesting.Rating = suggesting.UNRATED) -> dict[str, Any]:
    return {"id": resource.id, "title": resource.title, "creator": resource.creator, "type": resource.type,
            "length": resource.length, "skills": list(resource.skills), "url": resource.url, "reason": reason,
            "rated": suggesting.shown_rating(rating), "done": bool(mine and mine["done"]),
            "my_rating": str(mine["rating"]) if mine and mine["rating"] else ""}


def _wants(view: SpaceView) -> tuple[dict[str, list[str]], set[str]]:
    """Each wanted skill of the space's mentees (everyone's in a space without a mentee) -> who wants it, and
    the viewer's own wanted skills. A group's members were introduced to its leader only, so a member other
    than the leader reads "your group" instead of the others' names."""
    members = [m for m in view.space.members if m.role == "mentee"] or list(view.space.members)
    me = view.space.member(view.person_id)
    named = view.space.kind == "pair" or (me is not None and me.role == "mentor")
    wanted_by: dict[str, list[str]] = {}
    mine: set[str] = set()
    with view.store.engine.connect() as conn:
        found = dict(conn.execute(sa.select(applications.c.employee_id, applications.c.skills_wanted).where(
            applications.c.cohort_id == view.config.cohort,
            applications.c.employee_id.in_([m.employee_id for m in members]))).all())
    for member in members:
        skills = discovery.wanted_skills(found.get(member.employee_id))
        for skill in skills:
            who = wanted_by.setdefault(skill, [])
            name = member.name if named or member.employee_id == view.person_id else "your group"
            if name not in who:
                who.append(name)
        if member.employee_id == view.person_id:
            mine = skills
    return wanted_by, mine


def _feedback(view: SpaceView) -> tuple[dict[str, suggesting.Rating], dict[str, dict[str, Any]]]:
    """Ratings of every resource across the store's cohorts, and this member's own rows in this space."""
    with view.store.engine.connect() as conn:
        rated = conn.execute(sa.select(resource_feedback.c.resource_id, resource_feedback.c.rating)
                             .where(resource_feedback.c.rating.is_not(None))).all()
        own = conn.execute(sa.select(resource_feedback).where(
            resource_feedback.c.cohort_id == view.config.cohort, resource_feedback.c.space_id == view.space.space_id,
            resource_feedback.c.employee_id == view.person_id)).all()
    return suggesting.ratings(rated), {r.resource_id: dict(r._mapping) for r in own}


def load(view: SpaceView) -> dict[str, Any]:
    try:
        catalogue = library_file.catalogue(settings.include_dir())
    except ImportFileError:
        return {"available": False, "suggestions": [], "done": []}
    wanted_by, mine = _wants(view)
    past = discovery.history(view.store, discovery.past_cohorts(view.config, view.store))
    scores, own = _feedback(view)
    done = {rid for rid, row in own.items() if row["done"]}
    picked = suggesting.suggest(catalogue, wanted_by, mine, discovery.explained(set(wanted_by), past), scores, done)
    finished = suggesting.ranked([r for rid in done if (r := catalogue.get(rid))], {})
    return {
        "available": True,
        "suggestions": [_entry(s.resource, own.get(s.resource.id), s.reason, s.rating) for s in picked],
        "done": [_entry(r, own[r.id], rating=scores.get(r.id, suggesting.UNRATED)) for r in finished],
        "ratings": RATINGS,
    }


def save(view: SpaceView, fields: dict[str, str]) -> None:
    """Mark one resource done and/or rate it; unmarking and clearing the rating removes the member's row."""
    resource_id = (fields.get("library_resource") or "").strip()
    try:
        known = library_file.catalogue(settings.include_dir()).get(resource_id)
    except ImportFileError:
        known = None
    if known is None:
        raise FieldErrors({"library_resource": "There is no such resource in the library; reload the page."})
    done = (fields.get(f"library_done-{resource_id}") or "").strip() == "yes"
    raw = (fields.get(f"library_rating-{resource_id}") or "").strip()
    if raw and raw not in {value for value, _ in RATINGS}:
        raise FieldErrors({f"library_rating-{resource_id}": "Choose a rating from 1 (not useful) to 5 (very useful)."})
    key = {"cohort_id": view.config.cohort, "space_id": view.space.space_id, "employee_id": view.person_id,
           "resource_id": resource_id}
    with view.store.begin() as conn:
        if not done and not raw:
            conn.execute(resource_feedback.delete().where(*(resource_feedback.c[k] == v for k, v in key.items())))
            return
        view.store.upsert(resource_feedback, [{**key, "done": done, "rating": int(raw) if raw else None,
                                               "updated_at": view.now}], conn=conn)


SECTION = Section(name="library", title="Resources", template="library.html", load=load, save=save,
                  saved_text="Saved. Your rating helps the next people find what is worth their time.")
