"""The mentee's application goals as the first goals of their space, copied once and only with consent.

An application keeps goals as one free text (``applications.goals``); people write a list in it (lines,
bullets, numbers or semicolons), so each item becomes a goal of its own. The text is copied only when the
mentee agreed that their goals are shown to their partner (``applications.share_goals``): the application
form promises the answers stay with the program team otherwise (docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from mentorflow.store import Store, applications, goals, matches
from mentorflow.workspace.spaces import Space

SOURCE = "application"
MAX_TITLE = 200  # a goal's title on the page (an application item longer than this is cut at a word)
MAX_FROM_APPLICATION = 10

_ITEM_START = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")


def split_goals(text: str | None) -> list[str]:
    """The separate goals of an application's goals text: one per line, bullet, numbered item or ``;``.

    A single sentence-run paragraph stays one goal (splitting prose at full stops cuts "e.g." apart).
    Blank items and repeats (ignoring case) are dropped, long ones cut at a word; at most
    :data:`MAX_FROM_APPLICATION`.
    """
    items: list[str] = []
    seen: set[str] = set()
    for line in (text or "").replace("\r", "\n").split("\n"):
        for part in line.split(";"):
            title = " ".join(_ITEM_START.sub("", part).split()).strip(" ,.")
            if not title or title.lower() in seen:
                continue
            seen.add(title.lower())
            items.append(shorten(title))
    return items[:MAX_FROM_APPLICATION]


def shorten(title: str) -> str:
    if len(title) <= MAX_TITLE:
        return title
    cut = title[:MAX_TITLE - 1].rsplit(" ", 1)[0]
    return cut + "…"


def consenting_goals(store: Store, cohort_id: str, mentee_ids: tuple[str, ...]) -> dict[str, list[str] | None]:
    """Per mentee: the goals their application lets the space show, or None when they did not agree to share."""
    if not mentee_ids:
        return {}
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(applications.c.employee_id, applications.c.goals, applications.c.share_goals)
                            .where(applications.c.cohort_id == cohort_id,
                                   applications.c.employee_id.in_(mentee_ids))).all()
    found = {r.employee_id: (split_goals(r.goals) if r.share_goals else None) for r in rows}
    return {m: found.get(m, []) for m in mentee_ids}


def seed(store: Store, space: Space, now: dt.datetime, wanted: dict[str, list[str] | None] | None = None) -> int:
    """Copy each consenting mentee's application goals into the space, once; the number of goals written.

    Once means: a mentee who already has any goal from the application in this space (even archived) gets
    nothing again, so a re-load, a second member's first visit or an archived goal never brings them back.
    The check and the insert share one transaction that first locks the space's pairs (PostgreSQL), so two
    members opening the page at the same moment copy the goals once. ``wanted``: what
    :func:`consenting_goals` gave, when the caller read it already.
    """
    if wanted is None:
        wanted = consenting_goals(store, space.cohort_id, space.mentee_ids)
    if not any(wanted.values()):
        return 0
    written = 0
    with store.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(sa.select(matches.c.match_id).where(
                matches.c.cohort_id == space.cohort_id, matches.c.match_id.in_(space.match_ids)).with_for_update())
        have = {r.owner_id for r in conn.execute(sa.select(goals.c.owner_id).where(
            goals.c.cohort_id == space.cohort_id, goals.c.space_id == space.space_id, goals.c.source == SOURCE))}
        for owner, titles in wanted.items():
            if owner in have or not titles:
                continue
            conn.execute(goals.insert(), [
                {"cohort_id": space.cohort_id, "space_id": space.space_id, "title": title, "source": SOURCE,
                 "owner_id": owner, "position": i, "created_at": now} for i, title in enumerate(titles)])
            written += len(titles)
    return written
