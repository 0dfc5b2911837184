"""Reading cohort files: one YAML file per cohort, validated into a :class:`CohortConfig`.

Errors name the file, the field and what is wrong, so an ops engineer can fix a broken
cohort without reading a traceback. One broken file never stops the others from loading
(see :func:`load_cohorts`): whatever goes wrong while reading one file is that file's error.

Before anything is built from the YAML, its shape is checked on the parser's event stream
(which neither nests nor expands aliases): at most ``MAX_FILE_BYTES``, ``MAX_DEPTH`` levels of
nesting and ``MAX_VALUES`` values once aliases are expanded.
"""

from __future__ import annotations

import bisect
from pathlib import Path

import yaml
from pydantic import ValidationError

from mentorflow import settings
from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.errors import CohortConfigError

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 20
MAX_VALUES = 20_000
MAX_PROBLEMS = 20  # listed per file; the rest are counted


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, except that a date YAML cannot build (2027-02-30) stays text, so the model
    reports it under its field name."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


class _Shape:
    """Where each node of the document is (its setting path) and how big the document would be."""

    def __init__(self) -> None:
        self.marks: list[tuple[int, int]] = []
        self.paths: list[str] = []

    def path_at(self, mark) -> tuple[str, bool]:
        """The setting at ``mark`` (exact: a node starts there) or the last one before it."""
        found = bisect.bisect_right(self.marks, (mark.line, mark.column)) - 1
        if found < 0:
            return "", False
        return self.paths[found], self.marks[found] == (mark.line, mark.column)

    def problem(self, text: str) -> str | None:
        """The first way the document is too deep or too big, or None; raises yaml.YAMLError on bad syntax."""
        frames: list[dict] = []     # open collections: path, kind, next index or whether a key comes next
        anchors: dict[str, tuple[int, int]] = {}   # anchor -> (values, levels of nesting) of its node
        total = 0
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionEndEvent):
                frame = frames.pop()
                if frame["anchor"]:
                    anchors[frame["anchor"]] = (total - frame["start"], frame["height"])
                if frames:
                    frames[-1]["height"] = max(frames[-1]["height"], frame["height"] + 1)
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            path = self._path_of(frames, event)
            self.marks.append((event.start_mark.line, event.start_mark.column))
            self.paths.append(path)
            where = f"{_short(path)}: " if path else ""
            line = f"(line {event.start_mark.line + 1})"
            size, height = (anchors.get(event.anchor, (1, 0)) if isinstance(event, yaml.AliasEvent)
                            else (1, 1 if isinstance(event, yaml.CollectionStartEvent) else 0))
            if len(frames) + height > MAX_DEPTH:
                return f"{where}nested more than {MAX_DEPTH} levels deep {line}"
            total += size
            if total > MAX_VALUES:
                return f"{where}the file holds more than {MAX_VALUES} values once its aliases are expanded {line}"
            if isinstance(event, yaml.CollectionStartEvent):
                kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
                frames.append({"path": path, "kind": kind, "key": None, "key_next": True, "index": 0,
                               "anchor": event.anchor, "start": total - 1, "height": 1})
            elif isinstance(event, yaml.ScalarEvent) and event.anchor:
                anchors[event.anchor] = (1, 0)
            elif frames:
                frames[-1]["height"] = max(frames[-1]["height"], height + 1)
        return None

    @staticmethod
    def _path_of(frames: list[dict], event: yaml.NodeEvent) -> str:
        if not frames:
            return ""
        parent = frames[-1]
        if parent["kind"] == "seq":
            parent["index"] += 1
            return f"{parent['path']}[{parent['index'] - 1}]"
        if parent["key_next"]:
            parent["key_next"] = False
            parent["key"] = event.value if isinstance(event, yaml.ScalarEvent) else "?"
            return ".".join(p for p in (parent["path"], parent["key"]) if p)
        parent["key_next"] = True
        return ".".join(p for p in (parent["path"], parent["key"]) if p)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _value(value: object) -> str:
    return _short(repr(value) if isinstance(value, str) else str(value), 60)


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but missing"
        elif item["type"] == "extra_forbidden":
            message = "is not a known setting (check the spelling)"
        elif item["type"] != "value_error" and isinstance(item.get("input"), (str, int, float)):
            message += f" (got {_value(item['input'])})"  # our own value errors name the value already
        problems.append(f"{where}: {message}")
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"… and {len(problems) - MAX_PROBLEMS} more problems"]
    return problems


