"""Pair health from monthly pulse answers.

Formula (each input scaled to 0..1, answers averaged over both partners):
    health = 0.35 * satisfaction + 0.25 * goal_progress + 0.2 * follow_through + 0.2 * met
where ``met`` is 1 if the pair met at least once in the period. Penalties: 0.15
when the partners' satisfaction differs by 3 or more points (one-sided), and a
pair with no answer from either partner scores 0.3 ("silent"). A partner asking
to end puts the pair At risk whatever the score.
States: >= 0.6 On track, >= 0.4 Needs check-in, else At risk.
"""

from __future__ import annotations

import pandas as pd

ON_TRACK, CHECK_IN, AT_RISK = "On track", "Needs check-in", "At risk"
SILENT_SCORE = 0.3


def state_for(score: float, wants_end: bool = False) -> str:
    if wants_end or score < 0.4:
        return AT_RISK
    return ON_TRACK if score >= 0.6 else CHECK_IN


def score_pairs(active: pd.DataFrame, responses: pd.DataFrame) -> pd.DataFrame:
    """One row per active pair: match_id, mentor_id, mentee_id, score, state, reasons."""
    rows = []
    by_match = {k: g for k, g in responses.groupby("match_id")} if not responses.empty else {}
    for pair in active.itertuples():
        answers = by_match.get(pair.match_id)
        if answers is None or answers.empty:
            rows.append((pair.match_id, pair.mentor_id, pair.mentee_id, SILENT_SCORE, AT_RISK, "no answer from either partner"))
            continue
        sat = (answers["satisfaction"] - 1) / 4
        score = (0.35 * sat.mean() + 0.25 * ((answers["goal_progress"] - 1) / 4).mean()
                 + 0.2 * ((answers["follow_through"] - 1) / 4).mean() + 0.2 * float((answers["meetings"] > 0).any()))
        reasons = []
        if len(answers) == 2 and answers["satisfaction"].max() - answers["satisfaction"].min() >= 3:
            score -= 0.15
            reasons.append("partners disagree on satisfaction")
        if not (answers["meetings"] > 0).any():
            reasons.append("did not meet")
        if len(answers) == 1:
            reasons.append("only one partner answered")
        wants_end = bool(answers["wants_end"].astype(bool).any())
        if wants_end:
            reasons.append("a partner asked to end")
        score = max(0.0, min(1.0, float(score)))
        rows.append((pair.match_id, pair.mentor_id, pair.mentee_id, round(score, 4), state_for(score, wants_end),
                     "; ".join(reasons) or "healthy"))
    return pd.DataFrame(rows, columns=["match_id", "mentor_id", "mentee_id", "score", "state", "reasons"])
