"""Airflow DAGs for every mentorflow cohort: one DAG per (cohort, stage), built from cohorts/*.yaml.

Thin wiring only: see mentorflow.dag_factory (plugins/) for the schedule of each stage.
"""

from mentorflow.dag_factory import build_all

globals().update(build_all())
