"""Shared fixtures. Every test runs against its own MENTORFLOW_HOME, cohorts folder and secret.

Airflow reads its configuration once, at import: the session's AIRFLOW_HOME (a
temporary SQLite metadata database) is set here, before anything imports Airflow.

The suite runs on two pytest-xdist workers (``-n 2 --dist loadscope`` in pyproject's addopts), each
test file one unit of work so its module fixtures are built once (:func:`unit_of`). The
``integration`` stack, mostly waiting on Airflow's processes, is handed out first and runs on one
worker while the other works through the rest: first the files with ``slow`` (or ``airflow``) tests,
then the quick ones, which fill the end evenly. With ``-n 0`` it runs in one process, quick tests
first, then slow ones, then the stack (:func:`pytest_collection_modifyitems`). Long fixtures report
their progress live through :func:`progress`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="mentorflow-tests-"))
os.environ.update({
    "AIRFLOW_HOME": str(_SESSION_DIR / "airflow"),
    "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    "MENTORFLOW_SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
})
sys.path.insert(0, str(ROOT / "plugins"))

# shared fixtures that live in their own modules (the email tests' SQLite store, servers)
pytest_plugins = ["browser_fixtures", "committee_fixtures", "email_fixtures", "quality_fixtures"]

PG_ADMIN_URL = os.environ.get("MENTORFLOW_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def _speed_rank(item: pytest.Item) -> int:
    if item.get_closest_marker("integration"):
        return 2
    if item.get_closest_marker("slow") or item.get_closest_marker("airflow"):
        return 1
    return 0


# Test files that share a session-scoped fixture too slow to build twice: one xdist unit, so one worker
# builds it (once per parameter) instead of both.
SHARED_SESSION_UNITS = {
    "completed-cohort": ("test_lifecycle.py", "test_disclosure.py", "test_hr_report.py", "test_report_print.py"),
}
INTEGRATION_DIR = "tests/integration/"


def unit_of(nodeid: str) -> str:
    """The xdist unit of work a test belongs to, from its node id (the controller sees node ids only): the
    integration stack (one stack at a time: two would share the two cores with everything else), a group of
    files sharing a session fixture, else its test file (so a module-scoped fixture, e.g. an API server or a
    browser, is started by one worker only)."""
    path = nodeid.split("::", 1)[0]
    if path.startswith(INTEGRATION_DIR):
        return "integration"
    for unit, files in SHARED_SESSION_UNITS.items():
        if path.rsplit("/", 1)[-1] in files:
            return unit
    return path


def _distributed(config: pytest.Config) -> bool:
    """True in an xdist worker, i.e. when tests are spread over workers (``-n 2``), not with ``-n 0``."""
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)  # only with pytest-xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadscope`` with :func:`unit_of` as the scope. xdist's ``loadgroup`` would need its marks
    turned into node-id suffixes, which xdist 3.8 can no longer do on pytest 9.2 (node ids are read-only);
    ``--no-loadscope-reorder`` (addopts) keeps the collection order, so units go out as sorted below."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return UnitScheduling(config, log)


@pytest.hookimpl(trylast=True)  # after pytest's own grouping by parametrized fixtures, which the stable sort keeps
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In one process (``-n 0``): quick tests first, then slow ones (``slow``, ``airflow``), then ``integration``:
    a failure in the fast part shows within a minute, not after the stack's ten.

    Spread over workers, xdist hands out units (:func:`unit_of`) in the order of their first test: the
    integration stack first (one worker waits on it while the other runs the rest), then units holding a slow
    test, then the quick ones, so the last units handed out are short and both workers finish close together.
    A stable sort: file order otherwise."""
    if not _distributed(config):
        items.sort(key=_speed_rank)
        return
    unit_rank: dict[str, int] = {}
    for item in items:
        unit = unit_of(item.nodeid)
        unit_rank[unit] = max(unit_rank.get(unit, 0), _speed_rank(item))
    items.sort(key=lambda item: -unit_rank[unit_of(item.nodeid)])


@pytest.fixture(scope="session")
def progress(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``progress(line)`` writes the line to the terminal at once, with the time, whether or not output is
    captured (no ``-s`` needed): slow fixtures say what they are doing instead of sitting silent.

    An xdist worker's terminal reporter writes nowhere, but its stderr is the run's: there the line goes, on a
    line of its own and named after the worker (``[gw0]``), amid the controller's progress dots."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    worker = os.environ.get("PYTEST_XDIST_WORKER")

    def say(line: str) -> None:
        text = f"  [{dt.datetime.now():%H:%M:%S}] {line}"
        if reporter is None:  # -p no:terminal
            return
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            if worker:
                sys.stderr.write(f"\n[{worker}]{text}\n")
                sys.stderr.flush()
            else:
                reporter.write_line(text)

    return say


def run_of(config, store, moment=None):
    """A stage run of ``config`` on ``store`` at ``moment`` (a datetime, or a date meaning 09:00 in the
    cohort's timezone; default: when the application window opens)."""
    from mentorflow.stages.common import CohortRun

    if moment is None:
        moment = config.at(config.calendar.application_open)
    elif not isinstance(moment, dt.datetime):
        moment = config.at(dt.datetime.combine(moment, dt.time(9, 0)))
    return CohortRun(config, store, config.at(moment))


@pytest.fixture(autouse=True)
def mentorflow_home(tmp_path, monkeypatch):
    """Isolated runtime folders for each test."""
    home = tmp_path / "home"
    cohorts = tmp_path / "cohorts"
    cohorts.mkdir()
    monkeypatch.setenv("MENTORFLOW_HOME", str(home))
    monkeypatch.setenv("MENTORFLOW_COHORTS_DIR", str(cohorts))
    monkeypatch.delenv("MENTORFLOW_STORE_URL", raising=False)
    return home


@pytest.fixture
def cohorts_dir(mentorflow_home):
    return Path(os.environ["MENTORFLOW_COHORTS_DIR"])


def _postgres_reachable() -> str | None:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # the reason goes into the skip message
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for the session, dropped at the end."""
    import sqlalchemy as sa

    reason = _postgres_reachable()
    if reason:
        pytest.skip(reason)
    name = f"mentorflow_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    """An empty program store at the head revision on SQLite, then on PostgreSQL (same tests, both backends)."""
    from mentorflow.store import Store

    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        s = Store(request.getfixturevalue("postgres_url"))
        s.drop_all()
    s.upgrade()
    yield s
    if request.param == "postgresql":
        s.drop_all()
    s.engine.dispose()


@pytest.fixture(scope="session")
def airflow_db():
    """Airflow's metadata database for the session (SQLite), created once."""
    out = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True,
                         env=os.environ.copy())
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return Path(os.environ["AIRFLOW_HOME"])


