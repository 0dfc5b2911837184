"""Skill names in matching: free text mapped to the vocabulary's canonical skills, with related-skill credit.

Every skill a person names is mapped with :meth:`mentorflow.contract.skills.Vocabulary.canonical`, so
"presenting", "Presentation skills" and "public speaking" are one column of the population's
wanted and offered matrices and meet with full credit. A skill the vocabulary does not know keeps
its normalised text as its column: it still matches the same words typed by someone else.

Related skills give partial credit: for a wanted skill at level *w* the cover is the larger of
``min(1, o / w)`` for the skill itself offered at level *o*, and :data:`RELATED_CREDIT` ×
``min(1, r / w)`` where *r* is the best level the partner offers among the skill's related skills.
That cover depends only on the offering person, so it is computed once per person and level
(:func:`skill_matrices`), and a pair's skills score stays one sparse matrix product per block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mentorflow import settings
from mentorflow.contract import skills as contract_skills

RELATED_CREDIT = 0.5  # share of full credit a related skill earns (a synonym earns all of it)
MAX_SKILL_LEVEL = 5


def current() -> contract_skills.Vocabulary:
    """The project's skill vocabulary (loaded once per version of the file)."""
    return contract_skills.vocabulary(settings.include_dir())


@dataclass
class SkillMatrices:
    """The skills of ``n`` people over ``S`` canonical columns."""

    names: list[str]  # canonical name of each column (an unknown skill: its normalised text)
    wanted: np.ndarray  # (n, S) wanted level, 0 = not wanted
    offered: np.ndarray  # (n, S) offered level, 0 = not offered
    related: sp.csr_matrix  # (S, S) 1 where two columns are related skills
    related_offered: np.ndarray  # (n, S) best level offered among each column's related skills
    want_by_level: sp.csr_matrix  # (n, 5S) 1/|wanted| at (person, (level-1)·S + skill) for each wanted skill
    offer_cover: np.ndarray  # (n, 5S) cover of a skill wanted at that level: exact or related credit
    said_wanted: list[dict[int, str]]  # per person: column -> the words they used, where not the canonical name
    said_offered: list[dict[int, str]]


def _words(name: str) -> str:
    return " ".join(name.split())


def _fill(maps: list[dict[str, int]], canonical: dict[str, str], col: dict[str, int],
          shape) -> tuple[np.ndarray, list[dict[int, str]]]:
    own = {raw: _words(raw) for raw in canonical if _words(raw) != canonical[raw]}  # words not the canonical name
    """Levels per canonical column (two names of one skill: the higher level, said in its words)."""
    rows: list[int] = []
    cols: list[int] = []
    values: list[int] = []
    said: list[dict[int, str]] = []
    for i, named in enumerate(maps):
        best: dict[int, tuple[int, str]] = {}
        for raw, level in named.items():
            j, level = col[canonical[raw]], min(max(level, 1), MAX_SKILL_LEVEL)
            if level > best.get(j, (0, ""))[0]:
                best[j] = (level, raw)
        for j, (level, _) in best.items():
            rows.append(i), cols.append(j), values.append(level)
        said.append({j: own[raw] for j, (_, raw) in best.items() if raw in own})
    levels = np.zeros(shape, dtype=np.float32)
    levels[np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)] = values
    return levels, said


def skill_matrices(wanted_maps: list[dict[str, int]], offered_maps: list[dict[str, int]],
                   vocab: contract_skills.Vocabulary | None = None) -> SkillMatrices:
    """The population's skill matrices from each person's ``{skill name: level}`` answers."""
    vocab = vocab or current()
    canonical = {raw: vocab.canonical(raw) for raw in {s for m in (*wanted_maps, *offered_maps) for s in m}}
    names = sorted(set(canonical.values()))
    col = {s: j for j, s in enumerate(names)}
    n, width = len(wanted_maps), len(names)
    wanted, said_wanted = _fill(wanted_maps, canonical, col, (n, width))
    offered, said_offered = _fill(offered_maps, canonical, col, (n, width))

    pairs = [(col[a], col[b]) for a in names for b in vocab.related(a) if b in col]
    rows, cols = (np.array([p[k] for p in pairs], dtype=np.int64) for k in (0, 1))
    related = sp.csr_matrix((np.ones(len(pairs), dtype=np.float32), (rows, cols)), shape=(width, width))
    levels = np.arange(1, MAX_SKILL_LEVEL + 1, dtype=np.float32)
    # best related level = how many levels some related skill is offered at or above
    related_offered = np.zeros((n, width), dtype=np.float32)
    if len(pairs):
        for lv in levels:
            at_least = sp.csr_matrix((offered >= lv).astype(np.float32))
            related_offered += ((at_least @ related).toarray() > 0).astype(np.float32)

    n_wanted = np.maximum((wanted > 0).sum(axis=1, keepdims=True), 1).astype(np.float32)
    want_by_level = sp.hstack([sp.csr_matrix((wanted == lv) / n_wanted) for lv in levels], format="csr",
                              dtype=np.float32)
    offer_cover = np.concatenate([np.maximum(np.minimum(1.0, offered / lv),
                                             RELATED_CREDIT * np.minimum(1.0, related_offered / lv))
                                  for lv in levels], axis=1).astype(np.float32)
    return SkillMatrices(names, wanted, offered, related, related_offered, want_by_level, offer_cover,
                         said_wanted, said_offered)


