"""Every DAG parses with no database and no connection touched and no heavy module imported at parse time."""

import json
import os
import subprocess
import sys
import textwrap

from conftest import ROOT, write_cohort
from mentorflow.orchestration.wiring import DAG_STAGES

# What parsing must not import (parse time reads YAML only, docs/architecture.md): the libraries
# a task loads to do its work, and our packages that do I/O or load them. Speed follows from this;
# it is measured in benchmarks/, not asserted here.
HEAVY = ("pandas", "numpy", "scipy", "sklearn", "great_expectations", "pulp", "highspy", "weasyprint",
         "matplotlib", "pyarrow", "mentorflow.store", "mentorflow.stages", "mentorflow.quality",
         "mentorflow.messaging", "mentorflow.reports", "mentorflow.outcomes", "mentorflow.roster",
         "mentorflow.forms", "mentorflow.demo", "mentorflow.cli", "mentorflow.matching.engine",
         "mentorflow.matching.solver", "mentorflow.matching.scoring", "mentorflow.matching.fairness")

# Parsing runs in a fresh interpreter whose Airflow metadata database points at a closed port
# and whose connection lookups raise: any access at parse time becomes an import error. It
# reports which HEAVY modules are loaded once the DAG folder is parsed (Airflow's own imports
# included: none of them loads these).
PARSE = textwrap.dedent("""
    import json, sys
    import airflow.sdk.bases.hook as hook
    def _no_connections(*args, **kwargs):
        raise RuntimeError("connection looked up at parse time")
    hook.BaseHook.get_connection = classmethod(_no_connections)
    from airflow.dag_processing.dagbag import DagBag
    heavy = json.loads(sys.argv[2])
    bag = DagBag(dag_folder=sys.argv[1])
    print(json.dumps({
        "dag_ids": list(bag.dags),
        "errors": {k: str(v)[-500:] for k, v in bag.import_errors.items()},
        "heavy_modules": sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy)),
        "schedules": {d.dag_id: type(d.timetable).__name__ for d in bag.dags.values()},
        "tasks": {d.dag_id: [t.task_id for t in d.tasks] for d in bag.dags.values()},
        "multiple_outputs": sorted(f"{d.dag_id}.{t.task_id}" for d in bag.dags.values() for t in d.tasks
                                   if getattr(t, "multiple_outputs", False)),
    }))
""")


