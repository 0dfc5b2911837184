"""Reading the data contract's CSV files: keep every good row, name every bad one.

A malformed row never aborts an import: it is returned as a :class:`RowProblem`
(file, line, column, what is wrong) and the good rows go on. Whole-file problems
(unreadable, not UTF-8, wrong header) raise :class:`ImportFileError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mentorflow.synthetic import APPLICATION_COLUMNS, ROSTER_COLUMNS

ROLES = {"mentor", "mentee", "both"}
TRUE = {"true", "yes", "1", "y", "t"}
FALSE = {"false", "no", "0", "n", "f", ""}


class ImportFileError(ValueError):
    """The file as a whole cannot be imported."""


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


def _int(value: str, column: str, low: int | None = None, high: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{column}: {value!r} is not a whole number") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{column}: {number} is outside {low}–{high}")
    return number


def parse_roster(path: Path) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """Roster rows typed per the data contract, and the rows that could not be typed."""
    from zoneinfo import ZoneInfo

    rows, _ = _read(path, ROSTER_COLUMNS)
    good, bad = [], []
    for line, row in rows:
        key = row.get("employee_id", "")
        try:
            if "__extra__" in row:
                raise ValueError(f"(row): {len(row['__extra__'])} more values than header columns")
            if not key:
                raise ValueError("employee_id: is empty")
            if not row["full_name"]:
                raise ValueError("full_name: is empty")
            if "@" not in row["email"]:
                raise ValueError(f"email: {row['email']!r} is not an email address")
            try:
                ZoneInfo(row["timezone"])
            except Exception:
                raise ValueError(f"timezone: {row['timezone']!r} is not an IANA timezone") from None
            pip = row["on_pip"].lower()
            if pip not in TRUE | FALSE:
                raise ValueError(f"on_pip: {row['on_pip']!r} is not true/false")
            try:
                hire = dt.date.fromisoformat(row["hire_date"]) if row["hire_date"] else None
            except ValueError:
                raise ValueError(f"hire_date: {row['hire_date']!r} is not a date (YYYY-MM-DD)") from None
            good.append({
                "employee_id": key, "full_name": row["full_name"], "email": row["email"],
                "department": row["department"], "job_title": row["job_title"],
                "level": _int(row["level"], "level", 0, 100), "manager_id": row["manager_id"] or None,
                "location": row["location"], "timezone": row["timezone"], "hire_date": hire,
                "on_pip": pip in TRUE,
            })
        except ValueError as exc:
            column, _, message = str(exc).partition(": ")
            bad.append(RowProblem(path.name, line, key, column, message, row))
    return good, bad


def parse_applications(path: Path) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """Application rows typed per the data contract. Blank answers stay blank (gap-fill asks for them);
    answers of the wrong type are problems."""
    rows, _ = _read(path, ["employee_id", "role"])
    good, bad = [], []
    for line, row in rows:
        key = row.get("employee_id", "")
        try:
            if "__extra__" in row:
                raise ValueError(f"(row): {len(row['__extra__'])} more values than header columns")
            if not key:
                raise ValueError("employee_id: is empty")
            good.append(typed_application(row))
        except ValueError as exc:
            column, _, message = str(exc).partition(": ")
            bad.append(RowProblem(path.name, line, key, column, message, row))
    return good, bad


def typed_application(row: dict[str, Any]) -> dict[str, Any]:
    """One application with numbers as numbers; raises ValueError('column: message')."""
    role = str(row.get("role") or "").lower()
    if role not in ROLES:
        raise ValueError(f"role: {row.get('role')!r} must be mentor, mentee or both")
    out: dict[str, Any] = {"employee_id": str(row["employee_id"]), "role": role}
    for column in APPLICATION_COLUMNS:
        if column in {"employee_id", "role"}:
            continue
        value = row.get(column, "")
        value = "" if value is None else str(value).strip()
        if column.startswith("tipi_") or column == "capacity":
            out[column] = _int(value, column) if value else None
        elif column == "hours_per_month":
            try:
                out[column] = float(value) if value else None
            except ValueError:
                raise ValueError(f"hours_per_month: {value!r} is not a number") from None
        else:
            out[column] = value
    return out


def parse_skills(text: str | None) -> dict[str, int]:
    """``'negotiation:4;sql:2'`` → ``{'negotiation': 4, 'sql': 2}``; malformed items are skipped."""
    skills: dict[str, int] = {}
    for item in (text or "").split(";"):
        name, _, level = item.partition(":")
        name = name.strip().lower()
        if name and level.strip().isdigit():
            skills[name] = int(level)
    return skills


def parse_ids(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def parse_outcome_roster(path: Path) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """employee_id, still_employed and last_promotion_date from a close-out roster export."""
    rows, _ = _read(path, ["employee_id", "employment_status", "last_promotion_date"])
    good, bad = [], []
    for line, row in rows:
        key = row.get("employee_id", "")
        status = row["employment_status"].lower()
        try:
            if status not in {"active", "left"}:
                raise ValueError(f"employment_status: {row['employment_status']!r} must be active or left")
            try:
                promoted = dt.date.fromisoformat(row["last_promotion_date"]) if row["last_promotion_date"] else None
            except ValueError:
                raise ValueError(f"last_promotion_date: {row['last_promotion_date']!r} is not a date (YYYY-MM-DD)") from None
            good.append({"employee_id": key, "still_employed": status == "active", "last_promotion_date": promoted})
        except ValueError as exc:
            column, _, message = str(exc).partition(": ")
            bad.append(RowProblem(path.name, line, key, column, message, row))
    return good, bad
