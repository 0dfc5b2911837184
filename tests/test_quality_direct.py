"""A what-if's gates decide exactly as the stages' gates: every expectation the roster, intake and
applications gates run is checked both ways, with Great Expectations and with pandas directly
(quality/direct.py), on inputs broken in every way the gate tests break them, and the results must be
the same (success, failing rows, rows counted)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import run_of
from mentorflow.quality import direct, expectations, gate
from mentorflow.quality.expectations import Spec
from mentorflow.quality.reader import ROW
from mentorflow.stages import intake, validate
from mentorflow.stages import open as open_stage
from quality_fixtures import (
    APPLICATION_SOFT,
    INTAKE_SOFT,
    ROSTER_SOFT,
    good_applications,
    good_roster,
)
from test_quality_gates import OPENED


def _same(a: expectations.Result, b: expectations.Result) -> tuple:
    return (a.spec.check, a.spec.expectation, a.success, sorted(set(a.unexpected_rows)), a.element_count,
            a.error is None) == (b.spec.check, b.spec.expectation, b.success, sorted(set(b.unexpected_rows)),
                                 b.element_count, b.error is None)


@pytest.fixture
def compared(monkeypatch):
    """The gate's validate, run both ways; the test fails at the first expectation they disagree on."""
    seen: list[str] = []
    by_gx = expectations.validate

    def both(name, frame, specs):
        with_gx = by_gx(name, frame, specs)
        with expectations.direct_checks():
            without = by_gx(name, frame, specs)
        for a, b in zip(with_gx, without, strict=True):
            assert _same(a, b), (name, a, b)
            seen.append(a.spec.expectation)
        return with_gx

    monkeypatch.setattr(gate, "validate", both)
    return seen


def test_roster_intake_and_applications_gates_decide_the_same_without_great_expectations(make_cohort, compared):
    roster = good_roster()
    apps = good_applications(roster)
    for case in ROSTER_SOFT:
        case.corrupt(roster)
    for case in [*APPLICATION_SOFT, *INTAKE_SOFT]:
        case.corrupt(apps)
    config, store = make_cohort(roster, apps)
    open_stage.import_roster(run_of(config, store, OPENED))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    # every kind of expectation these gates use was compared, failing rows included
    assert {"ExpectColumnValuesToBeInSet", "ExpectColumnValuesToBeUnique", "ExpectColumnValuesToMatchRegex",
            "ExpectColumnValuesToBeBetween", "ExpectColumnValuesToBeNull", "ExpectTableColumnsToMatchSet",
            "ExpectTableRowCountToBeBetween"} <= set(compared)


def test_nulls_numbers_and_a_missing_column_are_decided_as_great_expectations_decides():
    frame = pd.DataFrame({ROW: range(6), "n": [1.0, np.nan, 7.0, 0.5, 3.0, 8.0],
                          "s": ["a", None, "b", "a", "c", None], "flag": [True, None, False, True, True, True]})
    specs = [Spec("x.between", "ExpectColumnValuesToBeBetween", {"column": "n", "min_value": 1, "max_value": 7},
                  str),
             Spec("x.low", "ExpectColumnValuesToBeBetween", {"column": "n", "min_value": 1}, str),
             Spec("x.unique", "ExpectColumnValuesToBeUnique", {"column": "s"}, str),
             Spec("x.set", "ExpectColumnValuesToBeInSet", {"column": "flag", "value_set": [True]}, str),
             Spec("x.regex", "ExpectColumnValuesToMatchRegex", {"column": "s", "regex": "^[ab]$"}, str),
             Spec("x.notnull", "ExpectColumnValuesToNotBeNull", {"column": "s"}, str),
             Spec("x.null", "ExpectColumnValuesToBeNull", {"column": "s"}, str),
             Spec("x.text_range", "ExpectColumnValuesToBeBetween", {"column": "s", "min_value": 1}, str)]
    missing = Spec("x.missing", "ExpectColumnValuesToBeInSet", {"column": "nope", "value_set": [1]}, str)
    by_gx = expectations.validate("t", frame, specs)
    with expectations.direct_checks():
        mine = expectations.validate("t", frame, specs)
    assert [r.unexpected_rows for r in mine[:3]] == [[3, 5], [3], [0, 3]]  # nulls are left out, as GX leaves them
    for a, b in zip(by_gx, mine, strict=True):
        assert _same(a, b), (a, b)
    # what pandas cannot decide like GX (text in a range check, a missing column) goes to GX
    assert direct._failing(specs[7], frame) is None and direct._failing(missing, frame) is None
