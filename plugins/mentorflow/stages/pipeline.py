"""The work of each lifecycle stage, one function per Airflow task.

Each function takes the cohort config, the program store and the run's moment,
does one step, writes its results to the store and returns a small JSON-able
summary (which Airflow keeps as the task's XCom and ``mentorflow cohort status``
shows). DAG files only wire these together.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from mentorflow import settings as paths
from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract import parsing as ingest
from mentorflow.errors import GateFailure
from mentorflow.forms import tokens
from mentorflow.matching.inputs import COMPONENTS
from mentorflow.messaging import LedgerKey, OutgoingEmail, render_email
from mentorflow.messaging.delivery import backend_for
from mentorflow.messaging.ledger import send_once, undeliverable
from mentorflow.reports import matches as reports
from mentorflow.roster import eligibility
from mentorflow.store import (
    Store,
    applications,
    email_ledger,
    evaluations,
    matches,
    pair_health,
    people,
    pulse_responses,
    rematch_requests,
    triage_requests,
    unmatched,
)

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


def match_input(config: CohortConfig, store: Store, **extra: Any):
    from mentorflow.matching import MatchInput

    roster = store.frame(people, cohort_id=config.cohort)
    apps = store.frame(applications, cohort_id=config.cohort, status="valid")
    history = _previous_pairs(config, store)
    return MatchInput(
        program_type=config.program_type.value, rules=config.matching.rules,
        people=roster[roster["eligible"].astype(bool)], applications=apps, previous_pairs=history,
        roster=roster, weights=config.matching.weights,
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


def propose_matches(config: CohortConfig, store: Store, round_name: str = "initial", *,
                    locks: list[tuple[str, str]] = (), forbids: list[tuple[str, str]] = ()) -> dict[str, Any]:
    """Propose the round's pairs; ``locks``/``forbids`` are the committee's additions to the YAML's."""
    from mentorflow.matching import propose
    from mentorflow.quality import stages

    inp = match_input(config, store)
    inp.locked_pairs = [*inp.locked_pairs, *locks]
    inp.forbidden_pairs = inp.forbidden_pairs | set(forbids)
    result = stages.check_proposal(config, store, propose(inp), inp)
    replace_proposal(config, store, round_name, result)
    report = reports.write_match_report(config, store, round_name)
    return {"pairs": len(result.pairs), "unmatched": len(result.unmatched),
            "mean_score": round(float(result.pairs["score"].mean()), 4) if len(result.pairs) else 0.0,
            "notes": result.notes, "report": str(report)}


def resolve_matches(config: CohortConfig, store: Store, response: dict[str, Any] | None) -> dict[str, Any]:
    """Solve the initial round again with the locks and forbids the committee entered."""
    from mentorflow.matching import committee

    locks, forbids, problems = committee.requested_changes(response)
    summary = propose_matches(config, store, locks=locks, forbids=forbids)
    summary["notes"] = problems + summary["notes"]
    return {**summary, "committee_locks": [list(p) for p in locks], "committee_forbids": [list(p) for p in forbids]}


def replace_proposal(config: CohortConfig, store: Store, round_name: str, result) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    with store.engine.begin() as conn:
        conn.execute(matches.delete().where(matches.c.cohort_id == config.cohort, matches.c.round == round_name,
                                            matches.c.status == "proposed"))
        conn.execute(unmatched.delete().where(unmatched.c.cohort_id == config.cohort, unmatched.c.round == round_name))
        if len(result.pairs):
            conn.execute(matches.insert(), [
                {"cohort_id": config.cohort, "round": round_name, "mentor_id": r.mentor_id, "mentee_id": r.mentee_id,
                 "score": float(r.score), "explanation": r.explanation, "status": "proposed", "created_at": now,
                 "components_json": json.dumps({c: round(float(getattr(r, c)), 4) for c in COMPONENTS
                                                if c in result.pairs.columns})}
                for r in result.pairs.itertuples()
            ])
        if len(result.unmatched):
            conn.execute(unmatched.insert(), [
                {"cohort_id": config.cohort, "round": round_name, "employee_id": r.employee_id, "reason": r.reason}
                for r in result.unmatched.itertuples()
            ])


