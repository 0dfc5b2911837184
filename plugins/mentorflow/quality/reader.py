"""Stream a data-contract CSV into a frame of text, one row per record, without judging it.

The file is read record by record in chunks (a 100 MB export never sits in memory twice), every
value stays text (typing is what the gate checks), and each row keeps its line number. Rows
the reader cannot take at face value are marked, not dropped: bytes that are not UTF-8 become
U+FFFD and the row says so in ``_bad_encoding``; a row with more or fewer values than the header
says so in ``_shape``, and so does a record whose quote never closes (only its first line is lost) or
that holds a value longer than :data:`MAX_VALUE_CHARS`. The gate decides what to do with them.
"""

from __future__ import annotations

import csv
import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mentorflow.errors import UnreadableFile

CHUNK_ROWS = 50_000
ROW = "_row"  # position in the file (0-based), the key GX reports unexpected rows by
LINE = "_line"  # line where the record starts (header is line 1)


# one record may span lines (a quoted value with line breaks), but not without end: a quote still open
# after this many lines or characters is a broken record, reported at its first line
MAX_RECORD_LINES = 50
MAX_RECORD_CHARS = 1_000_000
MAX_VALUE_CHARS = 65_536  # a longer value is held by the gate (no column of the contract needs more)
csv.field_size_limit(MAX_RECORD_CHARS + 1)


@dataclass(frozen=True)
class Record:
    line: int
    values: list[str]
    problem: str | None = None


def _lines(path: Path) -> Iterator[str]:
    try:
        handle = open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror})") from None
    with handle:
        yield from handle


def _records(path: Path) -> Iterator[Record]:
    """The file's records with the line each starts on. A quote that never closes (within
    :data:`MAX_RECORD_LINES` lines and :data:`MAX_RECORD_CHARS` characters, or before the end of the file)
    makes a broken record of its first line only; reading resumes on the next line, so one stray quote
    never swallows the rows after it."""
    source = _lines(path)
    pending: deque[str] = deque()  # lines to read again after a broken record
    number = 0  # lines consumed so far

    def next_line() -> str | None:
        nonlocal number
        line = pending.popleft() if pending else next(source, None)
        if line is not None:
            number += 1
        return line

    while (first := next_line()) is not None:
        start, parts, quotes = number, [first], first.count('"')
        while quotes % 2 and len(parts) < MAX_RECORD_LINES and sum(map(len, parts)) < MAX_RECORD_CHARS:
            more = next_line()
            if more is None:
                break
            parts.append(more)
            quotes += more.count('"')
        if quotes % 2:
            pending.extendleft(reversed(parts[1:]))
            number = start
            yield Record(start, [], f"line {start}: a quote opened on this line is never closed; the line was "
                                    "skipped and reading went on with the next one")
            continue
        values = _split(parts[0]) if len(parts) == 1 and '"' not in first and "\0" not in first else next(
            csv.reader(["".join(parts)]), [])
        too_long = [len(v) for v in values if len(v) > MAX_VALUE_CHARS]
        problem = (f"a value of {too_long[0]:,} characters is longer than the {MAX_VALUE_CHARS:,} allowed"
                   if too_long else None)
        yield Record(start, [v[:MAX_VALUE_CHARS] for v in values], problem)


def _split(line: str) -> list[str]:
    """The values of a line with no quote and no NUL, as ``csv.reader`` reads it (most lines of a file): a
    split at the commas costs a tenth of a reader made for the line."""
    text = line.rstrip("\r\n")  # a line ends in at most one of "\n", "\r\n", "\r" (read with newline="")
    return text.split(",") if text else []


def _clean(value: str) -> tuple[str, bool]:
    """The value with undecodable bytes shown as U+FFFD, and whether there were any."""
    try:
        value.encode("utf-8")
        return value, False
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), True


def read_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """All records as text columns named by the header (blank values are missing), plus the header.

    An empty file gives no columns and no rows; the gate's header expectation reports it.
    """
    records = _records(path)
    first = next(records, None)
    if first is None:
        return pd.DataFrame({ROW: pd.Series(dtype="int64"), LINE: pd.Series(dtype="int64")}), []
    header = [_clean(h)[0].strip() for h in first.values]
    width = len(header)
    chunks = []
    position = itertools.count()
    while True:
        batch = list(itertools.islice(records, CHUNK_ROWS))
        if not batch:
            break
        values, rows, lines, bad, shape = [], [], [], [], []
        for record in batch:
            if record.problem is None and not any(v.strip() for v in record.values):
                continue  # blank line
            try:  # all values at once: a value can fail only with bytes that are not UTF-8 (surrogate escapes)
                "".join(record.values).encode("utf-8")
                cleaned = [(v, False) for v in record.values]
            except UnicodeEncodeError:
                cleaned = [_clean(v) for v in record.values]
            bad.append(any(flag for _, flag in cleaned))
            shape.append(record.problem or (None if len(record.values) == width else
                                            f"has {len(record.values)} values, the header has {width}"))
            texts = [v.strip() or None for v, _ in cleaned[:width]]
            values.append(texts + [None] * (width - len(texts)))
            rows.append(next(position))
            lines.append(record.line)
        chunk = pd.DataFrame(values or None, columns=header, dtype="str")
        chunk[ROW], chunk[LINE] = pd.array(rows, dtype="int64"), pd.array(lines, dtype="int64")
        chunk["_bad_encoding"] = pd.array(bad, dtype="bool")
        chunk["_shape"] = pd.Series(shape, dtype="str")
        chunks.append(chunk)
    if not chunks:
        empty = pd.DataFrame(columns=header, dtype="str")
        empty[ROW], empty[LINE] = pd.Series(dtype="int64"), pd.Series(dtype="int64")
        empty["_bad_encoding"], empty["_shape"] = pd.Series(dtype="bool"), pd.Series(dtype="str")
        return empty, header
    return pd.concat(chunks, ignore_index=True), header