def parse(cohorts_dir, dags_dir=ROOT / "dags") -> dict:
    env = {**os.environ, "MENTORFLOW_COHORTS_DIR": str(cohorts_dir),
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://nobody@127.0.0.1:9/nowhere",
           "AIRFLOW_CONN_MENTORFLOW_STORE": "postgresql://nobody@127.0.0.1:9/nowhere",
           "PYTHONPATH": str(ROOT / "plugins")}
    out = subprocess.run([sys.executable, "-c", PARSE, str(dags_dir), json.dumps(HEAVY)], capture_output=True,
                         text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_cohort_gets_eight_stage_dags_in_stable_order(cohorts_dir):
    for name in ("beta-cohort", "alpha-cohort", "gamma-cohort"):
        write_cohort(cohorts_dir, name, store={"conn_id": "mentorflow_store"})
    result = parse(cohorts_dir)
    assert result["errors"] == {}
    expected = [f"mentorflow__{c}__{s}" for c in ("alpha-cohort", "beta-cohort", "gamma-cohort") for s in DAG_STAGES]
    assert sorted(result["dag_ids"]) == sorted(expected)


def test_parsing_imports_no_heavy_module(cohorts_dir, tmp_path):
    """Parse time loads neither the libraries a task works with nor our packages that use them; the check
    itself is shown to see such an import, in a DAG folder that makes one."""
    write_cohort(cohorts_dir, "alpha-cohort", store={"conn_id": "mentorflow_store"})
    result = parse(cohorts_dir)
    assert result["errors"] == {} and len(result["dag_ids"]) == len(DAG_STAGES)
    assert result["heavy_modules"] == []
    planted = tmp_path / "dags"
    planted.mkdir()
    (planted / "heavy_dag.py").write_text("# an airflow DAG file importing what a task needs, at parse time\n"
                                          "import pandas\nimport mentorflow.store\n", encoding="utf-8")
    seen = parse(cohorts_dir, planted)["heavy_modules"]
    assert "pandas" in seen and "mentorflow.store" in seen


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


def test_a_stage_summary_is_one_xcom_not_one_per_key(cohorts_dir):
    """Stage tasks return a ``dict``, which TaskFlow would read as ``multiple_outputs``: every key pushed as an
    XCom of its own (an Execution API call and a metadata row each) besides ``return_value``, read by nothing."""
    write_cohort(cohorts_dir, "hitl-cohort", committee={"review_mode": "hitl"}, self_selection={"enabled": True})
    write_cohort(cohorts_dir, "auto-cohort", committee={"review_mode": "auto"})
    result = parse(cohorts_dir)
    assert result["errors"] == {}
    assert len(result["tasks"]["mentorflow__hitl-cohort__match"]) == 7
    assert result["multiple_outputs"] == []


def test_a_broken_cohort_file_shows_up_without_breaking_the_others(cohorts_dir):
    write_cohort(cohorts_dir, "good-cohort")
    write_cohort(cohorts_dir, "bad-cohort", calendar={"kickoff": "2020-01-01T00:00:00"})
    result = parse(cohorts_dir)
    assert result["errors"] == {}
    assert sorted(d for d in result["dag_ids"] if d.startswith("mentorflow__good-cohort__")) == sorted(
        f"mentorflow__good-cohort__{s}" for s in DAG_STAGES)
    assert "mentorflow__bad-cohort__invalid_config" in result["dag_ids"]
    assert not any(d.startswith("mentorflow__bad-cohort__") and not d.endswith("invalid_config") for d in result["dag_ids"])


def test_self_selection_runs_between_validation_and_the_match(cohorts_dir):
    """Validation recommends mentors (a no-op when self-selection is off); the selection DAG runs at the two
    moments of the window only when it is on; the match then waits for its Asset instead of validation's."""
    from mentorflow.cohorts import calendar
    from mentorflow.cohorts.loader import find_cohort
    from mentorflow.orchestration.dags import build_all

    write_cohort(cohorts_dir, "plain-cohort", store={"conn_id": "mentorflow_store"})
    write_cohort(cohorts_dir, "chosen-cohort", store={"conn_id": "mentorflow_store"}, self_selection={"enabled": True})
    result = parse(cohorts_dir)
    assert result["errors"] == {} and result["heavy_modules"] == []
    tasks, kinds = result["tasks"], result["schedules"]
    for cohort in ("plain-cohort", "chosen-cohort"):
        assert tasks[f"mentorflow__{cohort}__validate"][-1] == "send_recommendations"
        assert sorted(tasks[f"mentorflow__{cohort}__selection"]) == ["ask_mentors", "ask_or_close", "close_selection"]
    assert kinds["mentorflow__chosen-cohort__selection"] == "EventsTimetable"
    assert kinds["mentorflow__plain-cohort__selection"] == "NullTimetable"

    dags = build_all()
    waits_for = {c: [a.name for a in dags[f"mentorflow__{c}__match"].timetable.asset_condition.objects]
                 for c in ("plain-cohort", "chosen-cohort")}
    assert waits_for == {"plain-cohort": ["plain-cohort.validated"], "chosen-cohort": ["chosen-cohort.selected"]}
    chosen = find_cohort("chosen-cohort")
    dates = calendar.selection_dates(chosen)
    assert calendar.scheduled_moments(chosen, "selection") == [dates["requests_close"], dates["responses_close"]]
    assert [calendar.selection_action(chosen, m) for m in dates.values()] == ["ask", "close"]
    planned = [(r.stage, r.moment) for r in calendar.plan(chosen)]
    assert planned.index(("selection", dates["responses_close"])) < [s for s, _ in planned].index("match")
    assert next(m for s, m in planned if s == "match") > dates["responses_close"]
    assert "selection" not in {r.stage for r in calendar.plan(find_cohort("plain-cohort"))}
