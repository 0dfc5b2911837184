"""Building blocks of the gate suites: expectations for blanks, headers, ranges and numbers, and the
computed columns they check. Pure pandas; the suites in :mod:`.suites` and :mod:`.pair_suites` use them."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from mentorflow.contract.columns import (
    FALSE,
    SKILL_LEVEL,
    SKILL_LIST,
    TRUE,
    Range,
)
from mentorflow.contract.parsing import parse_skills
from mentorflow.quality.expectations import Spec
from mentorflow.quality.reader import LINE


@cache
def iana_timezones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def null_spec(check: str, column: str, say=lambda r, c: r[c]) -> Spec:
    """The computed column ``column`` holds the row's problem in words, or nothing."""
    return Spec(check, "ExpectColumnValuesToBeNull", {"column": column}, lambda r: say(r, column))


def header_specs(check: str, required: list[str], header: list[str]) -> list[Spec]:
    found = ", ".join(header) if header else "nothing: the file is empty"
    return [Spec(check, "ExpectTableColumnsToMatchSet", {"column_set": required, "exact_match": False},
                 lambda o: f"the header lacks {', '.join(c for c in required if c not in header)} (found: {found})",
                 table_level=True, needs_rows=False)]


# OWASP's list of what a spreadsheet reads as the start of a formula; a plain signed number is fine
FORMULA_START = re.compile(r"^[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d ]*(\.\d+)?$")
INTEGER_LIMIT = 2**31 - 1  # the store's Integer columns (PostgreSQL integer)


def store_problems(frame: pd.DataFrame, table: sa.Table) -> pd.Series:
    """Per row, the first value the program store could not take (a NUL character, a text longer than its
    column, a whole number beyond the column's range), so one bad cell is held instead of failing the
    whole import."""
    problems = pd.Series(None, index=frame.index, dtype="object")
    for column in table.columns:
        if column.name not in frame:
            continue
        text = frame[column.name]
        filled = text.notna()
        found = pd.Series(None, index=frame.index, dtype="object")
        found[filled & text.str.contains("\x00", regex=False)] = f"{column.name} holds a NUL character"
        length = getattr(column.type, "length", None)
        if length:
            found[filled & (text.str.len() > length)] = f"{column.name} is longer than {length} characters"
        if isinstance(column.type, sa.Integer):
            number = pd.to_numeric(text, errors="coerce")
            found[number.abs() > INTEGER_LIMIT] = f"{column.name} is beyond ±{INTEGER_LIMIT:,}"
        problems = problems.fillna(found)
    return problems


# a formula-like start at the start of any line of a column's cells joined by line breaks: every cell starts a line,
# so a column without a match has no formula cell (a line break inside a cell only sends it to the full check)
_LINE_STARTS_FORMULA = re.compile(r"^[=+\-@\t\r]", re.MULTILINE)


def _may_start_formula(text: pd.Series) -> bool:
    """Whether any cell of ``text`` might start like a formula: one regular-expression scan of the joined
    column instead of two matches and a repr per cell (the gates check every text column of every row)."""
    return _LINE_STARTS_FORMULA.search("\n".join(map(str, text.tolist()))) is not None


