"""A gate: run the suites of one hand-off, apply each check's severity, quarantine, report.

Hard failures stop the stage with :class:`mentorflow.errors.GateFailure` naming the check, how
many rows failed and a sample; soft failures put the rows in the ``quarantine`` table with their
reasons and the caller goes on without them. A problem ops *released* (``mentorflow quarantine
release``) is an override: the gate no longer holds that record for that exact reason.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pandas as pd
import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract.checks import CHECKS
from mentorflow.errors import GateFailure
from mentorflow.quality.expectations import Result, validate
from mentorflow.quality.reader import LINE, ROW
from mentorflow.quality.report import write_report
from mentorflow.quality.results import Batch, CheckOutcome, GateResult, Problem
from mentorflow.store import Store, quarantine

log = logging.getLogger("mentorflow")

SAMPLE = 5


def _record_key(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return f"line {row[LINE]}" if LINE in row and pd.notna(row[LINE]) else "(no id)"
    return str(value)


def _problems(batch: Batch, result: Result, severity: str, records: dict[int, dict[str, Any]],
              kept: dict[int, dict[str, Any]]) -> list[Problem]:
    """``records``: the batch's failing rows by ``_row`` (every column); ``kept``: what a problem keeps of each."""
    out = []
    for row_id in sorted(set(result.unexpected_rows)):
        values = records[row_id]
        values[ROW] = row_id
        line = values.get(LINE)
        out.append(Problem(batch.name, int(row_id), _record_key(values, batch.key),
                           int(line) if line is not None and pd.notna(line) else None, result.spec.check,
                           f"{result.spec.check}: {result.spec.reason(values)}", severity, dict(kept[row_id])))
    return out


def _failing_records(batch: Batch, results: list[Result]) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """Each row any expectation found unexpected, as a record, built once however many checks it failed; and
    what a problem keeps of it (its columns but the internal ones, a missing value as ``None``). Both are
    built column by column: a held row's values are read out of each column once, not cell by cell."""
    failing = sorted({r for result in results for r in result.unexpected_rows})
    if not failing:
        return {}, {}
    found = batch.frame.set_index(ROW, drop=False).loc[failing]
    if batch.complete is not None:
        found = batch.complete(found)
    columns = list(found.columns)
    values = [found[c].tolist() for c in columns]
    records = {row: dict(zip(columns, cells)) for row, cells in zip(found.index, zip(*values))}
    kept_columns = [i for i, c in enumerate(columns) if not str(c).startswith("_") or c == LINE]
    missing = found.iloc[:, kept_columns].isna().to_numpy()
    kept_values = [[None if gone else cell for cell, gone in zip(values[i], missing[:, k])]
                   for k, i in enumerate(kept_columns)]
    names = [columns[i] for i in kept_columns]
    kept = {row: dict(zip(names, cells)) for row, cells in zip(found.index, zip(*kept_values))}
    return records, kept


def _released(store: Store, cohort: str, gate: str) -> set[tuple[str, str]]:
    released = store.rows(quarantine, cohort_id=cohort, gate=gate, status="released")
    return {(r["record_key"], r["reason"]) for r in released}


