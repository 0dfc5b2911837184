"""Pair scores and hard rules, vectorised over blocks of candidate pairs.

A :class:`Population` holds every participant's answers as numpy arrays. The score of a
(row, column) pair — mentee and mentor, or two partners in a symbiotic cohort — is the
weighted mean of six components in [0, 1]:

- ``skills``: how far the mentor's offered levels cover what the mentee wants (per wanted
  skill ``min(1, offered / wanted)``, averaged over the wanted skills);
- ``goals``: TF-IDF cosine similarity of what the mentee wants to learn (goals, wanted skills) and what
  the mentor can teach (offered skills, job title, motivation, prior experience), in :mod:`.text`;
- ``personality``: Big Five from the TIPI answers, calibrated per trait, with the traits people asked for
  and experience for first-time mentees (:mod:`.personality`);
- ``preferences``: 1/rank when either lists the other in ``preferred_partners``;
- ``availability``: monthly hours ratio and overlap of 9-to-5 working days across timezones (offsets
  at the run's moment);
- ``diversity``: a different department and a different location.

Hard rules give a boolean mask over the same block. :func:`top_candidates` keeps the best
``k`` allowed columns of every row, never materialising the full matrix.

Longer than 300 lines because the six components and the hard rules are computed together, block by
block, over the same arrays: split across modules they would each need the whole population again.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mentorflow.contract.parsing import parse_ids, parse_skills
from mentorflow.matching import affinity, heap, mutual
from mentorflow.matching import personality as persona
from mentorflow.matching.capacity import mentor_capacity
from mentorflow.matching.inputs import COMPONENTS
from mentorflow.matching.placement import placement_mask, placement_words
from mentorflow.matching.text import ColumnTexts, GoalTexts, goal_texts
from mentorflow.matching.vocabulary import SkillMatrices, skill_matrices
from mentorflow.roster.eligibility import reporting_chain

WORKDAY_HOURS = 8.0
TRAITS = ("extraversion", "agreeableness", "conscientiousness", "emotional stability", "openness")
# Timezone offsets (daylight saving time) depend on the date: they are taken at the run's moment, or,
# when a caller has none (tests, benchmarks), at this fixed instant; never at the wall clock's.
REFERENCE_MOMENT = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


@dataclass
class Population:
    """Every participant's answers as arrays (index = participant number)."""

    ids: np.ndarray
    level: np.ndarray
    department: np.ndarray
    location: np.ndarray
    tz_offset: np.ndarray  # hours east of UTC
    hours: np.ndarray  # hours per month, NaN when not given
    capacity: np.ndarray  # mentees a mentor takes (1 for non-mentors)
    on_pip: np.ndarray
    skill_names: list[str]
    wanted: np.ndarray  # (n, S) wanted level, 0 = not wanted
    offered: np.ndarray  # (n, S) offered level, 0 = not offered
    goals: GoalTexts  # TF-IDF rows of what each wants to learn and what each can teach
    big5: np.ndarray  # (n, 5) trait scores 1-7
    ranked: sp.csr_matrix  # (n, n) 1/rank of j in i's preferred_partners
    preference: sp.csr_matrix  # ranked, symmetrised with max (either may have listed the other)
    is_mentor: np.ndarray
    is_mentee: np.ndarray
    department_code: np.ndarray  # integer codes: comparing strings pair by pair is slow
    location_code: np.ndarray
    # (n, 5S) blocks per wanted level: 1/|wanted| where wanted == level (sparse); and the cover of a skill
    # wanted at that level, exact (min(1, offered/level)) or partial through a related skill (matching.vocabulary)
    want_by_level: sp.csr_matrix
    offer_cover: np.ndarray
    seeks: np.ndarray | None = None  # who looks for a partner (None: everyone); a pair needs one of them
    affinity: affinity.AffinityArrays | None = None  # consented networks and requests (None: not used)
    skills: SkillMatrices | None = None  # the columns' names, relations and each person's own words (explanations)
    traits: persona.Profiles | None = None  # trait calibration, asked-for traits, experience

    @property
    def index(self) -> dict[str, int]:
        return {e: i for i, e in enumerate(self.ids)}

    @cached_property
    def availability_table(self) -> PairTable | None:
        """The availability component depends on a person's monthly hours and UTC offset only: worked out once
        between the distinct (hours, offset) answers and looked up per pair (None: too many distinct answers)."""
        bits = (self.hours.astype(np.float32).view(np.uint32).astype(np.uint64) << np.uint64(32)) | (
            self.tz_offset.astype(np.float32).view(np.uint32).astype(np.uint64))
        keys, code = np.unique(bits, return_inverse=True)  # on the bits: NaN hours are one answer, not many
        if len(keys) > PairTable.MOST_CODES:
            return None
        hours = (keys >> np.uint64(32)).astype(np.uint32).view(np.float32)
        offset = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.float32)
        return PairTable(code.reshape(-1), availability(hours[:, None], hours[None, :], offset[:, None], offset[None, :]))


