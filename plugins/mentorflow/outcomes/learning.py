"""Learning from outcomes: suggest the next cohort's matching weights from this cohort's pairs, and only
when the pairs show evidence for a change.

The outcome of a finished pair (completed at close-out, or ended at the midpoint) is on a 0..1 scale:

- ``closeout``: its partners' close-out answers on goals met and satisfaction (mean over the partners who
  answered);
- ``health``: its pulse health score (:mod:`mentorflow.outcomes.health`), mean over the periods in which
  at least one partner answered (a silent period says nothing about how the pair is doing);
- ``outcome``: the two combined with ``OUTCOME_WEIGHTS`` (half each), or the one measure a pair has.

The combined outcome is regressed on the score components that formed the pairs (non-negative slopes,
:func:`mentorflow.outcomes.evidence.fit`), with a permutation p-value for the whole fit and bootstrap
intervals for each component's slope and for the weight the slopes point to (slopes normalised to the
share of the weights those components hold today). Each measure is also fitted alone and reported.

The weights change only with evidence: at least ``MIN_PAIRS`` pairs with an outcome, a fit better than
chance (p < ``ALPHA``), and a component whose 95% interval of the weight the outcomes point to excludes
its current weight. Such a component moves halfway (``BLEND``) towards that weight; the components with
no clear evidence keep their shares relative to each other and absorb the difference, so the weights
still add up to one; components that did not vary (or were not recorded) keep their weight. Otherwise
the verdict says "No reliable signal; keep the weights" and the suggestion is the current weights.
Nothing is applied automatically: ops copies the suggestion into the next cohort's YAML if the committee
agrees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mentorflow.outcomes import evidence
from mentorflow.privacy import write_private_text
from mentorflow.store import Store, evaluations, matches, pair_health

# At least ten pairs per score component fitted (six components): below that a regression with six
# slopes and its bootstrap intervals are too unstable to act on, whatever the p-value says.
MIN_PAIRS = 60
ALPHA = 0.05
BLEND = 0.5
OUTCOME_WEIGHTS = {"closeout": 0.5, "health": 0.5}
MEASURES = {"closeout": "close-out answers", "health": "pulse health"}
NO_SIGNAL = "No reliable signal; keep the weights"
FINISHED = ("completed", "ended")


@dataclass(frozen=True)
class ComponentEvidence:
    """What the pairs say about one score component."""

    slope: float
    slope_ci: tuple[float, float]
    weight: float                    # the weight the outcomes point to
    weight_ci: tuple[float, float]
    correlation: float
    direction: str                   # "more", "less" or "unclear"


@dataclass(frozen=True)
class MeasureFit:
    """One outcome measure fitted alone (for the record; the suggestion uses the combined outcome)."""

    measure: str
    pairs: int
    r_squared: float | None
    p_value: float | None


@dataclass
class Suggestion:
    current: dict[str, float]
    suggested: dict[str, float]
    pairs: int
    r_squared: float | None
    p_value: float | None = None
    permutations: int = 0
    evidence: dict[str, ComponentEvidence] = field(default_factory=dict)
    measures: list[MeasureFit] = field(default_factory=list)
    outcome: str = ""
    no_evidence: list[str] = field(default_factory=list)
    reliable: bool = False
    verdict: str = ""

    @property
    def slopes(self) -> dict[str, float]:
        return {c: e.slope for c, e in self.evidence.items()}

    @property
    def correlations(self) -> dict[str, float]:
        return {c: e.correlation for c, e in self.evidence.items()}


def pair_outcomes(store: Store, cohort: str) -> pd.DataFrame:
    """One row per finished pair the matcher scored (its score components are stored) with an outcome: match_id,
    closeout, health, outcome (0..1; a measure the pair lacks is NaN) and the pair's score components."""
    pairs = store.frame(matches, cohort_id=cohort)
    if pairs.empty:
        return pd.DataFrame(columns=["match_id", "closeout", "health", "outcome"])
    pairs = pairs[pairs["status"].isin(FINISHED)]
    evals = store.frame(evaluations, cohort_id=cohort)
    value = (((evals["goals_met"] - 1) / 4 + (evals["satisfaction"] - 1) / 4) / 2).set_axis(evals["employee_id"]) \
        if len(evals) else pd.Series(dtype=float)
    pulse = store.frame(pair_health, cohort_id=cohort)
    health = pulse[pulse["silent_streak"] == 0].groupby("match_id")["score"].mean() if len(pulse) else pd.Series(dtype=float)
    about = evaluated_pairs(pairs)
    rows = []
    for pair in pairs.itertuples():
        if not isinstance(pair.components_json, str) or not pair.components_json:
            continue  # not scored by the matcher's weights (a mentoring circle, written mentoring): nothing to learn
        answers = [value[p] for p in (pair.mentor_id, pair.mentee_id)
                   if p in value.index and pair.match_id in about.get(p, ())]
        measures = {"closeout": float(np.mean(answers)) if answers else np.nan,
                    "health": float(health[pair.match_id]) if pair.match_id in health.index else np.nan}
        if not all(np.isnan(v) for v in measures.values()):
            rows.append({"match_id": pair.match_id, **measures, "outcome": combined(measures),
                         **json.loads(pair.components_json)})
    return pd.DataFrame(rows, columns=None if rows else ["match_id", "closeout", "health", "outcome"])


