"""The ``personality`` score component (its explanation in words: :mod:`.personality_words`).

A pair's personality value is ``0.6 × trait fit + 0.3 × asked-for traits + 0.1 × experience``:

- **trait fit** (calibrated, per trait): on each counted Big Five trait the pair gets the share of random
  pairs of the cohort that are further apart on it (``similar``) or closer (``complement``), ties counted
  half; the mean over the counted traits is then turned into the share of random pairs whose mean is lower.
  So trait fit is a percentile among random pairs: 0.75 means a better fit than three random pairs in
  four, and explanations say "similar" / "complementary" from :data:`SAID_AT` = 0.75, the top quarter.
  "Random pairs" are independent draws from the cohort's own answers at run time (each trait's 13 possible
  scores, counted over every applicant, plus :data:`PRIOR_PEOPLE` pseudo-applicants answering uniformly,
  so a small cohort is not calibrated on a handful of people), the traits taken as independent: the
  reference is computed exactly by convolution, never sampled, so it is deterministic and does not depend
  on the applicants' order.
- **asked-for traits**: each recognised word of a person's ``preferred_traits`` (matching.stated) scores
  1 when the partner's answers put them at the asked-for end of that trait, 0.5 in the middle, 0 at the
  other end; a person's credit is their words' mean (0.5 when they asked for nothing), the pair's value
  the mean of the two people's credit.
- **experience**: 1 when the mentee (in a symbiotic cohort: either partner) is new to mentoring and the
  mentor is experienced by their ``prior_experience`` answer or has a well-rated completed pair in an
  earlier cohort (``MatchInput.mentor_history``), else 0.

The wording of the answers (the lexicon, the experience rule, the band words) is in :mod:`.stated`.

All three are array products over a block of pairs (one-hot trait scores against per-trait lookup tables);
nothing runs per pair except the explanation of the few proposed pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mentorflow.cohorts.personality import TRAIT_KEYS, trait_modes
from mentorflow.matching import stated

FIT_SHARE, ASKED_SHARE, EXPERIENCE_SHARE = 0.6, 0.3, 0.1
SAID_AT = 0.75  # trait fit from which an explanation says "similar" / "complementary": the top quarter
PRIOR_PEOPLE = 20  # pseudo-applicants with uniform TIPI answers mixed into each trait's distribution
LEVELS = 13  # a trait score is the mean of two 1..7 items: 1, 1.5, ..., 7
QUANTUM = 1024  # per-trait scores are whole multiples of 1/QUANTUM, so block sums are exact in float32
_T = len(TRAIT_KEYS)
# two independent uniform 1..7 items: the triangular distribution of their mean
UNIFORM_ANSWERS = (7 - np.abs(np.arange(LEVELS) - 6)) / 49.0


@dataclass
class Profiles:
    """Every participant's personality answers as arrays, and the cohort's calibration."""

    program_type: str
    big5: np.ndarray  # (n, 5) trait scores 1..7
    codes: np.ndarray  # (n, 5) level index 0..12
    onehot: np.ndarray  # (n, 5*13) one-hot of the levels
    bands: np.ndarray  # (n, 5) 0 low, 1 middle, 2 high
    band_onehot: np.ndarray  # (n, 5*3)
    asks: np.ndarray  # (n, 5*3) credit for a partner in each (trait, band); 0.1 throughout if nothing asked
    asked: list[list[tuple[str, str, str]]]  # per person: (word, trait, 'high' | 'low')
    new: np.ndarray  # (n,) new to mentoring by their answer, and no past pairs as a mentor
    experienced: np.ndarray  # (n,) an experienced mentor by their own answer
    history: np.ndarray  # (n,) well-rated completed pairs as a mentor in earlier cohorts
    distance_pmf: np.ndarray  # (5, 13) P(|a-b| = d/2) for two random applicants, per trait
    modes: tuple[str, ...]  # the cohort's mode per trait
    _calibrated: dict = field(default_factory=dict, repr=False)
    _linear: dict = field(default_factory=dict, repr=False)

    @property
    def seasoned(self) -> np.ndarray:
        """Experienced by their answer or by a well-rated past pair (never also new)."""
        return self.experienced | (self.history > 0)

    def calibration(self, modes: tuple[str, ...] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(per-trait tables (5, 13, 13) of whole-number scores, partner embedding (n, 65), percentile of a
        summed score) for ``modes`` (default: the cohort's)."""
        modes = modes or self.modes
        if modes not in self._calibrated:
            self._calibrated[modes] = _calibrate(self, modes)
        return self._calibrated[modes]


