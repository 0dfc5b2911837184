"""The demo: a synthetic company runs one mentoring cohort end to end through Airflow.

Everything lands under one folder (``var/demo`` by default): the synthetic data, the cohort YAML,
Airflow's SQLite metadata, the program store, the outbox of ``.eml`` files and the reports.

The stages run in this process (``dag.test``); an Airflow API server (a child process on
127.0.0.1, started early, while the first stages run) serves the committee console, through
which the demo's reviewers answer the match and midpoint reviews (:mod:`.committee`). Its
users' passwords are in ``airflow-passwords.json`` (mode 0600), its log in ``logs/``. After the
lifecycle the demo keeps it running (port 8080 unless ``--port``) with a second cohort whose
application window is open, prints where to go and waits for Ctrl-C (:mod:`.serve`); with
``--no-serve`` it stops when the demo ends, as a batch job (CI, scripts).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

from mentorflow import settings
from mentorflow.demo.airflow_server import AirflowServer, free_port, simple_auth
from mentorflow.demo import serve as serving
from mentorflow.demo.collecting import fewer_collections, settled
from mentorflow.demo.committee import ADMIN, QUORUM, REVIEWERS, USERS, Committee
from mentorflow.demo.stopping import StopSwitch
from mentorflow.errors import StageFailed, StagesInterrupted

DEMO_COHORT = "demo-cohort"
PASSWORDS = "airflow-passwords.json"  # in the demo's folder: the demo's Airflow users (admin, the reviewers)
MARKER = ".mentorflow-demo"  # in the demo's folder: the next demo run may delete the folder
OLD_MARK = f"cohorts/{DEMO_COHORT}.yaml"  # what a demo folder made before the marker holds


def demo_yaml(start: dt.datetime, roster: Path, apps: Path,
              forms_base_url: str = f"http://127.0.0.1:{serving.DEFAULT_PORT}/mentorflow") -> str:
    """A compressed calendar: the whole program fits in two hours, already in the past; its links point at
    ``forms_base_url`` (the demo's API server)."""
    def at(minutes: int) -> str:
        return (start + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S")

    return f"""\
# Demo cohort with a compressed calendar (minutes instead of months).
cohort: {DEMO_COHORT}
name: Demo Company Mentoring 2026
program_type: traditional
timezone: UTC
calendar:
  application_open: {at(0)}
  application_close: {at(20)}
  kickoff: {at(30)}
  midpoint: {at(62)}
  close_out: {at(100)}
  pulse_cadence: every 15 minutes
  reminder_after_days: 0.005      # about 7 minutes
  intake_check_every_hours: 0.1   # every 6 minutes
  evaluation_days: 0.01           # the close-out evaluation stays open about 14 minutes
health:
  reminder_after_days: 0.004      # remind non-respondents about 6 minutes after each pulse
matching:
  weights: {{skills: 0.4, goals: 0.2, personality: 0.15, preferences: 0.1, availability: 0.1, diversity: 0.05}}
  # at most two mentees each keeps mentors scarce: about a quarter of the mentees get no one-to-one partner and
  # are offered a mentoring circle, written mentoring or the waitlist (alternatives below)
  rules: {{max_mentees_per_mentor: 2, min_level_gap: 1}}
self_selection:
  enabled: true                   # mentees request recommended mentors before the optimizer runs
alternatives: {{circles: true, circle_min: 3, circle_max: 6, async_mentoring: true, waitlist: true}}
eligibility:
  min_tenure_days: 30
sender:
  backend: outbox
  from_email: mentoring@demo.example.com
  from_name: Demo Mentoring Program
  ops_email: mentoring-ops@demo.example.com
  hr_email: hr@demo.example.com
committee:                        # the demo's reviewers vote through the committee console
  review_mode: hitl
  reviewers: [{", ".join(REVIEWERS)}]
  quorum: {QUORUM}
sources:
  roster_csv: {roster}
  applications_csv: {apps}
  closeout_roster_csv: {roster.parent / "roster-closeout.csv"}
forms_base_url: {forms_base_url}
"""


def _environment(home: Path) -> dict[str, str]:
    project = settings.project_dir()
    return {
        "MENTORFLOW_HOME": str(home), "MENTORFLOW_COHORTS_DIR": str(home / "cohorts"),
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(project / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(project / "plugins"), os.environ.get("PYTHONPATH")])),
    }