def evaluated_pairs(pairs: pd.DataFrame) -> dict[str, set[int]]:
    """Which pairs each person's one close-out evaluation is about: the pairs they finished the program
    in (completed), or, for someone whose only pairs ended, those. A mentee re-matched at the midpoint
    judges the partnership they finished with; giving that answer to the pair that ended as well would
    tie every later pair's outcome to an earlier one's fate."""
    people = pd.concat([pairs[["match_id", "status"]].assign(person=pairs["mentor_id"]),
                        pairs[["match_id", "status"]].assign(person=pairs["mentee_id"])])
    about: dict[str, set[int]] = {}
    for person, group in people.groupby("person"):
        completed = group[group["status"] == "completed"]
        about[person] = set((completed if len(completed) else group)["match_id"])
    return about


def combined(measures: dict[str, float]) -> float:
    """The pair's outcome: the measures it has, weighted by ``OUTCOME_WEIGHTS``."""
    have = {m: v for m, v in measures.items() if not np.isnan(v)}
    total = sum(OUTCOME_WEIGHTS[m] for m in have)
    return sum(OUTCOME_WEIGHTS[m] * v for m, v in have.items()) / total if total else np.nan


def outcome_description(outcomes: pd.DataFrame) -> str:
    """What "outcome" means for these pairs, in words."""
    used = [m for m in MEASURES if m in outcomes.columns and outcomes[m].notna().any()]
    if not used:
        return "the pairs' outcome"
    if len(used) == 1:
        return MEASURES[used[0]]
    shares = {OUTCOME_WEIGHTS[m] for m in used}
    return (" and ".join(MEASURES[m] for m in used) + (", half each" if shares == {0.5} else
            " (" + ", ".join(f"{MEASURES[m]} {OUTCOME_WEIGHTS[m]:.0%}" for m in used) + ")"))


def _usable(frame: pd.DataFrame, components: list[str]) -> list[str]:
    return [c for c in components if c in frame.columns and frame[c].notna().all() and frame[c].std() > 1e-9]