def profiles(big5: np.ndarray, preferred: list, prior: list, program_type: str, setting,
             history: list[int] | np.ndarray | None = None) -> Profiles:
    """Profiles of ``n`` people from their Big Five scores, ``preferred_traits`` and ``prior_experience``
    answers; ``setting``: the cohort's ``matching.rules.personality``; ``history``: well-rated completed
    pairs per person as a mentor in earlier cohorts."""
    n = len(big5)
    codes = np.clip(np.rint(big5 * 2) - 2, 0, LEVELS - 1).astype(np.int64)
    onehot = np.zeros((n, _T * LEVELS), dtype=np.float32)
    onehot[np.arange(n)[:, None], np.arange(_T)[None, :] * LEVELS + codes] = 1
    bands = np.where(big5 <= stated.LOW_MAX, 0, np.where(big5 >= stated.HIGH_MIN, 2, 1)).astype(np.int64)
    band_onehot = np.zeros((n, _T * 3), dtype=np.float32)
    band_onehot[np.arange(n)[:, None], np.arange(_T)[None, :] * 3 + bands] = 1
    asked = _per_text(stated.preferred_traits, preferred)
    count = np.array([len(words) for words in asked], dtype=np.int64)
    who = np.repeat(np.arange(n), count)
    where = np.array([TRAIT_KEYS.index(trait) * 3 for words in asked for _, trait, _ in words], dtype=np.int64)
    high = np.array([end == "high" for words in asked for _, _, end in words], dtype=bool)
    asks = np.zeros((n, _T * 3), dtype=np.float32)
    credit = np.where(high[:, None], (0.0, 0.5, 1.0), (1.0, 0.5, 0.0)) / np.maximum(count[who], 1)[:, None]
    np.add.at(asks, (who[:, None], where[:, None] + np.arange(3)), credit)
    asks[count == 0] = 0.5 / _T  # asked for nothing: 0.5 whoever the partner is
    told = np.array(_per_text(stated.experience, prior), dtype=bool).reshape(n, 2)
    history = np.zeros(n, np.int64) if history is None else np.asarray(history, np.int64)
    counts = np.stack([np.bincount(codes[:, t], minlength=LEVELS) for t in range(_T)]).astype(float)
    marginal = (counts + PRIOR_PEOPLE * UNIFORM_ANSWERS) / (n + PRIOR_PEOPLE)
    d = np.abs(np.arange(LEVELS)[:, None] - np.arange(LEVELS)[None, :])
    distance_pmf = np.stack([np.bincount(d.ravel(), weights=np.outer(m, m).ravel(), minlength=LEVELS)
                             for m in marginal])
    return Profiles(program_type=program_type, big5=big5, codes=codes, onehot=onehot, bands=bands,
                    band_onehot=band_onehot, asks=asks, asked=asked, new=told[:, 0] & (history == 0),
                    experienced=told[:, 1], history=history, distance_pmf=distance_pmf,
                    modes=trait_modes(setting, program_type))


def _per_text(read, texts: list) -> list:
    """``read`` of every text, each distinct text read once (answers such as "none" repeat)."""
    seen: dict = {}
    return [seen[t] if t in seen else seen.setdefault(t, read(t)) for t in
            (x if isinstance(x, str) else "" for x in texts)]


def _calibrate(p: Profiles, modes: tuple[str, ...]):
    tables = np.zeros((_T, LEVELS, LEVELS), dtype=np.int64)
    reference = np.ones(1)  # distribution of the summed whole-number score over random pairs
    d = np.abs(np.arange(LEVELS)[:, None] - np.arange(LEVELS)[None, :])
    for t, mode in enumerate(modes):
        if mode == "ignore":
            continue
        pmf = p.distance_pmf[t]
        further, closer = pmf[::-1].cumsum()[::-1] - pmf, pmf.cumsum() - pmf
        share = (further if mode == "similar" else closer) + pmf / 2  # mid-rank among random pairs
        score = np.rint(share * QUANTUM).astype(np.int64)
        tables[t] = score[d]
        trait_dist = np.bincount(score, weights=pmf, minlength=QUANTUM + 1)
        reference = np.convolve(reference, trait_dist)
    below = np.concatenate([[0.0], reference.cumsum()[:-1]])
    percentile = ((below + reference / 2) / reference.sum()).astype(np.float32)
    embed = tables[np.arange(_T)[None, :], :, p.codes].reshape(len(p.codes), _T * LEVELS).astype(np.float32)
    return tables, embed, percentile