def committee_summary(config: CohortConfig, store: Store, round_name: str = "initial", notes: list[str] = ()) -> str:
    """The text the committee reads in the approval step (with fairness flags and unmet locks)."""
    proposed = store.rows(matches, cohort_id=config.cohort, round=round_name, status="proposed")
    left = store.rows(unmatched, cohort_id=config.cohort, round=round_name)
    scores = [m["score"] for m in proposed]
    roles = {a["employee_id"]: a["role"] for a in store.rows(applications, cohort_id=config.cohort)}
    audit = reports.match_report_context(config, round_name, proposed, left, store.frame(people, cohort_id=config.cohort),
                                         roles)["audit"]
    lines = [
        f"**{config.name}** ({round_name} round): {len(proposed)} proposed pairs, {len(left)} unmatched.",
        f"Mean score {sum(scores) / len(scores):.3f}, lowest {min(scores):.3f}." if scores else "No pairs proposed.",
        *[f"Fairness: {flag}" for flag in audit.flags],
        *[f"Note: {note}" for note in notes],
        f"Full report: {paths.reports_dir(config.cohort) / f'matches-{round_name}.html'}",
        "Re-solve: enter pairs as mentor_id:mentee_id;... in locks (must pair) or forbids (never pair).",
    ]
    return "\n\n".join(lines)


def approve_matches(config: CohortConfig, store: Store, round_name: str = "initial") -> dict[str, Any]:
    with store.engine.begin() as conn:
        done = conn.execute(matches.update().where(matches.c.cohort_id == config.cohort, matches.c.round == round_name,
                                                   matches.c.status == "proposed").values(status="approved"))
    return {"approved": done.rowcount}


# -- kickoff ----------------------------------------------------------------------------------


def _pair_emails(config: CohortConfig, pairs: list[dict[str, Any]], template: str, period: str,
                 everyone: dict, apps: dict, past: list | None = None) -> list[OutgoingEmail]:
    """One email per person introducing every partner ``pairs`` gives them (a mentor of two mentees gets
    one). Whoever learns in a pair is also told of topics that past mentees with similar wants found
    valuable (``past`` from :func:`discovery.history`)."""
    from mentorflow.outcomes import discovery

    def goals(person_id: str) -> str | None:
        return (apps.get(person_id) or {}).get("goals")

    symbiotic = config.program_type.value == "symbiotic"
    partners: dict[str, list[dict[str, Any]]] = {}
    learners: set[str] = set()
    for pair in pairs:
        reasons = [r.strip() for r in pair["explanation"].split(";") if r.strip()]
        for me, partner, role in ((pair["mentor_id"], pair["mentee_id"], "mentor"),
                                  (pair["mentee_id"], pair["mentor_id"], "mentee")):
            if symbiotic or role == "mentee":
                learners.add(me)
            if symbiotic:
                role = "mentor and mentee (you learn from each other)"
            partners.setdefault(me, []).append({"partner": everyone[partner], "my_role": role, "reasons": reasons,
                                                "partner_goals": goals(partner)})

    def resources(person_id: str) -> list[str]:
        if person_id not in learners or not past:
            return []
        wanted = set(ingest.parse_skills((apps.get(person_id) or {}).get("skills_wanted")))
        return discovery.described(discovery.suggest(wanted, past))

    return [_email(config, everyone[me], template, period, partners=mine, my_goals=goals(me), resources=resources(me))
            for me, mine in partners.items()]


def _past_cohorts(config: CohortConfig, store: Store) -> list[str]:
    """The cohorts to learn from: those named in the YAML, else every other cohort in the store."""
    from mentorflow.store import cohorts

    return config.previous_cohorts or sorted(r["cohort_id"] for r in store.rows(cohorts) if r["cohort_id"] != config.cohort)


def send_kickoff(config: CohortConfig, store: Store) -> dict[str, Any]:
    """Introduce every approved pair (both partners), then mark the pairs active."""
    everyone = _people_index(store, config.cohort)
    apps = {a["employee_id"]: a for a in store.rows(applications, cohort_id=config.cohort)}
    approved = store.rows(matches, cohort_id=config.cohort, round="initial", status="approved")
    from mentorflow.outcomes import discovery

    past = discovery.history(store, _past_cohorts(config, store))
    messages = _pair_emails(config, approved, "kickoff", "kickoff", everyone, apps, past)
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


