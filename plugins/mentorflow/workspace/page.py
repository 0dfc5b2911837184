"""The partnership page: which space a link opens, and the sections that make it up.

Each section is a module of this package with a :class:`Section`: what its part of the page shows
(``load``) and what a post of its form writes (``save``, one transaction, raising
:class:`~mentorflow.forms.models.FieldErrors` with nothing written when an answer is wrong). The page
lists them in :data:`SECTIONS` order (their types live in :mod:`mentorflow.workspace.section`); a section's field names start with its name (``log_minutes``) so
that every control of the page has its own id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mentorflow.cohorts.config import CohortConfig
from mentorflow.store import Store, people
from mentorflow.workspace import agreement, goals, log, spaces
from mentorflow.workspace.library import section as library
from mentorflow.workspace.section import NoSpace, Section, SpaceView
from mentorflow.workspace.spaces import Space

__all__ = ["NoSpace", "SECTIONS", "Section", "SpaceView", "contents", "open_space", "section"]

SECTIONS: tuple[Section, ...] = (agreement.SECTION, goals.SECTION, log.SECTION, library.SECTION)


def section(name: str | None) -> Section | None:
    return next((s for s in SECTIONS if s.name == name), None)


def open_space(config: CohortConfig, store: Store, person_id: str, space_id: str | None,
               now: dt.datetime) -> tuple[SpaceView, list[Space]]:
    """The member's view of the space a link asks for, and all their spaces (for the chooser)."""
    found = store.rows(people, cohort_id=config.cohort, employee_id=person_id)
    if not found:
        raise NoSpace("This link is not valid.")  # the same words as a forged link: nothing about the roster leaks
    space, mine = spaces.find(config.cohort, store, person_id, space_id)
    if not mine:
        raise NoSpace("You have no partnership yet, so there is no page for it. It opens with your introduction "
                      "email. If that is wrong, tell the program team.")
    if space is None:
        raise NoSpace("This page belongs to a partnership you are not part of.")
    return SpaceView(config, store, found[0], space, now), mine


def contents(view: SpaceView) -> dict[str, dict[str, Any]]:
    """What every section shows this member."""
    return {s.name: s.load(view) for s in SECTIONS}
