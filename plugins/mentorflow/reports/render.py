"""Rendering and writing report files, apart from the email templates.

Reports have readers (HR, ops, the committee) and a lifecycle of their own, so they get
their own autoescaping environment over ``include/templates/reports/``: changing an email
never changes a report. Every file written is recorded in the program store.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from mentorflow import settings
from mentorflow.contract.disclosure import MIN_CELL  # noqa: F401  re-exported: the reports' threshold
from mentorflow.privacy import write_private_text
from mentorflow.store import Store


@lru_cache(maxsize=4)
def _environment(folder: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def environment() -> jinja2.Environment:
    """The Jinja environment of the report templates (follows ``MENTORFLOW_PROJECT_DIR``)."""
    return _environment(str(settings.templates_dir() / "reports"))


def render_report(config, template: str, context: dict[str, Any]) -> str:
    """HTML of ``include/templates/reports/<template>`` for one cohort, stamped with the time."""
    return environment().get_template(template).render(
        cohort=config, generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), **context)


def write_report(config, name: str, template: str, context: dict[str, Any], store: Store, kind: str) -> Path:
    """Render ``template`` to ``<reports dir>/<cohort>/<name>`` and record it in the store as ``kind``."""
    out = settings.reports_dir(config.cohort) / name
    write_private_text(out, render_report(config, template, context))
    store.record_report(config.cohort, kind, str(out))
    return out


# -- charts (inline, drawn by the templates from these numbers) -------------------------------


def bar_width(part: float, whole: float) -> int:
    """``part`` as a whole percentage of ``whole`` (0 when there is no whole): a bar's length."""
    return round(100 * part / whole) if whole else 0


def histogram(values: list[float], *, bins: int, low: float, high: float) -> list[dict[str, Any]]:
    """Equal-width bins over ``[low, high]`` (values outside go to the end bins), each with its
    label, count and bar height relative to the fullest bin."""
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - low) / (high - low) * bins)))] += 1
    top = max(counts)
    width = (high - low) / bins
    return [{"label": f"{low + i * width:.1f}", "count": c, "height": bar_width(c, top)} for i, c in enumerate(counts)]


# OWASP CSV injection: a cell starting with one of these is run as a formula by spreadsheets
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet shows as text: a text starting like a formula gets a leading apostrophe
    (numbers, and texts that are plain signed numbers, stay as they are)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def write_csv(path: Path, rows: list[dict[str, Any]], fieldnames: list[str]) -> Path:
    """A CSV export for people to open in a spreadsheet: formula-looking cells neutralised, owner-only file."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=fieldnames or ["empty"])
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    return write_private_text(path, buffer.getvalue())
