"""Affinity matching: a participant may ask for a partner who shares a self-described, consented network
or identity (``matching.affinity`` in the cohort YAML, :mod:`mentorflow.cohorts.affinity`).

The network is compared, never shown. Everything here works on integer codes per population (one code per
distinct normalised network of the people who consented; -1 for no network), so scoring stays vectorised:

- ``soft``: a pair where at least one of the two asked and both share the network gets the cohort's
  ``weight`` added to its ``preferences`` part (capped at 1). It is folded into ``preferences``, not a
  seventh component: it *is* a partner preference the person told us, like ``preferred_partners``, and a
  component of its own would be a column in the matches table, the what-if CSV and the committee's
  figures that says, pair by pair, "these two share a private network";
- ``hard``: whoever asked is only paired with someone who shares it (a mask, like every hard rule).

What people are told: the two people of a pair, in their introduction, only :data:`PAIR_REASON`; the
committee, nothing about a pair, and for someone the rule left without a partner only
:data:`COMMITTEE_UNMATCHED` (the person's own copy,
:func:`mentorflow.contract.affinity.personal_reason`, says which preference).
Reports show only counts, suppressed like every other (:func:`counts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mentorflow.contract.affinity import (
    ASKS,
    COMMITTEE_UNMATCHED,
    CONSENT,
    NETWORK,
    PAIR_REASON,
    asked_network,
    network_of,
    normalise,
)
from mentorflow.contract.columns import TRUE

__all__ = ["COMMITTEE_UNMATCHED", "LOCK_RULE", "PAIR_REASON", "AffinityArrays", "allowed", "counts", "pair_reason",
           "population_arrays", "preferences", "shares"]

LOCK_RULE = "rule on a preference one of them asked to keep private"


@dataclass(frozen=True)
class AffinityArrays:
    """The affinity answers of one population, as the scorer uses them."""

    mode: str  # soft or hard
    weight: float
    code: np.ndarray  # int32 per participant: the normalised network's code, -1 without (or without consent)
    asks: np.ndarray  # bool per participant: asked for a partner who shares it (and has a consented network)


def _flags(values: Iterable[Any]) -> np.ndarray:
    return np.array([v is True or (not isinstance(v, bool) and str(v).strip().lower() in TRUE) for v in values],
                    dtype=bool)


def population_arrays(apps: pd.DataFrame, setting: Any) -> AffinityArrays | None:
    """Codes and requests of the applications ``apps`` (in participant order); None when the cohort does not
    use affinity or nobody asked (then nothing changes, at no cost)."""
    if setting is None or getattr(setting, "mode", "off") == "off" or ASKS not in apps or NETWORK not in apps:
        return None
    consent = _flags(apps[CONSENT]) if CONSENT in apps else np.zeros(len(apps), dtype=bool)
    keys = [normalise(v) if ok else "" for v, ok in zip(apps[NETWORK], consent)]
    codes, _ = pd.factorize(pd.Series(keys, dtype=object).replace("", None), use_na_sentinel=True)
    codes = codes.astype(np.int32)
    asks = _flags(apps[ASKS]) & (codes >= 0)
    if not asks.any():
        return None
    return AffinityArrays(str(setting.mode), float(setting.weight), codes, asks)


def shares(aff: AffinityArrays, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(len(r), len(c)) bool: the two share a network and at least one of them asked for it."""
    a, b = aff.code[r][:, None], aff.code[c][None, :]
    return (a == b) & (a >= 0) & (aff.asks[r][:, None] | aff.asks[c][None, :])


def preferences(aff: AffinityArrays | None, prefs: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The ``preferences`` part with the soft bonus added (unchanged in any other mode)."""
    if aff is None or aff.mode != "soft":
        return prefs
    return np.minimum(1.0, prefs + np.float32(aff.weight) * shares(aff, r, c)).astype(np.float32)


def allowed(aff: AffinityArrays | None, r: np.ndarray, c: np.ndarray) -> np.ndarray | None:
    """The hard rule's mask: a pair is allowed when neither asked, or both share the network (None: no rule)."""
    if aff is None or aff.mode != "hard":
        return None
    a, b = aff.code[r][:, None], aff.code[c][None, :]
    return ((a == b) & (a >= 0)) | ~(aff.asks[r][:, None] | aff.asks[c][None, :])


# -- what the two people and the committee are told, and the counts reports may show ----------------------


def pair_reason(setting: Any, me: Mapping[str, Any] | None, partner: Mapping[str, Any] | None) -> str | None:
    """:data:`PAIR_REASON` for someone who asked for a partner sharing their network and got one (only they and
    their partner ever read it); None otherwise, and whenever the cohort does not use affinity."""
    if setting is None or getattr(setting, "mode", "off") == "off":
        return None
    wanted = asked_network(me)
    return PAIR_REASON if wanted and wanted == network_of(partner) else None


def counts(setting: Any, apps: Iterable[Mapping[str, Any]], pairs: Iterable[tuple[str, str]]) -> dict[str, int] | None:
    """How many asked for a partner sharing their network, and how many of them have one in ``pairs``
    (mentor_id, mentee_id); None when the cohort does not use affinity. Raw counts: a report shows them only
    through its disclosure rules."""
    if setting is None or getattr(setting, "mode", "off") == "off":
        return None
    by_id = {a["employee_id"]: a for a in apps}
    asked = {e for e, a in by_id.items() if asked_network(a)}
    got: set[str] = set()
    for x, y in pairs:
        for me, partner in ((x, y), (y, x)):
            if me in asked and asked_network(by_id[me]) == network_of(by_id.get(partner)):
                got.add(me)
    return {"asked": len(asked), "got": len(got)}
