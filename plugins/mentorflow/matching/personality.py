"""The ``personality`` score component and its explanation.

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


def component(p: Profiles, r: np.ndarray, c: np.ndarray, symmetric: bool, setting=None) -> np.ndarray:
    """The personality component of a block; ``setting`` overrides the cohort's trait modes."""
    modes = None if setting is None else trait_modes(setting, p.program_type)
    _, embed, percentile = p.calibration(modes)
    left, right = _linear_parts(p, symmetric)
    value = left[r] @ right[c].T
    value += (FIT_SHARE * percentile).take((p.onehot[r] @ embed[c].T).astype(np.intp), mode="clip")
    return value


# -- explanation (per proposed pair) ---------------------------------------------------------------


def _name(trait: str) -> str:
    return trait.replace("_", " ")


def trait_clauses(modes: tuple[str, ...], bands_a: list[int], bands_b: list[int], gaps: list[float]) -> list[str]:
    """Up to two clauses in words about the two people's actual positions (their bands, |a − b| per trait):
    "both highly organized" for a similar trait where both stand in the same band, "one reflective, one
    outgoing (complementary)" for a complementary trait where they stand in different bands; the most telling
    first."""
    similar, different = [], []
    for t, trait in enumerate(TRAIT_KEYS):
        ba, bb, gap = bands_a[t], bands_b[t], gaps[t]
        words = stated.BAND_WORDS[trait]
        if modes[t] == "similar" and ba == bb:
            similar.append(((ba == 1, gap), f"both {words[ba]}"))
        elif modes[t] == "complement" and ba != bb:
            lo, hi = sorted((ba, bb))
            different.append(((hi - lo < 2, -gap), f"one {words[lo]}, one {words[hi]} (complementary)"))
    chosen = sorted(similar)[:2] + sorted(different)[:2]
    return [text for _, text in sorted(chosen)[:2]]


def _trait_reason(modes: tuple[str, ...], bands_a: list[int], bands_b: list[int], gaps: np.ndarray) -> str:
    """The trait clause of a pair whose trait fit is in the top quarter; ``gaps``: |a − b| per trait."""
    counted = {m for m in modes if m != "ignore"}
    clauses = trait_clauses(modes, bands_a, bands_b, gaps.tolist())
    if counted == {"similar"}:
        if clauses:
            return "similar personalities: " + " and ".join(clauses)
        close = [_name(TRAIT_KEYS[i]) for i in np.argsort(gaps, kind="stable") if modes[i] == "similar"][:2]
        return f"similar personalities (closest on {' and '.join(close)})"
    if counted == {"complement"}:
        if clauses:
            return "complementary personalities: " + " and ".join(c.removesuffix(" (complementary)") for c in clauses)
        far = [_name(TRAIT_KEYS[i]) for i in np.argsort(-gaps, kind="stable") if modes[i] == "complement"][:1]
        return f"complementary personalities (most different on {far[0]})"
    if clauses:
        return "personalities fit as the program asks: " + " and ".join(clauses)
    return "personalities fit as the program asks (similar and complementary traits)"


def _fitting_words(asked: list[tuple[str, str, str]], other_bands: list[int]) -> list[str]:
    """The asker's words that the other's answers fit (at the asked-for end of the trait)."""
    return [w for w, trait, end in asked if other_bands[TRAIT_KEYS.index(trait)] == (2 if end == "high" else 0)]


def _a(words: list[str], noun: str) -> str:
    return f"{'an' if words[0][:1] in 'aeiou' else 'a'} {', '.join(words)} {noun}"


def _asked_reason(p: Profiles, row: int, col: int, bands_row: list[int], bands_col: list[int],
                  symmetric: bool) -> str | None:
    """"the mentee asked for a patient, organised partner and the mentor's answers fit" (naming only the
    words the partner's answers fit), or both ways "each asked for what the other's answers show: ..."."""
    by_row, by_col = _fitting_words(p.asked[row], bands_col), _fitting_words(p.asked[col], bands_row)
    if symmetric:
        if by_row and by_col:
            return f"each asked for what the other's answers show: {', '.join(by_row)} and {', '.join(by_col)}"
        if by_row or by_col:
            return f"one partner asked for {_a(by_row or by_col, 'partner')} and the other's answers fit"
        return None
    if by_row and by_col:
        return f"each asked for what the other's answers show: {_a(by_row, 'mentor')} and {_a(by_col, 'mentee')}"
    if by_row:
        return f"the mentee asked for {_a(by_row, 'partner')} and the mentor's answers fit"
    if by_col:
        return f"the mentor asked for {_a(by_col, 'partner')} and the mentee's answers fit"
    return None


def reasons(p: Profiles, rows: np.ndarray, cols: np.ndarray, symmetric: bool) -> list[str | None]:
    """The personality reason of each pair (rows[k]: the mentee, cols[k]: the mentor; in a symbiotic cohort two
    partners), or None when there is nothing to say: trait fit, gaps and experience for all pairs at once."""
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    said_fit = (pair_fit(p, rows, cols) >= SAID_AT).tolist()
    gaps = np.abs(p.big5[rows] - p.big5[cols])
    bands_r, bands_c = p.bands[rows].tolist(), p.bands[cols].tolist()
    seasoned = p.seasoned
    new_row, seasoned_col = p.new[rows], seasoned[cols]
    experience = new_row & seasoned_col
    if symmetric:
        experience |= seasoned[rows] & p.new[cols]
    partner, first = ("partner", "first-time partner") if symmetric else ("mentor", "first-time mentee")
    out: list[str | None] = []
    for k, (row, col) in enumerate(zip(rows.tolist(), cols.tolist())):
        clauses = []
        if said_fit[k]:
            clauses.append(_trait_reason(p.modes, bands_r[k], bands_c[k], gaps[k]))
        if asked := _asked_reason(p, row, col, bands_r[k], bands_c[k], symmetric):
            clauses.append(asked)
        if experience[k]:
            who = col if new_row[k] and seasoned_col[k] else row
            past = int(p.history[who])
            pairs = f"{past} well-rated past pair{'s' * (past > 1)}"
            if past and not p.experienced[who]:
                clauses.append(f"a {partner} with {pairs} for a {first}")
            else:
                clauses.append(f"an experienced {partner}{f' ({pairs})' if past else ''} for a {first}")
        out.append(", and ".join(clauses) or None)
    return out
