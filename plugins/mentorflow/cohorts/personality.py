"""The cohort's personality rule: per Big Five trait, whether partners should be similar or complementary.

``matching.rules.personality`` in the cohort YAML takes one of three shapes:

- left out: the program type's defaults (:data:`DEFAULT_MODES`, each with its reason);
- ``similarity`` or ``complement``: the same for every trait (the older all-traits shorthand);
- a mapping of trait to ``similar``, ``complement`` or ``ignore``, e.g.
  ``{openness: complement, extraversion: complement}``; traits left out keep the program type's default.

The matcher reads the resolved modes through :func:`trait_modes`; how a mode becomes a score is in
:mod:`mentorflow.matching.personality`.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BeforeValidator

TRAIT_KEYS: tuple[str, ...] = ("extraversion", "agreeableness", "conscientiousness", "emotional_stability", "openness")
MODES: tuple[str, ...] = ("similar", "complement", "ignore")
SHORTHANDS: dict[str, str] = {"similarity": "similar", "complement": "complement"}
_MODE_SPELLINGS = {"similar": "similar", "similarity": "similar", "complement": "complement",
                   "complementary": "complement", "ignore": "ignore"}

# Defaults per program type, one reason each (the seed articles are the domain brief):
# - traditional: a first mentoring relationship has to earn trust (seed 002, "Trust"): a shared working
#   style on every trait makes that easier, so similarity throughout.
# - reverse: seed 001 asks for complementary personalities; the junior mentor brings "a fresh
#   perspective" to a senior, so openness and extraversion complement, the other traits stay similar
#   (both keep the meetings going and meet each other calmly).
# - symbiotic: each partner teaches the other and both must be open to mutual learning (seed 002,
#   "Symbiosis"), so similarity throughout, openness included.
# - group: one mentor with several mentees (seed 000) says nothing about personality: as traditional.
DEFAULT_MODES: dict[str, dict[str, str]] = {
    "traditional": dict.fromkeys(TRAIT_KEYS, "similar"),
    "reverse": {**dict.fromkeys(TRAIT_KEYS, "similar"), "openness": "complement", "extraversion": "complement"},
    "symbiotic": dict.fromkeys(TRAIT_KEYS, "similar"),
    "group": dict.fromkeys(TRAIT_KEYS, "similar"),
}


def _trait_key(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def check_setting(value: Any) -> str | dict[str, str] | None:
    """The YAML value normalised (trait names with underscores, modes spelled one way), or a ValueError
    that names what is wrong and what is allowed."""
    if value is None:
        return None
    if isinstance(value, str):
        if value.strip().lower() in SHORTHANDS:
            return value.strip().lower()
        raise ValueError(f"personality {value!r} is not one of: similarity, complement (for every trait), or a "
                         f"mapping of trait to similar | complement | ignore (traits: {', '.join(TRAIT_KEYS)})")
    if not isinstance(value, dict):  # pydantic reports a ValueError as the field's error, never a TypeError
        raise ValueError("personality must be similarity, complement, or a mapping of trait to "  # noqa: TRY004
                         "similar | complement | ignore")
    problems, out = [], {}
    for name, mode in value.items():
        key = _trait_key(name)
        if key not in TRAIT_KEYS:
            close = difflib.get_close_matches(key, TRAIT_KEYS, n=1)
            problems.append(f"unknown trait {name!r}" + (f" (did you mean {close[0]!r}?)" if close else
                                                         f" (traits: {', '.join(TRAIT_KEYS)})"))
            continue
        spelled = _MODE_SPELLINGS.get(str(mode).strip().lower())
        if spelled is None:
            problems.append(f"trait {name!r}: {mode!r} is not one of {', '.join(MODES)}")
            continue
        out[key] = spelled
    if problems:
        raise ValueError("personality: " + "; ".join(problems))
    if out and len(out) == len(TRAIT_KEYS) and set(out.values()) == {"ignore"}:
        raise ValueError("personality: every trait is ignored; to leave personality out of the score set "
                         "matching.weights.personality to 0")
    return out


PersonalitySetting = Annotated[str | dict[str, str] | None, BeforeValidator(check_setting)]


def trait_modes(setting: str | dict[str, str] | None, program_type: str) -> tuple[str, ...]:
    """The mode of each trait (in :data:`TRAIT_KEYS` order) for a cohort's setting and program type."""
    modes = dict(DEFAULT_MODES.get(str(program_type), DEFAULT_MODES["traditional"]))
    setting = check_setting(setting)
    if isinstance(setting, str):
        modes = dict.fromkeys(TRAIT_KEYS, SHORTHANDS[setting])
    elif setting:
        modes.update(setting)
    if set(modes.values()) == {"ignore"}:
        raise ValueError("personality: every trait is ignored; set matching.weights.personality to 0 instead")
    return tuple(modes[t] for t in TRAIT_KEYS)
