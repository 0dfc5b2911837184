"""The proposed-matches report the committee reviews before approving a round.

It shows every pair with its score, who is left unmatched, and the fairness audit, so the
committee can see whether a group is being served worse before anyone is told. It shows no more of a
person than the committee needs (name, job title, department), never why someone is not eligible, and
the audit's groups under the same disclosure rules as the HR report.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from mentorflow.matching import fairness
from mentorflow.reports import affinity_counts, coverage, coverage_view
from mentorflow.reports.disclosure import SUPPRESSED, Problem, publish
from mentorflow.reports.render import MIN_CELL, histogram, write_report
from mentorflow.reports.skill_supply import unknown_skill_uses
from mentorflow.store import Store, applications, match_certificates, matches, people, unmatched

NOT_ELIGIBLE = "not eligible under the cohort's eligibility rules"
SHOWN = ("full_name", "job_title", "department")  # what the report shows of a person


def published_audit(audit: fairness.Audit) -> fairness.Audit:
    """The fairness audit as the committee may see it, under the HR report's disclosure rules: no group
    under MIN_CELL people, shown or worked out of the totals (every department, level and location adds up
    to the people who looked for a partner; every demographic grouping to those who consented). A rate is
    shown when its parts are, a mean score when at least MIN_CELL of the group were matched, and a flag
    only over numbers that are shown."""
    p = Problem()
    p.cell("population", audit.population, public=True)  # the pairs and the unmatched list name them all
    p.cell("matched", audit.matched, public=True)
    for grouping in dict.fromkeys(r.grouping for r in audit.rows):
        mine = [(i, r) for i, r in enumerate(audit.rows) if r.grouping == grouping]
        total, matched = "population", "matched"
        if grouping in fairness.DEMOGRAPHICS:
            total, matched = p.cell("consented", sum(r.size for _, r in mine), hidden=True), p.cell(
                "consented.matched", sum(r.matched for _, r in mine), hidden=True)
        people = [p.cell(f"{i}.people", r.size, parent=total) for i, r in mine]
        for i, r in mine:
            p.at_most(p.cell(f"{i}.matched", r.matched, parent=f"{i}.people"), f"{i}.people")
        p.total(total, people)
        p.total(matched, [f"{i}.matched" for i, _ in mine])
    pub = publish(p)
    rows, flags = [], []
    for i, r in enumerate(audit.rows):
        rate_shown = pub.published(f"{i}.people") and pub.published(f"{i}.matched")
        mean = pub.mean(r.mean, f"{i}.matched", "{:.3f}") if rate_shown else SUPPRESSED
        said = [f for f, shown in ((r.rate_flag, rate_shown), (r.score_flag, mean != SUPPRESSED)) if f and shown]
        rows.append(replace(r, people=pub.count(f"{i}.people"), match_rate=pub.rate(f"{i}.matched", f"{i}.people"),
                            mean_score=mean, flag="; ".join(said)))
        if said:
            flags.append(f"{r.grouping} {r.group}: " + "; ".join(said))
    return replace(audit, rows=rows, flags=flags)


def _for_committee(person: dict[str, Any] | None, employee_id: str) -> dict[str, Any]:
    person = person or {"full_name": employee_id, "department": ""}
    return {k: person.get(k, "") for k in SHOWN}


def match_report_context(config, round_name: str, pairs: list[dict], left: list[dict], roster: pd.DataFrame,
                         roles: dict[str, str], apps: list[dict] | None = None,
                         certificate: dict | None = None, held: list[dict] = ()) -> dict[str, Any]:
    """What the proposed-matches report shows, including the fairness audit (groups under 5 suppressed),
    the pruning certificate and, from the applications ``apps``, how many asked for a partner from their
    network and got one (suppressed the same way; never which network or who), and the coverage: how many
    applicants have a one-to-one partner with ``pairs`` and the live pairs ``held`` (other rounds'), how many
    will be offered alternatives (:func:`mentorflow.reports.coverage_view.committee_view`)."""
    everyone = _people_of(roster, [p[k] for p in pairs for k in ("mentor_id", "mentee_id")],
                          [r["employee_id"] for r in left], [a["employee_id"] for a in apps or []])
    for pair in pairs:
        pair["mentor"] = _for_committee(everyone[pair["mentor_id"]], pair["mentor_id"])
        pair["mentee"] = _for_committee(everyone[pair["mentee_id"]], pair["mentee_id"])
    for row in left:
        row["person"] = _for_committee(everyone.get(row["employee_id"]), row["employee_id"])
        if str(everyone.get(row["employee_id"], {}).get("on_pip", "")).lower() in ("true", "1"):
            row["reason"] = NOT_ELIGIBLE  # never why: a performance improvement plan is not the committee's business
    symbiotic = config.program_type.value == "symbiotic"
    seekers = [p["mentee_id"] for p in pairs] + [p["mentor_id"] for p in pairs if symbiotic] + [
        r["employee_id"] for r in left if symbiotic or roles.get(r["employee_id"]) in ("mentee", "both")]
    frame = pd.DataFrame(pairs, columns=["mentor_id", "mentee_id", "score"]) if pairs else pd.DataFrame(
        columns=["mentor_id", "mentee_id", "score"])
    return {"round": round_name, "pairs": sorted(pairs, key=lambda p: -p["score"]), "unmatched": left,
            "histogram": histogram([p["score"] for p in pairs], bins=10, low=0.0, high=1.0),
            "audit": published_audit(fairness.audit(roster, seekers, frame)), "min_cell": MIN_CELL,
            "affinity": affinity_counts.published(affinity_counts.raw(
                getattr(getattr(config, "matching", None), "affinity", None), apps or [], pairs)),
            "certificate": certificate_line(certificate, sum(p["score"] for p in pairs)),
            "coverage": coverage_view.committee_view(apps or [], everyone.values(), pairs, held)}


def _people_of(roster: pd.DataFrame, *ids: list[str]) -> dict[str, dict[str, Any]]:
    """The roster rows of the people named in ``ids`` (pairs, the unmatched, the applicants), by employee id (the
    last row of an id, as the roster is read): a company's roster is mostly people who never applied, and turning
    each of its rows into a dictionary cost more than the rest of the report."""
    if roster.empty:
        return {}
    named = set().union(*ids)
    return {p["employee_id"]: p for p in roster[roster["employee_id"].isin(named)].to_dict("records")}


def certificate_line(certificate: dict | None, shown_total: float) -> str:
    """What the report says about pruning: the matcher's certificate, or plainly that there is none."""
    if certificate is None:
        return "no pruning certificate was recorded for this round"
    text = certificate["text"]
    if certificate.get("computed") and abs(certificate["total"] - shown_total) > 1e-3:
        text += f" (for the matcher's proposal; the pairs shown total {shown_total:.4f} after the data-quality gate)"
    return text


def stored_certificate(store: Store, cohort: str, round_name: str) -> dict | None:
    """The pruning certificate the match stage stored with the round's proposal (None: none recorded)."""
    stored = store.rows(match_certificates, cohort_id=cohort, round=round_name)
    return json.loads(stored[0]["certificate_json"]) if stored else None


def write_match_report(config, store: Store, round_name: str) -> Path:
    """``matches-<round>.html``: the round's live pairs (proposed, approved, active) and who is left."""
    pairs = [m for m in store.rows(matches, cohort_id=config.cohort, round=round_name)
             if m["status"] in ("proposed", "approved", "active")]
    left = store.rows(unmatched, cohort_id=config.cohort, round=round_name)
    app_rows = store.rows(applications, cohort_id=config.cohort)
    roles = {a["employee_id"]: a["role"] for a in app_rows}
    context = match_report_context(config, round_name, pairs, left, store.frame(people, cohort_id=config.cohort), roles,
                                   app_rows, certificate=stored_certificate(store, config.cohort, round_name),
                                   held=coverage.held_pairs(store, config.cohort))
    # for ops: names to add to the skill vocabulary
    context["unknown_skills"] = unknown_skill_uses(pd.DataFrame(app_rows))
    return write_report(config, f"matches-{round_name}.html", "matches.html", context, store, f"matches-{round_name}")
