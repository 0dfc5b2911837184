"""Goal alignment: what one person wants to learn against what the other can teach, and the words the
two texts really share.

Each participant has two documents, each a tuple of fields kept apart:

- **wants** (mentee side): the goals text and the names of the wanted skills;
- **teaches** (mentor side): the names of the offered skills, the roster's job title, and what they
  wrote they can help with (the application's ``motivation`` and ``prior_experience``).

Both are analysed the same way (:class:`Analyzer`): words are lower-cased, scikit-learn's English stop
words (copied in :mod:`.stop_words`) and the :data:`FILLER_WORDS` of goal statements are removed, the rest is stemmed by
:func:`stem`, and a two-word phrase is formed only from two kept words that follow each other within
one field, separated by nothing but spaces: never across a field boundary, a removed word or any
punctuation. One TF-IDF weighting (:func:`~mentorflow.matching.tfidf.tfidf`: scikit-learn's ``TfidfVectorizer`` with sublinear tf,
smooth IDF and L2 rows, computed the same way without importing scikit-learn) is fitted on every document of
the round, so both sides share one vocabulary and one IDF; a pair's goals
score is the cosine of the wanter's row and the teacher's row (symbiotic: the mean of both directions).
Nothing is downloaded.

An explanation quotes a shared word or phrase only as a form that occurs, as a whole word and
case-insensitively, in a field of both texts (:func:`mentorflow.matching.quotes.quotes`): the stem is never
shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from mentorflow.matching.stop_words import ENGLISH_STOP_WORDS
from mentorflow.matching.tfidf import tfidf

# Above this many features the columns' documents stay sparse (dense, every column's would not fit well).
DENSE_VOCABULARY = 2048

# Words that say *that* someone wants to learn, not *what*: they occur in most goal statements and
# motivations, so a match on them says nothing about the pair. Compared by stem ("wants", "wanted" and
# "wanting" are "want"). A word that is part of a skill name of the round, where that skill name
# occurs in the text ("machine learning"), is kept inside the phrase, never on its own.
FILLER_WORDS: frozenset[str] = frozenset({
    # wanting and aiming
    "want", "wish", "hope", "like", "love", "enjoy", "need", "aim", "goal", "try", "keen", "eager",
    "interested",
    # learning and growing, said of any topic
    "learn", "improve", "grow", "growth", "better", "get", "gain", "become", "understand", "know",
    "help", "guidance", "advice", "prepare", "confident", "confidence", "strong", "big", "fast",
    # who and when
    "someone", "somebody", "senior", "junior", "year", "month", "week", "day", "today", "soon",
    # the program itself
    "mentor", "mentee", "mentorship", "skill",
    # vague
    "thing", "stuff", "way", "lot", "bit", "really", "good", "great", "new", "able", "use", "using", "used", "work",
    "make",
})

TOKEN_MEMO = 50_000  # texts whose tokens are kept per round (a few MB each thousand)
OCCURS_MEMO = 500_000  # (form, field text) answers kept per round (~100 bytes each)
_TOKEN = re.compile(r"[^\W_](?:[\w+#]|['’-](?=[^\W_]))*")
_VOWEL = re.compile(r"[aeiouy]")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A small suffix-stripping stemmer for English (lower-case input): plurals, -ing/-ed, -ship, -ment,
    -ation/-ate, -er and a final -e, so 'leadership', 'leading' and 'leader' meet at 'lead' and
    'negotiation', 'negotiating' and 'negotiate' at 'negoti'. Stems are never shown to anyone."""
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ied") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        rest = w[: -len(suffix)]
        if w.endswith(suffix) and len(rest) >= 3 and _VOWEL.search(rest):
            w = rest + "e" if rest.endswith(("at", "bl", "iz")) else rest
            break
    for suffix, repl in (("ship", ""), ("ment", ""), ("ational", "ate"), ("ation", "ate"), ("ator", "ate")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    if w.endswith("ate") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("er") and not w.endswith("eer") and len(w) > 5:
        w = w[:-2]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiousz":
        w = w[:-1]
    return w


_FILLER_STEMS = frozenset(stem(w) for w in FILLER_WORDS)


class Token(NamedTuple):
    """One word of a field (a named tuple: a run reads every participant's text, and a tuple is made several
    times faster than a frozen dataclass)."""

    surface: str  # as written
    start: int
    end: int
    kept: bool  # may stand in a phrase
    alone: bool  # is a term on its own (a filler word kept for its skill name is one only inside the phrase)
    stem: str


class Analyzer:
    """Words and two-word phrases (as stems) of a document given as a tuple of fields; see the module
    docstring. ``skill_names``: the round's skill names, whose words are exempt from the filler list
    where the skill name occurs."""

    def __init__(self, skill_names: Iterable[str] = ()) -> None:
        names = [[t.group().lower() for t in _TOKEN.finditer(n)] for n in skill_names]
        self.skill_words = frozenset(n[0] for n in names if len(n) == 1)
        self.skill_pairs = frozenset((a, b) for n in names for a, b in pairwise(n))
        # per field text: its terms, and each term with the form it was written in (read once per round, both for
        # the weights and for the explanations' quotes: skill names, job titles and set answers are shared)
        self._memo: dict[str, tuple[list[str], dict[str, set[str]]]] = {}
        # a text's tokens, for the texts many people share (skill names, job titles, set answers): read once
        self._tokens: dict[str, list[Token]] = {}
        self._occurs: dict[tuple[str, str], bool] = {}  # (form, field text): asked again for every pair quoting it

    def tokens(self, text: str) -> list[Token]:
        if (found := self._tokens.get(text)) is None and len(self._tokens) < TOKEN_MEMO:
            found = self._tokens[text] = self._read_tokens(text)
        return found if found is not None else self._read_tokens(text)

    def _read_tokens(self, text: str) -> list[Token]:
        found = list(_TOKEN.finditer(text))
        lower = [m.group().lower() for m in found]
        joined = [_spaces_only(text[a.end():b.start()]) for a, b in pairwise(found)]
        out = []
        for i, (m, word) in enumerate(zip(found, lower)):
            in_skill = word in self.skill_words or (
                i > 0 and joined[i - 1] and (lower[i - 1], word) in self.skill_pairs) or (
                i + 1 < len(found) and joined[i] and (word, lower[i + 1]) in self.skill_pairs)
            root = stem(word)
            usable = (len(word) > 1 and not word.isdigit() and word not in ENGLISH_STOP_WORDS
                      and "'" not in word and "’" not in word)  # contractions and possessives: never quoted
            filler = root in _FILLER_STEMS
            out.append(Token(m.group(), m.start(), m.end(), usable and (in_skill or not filler),
                             usable and not filler, root))
        return out

    def _field(self, text: str) -> tuple[list[str], dict[str, set[str]]]:
        """The terms of one field (words, then phrases), and each term → the forms it was written in."""
        if (found := self._memo.get(text)) is None:
            toks = self.tokens(text)
            written = [(t.stem, t.surface) for t in toks if t.alone] + [
                (f"{a.stem} {b.stem}", text[a.start:b.end]) for a, b in pairwise(toks)
                if a.kept and b.kept and _spaces_only(text[a.end:b.start])]
            forms: dict[str, set[str]] = {}
            for term, form in written:
                forms.setdefault(term, set()).add(form)
            found = self._memo[text] = ([term for term, _ in written], forms)
        return found

    def terms_of_field(self, text: str) -> list[str]:
        return self._field(text)[0]

    def __call__(self, fields: Sequence[str]) -> list[str]:
        return [t for f in fields for t in self.terms_of_field(f)]

    def surfaces(self, fields: Sequence[str]) -> dict[str, set[str]]:
        """Each term of the document → the forms it was written in (a phrase: the span as written)."""
        out: dict[str, set[str]] = {}
        for text in fields:
            for term, forms in self._field(text)[1].items():
                out.setdefault(term, set()).update(forms)
        return out

    def forms(self, term: str, fields: Sequence[str]) -> set[str]:
        """The forms ``term`` was written in, in any of the fields (:meth:`surfaces` of one term)."""
        out: set[str] = set()
        for text in fields:
            if found := self._field(text)[1].get(term):
                out |= found
        return out

    def occurs(self, form: str, fields: Sequence[str]) -> bool:
        """``form`` occurs in one of the fields as whole words, ignoring case (remembered per form and field
        text: each pair quoting a word asks again)."""
        for text in fields:
            if (hit := self._occurs.get((form, text))) is None:
                hit = _whole_words(form).search(text) is not None
                if len(self._occurs) < OCCURS_MEMO:
                    self._occurs[(form, text)] = hit
            if hit:
                return True
        return False


def _spaces_only(gap: str) -> bool:
    return gap != "" and gap.strip(" \t") == ""


@lru_cache(maxsize=8192)
def _whole_words(form: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])" + re.escape(form) + r"(?![\w])", re.IGNORECASE)