def _partners_by_person(pairs: list[dict[str, Any]]) -> dict[str, list[str]]:
    partners: dict[str, list[str]] = {}
    for pair in pairs:
        partners.setdefault(pair["mentor_id"], []).append(pair["mentee_id"])
        partners.setdefault(pair["mentee_id"], []).append(pair["mentor_id"])
    return partners


def _pulse_closes(config: CohortConfig, period: str) -> str:
    from mentorflow.forms.deadlines import deadline, describe

    return describe(deadline(config, "pulse", period), config)


def send_pulse(config: CohortConfig, store: Store, period: str) -> dict[str, Any]:
    """One check-in email per person in an active pair, naming every partner they have."""
    everyone = _people_index(store, config.cohort)
    active = store.rows(matches, cohort_id=config.cohort, status="active")
    closes = _pulse_closes(config, period)
    messages = [_email(config, everyone[me], "pulse", period, partners=[everyone[p] for p in partners], period=period,
                       closes=closes, link=_link(config, me, "pulse", period))
                for me, partners in sorted(_partners_by_person(active).items())]
    return {"period": period, "pairs": len(active), **_send(config, store, messages)}


def send_pulse_reminders(config: CohortConfig, store: Store, period: str) -> dict[str, Any]:
    """Remind each partner who was sent this period's survey and has not answered it."""
    everyone = _people_index(store, config.cohort)
    asked = {r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="pulse", period=period)
             if r["status"] == "sent"}
    answered = {r["respondent_id"] for r in store.rows(pulse_responses, cohort_id=config.cohort, period=period)}
    partners = _partners_by_person(store.rows(matches, cohort_id=config.cohort, status="active"))
    due = sorted(p for p in asked - answered if p in partners)
    closes = _pulse_closes(config, period)
    messages = [_email(config, everyone[p], "pulse_reminder", period, partners=[everyone[q] for q in partners[p]],
                       period=period, closes=closes, link=_link(config, p, "pulse", period)) for p in due]
    return {"period": period, "reminded": len(due), **_send(config, store, messages)}


def _period_start(config: CohortConfig, period: str) -> dt.datetime:
    dates = config.pulse_dates()
    number = int(period.split("-")[1])
    return dates[number - 1] if 0 < number <= len(dates) else config.at(config.calendar.kickoff)


def assess_health(config: CohortConfig, store: Store, period: str | None) -> dict[str, Any]:
    """Score every active pair for a closed period and alert ops about pairs at risk."""
    from mentorflow.outcomes import health

    if period is None:
        return {"assessed": 0, "note": "no earlier period to assess"}
    active = store.frame(matches, cohort_id=config.cohort, status="active")
    # only pairs that were asked about this period (a pair formed later has nothing to answer yet)
    surveyed = {r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="pulse", period=period)}
    active = active[active["mentor_id"].isin(surveyed) | active["mentee_id"].isin(surveyed)]
    if len(active) and _period_start(config, period) < config.at(config.calendar.midpoint):
        # a pair formed at the midpoint shares people with surveyed pairs but was not itself asked
        active = active[active["round"] != "midpoint"]
    from mentorflow.quality import stages

    answers = store.frame(pulse_responses, cohort_id=config.cohort, period=period)
    responses = stages.check_pulse(config, store, answers)
    earlier = previous_period(config, period)
    previous = store.frame(pair_health, cohort_id=config.cohort, period=earlier) if earlier else None
    scored = health.score_pairs(active, responses, previous, config.health)
    if scored.empty:
        return {"period": period, "assessed": 0}
    scored["cohort_id"], scored["period"] = config.cohort, period
    store.upsert(pair_health, scored[["cohort_id", "period", "match_id", "score", "state", "reasons",
                                      "silent_streak"]].to_dict("records"))
    at_risk = scored[scored["state"] == health.AT_RISK]
    sent = {}
    if not at_risk.empty:
        everyone = _people_index(store, config.cohort)
        pairs = [{"match_id": int(r.match_id), "score": float(r.score), "reasons": r.reasons,
                  "mentor_name": everyone[r.mentor_id]["full_name"], "mentee_name": everyone[r.mentee_id]["full_name"]}
                 for r in at_risk.itertuples()]
        sent = _send(config, store, [_email(config, _ops_person(config), "at_risk", period, pairs=pairs, period=period,
                                            undeliverable=undeliverable(store, config.cohort))])
    counts = scored["state"].value_counts().to_dict()
    report = reports.write_pulse_report(config, store, period)
    return {"period": period, "assessed": len(scored), **{k.lower().replace(" ", "_"): int(v) for k, v in counts.items()},
            "alert": sent, "report": str(report)}


