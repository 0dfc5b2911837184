"""Sample data for every email template: previews (``mentorflow email preview``), tests, the benchmark.

The contexts have the shape the pipeline passes, so a template that renders here renders in a run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mentorflow import settings
from mentorflow.messaging.message import LedgerKey, OutgoingEmail
from mentorflow.messaging.render import render_email

COHORT = {"cohort": "spring-2027", "name": "Spring 2027 Mentoring", "program_type": "traditional"}
OPS_EMAIL = "mentoring-ops@example.com"
LINK = "http://127.0.0.1:8080/mentorflow/form/eyJzYW1wbGUiOnRydWV9.sample-token"
DEADLINE = "Monday 15 March 2027, 17:00 CET"
REPORTS = "http://127.0.0.1:8080/mentorflow-reports/spring-2027"  # the HR report's links (reports.served.link)
PARTNERSHIP_LINK = "http://127.0.0.1:8080/mentorflow/forms/partnership?token=eyJzYW1wbGUiOnRydWV9.sample-{number}"


# who reads each template, where it is not a participant: each audience's layout carries its own footer
# (base_ops.html, base_hr.html; participants' is base.html's)
AUDIENCES: dict[str, str] = {"at_risk": "ops", "triage": "ops", "report_ready": "hr"}


def audience(template: str) -> str:
    """``participant``, ``ops`` (the program team) or ``hr``."""
    return AUDIENCES.get(template, "participant")


def person(number: int = 1) -> dict[str, Any]:
    return {"employee_id": f"E{number:05d}", "full_name": f"Alex Morgan {number}", "email": f"alex.{number}@example.com",
            "job_title": "Data Analyst", "department": "Finance", "level": 2}


def partner(number: int = 1) -> dict[str, Any]:
    return {"employee_id": f"M{number:05d}", "full_name": f"Priya Natarajan {number}",
            "email": f"priya.{number}@example.com", "job_title": "Engineering Manager", "department": "Platform",
            "level": 5}


def former_partner(number: int = 1) -> dict[str, Any]:
    return {"employee_id": f"F{number:05d}", "full_name": f"Sam Okafor {number}", "email": f"sam.{number}@example.com",
            "job_title": "Product Manager", "department": "Sales", "level": 4}


# Why the sample pair was made. ``mentorflow email preview`` passes the reasons the real
# matcher gives the sample pair (mentorflow.matching.example, read as a participant reads them); these are a
# fixed copy of that wording for tests and load runs that do not run the matcher.
MATCHER_WORDING = ["mentor offers negotiation at 4, mentee wants it at 3 (also covers sql, stakeholder management)",
                   "similar personalities: both highly organized and both curious",
                   "same timezone, both plan about 5 h a month"]


def partnership(number: int = 1, role: str = "mentee", reasons: Sequence[str] | None = None) -> dict[str, Any]:
    """One partner the reader gains, as the pipeline describes it (``reasons``: the matcher's, for the pair)."""
    return {
        "partner": partner(number),
        "my_role": role,
        "reasons": list(MATCHER_WORDING if reasons is None else reasons),
        "partner_goals": "Practise coaching someone outside my own team",
    }


def _kickoff_context(number: int, reasons: Sequence[str] | None) -> dict[str, Any]:
    return {
        "partners": [partnership(number, reasons=reasons)],
        "my_goals": f"Lead my first cross-team project by the midpoint (goal {number})",
        "my_goals_shared": True,  # agreed on the application form to share them with the partner
        "resources": ["Internal course: Leading without authority (4 short sessions)",
                      "Reading: 'The Coaching Habit' (library, 3 copies)"],
        # the attached calendar invite, as the reader's email describes it (stages.meeting_invites)
        "meeting_invites": [{"when": "Wednesday 31 March 2027, 15:00 CEST", "overlap": True,
                             "names": partner(number)["full_name"]}],
    }


def _group_kickoff_context(number: int, reasons: Sequence[str] | None) -> dict[str, Any]:
    """A member's introduction to a group led by ``partner(number)``: one other member named (they agreed),
    two counted."""
    leader = partnership(number, "mentee", reasons)
    return {
        **_kickoff_context(number, reasons),
        "partners": [leader],
        "groups": [{"group_id": number, "leader": leader["partner"], "lead": False, "members": 4,
                    "partners": [leader], "others": [former_partner(number)], "unnamed": 2}],
    }


def context(template: str, number: int = 1, reasons: Sequence[str] | None = None) -> dict[str, Any]:
    """A complete context for ``template``, varied by ``number`` (each number is another person); ``reasons``:
    why the sample pair was made (default :data:`MATCHER_WORDING`)."""
    # a participant's personal partnership link (stages.common.compose sets it for partnered readers)
    base = {"cohort": COHORT, "person": person(number), "ops_email": OPS_EMAIL,
            "partnership_link": PARTNERSHIP_LINK.format(number=number)}
    ops = {**base, "person": {"employee_id": "__ops__", "full_name": "Program ops", "email": OPS_EMAIL},
           "partnership_link": None}
    pair_risk = [{"match_id": 12, "score": 0.31, "reasons": "no meeting in pulse-2; satisfaction 2/5",
                  "mentor_name": "Priya Natarajan", "mentee_name": "Alex Morgan"}]
    # built only for the template asked for (a load run asks for thousands)
    extra: dict[str, Callable[[], dict[str, Any]]] = {
        "invitation": lambda: {"deadline": DEADLINE, "link": LINK},
        "reminder": lambda: {"deadline": DEADLINE, "link": LINK},
        "gapfill": lambda: {"missing": ["your goals for the program", "all ten personality questions"], "link": LINK},
        "kickoff": lambda: _kickoff_context(number, reasons),
        "group_kickoff": lambda: _group_kickoff_context(number, reasons),
        "pulse": lambda: {"partners": [partner(number)], "period": "pulse-2", "link": LINK,
                          "closes": "Friday 14 May 2027"},
        "pulse_reminder": lambda: {"partners": [partner(number)], "period": "pulse-2", "link": LINK,
                           "closes": "Friday 14 May 2027"},
        # the partnership that ended (never why), the new partner, the partners kept (none here)
        "rematch": lambda: {"ended": [former_partner(number)], "partners": [partnership(number, reasons=reasons)],
                    "continuing": []},
        # self-selection: a mentee's recommended mentors; a mentor's requests
        "recommendations": lambda: {"mentors": [partner(number), partner(number + 1)], "requests": 3, "link": LINK,
                            "closes": DEADLINE},
        "mentor_requests": lambda: {"received": 1 + number % 3, "link": LINK, "closes": DEADLINE},
        "closeout": lambda: {"link": LINK, "closes": "Monday 11 October 2027, 09:00 CEST"},
        "closeout_reminder": lambda: {"link": LINK, "closes": "Monday 11 October 2027, 09:00 CEST"},
        "at_risk": lambda: {"pairs": pair_risk, "period": "pulse-2",
                    "groups": [{"group_id": 3, "leader_name": "Priya Natarajan", "members": 4, "score": 0.42,
                                "reasons": "the leader did not answer; 2 of 4 members at risk or silent"}],
                    "undeliverable": [{"person_id": "E00042", "recipient": "old.address@example.com",
                                       "template": "pulse", "period": "pulse-2",
                                       "last_error": "SMTP 550 for old.address@example.com: mailbox unavailable"}]},
        "report_ready": lambda: {"attached": ["hr-report.pdf", "hr-report.html"], "min_cell": 5,
                         "links": {"html": f"{REPORTS}/hr-report.html", "pdf": f"{REPORTS}/hr-report.pdf"},
                         "listing": f"{REPORTS}/"},
        # an outcome for everyone without a one-to-one partner (stages.alternatives)
        "offer": lambda: {"role": "mentee",
                          "reason": "More people asked for a mentor than there were places: every mentor "
                  "who fits you already has as many people as they can take.",
                  "options": [{"value": "circle", "title": "A mentoring circle led by Priya Natarajan",
                               "description": "A small group of 5 people who meet together with Priya Natarajan "
                               "(Engineering Manager): you all want to learn negotiation; the leader offers "
                               "negotiation. You learn from the leader and from each other."},
                              {"value": "waitlist", "title": "A place on the waitlist",
                               "description": "If a mentor's time frees up during this cohort (at the midpoint "
                               "review), people on the waitlist are paired first, those waiting longest first."}],
                  "link": LINK, "deadline": DEADLINE, "waitlist_on": True, "carry": True},
        "async_start": lambda: {"is_mentor": False, "mentor": partner(number), "mentees": [], "budget": 4, "seats": 2},
        # the waitlist carried into the next cohort at close-out (``next``: None when none is scheduled yet)
        "waitlist_carried": lambda: {"next": {"name": "Autumn 2027 Mentoring",
                                              "opens": "Monday 6 September 2027, 09:00 CEST",
                                      "kickoff": "Monday 4 October 2027, 09:00 CEST"} if number % 2 else None,
                             "waiting_since": "Monday 15 March 2027"},
        # a week after kickoff, to each member of a space without a complete agreement (stages.agreement)
        "agreement_reminder": lambda: {"partnership": f"Priya Natarajan {number} (you are the mentee)",
                               "confirmed": number % 2 == 0, "waiting": [f"Priya Natarajan {number}"],
                               "group": False, "link": LINK},
        # the matching committee's question to an applicant (committee.asking)
        "committee_question": lambda: {"question": "You wrote that you want to grow into a team-lead role. "
                                       "Would a mentor "
                               "from another department work for you, or should it be someone in Finance?",
                               "link": LINK, "deadline": DEADLINE},
        # the forms app's notice to ops when a participant asks to end or re-match a pair
        "triage": lambda: {"match_id": 12, "wish": "be re-matched with a new partner", "requester_name": "Alex Morgan",
                   "mentor_name": "Priya Natarajan", "mentee_name": "Alex Morgan"},
    }
    if audience(template) == "ops":
        base = ops
    elif audience(template) == "hr":
        base = {**ops, "person": {"employee_id": "__hr__", "full_name": "HR", "email": "hr-reports@example.com"}}
    if template not in extra:
        raise KeyError(f"no sample data for email template {template!r}; known: {', '.join(sorted(extra))}")
    return {**base, **extra[template]()}


def template_names() -> list[str]:
    """Every email template (a ``.txt`` and an ``.html`` of the same name, not a partial or the layout)."""
    folder = settings.templates_dir() / "email"
    return sorted(p.stem for p in folder.glob("*.txt") if not p.stem.startswith("_") and (folder / f"{p.stem}.html").exists())


def sample_email(template: str, number: int = 1, cohort_id: str = "spring-2027",
                 reasons: Sequence[str] | None = None) -> OutgoingEmail:
    """A rendered email for person ``number`` (previews, load tests and the benchmark)."""
    ctx = context(template, number, reasons)
    subject, html, text = render_email(template, ctx)
    who = ctx["person"]
    return OutgoingEmail(key=LedgerKey(cohort_id, who["employee_id"], template, "sample"), to_email=who["email"],
                         to_name=who["full_name"], subject=subject, html=html, text=text,
                         from_email="mentoring@example.com", from_name="Mentoring Program",
                         categories=("mentorflow", template, cohort_id))
