"""Preferred and avoided partners chosen by name from the cohort's roster, never typed employee ids.

How the application form offers names depends on the roster's size:

Only the cohort's eligible people are offered (names, job titles and departments: what colleagues see in a company
directory; never anything else of them).

- up to :data:`LIST_LIMIT` other people: every choice is a ``<select>`` of every name (a short list reads
  fine, on a phone too);
- more: a name search per list. Its button is a submit button of the application form itself (no
  JavaScript needed, nothing typed is lost: the page comes back with every answer kept, nothing saved),
  and each choice's ``<select>`` then offers the names found plus whoever is already chosen.

The options' values, and so what is stored, stay the employee ids the matcher reads; an id that is not
someone else on the roster is refused beside its list.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract import columns as contract
from mentorflow.forms.models import PARTNER_ROWS, ApplicationAnswers, FieldErrors
from mentorflow.forms.registry import APPLICATION_FORMS
from mentorflow.store import Store, people

LIST_LIMIT = 150  # other people on the roster up to which every choice lists every name
SEARCH_RESULTS = 20  # names a search shows at most
MIN_QUERY = 2  # characters a search needs
LISTS: tuple[str, ...] = tuple(contract.APPLICATIONS.of_kind("ids"))  # preferred_partners, avoid_partners
FIND = "find"  # the search button's name; its value is the list searched


def query_field(column: str) -> str:
    return f"{column}-find"


@dataclass
class PartnerChoices:
    """What the two lists offer: per list the (id, label) options, and in search mode what was searched."""

    searching: bool
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    found: dict[str, str] = field(default_factory=dict)  # list -> what the search found, in words


def _label(row: Mapping) -> str:
    where = ", ".join(str(row[k]) for k in ("job_title", "department") if row.get(k))
    return f"{row['full_name']} ({where})" if where else str(row["full_name"])


def _eligible(cohort: str):
    """The cohort's eligible people by name (no one else's name is shown to an applicant: the ineligible can be
    neither a partner nor one to avoid)."""
    return (sa.select(people.c.employee_id, people.c.full_name, people.c.job_title, people.c.department)
            .where(people.c.cohort_id == cohort, people.c.eligible.is_(True))
            .order_by(people.c.full_name, people.c.employee_id))


def _select(config: CohortConfig, me: str):
    """The people an applicant may choose: the cohort's eligible people but themselves."""
    return _eligible(config.cohort).where(people.c.employee_id != me)


def _options(rows) -> list[tuple[str, str]]:
    return [(r["employee_id"], _label(r)) for r in rows]


def load(config: CohortConfig, store: Store, me: str, values: Mapping[str, str]) -> PartnerChoices:
    """The names each list offers ``me``: everyone (a small roster), else the chosen and the found."""
    with store.engine.connect() as conn:
        # one statement for a small roster: up to one name more than a list shows says which case this is
        listed = list(conn.execute(_select(config, me).limit(LIST_LIMIT + 1)))
        if len(listed) <= LIST_LIMIT:
            everyone = _options(r._mapping for r in listed)
            return PartnerChoices(False, {column: everyone for column in LISTS})
        choices = PartnerChoices(True)
        for column in LISTS:
            chosen = [v for i in range(PARTNER_ROWS) if (v := (values.get(f"{column}-{i}") or "").strip())]
            rows = list(conn.execute(_select(config, me).where(people.c.employee_id.in_(chosen)))) if chosen else []
            query = (values.get(query_field(column)) or "").strip()
            if len(query) >= MIN_QUERY:
                pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                hits = list(conn.execute(_select(config, me).where(people.c.full_name.ilike(pattern, escape="\\"))
                                         .limit(SEARCH_RESULTS + 1)))
                more = len(hits) > SEARCH_RESULTS
                hits = hits[:SEARCH_RESULTS]
                choices.found[column] = (f"No one on the roster is called “{query}”." if not hits else
                                         f"{len(hits)}{' or more' if more else ''} name(s) found for “{query}”: "
                                         "pick them in the lists below" + (" (type more of the name to narrow "
                                                                         "it down)" if more else "") + ".")
                rows += [h for h in hits if h.employee_id not in chosen]
            elif query:
                choices.found[column] = f"Type at least {MIN_QUERY} letters of the name."
            choices.options[column] = _options(r._mapping for r in rows)
        return choices


Listing = tuple[tuple[str, str], ...]  # (id, label) of the first eligible people by name: roster_listing


def roster_listing(conn: sa.Connection, cohort: str) -> Listing:
    """The cohort's first :data:`LIST_LIMIT` + 2 eligible people as options: enough to tell, for any applicant,
    whether their lists show everyone else (:func:`blank_choices`). One read serves many applicants' pages."""
    return tuple(_options(r._mapping for r in conn.execute(_eligible(cohort).limit(LIST_LIMIT + 2))))


def blank_choices(listing: Listing, me: str) -> PartnerChoices:
    """What :func:`load` offers ``me`` when no name is searched (and, on a large roster, no one is chosen), from
    :func:`roster_listing`: a small roster's lists are the same whoever is chosen."""
    others = [option for option in listing if option[0] != me]
    if len(others) > LIST_LIMIT:
        return PartnerChoices(True, {column: [] for column in LISTS})
    return PartnerChoices(False, {column: others for column in LISTS})


def everyone_searches(listing: Listing) -> bool:
    """Whether :func:`roster_listing` has more names than any eligible applicant's lists show (else it is the
    whole roster, the applicant among them)."""
    return len(listing) > LIST_LIMIT + 1


def searched(form: str, fields: Mapping[str, str] | None) -> bool:
    """Whether an application form's post is a name search (its Find button), not a submission."""
    return form in APPLICATION_FORMS and fields is not None and fields.get(FIND) in LISTS


def check(config: CohortConfig, store: Store, me: str, answers: object) -> None:
    """An application's partners must be other people of the roster: else :class:`FieldErrors` beside the list."""
    if isinstance(answers, ApplicationAnswers):
        problems = unknown(config, store, me, {column: getattr(answers, column) for column in LISTS})
        if problems:
            raise FieldErrors(problems)


def unknown(config: CohortConfig, store: Store, me: str, chosen: Mapping[str, list[str]]) -> dict[str, str]:
    """Errors for chosen ids that are not someone else on the roster (a list posted by hand, an old id)."""
    ids = {i for column in LISTS for i in chosen.get(column) or []}
    if not ids:
        return {}
    with store.engine.connect() as conn:
        known = set(conn.execute(sa.select(people.c.employee_id).where(
            people.c.cohort_id == config.cohort, people.c.employee_id.in_(ids), people.c.employee_id != me)).scalars())
    return off_roster(chosen, known)


def off_roster(chosen: Mapping[str, list[str]], others: Collection[str]) -> dict[str, str]:
    """The error beside each list naming an id not among ``others`` (someone else on the roster)."""
    return {column: "please choose people from the list (someone else on the program's roster)"
            for column in LISTS if any(i not in others for i in chosen.get(column) or [])}
