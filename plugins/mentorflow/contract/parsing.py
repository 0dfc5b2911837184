"""Small readers of the data contract: skill and id lists, and the close-out roster export.

The roster and applications imports are streamed and judged by the data-quality gates
(:mod:`mentorflow.quality`); the contract itself (columns, vocabularies, list formats, ranges)
is :mod:`mentorflow.contract.columns`. This module reads and writes the list formats and reads
the optional close-out export, where a malformed row is returned as a
:class:`RowProblem` (file, line, column, what is wrong) and the good rows go on. Whole-file
problems (unreadable, not UTF-8, wrong header) raise :class:`ImportFileError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mentorflow.contract.columns import (
    DATE_WORDS,
    EMPLOYMENT_STATUSES,
    FALSE,
    ID_LIST,
    OUTCOME_ROSTER,
    ROLES,
    SKILL_LIST,
    TRUE,
)
from mentorflow.errors import ImportFileError

__all__ = ["FALSE", "ROLES", "TRUE", "RowProblem", "format_ids", "format_skills", "parse_flag", "parse_ids",
           "parse_outcome_roster", "parse_skills"]


@dataclass(frozen=True)
class RowProblem:
    file: str
    line: int
    record_key: str
    column: str
    message: str
    row: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.file}, line {self.line} ({self.record_key or 'no id'}), {self.column}: {self.message}"


def _read(path: Path, required: list[str]) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(f"{path}: not UTF-8 (invalid byte at line {line}); export the file as UTF-8") from None
    if not text.strip():
        raise ImportFileError(f"{path}: the file is empty; expected a header row with {', '.join(required)}")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFileError(f"{path}: header lacks {', '.join(missing)} (found: {', '.join(header) or 'nothing'})")
    reader.fieldnames = header
    rows = []
    for record in reader:
        line = reader.line_num
        extra = record.pop(None, None)
        cleaned = {k: (v or "").strip() for k, v in record.items() if k is not None}
        if extra:
            cleaned["__extra__"] = extra
        rows.append((line, cleaned))
    return rows, header


def parse_skills(text: str | None) -> dict[str, int]:
    """``'negotiation:4;sql:2'`` → ``{'negotiation': 4, 'sql': 2}``; malformed items are skipped."""
    skills: dict[str, int] = {}
    for item in (text or "").split(SKILL_LIST.separator):
        name, _, level = item.partition(SKILL_LIST.pair)
        name = name.strip().lower()
        if name and level.strip().isdigit():
            skills[name] = int(level)
    return skills


def format_skills(skills: Iterable[tuple[str, int]]) -> str:
    """``[('negotiation', 4), ('sql', 2)]`` → ``'negotiation:4;sql:2'``."""
    return SKILL_LIST.separator.join(f"{name}{SKILL_LIST.pair}{level}" for name, level in skills)


def parse_flag(value: object) -> bool:
    """A boolean cell: true only for one of the contract's true words (``yes``, ``true``, ``1`` …); blank,
    a false word or anything else is false."""
    if isinstance(value, bool):
        return value
    return str(value if value is not None else "").strip().lower() in TRUE


def parse_ids(text: str | None) -> list[str]:
    """``' E1;;E2 '`` → ``['E1', 'E2']``."""
    return [part.strip() for part in (text or "").split(ID_LIST.separator) if part.strip()]


def format_ids(ids: Iterable[str]) -> str:
    return ID_LIST.separator.join(ids)


def parse_outcome_roster(path: Path) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """employee_id, still_employed and last_promotion_date from a close-out roster export."""
    rows, _ = _read(path, list(OUTCOME_ROSTER.header))
    good, bad = [], []
    for line, row in rows:
        key = row.get("employee_id", "")
        status = row["employment_status"].lower()
        try:
            if status not in EMPLOYMENT_STATUSES:
                raise ValueError(f"employment_status: {row['employment_status']!r} must be "
                                 f"{' or '.join(EMPLOYMENT_STATUSES)}")
            try:
                promoted = dt.date.fromisoformat(row["last_promotion_date"]) if row["last_promotion_date"] else None
            except ValueError:
                raise ValueError(f"last_promotion_date: {row['last_promotion_date']!r} is not a date "
                                 f"({DATE_WORDS})") from None
            still_employed = status == EMPLOYMENT_STATUSES[0]  # active
            good.append({"employee_id": key, "still_employed": still_employed, "last_promotion_date": promoted})
        except ValueError as exc:
            column, _, message = str(exc).partition(": ")
            bad.append(RowProblem(path.name, line, key, column, message, row))
    return good, bad
