"""After its lifecycle the demo keeps serving: a live, local program a newcomer can click through.

The demo's Airflow API server stays up on 127.0.0.1 (port 8080 unless ``--port``): Airflow's UI with the stage DAGs
and their runs, the participant forms at ``/mentorflow`` and the committee console at ``/mentorflow-committee``.
A second, small cohort (:data:`LIVE_COHORT`) has its application window open now (its calendar starts today), so
its application links work. A third (:data:`RUNNING_COHORT`) started two weeks ago: its pairs are active and its
second pulse check-in opened today, so its pulse and partnership links work; its stages up to now run through Airflow
like the demo's (:func:`mentorflow.demo.lifecycle.run` with ``until``). The finished demo cohort's partnership pages
and close-out evaluations get fresh links that stay open :data:`LINK_DAYS` days (``mentorflow forms link --until``,
the same code). :func:`open_these` prints
where to go; :func:`serve` waits for Ctrl-C (or SIGTERM) and stops the server. ``--no-serve`` skips all of it.
"""

from __future__ import annotations

import csv
import datetime as dt
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import httpx

from mentorflow.demo.airflow_server import AirflowServer, ServerFailed, login

LIVE_COHORT = "demo-live"
RUNNING_COHORT = "demo-running"
DEFAULT_PORT = 8080
LINK_DAYS = 7       # the finished cohort's fresh links stay open a week
LIVE_PEOPLE = 20    # the live cohort's roster: the first people of the demo's roster
RUNNING_PEOPLE = 40  # the running cohort's roster: the demo's next people
SHOWN = 2           # participant links printed per form
# the finished cohort's forms that still have something to show (its pairs are completed: no pulse check-in is due)
OLD_FORMS = {"partnership": "partnership page", "closeout": "close-out evaluation"}
# the running cohort's forms open now, for its paired people
RUNNING_FORMS = {"pulse": "pulse check-in", "partnership": "partnership page"}


