"""Airflow DAGs for every mentorflow cohort: one DAG per (cohort, stage), built from cohorts/*.yaml.

Thin wiring only: see mentorflow.orchestration.dags (plugins/) for the schedule of each stage.
"""

from mentorflow.orchestration.dags import build_all

globals().update(build_all())
