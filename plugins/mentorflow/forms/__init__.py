"""Participant web forms: application, gap-fill, pulse, re-match request and close-out evaluation.

A FastAPI app (:mod:`mentorflow.forms.app`) mounted into the Airflow API server by the
plugin, or served alone (``mentorflow forms serve``). Nothing is imported here so that the
plugin stays cheap to load.
"""
