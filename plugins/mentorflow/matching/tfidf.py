"""TF-IDF weights of analysed documents, as scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` gives them,
without importing scikit-learn (its import, through ``scipy.stats``, costs seconds per process: more than a
what-if of a few hundred people takes). ``tests/test_goals_text.py`` compares both."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp


def tfidf(docs: Sequence[Sequence[str]]) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows of L2-normalised TF-IDF weights (float32) of analysed documents, and the sorted vocabulary: what
    scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` gives (tf ``1 + ln(count)``, idf
    ``ln((1 + n) / (1 + df)) + 1``, computed in float64), without importing it (seconds per process)."""
    vocabulary = sorted({t for doc in docs for t in doc})
    if not vocabulary:
        return sp.csr_matrix((len(docs), 0), dtype=np.float32), np.array([], dtype=object)
    column = {t: i for i, t in enumerate(vocabulary)}
    indptr, indices = [0], []
    for doc in docs:
        indices.extend(column[t] for t in doc)
        indptr.append(len(indices))
    counts = sp.csr_matrix((np.ones(len(indices), dtype=np.float64), np.asarray(indices, dtype=np.int64),
                            np.asarray(indptr, dtype=np.int64)), shape=(len(docs), len(vocabulary)))
    counts.sum_duplicates()  # also sorts each row's columns, as scikit-learn's matrix has them
    df = np.bincount(counts.indices, minlength=len(vocabulary)).astype(np.float64)
    idf = np.log((len(docs) + 1) / (df + 1)) + 1
    data = (np.log(counts.data) + 1) * idf[counts.indices]
    rows = np.repeat(np.arange(len(docs)), np.diff(counts.indptr))
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=len(docs)))
    data = data / np.where(norms > 0, norms, 1)[rows]
    weights = sp.csr_matrix((data.astype(np.float32), counts.indices, counts.indptr), shape=counts.shape)
    return weights, np.array(vocabulary, dtype=object)
