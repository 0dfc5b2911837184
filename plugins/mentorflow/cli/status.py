"""``mentorflow cohort status NAME``: where a cohort is, as a table of its stages.

Two sources, each named in the output: the program store (what the cohort holds now: people, applications, pairs,
emails sent) and Airflow's metadata database (each stage DAG's newest run, its state and the figures its tasks
returned). A stage without a run says "never run"; when Airflow's database cannot be reached the table says so
instead of guessing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import textwrap
from typing import Any

import sqlalchemy as sa

from mentorflow.cohorts.calendar import STAGES

# task return values that are not figures: long texts, file paths, explanations
HIDDEN = {"committee_text", "report", "pdf", "csv", "suggested_weights", "evidence", "verdict", "note"}
# a send's counters (mentorflow.messaging): shown only when not zero; its "sent" reads "emails sent"
QUIET_WHEN_ZERO = {"skipped", "failed", "retry", "resent_after_crash"}
# the keys of an object Airflow serialized into a task's return value (a timestamp, a dataclass): not figures
SERIALIZED = {"__classname__", "__version__", "__data__", "__type", "__var"}
FIGURES_WIDTH = 64


def _airflow_session():
    from airflow.utils.session import create_session  # lazy: Airflow reads its configuration when first imported

    return create_session()


def airflow_runs(cohort: str) -> dict[str, dict[str, Any]] | str:
    """The newest Airflow run of each stage DAG and its tasks' return values, from Airflow's metadata database;
    or why that database cannot be read from here."""
    try:
        from airflow.models.dagrun import DagRun  # lazy: see _airflow_session
        from airflow.models.xcom import XCOM_RETURN_KEY, XComModel  # lazy: see _airflow_session

        from mentorflow.orchestration.wiring import dag_id  # lazy: imports Airflow's SDK

        found: dict[str, dict[str, Any]] = {}
        with _airflow_session() as session:
            for stage in STAGES:
                run = session.scalars(sa.select(DagRun).where(DagRun.dag_id == dag_id(cohort, stage))
                                      .order_by(DagRun.run_after.desc()).limit(1)).first()
                if run is None:
                    continue
                returned = session.scalars(
                    sa.select(XComModel)
                    .where(XComModel.dag_run_id == run.id, XComModel.key == XCOM_RETURN_KEY)
                    .order_by(XComModel.timestamp, XComModel.task_id, XComModel.map_index)
                ).all()
                found[stage] = {"state": str(run.state), "run_after": run.run_after, "end_date": run.end_date,
                                "figures": {x.task_id: XComModel.deserialize_value(x) for x in returned}}
        return found
    except Exception as exc:  # Airflow not configured here: the store part still helps
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return (f"Airflow's metadata database is not reachable from here ({type(exc).__name__}: {first_line[:160]}); "
                "stage runs and their figures come from it: run this where Airflow is configured "
                "(AIRFLOW_HOME, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN or `mentorflow --home`)")


def key_figures(returned: dict[str, Any]) -> list[str]:
    """A run's tasks' return values as short ``name value`` figures (numbers only: texts, paths and the
    committee's report are left out); nested counts get their parent's name (``alert emails sent 1``); the emails
    a run sent are added up, a figure several tasks return alike is shown once. A human-in-the-loop task's answer
    (the committee's) is its chosen option only (``committee approval Approve``): who answered, when and with what
    note are not figures, and serialized objects (a timestamp's ``__version__``) never become numbers."""
    found: dict[str, list[float | int | str]] = {}

    def add(label: str, value: Any, key: str = "") -> None:
        if isinstance(value, bool) or value is None or (key in QUIET_WHEN_ZERO and value == 0):
            return
        if isinstance(value, dict) and SERIALIZED & set(map(str, value)):
            return
        if key == "sent":
            label = label[:-len("sent")] + "emails sent"
        if isinstance(value, (int, float)):
            values = found.setdefault(label, [])
            if label.endswith("emails sent"):
                values[:] = [sum(values, value)]
            elif value not in values:
                values.append(value)
        elif isinstance(value, dict):
            for inner_key, inner in value.items():
                if str(inner_key) not in HIDDEN:
                    add(f"{label} {inner_key}".strip().replace("_", " "), inner, str(inner_key))

    for task, value in returned.items():
        if isinstance(value, dict) and "chosen_options" in value:  # Airflow's HITL answer
            found.setdefault(task.replace("_", " "), []).append("/".join(map(str, value["chosen_options"] or [])))
            continue
        add("" if isinstance(value, dict) else task.replace("_", " "), value)
    return [f"{label} " + "/".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)
            for label, values in found.items()]


def _wrap(figures: list[str]) -> list[str]:
    """The figures over lines of FIGURES_WIDTH, never breaking inside one figure."""
    joined = " · ".join(f.replace(" ", "\u00a0") for f in figures)
    return [line.replace("\u00a0", " ") for line in textwrap.wrap(joined, FIGURES_WIDTH)] or ["-"]


def _when(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


def stage_table(runs: dict[str, dict[str, Any]] | str) -> list[str]:
    """One row per stage: stage, its newest run (when it was for, when it ended), state, key figures."""
    head = f"  {'stage':<12} {'last run':<17} {'finished':<17} {'state':<10} figures"
    lines = [head, "  " + "-" * (len(head) - 2 + 24)]
    for stage in STAGES:
        if isinstance(runs, str):
            lines.append(f"  {stage:<12} {'not known':<17} {'-':<17} {'-':<10} (Airflow not reachable)")
            continue
        run = runs.get(stage)
        if run is None:
            lines.append(f"  {stage:<12} {'never run':<17} {'-':<17} {'-':<10} -")
            continue
        figures = _wrap(key_figures(run["figures"]))
        lines.append(f"  {stage:<12} {_when(run['run_after']):<17} {_when(run['end_date']):<17} "
                     f"{run['state']:<10} {figures[0]}")
        lines += [f"  {'':<12} {'':<17} {'':<17} {'':<10} {more}" for more in figures[1:]]
    return lines


def store_lines(config, store) -> list[str]:
    """What the program store holds for the cohort now: counts only, never anyone's answers."""
    from mentorflow.store import applications, email_ledger, matches, people, quarantine
    from mentorflow.workspace import agreement

    c = config.cohort
    with store.begin() as conn:
        sent = conn.execute(sa.select(email_ledger.c.template, sa.func.count()).where(
            email_ledger.c.cohort_id == c, email_ledger.c.status == "sent").group_by(email_ledger.c.template)).all()
        pairs = conn.execute(sa.select(matches.c.status, sa.func.count()).where(matches.c.cohort_id == c)
                             .group_by(matches.c.status)).all()
    agreed = agreement.status(c, store)
    dates = [moment for moment in agreed.values() if moment is not None]
    latest = f" (latest on {max(dates):%Y-%m-%d})" if dates else ""
    emails = textwrap.wrap(f"{sum(n for _, n in sent)}: " + (", ".join(f"{t} {n}" for t, n in sorted(sent)) or "none"),
                           FIGURES_WIDTH + 30)
    return [
        f"  people        {store.count(people, cohort_id=c)}",
        f"  applications  {store.count(applications, cohort_id=c)} (valid {store.count(applications, cohort_id=c, status='valid')}) "
        f"· quarantine {store.count(quarantine, cohort_id=c, status='open')} open",
        "  pairs         " + (", ".join(f"{status} {n}" for status, n in sorted(pairs)) or "none"),
        *[f"  {'emails sent' if i == 0 else '':<13} {line}" for i, line in enumerate(emails)],
        f"  agreements    {len(dates)} of {len(agreed)} partnerships agreed{latest}",
    ]


def cmd_cohort_status(args: argparse.Namespace) -> int:
    from mentorflow.cli.output import print_errors, say_where
    from mentorflow.cohorts.loader import find_cohort
    from mentorflow.errors import CohortConfigError, StoreNotReady
    from mentorflow.store import Store

    try:
        config = find_cohort(args.name)
    except CohortConfigError as error:
        print_errors([error])
        say_where(getattr(args, "place", None), sys.stderr)
        return 1
    try:
        store = Store.for_cohort(config)
    except StoreNotReady as error:
        print(error, file=sys.stderr)
        return 1
    runs = airflow_runs(config.cohort)
    say_where(getattr(args, "place", None))
    print(f"{config.name} [{config.cohort}] · {config.program_type.value} · {config.source_path}")
    print(f"\nProgram store ({store.shown_url}), now:")
    print("\n".join(store_lines(config, store)))
    print("\nStages (Airflow's newest run of each stage DAG; figures: what its tasks returned):")
    print("\n".join(stage_table(runs)))
    if isinstance(runs, str):
        print(f"\n  {runs}")
    return 0
