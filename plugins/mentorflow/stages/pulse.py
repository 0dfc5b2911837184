"""Pulse stage: at each pulse date, score last period's pair health (alerting ops about pairs at risk)
and send this period's check-in; at a reminder date, remind partners who have not answered."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mentorflow.cohorts import calendar
from mentorflow.messaging.ledger import undeliverable
from mentorflow.outcomes import group_health, health
from mentorflow.quality import stage_gates
from mentorflow.reports.pulse import write_pulse_report
from mentorflow.stages import groups
from mentorflow.stages.common import (
    CohortRun,
    compose,
    form_link,
    partners_by_person,
    people_index,
    program_contact,
    send,
)
from mentorflow.store import email_ledger, matches, pair_health, pulse_responses
from mentorflow.store import group_health as group_health_table
from mentorflow.workspace import contact

HEALTH_COLUMNS = ["cohort_id", "period", "match_id", "score", "state", "reasons", "silent_streak"]
GROUP_HEALTH_COLUMNS = ["cohort_id", "period", *group_health.COLUMNS]


def current_period(run: CohortRun) -> str:
    return calendar.pulse_period(run.config, run.moment)


def assess_previous_period(run: CohortRun) -> dict[str, Any]:
    """At a pulse date, the period that just closed is assessed (none before the first)."""
    return assess_health(run, calendar.previous_period(current_period(run)))


def assess_health(run: CohortRun, period: str | None) -> dict[str, Any]:
    """Score every active pair surveyed for a closed period (pulse answers and the meeting log), store the
    scores, alert ops about pairs at risk."""
    if period is None:
        return {"assessed": 0, "note": "no earlier period to assess"}
    config, store = run.config, run.store
    surveyed_pairs = pairs_surveyed(run, period)
    answers = stage_gates.check_pulse(config, store, store.frame(pulse_responses, cohort_id=run.cohort, period=period))
    stage_gates.check_workspace(config, store)  # bad partnership rows are quarantined before health counts the log
    earlier = calendar.previous_period(period)
    previous = store.frame(pair_health, cohort_id=run.cohort, period=earlier) if earlier else None
    # the partnership page's log counts as contact too (a written exchange is contact: workspace/contact.py)
    logged = contact.logged_contact(config, store, period, surveyed_pairs, run.moment)
    scored = health.score_pairs(surveyed_pairs, answers, previous, config.health, logged)
    if scored.empty:
        return {"period": period, "assessed": 0}
    scored["cohort_id"], scored["period"] = run.cohort, period
    # groups (pairs sharing a group_id) get one score each as well (outcomes/group_health.py)
    scored_groups = group_health.score_groups(surveyed_pairs, scored, answers, config.health)
    scored_groups["cohort_id"], scored_groups["period"] = run.cohort, period
    with store.begin() as conn:
        store.upsert(pair_health, scored[HEALTH_COLUMNS].to_dict("records"), conn=conn)
        if len(scored_groups):
            store.upsert(group_health_table, scored_groups[GROUP_HEALTH_COLUMNS].to_dict("records"), conn=conn)
    with_groups = scored.merge(surveyed_pairs[["match_id", "group_id"]], on="match_id", how="left")
    alert = at_risk_alert(run, period, with_groups[with_groups["state"] == health.AT_RISK],
                          scored_groups[scored_groups["state"] == health.AT_RISK])
    sent = send(run, alert) if alert else {}
    counts = scored["state"].value_counts().to_dict()
    report = write_pulse_report(config, store, period)
    return {"period": period, "assessed": len(scored), **{k.lower().replace(" ", "_"): int(v) for k, v in counts.items()},
            **({"groups_assessed": len(scored_groups)} if len(scored_groups) else {}),
            "alert": sent, "report": str(report)}


def pairs_surveyed(run: CohortRun, period: str) -> pd.DataFrame:
    """The active pairs that were asked about ``period`` (a pair formed later has nothing to answer yet)."""
    store = run.store
    active = store.frame(matches, cohort_id=run.cohort, status="active")
    surveyed = {r["person_id"] for r in store.rows(email_ledger, cohort_id=run.cohort, template="pulse", period=period)}
    active = active[active["mentor_id"].isin(surveyed) | active["mentee_id"].isin(surveyed)]
    if len(active) and calendar.period_start(run.config, period) < calendar.midpoint(run.config):
        # a pair formed at the midpoint shares people with surveyed pairs but was not itself asked
        active = active[active["round"] != "midpoint"]
    return active


def at_risk_alert(run: CohortRun, period: str, at_risk: pd.DataFrame, groups_at_risk: pd.DataFrame | None = None) -> list:
    """One email to ops listing the pairs and the groups at risk (none when nothing is); a pair of a group at
    risk is named with its group, not again on its own."""
    groups_at_risk = pd.DataFrame(columns=group_health.COLUMNS) if groups_at_risk is None else groups_at_risk
    if at_risk.empty and groups_at_risk.empty:
        return []
    everyone = people_index(run.store, run.cohort)
    if "group_id" in at_risk.columns and len(groups_at_risk):
        at_risk = at_risk[~at_risk["group_id"].isin(groups_at_risk["group_id"])]
    pairs = [{"match_id": int(r.match_id), "score": float(r.score), "reasons": r.reasons,
              "mentor_name": everyone[r.mentor_id]["full_name"], "mentee_name": everyone[r.mentee_id]["full_name"]}
             for r in at_risk.itertuples()]
    at_risk_groups = [{"group_id": int(r.group_id), "leader_name": everyone[r.leader_id]["full_name"],
                       "members": int(r.members), "score": float(r.score), "reasons": r.reasons}
                      for r in groups_at_risk.itertuples()]
    return [compose(run.config, program_contact(run.config), "at_risk", period, pairs=pairs, groups=at_risk_groups,
                    period=period, undeliverable=undeliverable(run.store, run.cohort))]


def send_pulse(run: CohortRun) -> dict[str, Any]:
    """One check-in email per person in an active pair, naming every partner they have, and each group
    they are in once (not each pair of it)."""
    period = current_period(run)
    active = run.store.rows(matches, cohort_id=run.cohort, status="active")
    pairs, grouped = groups.split(active)
    partners = partners_by_person(pairs)
    for person in partners_by_person(grouped):  # someone only in a group has no partner named on their own
        partners.setdefault(person, [])
    messages = check_ins(run, "pulse", period, partners, grouped)
    return {"period": period, "pairs": len(active), **send(run, messages)}


def send_pulse_reminders(run: CohortRun) -> dict[str, Any]:
    """Remind each partner who was sent this period's check-in and has not answered it."""
    period = current_period(run)
    store = run.store
    asked = {r["person_id"] for r in store.rows(email_ledger, cohort_id=run.cohort, template="pulse", period=period)
             if r["status"] == "sent"}
    answered = {r["respondent_id"] for r in store.rows(pulse_responses, cohort_id=run.cohort, period=period)}
    pairs, grouped = groups.split(store.rows(matches, cohort_id=run.cohort, status="active"))
    partners = partners_by_person(pairs)
    in_groups = partners_by_person(grouped)
    due = {p: partners.get(p, []) for p in sorted(asked - answered) if p in partners or p in in_groups}
    messages = check_ins(run, "pulse_reminder", period, due, grouped)
    return {"period": period, "reminded": len(due), **send(run, messages)}


def check_ins(run: CohortRun, template: str, period: str, partners: dict[str, list[str]],
              grouped: list[dict[str, Any]] = ()) -> list:
    """A check-in (or its reminder) per person, naming every partner and each group of ``grouped`` (pairs of
    a group) once, with the period's deadline. Only the people in ``partners`` are written to."""
    everyone = people_index(run.store, run.cohort)
    in_groups = groups.check_in_groups(list(grouped), everyone)
    closes = calendar.describe(calendar.form_deadline(run.config, "pulse", period), run.config)
    return [compose(run.config, everyone[me], template, period, partnered=True, partners=[everyone[p] for p in theirs],
                    groups=in_groups.get(me, []), period=period, closes=closes,
                    link=form_link(run.config, me, "pulse", period))
            for me, theirs in sorted(partners.items())]
