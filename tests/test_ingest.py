"""The close-out roster export keeps every good row and names every bad one; list formats parse."""

import pytest
from mentorflow.contract.parsing import parse_ids, parse_outcome_roster, parse_skills
from mentorflow.errors import ImportFileError

HEADER = "employee_id,employment_status,last_promotion_date\n"


def test_bad_rows_are_reported_with_line_and_column_and_good_rows_kept(tmp_path):
    path = tmp_path / "roster-closeout.csv"
    path.write_text(HEADER + "E1,active,2026-03-01\nE2,retired,\nE3,left,\nE4,active,soon\nE5,ACTIVE,\n")
    rows, problems = parse_outcome_roster(path)
    assert [(r["employee_id"], r["still_employed"]) for r in rows] == [("E1", True), ("E3", False), ("E5", True)]
    assert rows[0]["last_promotion_date"].isoformat() == "2026-03-01" and rows[1]["last_promotion_date"] is None
    assert {(p.line, p.record_key, p.column) for p in problems} == {
        (3, "E2", "employment_status"), (5, "E4", "last_promotion_date")}
    assert "roster-closeout.csv, line 5 (E4), last_promotion_date: 'soon' is not a date (YYYY-MM-DD)" in map(str, problems)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"id,status\n1,x\n", "header lacks employee_id"),
        (HEADER.encode() + "E1,act\xefve,\n".encode("latin-1"), "not UTF-8 (invalid byte at line 2)"),
    ],
)
def test_whole_file_problems_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "roster-closeout.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_outcome_roster(path)


def test_skill_and_id_lists_parse_and_skip_malformed_items():
    assert parse_skills("Negotiation:4; sql:2;broken;x:y") == {"negotiation": 4, "sql": 2}
    assert parse_ids(" E1;;E2 ; ") == ["E1", "E2"]
