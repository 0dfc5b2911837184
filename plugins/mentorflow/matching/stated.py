"""What people wrote about personality and experience, read with small documented word lists.

- :func:`preferred_traits`: the words of an application's ``preferred_traits`` answer ("patient, organised,
  direct") that :data:`LEXICON` knows, each with the Big Five trait and the end of its scale it asks for;
  a word after "not", "no", "never" or "without" is skipped, unknown words are ignored.
- :func:`experience`: whether a ``prior_experience`` answer says the person is new to mentoring, or an
  experienced mentor (:data:`NEW` and :data:`EXPERIENCED`, rules in docs/matching.md).
- :data:`BAND_WORDS`: how an explanation says where a person stands on a trait ("highly organized").

Per person, never per pair: the scorer turns the results into arrays once (matching.personality).
"""

from __future__ import annotations

import re

# Trait scores run 1..7 (the mean of two TIPI items); a band is where a person stands on that scale.
LOW_MAX = 3.0  # 3 or less: the low end (the TIPI's "disagree" side)
HIGH_MIN = 5.0  # 5 or more: the high end (the "agree" side); between: the middle
BANDS = ("low", "middle", "high")

# How an explanation says a band of a trait: "both highly organized", "one reflective, one outgoing".
BAND_WORDS: dict[str, tuple[str, str, str]] = {
    "extraversion": ("reflective", "moderately outgoing", "outgoing"),
    "agreeableness": ("direct", "moderately warm", "warm and patient"),
    "conscientiousness": ("flexible about plans", "moderately organized", "highly organized"),
    "emotional_stability": ("sensitive", "moderately calm", "calm"),
    "openness": ("practical", "moderately curious", "curious"),
}

# Words people use for a partner they would like -> (trait, the end of the scale they ask for).
_WORDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("agreeableness", "high"): (
        "patient", "kind", "warm", "supportive", "encouraging", "empathetic", "empathic", "friendly",
        "good listener", "listener", "understanding", "considerate", "caring", "approachable", "cooperative",
        "generous", "gentle", "sympathetic"),
    ("agreeableness", "low"): (
        "direct", "blunt", "candid", "frank", "challenging", "tough", "demanding", "no-nonsense",
        "straight-talking"),
    ("conscientiousness", "high"): (
        "organised", "organized", "structured", "reliable", "dependable", "disciplined", "punctual", "thorough",
        "methodical", "systematic", "detail-oriented", "responsible", "prepared", "consistent"),
    ("conscientiousness", "low"): ("flexible", "spontaneous", "laid-back", "laid back"),
    ("extraversion", "high"): (
        "outgoing", "extraverted", "extroverted", "energetic", "enthusiastic", "sociable", "talkative",
        "lively", "assertive"),
    ("extraversion", "low"): ("reserved", "quiet", "reflective", "introverted", "introvert"),
    ("emotional_stability", "high"): (
        "calm", "stable", "composed", "steady", "level-headed", "relaxed", "even-tempered", "resilient",
        "unflappable"),
    ("openness", "high"): (
        "creative", "curious", "open-minded", "open minded", "imaginative", "innovative", "inquisitive",
        "adventurous", "inventive", "visionary"),
    ("openness", "low"): (
        "practical", "pragmatic", "conventional", "traditional", "down-to-earth", "down to earth", "grounded",
        "realistic"),
}
LEXICON: dict[str, tuple[str, str]] = {word: key for key, words in _WORDS.items() for word in words}
_NEGATION = r"(?:\b(not|no|never|without)\s+(?:too\s+|very\s+|overly\s+|so\s+|a\s+)?)?"
_PREFERRED = re.compile(_NEGATION + r"\b(" + "|".join(
    re.escape(w) for w in sorted(LEXICON, key=len, reverse=True)) + r")\b")


def preferred_traits(text: object) -> list[tuple[str, str, str]]:
    """(word as written, trait, 'high' | 'low') for each known word, once each, in the order written."""
    if not isinstance(text, str) or not text.strip():
        return []
    out, seen = [], set()
    for negated, word in _PREFERRED.findall(text.lower()):
        if negated or word in seen:
            continue
        seen.add(word)
        out.append((word, *LEXICON[word]))
    return out


# -- prior_experience ------------------------------------------------------------------------------

_COUNT = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|many|multiple|a few|a couple of)"
# New to mentoring: a blank answer, a bare "none"/"no"/"n/a", or an answer that says so.
NEW = re.compile(
    r"^\W*(?:none|no|nope|nothing|n/?a|never|not yet|none yet|no experience)\W*$"
    r"|\b(?:never|not yet|not ever) (?:been|had|done|mentored|coached|a mentor|taken part|participated)\b"
    r"|\bfirst[- ]time\b|\bnone yet\b|\bnew to (?:mentoring|coaching|this)\b"
    r"|\bno (?:prior |previous |formal |real )?(?:mentoring |coaching )?experience\b")
# Experienced (unless the answer says new): a number of years, a number of mentees, people or programs, or
# having mentored or coached someone (being mentored or coached oneself does not count).
EXPERIENCED = re.compile(
    r"\b" + _COUNT + r"\s*\+?\s*(?:years?|yrs?)\b"
    r"|\byears of\b"
    r"|\b" + _COUNT + r"\s+(?:\w+\s+)?(?:mentees|people|juniors|colleagues|engineers|students|interns|"
    r"programs?|programmes?|cohorts?)\b"
    r"|\b(?:mentored|coached)\b|\bas an? (?:mentor|coach)\b|\bmentor(?:ing)? (?:since|for)\b")
_RECEIVED = re.compile(r"\b(?:was|were|been|being|got|get)\s+(?:mentored|coached)\b|\b(?:mentored|coached)\s+by\b")


def experience(text: object) -> tuple[bool, bool]:
    """(new to mentoring, experienced mentor) from a ``prior_experience`` answer; both False means some
    experience that is neither ("informal mentoring", "I was mentored by my manager")."""
    if not isinstance(text, str) or not text.strip():
        return True, False
    plain = " ".join(text.lower().split())
    if NEW.search(plain):
        return True, False
    return False, bool(EXPERIENCED.search(_RECEIVED.sub(" ", plain)))


def band(value: float) -> int:
    """0 low, 1 middle, 2 high (see :data:`LOW_MAX`, :data:`HIGH_MIN`)."""
    return 0 if value <= LOW_MAX else 2 if value >= HIGH_MIN else 1
