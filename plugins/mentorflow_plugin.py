"""Airflow plugin entry point for mentorflow (the participant forms app mounts here)."""

from airflow.plugins_manager import AirflowPlugin


class MentorflowPlugin(AirflowPlugin):
    name = "mentorflow"
