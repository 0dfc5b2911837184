from conftest import write_cohort
from mentorflow.cli.main import main


def test_new_then_validate_then_list(cohorts_dir, capsys, tmp_path):
    assert main(["cohort", "new", "spring-2027", "--roster", "roster.csv", "--open", "2027-03-01"]) == 0
    assert (cohorts_dir / "spring-2027.yaml").exists()
    assert main(["cohort", "validate"]) == 0
    assert "✓" in capsys.readouterr().out
    assert main(["cohort", "list"]) == 0
    out = capsys.readouterr().out
    assert "spring-2027" in out and "2027-03-01 09:00" in out


def test_new_refuses_to_overwrite(cohorts_dir, capsys):
    write_cohort(cohorts_dir, "spring-2027")
    assert main(["cohort", "new", "spring-2027", "--roster", "r.csv"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_validate_names_file_and_field_and_fails(cohorts_dir, capsys):
    bad = write_cohort(cohorts_dir, "bad-one", timezone="Moon/Base")
    write_cohort(cohorts_dir, "good-one")
    assert main(["cohort", "validate"]) == 1
    captured = capsys.readouterr()
    assert "✓" in captured.out and str(bad) in captured.err
    assert "timezone: 'Moon/Base' is not an IANA timezone" in captured.err


def test_generate_writes_both_files_with_progress(tmp_path, capsys):
    assert main(["generate", "--people", "120", "--out", str(tmp_path / "data"), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "[1/4]" in out and "[4/4]" in out
    assert (tmp_path / "data" / "roster.csv").read_text().count("\n") == 121


def test_status_reads_the_program_store(cohorts_dir, capsys):
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.store import Store

    config = load_cohort(write_cohort(cohorts_dir, "status-cohort"))
    store = Store.for_cohort(config)
    store.register_cohort(config)
    store.stage_started("status-cohort", "open", "run-1")
    store.stage_step_done("status-cohort", "open", "run-1", "import_roster", {"people": 42}, last=True)
    assert main(["cohort", "status", "status-cohort"]) == 0
    out = capsys.readouterr().out
    assert "import_roster: {'people': 42}" in out
    assert [line.split()[:2] for line in out.splitlines() if line.strip().startswith("open")] == [["open", "success"]]


def test_status_of_unknown_cohort_is_a_clear_error(cohorts_dir, capsys):
    assert main(["cohort", "status", "nope"]) == 1
    assert "no such cohort file" in capsys.readouterr().err


def test_db_ddl_prints_both_dialects(capsys):
    assert main(["db", "ddl"]) == 0
    out = capsys.readouterr().out
    assert "CREATE TABLE email_ledger" in out and "postgresql dialect" in out
