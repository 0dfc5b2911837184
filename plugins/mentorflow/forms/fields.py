"""Between HTML form fields (or a JSON body) and the answer models: parsing with field-by-field errors,
and prefilling a form from stored answers."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from mentorflow.contract import columns as contract
from mentorflow.contract.parsing import parse_ids
from mentorflow.forms import models, selection
from mentorflow.forms.models import (
    PARTNER_ROWS,
    SKILL_ROWS,
    Answers,
    ApplicationAnswers,
    FieldErrors,
    role_problems,
)

MODELS = {**models.MODELS, **selection.MODELS}  # every form's answers


def _rows(fields: Mapping[str, str], prefix: str, count: int, keys: tuple[str, ...]) -> list[tuple[int, dict]]:
    """Non-empty repeated rows (``prefix-<i>-<key>``), with their row index."""
    rows = []
    for i in range(count):
        row = {k: (fields.get(f"{prefix}-{i}-{k}") or "").strip() for k in keys}
        if any(row.values()):
            rows.append((i, row))
    return rows


def model_input(form: str, fields: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Turn flat HTML fields into model input, and a map from model location to field name."""
    data: dict[str, Any] = {}
    where: dict[str, str] = {}
    if form in selection.FORMS:
        return selection.model_input(form, fields)
    if MODELS[form] is ApplicationAnswers:
        for key in ("role", "motivation", "prior_experience", "goals", "preferred_traits"):
            if fields.get(key) not in (None, ""):
                data[key] = fields[key]
        for key in ("capacity", "hours_per_month", "async_budget"):
            if (fields.get(key) or "").strip():
                data[key] = fields[key].strip()
        data["tipi"] = [fields.get(name) or None for name in contract.TIPI]
        for i, name in enumerate(contract.TIPI):
            where[f"tipi.{i}"] = name
        for column in contract.APPLICATIONS.of_kind("skills"):
            rows = _rows(fields, column, SKILL_ROWS, ("name", "level"))
            data[column] = [{"name": r["name"], "level": r["level"] or None} for _, r in rows]
            for position, (index, _) in enumerate(rows):
                where[f"{column}.{position}.name"] = f"{column}-{index}-name"
                where[f"{column}.{position}.level"] = f"{column}-{index}-level"
        for column in contract.APPLICATIONS.of_kind("ids"):
            filled = [(i, (fields.get(f"{column}-{i}") or "").strip()) for i in range(PARTNER_ROWS)]
            filled = [(i, v) for i, v in filled if v]
            data[column] = [v for _, v in filled]
            for position, (index, _) in enumerate(filled):
                where[f"{column}.{position}"] = f"{column}-{index}"
        data["share_goals"] = fields.get("share_goals") in ("yes", "on", "true", "1")
        if fields.get("affinity_network") not in (None, ""):
            data["affinity_network"] = fields["affinity_network"]
        for key in ("affinity_match", "affinity_consent", "circle_volunteer", "group_consent"):
            data[key] = fields.get(key) in ("yes", "on", "true", "1")
        data["consent"] = fields.get("consent") in ("yes", "on", "true", "1")
        return data, where
    for key in MODELS[form].model_fields:
        value = fields.get(key)
        if value is not None and value.strip() != "":
            data[key] = value
    return data, where


def field_errors(error: ValidationError | FieldErrors, where: Mapping[str, str]) -> dict[str, str]:
    """Validation problems as {field name: plain-words message}; the first problem per field wins."""
    if isinstance(error, FieldErrors):
        return dict(error.errors)
    out: dict[str, str] = {}
    for item in error.errors():
        ctx_error = (item.get("ctx") or {}).get("error")
        if isinstance(ctx_error, FieldErrors):
            for key, message in ctx_error.errors.items():
                out.setdefault(key, message)
            continue
        location = ".".join(str(p) for p in item["loc"])
        name = where.get(location) or (str(item["loc"][0]) if item["loc"] else "form")
        out.setdefault(name, _message(item))
    return out


