"""The work of each lifecycle stage, one function per Airflow task.

Each function takes the cohort config, the program store and the run's moment,
does one step, writes its results to the store and returns a small JSON-able
summary (which Airflow keeps as the task's XCom and ``mentorflow cohort status``
shows). DAG files only wire these together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa

from mentorflow import eligibility, paths, reports, tokens
from mentorflow.config import CohortConfig
from mentorflow.emailing import LedgerKey, OutgoingEmail, render_email
from mentorflow.emailing.delivery import backend_for
from mentorflow.emailing.ledger import send_once
from mentorflow.store import (
    Store,
    applications,
    email_ledger,
    evaluations,
    matches,
    pair_health,
    people,
    pulse_responses,
    unmatched,
)


class GateFailure(RuntimeError):
    """A hard data-quality failure: the stage stops and nothing downstream runs."""


# -- shared helpers ---------------------------------------------------------------------------


def _email(config: CohortConfig, person: dict[str, Any], template: str, ledger_period: str, **context: Any) -> OutgoingEmail:
    ctx = {"cohort": {"cohort": config.cohort, "name": config.name, "program_type": config.program_type.value},
           "person": person, "ops_email": config.sender.ops_email, **context}
    subject, html, text = render_email(template, ctx)
    return OutgoingEmail(
        key=LedgerKey(config.cohort, person["employee_id"], template, ledger_period),
        to_email=person["email"], to_name=person["full_name"], subject=subject, html=html, text=text,
        from_email=config.sender.from_email, from_name=config.sender.from_name,
        categories=("mentorflow", template, config.cohort),
    )


def _send(config: CohortConfig, store: Store, messages: list[OutgoingEmail]) -> dict[str, int]:
    return send_once(store, backend_for(config), messages)


def _ops_person(config: CohortConfig, who: str = "ops") -> dict[str, Any]:
    email = config.sender.ops_email if who == "ops" else config.sender.hr_email
    return {"employee_id": f"__{who}__", "full_name": "Program ops" if who == "ops" else "HR", "email": email}


def _link(config: CohortConfig, person_id: str, form: str, period: str) -> str:
    return tokens.link(config.forms_base_url, tokens.FormGrant(config.cohort, person_id, form, period))


def _deadline(config: CohortConfig) -> str:
    return config.at(config.calendar.application_close).strftime("%A %d %B %Y, %H:%M %Z")


def _people_index(store: Store, cohort: str) -> dict[str, dict[str, Any]]:
    return {p["employee_id"]: p for p in store.rows(people, cohort_id=cohort)}


# -- open -------------------------------------------------------------------------------------


def import_roster(config: CohortConfig, store: Store, today: dt.date) -> dict[str, Any]:
    """Load the HRIS roster through the roster gate (bad rows quarantined), then compute eligibility."""
    from mentorflow.quality import stages

    store.register_cohort(config)
    rows, gate = stages.check_roster(config, store, config.resolve(config.sources.roster_csv))
    assessed = eligibility.assess(pd.DataFrame(rows), config.eligibility, today)
    assessed["cohort_id"] = config.cohort
    store.upsert(people, assessed.to_dict("records"))
    return {"rows": gate.checked, "people": len(assessed), "eligible": int(assessed["eligible"].sum()),
            "quarantined_rows": stages.held_count(gate), "report": str(gate.report)}


def send_invitations(config: CohortConfig, store: Store) -> dict[str, Any]:
    invitees = [p for p in store.rows(people, cohort_id=config.cohort) if p["eligible"]]
    deadline = _deadline(config)
    messages = [
        _email(config, p, "invitation", "window", deadline=deadline,
               link=_link(config, p["employee_id"], "application", "window"))
        for p in invitees
    ]
    return {"invited": len(invitees), **_send(config, store, messages)}


# -- intake -----------------------------------------------------------------------------------


def import_applications(config: CohortConfig, store: Store) -> dict[str, Any]:
    """Applications collected elsewhere (a CSV per the data contract); form submissions win."""
    if not config.sources.applications_csv:
        return {"imported": 0, "note": "no applications_csv configured: applications arrive through the forms"}
    from mentorflow.quality import stages

    rows, gate = stages.check_intake(config, store, config.resolve(config.sources.applications_csv))
    now = dt.datetime.now(dt.timezone.utc)
    records = [{**r, "cohort_id": config.cohort, "source": "csv", "status": "received", "submitted_at": now}
               for r in rows]
    # keep what people submitted through the forms: the CSV only fills in who is missing
    store.upsert(applications, records, update=False)
    return {"rows": gate.checked, "imported": len(records), "quarantined_rows": stages.held_count(gate),
            "report": str(gate.report)}


def send_reminders(config: CohortConfig, store: Store, now: dt.datetime) -> dict[str, Any]:
    """Remind eligible people who have not applied, once per reminder interval since the window opened."""
    opened = config.at(config.calendar.application_open)
    wave = int((now - opened) / dt.timedelta(days=config.calendar.reminder_after_days))
    if wave < 1 or now >= config.at(config.calendar.application_close):
        return {"reminded": 0, "note": "no reminder due"}
    applied = {a["employee_id"] for a in store.rows(applications, cohort_id=config.cohort)}
    due = [p for p in store.rows(people, cohort_id=config.cohort) if p["eligible"] and p["employee_id"] not in applied]
    deadline = _deadline(config)
    messages = [
        _email(config, p, "reminder", f"wave-{wave}", deadline=deadline,
               link=_link(config, p["employee_id"], "application", "window"))
        for p in due
    ]
    return {"reminded": len(due), **_send(config, store, messages)}


def send_gapfill(config: CohortConfig, store: Store, only: set[str] | None = None) -> dict[str, Any]:
    """Ask applicants with incomplete answers to complete them (once per distinct set of gaps);
    ``only`` limits it to these applicants (the validate stage: those quarantined for missing answers)."""
    from mentorflow.quality.suites import answer_gaps

    everyone = _people_index(store, config.cohort)
    apps = store.frame(applications, cohort_id=config.cohort)
    apps = apps[apps["status"] != "rejected"]
    if only is not None:
        apps = apps[apps["employee_id"].isin(only)]
    messages = []
    for employee_id, gaps in zip(apps["employee_id"], answer_gaps(apps) if len(apps) else []):
        person = everyone.get(employee_id)
        if gaps and person:
            period = "gaps-" + "-".join(sorted(g.split()[1] for g in gaps))
            messages.append(_email(config, person, "gapfill", period, missing=gaps,
                                   link=_link(config, person["employee_id"], "gapfill", "window")))
    return {"incomplete": len(messages), **_send(config, store, messages)}


# -- validate ---------------------------------------------------------------------------------


def validate_applications(config: CohortConfig, store: Store) -> dict[str, Any]:
    """Freeze applications through the applications gate (invalid ones quarantined with reasons, the
    report written) and ask the applicants quarantined for missing answers to complete them."""
    from mentorflow.quality import stages

    summary = stages.check_applications(config, store)
    summary["gapfill"] = send_gapfill(config, store, only=summary.pop("incomplete"))
    if summary["valid"] == 0:
        raise GateFailure(f"applications: none of {summary['applications']} applications is valid; "
                          f"see {summary['report']}")
    return summary


# -- match ------------------------------------------------------------------------------------


def _match_input(config: CohortConfig, store: Store, **extra: Any):
    from mentorflow.matching import MatchInput

    roster = store.frame(people, cohort_id=config.cohort)
    apps = store.frame(applications, cohort_id=config.cohort, status="valid")
    history = _previous_pairs(config, store)
    return MatchInput(
        program_type=config.program_type.value, rules=config.matching.rules,
        people=roster[roster["eligible"].astype(bool)], applications=apps, previous_pairs=history,
        forbidden_pairs={tuple(p) for p in config.matching.forbids},
        locked_pairs=[tuple(p) for p in config.matching.locks], **extra,
    )


def _previous_pairs(config: CohortConfig, store: Store) -> set[tuple[str, str]]:
    if not config.matching.rules.forbid_repeat_pairs or not config.previous_cohorts:
        return set()
    stmt = sa.select(matches.c.mentor_id, matches.c.mentee_id).where(
        matches.c.cohort_id.in_(config.previous_cohorts), matches.c.status.in_(["active", "ended", "completed"]))
    with store.engine.connect() as conn:
        return {tuple(r) for r in conn.execute(stmt)}


def propose_matches(config: CohortConfig, store: Store, round_name: str = "initial") -> dict[str, Any]:
    from mentorflow.matching import propose
    from mentorflow.quality import stages

    inp = _match_input(config, store)
    result = stages.check_proposal(config, store, propose(inp), inp)
    _replace_proposal(config, store, round_name, result)
    report = reports.write_match_report(config, store, round_name)
    return {"pairs": len(result.pairs), "unmatched": len(result.unmatched),
            "mean_score": round(float(result.pairs["score"].mean()), 4) if len(result.pairs) else 0.0,
            "report": str(report)}


def _replace_proposal(config: CohortConfig, store: Store, round_name: str, result) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    with store.engine.begin() as conn:
        conn.execute(matches.delete().where(matches.c.cohort_id == config.cohort, matches.c.round == round_name,
                                            matches.c.status == "proposed"))
        conn.execute(unmatched.delete().where(unmatched.c.cohort_id == config.cohort, unmatched.c.round == round_name))
        if len(result.pairs):
            conn.execute(matches.insert(), [
                {"cohort_id": config.cohort, "round": round_name, "mentor_id": r.mentor_id, "mentee_id": r.mentee_id,
                 "score": float(r.score), "explanation": r.explanation, "status": "proposed", "created_at": now}
                for r in result.pairs.itertuples()
            ])
        if len(result.unmatched):
            conn.execute(unmatched.insert(), [
                {"cohort_id": config.cohort, "round": round_name, "employee_id": r.employee_id, "reason": r.reason}
                for r in result.unmatched.itertuples()
            ])


def committee_summary(config: CohortConfig, store: Store, round_name: str = "initial") -> str:
    """The text the committee reads in the approval step."""
    proposed = store.rows(matches, cohort_id=config.cohort, round=round_name, status="proposed")
    left = store.rows(unmatched, cohort_id=config.cohort, round=round_name)
    scores = [m["score"] for m in proposed]
    lines = [
        f"**{config.name}** ({round_name} round): {len(proposed)} proposed pairs, {len(left)} unmatched.",
        f"Mean score {sum(scores) / len(scores):.3f}, lowest {min(scores):.3f}." if scores else "No pairs proposed.",
        f"Full report: {paths.reports_dir(config.cohort) / f'matches-{round_name}.html'}",
    ]
    return "\n\n".join(lines)


def approve_matches(config: CohortConfig, store: Store, round_name: str = "initial") -> dict[str, Any]:
    with store.engine.begin() as conn:
        done = conn.execute(matches.update().where(matches.c.cohort_id == config.cohort, matches.c.round == round_name,
                                                   matches.c.status == "proposed").values(status="approved"))
    return {"approved": done.rowcount}


# -- kickoff ----------------------------------------------------------------------------------


def _pair_emails(config: CohortConfig, store: Store, pair: dict[str, Any], template: str, period: str,
                 everyone: dict, apps: dict) -> list[OutgoingEmail]:
    mentor, mentee = everyone[pair["mentor_id"]], everyone[pair["mentee_id"]]
    reasons = [r.strip() for r in pair["explanation"].split(";") if r.strip()]
    out = []
    for me, partner, role in ((mentor, mentee, "mentor"), (mentee, mentor, "mentee")):
        if config.program_type.value == "symbiotic":
            role = "mentor and mentee (you learn from each other)"
        out.append(_email(config, me, template, period, partner=partner, my_role=role, reasons=reasons,
                          my_goals=(apps.get(me["employee_id"]) or {}).get("goals"),
                          partner_goals=(apps.get(partner["employee_id"]) or {}).get("goals"), resources=[]))
    return out


def send_kickoff(config: CohortConfig, store: Store) -> dict[str, Any]:
    """Introduce every approved pair (both partners), then mark the pairs active."""
    everyone = _people_index(store, config.cohort)
    apps = {a["employee_id"]: a for a in store.rows(applications, cohort_id=config.cohort)}
    approved = store.rows(matches, cohort_id=config.cohort, round="initial", status="approved")
    messages = [m for pair in approved for m in _pair_emails(config, store, pair, "kickoff", "kickoff", everyone, apps)]
    counts = _send(config, store, messages)
    with store.engine.begin() as conn:
        conn.execute(matches.update().where(matches.c.cohort_id == config.cohort, matches.c.status == "approved",
                                            matches.c.round == "initial").values(status="active"))
    return {"pairs": len(approved), **counts}


# -- pulse ------------------------------------------------------------------------------------


def pulse_period(config: CohortConfig, moment: dt.datetime) -> str:
    """The label of the pulse period that starts at or before ``moment`` ('pulse-1', 'pulse-2', ...)."""
    dates = config.pulse_dates()
    index = sum(1 for d in dates if d <= moment + dt.timedelta(seconds=1))
    return f"pulse-{max(index, 1)}"


def previous_period(config: CohortConfig, period: str) -> str | None:
    number = int(period.split("-")[1])
    return f"pulse-{number - 1}" if number > 1 else None


def send_pulse(config: CohortConfig, store: Store, period: str) -> dict[str, Any]:
    everyone = _people_index(store, config.cohort)
    active = store.rows(matches, cohort_id=config.cohort, status="active")
    messages = []
    for pair in active:
        for me, partner in ((pair["mentor_id"], pair["mentee_id"]), (pair["mentee_id"], pair["mentor_id"])):
            messages.append(_email(config, everyone[me], "pulse", period, partner=everyone[partner], period=period,
                                   link=_link(config, me, "pulse", period)))
    return {"period": period, "pairs": len(active), **_send(config, store, messages)}


def assess_health(config: CohortConfig, store: Store, period: str | None) -> dict[str, Any]:
    """Score every active pair for a closed period and alert ops about pairs at risk."""
    from mentorflow import health

    if period is None:
        return {"assessed": 0, "note": "no earlier period to assess"}
    active = store.frame(matches, cohort_id=config.cohort, status="active")
    # only pairs that were asked about this period (a pair formed later has nothing to answer yet)
    surveyed = {r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="pulse", period=period)}
    active = active[active["mentor_id"].isin(surveyed) | active["mentee_id"].isin(surveyed)]
    from mentorflow.quality import stages

    answers = store.frame(pulse_responses, cohort_id=config.cohort, period=period)
    responses = stages.check_pulse(config, store, answers)
    scored = health.score_pairs(active, responses)
    if scored.empty:
        return {"period": period, "assessed": 0}
    scored["cohort_id"], scored["period"] = config.cohort, period
    store.upsert(pair_health, scored[["cohort_id", "period", "match_id", "score", "state", "reasons"]].to_dict("records"))
    at_risk = scored[scored["state"] == health.AT_RISK]
    sent = {}
    if not at_risk.empty:
        everyone = _people_index(store, config.cohort)
        pairs = [{"match_id": int(r.match_id), "score": float(r.score), "reasons": r.reasons,
                  "mentor_name": everyone[r.mentor_id]["full_name"], "mentee_name": everyone[r.mentee_id]["full_name"]}
                 for r in at_risk.itertuples()]
        sent = _send(config, store, [_email(config, _ops_person(config), "at_risk", period, pairs=pairs, period=period)])
    counts = scored["state"].value_counts().to_dict()
    return {"period": period, "assessed": len(scored), **{k.lower().replace(" ", "_"): int(v) for k, v in counts.items()},
            "alert": sent}


# -- midpoint ---------------------------------------------------------------------------------


def latest_assessed_period(store: Store, cohort: str) -> str | None:
    periods = {r["period"] for r in store.rows(pair_health, cohort_id=cohort)}
    return max(periods, key=lambda p: int(p.split("-")[1])) if periods else None


def rematch(config: CohortConfig, store: Store) -> dict[str, Any]:
    """End at-risk pairs and pairs a partner asked to end; propose new partners for the mentees freed.

    Healthy pairs stay fixed; former partners are never paired again.
    """
    from mentorflow import health
    from mentorflow.matching import propose
    from mentorflow.quality import stages

    period = latest_assessed_period(store, config.cohort)
    states = {r["match_id"]: r["state"] for r in store.rows(pair_health, cohort_id=config.cohort, period=period)} if period else {}
    wants_end = {r["match_id"] for r in store.rows(pulse_responses, cohort_id=config.cohort) if r["wants_end"]}
    active = store.rows(matches, cohort_id=config.cohort, status="active")
    ending = [m for m in active if states.get(m["match_id"]) == health.AT_RISK or m["match_id"] in wants_end]
    keep = [m for m in active if m not in ending]
    now = dt.datetime.now(dt.timezone.utc)
    with store.engine.begin() as conn:
        for m in ending:
            why = "partner asked to end" if m["match_id"] in wants_end else f"at risk in {period}"
            conn.execute(matches.update().where(matches.c.match_id == m["match_id"])
                         .values(status="ended", ended_at=now, end_reason=why))
    former = {(m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=config.cohort)}
    freed = {m["mentee_id"] for m in ending}
    inp = _match_input(config, store, fixed_pairs=[(m["mentor_id"], m["mentee_id"]) for m in keep])
    inp.forbidden_pairs |= former
    # only freed mentees look for a partner; everyone else keeps theirs
    inp.applications = inp.applications[inp.applications["role"].isin(["mentor", "both"]) |
                                        inp.applications["employee_id"].isin(freed)]
    inp.applications = inp.applications[~(inp.applications["role"].eq("mentee") & ~inp.applications["employee_id"].isin(freed))]
    result = propose(inp)
    result.pairs = result.pairs[result.pairs["mentee_id"].isin(freed)]
    result.unmatched = result.unmatched[result.unmatched["employee_id"].isin(freed)]
    result = stages.check_proposal(config, store, result, inp, to_place=freed)
    _replace_proposal(config, store, "midpoint", result)
    report = reports.write_match_report(config, store, "midpoint")
    return {"ended": len(ending), "kept": len(keep), "new_pairs": len(result.pairs),
            "still_unmatched": len(result.unmatched), "report": str(report)}


def activate_rematches(config: CohortConfig, store: Store) -> dict[str, Any]:
    """Activate approved midpoint pairs and tell everyone affected (and no one else)."""
    everyone = _people_index(store, config.cohort)
    apps = {a["employee_id"]: a for a in store.rows(applications, cohort_id=config.cohort)}
    new_pairs = store.rows(matches, cohort_id=config.cohort, round="midpoint", status="approved")
    ended = store.rows(matches, cohort_id=config.cohort, status="ended")
    messages = [m for pair in new_pairs for m in _pair_emails(config, store, pair, "rematch", "midpoint", everyone, apps)]
    rehomed = {p["mentor_id"] for p in new_pairs} | {p["mentee_id"] for p in new_pairs}
    left_alone = {p for m in ended for p in (m["mentor_id"], m["mentee_id"])} - rehomed
    still_active = {p for m in store.rows(matches, cohort_id=config.cohort, status="active")
                    for p in (m["mentor_id"], m["mentee_id"])}
    for person in sorted(left_alone - still_active):
        messages.append(_email(config, everyone[person], "rematch", "midpoint", partner=None, reasons=[]))
    counts = _send(config, store, messages)
    with store.engine.begin() as conn:
        conn.execute(matches.update().where(matches.c.cohort_id == config.cohort, matches.c.round == "midpoint",
                                            matches.c.status == "approved").values(status="active"))
    return {"activated": len(new_pairs), "notified": len(messages), **counts}


# -- close-out --------------------------------------------------------------------------------


def send_closeout_survey(config: CohortConfig, store: Store) -> dict[str, Any]:
    everyone = _people_index(store, config.cohort)
    participants = sorted({p for m in store.rows(matches, cohort_id=config.cohort)
                           if m["status"] in ("active", "ended") for p in (m["mentor_id"], m["mentee_id"])})
    messages = [_email(config, everyone[p], "closeout", "closeout", link=_link(config, p, "closeout", "closeout"))
                for p in participants]
    return {"participants": len(participants), **_send(config, store, messages)}


def complete_pairs(config: CohortConfig, store: Store) -> dict[str, Any]:
    with store.engine.begin() as conn:
        done = conn.execute(matches.update().where(matches.c.cohort_id == config.cohort, matches.c.status == "active")
                            .values(status="completed", ended_at=dt.datetime.now(dt.timezone.utc)))
    return {"completed": done.rowcount}


def build_hr_report(config: CohortConfig, store: Store) -> dict[str, Any]:
    from mentorflow.quality import stages

    stages.check_closeout(config, store)
    html_path, csv_path = reports.write_hr_report(config, store)
    sent = _send(config, store, [_email(config, _ops_person(config, "hr"), "report_ready", "closeout",
                                        report_path=str(html_path), min_cell=reports.MIN_CELL)])
    return {"report": str(html_path), "csv": str(csv_path), "evaluations": store.count(evaluations, cohort_id=config.cohort),
            "notice": sent}

