from mentorflow.ingest import ImportFileError, parse_applications, parse_roster, parse_skills

import pytest

HEADER = "employee_id,full_name,email,department,job_title,level,manager_id,location,timezone,hire_date,on_pip\n"
GOOD = "E1,Ada Boss,ada@example.com,Eng,CTO,7,,Berlin,Europe/Berlin,2015-01-01,false\n"


def test_bad_rows_are_reported_with_line_and_column_and_good_rows_kept(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + GOOD
                    + "E2,Bo,bo@example.com,Eng,Dev,two,E1,Berlin,Europe/Berlin,2020-01-01,false\n"
                    + "E3,Cy,cy@example.com,Eng,Dev,2,E1,Berlin,Mars/Base,2020-01-01,false\n"
                    + "E4,Di,di@example.com,Eng,Dev,2,E1,Berlin,Europe/Berlin,2020-01-01,maybe\n"
                    + "E5,Ed,ed@example.com,Eng,Dev,2,E1,Berlin,Europe/Berlin,2020-01-01,false,extra\n"
                    + "E6,Fi,fi@example.com,Eng,Dev,2,E1,Berlin,Europe/Berlin,2020-01-01,true\n")
    rows, problems = parse_roster(path)
    assert [r["employee_id"] for r in rows] == ["E1", "E6"]
    assert rows[1]["on_pip"] is True and rows[0]["manager_id"] is None
    found = {(p.line, p.record_key, p.column) for p in problems}
    assert found == {(3, "E2", "level"), (4, "E3", "timezone"), (5, "E4", "on_pip"), (6, "E5", "(row)")}
    assert "roster.csv, line 3 (E2), level: 'two' is not a whole number" in [str(p) for p in problems]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"id,name\n1,x\n", "header lacks employee_id"),
        (HEADER.encode() + "E1,Ren\xe9e".encode("latin-1") + b",r@example.com,Eng,Dev,2,,B,UTC,2020-01-01,false\n",
         "not UTF-8 (invalid byte at line 2)"),
    ],
)
def test_whole_file_problems_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_roster(path)


def test_applications_blank_answers_stay_blank_but_wrong_types_are_problems(tmp_path):
    path = tmp_path / "applications.csv"
    path.write_text("employee_id,role,goals,tipi_1,capacity,hours_per_month\n"
                    "E1,mentor,Grow,5,2,4\nE2,mentee,,,,\nE3,coach,x,1,1,1\nE4,mentee,x,seven,,\n")
    rows, problems = parse_applications(path)
    assert [r["employee_id"] for r in rows] == ["E1", "E2"]
    assert rows[1]["goals"] == "" and rows[1]["tipi_1"] is None
    assert {(p.record_key, p.column) for p in problems} == {("E3", "role"), ("E4", "tipi_1")}


def test_skill_lists_parse_and_skip_malformed_items():
    assert parse_skills("Negotiation:4; sql:2;broken;x:y") == {"negotiation": 4, "sql": 2}