@dataclass(frozen=True)
class PairTable:
    """A pair component that depends on a few answers of each person: each person's code (their answers) and
    the component between every two codes. A lookup gives the very floats the formula gives pair by pair, at
    a tenth of its cost over a block."""

    code: np.ndarray
    table: np.ndarray

    MOST_CODES = 2048  # a table of at most 16 MB

    def of(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return np.take(self.table[self.code[r]], self.code[c], axis=1)


def _tz_offsets(names: np.ndarray, moment: dt.datetime) -> np.ndarray:
    offsets = {}
    for name in set(names):
        try:
            offsets[name] = moment.astimezone(ZoneInfo(str(name))).utcoffset().total_seconds() / 3600
        except Exception:  # unknown zone: treat as UTC rather than drop the person
            offsets[name] = 0.0
    return np.array([offsets[n] for n in names], dtype=np.float32)


def _column(apps: pd.DataFrame, name: str, default=None) -> pd.Series:
    """A column of the applications, or ``default`` throughout when an optional answer is absent."""
    return apps[name] if name in apps else pd.Series([default] * len(apps), index=apps.index, dtype=object)


def big_five(apps: pd.DataFrame) -> np.ndarray:
    """TIPI scoring (Gosling et al. 2003): each trait is the mean of one item and one reversed item."""
    tipi = np.column_stack([pd.to_numeric(_column(apps, f"tipi_{i}"), errors="coerce").to_numpy(dtype=float)
                            for i in range(1, 11)])
    tipi = np.where(np.isnan(tipi), 4.0, np.clip(tipi, 1, 7))
    rev = 8.0 - tipi
    return np.column_stack([
        (tipi[:, 0] + rev[:, 5]) / 2, (rev[:, 1] + tipi[:, 6]) / 2, (tipi[:, 2] + rev[:, 7]) / 2,
        (rev[:, 3] + tipi[:, 8]) / 2, (tipi[:, 4] + rev[:, 9]) / 2,
    ]).astype(np.float32)


def build_population(people: pd.DataFrame, apps: pd.DataFrame, program_type: str, rules,
                     moment: dt.datetime | None = None, seekers: set[str] | None = None,
                     history: dict[str, int] | None = None, affinity_setting=None) -> Population:
    """Join applications with roster rows (participants = people with an application); ``moment``: the
    run's moment, at which timezone offsets are taken (None: :data:`REFERENCE_MOMENT`); ``seekers``: who
    looks for a partner (None: everyone); ``history``: well-rated past pairs per mentor id;
    ``affinity_setting``: the cohort's ``matching.affinity`` (cohorts.affinity; None: not used)."""
    roster = people.drop_duplicates("employee_id").set_index("employee_id")
    apps = apps[apps["employee_id"].isin(roster.index)].drop_duplicates("employee_id").reset_index(drop=True)
    ids = apps["employee_id"].astype(str).to_numpy()
    n = len(ids)
    row = roster.loc[ids] if n else roster.iloc[:0]
    role = apps["role"].astype(str).str.lower().to_numpy()
    # skill names mapped to the vocabulary's canonical skills, with related-skill credit (matching.vocabulary)
    wanted_maps = [parse_skills(t) for t in _column(apps, "skills_wanted", "").fillna("")]
    offered_maps = [parse_skills(t) for t in _column(apps, "skills_offered", "").fillna("")]
    skills = skill_matrices(wanted_maps, offered_maps)

    index = {e: i for i, e in enumerate(ids)}
    pr, pc, pv = [], [], []
    for i, listed in enumerate(_column(apps, "preferred_partners", "").fillna("")):
        for rank, other in enumerate(parse_ids(listed), 1):
            if other in index and index[other] != i:
                pr.append(i), pc.append(index[other]), pv.append(1.0 / rank)
    pref = sp.coo_matrix((pv, (pr, pc)), shape=(n, n), dtype=np.float32).tocsr()
    pref.sum_duplicates()
    preference = pref.maximum(pref.T).tocsr()

    is_mentor = np.isin(role, ["mentor", "both"])
    text = {name: _column(apps, name, "").fillna("").astype(str).tolist() for name in ("goals", "motivation",
                                                                                        "prior_experience")}
    titles = row["job_title"].fillna("").astype(str).tolist() if n and "job_title" in row else [""] * n
    # the goals part reads skill names as written (the vocabulary's canonical names are not what people wrote)
    goals = goal_texts(text["goals"], [list(m) for m in wanted_maps], [list(m) for m in offered_maps], titles,
                       text["motivation"], text["prior_experience"], np.isin(role, ["mentee", "both"]), is_mentor)
    capacity = np.where(is_mentor, mentor_capacity(_column(apps, "capacity"), program_type, rules).to_numpy(), 1)
    tz_names = row["timezone"].fillna("UTC").astype(str).to_numpy() if n else np.array([], dtype=object)
    big5 = big_five(apps)
    traits = persona.profiles(big5, _column(apps, "preferred_traits", "").tolist(),
                               _column(apps, "prior_experience", "").tolist(), program_type,
                               getattr(rules, "personality", None), [(history or {}).get(e, 0) for e in ids])
    return Population(
        ids=ids, level=pd.to_numeric(row["level"], errors="coerce").fillna(0).to_numpy(dtype=np.int32),
        department=row["department"].fillna("").astype(str).to_numpy(),
        location=row["location"].fillna("").astype(str).to_numpy(),
        tz_offset=_tz_offsets(tz_names, moment or REFERENCE_MOMENT),
        hours=pd.to_numeric(_column(apps, "hours_per_month"), errors="coerce").to_numpy(dtype=np.float32),
        capacity=capacity.astype(np.int32),
        on_pip=row["on_pip"].fillna(False).astype(bool).to_numpy() if "on_pip" in row else np.zeros(n, bool),
        skill_names=skills.names, wanted=skills.wanted, offered=skills.offered, goals=goals, big5=big5, skills=skills,
        department_code=pd.factorize(row["department"].fillna(""))[0].astype(np.int32) if n else np.zeros(0, np.int32),
        location_code=pd.factorize(row["location"].fillna(""))[0].astype(np.int32) if n else np.zeros(0, np.int32),
        ranked=pref, preference=preference, is_mentor=is_mentor, is_mentee=np.isin(role, ["mentee", "both"]),
        want_by_level=skills.want_by_level, offer_cover=skills.offer_cover,
        seeks=None if seekers is None else np.isin(ids, list(seekers)), traits=traits,
        affinity=affinity.population_arrays(apps, affinity_setting),
    )


# -- components over a block: rows r (index array) against columns c ------------------------------


def skill_cover(pop: Population, wanters: np.ndarray, offerers: np.ndarray, cover: np.ndarray | None = None) -> np.ndarray:
    """Mean over the wanter's skills of min(1, offered/wanted): one matrix product per wanted level;
    ``cover``: the offerers' ``offer_cover`` laid out by :func:`lay_out` (else laid out here)."""
    cover = cover if cover is not None else np.ascontiguousarray(pop.offer_cover[offerers].T)
    return pop.want_by_level[wanters] @ cover


@dataclass(frozen=True)
class Columns:
    """The columns every block of rows is scored against, laid out once: their positions, and what the
    products multiply by as contiguous (feature, column) arrays. Laid out per block instead, the copy cost
    more than the products (a sparse-times-dense product copies a transposed operand first)."""

    people: np.ndarray
    positions: np.ndarray  # participant index -> column position (-1: not a column)
    cover: np.ndarray  # (5S, len(people)) the columns' offer_cover (skill_cover)
    goals: ColumnTexts
    traits: persona.FitColumns


def lay_out(pop: Population, col_people: np.ndarray, symmetric: bool, personality=None) -> Columns:
    """``col_people`` laid out for blocks scored with the personality setting ``personality`` (None: the
    cohort's)."""
    positions = np.full(len(pop.ids), -1, dtype=np.int64)
    positions[col_people] = np.arange(len(col_people))
    return Columns(col_people, positions, np.ascontiguousarray(pop.offer_cover[col_people].T),
                   pop.goals.columns(col_people, symmetric), persona.fit_columns(pop.traits, col_people, personality))


def skill_overlap(pop: Population, wanters: np.ndarray, offerers: np.ndarray) -> np.ndarray:
    """How many of the wanter's skills (canonical: a synonym is the same skill) the offerer offers at any level."""
    return sp.csr_matrix(pop.wanted[wanters] > 0, dtype=np.float32) @ (pop.offered[offerers] > 0).astype(np.float32).T


def components(pop: Population, r: np.ndarray, c: np.ndarray, personality, symmetric: bool,
               columns: Columns | None = None) -> dict[str, np.ndarray]:
    """The six score components of every (r[i], c[j]) pair, each a (len(r), len(c)) float32 matrix;
    ``personality``: the cohort's ``rules.personality`` or a setting to try instead; ``columns``: ``c`` laid
    out by :func:`lay_out` (else laid out here: a pair's values do not depend on it)."""
    columns = columns if columns is not None else lay_out(pop, c, symmetric, personality)
    skills = skill_cover(pop, r, c, columns.cover)
    if symmetric:  # each teaches the other: both directions count equally
        skills = (skills + skill_cover(pop, c, r).T) / 2
    goals = pop.goals.similarity(r, c, symmetric, columns.goals)  # r's wants against c's teaching (symbiotic: both)
    personality_score = persona.component(pop.traits, r, c, symmetric, personality, columns.traits)
    prefs = affinity.preferences(pop.affinity, np.asarray(pop.preference[r][:, c].todense(), dtype=np.float32), r, c)
    table = pop.availability_table
    available = table.of(r, c) if table is not None else availability(
        pop.hours[r][:, None], pop.hours[c][None, :], pop.tz_offset[r][:, None], pop.tz_offset[c][None, :])
    # 0, 0.5 or 1: exact in float32, so no float64 matrices on the way
    diversity = np.add(pop.department_code[r][:, None] != pop.department_code[c][None, :],
                       pop.location_code[r][:, None] != pop.location_code[c][None, :], dtype=np.float32)
    diversity *= 0.5
    return {"skills": skills, "goals": goals, "personality": personality_score.astype(np.float32, copy=False),
            "preferences": prefs, "availability": available, "diversity": diversity}


def availability(hr: np.ndarray, hc: np.ndarray, tr: np.ndarray, tc: np.ndarray) -> np.ndarray:
    """The availability component of people with monthly hours ``hr`` and UTC offsets ``tr`` against ``hc``
    and ``tc`` (float32, broadcast): the hours ratio and the overlap of 9-to-5 working days, averaged."""
    with np.errstate(invalid="ignore", divide="ignore"):
        hours = np.where(np.isnan(hr) | np.isnan(hc), 0.5, np.minimum(hr, hc) / np.maximum(hr, hc))
    apart = np.abs(tr - tc)
    apart = np.minimum(apart, 24 - apart)
    overlap = np.maximum(0, WORKDAY_HOURS - apart) / WORKDAY_HOURS
    return ((hours + overlap) / 2).astype(np.float32)


def weight_vector(weights) -> np.ndarray:
    w = np.array([float(getattr(weights, name)) for name in COMPONENTS], dtype=np.float32)
    return w / w.sum()


# -- hard rules -----------------------------------------------------------------------------------


@dataclass
class PairRules:
    """Hard rules that forbid specific pairs, as participant-index arrays (both orientations)."""

    rows: np.ndarray
    cols: np.ndarray
    why: np.ndarray  # reason code per forbidden pair

    RELATION = ("reporting line", "avoid list", "former pair", "committee forbid")


def relation_pairs(pop: Population, apps_avoid: dict[str, list[str]], roster: pd.DataFrame, *,
                   forbid_reporting_line: bool, previous: set[tuple[str, str]],
                   forbidden: set[tuple[str, str]]) -> PairRules:
    """Pairs ruled out by who the two people are to each other (never by their answers' scores)."""
    index = pop.index
    rows: list[int] = []
    cols: list[int] = []
    why: list[int] = []

    def add(a: str, b: str, code: int) -> None:
        if a in index and b in index and a != b:
            rows.extend((index[a], index[b]))
            cols.extend((index[b], index[a]))
            why.extend((code, code))

    if forbid_reporting_line and len(roster):
        chains = reporting_chain(roster)
        for person in pop.ids:
            for boss in chains.get(person, ()):
                add(person, boss, 0)
    for person, avoided in apps_avoid.items():
        for other in avoided:
            add(person, other, 1)
    for a, b in previous:
        add(a, b, 2)
    for a, b in forbidden:
        add(a, b, 3)
    return PairRules(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(why, dtype=np.int8))


def level_allowed(pop: Population, r: np.ndarray, c: np.ndarray, program_type: str, min_level_gap: int) -> np.ndarray:
    """Level rule of the program type (rows want to learn from columns)."""
    gap = pop.level[c][None, :] - pop.level[r][:, None]
    if program_type in ("traditional", "group"):
        return gap >= min_level_gap
    if program_type == "reverse":
        return gap < 0
    return np.ones(gap.shape, dtype=bool)  # symbiotic: peers of any level


def teaches(pop: Population, r: np.ndarray, c: np.ndarray, program_type: str, several: bool = False) -> np.ndarray:
    """Reverse: the junior mentor holds a wanted skill; symbiotic: a real exchange (:mod:`.mutual`); with
    several mentors per mentee (``several``) every mentor holds a wanted skill (:mod:`.several`)."""
    if program_type == "symbiotic":
        return mutual.exchange_mask(pop.wanted, pop.offered, r, c)
    if program_type == "reverse" or several:
        return skill_overlap(pop, r, c) > 0
    return np.ones((len(r), len(c)), dtype=bool)


@dataclass
class BlockRules:
    """Boolean masks of one block, in the order the rules are explained to the unmatched."""

    basic: np.ndarray  # not self, partner in the right role, not on a PIP, one of them seeking a partner
    level: np.ndarray
    relation: np.ndarray
    teaches: np.ndarray
    placement: np.ndarray | None = None  # the cohort's placement rules (matching.placement); None: none set
    placement_words: str = ""
    affinity: np.ndarray | None = None  # the hard affinity rule (None: not used)

    @property
    def allowed(self) -> np.ndarray:
        ok = self.basic & self.level & self.relation & self.teaches
        ok = ok if self.placement is None else ok & self.placement
        return ok if self.affinity is None else ok & self.affinity


def block_rules(pop: Population, relations: PairRules, r: np.ndarray, c: np.ndarray, program_type: str,
                min_level_gap: int, col_pos: np.ndarray, mentors_per_mentee: int = 1) -> BlockRules:
    basic = (r[:, None] != c[None, :]) & ~pop.on_pip[r][:, None] & ~pop.on_pip[c][None, :]
    if pop.seeks is not None:  # every pair gives a seeker a partner (symbiotic: either side may be the one)
        basic &= pop.seeks[r][:, None] | pop.seeks[c][None, :]
    relation = np.ones((len(r), len(c)), dtype=bool)
    row_pos = np.full(len(pop.ids), -1, dtype=np.int64)
    row_pos[r] = np.arange(len(r))
    hit = (row_pos[relations.rows] >= 0) & (col_pos[relations.cols] >= 0)
    relation[row_pos[relations.rows[hit]], col_pos[relations.cols[hit]]] = False
    return BlockRules(basic, level_allowed(pop, r, c, program_type, min_level_gap), relation,
                      teaches(pop, r, c, program_type, mentors_per_mentee > 1),
                      affinity=affinity.allowed(pop.affinity, r, c))


# -- candidates ---------------------------------------------------------------------------------


@dataclass
class Candidates:
    """The kept candidate pairs (positions into the row and column arrays) and what was pruned."""

    rows: np.ndarray
    cols: np.ndarray
    score: np.ndarray
    parts: np.ndarray  # (edges, 6) component values
    allowed: np.ndarray | None = None  # per row: how many columns it may pair with (finite score), pruned or not


@dataclass
class Block:
    """Scores of one block of rows against every column; ``total`` is -inf where not allowed."""

    start: int
    people: np.ndarray  # participant index of each row in the block
    total: np.ndarray
    parts: dict[str, np.ndarray]
    rules: BlockRules


def score_block(pop: Population, relations: PairRules, r: np.ndarray, cols: Columns, start: int, *,
                program_type: str, rules, w: np.ndarray) -> Block:
    parts = components(pop, r, cols.people, rules.personality, program_type == "symbiotic", cols)
    total = sum(w[i] * parts[name] for i, name in enumerate(COMPONENTS))
    block_rule = block_rules(pop, relations, r, cols.people, program_type, rules.min_level_gap, cols.positions,
                             getattr(rules, "mentors_per_mentee", 1))
    block_rule.placement = placement_mask(pop, r, cols.people, rules)
    block_rule.placement_words = placement_words(rules)
    ok = block_rule.allowed & (total > rules.min_score)
    return Block(start, r, np.where(ok, total, -np.inf).astype(np.float32, copy=False), parts, block_rule)


def scored_blocks(pop: Population, relations: PairRules, row_people: np.ndarray, col_people: np.ndarray, *,
                  program_type: str, rules, weights, block: int = 1000):
    """Yield :class:`Block` after block, so no full rows × columns matrix is ever held."""
    w, cols = weight_vector(weights), lay_out(pop, col_people, program_type == "symbiotic", rules.personality)
    block = block_rows(len(col_people), block)
    for start in range(0, len(row_people), block):
        yield score_block(pop, relations, row_people[start:start + block], cols, start,
                          program_type=program_type, rules=rules, w=w)


def top_candidates(pop: Population, relations: PairRules, row_people: np.ndarray, col_people: np.ndarray, *,
                   program_type: str, rules, weights, k: int, block: int = 1000, threads: int | None = None,
                   progress=None) -> Candidates:
    """Best ``k`` allowed columns per row (allowed: every hard rule holds and score > min_score).

    Blocks are scored on a small thread pool: numpy releases the GIL in its products and ufuncs,
    and each block reduces to its top k before the next is taken, so memory stays per block.
    """
    w, cols = weight_vector(weights), lay_out(pop, col_people, program_type == "symbiotic", rules.personality)

    def best_of(start: int):
        b = score_block(pop, relations, row_people[start:start + block], cols, start,
                        program_type=program_type, rules=rules, w=w)
        total = b.total
        allowed = np.isfinite(total).sum(axis=1)
        kk = min(k, total.shape[1])
        if kk == 0:
            return start, len(b.people), None, allowed
        rr, cc, best = best_per_row(total, kk)
        parts = np.column_stack([b.parts[name][rr, cc] for name in COMPONENTS])
        return start, len(b.people), (rr + start, cc, best, parts), allowed

    out_r, out_c, out_s, out_p = [], [], [], []
    allowed = np.zeros(len(row_people), dtype=np.int64)
    block = block_rows(len(col_people), block)
    starts = range(0, len(row_people), block)
    with heap.reused_heap(), ThreadPoolExecutor(max_workers=threads or min(4, os.cpu_count() or 1)) as pool:
        for start, size, kept, row_allowed in pool.map(best_of, starts):
            allowed[start:start + size] = row_allowed
            if kept is not None:
                out_r.append(kept[0]), out_c.append(kept[1]), out_s.append(kept[2]), out_p.append(kept[3])
            if progress:
                progress(start + size, len(row_people))
    if not out_r:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty, np.zeros(0, np.float32), np.zeros((0, len(COMPONENTS)), np.float32), allowed)
    return Candidates(np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_s),
                      np.concatenate(out_p).astype(np.float32), allowed)


