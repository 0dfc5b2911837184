"""A 100 MB applications export: streamed, checked, good rows kept, bad rows named; memory stays bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT, ready_store, write_cohort
from mentorflow.demo.synthetic import APPLICATION_COLUMNS, generate_roster

pytestmark = pytest.mark.slow

PEOPLE = 25_000
TARGET_BYTES = 100 * 1024 * 1024

IMPORT = textwrap.dedent("""
    import json, resource, sys
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.stages import intake
    from mentorflow.stages.common import CohortRun
    from mentorflow.store import Store, applications, quarantine
    config = load_cohort(sys.argv[1])
    store = Store.for_cohort(config)
    summary = intake.import_applications(CohortRun(config, store, config.at(config.calendar.application_close)))
    summary["stored"] = store.count(applications)
    summary["held"] = sorted([r["record_key"], r["reason"]] for r in store.rows(quarantine, gate="intake"))
    summary["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(summary))
""")


def row(**values: str) -> str:
    """One line of the export, every column of the contract in order (blank unless given)."""
    return ",".join(values.get(column, "") for column in APPLICATION_COLUMNS)


def write_big_export(path, ids: list[str], bad_rows: dict[int, bytes]) -> int:
    """One application per person, each padded with a long motivation to reach 100 MB."""
    sentence = "I want to learn how experienced colleagues think about their work. "
    filler = (sentence * 70)[: TARGET_BYTES // len(ids) - 160]
    with open(path, "wb") as out:
        out.write((",".join(APPLICATION_COLUMNS) + "\n").encode())
        for number, employee_id in enumerate(ids):
            if number in bad_rows:
                out.write(bad_rows[number])
                continue
            out.write((row(employee_id=employee_id, role="mentee", motivation=f'"{filler}"', prior_experience="none",
                           skills_wanted="python:2", goals="Grow my python", preferred_traits="curious",
                           hours_per_month="4", **{f"tipi_{i}": str(1 + (number + i - 1) % 7) for i in range(1, 11)})
                       + "\n").encode())
    return path.stat().st_size


def test_a_100mb_export_is_streamed_and_keeps_every_good_row(cohorts_dir, mentorflow_home):
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.store import people

    roster = generate_roster(PEOPLE, seed=3)
    config_path = write_cohort(cohorts_dir)
    config = load_cohort(config_path)
    store = ready_store(config)
    store.register_cohort(config)
    records = roster.assign(cohort_id=config.cohort, level=roster["level"].astype(int), hire_date=None,
                            on_pip=False, manager_id=roster["manager_id"].replace("", None)).to_dict("records")
    store.upsert(people, records)
    ids = list(roster["employee_id"])
    bad = {
        10: (row(employee_id=ids[10], role="mentee", motivation="x", prior_experience="none", skills_wanted="python:2",
                 goals="Grow", preferred_traits="curious", tipi_1="seven", hours_per_month="4",
                 **{f"tipi_{i}": "1" for i in range(2, 11)}) + "\n").encode(),
        20_000: (row(employee_id=ids[20_000], role="mentee", motivation="Ren\xe9e", prior_experience="none",
                     skills_wanted="python:2", goals="Grow", preferred_traits="curious", hours_per_month="4",
                     **{f"tipi_{i}": "1" for i in range(1, 11)}) + "\n").encode("latin-1"),
    }
    (cohorts_dir / "data").mkdir()
    size = write_big_export(cohorts_dir / "data" / "applications.csv", ids, bad)
    assert size >= TARGET_BYTES * 0.95
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    out = subprocess.run([sys.executable, "-c", IMPORT, str(config_path)], capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["rows"] == PEOPLE
    assert summary["imported"] == summary["stored"] == PEOPLE - 2
    assert summary["quarantined_rows"] == 2
    assert summary["held"] == sorted([
        [ids[10], "intake.numbers: tipi_1 'seven' is not a whole number"],
        [ids[20_000], f"intake.encoding: line {20_002} is not valid UTF-8 (undecodable bytes shown as \ufffd); "
                      "export the file as UTF-8"],
    ])
    # streamed: the process never held many copies of the file (measured peak, not a timing)
    print(f"peak RSS {summary['max_rss_mb']:.0f} MB importing a {size / 1e6:.0f} MB file")
    assert summary["max_rss_mb"] < 1500, summary["max_rss_mb"]
    store.engine.dispose()
