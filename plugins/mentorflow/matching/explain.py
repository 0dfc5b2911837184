"""Plain-words reasons: why a pair was proposed, and why someone was left without a partner.

Pair reasons come from the score components that contributed most (weight × value), each said
with the facts behind it; an unmatched person's reason is the first rule that left them no
partner, in the order: role and PIP, level rule, relationship rules, skills, a private (affinity)
preference, minimum score, capacity.
"""

from __future__ import annotations

import numpy as np

from mentorflow.contract.disclosure import GOALS_REASON  # what participants may read is filtered by it
from mentorflow.matching import affinity, mutual
from mentorflow.matching import personality_words
from mentorflow.matching.inputs import COMPONENTS
from mentorflow.matching.scoring import BlockRules, PairRules, Population
from mentorflow.matching.quotes import quotes
from mentorflow.matching.vocabulary import skill_facts

MAX_REASONS = 3


def _skills(pop: Population, wanter: int, offerer: int, who: tuple[str, str]) -> list[tuple[float, str, str, bool]]:
    """(coverage, skill, sentence, related) for every wanted skill the offerer earns credit for, best covered first: the
    skill itself or a synonym in both people's words, or a related skill for partial credit
    (:func:`mentorflow.matching.vocabulary.skill_facts`); a related skill's "skill" reads "storytelling for
    public speaking"."""
    return _skills_of_pairs(pop, np.array([wanter]), np.array([offerer]), who)[0]


def _skills_of_pairs(pop: Population, wanters: np.ndarray, offerers: np.ndarray,
                     who: tuple[str, str]) -> list[list[tuple[float, str, str, bool]]]:
    """:func:`_skills` of the pairs (wanters[k], offerers[k]), their levels read at once."""
    return [[(f.cover, f"{f.related_to} for {f.skill}" if f.related_to else f.skill, f.sentence, bool(f.related_to))
             for f in facts] for facts in skill_facts(pop.skills, wanters, offerers, who)]


def goals_reason(quoted: list[str], symmetric: bool) -> str | None:
    """'goals meet what the mentor can teach: 'x' and 'y'', quoting only words or phrases written in
    both people's own texts (:func:`mentorflow.matching.quotes.quotes`); None when no such word carries
    the score."""
    if not quoted:
        return None
    who = "a partner" if symmetric else "the mentor"
    return f"{GOALS_REASON}{who} can teach: " + " and ".join(f"'{q}'" for q in quoted)


def pair_reasons(pop: Population, row: int, col: int, parts: np.ndarray, weights: np.ndarray,
                 program_type: str) -> list[str]:
    """Up to three reasons, strongest first, each naming a real score component and its facts."""
    return reasons_of_pairs(pop, np.array([row]), np.array([col]), np.asarray(parts)[None, :], weights,
                            program_type)[0]


def reasons_of_pairs(pop: Population, rows: np.ndarray, cols: np.ndarray, parts: np.ndarray, weights: np.ndarray,
                     program_type: str) -> list[list[str]]:
    """:func:`pair_reasons` of the pairs (rows[k], cols[k]) with component values ``parts[k]``: the facts
    behind each component (skills, quoted goal words, personality) are gathered for all pairs that need them
    at once, each person's answers read once, not once per pair."""
    symmetric = program_type == "symbiotic"
    roles = ("a partner", "the other") if symmetric else ("mentor", "mentee")
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    parts = np.asarray(parts).reshape(len(rows), len(COMPONENTS))
    values = [dict(zip(COMPONENTS, v)) for v in parts.tolist()]
    contributions = [dict(zip(COMPONENTS, c)) for c in (parts * weights).tolist()]

    def gathered(component: str, above: float, facts) -> dict[int, object]:
        """pair number -> ``facts`` of the pairs whose ``component`` value is above ``above`` (compared as
        Python floats, as one pair at a time compared them)."""
        wanted = [k for k, v in enumerate(values) if v[component] > above]
        return dict(zip(wanted, facts(rows[wanted], cols[wanted]))) if wanted else {}

    skills = gathered("skills", 0, lambda r, c: _skills_of_pairs(pop, r, c, roles))
    quoted = gathered("goals", 0.05, lambda r, c: quotes(pop.goals, r, c, symmetric))
    personality = gathered("personality", 0, lambda r, c: personality_words.reasons(pop.traits, r, c, symmetric))
    ranked = gathered("preferences", 0, lambda r, c: list(zip(*(np.asarray(pop.ranked[a, b]).ravel()
                                                                 for a, b in ((r, c), (c, r))))))
    out = []
    for k, (row, col) in enumerate(zip(rows.tolist(), cols.tolist())):
        value, contribution, said = values[k], contributions[k], []
        if k in skills:
            facts = skills[k]
            swap = mutual.exchange(pop.wanted, pop.offered, col, row) if symmetric else None
            if swap:  # symbiotic: the two different skills of the exchange (the hard rule's own choice)
                forth, back = pop.skill_names[swap[0]], pop.skill_names[swap[1]]
                said.append((contribution["skills"], f"each teaches the other: {forth} one way, {back} the other"))
            elif facts and not symmetric:
                direct = [n for _, n, _, related in facts[1:] if not related][:2]  # a related skill only partly covers
                also = f" (also covers {', '.join(direct)})" if direct else ""
                said.append((contribution["skills"], facts[0][2] + also))
        if k in quoted and (reason := goals_reason(quoted[k], symmetric)):
            said.append((contribution["goals"], reason))
        if k in ranked:
            for rank, who in zip(ranked[k], ("mentee", "mentor") if not symmetric else ("one partner", "the other")):
                if rank:
                    said.append((contribution["preferences"], f"{who} ranked this partner as choice #{round(1 / rank)}"))
        if personality.get(k):
            said.append((contribution["personality"], personality[k]))
        if value["availability"] >= 0.5:
            said.append((contribution["availability"], _availability(pop, row, col)))
        if value["diversity"] > 0:
            diff = [what for what, arr in (("departments", pop.department), ("locations", pop.location))
                    if arr[row] != arr[col]]
            said.append((contribution["diversity"], "different " + " and ".join(diff) + " (a wider perspective)"))
        said.sort(key=lambda t: -t[0])
        out.append([text for _, text in said[:MAX_REASONS]])
    return out


