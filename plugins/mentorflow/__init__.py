"""mentorflow: a formal workplace mentoring program run as Airflow pipelines.

Modules are imported lazily by the DAGs: only :mod:`mentorflow.cohorts.config` and
:mod:`mentorflow.settings` are needed at parse time.
"""

__version__ = "0.1.0"