def _message(item: Mapping[str, Any]) -> str:
    kind = item["type"]
    if kind == "missing" or (kind in ("int_type", "float_type", "bool_type") and item.get("input") is None):
        return "please answer this question"
    if kind in ("int_parsing", "float_parsing"):
        return "please enter a number"
    if kind == "literal_error":
        return "please choose one of the options"
    if kind in ("less_than_equal", "greater_than_equal"):
        bound = (item.get("ctx") or {}).get("le" if kind == "less_than_equal" else "ge")
        return f"must be {'at most' if kind == 'less_than_equal' else 'at least'} {bound:g}"
    if kind in ("string_too_long", "too_long"):
        return f"too long: at most {(item.get('ctx') or {}).get('max_length')} characters"
    if kind == "extra_forbidden":
        return "this form has no such field"
    return str(item["msg"]).removeprefix("Value error, ")


@functools.lru_cache(maxsize=None)  # a page asks on every render; the models do not change
def required(form: str) -> frozenset[str]:
    """The HTML fields a form cannot be saved without (the model's required answers), marked so on the page."""
    if form not in MODELS:
        return frozenset()
    names: set[str] = set()
    for name, info in MODELS[form].model_fields.items():
        if info.is_required():
            names.update(contract.TIPI if name == "tipi" else (name,))
    return frozenset(names)


def parse(form: str, fields: Mapping[str, str]) -> Answers:
    """Validated answers from HTML fields, or :class:`FieldErrors` keyed by field name."""
    data, where = model_input(form, fields)
    try:
        return MODELS[form].model_validate(data)
    except (ValidationError, FieldErrors) as exc:
        errors = field_errors(exc, where)
        if MODELS[form] is ApplicationAnswers:
            for key, message in role_problems(data).items():
                errors.setdefault(key, message)
        raise FieldErrors(errors) from None


def parse_json(form: str, payload: Any) -> Answers:
    """Validated answers from a JSON body, or :class:`FieldErrors` keyed by the JSON location."""
    if not isinstance(payload, dict):
        raise FieldErrors({"body": "expected a JSON object"})
    try:
        return MODELS[form].model_validate(payload)
    except (ValidationError, FieldErrors) as exc:
        if isinstance(exc, FieldErrors):
            raise
        errors: dict[str, str] = {}
        for item in exc.errors():
            ctx_error = (item.get("ctx") or {}).get("error")
            if isinstance(ctx_error, FieldErrors):
                errors.update({k: v for k, v in ctx_error.errors.items() if k not in errors})
                continue
            errors.setdefault(".".join(str(p) for p in item["loc"]) or "body", _message(item))
        raise FieldErrors(errors) from None


def prefill(form: str, row: Mapping[str, Any] | None) -> dict[str, str]:
    """HTML field values from a stored row (gap-fill shows what the person gave before)."""
    if not row:
        return {}
    if form in selection.FORMS:  # forms.selection keeps the stored answers as field values already
        return {k: str(v) for k, v in row.items()}
    values: dict[str, str] = {}
    if MODELS[form] is ApplicationAnswers:
        for key in ("role", "motivation", "prior_experience", "goals", "preferred_traits"):
            values[key] = str(row.get(key) or "")
        for key in ("capacity", "hours_per_month", "async_budget"):
            value = row.get(key)
            values[key] = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
        for name in contract.TIPI:
            values[name] = "" if row.get(name) is None else str(row[name])
        skills = contract.SKILL_LIST
        for column in contract.APPLICATIONS.of_kind("skills"):
            parts = [p for p in (row.get(column) or "").split(skills.separator) if p.strip()]
            for i, part in enumerate(parts[:SKILL_ROWS]):
                name, _, level = part.partition(skills.pair)
                values[f"{column}-{i}-name"], values[f"{column}-{i}-level"] = name.strip(), level.strip()
        for column in contract.APPLICATIONS.of_kind("ids"):
            for i, value in enumerate(parse_ids(row.get(column))[:PARTNER_ROWS]):
                values[f"{column}-{i}"] = value
        values["share_goals"] = "yes" if row.get("share_goals") else ""
        values["affinity_network"] = str(row.get("affinity_network") or "")
        for key in ("affinity_match", "affinity_consent", "circle_volunteer", "group_consent"):
            values[key] = "yes" if row.get(key) else ""
        return values
    for key in MODELS[form].model_fields:
        if row.get(key) is not None:
            values[key] = str(row[key])
    return values