def _availability(pop: Population, row: int, col: int) -> str:
    if pop.tz_offset[row] == pop.tz_offset[col]:
        where = "same timezone"
    else:
        apart = abs(float(pop.tz_offset[row] - pop.tz_offset[col]))
        where = f"working hours overlap about {max(0, 8 - min(apart, 24 - apart)):.0f} h a day"
    hr, hc = pop.hours[row], pop.hours[col]
    if np.isfinite(hr) and np.isfinite(hc) and min(hr, hc) / max(hr, hc) >= 0.75:
        where += f", both plan about {max(hr, hc):.0f} h a month"
    return where


def unmatched_reason(pop: Population, person: int, rules: BlockRules, row: int, total_row: np.ndarray,
                     relations: PairRules, col_people: np.ndarray, *, program_type: str,
                     min_level_gap: int, min_score: float) -> str:
    """The binding reason for one unmatched row, from its block's rule masks and scores."""
    partner = "partner" if program_type == "symbiotic" else "mentor"
    if pop.on_pip[person]:
        return "not eligible under the cohort's eligibility rules"  # never why: a PIP is confidential
    step = rules.basic[row]
    if not step.any():
        return f"no other eligible {partner} applied"
    step = step & rules.level[row]
    if not step.any():
        if program_type == "reverse":
            return "no eligible mentor is junior to them (reverse mentoring)"
        return f"no eligible mentor is at least {min_level_gap} level(s) more senior"
    if rules.placement is not None:
        step = step & rules.placement[row]
        if not step.any():
            return f"every {partner} who fits the level rule is {rules.placement_words} (the cohort's placement rules)"
    step = step & rules.relation[row]
    if not step.any():
        hit = relations.rows == person
        kinds = sorted({PairRules.RELATION[w] for w in relations.why[hit]})
        return f"every {partner} who fits the level rule is excluded ({', '.join(kinds)})"
    wanted = [pop.skill_names[s] for s in np.flatnonzero(pop.wanted[person] > 0)]
    step = step & rules.teaches[row]
    if not step.any():
        if program_type == "symbiotic":
            return ("no eligible partner makes a real exchange with them: each partner must teach the other a "
                    "wanted skill the other does not already have at that level, and two different skills "
                    "(swapping the same skill is not an exchange)")
        return f"no eligible mentor offers {', '.join(wanted) or 'the wanted skills'}"
    if rules.affinity is not None:  # the committee reads this: never which preference, never the network
        step = step & rules.affinity[row]
        if not step.any():
            return affinity.COMMITTEE_UNMATCHED
    scored = step & np.isfinite(total_row)
    if not scored.any():
        if not (pop.offered[col_people[step]][:, pop.wanted[person] > 0] > 0).any() and wanted:
            return f"no eligible {partner} offers {', '.join(wanted)}"
        return f"no eligible {partner} scores above the minimum score {min_score:g}"
    return f"capacity exhausted: all {int(scored.sum())} eligible {partner}s are taken by other pairs"


def idle_mentor_reason(allowed_rows: int, teaching_rows: int) -> str:
    if allowed_rows == 0:
        return "no mentee fits the rules with this mentor (level, reporting line, avoid lists, former pairs)"
    if teaching_rows == 0:
        return "no eligible mentee wants a skill this mentor offers"
    return f"all {allowed_rows} eligible mentees were matched with better-scoring mentors"
