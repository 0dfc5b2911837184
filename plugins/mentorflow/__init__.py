"""mentorflow: a formal workplace mentoring program run as Airflow pipelines.

Modules are imported lazily by the DAGs: only :mod:`mentorflow.config` and
:mod:`mentorflow.paths` are needed at parse time.
"""

__version__ = "0.1.0"
