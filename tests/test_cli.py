import re

import pytest
import sqlalchemy as sa
from conftest import write_cohort
from mentorflow.cli.main import main
from mentorflow.cohorts.calendar import STAGES


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


def _status_cohort(cohorts_dir):
    from conftest import ready_store
    from mentorflow.cohorts.loader import load_cohort

    config = load_cohort(write_cohort(cohorts_dir, "status-cohort"))
    store = ready_store(config)
    store.register_cohort(config)
    return config, store


@pytest.mark.airflow
def test_status_shows_each_stages_newest_airflow_run_and_its_figures(cohorts_dir, capsys, airflow_db):
    import pendulum
    from airflow.sdk import DAG, task
    from mentorflow.orchestration.wiring import dag_id
    from mentorflow.store import people

    config, store = _status_cohort(cohorts_dir)
    store.upsert(people, [{"cohort_id": "status-cohort", "employee_id": "E1", "full_name": "One",
                           "email": "one@example.com", "on_pip": False}])
    with DAG(dag_id("status-cohort", "open"), schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
        @task
        def import_roster():
            return {"people": 42, "committee_text": "long text left out"}

        @task
        def send_invitations():
            return {"invited": 40}

        import_roster() >> send_invitations()
    dag.test(logical_date=pendulum.datetime(2026, 1, 5, 9))

    assert main(["cohort", "status", "status-cohort"]) == 0
    out = capsys.readouterr().out
    assert row(out, "people") == ["people", "1"]
    # one row per stage: its newest run (for, finished), its state and the figures its tasks returned
    opened = row(out, "open")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", opened[1]) and re.fullmatch(r"\d{4}-\d\d-\d\d", opened[3])
    assert opened[5] == "success"
    assert "people 42 · invited 40" in out and "committee_text" not in out and "long text" not in out
    assert row(out, "match") == ["match", "never", "run", "-", "-", "-"]
    assert [line.split()[0] for line in out.splitlines()[-len(STAGES):]] == list(STAGES)


def row(out: str, first: str) -> list[str]:
    (found,) = [line.split() for line in out.splitlines() if line.split()[:1] == [first]]
    return found


def test_key_figures_are_numbers_with_names_and_the_emails_sent_added_up():
    from mentorflow.cli.status import key_figures

    returned = {"import_roster": {"rows": 60, "people": 60, "committee_text": "x", "report": "/tmp/r.html"},
                "send_invitations": {"invited": 60, "sent": 58, "skipped": 2, "failed": 0, "retry": 0},
                "remind": {"sent": 3, "failed": 1}, "alert": {"notice": {"sent": 1, "skipped": 0}},
                "count_rows": 60, "flag": True}
    assert key_figures(returned) == ["rows 60", "people 60", "invited 60", "emails sent 61", "skipped 2", "failed 1",
                                     "notice emails sent 1", "count rows 60"]


def test_key_figures_keep_the_committees_choice_and_never_flatten_its_answer_into_numbers():
    from mentorflow.cli.status import key_figures

    answer = {"chosen_options": ["Approve"], "params_input": {"comment": "fine", "pairs": 3},
              "responded_at": {"__classname__": "pendulum.datetime.DateTime", "__version__": 2,
                               "__data__": {"timestamp": 1796300000.0, "tz": "UTC"}},
              "responded_by_user": {"id": "ann", "name": "ann"}}
    returned = {"propose_matches": {"pairs": 12, "unmatched": 3, "when": {"__type": "datetime", "__var": 1.5}},
                "committee_approval": answer, "apply_approval": {"pairs": 12, "sent": 24}}
    assert key_figures(returned) == ["pairs 12", "unmatched 3", "committee approval Approve", "emails sent 24"]


def test_status_without_airflow_metadata_says_so_and_still_shows_the_store(cohorts_dir, capsys, monkeypatch):
    from mentorflow.cli import status as cli

    def unreachable():
        raise RuntimeError("no such table: dag_run")

    monkeypatch.setattr(cli, "_airflow_session", unreachable)
    _status_cohort(cohorts_dir)
    assert main(["cohort", "status", "status-cohort"]) == 0
    out = capsys.readouterr().out
    assert row(out, "people") == ["people", "0"]
    assert row(out, "match") == ["match", "not", "known", "-", "-", "(Airflow", "not", "reachable)"]
    assert "Airflow's metadata database is not reachable from here (RuntimeError: no such table: dag_run)" in out


def test_status_of_a_store_that_is_not_upgraded_says_what_to_run(cohorts_dir, capsys):
    write_cohort(cohorts_dir, "status-cohort")
    assert main(["cohort", "status", "status-cohort"]) == 1
    assert "`mentorflow db upgrade`" in capsys.readouterr().err


def test_status_of_unknown_cohort_is_a_clear_error(cohorts_dir, capsys):
    assert main(["cohort", "status", "nope"]) == 1
    err = capsys.readouterr().err
    assert "no such cohort file" in err
    assert f"cohorts in {cohorts_dir} (set by MENTORFLOW_COHORTS_DIR and MENTORFLOW_HOME)" in err


def test_db_ddl_prints_both_dialects(capsys):
    assert main(["db", "ddl"]) == 0
    out = capsys.readouterr().out
    assert "CREATE TABLE email_ledger" in out and "postgresql dialect" in out


def test_db_upgrade_then_current(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli-store.db'}"
    from mentorflow.store import migrate

    head = migrate.head()
    assert main(["db", "current", "--url", url]) == 1
    assert f"empty (no mentorflow tables); this code needs revision {head}" in capsys.readouterr().out
    assert main(["db", "upgrade", "--url", url]) == 0
    assert f"upgraded from an empty database to revision {head}" in capsys.readouterr().out
    assert main(["db", "upgrade", "--url", url]) == 0
    assert f"already at revision {head} (head), nothing to do" in capsys.readouterr().out
    assert main(["db", "current", "--url", url]) == 0
    assert f"at revision {head} (head)" in capsys.readouterr().out


def test_db_upgrade_of_a_0_1_0_store_says_it_was_stamped(tmp_path, capsys):
    from pathlib import Path

    from mentorflow.store import migrate

    url = f"sqlite:///{tmp_path / 'old-store.db'}"
    engine = sa.create_engine(url)
    schema = (Path(__file__).parent / "data" / "schema-0.1.0.sqlite.sql").read_text(encoding="utf-8")
    with engine.begin() as conn:
        for statement in filter(str.strip, schema.split(";\n")):
            conn.exec_driver_sql(statement)
    engine.dispose()
    assert main(["db", "current", "--url", url]) == 1
    assert "made by mentorflow 0.1.0" in capsys.readouterr().out
    assert main(["db", "upgrade", "--url", url]) == 0
    assert (f"upgraded from mentorflow 0.1.0 (no migration history; stamped 0001) to revision {migrate.head()}"
            in capsys.readouterr().out)


def test_db_upgrade_that_cannot_connect_is_a_clear_error(capsys):
    url = "postgresql+psycopg2://someone:hunter2@127.0.0.1:1/nowhere"
    assert main(["db", "upgrade", "--url", url]) == 1
    err = capsys.readouterr().err
    assert "program store postgresql+psycopg2://someone:***@127.0.0.1:1/nowhere: cannot upgrade" in err
    assert "hunter2" not in err


def test_db_init_is_gone(capsys):
    with pytest.raises(SystemExit):
        main(["db", "init"])
    assert "invalid choice: 'init'" in capsys.readouterr().err
