"""Why someone has no one-to-one partner, said as a sentence a participant understands.

The matcher's reasons (:func:`mentorflow.matching.explain.unmatched_reason`, ``idle_mentor_reason``) are
written for the committee; each is rewritten here without the program's jargon (no "capacity", "rule",
"score"). A reason that names nothing known reads as the plain general sentence.
"""

from __future__ import annotations

import re

GENERAL = "We could not find a one-to-one {partner} who fits you this time."


def plain_reason(reason: str, role: str) -> str:
    """``reason`` (the ``unmatched`` row's) for ``role`` (mentee, partner or mentor), in plain words."""
    partner = {"mentee": "mentor", "partner": "partner", "mentor": "mentee"}.get(role, "partner")
    text = (reason or "").strip()
    if role == "mentor":
        if text.startswith("no mentee fits the rules"):
            return ("None of the people who asked for a mentor could be paired with you: they were at a similar "
                    "career level to you, or in your reporting line.")
        if text.startswith("no eligible mentee wants"):
            return "None of the people who asked for a mentor wants to learn a skill you offer this time."
        if text.startswith("all ") and "better-scoring" in text:
            return ("More mentors applied than people asking for one, and each mentee you could have helped was "
                    "paired with a mentor whose skills fit theirs even more closely.")
        return "We could not pair you with a mentee this time."
    if text.startswith("not eligible"):
        return "The program's eligibility rules did not let us pair you this time; the program team can tell you more."
    if text.startswith("no other eligible"):
        return f"Not enough people applied as a {partner} this time for us to pair everyone."
    if "junior to them" in text:
        return "None of the mentors who applied is junior to you, which reverse mentoring needs."
    if (gap := re.search(r"at least (\d+) level", text)) is not None:
        return (f"None of the mentors who applied is far enough ahead of you in their career (the program pairs "
                f"you with someone at least {gap.group(1)} level(s) more senior).")
    if "placement rules" in text:
        return f"Every {partner} at the right level is someone the program's placement rules keep apart from you."
    if "is excluded" in text:
        return (f"Every {partner} at the right level is someone we do not pair you with, for example someone in your "
                "own reporting line.")
    if "real exchange" in text:
        return ("No partner could both teach you a skill you want and learn a different one from you, which a "
                "learning exchange needs.")
    if (skills := re.match(r"no eligible \w+ offers (.+)$", text)) is not None:
        return f"No {partner} who applied offers what you want to learn ({skills.group(1)})."
    if "minimum score" in text:
        return f"No {partner} who applied was a close enough fit to what you asked for."
    if text.startswith("capacity exhausted"):
        return (f"More people asked for a {partner} than there were places: every {partner} who fits you already has "
                "as many people as they can take.")
    return GENERAL.format(partner=partner)
