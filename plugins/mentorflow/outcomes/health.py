"""Pair health from the monthly pulse: a documented, configurable formula.

For each pair and period, with the answers of both partners (1-5 scales scaled to 0..1):

    score = w_s * satisfaction + w_g * goal_progress + w_f * follow_through + w_m * min(1, meetings / planned)

averaged over the partners who answered (``meetings`` is the larger of the two reports, since
both describe the same meetings). The partnership page's meeting log counts too (``contact``, loaded by
:mod:`mentorflow.workspace.contact`): ``meetings`` is the larger of the reports and the entries logged for
the period, whatever their mode, so a pair that writes instead of meeting is in contact, not "did not
meet". When next steps fell due in the period, ``follow_through`` is the mean of the answers' (scaled)
and the share of those steps done. Then:

- one-sided: if the partners' satisfaction differs by ``disagreement_points`` or more, subtract
  ``disagreement_penalty``;
- state: ``score >= on_track_at`` On track, ``score < at_risk_below`` At risk, else Needs check-in;
- declining: a drop of ``decline_drop`` or more since the pair's previous period makes an
  On track pair Needs check-in;
- silence: a period with no answer from either partner is Needs check-in; ``silent_periods_at_risk``
  silent periods in a row make it At risk. A pair with no answer that logged contact for the period is
  not silent (its streak ends): Needs check-in, score 0 (nothing to score it on);
- a partner asking to end the pair makes it At risk whatever the score.

Weights and thresholds come from the cohort YAML's ``health`` section (:class:`config.Health`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ON_TRACK, CHECK_IN, AT_RISK = "On track", "Needs check-in", "At risk"
STATES = (ON_TRACK, CHECK_IN, AT_RISK)
COLUMNS = ["match_id", "mentor_id", "mentee_id", "score", "state", "reasons", "silent_streak"]


def _scaled(values: pd.Series) -> float:
    """The mean of 1-5 answers scaled to 0..1, missing answers left out: ``((values - 1) / 4).clip(0, 1).mean()``
    computed as pandas computes it (a missing value summed as zero, the sum divided by the count of the others), on
    the numbers themselves. Every pair's health takes it three or four times a period, and each pandas operation
    costs more than the arithmetic on one or two answers (a quarter of a pulse stage's health scoring)."""
    scaled = np.clip((values.to_numpy(dtype=float, na_value=np.nan) - 1) / 4, 0, 1)
    missing = np.isnan(scaled)
    count = scaled.size - int(missing.sum())
    return float(np.where(missing, 0.0, scaled).sum() / count) if count else float("nan")


def logged(contact: dict | None) -> str:
    """'3 contacts logged (2 written exchanges, 1 call)'."""
    contact = contact or {}
    parts = [f"{n} {name}{'s' if n != 1 else ''}" for key, name in (
        ("meeting", "meeting"), ("call", "call"), ("written", "written exchange")) if (n := int(contact.get(key, 0)))]
    total = int(contact.get("logged", 0))
    return f"{total} contact{'s' if total != 1 else ''} logged ({', '.join(parts)})"


def score_answers(answers: pd.DataFrame, rules, contact: dict | None = None) -> tuple[float, list[str]]:
    """Score and reasons for one pair-period from one or two partners' answers and the period's logged contact
    (:data:`mentorflow.workspace.contact.COLUMNS`; None when the pair logged nothing)."""
    w = rules.weights
    reported = int(answers["meetings"].max())
    in_log = int(contact["logged"]) if contact else 0
    count = max(reported, in_log)
    met = min(1.0, count / rules.meetings_planned)
    follow = _scaled(answers["follow_through"])
    due = int(contact["steps_due"]) if contact else 0
    if due:
        follow = (follow + int(contact["steps_done"]) / due) / 2
    total = w.satisfaction + w.goal_progress + w.follow_through + w.meetings or 1.0
    score = (w.satisfaction * _scaled(answers["satisfaction"]) + w.goal_progress * _scaled(answers["goal_progress"])
             + w.follow_through * follow + w.meetings * met) / total
    reasons = []
    if len(answers) >= 2 and answers["satisfaction"].max() - answers["satisfaction"].min() >= rules.disagreement_points:
        score -= rules.disagreement_penalty
        reasons.append("partners disagree on satisfaction")
    if in_log > reported:
        reasons.append(f"{logged(contact)}, more than the {reported} meeting{'s' if reported != 1 else ''} reported")
    if met == 0:
        reasons.append("did not meet")
    elif met < 1:
        verb = "in contact" if in_log > reported else "met"
        reasons.append(f"{verb} {count} of {rules.meetings_planned} planned times")
    if due and int(contact["steps_done"]) < due:
        reasons.append(f"{int(contact['steps_done'])} of {due} next steps due were done")
    if len(answers) == 1:
        reasons.append("only one partner answered")
    if _scaled(answers["satisfaction"]) < 0.5:
        reasons.append("low satisfaction")
    return max(0.0, min(1.0, score)), reasons


def score_pairs(active: pd.DataFrame, responses: pd.DataFrame, previous: pd.DataFrame | None, rules,
                contact: pd.DataFrame | None = None) -> pd.DataFrame:
    """Health of every pair in ``active`` for one period.

    ``previous`` is the same frame for the pair's previous period (for the trend and silence streak);
    ``contact`` what the meeting log holds for the period, one row per pair that logged anything.
    """
    before = {} if previous is None or previous.empty else previous.set_index("match_id").to_dict("index")
    by_match = {k: g for k, g in responses.groupby("match_id")} if len(responses) else {}
    logs = {} if contact is None or contact.empty else contact.set_index("match_id").to_dict("index")
    rows = []
    for pair in active.itertuples():
        answers = by_match.get(pair.match_id)
        last = before.get(pair.match_id)
        log = logs.get(pair.match_id)
        if (answers is None or answers.empty) and log and int(log["logged"]):
            rows.append((pair.match_id, pair.mentor_id, pair.mentee_id, 0.0, CHECK_IN,
                         f"no answer from either partner, but {logged(log)}", 0))
            continue
        if answers is None or answers.empty:
            streak = (int(last["silent_streak"]) if last else 0) + 1
            state = AT_RISK if streak >= rules.silent_periods_at_risk else CHECK_IN
            rows.append((pair.match_id, pair.mentor_id, pair.mentee_id, 0.0, state,
                         f"no answer from either partner ({streak} period{'s' if streak > 1 else ''} in a row)", streak))
            continue
        score, reasons = score_answers(answers, rules, log)
        if score >= rules.on_track_at:
            state = ON_TRACK
        elif score < rules.at_risk_below:
            state = AT_RISK
        else:
            state = CHECK_IN
        if last and last["score"] - score >= rules.decline_drop:
            reasons.append(f"declined from {last['score']:.2f}")
            if state == ON_TRACK:
                state = CHECK_IN
        if bool(answers["wants_end"].astype(bool).any()):
            reasons.append("a partner asked to end")
            state = AT_RISK
        rows.append((pair.match_id, pair.mentor_id, pair.mentee_id, round(score, 4), state,
                     "; ".join(reasons) or "healthy", 0))
    return pd.DataFrame(rows, columns=COLUMNS)
