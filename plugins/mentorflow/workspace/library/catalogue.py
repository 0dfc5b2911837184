"""The resource library file (``include/resources/library.yaml``): load it, check every item, keep the good ones.

Ops edit the file by hand, so a mistake in one item must not hide the other items: each problem is
reported with the file, the line, the item's position and id, the field and the reason, and only that
item is skipped. Skills are read with the skill vocabulary's normalisation (a synonym is stored as its
canonical skill); an unknown skill is reported with the closest skill of the vocabulary.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from mentorflow.contract import skills as skill_vocabulary
from mentorflow.errors import ImportFileError

LIBRARY_FILE = Path("resources") / "library.yaml"  # under the include folder
TYPES = ("book", "talk", "course", "podcast", "article")
FIELDS = ("id", "title", "creator", "type", "length", "skills", "url")
REQUIRED = ("id", "title", "creator", "type", "length", "skills")
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID = 80  # resource_feedback.resource_id
MAX_TEXT = 200


@dataclass(frozen=True)
class Resource:
    id: str
    title: str
    creator: str
    type: str
    length: str
    skills: tuple[str, ...]  # canonical skill names, in the file's order
    url: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    index: int  # 1-based position of the item in the list
    item_id: str | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        item = f"item {self.index}" + (f" ({self.item_id})" if self.item_id else "")
        return f"{self.file}:{self.line}: {item}: " + (f"{self.field}: " if self.field else "") + self.reason


@dataclass(frozen=True)
class Catalogue:
    path: str
    resources: dict[str, Resource]  # by id, in file order
    problems: tuple[Problem, ...]

    def get(self, resource_id: str) -> Resource | None:
        return self.resources.get(resource_id)

    def for_skill(self, skill: str) -> list[Resource]:
        return [r for r in self.resources.values() if skill in r.skills]


def _closest(vocab: skill_vocabulary.Vocabulary, text: str) -> str | None:
    """The canonical skill whose name or synonym is nearest to ``text`` (None when nothing is near)."""
    keys = list(vocab.lookup)
    near = difflib.get_close_matches(skill_vocabulary.normalise(text), keys, n=1, cutoff=0.6)
    return vocab.lookup[near[0]] if near else None


def _text(value: Any, field: str) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip():
        raise ValueError(f"{field} must be a non-empty text")
    text = " ".join(str(value).split())
    if len(text) > MAX_TEXT:
        raise ValueError(f"{field} is longer than {MAX_TEXT} characters")
    return text


def _check_item(raw: Any, vocab: skill_vocabulary.Vocabulary, lines: dict[str, int]) -> tuple[Resource | None,
                                                                                            list[tuple[str | None, str]]]:
    """The resource of one item, or None with the item's problems as (field, reason)."""
    if not isinstance(raw, dict):
        return None, [(None, "an item must be a mapping of fields (id, title, creator, type, length, skills)")]
    problems: list[tuple[str | None, str]] = []
    for key in raw:
        if str(key) not in FIELDS:
            near = difflib.get_close_matches(str(key), FIELDS, n=1)
            problems.append((str(key), "unknown field" + (f" (did you mean {near[0]!r}?)" if near else
                                                           f"; the fields are {', '.join(FIELDS)}")))
    for field in REQUIRED:
        if raw.get(field) in (None, "", []):
            problems.append((field, "missing"))
    values: dict[str, Any] = {}
    for field in ("id", "title", "creator", "length"):
        if raw.get(field) not in (None, ""):
            try:
                values[field] = _text(raw[field], field)
            except ValueError as exc:
                problems.append((field, str(exc)))
    rid = values.get("id")
    if rid and (not ID_PATTERN.match(rid) or len(rid) > MAX_ID):
        problems.append(("id", f"{rid!r} is not a slug: lower-case letters, digits and single hyphens, at most "
                               f"{MAX_ID} characters"))
    kind = raw.get("type")
    if kind not in (None, "") and str(kind).strip().lower() not in TYPES:
        problems.append(("type", f"unknown type {kind!r}; use one of {', '.join(TYPES)}"))
    found: list[str] = []
    listed = raw.get("skills")
    if listed not in (None, "", []):
        if isinstance(listed, str):
            listed = [listed]
        if not isinstance(listed, list):
            problems.append(("skills", "must be a list of skills, e.g. [negotiation, persuasion]"))
            listed = []
        for name in listed:
            if not isinstance(name, str) or not vocab.is_known(name):
                near = _closest(vocab, str(name))
                problems.append(("skills", f"unknown skill {name!r}" + (f" (closest: {near!r})" if near else
                                                                        " (not in include/skills/vocabulary.yaml)")))
            elif vocab.canonical(name) not in found:
                found.append(vocab.canonical(name))
    url = raw.get("url")
    if url not in (None, "") and not (isinstance(url, str) and re.match(r"^https?://\S+$", url.strip())):
        problems.append(("url", f"{url!r} is not a web address (http:// or https://)"))
    if problems:
        return None, problems
    return Resource(rid, values["title"], values["creator"], str(kind).strip().lower(), values["length"],
                    tuple(found), url.strip() if url else None, lines.get("id", 0)), []


def _item_lines(node: yaml.Node) -> dict[str, int]:
    """1-based line of each field of a mapping node (and '' for the item itself)."""
    lines = {"": node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[str(key.value)] = value.start_mark.line + 1
    return lines


def parse(text: str, source: str, vocab: skill_vocabulary.Vocabulary) -> Catalogue:
    """The catalogue of a library file's text. A file that is not a ``resources:`` list raises ImportFileError;
    a bad item becomes a :class:`Problem` and the rest are kept."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise ImportFileError(f"{source}: not valid YAML ({exc})") from None
    finally:
        loader.dispose()
    items = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ImportFileError(f"{source}: expected a list under 'resources:' (see the comment at the top of the file)")
    nodes = next(v for k, v in root.value if k.value == "resources").value
    resources: dict[str, Resource] = {}
    problems: list[Problem] = []
    for index, (raw, node) in enumerate(zip(items, nodes), start=1):
        lines = _item_lines(node)
        resource, found = _check_item(raw, vocab, lines)
        rid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        if resource is not None and resource.id in resources:
            found = [("id", f"duplicate id: already used by the item on line {resources[resource.id].line}")]
            resource = None
        problems.extend(Problem(source, lines.get(field or "", lines[""]), index, rid, field, reason)
                        for field, reason in found)
        if resource is not None:
            resources[resource.id] = resource
    return Catalogue(source, resources, tuple(problems))


def load(path: Path, include_dir: Path) -> Catalogue:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ImportFileError(f"{path}: the resource library cannot be read ({exc.strerror})") from None
    return parse(text, str(path), skill_vocabulary.vocabulary(include_dir))


@lru_cache(maxsize=4)
def _cached(path: str, include_dir: str, version: tuple[int, int]) -> Catalogue:
    return load(Path(path), Path(include_dir))


def catalogue(include_dir: Path) -> Catalogue:
    """The shipped library under ``include_dir``, loaded once per version of the file."""
    path = Path(include_dir) / LIBRARY_FILE
    try:
        stat = path.stat()
    except OSError:
        raise ImportFileError(f"{path}: the resource library is missing") from None
    return _cached(str(path), str(include_dir), (stat.st_mtime_ns, stat.st_size))