def trait_fit(p: Profiles, r: np.ndarray, c: np.ndarray, modes: tuple[str, ...] | None = None) -> np.ndarray:
    """Calibrated trait fit of every (r[i], c[j]) pair, a percentile among random pairs."""
    _, embed, percentile = p.calibration(modes)
    total = p.onehot[r] @ embed[c].T  # whole numbers below 2**24: exact in float32
    return percentile.take(total.astype(np.intp), mode="clip")


def pair_fit(p: Profiles, a: np.ndarray, b: np.ndarray, modes: tuple[str, ...] | None = None) -> np.ndarray:
    """Calibrated trait fit of the pairs (a[k], b[k]): the same numbers as :func:`trait_fit`'s matrix."""
    tables, _, percentile = p.calibration(modes)
    total = tables[np.arange(_T)[None, :], p.codes[a], p.codes[b]].sum(axis=1)
    return percentile[total]


def asked_fit(p: Profiles, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """How well each partner's answers fit the traits the other asked for: the mean of the two people's
    credit, a person who asked for nothing counting 0.5."""
    return 0.5 * (p.asks[r] @ p.band_onehot[c].T + p.band_onehot[r] @ p.asks[c].T)


def experience_fit(p: Profiles, r: np.ndarray, c: np.ndarray, symmetric: bool) -> np.ndarray:
    """1 where a new mentee (row) meets a seasoned mentor (column); both ways in symbiotic cohorts."""
    fit = p.new[r][:, None] & p.seasoned[c][None, :]
    if symmetric:
        fit |= p.seasoned[r][:, None] & p.new[c][None, :]
    return fit


def _linear_parts(p: Profiles, symmetric: bool) -> tuple[np.ndarray, np.ndarray]:
    """Row and column factors whose product is ASKED_SHARE × asked fit + EXPERIENCE_SHARE × experience
    (one matrix product per block; new and seasoned never hold for one person, so the two directions of
    a symbiotic pair never add up to more than one)."""
    if symmetric not in p._linear:
        new, seasoned = p.new[:, None].astype(np.float32), p.seasoned[:, None].astype(np.float32)
        if not symmetric:
            seasoned_row, new_col = np.zeros_like(new), np.zeros_like(new)
        else:
            seasoned_row, new_col = seasoned, new
        left = np.hstack([ASKED_SHARE / 2 * p.asks, ASKED_SHARE / 2 * p.band_onehot,
                          EXPERIENCE_SHARE * new, EXPERIENCE_SHARE * seasoned_row])
        right = np.hstack([p.band_onehot, p.asks, seasoned, new_col])
        p._linear[symmetric] = (np.ascontiguousarray(left, np.float32), np.ascontiguousarray(right, np.float32))
    return p._linear[symmetric]


@dataclass(frozen=True)
class FitColumns:
    """Columns' trait scores against each (trait, level) a row may stand at, laid out once for many blocks of
    rows: a block's summed score is then five row gathers of small integers, not a product over 65 features."""

    modes: tuple[str, ...]
    scores: np.ndarray  # (5 · 13, len(c)) int16: tables[t, level, codes[c, t]]


def fit_columns(p: Profiles, c: np.ndarray, setting=None) -> FitColumns:
    modes = p.modes if setting is None else trait_modes(setting, p.program_type)
    tables, _, _ = p.calibration(modes)
    scores = np.concatenate([tables[t][:, p.codes[c, t]] for t in range(_T)])  # each below QUANTUM: fits int16
    return FitColumns(modes, np.ascontiguousarray(scores, dtype=np.int16))


def component(p: Profiles, r: np.ndarray, c: np.ndarray, symmetric: bool, setting=None,
              columns: FitColumns | None = None) -> np.ndarray:
    """The personality component of a block; ``setting`` overrides the cohort's trait modes; ``columns``:
    :func:`fit_columns` of ``c`` (used when laid out for the same modes)."""
    if columns is None or columns.modes != (p.modes if setting is None else trait_modes(setting, p.program_type)):
        columns = fit_columns(p, c, setting)
    _, _, percentile = p.calibration(columns.modes)
    left, right = _linear_parts(p, symmetric)
    value = left[r] @ right[c].T
    at = p.codes[r] + np.arange(_T) * LEVELS  # the row of columns.scores for each row's level of each trait
    total = columns.scores[at[:, 0]]
    for t in range(1, _T):
        total += columns.scores[at[:, t]]  # whole numbers below 5 · QUANTUM: exact, the same as trait_fit's
    value += (FIT_SHARE * percentile)[total]
    return value
