"""What a part of the partnership page is (:class:`Section`) and what it is handed (:class:`SpaceView`).

Kept apart from :mod:`.page` so that the section modules build on it while the page lists them (no cycle).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mentorflow.cohorts.config import CohortConfig
from mentorflow.store import Store
from mentorflow.workspace.spaces import Space


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
