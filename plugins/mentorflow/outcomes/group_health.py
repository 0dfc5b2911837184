"""Group health from the monthly pulse: one score and state per group (pairs sharing ``matches.group_id``: a
group cohort's mentor and mentees, or a mentoring circle) and period, from its pairs' health.

Each person answers the pulse once about the group as a whole, and the answer is stored for each of their
pairs in it, so every pair of the group carries the leader's answer and its member's. Then:

- score: the mean of the group's pair scores (:func:`health.score_pairs`; a silent pair scores 0);
- the leader is *at risk* when they did not answer, asked to end, or their own answer scores below
  ``at_risk_below`` (scored alone with the pair formula);
- a member is *at risk or silent* when their pair is At risk or they did not answer;
- state: At risk when the leader is at risk or at least half the members are at risk or silent; otherwise
  by the score with the pair thresholds (``on_track_at``, ``at_risk_below``), and a group with any member at
  risk or silent is at best Needs check-in.

Thresholds come from the cohort YAML's ``health`` section, as for pairs.
"""

from __future__ import annotations

import pandas as pd

from mentorflow.outcomes.health import AT_RISK, CHECK_IN, ON_TRACK, score_answers

COLUMNS = ["group_id", "leader_id", "members", "score", "state", "reasons"]


def leader_concern(answers: pd.DataFrame, rules) -> str | None:
    """Why the leader's own answers (the same answer on each of their pairs) put the group at risk, if they do."""
    if answers.empty:
        return "the leader did not answer"
    if bool(answers["wants_end"].astype(bool).any()):
        return "the leader asked to end"
    score = sum(score_answers(answers.iloc[[i]], rules)[0] for i in range(len(answers))) / len(answers)
    return f"the leader's check-in scores {score:.2f}" if score < rules.at_risk_below else None


def score_groups(pairs: pd.DataFrame, scored: pd.DataFrame, answers: pd.DataFrame, rules) -> pd.DataFrame:
    """Health of every group among ``pairs`` (the surveyed pairs, with ``group_id``) for one period, from
    ``scored`` (their pair health, :func:`health.score_pairs`) and the period's ``answers``."""
    if pairs.empty or "group_id" not in pairs.columns or pairs["group_id"].isna().all():
        return pd.DataFrame(columns=COLUMNS)
    pair_score = scored.set_index("match_id")
    rows = []
    for group_id, group in pairs[pairs["group_id"].notna()].groupby("group_id"):
        leader = group["mentor_id"].iloc[0]
        mine = answers[answers["match_id"].isin(group["match_id"])] if len(answers) else answers
        said = mine[mine["respondent_id"] == leader] if len(mine) else mine
        members = list(dict.fromkeys(group["mentee_id"]))
        flagged = 0
        for member in members:
            theirs = group[group["mentee_id"] == member]
            answered = len(mine) and bool(((mine["respondent_id"] == member)
                                           & mine["match_id"].isin(theirs["match_id"])).any())
            at_risk = (pair_score.loc[theirs["match_id"], "state"] == AT_RISK).any()
            flagged += int(bool(at_risk) or not answered)
        score = float(pair_score.loc[group["match_id"], "score"].mean())
        concern = leader_concern(said, rules)
        reasons = [concern] if concern else []
        if flagged:
            reasons.append(f"{flagged} of {len(members)} member{'s' if len(members) != 1 else ''} at risk or silent")
        if concern or 2 * flagged >= max(len(members), 1) or score < rules.at_risk_below:
            state = AT_RISK
        elif score >= rules.on_track_at and not flagged:
            state = ON_TRACK
        else:
            state = CHECK_IN
        rows.append((int(group_id), leader, len(members), round(score, 4), state, "; ".join(reasons) or "healthy"))
    return pd.DataFrame(rows, columns=COLUMNS)
