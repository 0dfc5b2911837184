"""Every DAG parses quickly, with no database and no connection touched at parse time."""

import json
import os
import subprocess
import sys
import textwrap

from conftest import ROOT, write_cohort
from mentorflow.orchestration.wiring import DAG_STAGES

# Parsing runs in a fresh interpreter whose Airflow metadata database points at a closed port
# and whose connection lookups raise: any access at parse time becomes an import error.
PARSE = textwrap.dedent("""
    import json, sys, time
    import airflow.sdk.bases.hook as hook
    def _no_connections(*args, **kwargs):
        raise RuntimeError("connection looked up at parse time")
    hook.BaseHook.get_connection = classmethod(_no_connections)
    started = time.monotonic()
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=sys.argv[1])
    print(json.dumps({
        "dag_ids": list(bag.dags),
        "errors": {k: str(v)[-500:] for k, v in bag.import_errors.items()},
        "seconds": time.monotonic() - started,
        "schedules": {d.dag_id: type(d.timetable).__name__ for d in bag.dags.values()},
        "tasks": {d.dag_id: [t.task_id for t in d.tasks] for d in bag.dags.values()},
    }))
""")


def parse(cohorts_dir) -> dict:
    env = {**os.environ, "MENTORFLOW_COHORTS_DIR": str(cohorts_dir),
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://nobody@127.0.0.1:9/nowhere",
           "AIRFLOW_CONN_MENTORFLOW_STORE": "postgresql://nobody@127.0.0.1:9/nowhere",
           "PYTHONPATH": str(ROOT / "plugins")}
    out = subprocess.run([sys.executable, "-c", PARSE, str(ROOT / "dags")], capture_output=True, text=True, env=env,
                         timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_cohort_gets_eight_stage_dags_in_stable_order(cohorts_dir):
    for name in ("beta-cohort", "alpha-cohort", "gamma-cohort"):
        write_cohort(cohorts_dir, name, store={"conn_id": "mentorflow_store"})
    result = parse(cohorts_dir)
    assert result["errors"] == {}
    expected = [f"mentorflow__{c}__{s}" for c in ("alpha-cohort", "beta-cohort", "gamma-cohort") for s in DAG_STAGES]
    assert sorted(result["dag_ids"]) == sorted(expected)
    # a generous bound: parsing must never need a database round-trip or heavy imports
    assert result["seconds"] < 30, result["seconds"]


def test_factory_order_is_stable_and_follows_the_lifecycle(cohorts_dir):
    from mentorflow.orchestration.dags import build_all

    for name in ("beta-cohort", "alpha-cohort"):
        write_cohort(cohorts_dir, name)
    first, second = list(build_all()), list(build_all())
    assert first == second == [f"mentorflow__{c}__{s}" for c in ("alpha-cohort", "beta-cohort") for s in DAG_STAGES]


def test_time_stages_use_timetables_and_data_stages_use_assets(cohorts_dir):
    write_cohort(cohorts_dir, "alpha-cohort")
    result = parse(cohorts_dir)
    kinds = {dag_id.rsplit("__", 1)[1]: kind for dag_id, kind in result["schedules"].items()}
    for stage in ("open", "intake", "validate", "pulse", "midpoint", "closeout"):
        assert kinds[stage] == "EventsTimetable", (stage, kinds[stage])
    assert kinds["match"] == kinds["kickoff"] == "AssetTriggeredTimetable"


def test_hitl_mode_adds_the_committee_step_and_auto_mode_does_not(cohorts_dir):
    write_cohort(cohorts_dir, "hitl-cohort", committee={"review_mode": "hitl"})
    write_cohort(cohorts_dir, "auto-cohort", committee={"review_mode": "auto"})
    tasks = parse(cohorts_dir)["tasks"]
    assert sorted(tasks["mentorflow__hitl-cohort__match"]) == [
        "approve_matches", "approve_resolved_matches", "committee_approval", "committee_decision",
        "committee_reapproval", "propose_matches", "resolve_matches"]
    assert "committee_approval" in tasks["mentorflow__hitl-cohort__midpoint"]
    assert "committee_approval" not in tasks["mentorflow__auto-cohort__match"]


def test_a_broken_cohort_file_shows_up_without_breaking_the_others(cohorts_dir):
    write_cohort(cohorts_dir, "good-cohort")
    write_cohort(cohorts_dir, "bad-cohort", calendar={"kickoff": "2020-01-01T00:00:00"})
    result = parse(cohorts_dir)
    assert result["errors"] == {}
    assert sorted(d for d in result["dag_ids"] if d.startswith("mentorflow__good-cohort__")) == sorted(
        f"mentorflow__good-cohort__{s}" for s in DAG_STAGES)
    assert "mentorflow__bad-cohort__invalid_config" in result["dag_ids"]
    assert not any(d.startswith("mentorflow__bad-cohort__") and not d.endswith("invalid_config") for d in result["dag_ids"])
