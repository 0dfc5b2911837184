"""What an introduction says to each person: every partner a set of pairs gives them, why they were paired,
a partner's goals only when that partner agreed to share them, and topics past mentees found valuable.

Shared by the kickoff (pairs and groups) and the midpoint's re-match notices; it sends nothing.
"""

from __future__ import annotations

from typing import Any

from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract.disclosure import (  # noqa: F401 - what a participant may read of the reasons
    GOALS_REASON,
    RANKING_REASON,
    participant_reasons,
)
from mentorflow.matching import affinity
from mentorflow.outcomes import discovery

PastWants = list[tuple[set[str], set[str]]]


def introduction_contexts(config: CohortConfig, pairs: list[dict[str, Any]], everyone: dict, apps: dict,
                          past: PastWants | None = None) -> dict[str, dict[str, Any]]:
    """Per person, what their introduction says: every partner ``pairs`` gives them (``partners``), their
    own goals and, for whoever learns in a pair, topics that past mentees with similar wants found
    valuable (``past`` from :func:`discovery.history`).

    A partner's goals are quoted only when that partner agreed to share them (``share_goals`` in their
    application): the application form promises answers stay with the program team otherwise. The
    matcher's reason naming words both partners' goals share is left out then too.
    """

    def goals(person_id: str) -> str | None:
        return (apps.get(person_id) or {}).get("goals")

    def shares_goals(person_id: str) -> bool:
        return bool((apps.get(person_id) or {}).get("share_goals"))

    symbiotic = config.program_type.value == "symbiotic"
    partners: dict[str, list[dict[str, Any]]] = {}
    learners: set[str] = set()
    for pair in pairs:
        for me, partner, role in ((pair["mentor_id"], pair["mentee_id"], "mentor"),
                                  (pair["mentee_id"], pair["mentor_id"], "mentee")):
            if symbiotic or role == "mentee":
                learners.add(me)
            if symbiotic:
                role = "mentor and mentee (you learn from each other)"
            shared = shares_goals(partner)
            # said only to whoever asked for it, and kept out of the stored (committee) explanation
            network = affinity.pair_reason(config.matching.affinity, apps.get(me), apps.get(partner))
            partners.setdefault(me, []).append({
                "partner": everyone[partner], "my_role": role,
                "reasons": [*([network] if network else []),
                            *participant_reasons(pair["explanation"], shared)],
                "partner_goals": goals(partner) if shared else None})

    def resources(person_id: str) -> list[str]:
        if person_id not in learners or not past:
            return []
        wanted = discovery.wanted_skills((apps.get(person_id) or {}).get("skills_wanted"))
        return discovery.described(discovery.suggest(wanted, past))

    return {me: {"partners": mine, "my_goals": goals(me), "my_goals_shared": shares_goals(me),
                 "resources": resources(me)}
            for me, mine in partners.items()}
