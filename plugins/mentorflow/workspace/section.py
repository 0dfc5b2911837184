"""What a section of the partnership page is: the member's view of a space, and the part of the page that
shows and saves one thing. Kept apart from :mod:`mentorflow.workspace.page`, which lists the sections, so
a section module can be imported on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mentorflow.cohorts.config import CohortConfig
from mentorflow.store import Store
from mentorflow.workspace.spaces import Space


MAX_TEXT = 2000  # one free-text answer on the page, as on every form


class NoSpace(LookupError):
    """The link's person has no open space (or not the one asked for); the message is safe to show them."""


@dataclass(frozen=True)
class SpaceView:
    """One member looking at one space, at one moment."""

    config: CohortConfig
    store: Store
    person: dict[str, Any]
    space: Space
    now: dt.datetime

    @property
    def person_id(self) -> str:
        return self.person["employee_id"]


@dataclass(frozen=True)
class Section:
    name: str  # the anchor and the ``section`` field of its form
    title: str
    template: str  # under include/templates/forms/partnership/
    load: Callable[[SpaceView], dict[str, Any]]
    save: Callable[[SpaceView, dict[str, str]], None]
    saved_text: str = "Saved."  # shown at the section after a successful post
