"""The HR report's "Partnership activity" section (docs/workspace.md, Reports and privacy): its counts from the
partnership pages' tables, small cells suppressed so they cannot be worked out of the totals, the same figures
in HTML, PDF and CSV; and nothing partners wrote (notes, agreements, goals, steps) anywhere HR or ops look."""

from __future__ import annotations

import csv
import datetime as dt
import logging

import pytest
from conftest import ready_store, run_of, run_to_kickoff, write_cohort
from workspace_rows import agree, every_secret, feedback, goal, log, step

from mentorflow import settings
from mentorflow.contract.disclosure import MIN_CELL
from mentorflow.contract.workspace import RAN
from mentorflow.quality import stage_gates
from mentorflow.reports import activity
from mentorflow.reports.disclosure import SUPPRESSED, Problem, publish, unprotected
from mentorflow.workspace.spaces import all_spaces


def sources(**overrides) -> activity.Sources:
    base = {"members": {"pair-1": {"A", "B"}, "pair-2": {"C", "D"}, "group-7": {"L", "M", "N"}},
            "agreements": [], "log": [], "goals": [], "milestones": [], "feedback": []}
    return activity.Sources(**{**base, **overrides})


def agreed(space: str, person: str, confirmed: bool = True) -> dict:
    return {"space_id": space, "employee_id": person, "confirmed_at": dt.datetime(2026, 2, 1) if confirmed else None}


def entry(space: str, person: str, day: str, mode: str) -> dict:
    return {"space_id": space, "author_id": person, "held_on": dt.date.fromisoformat(day), "mode": mode}


# -- the counts, from hand-made rows --------------------------------------------------------------------------


def test_a_space_is_agreed_only_when_every_member_confirmed():
    rows = [agreed("pair-1", "A"), agreed("pair-1", "B"), agreed("pair-2", "C"), agreed("pair-2", "D", False),
            *[agreed("group-7", p) for p in ("L", "M", "N")], agreed("pair-9", "X")]  # pair-9 is no live space
    fig = activity.tally(sources(agreements=rows))
    assert (fig["spaces"], fig["agreed"]) == (3, 2)


def test_exchanges_per_month_by_mode_count_a_shared_entry_once():
    log_rows = [entry("pair-1", "A", "2026-02-03", "meeting"), entry("pair-1", "B", "2026-02-03", "meeting"),
                entry("pair-1", "B", "2026-02-03", "written"), entry("pair-2", "C", "2026-02-20", "call"),
                entry("group-7", "L", "2026-03-01", "written"), entry("pair-1", "A", "2026-03-02", "written"),
                entry("pair-9", "X", "2026-03-02", "call")]  # no live space: not counted
    fig = activity.tally(sources(log=log_rows))
    assert fig["meetings"] == [{"month": "2026-02", "meeting": 1, "call": 1, "written": 1},
                               {"month": "2026-03", "meeting": 0, "call": 0, "written": 2}]


def test_milestones_reached_and_the_most_used_resources_with_titles():
    stones = [{"milestone_id": i, "goal_id": 1, "reached_at": dt.datetime(2026, 2, 1) if i < 2 else None}
              for i in range(5)]
    done = [{"space_id": "s", "employee_id": f"P{i}", "resource_id": "book-1", "done": True} for i in range(7)]
    done += [{"space_id": "s", "employee_id": f"P{i}", "resource_id": "talk-2", "done": True} for i in range(MIN_CELL)]
    done += [{"space_id": "s", "employee_id": f"P{i}", "resource_id": "pod-3", "done": True} for i in range(MIN_CELL - 1)]
    done += [{"space_id": "s", "employee_id": "Q", "resource_id": "book-1", "done": False}]  # only rated: not used
    fig = activity.tally(sources(goals=[{"goal_id": 1}], milestones=stones, feedback=done), {"book-1": "A Book"})
    assert (fig["goals"], fig["milestones"], fig["reached"]) == (1, 5, 2)
    assert fig["resource_users"] == 7
    assert fig["resources"] == [{"resource_id": "book-1", "title": "A Book", "members": 7},
                                {"resource_id": "talk-2", "title": "talk-2", "members": MIN_CELL}]  # pod-3: too few


