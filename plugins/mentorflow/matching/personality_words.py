"""The personality component in words, for the proposed pairs: the trait clauses ("both curious"), what each
asked for and the partner's answers fit, and experience; :mod:`.personality` scores the same component over
blocks of pairs."""

from __future__ import annotations

import numpy as np

from mentorflow.cohorts.personality import TRAIT_KEYS
from mentorflow.matching import stated
from mentorflow.matching.personality import SAID_AT, Profiles, pair_fit


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
