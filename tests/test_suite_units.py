"""How the suite is split over two xdist workers (tests/conftest.py): which tests form one unit of work, and the
order units are handed out in. Pure functions on node ids and markers; nothing is started."""

from __future__ import annotations

import re
from types import SimpleNamespace

from conftest import ROOT, SHARED_SESSION_UNITS, pytest_collection_modifyitems, unit_of


class _Item:
    def __init__(self, nodeid: str, *markers: str):
        self.nodeid, self.markers = nodeid, set(markers)

    def get_closest_marker(self, name: str):
        return name if name in self.markers else None


def test_a_file_is_one_unit_the_stack_is_one_and_files_sharing_the_lifecycle_cohort_are_one():
    assert unit_of("tests/test_forms.py::test_a[x::y]") == unit_of("tests/test_forms.py::Class::test_b") == \
        "tests/test_forms.py"
    assert unit_of("tests/test_forms.py::test_a") != unit_of("tests/test_forms_link.py::test_a")
    assert unit_of("tests/integration/test_stack_lifecycle.py::test_a") == unit_of(
        "tests/integration/test_other_stack.py::test_b") == "integration"
    assert {unit_of(f"tests/{name}::test_x") for name in SHARED_SESSION_UNITS["completed-cohort"]} == \
        {"completed-cohort"}


def test_every_file_using_the_session_lifecycle_cohort_shares_its_unit():
    """A file left out would make the second worker build the 90-person lifecycle again, on both backends."""
    users = {path.name for path in (ROOT / "tests").glob("test_*.py")
             if re.search(r"\bcompleted_cohort\b", path.read_text(encoding="utf-8"))}
    assert users and users == set(SHARED_SESSION_UNITS["completed-cohort"])


def _order(config) -> list[str]:
    items = [_Item("tests/test_a.py::quick"), _Item("tests/test_b.py::quick"), _Item("tests/test_b.py::slow", "slow"),
             _Item("tests/test_c.py::dag", "airflow"), _Item("tests/integration/test_s.py::live", "integration"),
             _Item("tests/test_d.py::quick")]
    pytest_collection_modifyitems(config, items)
    return [item.nodeid for item in items]


def test_on_workers_the_stack_goes_out_first_then_units_with_a_slow_test_then_quick_ones():
    assert _order(SimpleNamespace(workerinput={"workerid": "gw0"})) == [
        "tests/integration/test_s.py::live", "tests/test_b.py::quick", "tests/test_b.py::slow", "tests/test_c.py::dag",
        "tests/test_a.py::quick", "tests/test_d.py::quick"]


def test_in_one_process_quick_tests_come_first_and_the_stack_last():
    assert _order(SimpleNamespace()) == [
        "tests/test_a.py::quick", "tests/test_b.py::quick", "tests/test_d.py::quick", "tests/test_b.py::slow",
        "tests/test_c.py::dag", "tests/integration/test_s.py::live"]