def clear_home(home: Path) -> None:
    """An empty demo folder with its :data:`MARKER`. A folder that holds anything but an earlier demo's files is
    refused (:class:`SystemExit`), never deleted: ``--home`` may name the wrong folder."""
    if home.exists():
        if home.is_dir() and any(home.iterdir()) and not any((home / mark).exists() for mark in (MARKER, OLD_MARK)):
            raise SystemExit(f"{home} is not empty and is not a demo folder (no {MARKER} file in it): the demo starts "
                             "by deleting its folder, so it leaves this one alone. Name a new or empty folder with "
                             "--home, or delete this one yourself")
        shutil.rmtree(home) if home.is_dir() else home.unlink()
    (home / "cohorts").mkdir(parents=True)
    (home / MARKER).write_text("Made by `mentorflow demo`: the next demo run with this folder deletes it.\n",
                               encoding="utf-8")


def prepare(home: Path, people: int, seed: int, say=print, *, port: int = serving.DEFAULT_PORT,
            live: bool = False) -> Path:
    """Fresh folder, synthetic population, cohort YAML (its links point at the API server on ``port``), the live
    cohort's when ``live`` (:mod:`.serve`) and Airflow metadata; returns the demo cohort's YAML path."""
    from mentorflow.demo.synthetic import write_population  # lazy: see main(): Airflow is configured first

    clear_home(home)
    say(f"• generating {people} synthetic employees and their applications (seed {seed}) …")
    lap = time.monotonic()
    roster, apps = write_population(home / "data", people, seed)
    lap = took(lap, say)
    start = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) - dt.timedelta(hours=3)
    cohort_file = home / "cohorts" / f"{DEMO_COHORT}.yaml"
    forms_base_url = f"http://127.0.0.1:{port}/mentorflow"
    cohort_file.write_text(demo_yaml(start.replace(tzinfo=None), roster, apps, forms_base_url), encoding="utf-8")
    say(f"• cohort file {cohort_file}")
    if live:
        opening, running = serving.write_live_cohorts(home, roster, apps, forms_base_url)
        say(f"• live cohort files {opening} (applications open now), {running} (pairs meeting now)")
    say("• creating Airflow's metadata database (what `airflow db migrate` does, in this process) …")
    from mentorflow.demo import metadata  # lazy: imports Airflow, configured by main() first

    metadata.quick_commits()  # the demo's SQLite databases, from here on
    metadata.create()
    took(lap, say)
    return cohort_file


def took(since: float, say=print) -> float:
    """Says how long a step took since ``since`` (as the stages do); returns now, the next step's start."""
    now = time.monotonic()
    say(f"        done in {now - since:.1f}s")
    return now


def airflow_server(home: Path, port: int | None = None) -> tuple[AirflowServer, dict[str, str]]:
    """The demo's Airflow API server (not started yet) and its users' passwords: the demo's Airflow home and
    metadata, the project's plugins (the committee console at /mentorflow-committee), SimpleAuthManager with an
    admin and the demo's reviewers, their generated passwords in ``home``/airflow-passwords.json (mode 0600)."""
    port = port or free_port()
    auth, passwords = simple_auth(home / PASSWORDS, USERS)
    env = {**os.environ, **_environment(home), **auth, "MENTORFLOW_AIRFLOW_URL": f"http://127.0.0.1:{port}"}
    return AirflowServer(env, home / "logs" / "airflow-api-server.log", port=port), passwords


def load_dags(dag_folder: Path) -> dict:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dag_folder))
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    return bag.dags