def formula_cells(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per row, the first text value that a spreadsheet would run as a formula (flagged at the gate; every
    CSV export also neutralises such cells)."""
    problems = pd.Series(None, index=frame.index, dtype="object")
    for column in columns:
        if column not in frame:
            continue
        text = frame[column].fillna("")
        if not _may_start_formula(text):
            continue  # the common case: no cell of the column starts like a formula
        risky = text.str.match(FORMULA_START) & ~text.str.match(PLAIN_NUMBER)
        problems = problems.fillna(pd.Series(None, index=frame.index, dtype="object")
                                   .mask(risky, column + " starts like a spreadsheet formula: " + text.str[:20].map(repr)))
    return problems


def file_row_specs(prefix: str) -> list[Spec]:
    """The checks of every row of a file: readable, UTF-8, storable, no formulas. The frame carries the
    computed columns they read (see :func:`add_file_row_columns`)."""
    return [
        null_spec(f"{prefix}.storable", "_store_problem"),
        null_spec(f"{prefix}.no_formulas", "_formula"),
        Spec(f"{prefix}.encoding", "ExpectColumnValuesToBeInSet", {"column": "_bad_encoding", "value_set": [False]},
             lambda r: f"line {r[LINE]} is not valid UTF-8 (undecodable bytes shown as \ufffd); "
                       "export the file as UTF-8"),
        null_spec(f"{prefix}.row_shape", "_shape"),
    ]


def add_file_row_columns(frame: pd.DataFrame, table: sa.Table, text_columns: list[str]) -> None:
    """The columns :func:`file_row_specs` checks: what the store could not take, and formula-looking text."""
    frame["_store_problem"] = store_problems(frame, table)
    frame["_formula"] = formula_cells(frame, text_columns)


def between(column: str, bounds: Range) -> dict:
    """GX arguments of a between-expectation over a contract range (an open side is left out)."""
    return {"column": column, **{k: v for k, v in (("min_value", bounds.low), ("max_value", bounds.high))
                                 if v is not None}}


def or_words(words) -> str:
    words = list(words)
    return f"{', '.join(words[:-1])} or {words[-1]}" if len(words) > 1 else "".join(words)


def whole_or_none(numbers: pd.Series) -> pd.Series:
    """Python ints and None (object dtype), as the store wants them: pandas would turn them into floats and NaN."""
    return pd.Series([None if pd.isna(v) else int(v) for v in numbers], index=numbers.index, dtype="object")


def is_blank(series: pd.Series) -> pd.Series:
    return series.isna() | series.astype("str").str.strip().eq("")


def number_problems(frame: pd.DataFrame, whole: list[str],
                     decimal: list[str]) -> tuple[dict[str, pd.Series], pd.Series]:
    """Numbers parsed from text columns (missing when blank or not a number) and, per row, what was not a number."""
    parsed: dict[str, pd.Series] = {}
    problems = pd.Series("", index=frame.index, dtype="object")
    for column in whole + decimal:
        if column not in frame:
            continue
        text = frame[column]
        number = pd.to_numeric(text, errors="coerce")
        wrong = text.notna() & (number.isna() | ((number % 1 != 0) if column in whole else False))
        if wrong.any():
            problems[wrong] += f"{column} " + text[wrong].map(repr) + (" is not a whole number; " if column in whole
                                                                       else " is not a number; ")
        parsed[column] = number.where(~wrong)
    return parsed, problems.str.rstrip("; ").replace("", None)


def flag_problems(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per row, the true/false cells of ``columns`` that are neither a true nor a false word (blank reads as
    false), named with their value."""
    problems = pd.Series("", index=frame.index, dtype="object")
    for column in columns:
        text = frame[column]
        wrong = text.notna() & ~text.astype(str).str.strip().str.lower().isin(TRUE | FALSE)
        if wrong.any():
            problems[wrong] += f"{column} " + text[wrong].map(repr) + " is not true/false (yes/no, 1/0); "
    return problems.str.rstrip("; ").replace("", None)


# Skill lists in the usual shape, checked with one regular expression per value instead of parsing every list
# (parse_skills stays the judge of every other value, so the outcome is the same).
_SEP, _PAIR = re.escape(SKILL_LIST.separator), re.escape(SKILL_LIST.pair)
_LEVELS = "|".join(str(v) for v in range(int(SKILL_LEVEL.low), int(SKILL_LEVEL.high) + 1))
# every item is name<pair>level with a level of the scale: parse_skills finds no bad level in it
_ALL_LEVELS_GOOD = re.compile(rf"[^{_SEP}{_PAIR}]*{_PAIR}\s*0*(?:{_LEVELS})\s*"
                              rf"(?:{_SEP}[^{_SEP}{_PAIR}]*{_PAIR}\s*0*(?:{_LEVELS})\s*)*")
# one item has a name and a whole-number level: parse_skills finds at least one skill in it
_ONE_SKILL = re.compile(rf"(?:\A|{_SEP})[^{_SEP}{_PAIR}]*[^{_SEP}{_PAIR}\s][^{_SEP}{_PAIR}]*{_PAIR}\s*[0-9]+\s*"
                        rf"(?={_SEP}|\Z)")


def _has_skill(text: object) -> bool:
    return isinstance(text, str) and (_ONE_SKILL.search(text) is not None or bool(parse_skills(text)))


def no_skills(texts: pd.Series) -> pd.Series:
    """Per value, whether :func:`parse_skills` finds no skill in it (worked out once per distinct value: many
    applications share a list, and every mentee's blank offer is the same one)."""
    return ~per_distinct(texts, _has_skill).astype("bool")


def per_distinct(values: pd.Series, function: Callable[[object], Any]) -> pd.Series:
    """``values.map(function)`` with ``function`` called once per distinct value: the values are factorized (missing
    ones keep their own marker, which ``function`` gets once as ``None``)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    results = np.array([function(u) for u in uniques] + [function(None)], dtype=object)
    return pd.Series(results[codes], index=values.index, dtype="object")


def levels_surely_good(text: object) -> bool:
    """True when :func:`parse_skills` can find no level outside the scale in ``text`` (blank, or every item in the
    usual ``name:level`` shape with a level of the scale); False says: parse it to know."""
    return not isinstance(text, str) or not text or _ALL_LEVELS_GOOD.fullmatch(text) is not None
