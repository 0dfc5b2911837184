"""The cohort's quality section: severities by expectation name, clear errors; and GX stays out of DAG parsing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.contract.checks import CHECKS, GATES
from mentorflow.errors import CohortConfigError
from mentorflow.orchestration.wiring import DAG_STAGES


def test_defaults_and_overrides(cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir, quality={"severity": {"applications.tipi_range": "hard"}}))
    assert config.quality.severity_of("applications.tipi_range") == "hard"
    assert config.quality.severity_of("roster.unique_ids") == "hard"
    assert config.quality.severity_of("roster.unique_emails") == "soft"


@pytest.mark.parametrize(
    ("quality", "message"),
    [
        ({"severity": {"roster.uniq_ids": "soft"}},
         "quality.severity: unknown expectation 'roster.uniq_ids' (did you mean 'roster.unique_ids'?)"),
        ({"severity": {"roster.header": "soft"}},
         "quality.severity: 'roster.header' checks the whole file and is always hard"),
        ({"severity": {"roster.unique_ids": "fatal"}},
         "quality.severity.roster.unique_ids: Input should be 'hard' or 'soft'"),
        ({"level_range": [9, 1]}, "quality.level_range: the lowest level 9 is above the highest 1"),
        ({"severities": {}}, "quality.severities: is not a known setting"),
    ],
)
def test_mistakes_in_the_quality_section_are_named(cohorts_dir, quality, message):
    with pytest.raises(CohortConfigError) as error:
        load_cohort(write_cohort(cohorts_dir, quality=quality))
    assert any(message in problem for problem in error.value.problems), error.value.problems


def test_every_check_belongs_to_a_gate_and_has_a_catalogue_name():
    assert set(GATES) == {"roster", "intake", "applications", "matches", "selection", "workspace", "pulse",
                          "closeout"}
    assert all(name.split(".")[0] in GATES or name.startswith("eligibility.") for name in CHECKS)


def test_parsing_the_dags_never_imports_great_expectations(cohorts_dir):
    write_cohort(cohorts_dir, "alpha-cohort", quality={"severity": {"roster.unique_emails": "hard"}})
    probe = ("import sys; from mentorflow.orchestration.dags import build_all; dags = build_all(); "
             "print(len(dags), 'great_expectations' in sys.modules)")
    env = {**os.environ, "MENTORFLOW_COHORTS_DIR": str(cohorts_dir), "PYTHONPATH": str(ROOT / "plugins")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == [str(len(DAG_STAGES)), "False"]
