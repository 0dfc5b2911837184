"""The program store's schema: every table, in one :data:`metadata` (the single source of truth).

The migrations in ``migrations/versions/`` bring a database to this schema (a test checks that
they agree); the DDL in ``include/sql/`` is generated from it (``mentorflow db ddl``).

Longer than 300 lines because the schema is one list of tables: split across modules, a reader could no
longer see every table and the comments that explain its columns in one place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _ts(name: str, **kw: Any) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


cohorts = sa.Table(
    "cohorts",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("program_type", sa.String(20), nullable=False),
    sa.Column("config_json", sa.Text, nullable=False),
    _ts("created_at", nullable=False, default=_now),
)

people = sa.Table(
    "people",
    metadata,
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.cohort_id"), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("department", sa.String(120)),
    sa.Column("job_title", sa.String(200)),
    sa.Column("level", sa.Integer),
    sa.Column("manager_id", sa.String(64)),
    sa.Column("location", sa.String(120)),
    sa.Column("timezone", sa.String(64)),
    sa.Column("hire_date", sa.Date),
    sa.Column("on_pip", sa.Boolean, nullable=False, default=False),
    sa.Column("eligible", sa.Boolean),
    sa.Column("eligibility_reason", sa.String(200)),
)

applications = sa.Table(
    "applications",
    metadata,
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.cohort_id"), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(10)),
    sa.Column("motivation", sa.Text),
    sa.Column("prior_experience", sa.Text),
    sa.Column("skills_offered", sa.Text),
    sa.Column("skills_wanted", sa.Text),
    sa.Column("goals", sa.Text),
    sa.Column("preferred_traits", sa.Text),
    *[sa.Column(f"tipi_{i}", sa.Integer) for i in range(1, 11)],
    sa.Column("capacity", sa.Integer),
    sa.Column("hours_per_month", sa.Float),
    sa.Column("preferred_partners", sa.Text),
    sa.Column("avoid_partners", sa.Text),
    sa.Column("share_goals", sa.Boolean, comment="the applicant agreed that their goals are quoted to their partner "
                                                 "(false or NULL: they are not)"),
    sa.Column("affinity_network", sa.String(100), comment="self-described network or identity, stored only with "
              "affinity_consent; never shown to the committee or in reports"),
    sa.Column("affinity_match", sa.Boolean, comment="the applicant asks for a partner who shares affinity_network"),
    sa.Column("affinity_consent", sa.Boolean, comment="the applicant agreed that affinity_network is used for matching "
                                                      "(false or NULL: it is not stored)"),
        sa.Column("circle_volunteer", sa.Boolean, comment="a mentor who will also lead a mentoring circle (3-6 mentees)"),
    sa.Column("async_budget", sa.Integer, comment="written questions a month a mentor will answer (async mentoring; "
              "0 or NULL: none)"),
    sa.Column("group_consent", sa.Boolean, comment="in a group or circle, the applicant's name and email may be "
              "shared with the other members"),
    sa.Column("source", sa.String(20), nullable=False, default="form"),
    sa.Column("status", sa.String(20), nullable=False, default="received"),
    _ts("submitted_at", nullable=False, default=_now),
)

APPLICATION_FIELDS: tuple[str, ...] = tuple(
    c.name for c in applications.columns if c.name not in {"cohort_id", "source", "status", "submitted_at"}
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False, index=True),
    sa.Column("gate", sa.String(40), nullable=False),
    sa.Column("record_key", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, default="open"),
    sa.Column("row_json", sa.Text),
    _ts("created_at", nullable=False, default=_now),
    sa.UniqueConstraint("cohort_id", "gate", "record_key", "reason", name="uq_quarantine_row_reason"),
)

matches = sa.Table(
    "matches",
    metadata,
    sa.Column("match_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False, index=True),
    sa.Column("round", sa.String(20), nullable=False),
    sa.Column("mentor_id", sa.String(64), nullable=False),
    sa.Column("mentee_id", sa.String(64), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("components_json", sa.Text, comment="score components (0..1) behind the score"),
    sa.Column("status", sa.String(20), nullable=False),
    _ts("created_at", nullable=False, default=_now),
    _ts("ended_at"),
    sa.Column("end_reason", sa.String(200)),
    sa.Column("mentor_slot", sa.Integer, nullable=False, server_default=sa.text("1"),
              comment="which of the mentee's mentors in the round: 1, or up to matching.rules.mentors_per_mentee"),
    sa.Column("group_id", sa.Integer, comment="the group a pair belongs to: a group cohort's mentor and mentees, or "
              "a mentoring circle (round 'circle'); NULL for one-to-one pairs"),
)

LIVE_PAIR = ("proposed", "approved", "active")
# A mentee holds each mentor slot of a round at most once among live pairs, in every program type: with one
# mentor per mentee (slot 1 only) a mentee is in at most one live pair of a round, with mentors_per_mentee
# N in at most N. A second proposal next to an approved round is refused by the store instead of giving
# everyone more partners.
sa.Index("uq_matches_live_mentee_slot", matches.c.cohort_id, matches.c.round, matches.c.mentee_id,
         matches.c.mentor_slot, unique=True,
         sqlite_where=matches.c.status.in_(LIVE_PAIR), postgresql_where=matches.c.status.in_(LIVE_PAIR))

unmatched = sa.Table(
    "unmatched",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("round", sa.String(20), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
)

# what top-k pruning could have cost a round's proposal (matching.certificate): figures, no person
match_certificates = sa.Table(
    "match_certificates",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("round", sa.String(20), primary_key=True),
    sa.Column("certificate_json", sa.Text, nullable=False, comment="bound, total, fairness mode and the sentence"),
    _ts("created_at", nullable=False, default=_now),
)

# -- nobody left behind: self-selection, offers, waitlist (mentorflow.stages.selection, .alternatives) ------

# the mentors recommended to each mentee in the self-selection window, best first
recommendations = sa.Table(
    "recommendations",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("mentee_id", sa.String(64), primary_key=True),
    sa.Column("mentor_id", sa.String(64), primary_key=True),
    sa.Column("rank", sa.Integer, nullable=False, comment="1 = best fit among the mentors shown"),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    _ts("created_at", nullable=False, default=_now),
)

# a mentee's request for a recommended mentor, and the mentor's answer
selection_requests = sa.Table(
    "selection_requests",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("mentee_id", sa.String(64), primary_key=True),
    sa.Column("mentor_id", sa.String(64), primary_key=True),
    sa.Column("preference", sa.Integer, nullable=False, comment="1 = the mentee's first choice"),
    sa.Column("status", sa.String(12), nullable=False, default="requested",
              comment="requested | accepted | declined | expired (no answer by the deadline) | released (accepted, "
              "not locked: the mentee kept a preferred mentor, or the mentor's capacity was taken) | quarantined "
              "(held by the selection gate)"),
    _ts("requested_at", nullable=False, default=_now),
    _ts("answered_at"),
)

# what an applicant without a one-to-one partner was offered after approval, and what they chose
offers = sa.Table(
    "offers",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, comment="in plain words, why there is no one-to-one partner"),
    sa.Column("options", sa.String(100), nullable=False,
              comment="what was offered, ';'-joined: circle, async, waitlist (empty: no capacity of any kind)"),
    sa.Column("circle_id", sa.Integer, comment="the circle (matches.group_id) offered"),
    sa.Column("async_mentor_id", sa.String(64), comment="the mentor offered for written mentoring"),
    sa.Column("choice", sa.String(12), comment="circle | async | waitlist | none; NULL until answered"),
    sa.Column("status", sa.String(12), nullable=False, default="offered",
              comment="offered | chosen | defaulted (unanswered: the waitlist place is kept) | started"),
    _ts("created_at", nullable=False, default=_now),
    _ts("answered_at"),
)

# people waiting for a one-to-one partner: placed when capacity frees, carried to the next cohort otherwise
waitlist = sa.Table(
    "waitlist",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("status", sa.String(12), nullable=False, default="waiting",
              comment="waiting | placed | carried (to carried_to) | left"),
    _ts("waiting_since", nullable=False, comment="when they first joined a waitlist of the program (kept when carried)"),
    _ts("joined_at", nullable=False, default=_now),
    _ts("placed_at"),
    sa.Column("placed_match_id", sa.Integer),
    sa.Column("carried_from", sa.String(64), comment="the earlier cohort whose waitlist they came from"),
    sa.Column("carried_to", sa.String(64), comment="the next cohort they were carried into"),
)

email_ledger = sa.Table(
    "email_ledger",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("template", sa.String(40), primary_key=True),
    sa.Column("period", sa.String(40), primary_key=True),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("backend", sa.String(12), nullable=False),
    sa.Column("message_id", sa.String(200)),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("attempt_id", sa.String(32)),
    sa.Column("last_error", sa.Text),
    _ts("updated_at", nullable=False, default=_now),
)

pulse_responses = sa.Table(
    "pulse_responses",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(40), primary_key=True),
    sa.Column("match_id", sa.Integer, primary_key=True),
    sa.Column("respondent_id", sa.String(64), primary_key=True),
    sa.Column("meetings", sa.Integer, nullable=False),
    sa.Column("satisfaction", sa.Integer, nullable=False),
    sa.Column("goal_progress", sa.Integer, nullable=False),
    sa.Column("follow_through", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("wants_end", sa.Boolean, nullable=False, default=False),
    _ts("submitted_at", nullable=False, default=_now),
)

pair_health = sa.Table(
    "pair_health",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(40), primary_key=True),
    sa.Column("match_id", sa.Integer, primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("silent_streak", sa.Integer, nullable=False, default=0),
)

# a group's health per period (outcomes.group_health): a group cohort's mentor and mentees, or a circle
group_health = sa.Table(
    "group_health",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(40), primary_key=True),
    sa.Column("group_id", sa.Integer, primary_key=True, comment="matches.group_id"),
    sa.Column("leader_id", sa.String(64), nullable=False, comment="the group's mentor"),
    sa.Column("members", sa.Integer, nullable=False, comment="mentees in the group's pairs that were surveyed"),
    sa.Column("score", sa.Float, nullable=False, comment="mean of the group's pair scores (0..1)"),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
)

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("goals_met", sa.Integer, nullable=False),
    sa.Column("satisfaction", sa.Integer, nullable=False),
    sa.Column("recommend", sa.Integer, nullable=False),
    sa.Column("valuable_topics", sa.Text, comment="topics the partnership turned out to be valuable for, ';'-joined"),
    sa.Column("comment", sa.Text),
    _ts("submitted_at", nullable=False, default=_now),
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    _ts("created_at", nullable=False, default=_now),
)

# -- the partnership's own space (mentorflow.workspace) --------------------------------------------
# A space is one pair ("pair-<match_id>") or one group or circle ("group-<group_id>"); only its members see it.

# each member's confirmation of the mentoring agreement; the space is "agreed" when every member confirmed
agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("space_id", sa.String(20), primary_key=True, comment="pair-<match_id> | group-<group_id>"),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("confidential", sa.Boolean, nullable=False, comment="keeps what is said in the partnership private"),
    sa.Column("meet_every", sa.String(20), nullable=False, comment="week | two weeks | month"),
    sa.Column("modes", sa.String(60), nullable=False, comment="';'-joined: in person, call, written"),
    sa.Column("wants_to_learn", sa.Text, comment="the member's own words"),
    sa.Column("offers", sa.Text, comment="what the member offers the others (both directions when symbiotic)"),
    sa.Column("raise_problem", sa.Text, comment="how the member will raise a problem"),
    _ts("confirmed_at", comment="NULL while a draft"),
    _ts("updated_at", nullable=False, default=_now),
)

goals = sa.Table(
    "goals",
    metadata,
    sa.Column("goal_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False),
    sa.Column("space_id", sa.String(20), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("source", sa.String(12), nullable=False, comment="application (the mentee's goals) | added"),
    sa.Column("owner_id", sa.String(64), nullable=False, comment="whose goal it is (the mentee of a pair)"),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    _ts("created_at", nullable=False, default=_now),
    _ts("archived_at", comment="removed from the page (kept for the counts)"),
)
sa.Index("ix_goals_space", goals.c.cohort_id, goals.c.space_id)

milestones = sa.Table(
    "milestones",
    metadata,
    sa.Column("milestone_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("goal_id", sa.Integer, nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("due_on", sa.Date),
    _ts("reached_at"),
    sa.Column("reached_by", sa.String(64)),
    _ts("created_at", nullable=False, default=_now),
)

# meetings, calls and written exchanges; the private note is visible to its author alone
meeting_log = sa.Table(
    "meeting_log",
    metadata,
    sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False),
    sa.Column("space_id", sa.String(20), nullable=False),
    sa.Column("author_id", sa.String(64), nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("mode", sa.String(12), nullable=False, comment="meeting | call | written"),
    sa.Column("private_note", sa.Text, comment="the author's own note: shown to nobody else, never reported"),
    _ts("created_at", nullable=False, default=_now),
)
sa.Index("ix_meeting_log_space", meeting_log.c.cohort_id, meeting_log.c.space_id)

# agreed next steps with an owner (follow-through)
next_steps = sa.Table(
    "next_steps",
    metadata,
    sa.Column("step_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False),
    sa.Column("space_id", sa.String(20), nullable=False),
    sa.Column("entry_id", sa.Integer, comment="the log entry it was agreed in, if any"),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("owner_id", sa.String(64), nullable=False),
    sa.Column("due_on", sa.Date),
    _ts("done_at"),
    _ts("created_at", nullable=False, default=_now),
)
sa.Index("ix_next_steps_space", next_steps.c.cohort_id, next_steps.c.space_id)

# a member's use of a library resource (include/resources/library.yaml): done, and a rating
resource_feedback = sa.Table(
    "resource_feedback",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("space_id", sa.String(20), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("resource_id", sa.String(80), primary_key=True),
    sa.Column("done", sa.Boolean, nullable=False, default=False),
    sa.Column("rating", sa.Integer, comment="1..5, NULL when not rated"),
    _ts("updated_at", nullable=False, default=_now),
)

# -- participant forms (mentorflow.forms) -------------------------------------------------------

rematch_requests = sa.Table(
    "rematch_requests",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("match_id", sa.Integer, primary_key=True),
    sa.Column("requester_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("comment", sa.Text),
    _ts("submitted_at", nullable=False, default=_now),
)

form_events = sa.Table(
    "form_events",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False, index=True),
    sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
    sa.Column("match_id", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("requester_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(12), nullable=False, default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("dag_run_id", sa.String(250)),
    _ts("created_at", nullable=False, default=_now),
    _ts("delivered_at"),
)

triage_requests = sa.Table(
    "triage_requests",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("match_id", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("requester_id", sa.String(64), nullable=False),
    _ts("received_at", nullable=False, default=_now),
)

# -- the matching committee (mentorflow.committee) ----------------------------------------------

# one live vote per reviewer per round: a reviewer may change it until the round is decided
committee_votes = sa.Table(
    "committee_votes",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("round", sa.String(20), primary_key=True, comment="initial | midpoint"),
    sa.Column("reviewer", sa.String(200), primary_key=True, comment="the Airflow user id of a committee.reviewers"),
    sa.Column("decision", sa.String(10), nullable=False, comment="approve | reject"),
    sa.Column("comment", sa.Text),
    _ts("voted_at", nullable=False, default=_now),
)

# the committee's edits of a round (committee.acting): pairs that must be made (lock) or must not (forbid); a
# swap is stored as the two forbids and two locks it means. The set is the committee's complete one: every
# re-solve of the round uses all of it
committee_edits = sa.Table(
    "committee_edits",
    metadata,
    sa.Column("edit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False, index=True),
    sa.Column("round", sa.String(20), nullable=False, comment="initial | midpoint"),
    sa.Column("kind", sa.String(10), nullable=False, comment="lock | forbid"),
    sa.Column("mentor_id", sa.String(64), nullable=False),
    sa.Column("mentee_id", sa.String(64), nullable=False),
    sa.Column("via", sa.String(200), comment="how it was made, e.g. 'swap E1:E2 with E3:E4'"),
    sa.Column("added_by", sa.String(200), nullable=False, comment="the Airflow user id"),
    _ts("added_at", nullable=False, default=_now),
    sa.UniqueConstraint("cohort_id", "round", "kind", "mentor_id", "mentee_id", name="uq_committee_edit"),
)

# the committee's questions to an applicant (committee.asking), each with the applicant's answer (re-answering
# replaces it until the question's deadline); the retention stage empties both texts
committee_questions = sa.Table(
    "committee_questions",
    metadata,
    sa.Column("question_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False),
    sa.Column("round", sa.String(20), nullable=False, comment="initial | midpoint"),
    sa.Column("employee_id", sa.String(64), nullable=False, comment="the applicant asked"),
    sa.Column("question", sa.Text, nullable=False, comment="purged (empty) at retention"),
    sa.Column("asked_by", sa.String(200), nullable=False, comment="the Airflow user id"),
    _ts("asked_at", nullable=False, default=_now),
    sa.Column("answer", sa.Text, comment="the applicant's answer; purged at retention"),
    _ts("answered_at"),
)
sa.Index("ix_committee_questions_round", committee_questions.c.cohort_id, committee_questions.c.round)

# -- data-protection requests (mentorflow.personal_data) ----------------------------------------

erasures = sa.Table(
    "erasures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("performed_by", sa.String(200), nullable=False, comment="who ran the erasure (never whom it erased)"),
    _ts("performed_at", nullable=False, default=_now),
    sa.Column("scope", sa.String(200), nullable=False, comment="the cohort, or 'all cohorts'"),
)

# -- the matching committee's console (mentorflow.committee) ------------------------------------

# who did what in the console, and when: every view of a review page, note, vote and re-solve (committee.audit)
committee_audit = sa.Table(
    "committee_audit",
    metadata,
    sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False),
    sa.Column("round", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False, comment="the Airflow user id of the reviewer (or the system)"),
    sa.Column("action", sa.String(40), nullable=False, comment="view | note | vote | resolve | ..."),
    sa.Column("detail_json", sa.Text, nullable=False, comment="what was seen or changed; never a token"),
    _ts("at", nullable=False, default=_now),
)
sa.Index("ix_committee_audit_round", committee_audit.c.cohort_id, committee_audit.c.round, committee_audit.c.at)
NOTE_PURGED = '{"purged": true}'  # a note's detail_json once the retention stage purged its text
