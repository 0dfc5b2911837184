"""Skill supply and demand for the HR report: the input for recruiting mentors.

From the valid applications, every skill name mapped to the vocabulary's canonical skill
(:mod:`mentorflow.matching.vocabulary`): per skill group, how many people want a skill of the group
(mentees and "both") against how many volunteer mentors offer one; and the canonical skills someone
wants that no volunteer offers, with how many people want each. Every count is a count of people
and goes through the report's disclosure rules (:func:`cells`): a count under ``MIN_CELL`` prints as
"suppressed". Skill names the vocabulary does not know are free text and never listed here; they are
counted for ops in the committee's match report (:func:`unknown_skill_uses`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mentorflow.contract.parsing import parse_skills
from mentorflow.matching import vocabulary as skill_vocabulary
from mentorflow.reports.disclosure import Problem, Publication

WANTING = ("mentee", "both")
OFFERING = ("mentor", "both")


def _valid(apps: pd.DataFrame) -> pd.DataFrame:
    if apps.empty:
        return apps
    return apps[apps["status"] == "valid"] if "status" in apps else apps


def _skills(apps: pd.DataFrame, roles: tuple[str, ...], column: str, vocab) -> list[set[str]]:
    mine = apps[apps["role"].astype(str).str.lower().isin(roles)] if len(apps) else apps
    return [{vocab.canonical(name) for name in parse_skills(text)}
            for text in (mine[column].fillna("") if len(mine) else [])]


def skill_figures(apps: pd.DataFrame, vocab=None) -> dict[str, Any]:
    """Raw counts of people: per group ``wanted`` and ``offered``; ``unoffered``: each canonical skill wanted by
    someone and offered by no volunteer (most wanted first), with its group's position in ``groups``."""
    vocab = vocab or skill_vocabulary.current()
    valid = _valid(apps)
    wants = _skills(valid, WANTING, "skills_wanted", vocab)
    offers = _skills(valid, OFFERING, "skills_offered", vocab)
    offered = set().union(*offers) if offers else set()
    groups = []
    for name, members in vocab.groups.items():
        members = set(members)
        groups.append({"group": name, "wanted": sum(1 for w in wants if w & members),
                       "offered": sum(1 for o in offers if o & members)})
    position = {g["group"]: i for i, g in enumerate(groups)}
    demand: dict[str, int] = {}
    for w in wants:
        for skill in w:
            if skill in vocab.skills and skill not in offered:
                demand[skill] = demand.get(skill, 0) + 1
    unoffered = [{"skill": s, "group": vocab.group_of(s), "group_index": position[vocab.group_of(s)], "wanted": n}
                 for s, n in sorted(demand.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {"groups": groups, "unoffered": unoffered}


def cells(p: Problem, figures: dict[str, Any]) -> None:
    """The counts as cells of the HR report's disclosure problem: each group's wanters and offerers are among the
    valid applications, and the wanters of an unoffered skill among its group's wanters."""
    whole = "funnel.valid" if "funnel.valid" in p.values else None
    for i, g in enumerate(figures["groups"]):
        for what in ("wanted", "offered"):
            key = p.cell(f"skills.{i}.{what}", g[what], parent=whole)
            if whole:
                p.at_most(key, whole)
    for k, gap in enumerate(figures["unoffered"]):
        group = f"skills.{gap['group_index']}.wanted"
        p.at_most(p.cell(f"skills.gap.{k}", gap["wanted"], parent=group), group)


def view(pub: Publication, figures: dict[str, Any]) -> dict[str, Any]:
    """What HR sees: the published counts, "suppressed" for the rest."""
    return {"groups": [{"group": g["group"], "wanted": pub.count(f"skills.{i}.wanted"),
                        "offered": pub.count(f"skills.{i}.offered")} for i, g in enumerate(figures["groups"])],
            "unoffered": [{"skill": gap["skill"], "group": gap["group"], "wanted": pub.count(f"skills.gap.{k}")}
                          for k, gap in enumerate(figures["unoffered"])]}


def unknown_skill_uses(apps: pd.DataFrame, vocab=None) -> list[dict[str, Any]]:
    """Skill names of the valid applications that the vocabulary does not know, as normalised text, with how many
    applications used each (wanted or offered), most used first; for ops, who add them as synonyms or skills."""
    vocab = vocab or skill_vocabulary.current()
    uses: dict[str, int] = {}
    valid = _valid(apps)
    columns = [c for c in ("skills_wanted", "skills_offered") if c in valid]
    unknown: dict[str, str | None] = {}  # each distinct name looked up once: a company repeats a few hundred

    def unknown_as(name: str) -> str | None:
        if name not in unknown:
            unknown[name] = None if vocab.is_known(name) else vocab.canonical(name)
        return unknown[name]

    for texts in (valid[columns].fillna("").itertuples(index=False) if len(valid) and columns else []):
        names = {unknown_as(n) for text in texts for n in parse_skills(str(text))} - {None}
        for name in names:
            uses[name] = uses.get(name, 0) + 1
    return [{"skill": s, "applications": n} for s, n in sorted(uses.items(), key=lambda kv: (-kv[1], kv[0]))]
