"""What makes a symbiotic pair an exchange: each partner teaches the other something.

A partner *teaches* skill ``s`` to the other when they offer ``s`` (at any level), the other wants
``s``, and the other does not already offer ``s`` at the level they want it at (someone who offers
sql at 4 and wants it at 3 already holds what they ask for). A pair is *mutual* when A teaches B a
skill ``s`` and B teaches A a different skill ``t``: swapping one skill both ways (both offer and
want sql) is not an exchange.

For two sets of teachable skills S (A to B) and T (B to A), a choice of ``s`` in S and ``t`` in T with
``s != t`` exists exactly when ``|S|·|T| − |S ∩ T| > 0`` (the number of such choices), so the whole
rule is three matrix products over a block of pairs: :func:`exchange_mask` is vectorised, and
:func:`exchange` picks the two skills an explanation names for one proposed pair.
"""

from __future__ import annotations

import numpy as np


def needs(wanted: np.ndarray, offered: np.ndarray) -> np.ndarray:
    """(n, S) boolean: the person wants the skill and does not already offer it at the wanted level."""
    return (wanted > 0) & (offered < wanted)


def exchange_mask(wanted: np.ndarray, offered: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(len(r), len(c)) boolean: rows and columns teach each other two different skills."""
    need = needs(wanted, offered).astype(np.float32)
    offer = (offered > 0).astype(np.float32)
    both = need * offer  # skills a person both offers and still needs: the ones a swap could use both ways
    forth = offer[r] @ need[c].T  # |S|: skills the row teaches the column
    back = need[r] @ offer[c].T  # |T|: skills the column teaches the row
    same = both[r] @ both[c].T  # |S ∩ T|: skills each could teach the other
    return forth * back - same > 0.5


def teachable(wanted: np.ndarray, offered: np.ndarray, teacher: int, learner: int) -> np.ndarray:
    """Skill indices ``teacher`` teaches ``learner``, best covered first (offered / wanted level)."""
    skills = np.flatnonzero((offered[teacher] > 0) & needs(wanted, offered)[learner])
    cover = np.minimum(1.0, offered[teacher, skills] / wanted[learner, skills])
    return skills[np.argsort(-cover, kind="stable")]


def exchange(wanted: np.ndarray, offered: np.ndarray, a: int, b: int) -> tuple[int, int] | None:
    """The skills of one exchange, (a teaches b, b teaches a), two different skills, the best covered
    first; None when the pair is not mutual."""
    forth, back = teachable(wanted, offered, a, b), teachable(wanted, offered, b, a)
    for s in forth:
        for t in back:
            if s != t:
                return int(s), int(t)
    return None


def exchange_problem(wanted_a: dict[str, int], offered_a: dict[str, int], wanted_b: dict[str, int],
                     offered_b: dict[str, int]) -> str | None:
    """The same rule for one pair, from the two people's skills as ``{skill: level}`` (names already
    mapped to the vocabulary), for the matches gate: None when they make a real exchange."""
    def teaches(offered: dict[str, int], wanted: dict[str, int], holds: dict[str, int]) -> set[str]:
        return {s for s in offered if s in wanted and holds.get(s, 0) < wanted[s]}

    forth, back = teaches(offered_a, wanted_b, offered_b), teaches(offered_b, wanted_a, offered_a)
    if not forth or not back:
        return "the partners do not each teach the other a wanted skill the other does not already hold"
    if not any(s != t for s in forth for t in back):
        return "the partners would swap the same skill, which is not an exchange"
    return None
