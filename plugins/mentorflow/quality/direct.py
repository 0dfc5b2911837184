"""The gate's expectations checked with pandas directly, for a what-if run (``mentorflow match``).

Importing Great Expectations costs 4–8 s of CPU, more than a what-if of a few hundred people takes
end to end, and its metric graph costs seconds more per gate at company size. The expectations the
gates use are simple column conditions, so for a what-if they are computed here with the same pandas
operations Great Expectations' pandas engine runs (``isin``, ``duplicated(keep=False)``,
``str.contains``, comparisons), nulls left out as it leaves them out. Whatever this module is not
sure to decide the same way (a column missing, a non-numeric column in a range check, an expectation
it does not know) goes to Great Expectations after all, so the result is the same either way;
``tests/test_quality_direct.py`` runs both on the same batches and compares every result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mentorflow.quality.reader import ROW

KNOWN = {"ExpectColumnValuesToBeInSet", "ExpectColumnValuesToBeBetween", "ExpectColumnValuesToBeUnique",
         "ExpectColumnValuesToMatchRegex", "ExpectColumnValuesToNotBeNull", "ExpectColumnValuesToBeNull",
         "ExpectTableColumnsToMatchSet", "ExpectTableRowCountToBeBetween"}


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)


def _failing(spec, frame: pd.DataFrame) -> np.ndarray | None:
    """Boolean mask of the rows ``spec`` fails, or None when only Great Expectations can say."""
    kw = spec.kwargs
    name = spec.expectation
    if name not in KNOWN or set(kw) - {"column", "value_set", "min_value", "max_value", "regex", "column_set",
                                       "exact_match"}:
        return None
    if "column" in kw and kw["column"] not in frame.columns:
        return None
    if name == "ExpectColumnValuesToNotBeNull":
        return frame[kw["column"]].isna().to_numpy()
    if name == "ExpectColumnValuesToBeNull":
        return frame[kw["column"]].notna().to_numpy()
    if "column" not in kw:
        return None
    column = frame[kw["column"]]
    present = column.notna().to_numpy()
    values = column[present]
    if name == "ExpectColumnValuesToBeInSet":
        if kw.get("value_set") is None:
            return None
        ok = values.isin(kw["value_set"]).to_numpy()
    elif name == "ExpectColumnValuesToBeUnique":
        ok = (~values.duplicated(keep=False)).to_numpy()
    elif name == "ExpectColumnValuesToMatchRegex":
        ok = values.astype(str).str.contains(kw["regex"]).to_numpy(dtype=bool)
    elif name == "ExpectColumnValuesToBeBetween":
        low, high = kw.get("min_value"), kw.get("max_value")
        if not _numeric(column) or (low is None and high is None) or any(
                v is not None and (isinstance(v, (str, bool)) or not isinstance(v, (int, float))) for v in (low, high)):
            return None
        ok = np.ones(len(values), dtype=bool)
        if low is not None:
            ok &= (values >= low).to_numpy()
        if high is not None:
            ok &= (values <= high).to_numpy()
    else:
        return None
    failing = np.zeros(len(frame), dtype=bool)
    failing[np.flatnonzero(present)[~ok]] = True
    return failing


def _table(spec, frame: pd.DataFrame) -> dict[str, Any] | None:
    kw = spec.kwargs
    if spec.expectation == "ExpectTableColumnsToMatchSet" and not kw.get("exact_match", True):
        missing = [c for c in kw["column_set"] if c not in frame.columns]
        return {"success": not missing, "element_count": len(frame), "observed": {"observed_value": list(frame.columns)}}
    if spec.expectation == "ExpectTableRowCountToBeBetween" and set(kw) <= {"min_value", "max_value"}:
        low, high = kw.get("min_value"), kw.get("max_value")
        ok = (low is None or len(frame) >= low) and (high is None or len(frame) <= high)
        return {"success": ok, "element_count": len(frame), "observed": {"observed_value": len(frame)}}
    return None


def decided(spec, frame: pd.DataFrame) -> dict[str, Any] | None:
    """What Great Expectations would say of ``spec`` (a :class:`~mentorflow.quality.expectations.Spec`) on
    ``frame``, as the fields of its ``Result``; None when only Great Expectations can say."""
    if spec.table_level:
        return _table(spec, frame)
    failing = _failing(spec, frame)
    if failing is None:
        return None
    return {"success": not failing.any(), "element_count": len(frame),
            "unexpected_rows": [int(r) for r in frame[ROW].to_numpy()[failing]]}