def run_gate(config: CohortConfig, store: Store, gate: str, batches: list[Batch], *,
             complete: bool = False, record: bool = True) -> GateResult:
    """Validate every batch, quarantine what failed, write the report; raise on a hard failure.
    ``record=False`` (a committee what-if) validates only: no quarantine row, no report.

    ``complete`` says the batches hold the whole population of the gate, so an open problem that no
    longer occurs was fixed at the source and is closed as ``fixed``.
    """
    released = _released(store, config.cohort, gate)
    outcomes: dict[str, CheckOutcome] = {}
    checked = 0
    for batch in batches:
        checked += len(batch.frame)
        results = validate(f"{gate}.{batch.name}", batch.frame, batch.specs)
        records, kept = _failing_records(batch, results)
        for result in results:
            check = result.spec.check
            severity = config.quality.severity_of(check)
            outcome = outcomes.setdefault(check, CheckOutcome(check, severity, [], 0))
            outcome.expectations.append(f"{_snake(result.spec.expectation)} on {result.spec.target}")
            outcome.checked = max(outcome.checked, result.element_count, len(batch.frame))
            if result.error:
                outcome.error = f"the expectation could not run: {result.error}"
            elif result.spec.table_level and not result.success:
                outcome.table_failure = result.spec.reason(result.observed)
            for problem in _problems(batch, result, severity, records, kept):
                if (problem.record_key, problem.reason) in released:
                    outcome.overridden += 1
                else:
                    outcome.problems.append(problem)
    ordered = [outcomes[c] for c in CHECKS if c in outcomes]
    hard = [o for o in ordered if (o.severity == "hard" and not o.passed) or o.error]
    if not record:
        if hard:
            raise GateFailure(f"{gate} gate failed (hard): " + " | ".join(_describe(o) for o in hard))
        return GateResult(gate, checked, ordered, None)
    _quarantine(store, config.cohort, gate, [p for o in ordered for p in o.problems], complete=complete)
    report = write_report(config, store, gate, checked, ordered, stopped=bool(hard))
    log.info("mentorflow data-quality report for gate %s: %s", gate, report)
    if hard:
        raise GateFailure(f"{gate} gate failed (hard): " + " | ".join(_describe(o) for o in hard)
                          + f" | report: {report}")
    result = GateResult(gate, checked, ordered, report)
    log.info("mentorflow gate %s: %d rows checked, %d held for %d problems", gate, checked,
             len({(p.batch, p.row) for p in result.problems}), len(result.problems))
    return result


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _describe(outcome: CheckOutcome) -> str:
    if outcome.error or outcome.table_failure:
        return f"{outcome.check}: {outcome.error or outcome.table_failure}"
    rows = {(p.batch, p.row) for p in outcome.problems}
    sample = "; ".join(f"{'line ' + str(p.line) + ' ' if p.line else ''}{p.record_key}: "
                       f"{p.reason.removeprefix(outcome.check + ': ')}" for p in outcome.problems[:SAMPLE])
    return (f"{outcome.check} ({', '.join(outcome.expectations)}) failed for {len(rows)} of {outcome.checked} rows, "
            f"e.g. {sample}")


def _quarantine(store: Store, cohort: str, gate: str, problems: list[Problem], *, complete: bool) -> None:
    """New problems become open rows; a problem seen before keeps its row (and its ops decision)."""
    now = dt.datetime.now(dt.timezone.utc)
    existing = store.rows(quarantine, cohort_id=cohort, gate=gate)
    known = {(r["record_key"], r["reason"]) for r in existing}
    new: dict[tuple[str, str], Problem] = {}
    for p in problems:
        if (p.record_key, p.reason) not in known:
            new.setdefault((p.record_key, p.reason), p)
    if new:
        with store.engine.begin() as conn:
            conn.execute(quarantine.insert(), [
                {"cohort_id": cohort, "gate": gate, "record_key": p.record_key, "reason": p.reason,
                 "severity": p.severity, "status": "open", "row_json": json.dumps(p.values, default=str),
                 "created_at": now}
                for p in new.values()
            ])
    current = {(p.record_key, p.reason) for p in problems}
    reopen = [r["id"] for r in existing if r["status"] == "fixed" and (r["record_key"], r["reason"]) in current]
    fixed = [r["id"] for r in existing if complete and r["status"] == "open"
             and (r["record_key"], r["reason"]) not in current]
    with store.engine.begin() as conn:
        for ids, status in ((reopen, "open"), (fixed, "fixed")):
            for start in range(0, len(ids), 900):
                chunk = ids[start:start + 900]
                conn.execute(sa.update(quarantine).where(quarantine.c.id.in_(chunk)).values(status=status))
