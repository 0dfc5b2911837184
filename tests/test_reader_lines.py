"""The CSV reader's fast path: a line with no quote is split at its commas, exactly as ``csv.reader`` reads it."""

from __future__ import annotations

import csv

import pytest
from mentorflow.quality.reader import _split, read_csv

LINES = ["a,b\n", "a,b\r\n", "a,b\r", "a,b", "\n", "\r\n", "", " , ,\n", "é,ü,日本\n", "a,,b,\n", ",\n", "a\tb;c,d\n",
         "  x  ,y \n", "trailing,comma,\r\n", "'single',quotes\n"]


@pytest.mark.parametrize("line", LINES)
def test_a_line_without_quotes_is_split_as_the_csv_module_reads_it(line):
    assert _split(line) == next(csv.reader([line]), [])


def test_quoted_and_unquoted_lines_of_one_file_read_as_before(tmp_path):
    """Lines with quotes (a comma or a line break inside a value) still go through the csv module, next to
    lines that take the fast path; values and line numbers as written."""
    path = tmp_path / "mixed.csv"
    path.write_bytes('id,text,n\r\nE1,plain, 3 \r\nE2,"with, comma",4\r\n\r\nE3,"two\r\nlines",5\r\nE4,,\r\n'.encode())
    frame, header = read_csv(path)
    assert header == ["id", "text", "n"]
    assert frame["id"].tolist() == ["E1", "E2", "E3", "E4"]
    assert frame["text"].tolist()[:3] == ["plain", "with, comma", "two\r\nlines"] and frame["text"].isna().tolist()[3]
    assert frame["n"].tolist()[:3] == ["3", "4", "5"]
    assert frame["_line"].tolist() == [2, 3, 5, 7]