_LOWEST = np.finfo(np.float32).min


def best_per_row(total: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` best finite entries of each row of ``total`` (all of them where a row has fewer), as rows,
    columns and scores, row by row in column order; of equal scores the lower column is kept, so which of
    two tied partners stays a candidate never depends on how the selection runs (1 <= k <= columns).

    Selecting in the whole block costs more than scoring it: a bar is taken first from a sample of every
    ``step``-th column (the k-th best of a subset is never above the row's k-th best), and only the entries at
    or above it, about ``k·step`` of each row, are ranked."""
    n_rows, n_cols = total.shape
    step = max(1, int(np.sqrt(n_cols / (8 * k))))  # balances the sample's size with the entries left to rank
    bar = -np.partition(-total[:, ::step], k - 1, axis=1)[:, k - 1]  # -inf where the sample has fewer than k
    idx = np.flatnonzero(total >= np.maximum(bar, _LOWEST)[:, None])  # never -inf: not allowed
    rr = idx // n_cols
    counts = np.bincount(rr, minlength=n_rows)
    pos = np.arange(len(idx)) - (np.cumsum(counts) - counts)[rr]
    # each row's entries left, side by side (padded with -inf), to find each row's k-th best score exactly
    width = max(int(counts.max(initial=0)), k)
    score = np.full((n_rows, width), -np.inf, dtype=np.float32)
    col = np.zeros((n_rows, width), dtype=np.int64)
    score[rr, pos] = total.reshape(-1)[idx]
    col[rr, pos] = idx - rr * n_cols
    kth = np.maximum(-np.partition(-score, k - 1, axis=1)[:, k - 1], _LOWEST)[:, None]
    above, at = score > kth, score == kth
    keep = above | (at & (np.cumsum(at, axis=1) <= k - above.sum(axis=1, keepdims=True)))
    r, p = np.nonzero(keep)
    return r, col[r, p], score[r, p]


# A block holds about this many pairs: each of the ~20 float32 and bool matrices of a block (components, rules,
# totals) is then ~16 MB, so a few blocks in flight stay well under a gigabyte however many mentors there are.
BLOCK_PAIRS = 4_000_000


def block_rows(columns: int, most: int = 1000) -> int:
    """Rows per block against ``columns`` columns: at most ``most``, and about :data:`BLOCK_PAIRS` pairs."""
    return max(16, min(most, BLOCK_PAIRS // max(columns, 1)))
