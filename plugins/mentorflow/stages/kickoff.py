"""Kickoff stage: introduce every approved pair by email (one email per person, naming every partner, and
quoting a partner's goals only when that partner agreed), then mark the pairs active. Learners also hear of
topics past mentees with similar wants found valuable."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mentorflow.cohorts.config import CohortConfig
from mentorflow.messaging import OutgoingEmail
from mentorflow.outcomes import discovery
from mentorflow.stages import groups, meeting_invites
from mentorflow.stages.common import CohortRun, compose, people_index, send
from mentorflow.stages.introductions import (  # noqa: F401 - the introduction's content lives there (shared with groups)
    GOALS_REASON,
    RANKING_REASON,
    PastWants,
    introduction_contexts,
)
from mentorflow.store import applications, matches


def send_kickoff(run: CohortRun) -> dict[str, Any]:
    everyone = people_index(run.store, run.cohort)
    apps = {a["employee_id"]: a for a in run.store.rows(applications, cohort_id=run.cohort)}
    approved = run.store.rows(matches, cohort_id=run.cohort, round="initial", status="approved")
    past = discovery.history(run.store, discovery.past_cohorts(run.config, run.store))
    # pairs of a group (group_id set) get one group introduction each person instead (stages/groups.py)
    pairs, grouped = groups.split(approved)
    # each introduction brings a calendar invite for a first meeting, two days after kickoff at the earliest
    start = run.config.at(run.config.calendar.kickoff)
    counts = send(run, introductions(run.config, pairs, "kickoff", "kickoff", everyone, apps, past, meeting_after=start)
                  + groups.group_introductions(run.config, grouped, everyone, apps, "kickoff", past,
                                               meeting_after=start))
    with run.store.begin() as conn:
        conn.execute(matches.update().where(matches.c.cohort_id == run.cohort, matches.c.status == "approved",
                                            matches.c.round == "initial").values(status="active"))
    return {"pairs": len(approved), **counts}


def introductions(config: CohortConfig, pairs: list[dict[str, Any]], template: str, period: str,
                  everyone: dict, apps: dict, past: PastWants | None = None, *,
                  meeting_after: dt.datetime | None = None) -> list[OutgoingEmail]:
    """One email per person introducing every partner ``pairs`` gives them (a mentor of two mentees gets
    one); see :func:`introduction_contexts`. With ``meeting_after`` each carries one calendar invite per pair
    (:mod:`mentorflow.stages.meeting_invites`)."""
    invites = (meeting_invites.build(config, meeting_invites.pair_members(pairs), everyone, meeting_after)
               if meeting_after else meeting_invites.Invites())
    return [compose(config, everyone[me], template, period, partnered=True, **invites.for_person(me), **context)
            for me, context in introduction_contexts(config, pairs, everyone, apps, past).items()]