def check_port(port: int) -> None:
    """Nothing listens on 127.0.0.1:``port``, else a :class:`SystemExit` naming the port and the flags."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free to listen on
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SystemExit(f"port {port} on 127.0.0.1 is taken ({exc.strerror}): the demo serves Airflow and the "
                             "forms there. Choose another with --port N, or run the demo without serving: "
                             "--no-serve") from None


def stage_dags(server: AirflowServer, admin_password: str) -> list[str]:
    """The mentorflow DAGs Airflow's UI lists (``GET /api/v2/dags`` as the admin); the token is never shown."""
    token = login(server.url, "admin", admin_password)
    answer = httpx.get(f"{server.url}/api/v2/dags", params={"dag_id_pattern": "mentorflow__", "limit": 100},
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
    if answer.status_code != 200:
        raise ServerFailed(f"Airflow at {server.url} did not list its DAGs: HTTP {answer.status_code}")
    return sorted(d["dag_id"] for d in answer.json()["dags"])


def _yaml(cohort: str, name: str, calendar: str, sources: str, forms_base_url: str, comment: str) -> str:
    return f"""\
# {comment}
cohort: {cohort}
name: {name}
program_type: traditional
timezone: UTC
calendar: {{{calendar}}}
eligibility: {{min_tenure_days: 30}}
sender: {{backend: outbox, from_email: mentoring@demo.example.com, from_name: Demo Mentoring Program,
         ops_email: mentoring-ops@demo.example.com, hr_email: hr@demo.example.com}}
committee: {{review_mode: auto}}
sources: {{{sources}}}
forms_base_url: {forms_base_url}
"""


def _days(opened: dt.datetime, **moments: int) -> str:
    return ", ".join(f"{key}: {(opened + dt.timedelta(days=days)):%Y-%m-%dT%H:%M:%S}" for key, days in moments.items())


def live_yaml(opened: dt.datetime, roster: Path, forms_base_url: str) -> str:
    """A small cohort whose application window opened ``opened`` (today) and stays open two weeks."""
    return _yaml(LIVE_COHORT, "Demo Company Mentoring (open for applications)",
                 _days(opened, application_open=0, application_close=14, kickoff=28, midpoint=119, close_out=210),
                 f"roster_csv: {roster}", forms_base_url,
                 "The demo's live cohort: its application window is open now, so its application links work.")


def running_yaml(today: dt.datetime, roster: Path, apps: Path, forms_base_url: str) -> str:
    """A small cohort that kicked off two weeks before ``today`` with weekly pulses: the second opens today."""
    calendar = _days(today, application_open=-35, application_close=-21, kickoff=-14, midpoint=60, close_out=120)
    return _yaml(RUNNING_COHORT, "Demo Company Mentoring (in progress)",
                 calendar + ", pulse_cadence: weekly, intake_check_every_hours: 168",
                 f"roster_csv: {roster}, applications_csv: {apps}", forms_base_url,
                 "The demo's running cohort: its pairs meet now, so its pulse and partnership links work.")


def _part(source: Path, name: str, first: int, count: int, keep=None) -> Path:
    """Rows ``first`` to ``first + count`` of a CSV (or those whose first field is in ``keep``), header kept. A
    roster's reporting lines stay inside the part: whoever reports to someone left out reports to nobody in it
    (an empty ``manager_id``), or the roster gate would hold them for an unknown manager."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    key = fields[0]
    chosen = rows[first: first + count] if keep is None else [r for r in rows if r[key] in keep]
    if "manager_id" in fields:
        inside = {r[key] for r in chosen}
        chosen = [{**r, "manager_id": r["manager_id"] if r["manager_id"] in inside else ""} for r in chosen]
    path = source.with_name(name)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(chosen)
    return path


def write_live_cohorts(home: Path, roster: Path, apps: Path, forms_base_url: str) -> list[Path]:
    """The live and the running cohort's rosters (slices of the demo's ``roster``), the running cohort's
    applications (those of its people in ``apps``) and both YAML files; returns the YAML paths."""
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    live_roster = _part(roster, "roster-live.csv", 0, LIVE_PEOPLE)
    running_roster = _part(roster, "roster-running.csv", LIVE_PEOPLE, RUNNING_PEOPLE)
    running_people = {line.split(",", 1)[0] for line in running_roster.read_text(encoding="utf-8").splitlines()[1:]}
    running_apps = _part(apps, "applications-running.csv", 0, 0, keep=running_people)
    written = []
    for cohort, text in ((LIVE_COHORT, live_yaml(today, live_roster, forms_base_url)),
                         (RUNNING_COHORT, running_yaml(today, running_roster, running_apps, forms_base_url))):
        path = home / "cohorts" / f"{cohort}.yaml"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def participant_links(main, live, running, store, now: dt.datetime) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(who, link), ...]) for the live cohort's application form, the running cohort's pulse check-in
    and partnership pages and the finished cohort's pages, made by ``mentorflow forms link``'s code; a form that
    has nothing for anyone is left out."""
    from mentorflow.cohorts import calendar  # lazy: after the demo's Airflow settings
    from mentorflow.forms import links  # lazy: after the demo's Airflow settings
    from mentorflow.stages.common import form_link  # lazy: after the demo's Airflow settings
    from mentorflow.store import matches, people  # lazy: after the demo's Airflow settings

    def made(config, form: str, candidates: list[dict], until: dt.datetime | None) -> list[tuple[str, str]]:
        found = []
        for person in candidates:
            try:
                grant = links.grant(config, store, person["employee_id"], form, now=now, until=until)
            except links.LinkRefused:
                continue
            found.append((f"{person['employee_id']} {person['full_name']}",
                          form_link(config, grant.person_id, grant.form, grant.period, grant.until)))
            if len(found) == SHOWN:
                break
        return found

    def paired(config, status: str | None = None) -> list[dict]:
        """The cohort's mentees with a pair (of ``status``), by id."""
        found = store.rows(matches, cohort_id=config.cohort, **({"status": status} if status else {}))
        everyone = {p["employee_id"]: p for p in store.rows(people, cohort_id=config.cohort)}
        return [everyone[p] for p in sorted({m["mentee_id"] for m in found}) if p in everyone]

    applicants = sorted(store.rows(people, cohort_id=live.cohort, eligible=True), key=lambda p: p["employee_id"])
    groups = [(f"apply to {live.name} [{live.cohort}], window open", made(live, "application", applicants, None))]
    meeting = paired(running, "active")
    for form, words in RUNNING_FORMS.items():
        closes = calendar.form_deadline(running, form, links.period_for(running, form, now))
        groups.append((f"{words} in {running.cohort}, open until {calendar.describe(closes, running)}",
                       made(running, form, meeting, None)))
    finished, until = paired(main), now + dt.timedelta(days=LINK_DAYS)
    for form, words in OLD_FORMS.items():
        groups.append((f"{words} in {main.cohort}, open {LINK_DAYS} days", made(main, form, finished, until)))
    return [(heading, found) for heading, found in groups if found]


def open_these(server: AirflowServer, home: Path, passwords_file: Path, cohort: str, report: Path | None,
               groups: list[tuple[str, list[tuple[str, str]]]], say=print) -> None:
    """The "open these" list: where the newcomer clicks next (no password: the file that holds it)."""
    say("\nOpen these (served on 127.0.0.1 until Ctrl-C):")
    say(f"  Airflow UI         {server.url}/  user admin, password in {passwords_file} (readable only by you)")
    say(f"  stage DAGs         {server.url}/dags  (each DAG's runs, the Assets graph, the committee step)")
    say(f"  committee console  {server.url}/mentorflow-committee/  (reviewers ann, ben, cai; same password file)")
    say(f"  HR reports         {server.url}/mentorflow-reports/{cohort}/  (as admin"
        + (f"; the file: {report})" if report is not None else ")"))
    for heading, found in groups:
        say(f"  {heading}:")
        for who, link in found:
            say(f"    {who:<24} {link}")
    say(f"  see answers arrive mentorflow --home {home} cohort status {LIVE_COHORT}  (or {RUNNING_COHORT})")
    say("                     (applications count; each form's answer is in the program store "
        f"{home / 'store.db'})")
    say("Press Ctrl-C to stop the server.", flush=True)


def serve(server: AirflowServer, say: Callable[..., None] = print) -> int:
    """Wait until Ctrl-C or SIGTERM, then stop the server: 0; 1 (naming its log) if the server dies first."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(1):
            if not server.running:
                say(f"the Airflow API server stopped by itself; see its log {server.log_path}", flush=True)
                return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    say("\nstopping the Airflow API server …", flush=True)
    server.stop()
    say("stopped. The demo's files stay in place.", flush=True)
    return 0