# -- midpoint ---------------------------------------------------------------------------------


def latest_assessed_period(store: Store, cohort: str) -> str | None:
    periods = {r["period"] for r in store.rows(pair_health, cohort_id=cohort)}
    return max(periods, key=lambda p: int(p.split("-")[1])) if periods else None


def rematch(config: CohortConfig, store: Store) -> dict[str, Any]:
    """End at-risk pairs and pairs a partner asked to end; propose new partners for the mentees freed.

    Healthy pairs stay fixed; former partners are never paired again.
    """
    from mentorflow.matching import propose
    from mentorflow.outcomes import health
    from mentorflow.quality import stages

    period = latest_assessed_period(store, config.cohort)
    states = {r["match_id"]: r["state"] for r in store.rows(pair_health, cohort_id=config.cohort, period=period)} if period else {}
    # a partner asked to end or re-match: in a pulse answer or through the re-match request form
    wants_end = {r["match_id"] for r in store.rows(pulse_responses, cohort_id=config.cohort) if r["wants_end"]}
    wants_end |= {r["match_id"] for r in store.rows(rematch_requests, cohort_id=config.cohort)}
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
    inp = match_input(config, store, fixed_pairs=[(m["mentor_id"], m["mentee_id"]) for m in keep])
    inp.forbidden_pairs |= former
    # only freed mentees look for a partner; everyone else keeps theirs
    inp.applications = inp.applications[inp.applications["role"].isin(["mentor", "both"]) |
                                        inp.applications["employee_id"].isin(freed)]
    inp.applications = inp.applications[~(inp.applications["role"].eq("mentee") & ~inp.applications["employee_id"].isin(freed))]
    result = propose(inp)
    result.pairs = result.pairs[result.pairs["mentee_id"].isin(freed)]
    result.unmatched = result.unmatched[result.unmatched["employee_id"].isin(freed)]
    result = stages.check_proposal(config, store, result, inp, to_place=freed)
    replace_proposal(config, store, "midpoint", result)
    report = reports.write_match_report(config, store, "midpoint")
    return {"ended": len(ending), "kept": len(keep), "new_pairs": len(result.pairs),
            "still_unmatched": len(result.unmatched), "report": str(report)}


def activate_rematches(config: CohortConfig, store: Store) -> dict[str, Any]:
    """Activate approved midpoint pairs and tell everyone affected (and no one else)."""
    approve_matches(config, store, "midpoint")  # this step runs only once the committee approved the round
    everyone = _people_index(store, config.cohort)
    apps = {a["employee_id"]: a for a in store.rows(applications, cohort_id=config.cohort)}
    new_pairs = store.rows(matches, cohort_id=config.cohort, round="midpoint", status="approved")
    ended = store.rows(matches, cohort_id=config.cohort, status="ended")
    messages = _pair_emails(config, new_pairs, "rematch", "midpoint", everyone, apps)
    rehomed = {p["mentor_id"] for p in new_pairs} | {p["mentee_id"] for p in new_pairs}
    left_alone = {p for m in ended for p in (m["mentor_id"], m["mentee_id"])} - rehomed
    still_active = {p for m in store.rows(matches, cohort_id=config.cohort, status="active")
                    for p in (m["mentor_id"], m["mentee_id"])}
    for person in sorted(left_alone - still_active):
        messages.append(_email(config, everyone[person], "rematch", "midpoint", partners=[]))
    counts = _send(config, store, messages)
    with store.engine.begin() as conn:
        conn.execute(matches.update().where(matches.c.cohort_id == config.cohort, matches.c.round == "midpoint",
                                            matches.c.status == "approved").values(status="active"))
    return {"activated": len(new_pairs), "notified": len(messages), **counts}


# -- close-out --------------------------------------------------------------------------------