@dataclass(frozen=True)
class ColumnTexts:
    """The columns' side of :meth:`GoalTexts.similarity`, laid out once for every block of rows scored against
    the same columns: dense, one row per feature, so a block is a sparse-rows-times-dense product that touches
    only the few features each row has (None: the vocabulary is too large for dense columns; products stay
    sparse)."""

    teaches: np.ndarray | None  # (V, len(c)): the columns' teaches documents
    wants: np.ndarray | None  # (V, len(c)): the columns' wants documents (symbiotic only)


@dataclass
class GoalTexts:
    """TF-IDF rows of every participant's wants and teaches documents, and the documents as written."""

    wants: sp.csr_matrix  # (n, V), L2-normalised; a zero row when the person wants nothing
    teaches: sp.csr_matrix
    features: np.ndarray  # the vocabulary (stems and stem pairs)
    wants_fields: list[tuple[str, ...]]
    teaches_fields: list[tuple[str, ...]]
    analyzer: Analyzer

    def columns(self, c: np.ndarray, symmetric: bool) -> ColumnTexts:
        """The documents of columns ``c`` laid out for :meth:`similarity` (dense for a small vocabulary)."""
        if len(self.features) > DENSE_VOCABULARY:
            return ColumnTexts(None, None)

        def dense(docs: sp.csr_matrix) -> np.ndarray:
            return np.ascontiguousarray(docs[c].T.toarray(), dtype=np.float32)

        return ColumnTexts(dense(self.teaches), dense(self.wants) if symmetric else None)

    def similarity(self, r: np.ndarray, c: np.ndarray, symmetric: bool,
                   columns: ColumnTexts | None = None) -> np.ndarray:
        """(len(r), len(c)) cosine of r's wants against c's teaches; symbiotic: mean of both directions.
        ``columns``: :meth:`columns` of ``c``, when many row blocks meet the same columns. A pair's value is the
        same whichever block it is scored in: each is a sum over the row's own features, in their order."""
        columns = columns if columns is not None else self.columns(c, symmetric)
        one = self._product(self.wants, r, self.teaches, c, columns.teaches)
        if not symmetric:
            return one
        return (one + self._product(self.teaches, r, self.wants, c, columns.wants)) / 2

    @staticmethod
    def _product(a: sp.csr_matrix, r: np.ndarray, b: sp.csr_matrix, c: np.ndarray,
                 b_columns: np.ndarray | None) -> np.ndarray:
        if b_columns is not None:
            return a[r] @ b_columns
        return np.asarray((a[r] @ b[c].T).todense(), dtype=np.float32)