def _fitted_weights(slopes: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Slopes (…, k) normalised to the share ``current`` (k,) holds; where every slope is 0, the current weights."""
    total = slopes.sum(axis=-1, keepdims=True)
    return np.where(total > 0, slopes / np.where(total > 0, total, 1.0) * current.sum(), current)


def _measure_fits(outcomes: pd.DataFrame, components: list[str]) -> list[MeasureFit]:
    fits = []
    for measure in MEASURES:
        if measure not in outcomes.columns:
            continue
        rows = outcomes[outcomes[measure].notna()]
        usable = _usable(rows, components)
        if len(rows) < MIN_PAIRS or not usable:
            fits.append(MeasureFit(measure, len(rows), None, None))
            continue
        result = evidence.fit(rows[usable].to_numpy(float), rows[measure].to_numpy(float), bootstrap=False)
        fits.append(MeasureFit(measure, len(rows), result.r_squared, result.p_value))
    return fits


def suggest_weights(outcomes: pd.DataFrame, current: dict[str, float]) -> Suggestion:
    """The weights the pairs' outcomes support, with the evidence; the current weights without evidence."""
    if not current or any(v < 0 for v in current.values()) or sum(current.values()) <= 0:
        raise ValueError(f"current weights must be non-negative and not all zero, got {current}")
    if "outcome" not in outcomes.columns:
        raise ValueError("the outcomes need an 'outcome' column (see pair_outcomes)")
    total = sum(current.values())
    current = {k: float(v) / total for k, v in current.items()}
    frame = outcomes[outcomes["outcome"].notna()]
    if "match_id" in frame.columns:  # the same pairs give the same answer, whatever their order
        frame = frame.sort_values("match_id", kind="stable")
    usable = _usable(frame, list(current))
    missing = [c for c in current if c not in usable]
    n, described = len(frame), outcome_description(frame)
    keep = Suggestion(current, dict(current), n, None, outcome=described, no_evidence=missing)
    if n < MIN_PAIRS:
        keep.verdict = f"{NO_SIGNAL}: only {n} pairs have an outcome (need {MIN_PAIRS})."
        return keep
    if not usable:
        keep.verdict = f"{NO_SIGNAL}: no score component varied between the {n} pairs."
        return keep

    x, y = frame[usable].to_numpy(float), frame["outcome"].to_numpy(float)
    result = evidence.fit(x, y)
    now = np.array([current[c] for c in usable])
    fitted = _fitted_weights(result.slopes, now)
    weight_ci = evidence.interval(_fitted_weights(result.boot_slopes, now))
    slope_ci = evidence.interval(result.boot_slopes)
    found, beats_chance = {}, result.p_value < ALPHA
    for i, c in enumerate(usable):
        lo, hi = float(weight_ci[i, 0]), float(weight_ci[i, 1])
        direction = ("unclear" if not beats_chance else  # no component has evidence when the whole fit has none
                     "more" if lo > now[i] and fitted[i] > now[i] else
                     "less" if hi < now[i] and fitted[i] < now[i] else "unclear")
        found[c] = ComponentEvidence(float(result.slopes[i]), (float(slope_ci[i, 0]), float(slope_ci[i, 1])),
                                     float(fitted[i]), (lo, hi), float(np.corrcoef(x[:, i], y)[0, 1]), direction)
    reliable = beats_chance and any(e.direction != "unclear" for e in found.values())
    suggestion = Suggestion(current, dict(current), n, result.r_squared, result.p_value, result.permutations, found,
                            _measure_fits(frame, list(current)), described, missing, reliable)
    if reliable:
        suggestion.suggested = _moved(current, found)
    suggestion.verdict = _verdict(suggestion)
    return suggestion


def _moved(current: dict[str, float], found: dict[str, ComponentEvidence]) -> dict[str, float]:
    """Components with evidence move ``BLEND`` of the way to the weight the outcomes point to; the unclear
    ones share what is left of the fitted components' total in their current proportions."""
    moving = {c: BLEND * current[c] + (1 - BLEND) * e.weight for c, e in found.items() if e.direction != "unclear"}
    unclear = [c for c, e in found.items() if e.direction == "unclear"]
    left = sum(current[c] for c in found) - sum(moving.values())
    held = sum(current[c] for c in unclear)
    if held > 0:
        moving |= {c: current[c] * left / held for c in unclear}
    else:  # nothing to absorb the difference: the moving components fill the fitted share themselves
        scale = sum(current[c] for c in found) / sum(moving.values())
        moving = {c: w * scale for c, w in moving.items()} | {c: current[c] for c in unclear}
    return {c: round(float(moving.get(c, current[c])), 3) for c in current}


def _pointed(c: str, e: ComponentEvidence, now: float) -> str:
    return f"{c} (outcomes point to {e.weight:.2f}, 95% interval {e.weight_ci[0]:.2f}-{e.weight_ci[1]:.2f}, now {now:.2f})"


def _verdict(s: Suggestion) -> str:
    fit = f"R² {s.r_squared:.2f}, p = {s.p_value:.3f} from {s.permutations} shuffles of the outcomes"
    if not s.reliable and s.p_value >= ALPHA:
        head = (f"{NO_SIGNAL}: from {s.pairs} pairs the score components explain little of the outcome ({fit}; "
                f"a signal needs p < {ALPHA}).")
    elif not s.reliable:
        head = (f"{NO_SIGNAL}: from {s.pairs} pairs the fit beats chance ({fit}) but no weight is pinned down: "
                "every component's 95% interval contains its current weight.")
    else:
        more = [_pointed(c, e, s.current[c]) for c, e in s.evidence.items() if e.direction == "more"]
        less = [_pointed(c, e, s.current[c]) for c, e in s.evidence.items() if e.direction == "less"]
        moves = ([f"give more weight to {', '.join(more)}"] if more else []) + \
                ([f"less weight to {', '.join(less)}"] if less else [])
        head = f"Evidence from {s.pairs} pairs ({fit}): {' and '.join(moves)}; the other weights keep their proportions."
    alone = [f"{MEASURES[m.measure]} alone R² {m.r_squared:.2f}, p = {m.p_value:.3f}" for m in s.measures
             if m.p_value is not None]
    return f"{head} Outcome: {s.outcome}." + (f" ({'; '.join(alone)}.)" if alone else "")


def evidence_lines(s: Suggestion) -> list[str]:
    """The evidence behind a suggestion, one line per component and measure (for ops and the YAML file)."""
    lines = []
    for c, e in sorted(s.evidence.items()):
        lines.append(f"{c}: weight now {s.current[c]:.3f}, outcomes point to {e.weight:.3f} "
                     f"(95% interval {e.weight_ci[0]:.3f}-{e.weight_ci[1]:.3f}); slope {e.slope:.3f} "
                     f"(95% interval {e.slope_ci[0]:.3f}-{e.slope_ci[1]:.3f}); correlation {e.correlation:+.2f}; "
                     f"evidence: {'unclear' if e.direction == 'unclear' else e.direction + ' weight'}")
    lines += [f"{c}: not fitted (did not vary between pairs or not recorded); weight kept" for c in s.no_evidence]
    for m in s.measures:
        lines.append(f"{MEASURES[m.measure]} alone: {m.pairs} pairs, " + (
            f"R² {m.r_squared:.3f}, p = {m.p_value:.3f}" if m.p_value is not None else f"too few to fit (need {MIN_PAIRS})"))
    return lines


def write_suggestion(suggestion: Suggestion, cohort: str, path: Path) -> Path:
    """A YAML snippet ops can paste into the next cohort's file, with the verdict and evidence as comments."""
    lines = [f"# Matching weights learned from cohort {cohort}.", f"# {suggestion.verdict}",
             "# Not applied automatically: paste into the next cohort's YAML if the committee agrees.",
             (f"# Method: non-negative least squares of pair outcome on score components; p-value from "
              f"{evidence.PERMUTATIONS} shuffles of the outcomes, 95% intervals from {evidence.BOOTSTRAPS} bootstrap "
              f"resamples of the pairs; a change needs {MIN_PAIRS}+ pairs, p < {ALPHA} and an interval that "
              "excludes the current weight.")]
    lines += [f"#   {line}" for line in evidence_lines(suggestion)]
    lines += ["matching:", "  weights:"] + [f"    {c}: {round(w, 3)}" for c, w in suggestion.suggested.items()]
    write_private_text(path, "\n".join(lines) + "\n")
    return path
