"""The skill vocabulary: canonical workplace skills in groups, with synonyms and related skills.

The vocabulary ships as ``include/skills/vocabulary.yaml`` (:data:`VOCABULARY_FILE` under the include
folder). :func:`vocabulary` loads it once per file version. :meth:`Vocabulary.canonical` maps a free-text
skill name to its canonical skill: the name is normalised (:func:`normalise`: Unicode compatibility form,
case, "&" as "and", punctuation other than ``+`` and ``#`` as spaces, runs of spaces), then looked up as
written, with simple plural endings and a trailing "skill(s)" removed (:func:`stem`), and with its
spaces removed ("front end" and "frontend"). A name the vocabulary does not know is kept as its
normalised text, never dropped: :meth:`Vocabulary.is_known` tells the two apart.

Loading checks the file: every name and synonym belongs to one skill only (under every lookup form),
and every related skill is a skill of the vocabulary; relations are made symmetric. A bad file raises
:class:`~mentorflow.errors.ImportFileError` naming the skills involved.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from mentorflow.errors import ImportFileError

VOCABULARY_FILE = Path("skills") / "vocabulary.yaml"  # under the include folder

_NOT_WORD = re.compile(r"[^\w+#]+|_+")
_TRAILING = ("skill",)  # "negotiation skills" is negotiation


def normalise(text: str) -> str:
    """``'  Presentation-Skills & CV '`` → ``'presentation skills and cv'`` (idempotent)."""
    plain = unicodedata.normalize("NFKC", str(text)).casefold().replace("&", " and ")
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def stem(key: str) -> str:
    """A normalised name with each word's plural ending and a trailing "skill(s)" removed."""
    words = [_singular(w) for w in key.split()]
    if len(words) > 1 and words[-1] in _TRAILING:
        words = words[:-1]
    return " ".join(words)


def _keys(name: str) -> tuple[str, ...]:
    """The lookup forms of a name, most literal first."""
    key = normalise(name)
    stemmed = stem(key)
    return tuple(dict.fromkeys((key, stemmed, stemmed.replace(" ", ""))))


@dataclass(frozen=True)
class Skill:
    name: str
    group: str
    synonyms: tuple[str, ...]
    related: tuple[str, ...]  # canonical names, both directions


@dataclass(frozen=True)
class Vocabulary:
    skills: dict[str, Skill]  # canonical name -> skill, in file order
    lookup: dict[str, str]  # every lookup form of every name and synonym -> canonical name

    @property
    def names(self) -> list[str]:
        return list(self.skills)

    @property
    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for skill in self.skills.values():
            out.setdefault(skill.group, []).append(skill.name)
        return out

    def canonical(self, text: str) -> str:
        """The canonical skill ``text`` names, or its normalised text when the vocabulary does not know it."""
        keys = _keys(text)
        return next((self.lookup[k] for k in keys if k in self.lookup), keys[0])

    def is_known(self, text: str) -> bool:
        return any(k in self.lookup for k in _keys(text))

    def group_of(self, name: str) -> str | None:
        """The group of a canonical name (None for an unknown skill)."""
        skill = self.skills.get(name)
        return skill.group if skill else None

    def related(self, name: str) -> tuple[str, ...]:
        skill = self.skills.get(name)
        return skill.related if skill else ()

    def unknown(self, texts) -> list[str]:
        """The normalised names among ``texts`` that the vocabulary does not know, sorted, once each."""
        return sorted({normalise(t) for t in texts if normalise(t) and not self.is_known(t)})


def parse(data: object, source: str = "skill vocabulary") -> Vocabulary:
    """A :class:`Vocabulary` from the YAML structure ``{groups: {group: [{name, synonyms, related}]}}``."""
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, dict) or not groups:
        raise ImportFileError(f"{source}: expected 'groups:' with at least one group of skills")
    entries: list[tuple[str, str, list[str], list[str]]] = []
    for group, items in groups.items():
        for item in items or []:
            if not isinstance(item, dict) or not str(item.get("name") or "").strip():
                raise ImportFileError(f"{source}: group {group!r} has an entry without a name: {item!r}")
            name = str(item["name"]).strip()
            if " ".join(name.casefold().split()) != name:
                raise ImportFileError(f"{source}: skill {name!r} must be written in lower case with single spaces")
            entries.append((name, str(group), [str(s) for s in item.get("synonyms") or []],
                            [" ".join(str(r).casefold().split()) for r in item.get("related") or []]))
    lookup: dict[str, str] = {}
    seen: set[str] = set()
    for name, _, synonyms, _ in entries:
        if name in seen:
            raise ImportFileError(f"{source}: skill {name!r} is listed twice")
        seen.add(name)
        for word in (name, *synonyms):
            for key in _keys(word):
                owner = lookup.setdefault(key, name)
                if owner != name:
                    raise ImportFileError(f"{source}: {word!r} of {name!r} reads as {key!r}, which already "
                                          f"names {owner!r}")
    names = {e[0] for e in entries}
    related: dict[str, set[str]] = {name: set() for name in names}
    for name, _, _, linked in entries:
        for other in linked:
            if other not in names:
                raise ImportFileError(f"{source}: {name!r} is related to {other!r}, which is not a skill of the vocabulary")
            if other != name:
                related[name].add(other)
                related[other].add(name)
    skills = {name: Skill(name, group, tuple(synonyms), tuple(sorted(related[name])))
              for name, group, synonyms, _ in entries}
    return Vocabulary(skills, lookup)


YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when built: ~10x faster, same data


def load(path: Path) -> Vocabulary:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)  # a safe loader (see YAML_LOADER)
    except OSError as exc:
        raise ImportFileError(f"{path}: the skill vocabulary cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ImportFileError(f"{path}: the skill vocabulary is not valid YAML ({exc})") from None
    return parse(data, str(path))


@lru_cache(maxsize=4)
def _cached(path: str, version: tuple[int, int]) -> Vocabulary:
    return load(Path(path))


def vocabulary(include_dir: Path) -> Vocabulary:
    """The vocabulary under ``include_dir`` (``settings.include_dir()``), loaded once per version of the file."""
    path = Path(include_dir) / VOCABULARY_FILE
    try:
        stat = path.stat()
    except OSError:
        raise ImportFileError(f"{path}: the skill vocabulary is missing") from None
    return _cached(str(path), (stat.st_mtime_ns, stat.st_size))
