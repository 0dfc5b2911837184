"""The matching committee's console inside Airflow's UI: review a round's proposal, re-solve and decide together; every view and action is recorded (docs/committee.md)."""