def main(people: int = 300, seed: int = 7, home: Path | None = None, port: int | None = None,
         serve: bool = True) -> int:
    """The demo; with ``serve``, the API server keeps running afterwards until Ctrl-C (:mod:`.serve`)."""
    home = (home or settings.home() / "demo").resolve()
    if serve:
        port = port or serving.DEFAULT_PORT
        serving.check_port(port)  # before the long run, not after it
    port = port or free_port()
    # the HR email's report link (MENTORFLOW_REPORTS_BASE_URL's default) points at the demo's API server
    os.environ.update({**_environment(home), "MENTORFLOW_AIRFLOW_URL": f"http://127.0.0.1:{port}"})
    warnings.filterwarnings("ignore")  # third-party deprecation chatter would drown the progress lines
    fewer_collections()  # this process imports a million long-lived objects and discards few (collecting)
    sys.path.insert(0, str(settings.project_dir() / "plugins"))
    started = time.monotonic()
    print(f"mentorflow demo → {home}")
    try:
        prepare(home, people, seed, port=port, live=serve)
    except KeyboardInterrupt:  # Ctrl-C while Airflow's database is made: nothing runs yet
        print("\ninterrupted: nothing was started; the demo's files so far stay in place", file=sys.stderr)
        return 130
    server, passwords = airflow_server(home, port)
    switch = StopSwitch(at_once=server.stop)
    try:
        with server.start():  # boots while the first stages run; stopped at the end, on Ctrl-C and on errors
            print(f"• Airflow API server starting at {server.url} (log {server.log_path}); the committee console is "
                  f"{server.url}/mentorflow-committee/, the users' passwords are in {home / PASSWORDS}")
            switch.arm()
            return _run(home, seed, server, passwords, started, serve, switch)
    except (KeyboardInterrupt, StagesInterrupted) as stopped:  # Ctrl-C before the demo serves (then serve() has it)
        print(f"\ninterrupted{': ' + str(stopped) if str(stopped) else ''}; the Airflow API server is stopped, the "
              "demo's files so far stay in place (run the demo again to start afresh)", file=sys.stderr)
        return 130
    finally:
        switch.disarm()
        gc.freeze()  # what is left lives until the exit: the interpreter frees it without walking it (collecting)


def _run(home: Path, seed: int, server: AirflowServer, passwords: dict[str, str], started: float,
         serve: bool, switch: StopSwitch) -> int:
    warnings.filterwarnings("ignore")  # Airflow's first import (prepare) turned its deprecation warnings back on
    # Airflow reads its configuration once, when first imported: these come after AIRFLOW_HOME is set above
    from mentorflow.cohorts.loader import find_cohort  # lazy: after the demo's Airflow settings
    from mentorflow.demo import lifecycle, simulate  # lazy: after the demo's Airflow settings
    from mentorflow.store import Store, url_for  # lazy: after the demo's Airflow settings

    lap = time.monotonic()
    config = find_cohort(DEMO_COHORT)
    store = Store(url_for(config.store))
    _, revision = store.upgrade()  # what `mentorflow db upgrade` does; the tasks never create tables
    print(f"• program store {store.shown_url} at revision {revision}")
    lap = took(lap)
    print("• parsing the DAGs …")
    dags = load_dags(settings.project_dir() / "dags")
    took(lap)
    committee = Committee(server, passwords, config.cohort)
    print(f"• running the stages through Airflow (dag.test); the committee's reviewers {', '.join(REVIEWERS)} "
          f"answer the match and midpoint reviews through the console (quorum {QUORUM})")

    try:
        lifecycle.run(config, dags, before=switch.armed(settled(simulate.participants(config, store, seed))),
                      committee=committee, stop=switch.requested)
    except StageFailed as exc:
        print(f"\nDEMO FAILED: {exc}\nAirflow task logs: {home / 'airflow' / 'logs'}; "
              f"API server log: {server.log_path}", file=sys.stderr)
        return 1
    _summary(config, store, home, time.monotonic() - started)
    for decision in committee.decisions:
        print(f"  committee        {decision.round} round: {decision.said()} (votes through the console)")
    print(f"  Airflow users    {home / PASSWORDS} (admin; reviewers {', '.join(REVIEWERS)}); the API server "
          f"{'keeps running' if serve else 'stops with the demo'} (log {server.log_path})")
    if not serve:
        return 0
    return _serve(home, seed, server, passwords, config, store, dags, switch)


