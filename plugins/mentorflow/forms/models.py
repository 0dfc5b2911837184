"""What each form accepts, as pydantic models, and how an HTML form's flat fields map onto them.

The same models validate HTML posts and JSON API posts, so the two can never disagree.
Errors come back keyed by the HTML field name, so each one is shown beside its field.
Roles, ranges, list formats and the answers each role needs come from the data contract
(:mod:`mentorflow.contract.columns`), the same the quality gates check stored rows against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from mentorflow.contract import affinity, outcome_answers
from mentorflow.contract import columns as contract
from mentorflow.contract.parsing import format_ids, format_skills
from mentorflow.errors import FieldErrors

MAX_TEXT = 2000
SKILL_ROWS = 5
PARTNER_ROWS = 3

# Ten-Item Personality Inventory (Gosling, Rentfrow & Swann, 2003; public domain).
# "I see myself as: ..." rated 1 (disagree strongly) to 7 (agree strongly).
TIPI_ITEMS: tuple[str, ...] = (
    "Extraverted, enthusiastic.",
    "Critical, quarrelsome.",
    "Dependable, self-disciplined.",
    "Anxious, easily upset.",
    "Open to new experiences, complex.",
    "Reserved, quiet.",
    "Sympathetic, warm.",
    "Disorganized, careless.",
    "Calm, emotionally stable.",
    "Conventional, uncreative.",
)
TIPI_SCALE: tuple[str, ...] = (
    "Disagree strongly", "Disagree moderately", "Disagree a little", "Neither agree nor disagree",
    "Agree a little", "Agree moderately", "Agree strongly",
)
REMATCH_REASONS: dict[str, str] = {
    "schedule": "We cannot find time to meet",
    "goals": "My partner cannot help with my goals",
    "chemistry": "We do not work well together",
    "role_change": "My role or situation changed",
    "other": "Something else (tell us below if you like)",
}
PULSE_OUTCOMES: dict[str, str] = {
    "continue": "Continue as we are",
    "rematch": "I would like a different partner",
    "end": "I would like to end this partnership",
}

def _storable(value: str) -> str:
    """Refuse text no store can keep (PostgreSQL rejects NUL) instead of failing on save."""
    if "\x00" in value:
        raise ValueError("contains a character that cannot be stored (NUL)")
    return value


def ordinal(number: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


# short names of the questions, for the error summary at the top of a page
FIELD_LABELS: dict[str, str] = {
    "role": "Role", "motivation": "Why you want to take part", "prior_experience": "Mentoring experience",
    "skills_offered": "Skills you can offer", "skills_wanted": "Skills you want to develop", "goals": "Goals",
    "preferred_traits": "Partner traits", "capacity": "Number of mentees", "hours_per_month": "Hours a month",
    "preferred_partners": "Preferred partners", "avoid_partners": "People to avoid", "consent": "Confidentiality",
    "share_goals": "Sharing your goals with your partner",
    "affinity_network": "Your network or identity", "affinity_match": "A partner who shares your network",
    "affinity_consent": "Using your network for matching",
    "circle_volunteer": "Leading a mentoring circle", "async_budget": "Written questions a month",
    "group_consent": "Sharing your name and email in a group",
    "match_id": "Partnership", "meetings": "Meetings this month", "satisfaction": "Satisfaction",
    "goal_progress": "Progress on goals", "follow_through": "Follow-through", "comment": "Comment",
    "valuable_topics": "Topics that turned out valuable",
    "outcome": "How to go on", "reason": "Reason", "goals_met": "Goals met", "recommend": "Recommendation",
    "answers": "Your answers", "answer": "Your answer",
    # the partnership page's agreement (workspace/agreement.py)
    "agreement_confidential": "Confidentiality", "agreement_meet_every": "How often", "agreement_modes": "How",
    "agreement_wants": "What you want to learn", "agreement_offers": "What you offer",
    "agreement_raise": "Raising a problem", "agreement_action": "Draft or confirm",
    "agreement_mode_person": "In person", "agreement_mode_call": "By call", "agreement_mode_written": "In writing",
    "goals_action": "Goals", "goals_goal": "Goal", "goals_milestone": "Milestone", "goals_title": "Goal",
    "goals_new": "New goal", "goals_owner": "Whose goal", "goals_due": "Due date",
    "log_held_on": "Date", "log_minutes": "Minutes spent", "log_mode": "How", "log_note": "Private note",
    "log_step": "Next step",
    **{name: f"Personality question {i}" for i, name in enumerate(contract.TIPI, 1)},
    **{f"choice-{i}": f"{ordinal(i)} choice" for i in range(1, 11)},
}


def field_label(name: str) -> str:
    """'skills_wanted-3-level' -> 'Skills you want to develop (row 4)'; 'choice-2' -> '2nd choice'."""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    base, _, rest = name.partition("-")
    row = rest.split("-")[0] if rest else ""
    label = FIELD_LABELS.get(base, base.replace("_", " ").capitalize())
    return f"{label} (row {int(row) + 1})" if row.isdigit() else label


Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT), AfterValidator(_storable)]
SkillName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60),
                      AfterValidator(_storable)]
EmployeeId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                              pattern=r"^[A-Za-z0-9._-]+$")]


def _within(kind: type, table: contract.Table, column: str) -> Any:
    """``kind`` within the contract's range for ``table``'s ``column``."""
    bounds = table[column].range
    return Annotated[kind, Field(ge=bounds.low, le=bounds.high)]


Role = Literal[contract.ROLES]
PulseOutcome = Literal[contract.PULSE_OUTCOMES]
SkillLevel = Annotated[int, Field(ge=contract.SKILL_LEVEL.low, le=contract.SKILL_LEVEL.high)]
Tipi = _within(int, contract.APPLICATIONS, contract.TIPI[0])
TipiAnswers = Annotated[list[Tipi], Field(min_length=len(contract.TIPI), max_length=len(contract.TIPI))]
# 0 (or blank) is "no mentees": what a mentee sends; a mentor needs the contract's minimum (role_problems)
Capacity = Annotated[int, Field(ge=0, le=contract.CAPACITY.high)]
Hours = _within(float, contract.APPLICATIONS, "hours_per_month")
AsyncBudget = _within(int, contract.APPLICATIONS, "async_budget")
Meetings = _within(int, contract.PULSE, "meetings")
PulseSatisfaction = _within(int, contract.PULSE, "satisfaction")
GoalProgress = _within(int, contract.PULSE, "goal_progress")
FollowThrough = _within(int, contract.PULSE, "follow_through")
GoalsMet = _within(int, contract.CLOSEOUT, "goals_met")
CloseoutSatisfaction = _within(int, contract.CLOSEOUT, "satisfaction")
Recommend = _within(int, contract.CLOSEOUT, "recommend")


class Answers(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Skill(Answers):
    name: SkillName
    level: SkillLevel

    @field_validator("name")
    @classmethod
    def _no_separators(cls, value: str) -> str:
        separators = (contract.SKILL_LIST.separator, contract.SKILL_LIST.pair)
        if any(s in value for s in separators):
            raise ValueError(f"a skill name cannot contain {' or '.join(repr(s) for s in separators)}")
        return value


class ApplicationAnswers(Answers):
    """A full application (also the gap-fill form, prefilled with what the person gave before)."""

    role: Role
    motivation: Text = ""
    prior_experience: Text = ""
    skills_offered: list[Skill] = Field(default_factory=list, max_length=SKILL_ROWS)
    skills_wanted: list[Skill] = Field(default_factory=list, max_length=SKILL_ROWS)
    goals: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT),
                     AfterValidator(_storable)]
    preferred_traits: Text = ""
    tipi: TipiAnswers
    capacity: Capacity | None = None
    hours_per_month: Hours
    preferred_partners: list[EmployeeId] = Field(default_factory=list, max_length=PARTNER_ROWS)
    avoid_partners: list[EmployeeId] = Field(default_factory=list, max_length=PARTNER_ROWS)
    share_goals: bool = False  # quote my goals to my partner in the introduction emails; unasked: no
    # a self-described network, used for matching only with consent (contract.affinity: stored only then)
    affinity_network: Annotated[str, StringConstraints(strip_whitespace=True, max_length=affinity.MAX_NETWORK),
                                AfterValidator(_storable)] = ""
    affinity_match: bool = False
    affinity_consent: bool = False
    # the outcomes besides a one-to-one partner (contract.outcome_answers: a mentee's circle or budget is not kept)
    circle_volunteer: bool = False
    async_budget: AsyncBudget | None = None
    group_consent: bool = False
    consent: bool

    @field_validator("consent")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        if not value:
            raise ValueError("please agree to the confidentiality terms to take part")
        return value

    @model_validator(mode="after")
    def _role_needs(self) -> ApplicationAnswers:
        problems = role_problems({name: getattr(self, name) for name in type(self).model_fields})  # no deep dump
        if problems:
            raise FieldErrors(problems)
        return self

    def store_row(self) -> dict[str, Any]:
        """The applications row (data-contract encodings: skills 'name:level;…', partners 'id;…')."""
        row = self.model_dump(exclude={"tipi", "consent", "skills_offered", "skills_wanted",
                                       "preferred_partners", "avoid_partners"})
        row.update(zip(contract.TIPI, self.tipi))
        for column in contract.APPLICATIONS.of_kind("skills"):
            row[column] = format_skills((s.name, s.level) for s in getattr(self, column))
        for column in contract.APPLICATIONS.of_kind("ids"):
            row[column] = format_ids(getattr(self, column))
        row.update(affinity.consented(row))  # the network is stored only with consent
        row.update(outcome_answers.stored(row))  # a circle and a written budget are a mentor's offers
        return row


def role_problems(data: Mapping[str, Any]) -> dict[str, str]:
    """What a role needs beyond each field being valid; also run on partly invalid input, so a
    person sees every problem at once rather than one round at a time."""
    role = data.get("role")
    needs = {column: role in contract.APPLICATIONS[column].needed_by
             for column in ("skills_offered", "skills_wanted", "capacity")}
    problems: dict[str, str] = {}
    if needs["skills_offered"] and not data.get("skills_offered"):
        problems["skills_offered"] = "mentors name at least one skill they can offer"
    if needs["capacity"] and _below(data.get("capacity"), contract.CAPACITY.low):
        problems["capacity"] = f"mentors can take at least {_mentees(contract.CAPACITY.low)}"
    if needs["skills_wanted"] and not data.get("skills_wanted"):
        problems["skills_wanted"] = "mentees name at least one skill they want to develop"
    overlap = set(data.get("preferred_partners") or []) & set(data.get("avoid_partners") or [])
    if overlap:
        problems["avoid_partners"] = f"{', '.join(sorted(map(str, overlap)))} is also a preferred partner"
    problems.update(affinity.form_problems(data))
    return problems


def _below(value: Any, low: float | None) -> bool:
    """Blank, or a number under ``low``; text that is no number is left to the field's own check."""
    if value is None or str(value).strip() == "":
        return True
    try:
        return low is not None and float(value) < low
    except (TypeError, ValueError):
        return False


def _mentees(number: float | None) -> str:
    return "one mentee" if number == 1 else f"{number:g} mentees"


class PulseAnswers(Answers):
    match_id: int
    meetings: Meetings
    satisfaction: PulseSatisfaction
    goal_progress: GoalProgress
    follow_through: FollowThrough
    comment: Text = ""
    outcome: PulseOutcome = contract.PULSE_OUTCOMES[0]


class RematchAnswers(Answers):
    match_id: int
    reason: Literal["schedule", "goals", "chemistry", "role_change", "other"]
    comment: Text = ""


class CloseoutAnswers(Answers):
    goals_met: GoalsMet
    satisfaction: CloseoutSatisfaction
    recommend: Recommend
    valuable_topics: Text = ""
    comment: Text = ""


class OfferAnswers(Answers):
    """The choice among what someone without a one-to-one partner was offered (forms.offer checks it was)."""

    choice: Literal["circle", "async", "waitlist", "none"]


MODELS: dict[str, type[Answers]] = {
    "application": ApplicationAnswers,
    "gapfill": ApplicationAnswers,
    "pulse": PulseAnswers,
    "rematch": RematchAnswers,
    "closeout": CloseoutAnswers,
    "offer": OfferAnswers,
}


