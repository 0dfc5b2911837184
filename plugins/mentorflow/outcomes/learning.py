"""Learning from outcomes: suggest the next cohort's matching weights from this cohort's pairs.

The model is deliberately simple and explainable: each pair's outcome (its partners'
close-out answers on goals met and satisfaction, scaled 0..1) is regressed on the score
components that formed the pair, with non-negative slopes (a component can only help).
The fitted slopes, normalised, are blended half-and-half with the current weights (so one
noisy cohort cannot swing the program), and reported with their evidence: the number of
pairs, R², each component's correlation with outcomes. Nothing is applied automatically:
ops copies the suggestion into the next cohort's YAML if the committee agrees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mentorflow.privacy import write_private_text
from mentorflow.store import Store, evaluations, matches

MIN_PAIRS = 30
BLEND = 0.5


@dataclass
class Suggestion:
    current: dict[str, float]
    suggested: dict[str, float]
    pairs: int
    r_squared: float | None
    slopes: dict[str, float] = field(default_factory=dict)
    correlations: dict[str, float] = field(default_factory=dict)
    no_evidence: list[str] = field(default_factory=list)
    verdict: str = ""


def pair_outcomes(store: Store, cohort: str) -> pd.DataFrame:
    """match_id, outcome (0..1) and the pair's score components, for pairs with at least one evaluation."""
    pairs = store.frame(matches, cohort_id=cohort)
    evals = store.frame(evaluations, cohort_id=cohort)
    if pairs.empty or evals.empty:
        return pd.DataFrame(columns=["match_id", "outcome"])
    evals["value"] = ((evals["goals_met"] - 1) / 4 + (evals["satisfaction"] - 1) / 4) / 2
    value = evals.set_index("employee_id")["value"]
    rows = []
    for pair in pairs[pairs["status"].isin(["completed", "ended"])].itertuples():
        answers = [value[p] for p in (pair.mentor_id, pair.mentee_id) if p in value.index]
        if answers:
            rows.append({"match_id": pair.match_id, "outcome": float(np.mean(answers)),
                         **json.loads(pair.components_json or "{}")})
    return pd.DataFrame(rows)


def suggest_weights(outcomes: pd.DataFrame, current: dict[str, float]) -> Suggestion:
    """Blend the current weights with non-negative regression slopes of outcome on components."""
    from scipy.optimize import nnls

    total = sum(current.values()) or 1.0
    current = {k: v / total for k, v in current.items()}
    usable = [c for c in current if c in outcomes.columns and outcomes[c].notna().all() and outcomes[c].std() > 1e-9]
    missing = [c for c in current if c not in usable]
    if len(outcomes) < MIN_PAIRS or not usable:
        why = (f"only {len(outcomes)} pairs with outcomes (need {MIN_PAIRS})" if len(outcomes) < MIN_PAIRS
               else "no score component varied between pairs")
        return Suggestion(current, dict(current), len(outcomes), None, no_evidence=missing,
                          verdict=f"Keep the current weights: {why}.")
    x = outcomes[usable].to_numpy(float)
    y = outcomes["outcome"].to_numpy(float)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    slopes, _ = nnls(xc, yc)
    residual = yc - xc @ slopes
    r_squared = 1 - float(residual @ residual) / float(yc @ yc) if float(yc @ yc) > 0 else 0.0
    correlations = {c: float(np.corrcoef(outcomes[c], y)[0, 1]) for c in usable}
    share_usable = sum(current[c] for c in usable)
    fitted = {c: (slopes[i] / slopes.sum() * share_usable if slopes.sum() > 0 else current[c]) for i, c in enumerate(usable)}
    suggested = {c: round(BLEND * current[c] + (1 - BLEND) * fitted[c], 3) if c in fitted else round(current[c], 3)
                 for c in current}
    moved = sorted(usable, key=lambda c: suggested[c] - current[c])
    verdict = (f"From {len(outcomes)} pairs (R² {r_squared:.2f}): give more weight to {moved[-1]} "
               f"and less to {moved[0]}." if r_squared > 0.02 else
               f"From {len(outcomes)} pairs the components explain almost nothing (R² {r_squared:.2f}): keep the weights.")
    if r_squared <= 0.02:
        suggested = {c: round(v, 3) for c, v in current.items()}
    return Suggestion(current, suggested, len(outcomes), r_squared, {c: float(slopes[i]) for i, c in enumerate(usable)},
                      correlations, missing, verdict)


def write_suggestion(suggestion: Suggestion, cohort: str, path: Path) -> Path:
    """A YAML snippet ops can paste into the next cohort's file, with the evidence as comments."""
    lines = [f"# Suggested matching weights learned from cohort {cohort}.", f"# {suggestion.verdict}",
             "# Not applied automatically: paste into the next cohort's YAML if the committee agrees."]
    for c, r in sorted(suggestion.correlations.items()):
        lines.append(f"#   {c}: correlation with outcome {r:+.2f}, slope {suggestion.slopes.get(c, 0):.3f}")
    for c in suggestion.no_evidence:
        lines.append(f"#   {c}: no evidence this cohort (weight kept)")
    lines += ["matching:", "  weights:"] + [f"    {c}: {w}" for c, w in suggestion.suggested.items()]
    write_private_text(path, "\n".join(lines) + "\n")
    return path
