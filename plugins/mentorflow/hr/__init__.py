"""HR's pages inside Airflow: a cohort's reports by link, behind Airflow's login (docs/committee.md)."""
