"""Unknown unknowns: topics that pairs with similar goals found valuable but a mentee did not list.

A mentee asks about what they know they do not know. At close-out each participant names the
topics their partnership turned out to be valuable for; for a new mentee we look at past
mentees who wanted at least one of the same skills, count the valuable topics they reported
that the new mentee did not ask for, and suggest the most common ones (only topics reported
by at least :data:`MIN_REPORTS` people, so no single person's answer can be recognised). Only
topics of the vocabulary (``include/resources/topics.yaml``) are ever shown to someone else: a
participant's own words never travel into another person's email.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import sqlalchemy as sa
import yaml

from mentorflow import settings
from mentorflow.contract import skills
from mentorflow.contract.parsing import parse_skills
from mentorflow.cohorts.config import CohortConfig
from mentorflow.store import Store, applications, cohorts, evaluations

MIN_REPORTS = 2


def past_cohorts(config: CohortConfig, store: Store) -> list[str]:
    """The cohorts to learn from (kickoff's topic suggestions, the matcher's mentor history): those named in
    the YAML, else every other cohort in the store."""
    return config.previous_cohorts or sorted(r["cohort_id"] for r in store.rows(cohorts) if r["cohort_id"] != config.cohort)


@lru_cache(maxsize=1)
def resources() -> dict[str, str]:
    return yaml.safe_load((settings.include_dir() / "resources" / "topics.yaml").read_text(encoding="utf-8")) or {}


def vocabulary() -> frozenset[str]:
    """The topics that may be suggested to others: those the program team curated a starting point for."""
    return frozenset(name.strip().lower() for name in resources())


def topics(text: str | None) -> set[str]:
    """The vocabulary topics named in a ';'-joined answer (anything else is the writer's own words)."""
    known = vocabulary()
    return {t.strip().lower() for t in (text or "").split(";") if t.strip().lower() in known}


def history(store: Store, cohorts: list[str]) -> list[tuple[set[str], set[str]]]:
    """(skills wanted, topics found valuable) of every past mentee who answered the evaluation."""
    if not cohorts:
        return []
    stmt = (
        sa.select(applications.c.skills_wanted, evaluations.c.valuable_topics)
        .join(evaluations, sa.and_(evaluations.c.cohort_id == applications.c.cohort_id,
                                   evaluations.c.employee_id == applications.c.employee_id))
        .where(applications.c.cohort_id.in_(cohorts), evaluations.c.role.in_(["mentee", "both"]))
    )
    with store.engine.connect() as conn:
        return [(wanted_skills(wanted), topics(valuable)) for wanted, valuable in conn.execute(stmt)]


def wanted_skills(text: str | None) -> set[str]:
    """The canonical skills of a ``skills_wanted`` list (skill vocabulary: "presenting" is public speaking), so a
    topic a mentee asked for in other words is not suggested back to them."""
    vocab = skills.vocabulary(settings.include_dir())
    return {vocab.canonical(name) for name in parse_skills(text)}


def suggest(wanted: set[str], past: list[tuple[set[str], set[str]]], limit: int = 3) -> list[str]:
    """The vocabulary topics most often found valuable by past mentees with overlapping wants, not already
    wanted."""
    return [topic for topic, _ in explained(wanted, past, limit)]


def explained(wanted: set[str], past: list[tuple[set[str], set[str]]],
              limit: int = 3) -> list[tuple[str, tuple[str, ...]]]:
    """:func:`suggest` with, for each topic, the wanted skills that led to it (the skills shared with the past
    mentees who reported it, most shared first), so a suggestion can say "people who wanted X often found Y
    useful"."""
    known = vocabulary()
    counts: Counter[str] = Counter()
    because: dict[str, Counter[str]] = {}
    for their_wants, valuable in past:
        shared = wanted & their_wants
        if shared:
            found = (valuable - wanted) & known
            counts.update(found)
            for topic in found:
                because.setdefault(topic, Counter()).update(shared)
    ranked = sorted((t for t, n in counts.items() if n >= MIN_REPORTS), key=lambda t: (-counts[t], t))
    return [(t, tuple(sorted(because[t], key=lambda s: (-because[t][s], s)))) for t in ranked[:limit]]


def described(topic_names: list[str]) -> list[str]:
    """Kickoff-email lines: each vocabulary topic with its starting point (anything else is dropped)."""
    catalogue = {name.strip().lower(): text for name, text in resources().items()}
    return [f"{t}: {catalogue[t]}" for t in topic_names if t in catalogue]