def test_titles_come_from_the_library_file_when_there_is_one(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "include_dir", lambda: tmp_path)
    assert activity.library_titles() == {}  # no file yet: ids are shown
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "library.yaml").write_text(
        "resources:\n  - {id: book-1, title: The Book, type: book}\n  - {id: talk-2, title: A Talk}\n")
    assert activity.library_titles() == {"book-1": "The Book", "talk-2": "A Talk"}
    (tmp_path / "resources" / "library.yaml").write_text("- {id: c, title: C}\n")
    assert activity.library_titles() == {"c": "C"}


# -- suppression -----------------------------------------------------------------------------------------------


def test_small_cells_are_suppressed_and_cannot_be_worked_out_of_the_totals():
    fig = {"spaces": 30, "agreed": 27, "goals": 30, "milestones": 60, "reached": 3, "resource_users": 40,
           "meetings": [{"month": "2026-02", "meeting": 20, "call": 9, "written": 3},
                        {"month": "2026-03", "meeting": 18, "call": 11, "written": 12}],
           "resources": [{"resource_id": "b", "title": "B", "members": 12}, {"resource_id": "c", "title": "C",
                                                                              "members": 6}]}
    p = Problem()
    p.cell("pairs_total", 32)
    activity.cells(p, fig)
    pub = publish(p)
    assert unprotected(p, set(pub.suppressed)) == []  # the report's own audit
    v = activity.view(pub, fig)
    feb, mar, total = v["meetings"]
    assert feb["written"] == SUPPRESSED and v["reached"] == SUPPRESSED and v["reached_share"] == SUPPRESSED
    # 3 written in February: its month and its column add up to published totals, so one more cell of each is
    # hidden too (else 3 = total - the others)
    assert SUPPRESSED in (feb["meeting"], feb["call"], feb["all"])
    assert SUPPRESSED in (mar["written"], total["written"])
    assert (v["spaces"], v["agreed"], v["agreed_share"]) == ("30", "27", "90%")
    assert [r["members"] for r in v["resources"]] == ["12", "6"]
    assert v["milestones"] == SUPPRESSED or v["goals"] == "30"


def test_an_agreed_count_close_to_all_spaces_is_hidden_with_its_complement():
    fig = {"spaces": 30, "agreed": 28, "goals": 0, "milestones": 0, "reached": 0, "resource_users": 0,
           "meetings": [], "resources": []}
    p = Problem()
    activity.cells(p, fig)
    p.cell("activity.not_agreed", 2, parent="activity.spaces")  # what a reader works out: 30 - 28
    p.total("activity.spaces", ["activity.agreed", "activity.not_agreed"])
    pub = publish(p)
    assert not pub.published("activity.not_agreed") and not (pub.published("activity.agreed")
                                                               and pub.published("activity.spaces"))


# -- the report files, and no private text anywhere ------------------------------------------------------------


