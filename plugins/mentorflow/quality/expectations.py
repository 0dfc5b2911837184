"""Run a list of expectations over a DataFrame with Great Expectations and say which rows failed.

Great Expectations is imported here, inside the call, never at module import: it takes seconds
to import and DAG parsing must stay light. One ephemeral context (in memory, analytics off, no progress
bars) with a pandas data source serves every run of a process; each run adds a data asset, validates an
``ExpectationSuite`` with its own ``Validator`` and removes the asset. Rows are identified by the frame's
``_row`` column (the frame's index while GX runs), and each expectation returns its unexpected rows as one
list of those numbers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from mentorflow.quality import gx_import
from mentorflow.quality.reader import ROW


@dataclass(frozen=True)
class Spec:
    """One GX expectation (class name and arguments) on behalf of a catalogue check.

    ``reason`` turns one failing row (its values, computed columns included) into plain words;
    for table-level expectations it receives GX's result instead.
    """

    check: str
    expectation: str
    kwargs: dict[str, Any]
    reason: Callable[[dict[str, Any]], str]
    table_level: bool = False
    needs_rows: bool = True  # False: only the frame's columns matter (header checks)

    @property
    def columns(self) -> list[str]:
        return [str(self.kwargs[k]) for k in ("column", "column_A", "column_B") if k in self.kwargs]

    @property
    def target(self) -> str:
        return " / ".join(self.columns) or "table"


@dataclass
class Result:
    spec: Spec
    success: bool
    element_count: int
    unexpected_rows: list[int] = field(default_factory=list)
    observed: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


_DIRECT: ContextVar[bool] = ContextVar("mentorflow_direct_checks", default=False)


@contextmanager
def direct_checks() -> Iterator[None]:
    """Within this block, expectations are computed with pandas where that decides exactly as Great
    Expectations would (:mod:`mentorflow.quality.direct`), so a what-if need not import it."""
    token = _DIRECT.set(True)
    try:
        yield
    finally:
        _DIRECT.reset(token)


_CONTEXT: tuple | None = None
_LOCK = threading.Lock()


def _context():
    """Great Expectations and one ephemeral context for the process: setting a context up is paid once per task
    process (like the import), not once per gate; each run adds its own data asset and removes it after."""
    global _CONTEXT
    if _CONTEXT is None:
        gx = gx_import.import_great_expectations()
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(), analytics_enabled=False,
                                   progress_bars=ProgressBarsConfig(globally=False))
        context = gx.get_context(mode="ephemeral", project_config=config)
        _CONTEXT = gx, context, context.data_sources.add_pandas("mentorflow")
    return _CONTEXT


def validate(name: str, frame: pd.DataFrame, specs: list[Spec]) -> list[Result]:
    """Validate ``frame`` against ``specs``; one :class:`Result` per spec, in order.

    GX copies the batch it validates, so each run sees only what its expectations read: header
    checks an empty frame with every column, row checks only the columns they name (a wide export
    with long free-text answers stays out of it).
    """
    header_specs = [s for s in specs if not s.needs_rows]
    row_specs = [s for s in specs if s.needs_rows]
    narrow = frame[list(dict.fromkeys([ROW, *(c for s in row_specs for c in s.columns)]))]
    found = {}
    for part, part_specs, data in (("header", header_specs, frame.iloc[:0]), ("rows", row_specs, narrow)):
        if part_specs and _DIRECT.get():
            found.update(zip(map(id, part_specs), _run_direct(f"{name}.{part}", data, part_specs)))
        elif part_specs:
            found.update(zip(map(id, part_specs), _run(f"{name}.{part}", data, part_specs)))
    return [found[id(s)] for s in specs]


def _run_direct(name: str, frame: pd.DataFrame, specs: list[Spec]) -> list[Result]:
    """Each spec decided with pandas (:mod:`mentorflow.quality.direct`), those it cannot decide with GX."""
    from mentorflow.quality import direct  # lazy: only a what-if checks this way

    decided = [direct.decided(spec, frame) for spec in specs]
    hard = [spec for spec, d in zip(specs, decided) if d is None]
    by_gx = iter(_run(name, frame, hard) if hard else [])
    return [Result(spec, **d) if d is not None else next(by_gx) for spec, d in zip(specs, decided)]


# Every expectation's unexpected rows, by the frame's ``_row`` (its index while GX runs), as one list of row
# numbers: GX leaves out the failing values and their counts, which the gate reads from the frame instead
# (building them per row and serializing them took longer than the checks themselves).
RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": [ROW],
                 "exclude_unexpected_values": True, "return_unexpected_index_query": False}


def _unexpected_rows(info: dict[str, Any]) -> list[int]:
    found = info.get("unexpected_index_list") or []
    if found and isinstance(found[0].get(ROW), list):  # exclude_unexpected_values: [{"_row": [3, 8, ...]}]
        return [int(r) for part in found for r in part[ROW]]
    return [int(r[ROW]) for r in found]


def _run(name: str, frame: pd.DataFrame, specs: list[Spec]) -> list[Result]:
    with _LOCK:
        gx, _, source = _context()
        from great_expectations.validator.v1_validator import Validator  # lazy: GX is imported where a gate runs

        asset_name = f"{name}-{uuid.uuid4().hex[:8]}"
        asset = source.add_dataframe_asset(asset_name)
        try:
            suite = gx.ExpectationSuite(name=f"mentorflow.{name}", expectations=[
                getattr(gx.expectations, spec.expectation)(**spec.kwargs, meta={"spec": index, "check": spec.check})
                for index, spec in enumerate(specs)])
            indexed = frame.set_index(ROW, drop=False) if ROW in frame else frame
            # a validator of its own: Batch.validate would load the frame twice, a ValidationDefinition would
            # also serialize every result into the context's store
            run = Validator(batch_definition=asset.add_batch_definition_whole_dataframe("whole"),
                            batch_parameters={"dataframe": indexed},
                            result_format=RESULT_FORMAT).validate_expectation_suite(suite)
        finally:
            source.delete_asset(asset_name)
    results: list[Result | None] = [None] * len(specs)
    for item in run.results:
        index = int(item.expectation_config.meta["spec"])
        info = item.result or {}
        error = None
        if item.exception_info and item.exception_info.get("raised_exception"):
            error = str(item.exception_info.get("exception_message"))
        results[index] = Result(
            spec=specs[index], success=bool(item.success) and error is None,
            element_count=int(info.get("element_count", len(frame))),
            unexpected_rows=_unexpected_rows(info),
            observed={k: info[k] for k in ("observed_value", "details") if k in info}, error=error,
        )
    return [r for r in results if r is not None]
