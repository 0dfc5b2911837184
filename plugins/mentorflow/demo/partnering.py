"""Partners using their partnership page in the demo, through the page's own sections: the same checks
and writes a post from the page runs (``workspace.page``), so the demo's store, health and HR report show
what real use leaves behind.

Before each check-in, from a seeded generator: most spaces log a meeting, call or written exchange with a
next step, set a milestone on a goal and later reach it, and members mark a suggested resource done with
a rating; some log little, a few nothing. (The demo's calendar packs months into minutes, so its log
dates all fall on one day: health counts them by date and sees little of them; the HR counts show them.)
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections import Counter

import numpy as np

from mentorflow.cohorts.config import CohortConfig
from mentorflow.errors import FieldErrors
from mentorflow.store import Store, matches
from mentorflow.workspace import page, spaces

MODES = ("meeting", "call", "written")
MILESTONES = ("Agree what good looks like", "Try it once at work", "Ask a colleague for feedback")


def use_pages(config: CohortConfig, store: Store, moment: dt.datetime, seed: int, round_number: int) -> Counter:
    """One round of partners using their pages at ``moment``; what they did, counted by kind."""
    done: Counter = Counter()
    sections = {s.name: s for s in page.SECTIONS}
    rounds = {m["match_id"]: m["round"] for m in store.rows(matches, cohort_id=config.cohort)}
    for space in spaces.all_spaces(config.cohort, store, ("active",)):
        rng = np.random.default_rng([seed, round_number, zlib.crc32(space.space_id.encode())])
        habit = rng.choice(["engaged", "light", "quiet"], p=[0.6, 0.25, 0.15])
        if habit == "quiet":
            continue
        writer = space.mentee_ids[0] if space.mentee_ids else space.members[0].employee_id
        view, _ = page.open_space(config, store, writer, space.space_id, moment)
        # the goals section as the page shows it (the mentee's goals are copied in on first sight); only the
        # sections the simulation reads are loaded: a whole page costs four sections' queries
        goals = sections["goals"].load(view)["goals"]
        written_only = all(rounds.get(m) == "async" for m in space.match_ids)  # written mentoring
        for _ in range(int(rng.integers(1, 4)) if habit == "engaged" else 1):
            mode = "written" if written_only else str(rng.choice(MODES, p=[0.5, 0.3, 0.2]))
            fields = {"log_held_on": view.now.astimezone(config.tz).date().isoformat(),
                      "log_minutes": str(int(rng.integers(2, 7)) * 10), "log_mode": mode}
            if habit == "engaged":
                due = view.now.astimezone(config.tz).date() + dt.timedelta(days=14)
                fields.update({"log_step-0-text": "Try the idea we discussed and report back",
                               "log_step-0-owner": writer, "log_step-0-due": due.isoformat()})
            done["log entries"] += _post(sections["log"], view, fields, done)
        if habit == "engaged" and goals:
            goal = goals[0]
            open_steps = [m for m in goal["milestones"] if not m["reached_on"]]
            if open_steps:
                done["milestones reached"] += _post(sections["goals"], view, {
                    "goals_action": "reached", "goals_goal": str(goal["id"]),
                    "goals_milestone": str(open_steps[0]["id"])}, done)
            elif len(goal["milestones"]) < len(MILESTONES):
                done["milestones set"] += _post(sections["goals"], view, {
                    "goals_action": "milestone", "goals_goal": str(goal["id"]),
                    f"goals_milestone-g{goal['id']}": MILESTONES[len(goal["milestones"])]}, done)
        for member in space.members:
            # the writer's page is open already (its view is who and where, not what the sections show)
            member_view = view if member.employee_id == writer else page.open_space(
                config, store, member.employee_id, space.space_id, moment)[0]
            suggested = [s for s in sections["library"].load(member_view).get("suggestions", []) if not s["done"]]
            if suggested and rng.random() < (0.5 if habit == "engaged" else 0.2):
                item = suggested[int(rng.integers(0, min(3, len(suggested))))]
                done["resources rated"] += _post(sections["library"], member_view, {
                    "library_resource": item["id"], f"library_done-{item['id']}": "yes",
                    f"library_rating-{item['id']}": str(int(rng.integers(3, 6)))}, done)
    return done


def agree(config: CohortConfig, store: Store, moment: dt.datetime, seed: int) -> int:
    """Members write their mentoring agreement through the page's agreement section, a few hours to days
    before ``moment``: most spaces agree (every member confirms), some have one member's draft or
    confirmation only, a few nothing yet. Returns how many members saved an agreement."""
    rng = np.random.default_rng(seed)
    section = page.section("agreement")
    done: Counter = Counter()
    for space in spaces.all_spaces(config.cohort, store, ("active",)):
        behaviour = rng.choice(["agreed", "half", "none"], p=[0.7, 0.2, 0.1])
        writers = space.members if behaviour == "agreed" else space.members[:1] if behaviour == "half" else ()
        for member in writers:
            when = moment - dt.timedelta(hours=int(rng.integers(2, 120)))
            view, _ = page.open_space(config, store, member.employee_id, space.space_id, when)
            confirm = behaviour == "agreed" or rng.random() < 0.5
            modes = str(rng.choice(["call", "person call", "written", "call written"])).split()
            done["agreements"] += _post(section, view, {
                "agreement_action": "confirm" if confirm else "draft", "agreement_confidential": "yes",
                "agreement_meet_every": str(rng.choice(["week", "two weeks", "month"])),
                **{f"agreement_mode_{m}": "yes" for m in modes},
                "agreement_wants": "To see how someone else approaches the same problems.",
                "agreement_offers": "An hour every other week and honest feedback.",
                "agreement_raise": "Say it at the start of our next meeting."}, done)
    return done["agreements"]


def _post(section: page.Section, view: page.SpaceView, fields: dict[str, str], done: Counter) -> int:
    """One simulated post; a refused one is counted (the demo's participants should never be refused)."""
    try:
        section.save(view, fields)
    except FieldErrors:
        done["refused posts"] += 1
        return 0
    return 1

