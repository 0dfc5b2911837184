"""HR's reports by link (mentorflow.hr, mounted at /mentorflow-reports): behind Airflow's login, for the cohort's
``hr.viewers`` and admins only, serving only the files the program store records as the cohort's HR reports.

The fast tests call the app in this process with real tokens made and checked by Airflow's own code (the simple
auth manager, as the committee console's tests do); the ``airflow`` test runs a real ``airflow api-server`` with the
plugin, logs in through ``POST /auth/token`` and follows the link HR's email carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from committee_fixtures import airflow_api_server, login
from conftest import ready_store, write_cohort
from fastapi.testclient import TestClient
from mentorflow import settings
from mentorflow.cohorts.loader import load_cohort
from mentorflow.store import Store

COHORT = "hr-cohort"
HTML = b"<!DOCTYPE html><html><body><h1>Close-out report</h1><p>HR-REPORT-MARKER 42 pairs</p></body></html>"
PDF = b"%PDF-1.4\n% HR-REPORT-MARKER\n%%EOF\n"


@dataclass
class ReportWorld:
    cohorts_dir: Path
    store: Store
    folder: Path


@pytest.fixture
def world(cohorts_dir, tmp_path) -> ReportWorld:
    """A cohort whose HR is the Airflow user hr-anna, its close-out report files written and recorded as the report
    writer records them; next to them a committee report (recorded, not HR's), a file nobody recorded, and a record
    that points outside the reports folder."""
    config = load_cohort(write_cohort(cohorts_dir, COHORT, hr={"viewers": ["hr-anna"]}))
    store = ready_store(config)
    store.register_cohort(config)
    folder = settings.reports_dir(COHORT)
    folder.mkdir(parents=True)
    for name, body, kind in (("hr-report.html", HTML, "hr-report"), ("hr-report.pdf", PDF, "hr-report-pdf"),
                             ("hr-report-funnel.csv", b"stage,people\ninvited,60\n", "hr-report-funnel-csv"),
                             ("matches-initial.html", b"<p>COMMITTEE-ONLY pairs by name</p>", "matches-initial")):
        (folder / name).write_bytes(body)
        store.record_report(COHORT, kind, str(folder / name))
    (folder / "unrecorded.html").write_bytes(b"<p>UNRECORDED</p>")
    outside = tmp_path / "outside.csv"
    outside.write_bytes(b"OUTSIDE-THE-FOLDER\n")
    store.record_report(COHORT, "hr-report-outside-csv", str(outside))
    return ReportWorld(cohorts_dir, store, folder)


@pytest.fixture
def reports(world, airflow_auth):
    """``client(user, role)``: a TestClient of a fresh reports app with ``user``'s Airflow token in the UI's cookie
    (no user: anonymous)."""
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from mentorflow.hr.app import create_app

    app = create_app()

    def client(user: str | None = None, role: str = "user") -> TestClient:
        c = TestClient(app)
        if user:
            c.cookies.set("_token", airflow_auth.generate_jwt(SimpleAuthManagerUser(username=user, role=role)))
        return c

    return client


def test_hr_opens_the_report_with_the_consoles_headers(reports):
    hr = reports("hr-anna")
    page = hr.get(f"/{COHORT}/hr-report.html")
    assert page.status_code == 200, page.text[:300]
    assert page.content == HTML and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store" and page.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in page.headers["content-security-policy"] and "script-src" not in page.headers[
        "content-security-policy"]
    assert page.headers["content-disposition"].startswith("inline")
    pdf = hr.get(f"/{COHORT}/hr-report.pdf")
    assert (pdf.status_code, pdf.content, pdf.headers["content-type"]) == (200, PDF, "application/pdf")
    csv = hr.get(f"/{COHORT}/hr-report-funnel.csv")
    assert csv.status_code == 200 and csv.headers["content-disposition"].startswith("attachment")


def test_hr_sees_the_cohorts_report_files_listed_and_linked(reports):
    index = reports("hr-anna").get("/")
    assert index.status_code == 200 and index.headers["cache-control"] == "no-store"
    for name in ("hr-report.html", "hr-report.pdf", "hr-report-funnel.csv"):
        assert f'href="/{COHORT}/{name}"' in index.text
    assert "matches-initial" not in index.text and "unrecorded" not in index.text and "outside" not in index.text
    assert "Signed in to Airflow as <strong>hr-anna</strong>" in index.text
    assert f'href="/{COHORT}/hr-report.html"' in reports("hr-anna").get(f"/{COHORT}/").text


def test_an_admin_may_read_every_cohorts_reports(reports):
    boss = reports("boss", role="admin")
    assert boss.get(f"/{COHORT}/hr-report.html").content == HTML
    assert boss.get("/no-such-cohort/hr-report.html").status_code == 404


def test_a_user_who_is_not_hr_gets_403_and_learns_nothing(reports):
    outsider = reports("outsider")
    for path in (f"/{COHORT}/hr-report.html", f"/{COHORT}/", f"/{COHORT}/no-such-file.html", "/no-such-cohort/x.html"):
        page = outsider.get(path)
        assert page.status_code == 403, path
        assert "HR-REPORT-MARKER" not in page.text and "Test Cohort" not in page.text
        assert "hr.viewers" in page.text
    index = outsider.get("/")
    assert index.status_code == 200 and "hr-report" not in index.text and "There are no cohorts" in index.text


def test_anonymous_goes_to_airflows_login_and_a_script_gets_401(reports):
    anonymous = reports()
    page = anonymous.get(f"/{COHORT}/hr-report.html", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/api/v2/auth/login?next=") and "hr-report.html" in page.headers[
        "location"]
    assert "HR-REPORT-MARKER" not in page.text
    api = anonymous.get(f"/{COHORT}/hr-report.html", headers={"accept": "application/json"})
    assert api.status_code == 401 and api.json()["error"] == "not authenticated"
    forged = reports()
    forged.cookies.set("_token", "not-a-jwt")
    assert forged.get(f"/{COHORT}/hr-report.html", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", [
    "matches-initial.html",      # recorded, but the committee's report, not HR's
    "unrecorded.html",           # in the folder, never recorded
    "outside.csv",               # recorded, but outside the cohort's reports folder
    "..%2F..%2Fstore.db",        # a path, not a name
    "..%2Foutside.csv",
    "%2Fetc%2Fpasswd",
    "hr-report.html%00.pdf",
])
def test_only_the_cohorts_recorded_hr_files_are_served(reports, path):
    page = reports("hr-anna").get(f"/{COHORT}/{path}")
    assert page.status_code == 404, (path, page.status_code)
    assert not any(marker in page.text for marker in ("COMMITTEE-ONLY", "UNRECORDED", "OUTSIDE-THE-FOLDER"))


def test_the_report_ready_email_links_to_the_served_report(world, reports, monkeypatch):
    from mentorflow.stages import closeout

    files = {"html": world.folder / "hr-report.html", "pdf": world.folder / "hr-report.pdf"}
    config = load_cohort(world.cohorts_dir / f"{COHORT}.yaml")
    monkeypatch.setenv("MENTORFLOW_REPORTS_BASE_URL", "https://people.example.com/mentorflow-reports")
    email = closeout.report_notice(config, files)
    for text in (email.text, email.html):
        assert f"https://people.example.com/mentorflow-reports/{COHORT}/hr-report.html" in text
        assert f"https://people.example.com/mentorflow-reports/{COHORT}/hr-report.pdf" in text
    assert str(world.folder) not in email.text + email.html  # never a path on the server
    # with the default (Airflow's URL), each link's path is one the reports app serves to HR
    monkeypatch.delenv("MENTORFLOW_REPORTS_BASE_URL")
    email = closeout.report_notice(config, files)
    (line,) = [line for line in email.text.splitlines() if line.strip().startswith("Report:")]
    url = urlsplit(line.split()[-1])
    assert f"{url.scheme}://{url.netloc}" == "http://127.0.0.1:8080" and url.path.startswith("/mentorflow-reports/")
    assert reports("hr-anna").get(url.path.removeprefix("/mentorflow-reports")).content == HTML


@pytest.mark.airflow
@pytest.mark.slow
def test_inside_a_real_airflow_api_server_the_link_works_for_hr_only(world, airflow_db, tmp_path, monkeypatch):
    from mentorflow.stages import closeout

    workdir = tmp_path / "api-server"
    workdir.mkdir()
    with airflow_api_server(workdir, world.cohorts_dir, users={"hr-anna": "user", "outsider": "user"}) as (
            url, passwords):
        monkeypatch.setenv("MENTORFLOW_AIRFLOW_URL", url)  # as the stack sets it for the workers
        config = load_cohort(world.cohorts_dir / f"{COHORT}.yaml")
        email = closeout.report_notice(config, {"html": world.folder / "hr-report.html",
                                                "pdf": world.folder / "hr-report.pdf"})
        (link,) = [line.split()[-1] for line in email.text.splitlines() if line.strip().startswith("Report:")]
        assert link == f"{url}/mentorflow-reports/{COHORT}/hr-report.html"
        with httpx.Client(cookies={"_token": login(url, "hr-anna", passwords["hr-anna"])}) as hr:
            page = hr.get(link)
            assert page.status_code == 200 and page.content == HTML
            assert hr.get(f"{url}/mentorflow-reports/{COHORT}/matches-initial.html").status_code == 404
        with httpx.Client(cookies={"_token": login(url, "outsider", passwords["outsider"])}) as outsider:
            assert outsider.get(link).status_code == 403
        anonymous = httpx.get(link)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/api/v2/auth/login?next=")


def test_a_reports_base_url_that_is_no_web_address_is_refused_naming_the_setting(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("MENTORFLOW_REPORTS_BASE_URL", "/var/reports")
    with pytest.raises(ValidationError) as refused:
        settings.current()
    assert "reports_base_url" in str(refused.value) and "'/var/reports' is not a web address" in str(refused.value)
