"""Reading cohort files: one YAML file per cohort, validated into a :class:`CohortConfig`.

Errors name the file, the field and what is wrong, so an ops engineer can fix a broken
cohort without reading a traceback. One broken file never stops the others from loading
(see :func:`load_cohorts`).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from mentorflow import settings
from mentorflow.cohorts.config import CohortConfig
from mentorflow.errors import CohortConfigError


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but missing"
        elif item["type"] == "extra_forbidden":
            message = "is not a known setting (check the spelling)"
        problems.append(f"{where}: {message}")
    return problems


def parse_cohort(text: str, path: Path | str = "<string>") -> CohortConfig:
    """Parse YAML text into a validated cohort, raising :class:`CohortConfigError`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise CohortConfigError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(data, dict):
        raise CohortConfigError(path, ["the file must be a mapping of settings (key: value)"])
    try:
        config = CohortConfig.model_validate(data)
    except ValidationError as exc:
        raise CohortConfigError(path, _describe(exc)) from None
    return config.model_copy(update={"source_path": Path(path)})


def load_cohort(path: Path | str) -> CohortConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CohortConfigError(path, [f"cannot be read ({exc})"]) from None
    config = parse_cohort(text, path)
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
            good.append(load_cohort(path))
        except CohortConfigError as exc:
            bad.append(exc)
    return good, bad


def find_cohort(cohort_id: str, directory: Path | None = None) -> CohortConfig:
    directory = directory or settings.cohorts_dir()
    for suffix in (".yaml", ".yml"):
        candidate = directory / f"{cohort_id}{suffix}"
        if candidate.exists():
            return load_cohort(candidate)
    raise CohortConfigError(directory / f"{cohort_id}.yaml", ["no such cohort file"])
