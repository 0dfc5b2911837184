"""What a gate works on and what it finds: batches of rows with their expectations, the problems in
them, each check's outcome and the gate's result (plain data, shared by the gate and its report)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mentorflow.quality.expectations import Spec


@dataclass
class Batch:
    """One frame and the expectations it must meet; ``key`` names the column that identifies a record.

    ``complete``: when the frame holds only what the checks read, what gives the rows that fail (a frame
    indexed by ``_row``) every value their quarantine rows keep, in the order a full frame would hold them."""

    name: str
    frame: pd.DataFrame
    specs: list[Spec]
    key: str
    complete: Callable[[pd.DataFrame], pd.DataFrame] | None = None


@dataclass(frozen=True)
class Problem:
    batch: str
    row: int
    record_key: str
    line: int | None
    check: str
    reason: str
    severity: str
    values: dict[str, Any]


@dataclass
class CheckOutcome:
    """What one check found over all its expectations (for the report and the failure message)."""

    check: str
    severity: str
    expectations: list[str]
    checked: int
    problems: list[Problem] = field(default_factory=list)
    overridden: int = 0
    table_failure: str | None = None
    error: str | None = None  # the expectation could not run: always stops the gate, whatever the severity

    @property
    def passed(self) -> bool:
        return not self.problems and self.table_failure is None and self.error is None


@dataclass
class GateResult:
    gate: str
    checked: int
    outcomes: list[CheckOutcome]
    report: Path

    @property
    def problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems]

    def held_rows(self, batch: str) -> set[int]:
        """Rows of a batch that soft checks quarantined (hard failures never get this far)."""
        return {p.row for p in self.problems if p.batch == batch}

    def held_keys(self, *checks: str) -> set[str]:
        return {p.record_key for p in self.problems if not checks or p.check in checks}
