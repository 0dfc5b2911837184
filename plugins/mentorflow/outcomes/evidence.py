"""How sure a fit of outcomes on score components is: non-negative least squares with a bootstrap of its
slopes and a permutation test of its R².

The fit regresses a pair outcome on the score components that formed the pair, both centred, with
non-negative slopes (a component can only help). Every fit here works on the k x k Gram matrix of the
components (``X'X`` and ``X'y``), so that resampling costs a matrix product for all resamples at once
and then one k x k NNLS per resample (k is the number of components, six today): 999 permutations and
1,000 bootstrap resamples of 1,000 pairs take well under a second.

- **Permutation p-value** of the whole fit: the outcomes are shuffled across pairs ``PERMUTATIONS``
  times and refitted; p = (1 + number of shuffles whose R² is at least the observed one) / (1 +
  ``PERMUTATIONS``), the usual estimate that is never 0. It answers "how often would outcomes that have
  nothing to do with the scores fit this well?".
- **Bootstrap**: pairs are resampled with replacement ``BOOTSTRAPS`` times and refitted; the caller
  takes percentile intervals of whatever it derives from the slopes (``interval``).

The random generator has a fixed seed and the rows are put in a fixed order by the caller, so the same
pairs always give the same p-value and intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

SEED = 16
PERMUTATIONS = 999
BOOTSTRAPS = 1000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Fit:
    """One outcome's fit: slopes per component, R², the permutation p-value and the bootstrap slopes."""

    pairs: int
    slopes: np.ndarray            # (k,)
    r_squared: float
    p_value: float
    permutations: int
    boot_slopes: np.ndarray       # (BOOTSTRAPS, k); empty when not asked for


def _factor(values: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R and T such that ||X b - y||² = ||R b - T X'y||² + const, from the eigen decomposition of G = X'X.

    With G = V diag(l) V': R = diag(sqrt l) V' and T = diag(1/sqrt l) V' (X'y lies in the range of G, so
    directions with l = 0, a component constant in the sample, drop out)."""
    keep = values > max(float(values.max(initial=0.0)), 0.0) * 1e-10
    root = np.sqrt(np.where(keep, values, 0.0))
    return root[:, None] * vectors.T, np.where(keep, 1 / np.where(keep, root, 1.0), 0.0)[:, None] * vectors.T


def _nnls_gram(gram: np.ndarray, xty: np.ndarray) -> np.ndarray:
    """argmin ||X b - y||² over b >= 0, from G = X'X and c = X'y only."""
    gram, xty = _without_constants(gram, xty)
    r, t = _factor(*np.linalg.eigh(gram))
    return nnls(r, t @ xty)[0]


def _without_constants(grams: np.ndarray, xtys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gram matrices (…, k, k) and X'y (…, k) in which a component that did not vary (in the sample or a
    resample) stands apart with slope 0, instead of a rounding-error column that NNLS could blow up."""
    diag = np.diagonal(grams, axis1=-2, axis2=-1)
    scale = diag.max(axis=-1, keepdims=True)
    flat = diag <= np.maximum(scale, 0.0) * 1e-12
    if not flat.any():
        return grams, xtys
    grams = np.where(flat[..., :, None] | flat[..., None, :], 0.0, grams)
    k = grams.shape[-1]
    grams = grams + np.where(flat, np.where(scale > 0, scale, 1.0), 0.0)[..., None] * np.eye(k)
    return grams, np.where(flat, 0.0, xtys)


def _solve_terms(values: np.ndarray, vectors: np.ndarray, xty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r, t = _factor(values, vectors)
    return r, t @ xty


def _r_squared(gram: np.ndarray, xty: np.ndarray, yty: float, slopes: np.ndarray) -> float:
    if yty <= 0:
        return 0.0
    residual = yty - 2 * float(slopes @ xty) + float(slopes @ gram @ slopes)
    return float(min(1.0, max(0.0, 1 - residual / yty)))


def fit(x: np.ndarray, y: np.ndarray, *, bootstrap: bool = True, permutations: int = PERMUTATIONS,
        bootstraps: int = BOOTSTRAPS, seed: int = SEED) -> Fit:
    """NNLS of ``y`` (n,) on the columns of ``x`` (n, k), both centred, with its permutation p-value and
    (if ``bootstrap``) the slopes refitted on ``bootstraps`` resamples of the rows."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.ndim != 2 or y.shape != (x.shape[0],) or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"need an (n, k) component matrix and n outcomes with n >= 2, got {x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("components and outcomes must be finite numbers")
    n = len(y)
    rng = np.random.default_rng(seed)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    gram, xty, yty = xc.T @ xc, xc.T @ yc, float(yc @ yc)
    slopes = _nnls_gram(gram, xty)
    r2 = _r_squared(gram, xty, yty, slopes)

    # permutations: G and y'y are the same for every shuffle; only X'y changes (one matrix product)
    shuffled = rng.permuted(np.broadcast_to(yc, (permutations, n)), axis=1)
    r, t = _factor(*np.linalg.eigh(_without_constants(gram, xty)[0]))
    xty_p = _without_constants(gram, shuffled @ xc)[1]
    r2_p = np.array([_r_squared(gram, c, yty, nnls(r, d)[0]) for c, d in zip(xty_p, xty_p @ t.T, strict=True)])
    p_value = (1 + int(np.count_nonzero(r2_p >= r2 - 1e-12))) / (1 + permutations)

    boot = np.empty((0, x.shape[1]))
    if bootstrap:
        counts = rng.multinomial(n, np.full(n, 1 / n), size=bootstraps).astype(float)  # (B, n) times each row drawn
        grams, xtys = _without_constants(*resampled_terms(counts, xc, yc))
        values, vectors = np.linalg.eigh(grams)  # all resamples at once
        boot = np.array([nnls(*_solve_terms(v, w, c))[0] for v, w, c in zip(values, vectors, xtys, strict=True)])
    return Fit(n, slopes, r2, p_value, permutations, boot)


def resampled_terms(counts: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``counts`` (B, n), how often each pair is drawn into a resample: the centred Gram
    matrix X'X (B, k, k) and X'y (B, k) of that resample, without building it."""
    n = counts.sum(axis=1)[:, None]
    sx, sy = counts @ x, counts @ y
    grams = np.einsum("bn,ni,nj->bij", counts, x, x, optimize=True) - np.einsum("bi,bj->bij", sx, sx / n)
    return grams, counts @ (x * y[:, None]) - sx * (sy[:, None] / n)


def interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> np.ndarray:
    """Percentile interval of each column of ``samples`` (B, k): an array (k, 2) of low and high ends."""
    tail = (1 - confidence) / 2 * 100
    return np.percentile(samples, [tail, 100 - tail], axis=0).T
