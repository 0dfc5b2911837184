"""Which resources a space is shown, and why (pure functions: the section loads the inputs).

Two sources, in this order: resources for the skills the space's mentees asked for ("for your wanted
skill X"), then resources for the topics past mentees with similar wants found valuable but did not ask
for (:func:`mentorflow.outcomes.discovery.explained`: "people who wanted X often found Y useful").
Within a skill or topic, resources are ranked by their ratings across the store's cohorts, as a
Bayesian average that starts every resource at :data:`PRIOR_MEAN` worth :data:`PRIOR_WEIGHT` ratings, so
one enthusiastic or grumpy rating moves a resource a little and many ratings move it a lot. What the
member has marked done is never suggested again: it is listed as done instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mentorflow.workspace.library.catalogue import Catalogue, Resource

PRIOR_MEAN = 3.0  # the middle of the 1..5 scale: an unrated resource is neither good nor bad
PRIOR_WEIGHT = 3  # the prior counts as this many ratings
PER_SKILL = 3  # resources per wanted skill
PER_TOPIC = 2  # resources per discovered topic
MIN_SHOWN = 3  # an average rating is shown only once this many people rated (one person's rating stays theirs)


@dataclass(frozen=True)
class Rating:
    count: int
    total: int

    @property
    def score(self) -> float:
        """The Bayesian average: the prior's ratings plus the real ones."""
        return (PRIOR_MEAN * PRIOR_WEIGHT + self.total) / (PRIOR_WEIGHT + self.count)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


UNRATED = Rating(0, 0)


@dataclass(frozen=True)
class Suggestion:
    resource: Resource
    kind: str  # wanted | discovered
    reason: str
    rating: Rating


def ratings(rows: Iterable[tuple[str, int]]) -> dict[str, Rating]:
    """(resource id, rating 1..5) pairs, one per person and space, as a rating per resource."""
    counts: dict[str, list[int]] = {}
    for resource_id, value in rows:
        if value is not None and 1 <= int(value) <= 5:
            counts.setdefault(resource_id, []).append(int(value))
    return {rid: Rating(len(v), sum(v)) for rid, v in counts.items()}


def ranked(resources: Iterable[Resource], scores: dict[str, Rating]) -> list[Resource]:
    """Best rated first; ties by title and id, so the order never depends on the file's or the store's order."""
    return sorted(resources, key=lambda r: (-scores.get(r.id, UNRATED).score, r.title.casefold(), r.id))


def _joined(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def wanted_reason(skills: list[str], wanted_by: dict[str, list[str]], viewer_wants: set[str]) -> str:
    """"For your wanted skill X", or, for a partner who did not ask for it, who in the space did."""
    mine = [s for s in skills if s in viewer_wants]
    if mine:
        return f"For your wanted skill{'s' if len(mine) > 1 else ''} {_joined(mine)}"
    people = sorted({p for s in skills for p in wanted_by.get(s, [])})
    return f"For {_joined(skills)}, which {_joined(people)} {'wants' if len(people) == 1 else 'want'} to learn"


def suggest(catalogue: Catalogue, wanted_by: dict[str, list[str]], viewer_wants: set[str],
            discovered: list[tuple[str, tuple[str, ...]]], scores: dict[str, Rating],
            done: set[str]) -> list[Suggestion]:
    """The suggestions of one member: ``wanted_by`` maps each wanted canonical skill to the first names of the
    members who want it; ``discovered`` is :func:`discovery.explained`'s (topic, because) list."""
    out: list[Suggestion] = []
    seen = set(done)
    for skill in sorted(wanted_by):
        for resource in ranked(catalogue.for_skill(skill), scores):
            if len([s for s in out if skill in s.resource.skills]) >= PER_SKILL:
                break
            if resource.id in seen:
                continue
            seen.add(resource.id)
            matched = [s for s in resource.skills if s in wanted_by]
            out.append(Suggestion(resource, "wanted", wanted_reason(matched, wanted_by, viewer_wants),
                                  scores.get(resource.id, UNRATED)))
    for topic, because in discovered:
        taken = 0
        for resource in ranked(catalogue.for_skill(topic), scores):
            if taken >= PER_TOPIC:
                break
            if resource.id in seen:
                continue
            seen.add(resource.id)
            taken += 1
            out.append(Suggestion(resource, "discovered",
                                  f"People who wanted {_joined(because)} often found {topic} useful",
                                  scores.get(resource.id, UNRATED)))
    return out


def shown_rating(rating: Rating) -> str | None:
    """"Rated 4.2 by 5 people", only once enough people rated for no single rating to be recognisable."""
    if rating.count < MIN_SHOWN:
        return None
    return f"Rated {rating.mean:.1f} of 5 by {rating.count} people"