def _fields(*values: object) -> tuple[str, ...]:
    return tuple(s for s in (str(v).strip() for v in values) if s)


def goal_texts(goals: Sequence, wanted: Sequence[Sequence[str]], offered: Sequence[Sequence[str]],
               job_title: Sequence, motivation: Sequence, prior_experience: Sequence,
               wants_anything: np.ndarray, teaches_anything: np.ndarray) -> GoalTexts:
    """Fit one vocabulary on every participant's two documents (per person: their goals text and wanted
    skill names; their offered skill names, job title, motivation and prior experience). A document is
    empty for a person who does not take that side (``wants_anything`` / ``teaches_anything`` false)."""
    n = len(goals)
    wants_fields = [_fields(g, *w) if wants_anything[i] else () for i, (g, w) in enumerate(zip(goals, wanted))]
    teaches_fields = [_fields(*o, j, m, p) if teaches_anything[i] else ()
                      for i, (o, j, m, p) in enumerate(zip(offered, job_title, motivation, prior_experience))]
    analyzer = Analyzer(sorted({s for names in (*wanted, *offered) for s in names}))
    docs = wants_fields + teaches_fields
    both, features = tfidf([analyzer(d) for d in docs])  # scikit-learn's weights (matching.tfidf)
    if not len(features):  # no word survives anywhere: nobody's goals say anything matchable
        empty = sp.csr_matrix((n, 1), dtype=np.float32)
        return GoalTexts(empty, empty, np.array([""]), wants_fields, teaches_fields, analyzer)
    return GoalTexts(both[:n], both[n:], np.asarray(features), wants_fields, teaches_fields, analyzer)

