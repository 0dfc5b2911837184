"""Scripted participant behaviour for the demo and the lifecycle tests.

Writes what the forms would write (pulse answers, close-out evaluations) straight
into the program store, from a seeded random generator: most pairs do well, a few
never meet, a few are one-sided, some stay silent, and one asks to end early.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from mentorflow.cohorts import calendar
from mentorflow.contract.parsing import parse_skills
from mentorflow.demo import choosing, partnering
from mentorflow.demo.synthetic import SKILLS
from mentorflow.store import Store, applications, evaluations, matches, people, pulse_responses

COMMENTS = [
    "Great conversations, very practical advice.",
    "We keep rescheduling; hard to find time.",
    "Helpful feedback on my presentation.",
    "",
    "Good start, want to set clearer goals.",
]


def pulse_answers(store: Store, cohort: str, period: str, seed: int, *, ask_to_end: int = 1) -> int:
    """Answers from the partners of every active pair for one period; returns how many were written."""
    rng = np.random.default_rng(seed)
    rows = []
    now = dt.datetime.now(dt.timezone.utc)
    active = sorted(store.rows(matches, cohort_id=cohort, status="active"), key=lambda m: m["match_id"])
    for index, pair in enumerate(active):
        behaviour = rng.choice(["good", "good", "good", "good", "no_meetings", "one_sided", "silent"],
                               p=[0.2, 0.2, 0.2, 0.15, 0.08, 0.09, 0.08])
        if behaviour == "silent":
            continue
        wants_end_pair = index < ask_to_end
        for who in (pair["mentor_id"], pair["mentee_id"]):
            unhappy = behaviour == "one_sided" and who == pair["mentee_id"]
            meetings = 0 if behaviour == "no_meetings" else int(rng.integers(1, 4))
            satisfaction = int(rng.integers(1, 3)) if unhappy or behaviour == "no_meetings" else int(rng.integers(4, 6))
            rows.append({
                "cohort_id": cohort, "period": period, "match_id": pair["match_id"], "respondent_id": who,
                "meetings": meetings, "satisfaction": satisfaction,
                "goal_progress": int(rng.integers(1, 3)) if unhappy else int(rng.integers(3, 6)),
                "follow_through": int(rng.integers(2, 6)), "comment": str(rng.choice(COMMENTS)),
                "wants_end": bool(wants_end_pair and who == pair["mentee_id"]), "submitted_at": now,
            })
    return store.upsert(pulse_responses, rows)


def evaluations_for(store: Store, cohort: str, seed: int, *, response_rate: float = 0.85) -> int:
    """Close-out evaluations from most participants of the cohort."""
    rng = np.random.default_rng(seed)
    now = dt.datetime.now(dt.timezone.utc)

    wanted = {a["employee_id"]: list(parse_skills(a["skills_wanted"])) for a in store.rows(applications, cohort_id=cohort)}
    rows = {}
    # a person evaluates the pair they finish the program with: a live pair before one that ended earlier
    finished = [p for p in store.rows(matches, cohort_id=cohort) if p["status"] in ("active", "ended", "completed")]
    for pair in sorted(finished, key=lambda p: (p["status"] == "ended", p["match_id"])):
        for who, role in ((pair["mentor_id"], "mentor"), (pair["mentee_id"], "mentee")):
            if who in rows or rng.random() > response_rate:
                continue
            good = pair["status"] != "ended"
            rows[who] = {
                "cohort_id": cohort, "employee_id": who, "role": role,
                "goals_met": int(rng.integers(3, 6)) if good else int(rng.integers(1, 3)),
                "satisfaction": int(rng.integers(3, 6)) if good else int(rng.integers(1, 4)),
                "recommend": int(rng.integers(6, 11)) if good else int(rng.integers(0, 7)),
                "comment": str(rng.choice(COMMENTS)), "submitted_at": now,
                # what a partnership turns out to be about: the skill asked for, and often its neighbour
                "valuable_topics": ";".join(sorted({s for w in wanted.get(who, []) if w in SKILLS
                                                    for s in (w, SKILLS[(SKILLS.index(w) + 1) % len(SKILLS)])})),
            }
    return store.upsert(evaluations, list(rows.values()))


def participants(config, store: Store, seed: int, say=print):
    """A ``lifecycle.run`` hook: before each run that follows a pulse survey, the pairs answer that
    survey (once per period; a partner asks to end in period 2); before the agreement reminder most pairs and
    groups agree on the partnership page (:func:`partnering.agree`); most participants evaluate the program
    before the close-out reminder, and HR exports the close-out roster before the report. What people
    choose in the self-selection and offer forms is :func:`choices`."""
    answered: set[str] = set()
    pulses = calendar.pulse_dates(config)
    choose = choices(config, store, seed, say)

    def before(item) -> None:
        choose(item)
        if item.stage == "agreement":
            written = partnering.agree(config, store, item.moment, seed)
            say(f"        (partners wrote {written} mentoring agreements on their partnership pages)")
        if item.stage in ("pulse", "midpoint", "closeout") and pulses and item.moment > pulses[0]:
            period = calendar.pulse_period(config, item.moment - dt.timedelta(seconds=2))
            if period not in answered:
                answered.add(period)
                used = partnering.use_pages(config, store, item.moment - dt.timedelta(minutes=1), seed,
                                            int(period.split("-")[1]))
                say("        (partners used their partnership pages: "
                    + (", ".join(f"{n} {kind}" for kind, n in sorted(used.items())) or "nothing") + ")")
                written = pulse_answers(store, config.cohort, period, seed + int(period.split("-")[1]),
                                        ask_to_end=1 if period == "pulse-2" else 0)
                say(f"        (participants answered {written} {period} check-ins)")
        if item.stage == "closeout" and item.label == "close-out reminder":
            say(f"        (participants sent {evaluations_for(store, config.cohort, seed)} evaluations)")
        if item.stage == "closeout" and item.label == "HR report" and config.sources.closeout_roster_csv:
            written = closeout_roster(store, config.cohort, config.resolve(config.sources.closeout_roster_csv), seed,
                                      config.at(config.calendar.kickoff).date())
            say(f"        (HR exported the close-out roster: {written} people)")

    return before


def choices(config, store: Store, seed: int, say=print):
    """A ``lifecycle.run`` hook for the forms of people without a one-to-one partner yet: before a run, a
    minute before its moment, mentees request recommended mentors (until requests close), the mentors asked
    accept or decline (until responses close), and people offered alternatives choose (until the offers'
    deadline). Each happens once, when the stages have left something to answer."""
    done: set[str] = set()
    selecting = config.self_selection.enabled
    closes = calendar.selection_dates(config) if selecting else {}
    deadline = calendar.offer_deadline(config)

    def step(name: str, due: bool, act, words: str) -> None:
        if name in done or not due:
            return
        written = act()
        if written:
            done.add(name)
            say(f"        (participants {words.format(written)})")

    def before(item) -> None:
        moment = item.moment - dt.timedelta(minutes=1)
        if selecting:
            step("requests", item.moment <= closes["requests_close"],
                 lambda: choosing.mentee_requests(config, store, seed, moment), "sent {} mentor requests")
            step("answers", closes["requests_close"] < item.moment <= closes["responses_close"],
                 lambda: choosing.mentor_answers(config, store, seed, moment), "answered {} mentee requests")
        step("offers", item.moment <= deadline, lambda: choosing.offer_choices(config, store, seed, moment),
             "chose among their alternatives: {} answers")

    return before


def closeout_roster(store: Store, cohort: str, path, seed: int, kickoff: dt.date) -> int:
    """An HRIS export at close-out: some people left and some were promoted since kickoff,
    participants a little more often promoted and less often gone (as studies of mentoring report)."""
    rng = np.random.default_rng(seed)
    paired = {p for m in store.rows(matches, cohort_id=cohort) for p in (m["mentor_id"], m["mentee_id"])}
    lines = ["employee_id,employment_status,last_promotion_date"]
    everyone = store.rows(people, cohort_id=cohort)
    for person in everyone:
        inside = person["employee_id"] in paired
        left = rng.random() < (0.04 if inside else 0.10)
        promoted = rng.random() < (0.25 if inside else 0.08)
        when = (kickoff + dt.timedelta(days=int(rng.integers(1, 60)))).isoformat() if promoted else ""
        lines.append(f"{person['employee_id']},{'left' if left else 'active'},{when}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(everyone)