def ready_store(config):
    """The cohort's program store brought to the head revision, as `mentorflow db upgrade` leaves it
    (tasks then open it with ``Store.for_cohort``, which never creates tables)."""
    from mentorflow.store import Store, url_for

    store = Store(url_for(config.store))
    store.upgrade()
    return store


def run_to_kickoff(config, store) -> None:
    """A cohort's stages from the window opening to kickoff, through the stage functions (no Airflow):
    roster, applications, validation, proposal, approval, introductions."""
    import datetime as dt

    from mentorflow.stages import intake, kickoff, match, validate
    from mentorflow.stages import open as open_stage

    open_stage.import_roster(run_of(config, store, dt.date(2026, 1, 5)))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    match.propose_matches(run_of(config, store))
    match.approve_matches(run_of(config, store))
    kickoff.send_kickoff(run_of(config, store))


def ask_to_end(config, store, count: int) -> list[dict]:
    """The first ``count`` active pairs (by mentee) asked to end through the re-match request form, a minute after
    kickoff: the midpoint ends them and re-matches the people they free. Returns those pairs."""
    from mentorflow.store import matches, rematch_requests

    active = sorted(store.rows(matches, cohort_id=config.cohort, status="active"), key=lambda m: m["mentee_id"])
    asked = active[:count]
    store.upsert(rematch_requests, [
        {"cohort_id": config.cohort, "match_id": m["match_id"], "requester_id": m["mentee_id"], "reason": "schedule",
         "comment": "", "submitted_at": config.at(config.calendar.kickoff) + dt.timedelta(minutes=1)} for m in asked])
    return asked


def write_cohort(directory: Path, cohort: str = "test-cohort", **overrides) -> Path:
    """A valid cohort YAML (compressed calendar in the past) with top-level overrides."""
    import yaml

    data = {
        "cohort": cohort,
        "name": "Test Cohort",
        "program_type": "traditional",
        "timezone": "UTC",
        "calendar": {
            "application_open": "2026-01-05T09:00:00", "application_close": "2026-01-05T09:20:00",
            "kickoff": "2026-01-05T09:30:00", "midpoint": "2026-01-05T10:02:00", "close_out": "2026-01-05T10:40:00",
            "pulse_cadence": "every 15 minutes", "reminder_after_days": 0.005, "intake_check_every_hours": 0.1,
            "evaluation_days": 0.01,
        },
        "eligibility": {"min_tenure_days": 30},
        "health": {"reminder_after_days": 0.004},
        "committee": {"review_mode": "hitl"},
        "sources": {"roster_csv": "data/roster.csv", "applications_csv": "data/applications.csv",
                    "closeout_roster_csv": "data/roster-closeout.csv"},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    path = directory / f"{cohort}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def completed_cohort(request, airflow_db, tmp_path_factory, progress):
    """A cohort of 90 people taken from window-open to close-out, once per store backend."""
    from airflow.dag_processing.dagbag import DagBag
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.demo import lifecycle, simulate
    from mentorflow.demo.synthetic import write_population
    from mentorflow.store import Store, url_for

    base = tmp_path_factory.mktemp(f"lifecycle-{request.param}")
    env = pytest.MonkeyPatch()
    env.setenv("MENTORFLOW_HOME", str(base / "home"))
    env.setenv("MENTORFLOW_COHORTS_DIR", str(base / "cohorts"))
    (base / "cohorts").mkdir()
    store_section = {"url": request.getfixturevalue("postgres_url")} if request.param == "postgresql" else {}
    write_population(base / "cohorts" / "data", 90, seed=11)
    config = load_cohort(write_cohort(base / "cohorts", store=store_section))
    store = Store(url_for(config.store))
    if request.param == "postgresql":
        store.drop_all()
    store.upgrade()

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}

    def stage_started(line: str) -> None:  # one line per stage run ("done in" lines are left out)
        if line.lstrip().startswith("["):
            progress(f"lifecycle on {request.param}: {line.strip()}")

    runs = lifecycle.run(config, bag.dags, before=simulate.participants(config, store, seed=3, say=lambda _: None),
                         progress=stage_started)
    yield config, store, runs, bag.dags
    if request.param == "postgresql":
        store.drop_all()
    store.engine.dispose()
    env.undo()
