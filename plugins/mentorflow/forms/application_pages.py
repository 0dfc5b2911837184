"""The application forms' pages answered on the event loop: a page rendered once and filled in, for every
applicant who has not answered yet, instead of a template render and three reads per page.

A whole company opens its links within a few days, and every submission starts with this page. Before an
applicant has answered, their page differs from anyone else's in the same cohort only by their name, their link
and the CSRF field (and, for a small roster, by their own name missing from the partner lists). So the page is
rendered once per cohort, form, deadline and roster listing with a marker in each of those places (a *shell*),
and each request fills the markers in, escaped as the template would escape them. Before a shell is used it
must reproduce, for a probe applicant whose name needs escaping, the page the template renders: a template
edit the shell cannot follow falls back to rendering every page, with a warning.

The pages that arrive together read their applicants (on the roster, eligible, answered already, and the answers
of those who did) together (:mod:`mentorflow.forms.group_commit`); the roster's first names are read again at
most once per ``recheck_seconds``. The page of someone who answered already (the page after saving, the
gap-fill form) is their answers rendered into the template from that read. Anything else (a large roster's page
that must name the partners someone chose, a closed form, a refused link, a JSON client) goes the general way
in :mod:`mentorflow.forms.app`, which reads and renders it as before.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from mentorflow import settings
from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract import skills
from mentorflow.forms import controls, form_page, partners, registry, security
from mentorflow.forms import fields as form_fields
from mentorflow.forms.group_commit import GroupCommit
from mentorflow.forms.models import PARTNER_ROWS
from mentorflow.forms.request_limits import SECURITY_HEADERS
from mentorflow.forms.tokens import FormGrant
from mentorflow.store import Store, applications, people

log = logging.getLogger("mentorflow.forms")

# the page route reads its form and link from the request itself (nothing for FastAPI to solve on every page);
# this is how the API description still lists them
PAGE_PARAMETERS = {"parameters": [
    {"name": "form", "in": "path", "required": True, "schema": {"type": "string"}},
    {"name": "token", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "the personal link's token"},
    {"name": "saved", "in": "query", "required": False, "schema": {"type": "integer", "default": 0},
     "description": "1: the page right after saving, with its notice"},
    {"name": "match_id", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "pair forms: which partnership the page is about"}]}
SHELLS_KEPT = 64  # shells kept per app (a few per cohort: its forms, deadlines and roster listings)
PROBE = {"name": "Zoë O'Brien <b>&amp; \"Co\"", "action": "application?token=probe%2F%26%3C&x=\"1\"",
         "csrf": "c5rf'<>&", "token": "probe/&<\"'"}  # a shell must reproduce the page for these


@dataclass(frozen=True)
class Applicant:
    """What an application page needs from the store: the person's row (None: not on the roster) and their stored
    answer (None: not answered yet)."""

    person: dict[str, Any] | None
    stored: dict[str, Any] | None = None


def read_applicants(conn: sa.Connection, wanted: Sequence[tuple[str, str]]) -> list[Applicant]:
    """(cohort, employee id) -> :class:`Applicant`, for many pages in one statement per cohort (two when some of
    them answered already: their answers)."""
    found: dict[tuple[str, str], Applicant] = {}
    for cohort in {c for c, _ in wanted}:
        ids = sorted({e for c, e in wanted if c == cohort})
        persons = {r["employee_id"]: dict(r) for r in conn.execute(_PEOPLE, {"cohort": cohort, "ids": ids}).mappings()}
        answered = sorted(e for e, person in persons.items() if person.pop("answered"))
        stored = {r["employee_id"]: dict(r) for r in conn.execute(
            _ANSWERS, {"cohort": cohort, "ids": answered}).mappings()} if answered else {}
        found.update({(cohort, e): Applicant(persons.get(e), stored.get(e)) for e in ids})
    return [found.get(key, Applicant(None)) for key in wanted]


_PEOPLE, _ANSWERS = (  # built once: every batch of pages runs them
    sa.select(*columns).where(table.c.cohort_id == sa.bindparam("cohort"),
                              table.c.employee_id.in_(sa.bindparam("ids", expanding=True)))
    for table, columns in ((people, (people, sa.exists().where(
        applications.c.cohort_id == people.c.cohort_id, applications.c.employee_id == people.c.employee_id
    ).label("answered"))), (applications, (applications,))))


class Shell:
    """A rendered page with markers where the applicant's values go; :meth:`fill` puts them in, escaped, as the
    UTF-8 the response sends (the constant parts are encoded once)."""

    def __init__(self, parts: list[bytes], slots: list[str], listed: partners.Listing):
        self.parts, self.slots = parts, slots  # text, then the slot after it, for each slot; then the last text
        self.listed = dict(listed)  # list mode: everyone on the roster is in the lists; each page drops its reader

    @classmethod
    def cut(cls, html: str, markers: Mapping[str, str], listed: partners.Listing) -> Shell:
        by_marker = {marker: slot for slot, marker in markers.items()}
        pieces = re.split("(" + "|".join(map(re.escape, by_marker)) + ")", html)
        return cls([p.encode() for p in pieces[0::2]], [by_marker[m] for m in pieces[1::2]], listed)

    def fill(self, values: Mapping[str, str], me: str) -> bytes:
        out = [self.parts[0]]
        for slot, text in zip(self.slots, self.parts[1:]):
            out += (str(escape(values[slot])).encode(), text)
        html = b"".join(out)
        if me in self.listed:  # the reader's own name is not among the people they may choose
            _, head, tail = controls.escaped_options([(me, self.listed[me])])[0]
            html = html.replace((head + tail).encode(), b"")
        return html


class ApplicationPages:
    """``await pages.show(...)`` -> the page, or None for the general way."""

    def __init__(self, forms_settings: registry.FormsSettings, env: jinja2.Environment) -> None:
        self.settings, self.env = forms_settings, env
        self._reads: dict[int, GroupCommit[tuple[str, str]]] = {}
        self._listings: dict[tuple[int, str], tuple[float, partners.Listing]] = {}  # (read at, listing)
        self._shells: dict[tuple, tuple[float, tuple, Shell | None]] = {}  # (checked at, what it was built from, shell)

    async def show(self, request: Request, token: str, granted: tuple[FormGrant, CohortConfig, Store],
                   saved: bool = False) -> Response | None:
        grant, config, store = granted
        try:
            closes = registry.check_open(config, grant, self.settings.clock(), registry.TITLES[grant.form])
        except registry.Refusal:
            return None
        applicant, listing = await self._reader(store).submit((config.cohort, grant.person_id))
        if applicant.person is None or not applicant.person["eligible"] or (saved and applicant.stored is None):
            return None
        nonce = form_page.nonce(request)
        if applicant.stored is not None:
            return self._answered(request, token, grant, config, closes, applicant, listing, nonce, saved)
        shell = self.shell(grant, config, closes, listing)
        if shell is None:
            return None
        html = shell.fill({"name": applicant.person["full_name"], "action": form_page.action(grant.form, token),
                           "csrf": security.csrf_field(nonce, token), "token": token}, grant.person_id)
        return form_page.keep_nonce(HTMLResponse(html, headers=SECURITY_HEADERS), request, nonce)

    def _answered(self, request: Request, token: str, grant: FormGrant, config: CohortConfig, closes: dt.datetime,
                  applicant: Applicant, listing: partners.Listing, nonce: str, saved: bool) -> Response | None:
        """The page of someone who answered already (the page after saving, the gap-fill form): their answers
        rendered into the template, with the reads above; None (the general way) when a large roster's lists
        must name the partners they chose (a read of its own)."""
        values = form_fields.prefill(grant.form, applicant.stored)
        choices = partners.blank_choices(listing, grant.person_id)
        if choices.searching and any(values.get(f"{c}-{i}") for c in partners.LISTS for i in range(PARTNER_ROWS)):
            return None
        html = self.env.get_template(form_page.template(grant.form)).render(**form_page.context(
            grant.form, config, grant, person=applicant.person, token=token, csrf_value=security.csrf_field(
                nonce, token), deadline=calendar.describe(closes, config), values=values, errors={},
            partner_choices=choices, saved=saved))
        return form_page.keep_nonce(HTMLResponse(html, headers=SECURITY_HEADERS), request, nonce)

    def close(self) -> None:
        for reads in list(self._reads.values()):
            reads.close()

    def shell(self, grant: FormGrant, config: CohortConfig, closes: dt.datetime,
              listing: partners.Listing) -> Shell | None:
        """The cohort's page for ``grant``'s form before an answer: built on first use, kept while the cohort's
        file, the template and the skill vocabulary stay the same (the last two looked at once per
        ``recheck_seconds``) and, for a small roster, the listing."""
        searching = partners.everyone_searches(listing)
        key = (grant.form, config.cohort, closes, None if searching else listing)
        kept = self._shells.get(key)
        now = time.monotonic()
        if kept is not None and kept[1][0] is config and now - kept[0] < self.settings.recheck_seconds:
            return kept[2]
        owners = (config, self.env.get_template(form_page.template(grant.form)),
                  skills.vocabulary(settings.include_dir()))
        if kept is not None and all(a is b for a, b in zip(kept[1], owners)):
            self._shells[key] = (now, owners, kept[2])
            return kept[2]
        shell = self._build(owners[1], grant, config, calendar.describe(closes, config), () if searching else listing)
        if len(self._shells) >= SHELLS_KEPT:
            self._shells.pop(next(iter(self._shells)))
        self._shells[key] = (now, owners, shell)
        return shell

    def _build(self, template: jinja2.Template, grant: FormGrant, config: CohortConfig, deadline: str,
               listed: partners.Listing) -> Shell | None:
        markers = {slot: f"mentorflowslot{secrets.token_hex(8)}{slot}" for slot in PROBE}
        everyone = partners.PartnerChoices(True, {c: [] for c in partners.LISTS}) if not listed else \
            partners.PartnerChoices(False, {c: list(listed) for c in partners.LISTS})

        def render(values: Mapping[str, str], choices: partners.PartnerChoices) -> str:
            return template.render(**form_page.context(
                grant.form, config, grant, person={"full_name": values["name"]}, token=values["token"],
                csrf_value=values["csrf"], deadline=deadline, values={}, errors={}, partner_choices=choices,
                posts_to=values["action"]))

        try:
            shell = Shell.cut(render(markers, everyone), markers, listed)
            reader = listed[0][0] if listed else "nobody"
            probe = render(PROBE, partners.blank_choices(listed, reader) if listed else everyone)
            # the template may put a value where escaping differs from a page's text (a URL, a script): then no shell
            usable = probe.encode() == shell.fill(PROBE, reader)
        except Exception:  # noqa: BLE001 - a template the shell cannot render is rendered the general way
            log.warning("mentorflow forms: the %s page cannot be rendered once and filled in; rendering each page",
                        grant.form, exc_info=True)
            return None
        if not usable:
            log.warning("mentorflow forms: the %s page does not fill in as it renders; rendering each page", grant.form)
            return None
        return shell

    def _reader(self, store: Store) -> GroupCommit[tuple[str, str]]:
        key = id(store)
        if key not in self._reads:
            self._reads[key] = GroupCommit(store.engine, lambda conn, wanted: self._read(key, conn, wanted))
        return self._reads[key]

    def _read(self, store_key: int, conn: sa.Connection, wanted: Sequence[tuple[str, str]]) -> list[tuple]:
        """Each page's (applicant, roster listing): the listing read again once it is ``recheck_seconds`` old."""
        now = time.monotonic()
        for cohort in {c for c, _ in wanted}:
            kept = self._listings.get((store_key, cohort))
            if kept is None or now - kept[0] >= self.settings.recheck_seconds:
                self._listings[(store_key, cohort)] = (now, partners.roster_listing(conn, cohort))
        return [(applicant, self._listings[(store_key, cohort)][1])
                for applicant, (cohort, _) in zip(read_applicants(conn, wanted), wanted)]