def _closeout_participants(config: CohortConfig, store: Store) -> list[str]:
    return sorted({p for m in store.rows(matches, cohort_id=config.cohort)
                   if m["status"] in ("active", "ended", "completed") for p in (m["mentor_id"], m["mentee_id"])})


def _closeout_emails(config: CohortConfig, store: Store, template: str, people_ids: list[str]) -> list[OutgoingEmail]:
    from mentorflow.forms.deadlines import deadline, describe

    everyone = _people_index(store, config.cohort)
    closes = describe(deadline(config, "closeout"), config)
    return [_email(config, everyone[p], template, "closeout", closes=closes, link=_link(config, p, "closeout", "closeout"))
            for p in people_ids]


def send_closeout_survey(config: CohortConfig, store: Store) -> dict[str, Any]:
    """The final evaluation, to every mentor and mentee who took part (ended pairs included)."""
    participants = _closeout_participants(config, store)
    return {"participants": len(participants),
            **_send(config, store, _closeout_emails(config, store, "closeout", participants))}


def send_closeout_reminders(config: CohortConfig, store: Store) -> dict[str, Any]:
    """Remind participants who were sent the evaluation and have not answered it."""
    asked = {r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="closeout")
             if r["status"] == "sent"}
    answered = {r["employee_id"] for r in store.rows(evaluations, cohort_id=config.cohort)}
    due = sorted(asked - answered)
    return {"reminded": len(due), **_send(config, store, _closeout_emails(config, store, "closeout_reminder", due))}


def complete_pairs(config: CohortConfig, store: Store) -> dict[str, Any]:
    with store.engine.begin() as conn:
        done = conn.execute(matches.update().where(matches.c.cohort_id == config.cohort, matches.c.status == "active")
                            .values(status="completed", ended_at=dt.datetime.now(dt.timezone.utc)))
    return {"completed": done.rowcount}


def build_hr_report(config: CohortConfig, store: Store) -> dict[str, Any]:
    from mentorflow.quality import stages
    from mentorflow.reports import hr as hr_report

    stages.check_closeout(config, store)

    files = hr_report.write(config, store)
    sent = _send(config, store, [_email(config, _ops_person(config, "hr"), "report_ready", "closeout",
                                        report_path=str(files["html"]), min_cell=reports.MIN_CELL)])
    return {"report": str(files["html"]), "pdf": str(files["pdf"]), "csv": sorted(str(p) for k, p in files.items()
                                                                                if k not in ("html", "pdf", "weights")),
            "suggested_weights": str(files["weights"]),
            "evaluations": store.count(evaluations, cohort_id=config.cohort), "notice": sent}


# -- triage (triggered by the forms app through Airflow's REST API) ----------------------------

TRIAGE_WISHES = {"rematch": "be re-matched with a new partner", "end": "end the partnership"}


def record_triage(config: CohortConfig, store: Store, conf: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Record a participant's wish to end or re-match a pair and email ops once about it."""
    import hashlib

    match_id, reason, requester = conf.get("match_id"), conf.get("reason"), conf.get("requester")
    pair = store.rows(matches, cohort_id=config.cohort, match_id=match_id) if isinstance(match_id, int) else []
    if not pair or reason not in TRIAGE_WISHES or not isinstance(requester, str):
        raise GateFailure(f"triage run {run_id}: conf must be {{match_id: a pair of {config.cohort}, reason: "
                          f"{' | '.join(TRIAGE_WISHES)}, requester: employee id}}; got {conf!r}")
    store.upsert(triage_requests, [{"cohort_id": config.cohort, "run_id": run_id, "match_id": match_id,
                                    "reason": reason, "requester_id": requester,
                                    "received_at": dt.datetime.now(dt.timezone.utc)}])
    everyone = _people_index(store, config.cohort)
    name = lambda pid: everyone.get(pid, {}).get("full_name", pid)  # noqa: E731
    period = "triage-" + hashlib.sha256(run_id.encode()).hexdigest()[:12]
    sent = _send(config, store, [_email(config, _ops_person(config), "triage", period, match_id=match_id,
                                        wish=TRIAGE_WISHES[reason], requester_name=name(requester),
                                        mentor_name=name(pair[0]["mentor_id"]), mentee_name=name(pair[0]["mentee_id"]))])
    return {"match_id": match_id, "reason": reason, **sent}
