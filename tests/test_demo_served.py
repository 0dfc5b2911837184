"""``mentorflow demo`` as a newcomer meets it: after the lifecycle it keeps serving on 127.0.0.1 until Ctrl-C.

The served demo runs small (60 people) in a child process. The test waits (bounded) for its "open these" list, logs
in to Airflow's UI in headless Chromium and sees the stage DAGs listed, opens a printed application link of the live
cohort and a pulse check-in link of the running cohort, fills and submits both and sees them saved (the page says so,
the program store holds the answers), then sends SIGINT and sees the demo exit 0 and its port free again.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys

import pytest
import sqlalchemy as sa
from browser_fixtures import SHOTS, chromium, finish_application, needs_chromium
from child_output import lines_of, read_until
from conftest import ROOT

from mentorflow.cohorts.calendar import STAGES
from mentorflow.demo.airflow_server import free_port

LIVE = "demo-live"
RUNNING = "demo-running"
READY_WITHIN = 1500  # seconds: the whole lifecycle runs first (about a minute on a laptop)


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "plugins"), os.environ.get("PYTHONPATH")]))}


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def apply(page, link: str) -> None:
    """Fill the application form as a mentee and submit it."""
    page.goto(link)
    page.check("input[name=role][value=mentee]")
    page.fill("#motivation", "I want to learn from a colleague")
    finish_application(page)


def check_in(page, link: str) -> None:
    """Answer a pulse check-in about one partnership."""
    page.goto(link)
    page.fill("#meetings", "2")
    for name, value in (("satisfaction", "5"), ("goal_progress", "4"), ("follow_through", "4")):
        page.check(f"input[name={name}][value='{value}']")
    page.click("button[type=submit]")


def test_a_taken_port_stops_the_demo_at_once_naming_the_port_and_the_flags(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "mentorflow.cli.main", "demo", "--home", str(tmp_path / "demo"),
                              "--people", "60", "--port", str(port)], env=child_env(), capture_output=True,
                             text=True, timeout=300)
    assert run.returncode != 0
    assert f"port {port} on 127.0.0.1 is taken" in run.stderr and "--port N" in run.stderr and "--no-serve" in run.stderr
    assert not (tmp_path / "demo").exists()  # stopped before the long run, nothing written


@pytest.mark.slow
@pytest.mark.airflow
@needs_chromium
def test_the_served_demo_shows_its_dags_takes_an_application_and_stops_on_ctrl_c(tmp_path, progress):
    home, port = tmp_path / "demo", free_port()
    progress(f"demo: `mentorflow demo --people 60 --port {port}` in a child process …")
    process = subprocess.Popen([sys.executable, "-m", "mentorflow.cli.main", "demo", "--home", str(home),
                                "--people", "60", "--port", str(port)], env=child_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        said = read_until(lines_of(process), "Press Ctrl-C", READY_WITHIN)
        url = f"http://127.0.0.1:{port}"
        listed = int(re.search(r"• Airflow lists (\d+) mentorflow DAGs \(GET /api/v2/dags\)", said).group(1))
        assert listed >= 2 * len(STAGES)  # every stage DAG of both cohorts (and their triage DAGs)
        assert f"Airflow UI         {url}/  user admin, password in {home / 'airflow-passwords.json'}" in said
        passwords = (home / "airflow-passwords.json").read_text()
        assert not any(p in said for p in re.findall(r'"\w+": "([^"]+)"', passwords))
        applying = re.findall(rf"(E\d+) .*?({re.escape(url)}/mentorflow/forms/application\?token=\S+)", said)
        assert len(applying) >= 1, said[-4000:]
        assert re.search(rf"{re.escape(url)}/mentorflow/forms/partnership\?token=\S+", said), said[-4000:]
        person, link = applying[0]
        assert re.search(rf"pulse check-in in {RUNNING}, open until ", said), said[-4000:]
        pulsing = re.findall(rf"(E\d+) .*?({re.escape(url)}/mentorflow/forms/pulse\?token=\S+)", said)
        assert pulsing, said[-4000:]
        partner, pulse_link = pulsing[0]

        with chromium() as browser:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{url}/dags")
            page.wait_for_selector("input[name=username]", timeout=120_000)
            page.fill("input[name=username]", "admin")
            admin = re.search(r'"admin": "([^"]+)"', passwords).group(1)
            page.fill("input[name=password]", admin)
            page.click("button[type=submit]")
            page.wait_for_url("**/dags**", timeout=120_000)
            for stage in ("open", "match", "closeout"):
                page.get_by_text(f"mentorflow__demo-cohort__{stage}", exact=True).first.wait_for(timeout=120_000)
            page.screenshot(path=str(SHOTS / "demo-served-airflow-dags.png"), full_page=True)
            assert f"{url}/mentorflow-reports/demo-cohort/" in said
            page.goto(f"{url}/mentorflow-reports/demo-cohort/")  # the printed HR link, as the logged-in admin
            assert page.locator("a[href$='hr-report.html']").count() >= 1

            form = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            apply(form, link)
            assert "your answers are saved" in form.locator(".success").inner_text()
            form.screenshot(path=str(SHOTS / "demo-served-application-saved-390.png"), full_page=True)
            check_in(form, pulse_link)
            assert "your answers are saved" in form.locator(".success").inner_text()
            form.screenshot(path=str(SHOTS / "demo-served-pulse-saved-390.png"), full_page=True)

        store = sa.create_engine(f"sqlite:///{home / 'store.db'}")
        with store.connect() as conn:
            row = conn.execute(sa.text("select role, goals from applications where cohort_id = :c and "
                                       "employee_id = :p"), {"c": LIVE, "p": person}).one()
            checked_in = conn.execute(sa.text("select period, meetings, satisfaction from pulse_responses where "
                                              "cohort_id = :c and respondent_id = :p order by period desc"),
                                      {"c": RUNNING, "p": partner}).first()
        store.dispose()
        assert (row.role, row.goals) == ("mentee", "Lead a team")
        assert tuple(checked_in) == ("pulse-2", 2, 5)  # today's check-in (pulse-1's answers the demo wrote itself)

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 0
        assert port_is_free(port)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