@pytest.fixture
def kicked_off_with_pages(cohorts_dir):
    """A cohort run to kickoff whose pairs used their pages: most agreed, logs over three months, goals with
    milestones, resources marked done, every member's texts distinctive."""
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.demo.synthetic import write_population

    write_population(cohorts_dir / "data", 90, seed=5)
    config = load_cohort(write_cohort(cohorts_dir, committee={"review_mode": "auto"}))
    store = ready_store(config)
    run_to_kickoff(config, store)
    c = config.cohort
    spaces = all_spaces(c, store, RAN)
    assert len(spaces) >= 15, "too few pairs for the report's counts"
    for i, s in enumerate(spaces):
        ids = [m.employee_id for m in s.members]
        for j, person in enumerate(ids):
            agree(store, c, s.space_id, person, confirmed=not (i % 10 == 0 and j == 1))
            log(store, c, s.space_id, person, dt.date(2026, 2, 10), "call")  # both log the same call: once
            step(store, c, s.space_id, person)
            feedback(store, c, s.space_id, person, "res-a")
            if i < 7:
                feedback(store, c, s.space_id, person, "res-b", rating=2)
        log(store, c, s.space_id, ids[0], dt.date(2026, 1, 20), "meeting")
        if i < 3:
            log(store, c, s.space_id, ids[-1], dt.date(2026, 3, 2), "written")
        goal(store, c, s.space_id, s.mentee_ids[0], milestones_set=2, reached=1)
    feedback(store, c, spaces[0].space_id, spaces[0].members[0].employee_id, "res-c")
    return config, store, spaces


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    return " ".join("\n".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_the_hr_report_has_the_section_in_html_pdf_and_csv_and_no_private_text(kicked_off_with_pages, caplog):
    from mentorflow.reports import hr
    from mentorflow.reports.hr_figures import figures, publishable
    from mentorflow.stages import pulse
    from mentorflow.store import evaluations

    config, store, spaces = kicked_off_with_pages
    caplog.set_level(logging.DEBUG, logger="mentorflow")
    n = len(spaces)
    evals = store.frame(evaluations, cohort_id=config.cohort)
    raw = figures(config, store, evals)
    fig = raw["activity"]
    assert (fig["spaces"], fig["agreed"]) == (n, n - len(range(0, n, 10)))
    assert fig["meetings"] == [{"month": "2026-01", "meeting": n, "call": 0, "written": 0},
                               {"month": "2026-02", "meeting": 0, "call": n, "written": 0},
                               {"month": "2026-03", "meeting": 0, "call": 0, "written": 3}]
    assert (fig["goals"], fig["milestones"], fig["reached"]) == (n, 2 * n, n)
    def people(chosen) -> int:  # a mentor of two pairs is one person
        return len({m.employee_id for s in chosen for m in s.members})

    assert [(r["resource_id"], r["members"]) for r in fig["resources"]] == [("res-a", people(spaces)),
                                                                            ("res-b", people(spaces[:7]))]
    assert fig["resource_users"] == people(spaces)

    files = hr.write(config, store, evals)
    view = publishable({**raw, "learning_pairs": 0})["activity"]
    assert view["meetings"][2]["written"] == SUPPRESSED  # three written exchanges in March
    html = files["html"].read_text(encoding="utf-8")
    assert '<section id="activity">' in html and "Partnership activity" in html
    assert f"<td>With an agreement every member confirmed</td><td>{view['agreed']}</td><td>{view['agreed_share']}</td>" in html
    for r in view["meetings"]:
        assert f"<tr><td>{r['month']}</td><td>{r['meeting']}</td><td>{r['call']}</td><td>{r['written']}</td>" \
               f"<td>{r['all']}</td></tr>" in html
    for r in view["resources"]:
        assert f"<tr><td>{r['resource']}</td><td>{r['members']}</td></tr>" in html
    tables = activity.table_rows(view)
    for name in ("activity", "activity-meetings", "activity-resources"):
        with files[name].open(encoding="utf-8") as handle:
            assert [dict(r) for r in csv.DictReader(handle)] == [{k: str(x) for k, x in r.items()} for r in tables[name]]
    text = _pdf_text(files["pdf"])
    assert "Partnership activity" in text and "Meetings and exchanges per month" in text  # the HTML printed
    for r in tables["activity-meetings"]:
        assert " ".join(str(x) for x in r.values()) in text
    squeezed = text.replace(" ", "").lower()  # a long label runs into the next cell in the extracted text
    for r in tables["activity"]:
        assert "".join(str(x) for x in r.values()).replace(" ", "").lower() in squeezed

    # what ops runs on the way: the gate, a pulse assessment (its report and alert), the HR report again
    stage_gates.check_workspace(config, store)
    pulse.assess_health(run_of(config, store, config.at(config.calendar.midpoint)), "pulse-1")
    hr.write(config, store, evals)
    secrets = every_secret(spaces)
    home = settings.home()
    outputs = [p for p in home.rglob("*") if p.is_file() and p.suffix in {".html", ".csv", ".txt", ".json", ".yaml",
                                                                            ".eml", ".log"}]
    assert any(p.parent.name == "dq" and p.name.startswith("workspace-") for p in outputs)  # the gate's report
    assert any(p.name == "hr-report-activity.csv" for p in outputs)
    seen = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in outputs)
    seen += "\n".join(_pdf_text(p) for p in home.rglob("*.pdf")) + caplog.text
    for secret in secrets:
        assert secret not in seen, secret