def _serve(home: Path, seed: int, server: AirflowServer, passwords: dict[str, str], config, store, dags: dict,
           switch: StopSwitch) -> int:
    """The live cohort's window opens (its open stage through Airflow), then the "open these" list, until Ctrl-C."""
    from mentorflow.cohorts.loader import find_cohort  # lazy: after the demo's Airflow settings
    from mentorflow.demo import lifecycle, simulate  # lazy: after the demo's Airflow settings

    live, running = find_cohort(serving.LIVE_COHORT), find_cohort(serving.RUNNING_COHORT)
    now = dt.datetime.now(dt.timezone.utc)
    try:
        print(f"\n• opening the live cohort {live.cohort}'s application window (its open stage, dag.test) …")
        lifecycle.run(live, dags, through="open", before=switch.armed(), stop=switch.requested)
        print(f"• the running cohort {running.cohort}: its stages so far, up to today's pulse check-in …")
        lifecycle.run(running, dags, through="pulse", until=now, stop=switch.requested,
                      before=switch.armed(simulate.participants(running, store, seed)))
    except StageFailed as exc:
        print(f"\nDEMO FAILED: {exc}\nAirflow task logs: {home / 'airflow' / 'logs'}", file=sys.stderr)
        return 1
    server.wait_ready()
    listed = serving.stage_dags(server, passwords[ADMIN])
    print(f"• Airflow lists {len(listed)} mentorflow DAGs (GET /api/v2/dags)")
    report = settings.reports_dir(config.cohort) / "hr-report.html"
    groups = serving.participant_links(config, live, running, store, dt.datetime.now(dt.timezone.utc))
    if switch.requested.is_set():
        raise StagesInterrupted("stopped before serving")
    switch.disarm()  # serving: the first Ctrl-C stops the server (serve.serve)
    serving.open_these(server, home, home / PASSWORDS, config.cohort, report if report.exists() else None, groups)
    return serving.serve(server)


def _summary(config, store, home: Path, seconds: float) -> None:
    from mentorflow.demo import choosing  # lazy: after the demo's Airflow settings
    from mentorflow.store import email_ledger, matches, quarantine  # lazy: after the demo's Airflow settings

    outbox = settings.outbox_dir(config.cohort)
    emails = sorted(outbox.rglob("*.eml"))
    by_template: dict[str, int] = {}
    for path in emails:
        by_template[path.relative_to(outbox).parts[0]] = by_template.get(path.relative_to(outbox).parts[0], 0) + 1
    print(f"\nDone in {seconds:.0f}s. Results:")
    print(f"  program store    {store.url}")
    print(f"  outbox           {outbox}  ({len(emails)} .eml files: "
          + ", ".join(f"{k} {v}" for k, v in sorted(by_template.items())) + ")")
    print(f"  email ledger     {store.count(email_ledger, cohort_id=config.cohort, status='sent')} sends recorded")
    print(f"  pairs            {store.count(matches, cohort_id=config.cohort, status='completed')} completed, "
          f"{store.count(matches, cohort_id=config.cohort, status='ended')} ended at midpoint")
    print(f"  quarantine       {store.count(quarantine, cohort_id=config.cohort)} rows with reasons")
    chosen = choosing.answered(store, config.cohort)
    if chosen:
        print("  choices          " + ", ".join(f"{k} {v}" for k, v in sorted(chosen.items())))
    for report in sorted(settings.reports_dir(config.cohort).glob("*")):
        print(f"  report           {report}")
    print(f"  Airflow          AIRFLOW_HOME={home / 'airflow'} (SQLite metadata, task logs)")
