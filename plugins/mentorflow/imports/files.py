"""The files of an import: mentor-match's CSVs and the grades table in, mentorflow's CSVs out.

A file that cannot be used as a whole (missing, not UTF-8, empty, a required column missing, a broken
grades table) raises :class:`~mentorflow.errors.ImportFileError` naming the file and what is wrong. The
written files hold personal data: they are readable by their owner only.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from mentorflow import settings
from mentorflow.contract.columns import APPLICATION_COLUMNS, ROSTER_COLUMNS
from mentorflow.errors import ImportFileError
from mentorflow.imports.mentor_match import REQUIRED_COLUMNS, Conversion, GradeTable, Source, grade_table, header_name
from mentorflow.privacy import write_private_bytes

OUTPUTS = ("roster.csv", "applications.csv", "matching-rules.yaml")


def default_grades() -> Path:
    return settings.include_dir() / "imports" / "mentor_match_grades.yaml"


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(f"{path}: not UTF-8 (invalid byte at line {line}); export the file as UTF-8") from None


def read_source(path: Path, side: str) -> Source:
    """A mentor-match CSV with the line each row starts on (the header is line 1)."""
    text = _text(path)
    if not text.strip():
        raise ImportFileError(f"{path}: the file is empty; expected a header row with {', '.join(REQUIRED_COLUMNS)}")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = tuple(header_name(cell) for cell in next(reader))
    source = Source(path.name, side, header, ())
    if missing := source.missing_columns():
        raise ImportFileError(f"{path}: the {side}s' file lacks the column(s) {', '.join(missing)} of mentor-match's "
                              f"layout (found: {', '.join(c for c in header if c) or 'nothing'})")
    rows, line = [], reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (a spreadsheet's trailing rows) are no one
        row = {name: value.strip() for name, value in zip(header, cells) if name}
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
            row["__extra__"] = "yes"
        rows.append((start, row))
    return Source(path.name, side, header, tuple(rows))


def read_grades(path: Path | None) -> GradeTable:
    """The grades table (default: include/imports/mentor_match_grades.yaml)."""
    path = path or default_grades()
    try:
        data = yaml.safe_load(_text(path))
    except yaml.YAMLError as exc:
        raise ImportFileError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return grade_table(data, str(path))


def _csv(rows: list[dict[str, object]], columns: list[str]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def existing_outputs(out: Path) -> list[Path]:
    return [out / name for name in OUTPUTS if (out / name).exists()]


def write_outputs(out: Path, conversion: Conversion, rules: str) -> list[Path]:
    """roster.csv, applications.csv (the data contract's columns, in its order) and matching-rules.yaml."""
    paths = [out / name for name in OUTPUTS]
    write_private_bytes(paths[0], _csv(conversion.roster, ROSTER_COLUMNS))
    write_private_bytes(paths[1], _csv(conversion.applications, APPLICATION_COLUMNS))
    write_private_bytes(paths[2], rules.encode("utf-8"))
    return paths
