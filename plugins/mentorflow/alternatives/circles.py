"""Mentoring circles: a second optimization that groups people without a one-to-one partner around
mentors who volunteered to lead a circle (``applications.circle_volunteer``).

The model, over the allowed (member m, leader l) pairs E of :class:`~mentorflow.alternatives.fit.Fit`
(every hard rule of the one-to-one matcher holds for each of them) and the topics T_l (skills leader l
offers that an allowed member wants, vocabulary-mapped)::

    maximise   Σ_{(m,l)∈E} s_ml · seat_ml  +  SHARED_TOPIC · Σ_{(m,l)∈E} shares_ml        (circle_fit)
    subject to Σ_l seat_ml ≤ 1                         for every member m        (one_circle_m)
               Σ_m seat_ml ≥ circle_min · open_l       for every leader l        (size_min_l)
               Σ_m seat_ml ≤ circle_max · open_l       for every leader l        (size_max_l)
               Σ_{s∈T_l} topic_ls ≤ open_l             for every leader l        (one_topic_l)
               shares_ml ≤ seat_ml                      for every (m,l) ∈ E       (shares_seat_m_l)
               shares_ml ≤ Σ_{s∈T_l, m wants s} topic_ls  for every (m,l) ∈ E    (shares_topic_m_l)
               seat_al + seat_bl ≤ 1                    for every pair a,b kept apart by a hard rule
                                                        (reporting line, avoid list, forbid)  (apart_a_b_l)
               open_p + Σ_l seat_pl ≤ 1                 for anyone both a leader and a member (lead_or_join_p)
               open, seat, topic binary; 0 ≤ shares ≤ 1

``s_ml`` is the matcher's score of the pair (leader as mentor), so each member sits with a leader who
fits them; each open circle has one topic, a skill its leader offers, and every member who wants that
topic earns :data:`SHARED_TOPIC` on top: members are drawn together by a want they share. A leader
leads at most one circle (one ``open_l``), on top of any one-to-one mentees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp

from mentorflow.alternatives.fit import Fit

# what sharing the circle's topic adds to a member's fit (a pair's score is a weighted mean in 0..1)
SHARED_TOPIC = 0.25
TIME_LIMIT = 60.0


@dataclass(frozen=True)
class Circle:
    """One proposed circle: its leader, members (best fit first), topic and the true reasons."""

    leader: str
    members: tuple[str, ...]
    topic: str | None
    scores: dict[str, float]
    explanation: str


def topics(f: Fit, leader: str, members: list[str]) -> list[str]:
    """Skills ``leader`` offers that at least one of ``members`` wants, alphabetically."""
    return sorted({s for m in members for s in f.wanted.get(m, ()) if s in f.offered.get(leader, ())})


def form_circles(f: Fit, circle_min: int, circle_max: int, *, time_limit: float = TIME_LIMIT) -> list[Circle]:
    """Circles of ``circle_min``..``circle_max`` of ``f.rows`` around leaders among ``f.cols`` (model above)."""
    edges = [(m, l) for i, m in enumerate(f.rows) for j, l in enumerate(f.cols)
             if np.isfinite(f.score[i, j]) and m != l]
    if not edges:
        return []
    score = {(m, l): float(f.score[f.rows.index(m), f.cols.index(l)]) for m, l in edges}
    members_of = {l: [m for m, ll in edges if ll == l] for l in f.cols}
    leader_topics = {l: topics(f, l, members_of[l]) for l in f.cols}

    # variables and constraints are named by position (m_i, l_j): employee ids may hold characters PuLP rewrites
    mi = {m: i for i, m in enumerate(f.rows)}
    lj = {l: j for j, l in enumerate(f.cols)}
    prob = pulp.LpProblem("mentoring_circles", pulp.LpMaximize)
    seat = {(m, l): pulp.LpVariable(f"seat_{mi[m]}_{lj[l]}", cat=pulp.LpBinary) for m, l in edges}
    shares = {(m, l): pulp.LpVariable(f"shares_{mi[m]}_{lj[l]}", 0, 1) for m, l in edges}
    open_ = {l: pulp.LpVariable(f"open_{lj[l]}", cat=pulp.LpBinary) for l in f.cols if members_of[l]}
    topic = {(l, s): pulp.LpVariable(f"topic_{lj[l]}_{k}", cat=pulp.LpBinary)
             for l in open_ for k, s in enumerate(leader_topics[l])}

    prob += (pulp.lpSum(score[e] * seat[e] for e in edges) + SHARED_TOPIC * pulp.lpSum(shares.values()),
             "circle_fit")
    for m in f.rows:
        mine = [seat[(m, l)] for l in f.cols if (m, l) in seat]
        if mine:
            prob += pulp.lpSum(mine) <= 1, f"one_circle_{mi[m]}"
    for l, is_open in open_.items():
        seats = pulp.lpSum(seat[(m, l)] for m in members_of[l])
        prob += seats >= circle_min * is_open, f"size_min_{lj[l]}"
        prob += seats <= circle_max * is_open, f"size_max_{lj[l]}"
        prob += pulp.lpSum(topic[(l, s)] for s in leader_topics[l]) <= is_open, f"one_topic_{lj[l]}"
    for m, l in edges:
        prob += shares[(m, l)] <= seat[(m, l)], f"shares_seat_{mi[m]}_{lj[l]}"
        wanted = [topic[(l, s)] for s in leader_topics[l] if s in f.wanted.get(m, ())]
        prob += shares[(m, l)] <= pulp.lpSum(wanted), f"shares_topic_{mi[m]}_{lj[l]}"
    for pair in sorted(f.apart, key=sorted):
        a, b = sorted(pair)
        for l in open_:
            if (a, l) in seat and (b, l) in seat:
                prob += seat[(a, l)] + seat[(b, l)] <= 1, f"apart_{mi[a]}_{mi[b]}_{lj[l]}"
    for p in set(f.rows) & set(open_):
        prob += open_[p] + pulp.lpSum(seat[(p, l)] for l in f.cols if (p, l) in seat) <= 1, f"lead_or_join_{mi[p]}"

    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
    circles = []
    for l, is_open in open_.items():
        if (is_open.varValue or 0) < 0.5:
            continue
        members = sorted((m for m in members_of[l] if (seat[(m, l)].varValue or 0) > 0.5),
                         key=lambda m: (-score[(m, l)], m))
        if not members:
            continue
        chosen = next((s for s in leader_topics[l] if (topic[(l, s)].varValue or 0) > 0.5), None)
        circles.append(Circle(l, tuple(members), chosen, {m: round(score[(m, l)], 4) for m in members},
                              explain(f, l, members, chosen)))
    return circles


def explain(f: Fit, leader: str, members: list[str], topic: str | None) -> str:
    """What the circle's members share and what its leader offers, only where true."""
    reasons = []
    if topic is not None:
        wanting = [m for m in members if topic in f.wanted.get(m, ())]
        if len(wanting) == len(members):
            reasons.append(f"you all want to learn {topic}; the leader offers {topic}")
        else:
            reasons.append(f"{len(wanting)} of the {len(members)} members want to learn {topic}; the leader "
                           f"offers {topic}")
    common = set.intersection(*(set(f.wanted.get(m, ())) for m in members)) - {topic} if members else set()
    if common:
        reasons.append("you all also want to learn " + ", ".join(sorted(common)))
    reasons.append("the leader fits every member under the program's rules (level, reporting line, skills)")
    return "; ".join(reasons)
