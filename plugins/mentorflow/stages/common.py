"""What every stage works with: the run it belongs to, the people it writes to, and the ledger it sends through.

A stage function takes a :class:`CohortRun` (the cohort, its store and the run's moment, which comes
from Airflow's logical date, never the wall clock) and returns a small JSON-able summary that
Airflow keeps as the task's return value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from mentorflow.cohorts.config import CohortConfig
from mentorflow.forms import tokens
from mentorflow.messaging import Attachment, LedgerKey, OutgoingEmail, render_email
from mentorflow.messaging.delivery import backend_for
from mentorflow.messaging.ledger import send_once
from mentorflow.store import Store, people


@dataclass(frozen=True)
class CohortRun:
    """One run of one stage task: which cohort, which store, at which moment (the run's logical date)."""

    config: CohortConfig
    store: Store
    moment: dt.datetime
    run_id: str = "manual"

    @property
    def cohort(self) -> str:
        return self.config.cohort


def people_index(store: Store, cohort: str) -> dict[str, dict[str, Any]]:
    """Everyone of the cohort's roster by employee id."""
    return {p["employee_id"]: p for p in store.rows(people, cohort_id=cohort)}


def program_contact(config: CohortConfig, who: str = "ops") -> dict[str, Any]:
    """The program team (``ops``) or HR as a recipient."""
    email = config.sender.ops_email if who == "ops" else config.sender.hr_email
    return {"employee_id": f"__{who}__", "full_name": "Program ops" if who == "ops" else "HR", "email": email}


PARTNERSHIP = "partnership"  # the partnership page's form kind (mentorflow.forms.partnership)


def form_link(config: CohortConfig, person_id: str, form: str, period: str, until: dt.datetime | None = None) -> str:
    """A personal, signed link to one form for one period (``until``: a later deadline for this link only,
    ``mentorflow forms link --until``)."""
    return tokens.link(config.forms_base_url, tokens.FormGrant(config.cohort, person_id, form, period, until))


def compose(config: CohortConfig, person: dict[str, Any], template: str, ledger_period: str, *,
            attachments: tuple[Attachment, ...] = (), partnered: bool = False, **context: Any) -> OutgoingEmail:
    """One rendered email to ``person``, keyed in the ledger by (cohort, person, template, period),
    carrying ``attachments``. A ``partnered`` reader (in a pair, group or circle whose partnership page is
    open) gets their personal link to that page (``partnership_link``, printed by the templates'
    ``_partnership`` partial); everyone else ``None``."""
    link = form_link(config, person["employee_id"], PARTNERSHIP, "") if partnered else None
    ctx = {"cohort": {"cohort": config.cohort, "name": config.name, "program_type": config.program_type.value},
           "person": person, "ops_email": config.sender.ops_email, "partnership_link": link, **context}
    subject, html, text = render_email(template, ctx)
    return OutgoingEmail(
        key=LedgerKey(config.cohort, person["employee_id"], template, ledger_period),
        to_email=person["email"], to_name=person["full_name"], subject=subject, html=html, text=text,
        from_email=config.sender.from_email, from_name=config.sender.from_name,
        categories=("mentorflow", template, config.cohort), attachments=tuple(attachments),
    )


def send(run: CohortRun, messages: list[OutgoingEmail]) -> dict[str, int]:
    """Send through the ledger: each (person, template, period) at most once, however often a task runs."""
    return send_once(run.store, backend_for(run.config), messages)


def partners_by_person(pairs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each person's partners in ``pairs`` (a mentor of two mentees has two)."""
    partners: dict[str, list[str]] = {}
    for pair in pairs:
        partners.setdefault(pair["mentor_id"], []).append(pair["mentee_id"])
        partners.setdefault(pair["mentee_id"], []).append(pair["mentor_id"])
    return partners
