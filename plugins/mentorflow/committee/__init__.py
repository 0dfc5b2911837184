"""The matching committee's console: a web app inside Airflow's API server where named reviewers read a round's proposal, and every view and action is recorded (docs/committee.md)."""
