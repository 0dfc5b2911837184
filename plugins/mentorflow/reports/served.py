"""The report files HR may open by link: the HR report's files that the program store records for a cohort.

Only what the store records is served, and only when the recorded file lies in the cohort's reports folder
(``settings.reports_dir``): a name is looked up among those files, never joined to a path, so no request can
reach another file. The links in HR's email are built here too, from the reports base URL (docs/settings.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from mentorflow import settings
from mentorflow.store import Store, reports

# what each kind of file is served as; a file type not listed is not served
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf", ".csv": "text/csv; charset=utf-8",
               ".yaml": "text/plain; charset=utf-8"}
READ_IN_BROWSER = {".html", ".pdf"}  # the others are downloads


def for_hr(kind: str) -> bool:
    """A report kind HR reads: the close-out report (HTML, PDF, its CSV exports) and the suggested weights."""
    return kind == "hr-report" or kind.startswith("hr-report-") or kind == "suggested-weights"


@dataclass(frozen=True)
class ReportFile:
    name: str
    kind: str
    path: Path
    written: dt.datetime

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.path.suffix]

    @property
    def inline(self) -> bool:
        return self.path.suffix in READ_IN_BROWSER


def hr_files(store: Store, cohort: str) -> list[ReportFile]:
    """The cohort's HR report files that exist in its reports folder, the main report first (newest record of
    each file)."""
    folder = settings.reports_dir(cohort).resolve()
    found: dict[str, ReportFile] = {}
    for row in sorted(store.rows(reports, cohort_id=cohort), key=lambda r: (r["created_at"], r["id"])):
        path = Path(row["path"]).resolve()
        if not for_hr(row["kind"]) or path.parent != folder or path.suffix not in MEDIA_TYPES or not path.is_file():
            continue
        found[path.name] = ReportFile(path.name, row["kind"], path, row["created_at"])
    order = {"hr-report": 0, "hr-report-pdf": 1}
    return sorted(found.values(), key=lambda f: (order.get(f.kind, 2), f.name))


def hr_file(store: Store, cohort: str, name: str) -> ReportFile | None:
    """The HR report file called ``name`` of the cohort, or None (not recorded, not HR's, or gone)."""
    return next((f for f in hr_files(store, cohort) if f.name == name), None)


def link(cohort: str, name: str) -> str:
    """Where HR opens a report file (behind Airflow's login)."""
    return f"{settings.current().reports_url}/{quote(cohort, safe='')}/{quote(name, safe='')}"
