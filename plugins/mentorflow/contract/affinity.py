"""Affinity answers: a self-described identity or network, whether the person asks for a partner who
shares it, and their consent to its use for matching.

The rule the whole program keeps: without ``affinity_consent`` the network is not stored at all (and
nobody's asking counts), so :func:`consented` is applied wherever an application is written (the
forms, the CSV intake). Comparison is by :func:`normalise` (case and whitespace), so self-described
text works, and a cohort's list of networks (``matching.affinity.networks``) only suggests spellings.

Plain data on the standard library only: it is read at DAG parse time.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from mentorflow.contract.columns import TRUE

NETWORK = "affinity_network"
ASKS = "affinity_match"
CONSENT = "affinity_consent"
COLUMNS: tuple[str, ...] = (NETWORK, ASKS, CONSENT)
MAX_NETWORK = 100  # characters of a network kept (a name, not an essay)
PURGED = "purged-network-"  # what retention leaves of a network: a random token per network, the same for all in it

# what people are told (mentorflow.matching.affinity): the two people of a pair, in their introduction; the
# committee, for someone the hard rule left without a partner; that person, in their own copy
PAIR_REASON = "shares the network you asked for"
COMMITTEE_UNMATCHED = "a preference they asked to keep private could not be met"
PERSONAL_UNMATCHED = "no partner shares the network you asked for"

_SPACE = re.compile(r"\s+")


def normalise(text: object) -> str:
    """The comparable form of a network: case folded, whitespace collapsed ("" for blank)."""
    if text is None or not isinstance(text, str):
        return ""
    return _SPACE.sub(" ", text).strip().casefold()


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return value is not None and str(value).strip().lower() in TRUE


def consented(row: Mapping[str, Any]) -> dict[str, Any]:
    """The three affinity fields as they may be stored: with consent, the network (whitespace collapsed,
    at most :data:`MAX_NETWORK` characters) and the request; without it nothing (None, False, False). A
    request without a network asks for nothing and is stored as no request."""
    network = _SPACE.sub(" ", str(row.get(NETWORK) or "")).strip()[:MAX_NETWORK]
    if not _flag(row.get(CONSENT)) or not network:
        return {NETWORK: None, ASKS: False, CONSENT: _flag(row.get(CONSENT)) and bool(network)}
    return {NETWORK: network, ASKS: _flag(row.get(ASKS)), CONSENT: True}


def form_problems(data: Mapping[str, Any]) -> dict[str, str]:
    """What the application form says when the affinity answers do not fit together (field -> message)."""
    network = str(data.get(NETWORK) or "").strip()
    asks, consent = _flag(data.get(ASKS)), _flag(data.get(CONSENT))
    if asks and not network:
        return {NETWORK: "name the network or identity your partner should share"}
    if (network or asks) and not consent:
        return {CONSENT: "tick this box so we may use your network for matching, or leave the network blank"}
    return {}


def network_of(app: Mapping[str, Any] | None) -> str:
    """The normalised network of a stored application that consented ("" otherwise)."""
    return normalise(app.get(NETWORK)) if app and _flag(app.get(CONSENT)) else ""


def asked_network(app: Mapping[str, Any] | None) -> str:
    """The normalised network a stored application asked a partner to share ("" when it asked for nothing)."""
    return network_of(app) if app and _flag(app.get(ASKS)) else ""


def personal_reason(reason: str, app: Mapping[str, Any] | None) -> str:
    """An unmatched reason as the person themself may read it (their export, their own emails): the neutral
    committee wording becomes which preference could not be met, for the person who asked."""
    return PERSONAL_UNMATCHED if reason == COMMITTEE_UNMATCHED and asked_network(app) else reason


def purged_tokens(networks: Iterable[str]) -> dict[str, str]:
    """For the retention purge: each network (as written) -> a random token, the same for every spelling of one
    network (so counts of who got a partner from their network still add up), derived from nothing (so no
    dictionary of network names turns it back). Tokens already purged keep themselves."""
    by_key: dict[str, str] = {}
    out: dict[str, str] = {}
    for network in networks:
        if network.startswith(PURGED):
            out[network] = network
            continue
        key = normalise(network)
        out[network] = by_key.setdefault(key, PURGED + secrets.token_hex(8))
    return out
