"""Fairness and bias audit of a proposal, for the matching committee.

For each grouping (department, level, location, and demographic fields of people who consented)
it compares every group's match rate and mean score with the whole cohort. Groups smaller than
:data:`MIN_CELL` people are suppressed (shown as "<5", never compared), and a difference beyond
:data:`RATE_GAP` (match rate) or :data:`SCORE_GAP` (mean score) is flagged. Each row keeps its raw
figures: the committee report publishes them through the disclosure rules
(:func:`mentorflow.reports.matches.published_audit`), which also keep a small group from being worked
out of the totals (the demographic groupings all add up to the people who consented).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mentorflow.contract.disclosure import MIN_CELL

RATE_GAP = 0.15
SCORE_GAP = 0.10
GROUPINGS = ("department", "level", "location")
DEMOGRAPHICS = ("gender", "ethnicity", "age_band", "disability")
CONSENT = "demographics_consent"


@dataclass
class GroupRow:
    grouping: str
    group: str
    people: str  # count, or "<5"
    match_rate: str
    mean_score: str
    flag: str = ""
    # the raw figures behind the texts, for the report writer's disclosure rules
    size: int = 0
    matched: int = 0
    mean: float | None = None  # mean score of the group's matched people (None under MIN_CELL of them)
    rate_flag: str = ""
    score_flag: str = ""


@dataclass
class Audit:
    rows: list[GroupRow] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    overall_rate: float = 0.0
    overall_score: float = 0.0
    population: int = 0
    matched: int = 0


def _consented(people: pd.DataFrame) -> pd.Series:
    if CONSENT not in people:
        return pd.Series(False, index=people.index)
    return people[CONSENT].astype(str).str.lower().isin({"true", "1", "yes", "y", "t"})


def audit(people: pd.DataFrame, seekers: list[str], pairs: pd.DataFrame) -> Audit:
    """``seekers``: everyone who looked for a partner this round (mentees, or everyone in symbiotic
    cohorts); ``pairs``: mentor_id, mentee_id, score."""
    roster = people.drop_duplicates("employee_id").set_index("employee_id")
    ids = [s for s in dict.fromkeys(seekers) if s in roster.index]
    frame = roster.loc[ids].copy()
    score = {}
    for p in pairs.itertuples():
        for person in (p.mentee_id, p.mentor_id):
            score[person] = max(score.get(person, 0.0), float(p.score))
    frame["matched"] = [i in score for i in ids]
    frame["score"] = [score.get(i) for i in ids]
    result = Audit(population=len(frame))
    if frame.empty:
        return result
    result.overall_rate = float(frame["matched"].mean())
    result.matched = int(frame["matched"].sum())
    matched_scores = frame.loc[frame["matched"], "score"]
    result.overall_score = float(matched_scores.mean()) if len(matched_scores) else 0.0
    consent = _consented(frame)
    groupings = [g for g in GROUPINGS if g in frame] + [d for d in DEMOGRAPHICS if d in frame and consent.any()]
    for grouping in groupings:
        data = frame[consent] if grouping in DEMOGRAPHICS else frame
        for group, members in sorted(data.groupby(grouping, dropna=False), key=lambda kv: str(kv[0])):
            label = "(not given)" if pd.isna(group) or group == "" else str(group)
            matched = int(members["matched"].sum())
            if len(members) < MIN_CELL:
                result.rows.append(GroupRow(grouping, label, f"<{MIN_CELL}", "suppressed", "suppressed",
                                            size=len(members), matched=matched))
                continue
            rate = float(members["matched"].mean())
            scored = members.loc[members["matched"], "score"]
            mean = float(scored.mean()) if len(scored) >= MIN_CELL else None
            rate_flag = (f"match rate {rate:.0%} vs {result.overall_rate:.0%} overall"
                         if abs(rate - result.overall_rate) > RATE_GAP else "")
            score_flag = (f"mean score {mean:.2f} vs {result.overall_score:.2f} overall"
                          if mean is not None and abs(mean - result.overall_score) > SCORE_GAP else "")
            flags = [f for f in (rate_flag, score_flag) if f]
            row = GroupRow(grouping, label, str(len(members)), f"{rate:.0%}",
                           f"{mean:.3f}" if mean is not None else "suppressed", "; ".join(flags),
                           size=len(members), matched=matched, mean=mean, rate_flag=rate_flag, score_flag=score_flag)
            result.rows.append(row)
            if flags:
                result.flags.append(f"{grouping} {label}: " + "; ".join(flags))
    return result