@dataclass(frozen=True)
class SkillFact:
    """Why one wanted skill earns credit with one partner: the skill itself (or a synonym), or a related one."""

    cover: float
    skill: str  # the canonical wanted skill
    sentence: str
    related_to: str | None = None  # the related skill offered, when the credit is partial


def _as_said(canonical: str, words: str | None) -> str:
    return words if words and words != canonical else canonical


def skill_facts(m: SkillMatrices, wanters: np.ndarray, offerers: np.ndarray,
                who: tuple[str, str]) -> list[list[SkillFact]]:
    """For each pair (wanters[k], offerers[k]): each wanted skill the offerer earns credit for, best covered
    first, said in both people's words: "mentor offers presenting (same as public speaking) at 4, mentee wants
    it at 3", or for a related skill "mentor offers storytelling at 4, related to public speaking (mentee wants
    it at 3)". The levels of every pair's wanted skills are read at once."""
    wanters, offerers = np.asarray(wanters, np.int64), np.asarray(offerers, np.int64)
    pair, skill = np.nonzero(m.wanted[wanters] > 0)  # pair by pair, each pair's skills in column order
    levels = [a.tolist() for a in (m.wanted[wanters[pair], skill], m.offered[offerers[pair], skill],
                                   m.related_offered[offerers[pair], skill])]
    bounds = np.searchsorted(pair, np.arange(len(wanters) + 1)).tolist()
    skill = skill.tolist()
    out = []
    for k, (wanter, offerer) in enumerate(zip(wanters.tolist(), offerers.tolist())):
        facts: list[SkillFact] = []
        for e in range(bounds[k], bounds[k + 1]):
            s, want, have, best_related = skill[e], int(levels[0][e]), int(levels[1][e]), int(levels[2][e])
            name = m.names[s]
            direct = min(1.0, have / want) if have else 0.0
            partial = RELATED_CREDIT * min(1.0, best_related / want) if best_related else 0.0
            if direct and direct >= partial:
                offered_as = _as_said(name, m.said_offered[offerer].get(s))
                wanted_as = _as_said(name, m.said_wanted[wanter].get(s))
                if offered_as == wanted_as:
                    same = f" (same as {name})" if offered_as != name else ""
                    text = f"{who[0]} offers {offered_as}{same} at {have}, {who[1]} wants it at {want}"
                elif wanted_as == name:
                    text = f"{who[0]} offers {offered_as} (same as {name}) at {have}, {who[1]} wants it at {want}"
                elif offered_as == name:
                    text = f"{who[0]} offers {name} at {have}, {who[1]} wants {wanted_as} (same skill) at {want}"
                else:
                    text = (f"{who[0]} offers {offered_as} at {have}, {who[1]} wants {wanted_as} at {want} "
                            f"(both {name})")
                facts.append(SkillFact(direct, name, text))
            elif partial:
                linked = [t for t in m.related.indices[m.related.indptr[s]:m.related.indptr[s + 1]]
                          if int(m.offered[offerer, t]) == best_related]
                other = min(m.names[t] for t in linked)
                text = f"{who[0]} offers {other} at {best_related}, related to {name} ({who[1]} wants it at {want})"
                facts.append(SkillFact(partial, name, text, related_to=other))
        out.append(sorted(facts, key=lambda f: (-f.cover, f.related_to is not None, f.skill)))
    return out
