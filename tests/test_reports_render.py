"""Reports render through their own template environment: escaped, never through the email one."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

from mentorflow.reports import render

REPORTS = Path(render.__file__).parent


def test_reports_never_import_messaging():
    for module in REPORTS.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                a.name for a in node.names] if isinstance(node, ast.Import) else []
            assert not any(n.startswith("mentorflow.messaging") for n in names), module.name


def test_report_templates_come_from_the_reports_folder_and_are_escaped():
    env = render.environment()
    assert "base.html" in env.list_templates() and not any(t.startswith("email/") for t in env.list_templates())
    html = env.from_string("{{ x }}").render(x="<script>")
    assert html == "&lt;script&gt;"


def test_write_report_renders_escaped_and_records_the_file(tmp_path, monkeypatch):
    templates = tmp_path / "project" / "include" / "templates" / "reports"
    templates.mkdir(parents=True)
    (templates / "base.html").write_text("<h1>{{ cohort.name }}</h1>{% block body %}{% endblock %}", encoding="utf-8")
    (templates / "one.html").write_text('{% extends "base.html" %}{% block body %}{{ note }}{% endblock %}',
                                        encoding="utf-8")
    monkeypatch.setenv("MENTORFLOW_PROJECT_DIR", str(tmp_path / "project"))
    monkeypatch.setenv("MENTORFLOW_HOME", str(tmp_path / "home"))
    recorded = []
    store = SimpleNamespace(record_report=lambda cohort, kind, path: recorded.append((cohort, kind, path)))
    config = SimpleNamespace(cohort="c1", name="Spring & summer")

    path = render.write_report(config, "sub/one.html", "one.html", {"note": "<b>hi</b>"}, store, "one")

    assert path == tmp_path / "home" / "reports" / "c1" / "sub" / "one.html"
    assert path.read_text(encoding="utf-8") == "<h1>Spring &amp; summer</h1>&lt;b&gt;hi&lt;/b&gt;"
    assert recorded == [("c1", "one", str(path))]


def test_histogram_bins_and_bar_heights():
    bins = render.histogram([0.0, 0.05, 0.55, 1.0, 1.5], bins=2, low=0.0, high=1.0)
    assert [(b["label"], b["count"], b["height"]) for b in bins] == [("0.0", 2, 67), ("0.5", 3, 100)]
    assert render.histogram([], bins=2, low=0.0, high=1.0)[0]["height"] == 0
    assert render.bar_width(1, 4) == 25 and render.bar_width(3, 0) == 0
