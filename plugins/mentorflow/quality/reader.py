"""Stream a data-contract CSV into a frame of text, one row per record, without judging it.

The file is read record by record in chunks (a 100 MB export never sits in memory twice), every
value stays text (typing is what the gate checks), and each row keeps its line number. Rows
the reader cannot take at face value are marked, not dropped: bytes that are not UTF-8 become
U+FFFD and the row says so in ``_bad_encoding``; a row with more or fewer values than the header
says so in ``_shape``. The gate decides what to do with them.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from mentorflow.errors import UnreadableFile

CHUNK_ROWS = 50_000
ROW = "_row"  # position in the file (0-based), the key GX reports unexpected rows by
LINE = "_line"  # line where the record starts (header is line 1)


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        handle = open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle)
        start = 1
        for record in reader:
            yield start, record
            start = reader.line_num + 1


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
    header = [_clean(h)[0].strip() for h in first[1]]
    width = len(header)
    chunks = []
    position = itertools.count()
    while True:
        batch = list(itertools.islice(records, CHUNK_ROWS))
        if not batch:
            break
        values, rows, lines, bad, shape = [], [], [], [], []
        for line, record in batch:
            if not any(v.strip() for v in record):
                continue  # blank line
            cleaned = [_clean(v) for v in record]
            bad.append(any(flag for _, flag in cleaned))
            shape.append(None if len(record) == width else f"has {len(record)} values, the header has {width}")
            texts = [v.strip() or None for v, _ in cleaned[:width]]
            values.append(texts + [None] * (width - len(texts)))
            rows.append(next(position))
            lines.append(line)
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