def _too_large(size: int) -> str:
    return f"the file is {size // 1024} KiB; a cohort file may be at most {MAX_FILE_BYTES // 1024} KiB"


def _yaml_problem(exc: yaml.YAMLError, shape: _Shape) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return f"not valid YAML ({exc})"
    path, exact = shape.path_at(mark)
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    if path:
        where = f"{_short(path)} ({where})" if exact else f"{where} (after {_short(path)})"
    return f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"


def parse_cohort(text: str, path: Path | str = "<string>") -> CohortConfig:
    """Parse YAML text into a validated cohort, raising :class:`CohortConfigError`."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_FILE_BYTES:
        raise CohortConfigError(path, [_too_large(size)])
    shape = _Shape()
    try:
        too_big = shape.problem(text)
        if too_big:
            raise CohortConfigError(path, [too_big])
        data = yaml.load(text, Loader=_Loader)  # a safe loader (see _Loader)
    except yaml.YAMLError as exc:
        raise CohortConfigError(path, [_yaml_problem(exc, shape)]) from None
    if not isinstance(data, dict):
        raise CohortConfigError(path, ["the file must be a mapping of settings (key: value)"])
    try:
        config = CohortConfig.model_validate(data)
    except ValidationError as exc:
        raise CohortConfigError(path, _describe(exc)) from None
    problems = calendar.run_count_problems(config) + calendar.order_problems(config)
    if problems:
        raise CohortConfigError(path, problems)
    return config.model_copy(update={"source_path": Path(path)})


def load_cohort(path: Path | str) -> CohortConfig:
    """One cohort file; whatever is wrong with it is raised as its :class:`CohortConfigError`."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:  # not even read
            raise CohortConfigError(path, [_too_large(path.stat().st_size)])
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CohortConfigError(path, [f"cannot be read ({exc})"]) from None
    try:
        config = parse_cohort(text, path)
    except CohortConfigError:
        raise
    except Exception as exc:  # anything unforeseen in one file stays that file's problem
        raise CohortConfigError(path, [f"cannot be loaded ({type(exc).__name__}: {_short(str(exc), 200)})"]) from exc
    if config.cohort != path.stem:
        raise CohortConfigError(path, [f"cohort: {config.cohort!r} must equal the file name {path.stem!r}"])
    return config


def cohort_files(directory: Path | None = None) -> list[Path]:
    directory = directory or settings.cohorts_dir()
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in {".yaml", ".yml"})


def load_cohorts(directory: Path | None = None) -> tuple[list[CohortConfig], list[CohortConfigError]]:
    """Every cohort in a folder, in file-name order; broken files are returned, not raised."""
    good: list[CohortConfig] = []
    bad: list[CohortConfigError] = []
    for path in cohort_files(directory):
        try:
            config = load_cohort(path)
        except CohortConfigError as exc:
            bad.append(exc)
            continue
        first = next((c for c in good if c.cohort == config.cohort), None)
        if first is not None:  # spring.yaml and spring.yml: the first keeps the cohort
            problem = f"cohort: {config.cohort!r} is already defined by {first.source_path}"
            bad.append(CohortConfigError(path, [problem]))
        else:
            good.append(config)
    return good, bad


def find_cohort(cohort_id: str, directory: Path | None = None) -> CohortConfig:
    directory = directory or settings.cohorts_dir()
    for suffix in (".yaml", ".yml"):
        candidate = directory / f"{cohort_id}{suffix}"
        if candidate.exists():
            return load_cohort(candidate)
    raise CohortConfigError(directory / f"{cohort_id}.yaml", ["no such cohort file"])
