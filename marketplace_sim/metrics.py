"""Inequality, predictability and summary measures for marketplace-sim outputs.

This module is deliberately pure: it imports only numpy and scipy (never Mesa), so that
analysis notebooks, experiment scripts and tests can use it without building a model.
Every function takes array-like input and returns plain Python floats or numpy arrays.

Conventions shared by all functions:

* "Undefined" results (empty input, a total of zero, a constant variable in a correlation)
  are returned as ``nan`` rather than raised, because they occur legitimately in
  simulation output (e.g. a world in which no job was ever completed) and aggregating code
  should be able to skip them with ``nan``-aware reductions.
* Malformed input (negative values where a distribution of non-negative quantities is
  expected, NaN or infinite entries, wrong dimensionality, mismatched lengths) raises
  ``ValueError``, because it signals a bug upstream, not an outcome of the model.
"""

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "average_ranks",
    "ccdf",
    "gini",
    "gini_sorted",
    "lorenz",
    "mean_ci",
    "rank_correlation",
    "ranks_of_sorted",
    "share_never",
    "spearman",
    "standardized_coefficients",
    "top_share",
    "top_shares_sorted",
    "unpredictability",
]


def _nonnegative_1d(x: ArrayLike, name: str = "x") -> np.ndarray:
    """Validate and convert a 1-D array of finite, non-negative values to float64.

    Args:
        x: Values to validate.
        name: Argument name used in error messages.

    Returns:
        A float64 copy-or-view of ``x``.

    Raises:
        ValueError: If ``x`` is not 1-D, contains NaN/inf, or contains negative values.
    """
    # float64 up front: integer inputs (job counts) would otherwise overflow in i * x_(i).
    arr = _finite_1d(x, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")
    return arr


def _finite_1d(x: ArrayLike, name: str) -> np.ndarray:
    """Validate and convert a 1-D array of finite values to float64.

    Args:
        x: Values to validate.
        name: Argument name used in error messages.

    Returns:
        A float64 copy-or-view of ``x``.

    Raises:
        ValueError: If ``x`` is not 1-D or contains NaN/inf.
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    return arr


def _sorted_scaled(arr: np.ndarray) -> np.ndarray:
    """Return ``arr`` sorted ascending and divided by its maximum.

    Every measure that uses this is scale invariant, so dividing by the maximum changes
    nothing mathematically but keeps sums far from float64 overflow for huge inputs.
    The caller must ensure the maximum is positive.
    """
    s = np.sort(arr)
    return s / s[-1]


def _pairwise_gap_sum(s: np.ndarray) -> np.ndarray:
    """Sum of ``|a - b|`` over all unordered pairs, for values sorted along axis 0.

    For ascending ``s_(1..n)`` the textbook identity is
    ``sum_{j<k} (s_(k) - s_(j)) = sum_k (2k - n - 1) s_(k)``. We use the equivalent
    ``sum_{k=1}^{n-1} k (n - k) (s_(k+1) - s_(k))``: the gap between neighbours k and k+1
    is crossed by exactly ``k (n - k)`` pairs. Every term is non-negative, so the result is
    never negative, identical values give exactly 0, and there is no cancellation between
    large positive and negative terms. (``k (n - k)`` is an exact float64 integer for n < 1e8.)

    Args:
        s: Array sorted ascending along axis 0 (1-D, or 2-D with one column per item).

    Returns:
        A scalar for 1-D input, one sum per column for 2-D input.
    """
    n = s.shape[0]
    k = np.arange(1, n, dtype=np.float64)
    w, d = k * (n - k), np.diff(s, axis=0)
    # Elementwise product and numpy's pairwise sum, not a BLAS dot: BLAS splits the sum by
    # thread count, so the last digit would depend on the machine's cores.
    return (w * d).sum() if d.ndim == 1 else (w[:, None] * d).sum(axis=0)


def gini(x: ArrayLike) -> float:
    """Gini coefficient of non-negative values (zeros included).

    Uses the sorted-values form ``G = 2 * sum_i i * x_(i) / (n * sum x) - (n + 1) / n``
    (``i = 1..n``, ``x_(i)`` ascending), which is O(n log n) and equals the plug-in
    mean-absolute-difference estimator ``sum_ij |x_i - x_j| / (2 n^2 mean)``. It is the
    population (not bias-corrected) Gini, so its maximum for ``n`` holders is ``1 - 1/n``.

    Args:
        x: 1-D array-like of non-negative values, e.g. lifetime earnings per freelancer.
            Zeros (freelancers who never earned) are part of the distribution.

    Returns:
        The Gini coefficient in ``[0, 1 - 1/n]``, or ``nan`` when ``x`` is empty or sums
        to 0 (inequality of nothing is undefined).

    Raises:
        ValueError: If ``x`` is not 1-D or contains negative, NaN or infinite values.
    """
    return gini_sorted(np.sort(_nonnegative_1d(x)))


def gini_sorted(s: np.ndarray) -> float:
    """:func:`gini` of values already sorted ascending (and valid: finite, non-negative).

    For callers that sort once for several measures (the model's weekly metrics); the
    result is identical to ``gini(s)``.
    """
    n = s.size
    if n == 0 or not s[-1] > 0:
        return float("nan")
    s = s / s[-1]
    # Algebraically identical to the formula in the docstring (see _pairwise_gap_sum), but
    # as a sum of non-negative terms: the textbook form subtracts two O(1) quantities and
    # loses digits for near-equal data, and can even come out slightly negative.
    return float(_pairwise_gap_sum(s) / (n * s.sum()))


def lorenz(x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve of non-negative values.

    Args:
        x: 1-D array-like of non-negative values.

    Returns:
        ``(p, L)``: ``p[k] = k / n`` is the population share of the ``k`` poorest holders
        and ``L[k]`` their cumulative share of the total, for ``k = 0..n`` (length
        ``n + 1``). Both start at exactly 0.0 and end at exactly 1.0. If the total is 0 the
        equality line ``L = p`` is returned; for empty input the two-point equality line
        ``([0, 1], [0, 1])`` is returned, so plotting code never needs a special case.

    Raises:
        ValueError: If ``x`` is not 1-D or contains negative, NaN or infinite values.
    """
    arr = _nonnegative_1d(x)
    n = arr.size
    if n == 0:
        line = np.array([0.0, 1.0])
        return line, line.copy()
    p = np.arange(n + 1, dtype=np.float64) / n
    if not np.any(arr > 0):
        return p, p.copy()
    cum = np.cumsum(_sorted_scaled(arr))
    # Divide by the cumulative sum's own last element (not a separately computed sum) so
    # that L[-1] is exactly 1.0 and the curve is exactly non-decreasing.
    L = np.concatenate(([0.0], cum / cum[-1]))
    return p, L


def top_share(x: ArrayLike, q: float) -> float:
    """Share of the total held by the top fraction ``q`` of holders.

    Defined as ``1 - L(1 - q)`` with ``L`` the Lorenz curve linearly interpolated between
    its points ``k / n``, so a fractional head-count ``q * n`` receives the matching
    fraction of the next holder. Consequences: equal values give exactly ``q``; one holder
    of everything among ``n`` gives ``min(1, q * n)``; the result is continuous and
    non-decreasing in ``q`` and equals 1 at ``q = 1``.

    Args:
        x: 1-D array-like of non-negative values.
        q: Fraction of holders at the top, ``0 < q <= 1`` (e.g. 0.01 for the top 1%).

    Returns:
        The top-``q`` share in ``[q, 1]``, or ``nan`` if ``x`` is empty or sums to 0.

    Raises:
        ValueError: If ``q`` is not in ``(0, 1]`` or ``x`` is invalid (see :func:`gini`).
    """
    return top_shares_sorted(np.sort(_nonnegative_1d(x)), (q,))[0]


def top_shares_sorted(s: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """:func:`top_share` for several ``qs`` of values already sorted ascending (and valid).

    The results are identical to ``[top_share(s, q) for q in qs]``, for one cumulative sum.
    """
    qs = tuple(float(q) for q in qs)
    for q in qs:
        if not 0.0 < q <= 1.0:  # also rejects NaN
            raise ValueError(f"q must satisfy 0 < q <= 1, got {q!r}")
    n = s.size
    if n == 0 or not s[-1] > 0:
        return [float("nan")] * len(qs)
    # Interpolate the "richest first" cumulative share at q instead of evaluating
    # 1 - L(1 - q): the two are equal in exact arithmetic, but this form avoids the
    # cancellation in 1 - (1 - q), so equal values return q to the last bit.
    desc = (s / s[-1])[::-1]
    cum = np.concatenate(([0.0], np.cumsum(desc)))
    p = np.arange(n + 1, dtype=np.float64) / n
    share = cum / cum[-1]
    return [float(np.interp(q, p, share)) for q in qs]


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman rank correlation with average ranks for ties.

    Computed as the Pearson correlation of ``scipy.stats.rankdata`` ranks; O(n log n), so
    1e6 pairs take well under a second.

    Args:
        x: 1-D array-like of finite values.
        y: 1-D array-like of finite values, same length as ``x``.

    Returns:
        The rank correlation in ``[-1, 1]``, or ``nan`` when ``n < 3`` (any two distinct
        points are perfectly rank-correlated, so the value carries no information) or
        when either variable is constant (correlation undefined).

    Raises:
        ValueError: If the inputs are not 1-D, differ in length, or contain NaN/inf.
    """
    a = _finite_1d(x, "x")
    b = _finite_1d(y, "y")
    if a.size != b.size:
        raise ValueError(f"x and y must have the same length, got {a.size} and {b.size}")
    # Decide constancy on the raw values with an exact test; a tolerance on the rank
    # variance would be arbitrary, and ranks of a constant vector are exactly constant.
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return rank_correlation(average_ranks(a), average_ranks(b))


def average_ranks(x: ArrayLike) -> np.ndarray:
    """Ranks 1..n, ties sharing the mean of their positions: ``scipy.stats.rankdata(x)``.

    Identical values to scipy's (ranks are integers or halves, exact in float64), but with
    numpy's default sort instead of a stable one, which the average makes unnecessary.
    """
    a = np.asarray(x)
    order = np.argsort(a)
    ranks = np.empty(a.size, dtype=np.float64)
    ranks[order] = ranks_of_sorted(a[order])
    return ranks


def ranks_of_sorted(s: np.ndarray) -> np.ndarray:
    """Average ranks (as :func:`average_ranks`) of values sorted ascending, in that order."""
    n = s.size
    first = np.ones(n, dtype=bool)
    np.not_equal(s[1:], s[:-1], out=first[1:])
    start = np.flatnonzero(first)
    if start.size == n:
        return np.arange(1, n + 1, dtype=np.float64)
    counts = np.empty_like(start)
    np.subtract(start[1:], start[:-1], out=counts[:-1])
    counts[-1] = n - start[-1]
    # scipy's "average": the first position (1-based) plus (count - 1) / 2, exact.
    return np.repeat((start + 1) + (counts - 1) / 2, counts)


def rank_correlation(ra: np.ndarray, rb: np.ndarray) -> float:
    """Pearson correlation of two rank vectors: :func:`spearman` once the ranks are known.

    Both must be non-constant and of equal length (``spearman`` returns NaN otherwise). The
    inputs are not modified.
    """
    ra = ra - ra.sum() / ra.size  # = ra.mean(), without its overhead
    rb = rb - rb.sum() / rb.size
    # Sums of products, not BLAS dots, so that the result does not depend on the thread count.
    r = float((ra * rb).sum() / np.sqrt((ra * ra).sum() * (rb * rb).sum()))
    # Rounding can push |r| a hair above 1 for perfectly monotone data (np.clip, without the
    # cost of a ufunc call on a scalar).
    return 1.0 if r > 1.0 else -1.0 if r < -1.0 else r


def unpredictability(shares: ArrayLike) -> float:
    """Unpredictability U of Salganik, Dodds & Watts (2006) across replicate worlds.

    Reference: "Experimental study of inequality and unpredictability in an artificial
    cultural market", Science 311, 854-856.

    ``U_i = sum_{j<k} |m_ij - m_ik| / C(W, 2)`` is the mean absolute difference of item
    ``i``'s market share over all unordered pairs of independent worlds, and ``U`` is the
    mean of ``U_i`` over items. It is 0 when every world produces the same shares. The
    pairwise sum is computed from each column's sorted values, as
    ``sum_k (2k - W - 1) m_(k)`` would, in O(N W log W) instead of O(N W^2).

    Args:
        shares: 2-D array-like, shape ``(W, N)``: rows are worlds (replicate runs from the
            same initial conditions, ``W >= 2``), columns are items (e.g. freelancers);
            entries are market shares, normally each row's counts divided by the row total.
            The function does not normalise rows: pass shares, not raw counts.

    Returns:
        U (non-negative), or ``nan`` if there are no items (``N == 0``).

    Raises:
        ValueError: If ``shares`` is not 2-D, has fewer than 2 rows, or contains NaN/inf.
    """
    m = np.asarray(shares, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"shares must be 2-D (worlds x items), got shape {m.shape}")
    w, n_items = m.shape
    if w < 2:
        raise ValueError(f"unpredictability needs at least 2 worlds (rows), got {w}")
    if not np.all(np.isfinite(m)):
        raise ValueError("shares must not contain NaN or infinite values")
    if n_items == 0:
        return float("nan")
    s = np.sort(m, axis=0)
    u_items = _pairwise_gap_sum(s) / (w * (w - 1) / 2.0)
    return float(u_items.mean())


def ccdf(x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Empirical complementary CDF of the positive values, for log-log plots.

    Zeros are dropped before anything is computed, so the probabilities are conditional
    on ``X > 0`` and the first one is 1.0 (use :func:`share_never` for the mass at zero).
    Dropping them is what makes the curve drawable on logarithmic axes.

    Args:
        x: 1-D array-like of non-negative values.

    Returns:
        ``(v, p)``: the sorted unique positive values ``v`` and ``p[k] = P(X >= v[k] | X > 0)``,
        a strictly decreasing array starting at 1.0 and ending at ``count(max) / count(X > 0)``.
        Both are empty if there is no positive value.

    Raises:
        ValueError: If ``x`` is not 1-D or contains negative, NaN or infinite values.
    """
    arr = _nonnegative_1d(x)
    pos = arr[arr > 0]
    if pos.size == 0:
        return np.empty(0), np.empty(0)
    v, counts = np.unique(pos, return_counts=True)
    # Number of observations >= v[k] is the reverse cumulative count; integers keep it exact.
    at_least = np.cumsum(counts[::-1])[::-1]
    return v, at_least / pos.size


def share_never(x: ArrayLike) -> float:
    """Share of entries equal to 0, e.g. freelancers who never got a job.

    Args:
        x: 1-D array-like of non-negative values.

    Returns:
        The fraction of zeros in ``[0, 1]``, or ``nan`` if ``x`` is empty.

    Raises:
        ValueError: If ``x`` is not 1-D or contains negative, NaN or infinite values.
    """
    arr = _nonnegative_1d(x)
    if arr.size == 0:
        return float("nan")
    return float(np.count_nonzero(arr == 0) / arr.size)


def mean_ci(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """Mean across replicates with a Student-t confidence interval.

    NaN entries (replicates where the measure was undefined) are dropped first, and ``n``
    below counts only the remaining values.

    Args:
        values: 1-D array-like of per-replicate values.
        level: Confidence level, ``0 < level < 1``.

    Returns:
        ``(mean, lo, hi)`` with ``lo, hi = mean -/+ t_{(1+level)/2, n-1} * s / sqrt(n)``
        (``s`` the sample standard deviation, ``ddof=1``). With one value
        ``lo = hi = mean`` (no spread can be estimated; the caller should not read it as
        certainty); with no values all three are ``nan``.

    Raises:
        ValueError: If ``level`` is not in ``(0, 1)`` or ``values`` is not 1-D.
    """
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must satisfy 0 < level < 1, got {level!r}")
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {arr.shape}")
    arr = arr[~np.isnan(arr)]
    n = arr.size
    if n == 0:
        nan = float("nan")
        return nan, nan, nan
    mean = float(arr.mean())
    if n == 1:
        return mean, mean, mean
    # The quantile through scipy.special, here and not at the top: scipy.stats.t.ppf calls
    # the same stdtrit (the same values, to the bit), but importing scipy.stats takes
    # 0.3-0.5 s more, paid once at the end of every sweep.
    from scipy.special import stdtrit

    half = float(stdtrit(n - 1, 0.5 + level / 2.0) * arr.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


def standardized_coefficients(X: ArrayLike, y: ArrayLike) -> np.ndarray:
    """OLS coefficients after z-scoring every column of ``X`` and ``y``.

    Standardised regression coefficients (SRC) are unit-free, so the effects of parameters
    on different scales can be compared; for independent inputs their squares approximate
    each input's share of the output variance. Because every column is centred, the
    intercept is exactly 0 and is not returned.

    Args:
        X: 2-D array-like ``(n, p)`` of predictors (a 1-D array is one predictor).
        y: 1-D array-like ``(n,)`` response.

    Returns:
        Array of ``p`` coefficients. A predictor whose values are all identical gets
        exactly 0 (it cannot explain anything). If ``y`` itself is constant all
        coefficients are ``nan`` (standardising by a zero deviation is undefined).
        Collinear predictors get the minimum-norm solution from ``numpy.linalg.lstsq``.

    Raises:
        ValueError: If shapes are inconsistent or any entry is NaN/inf.
    """
    xa = np.asarray(X, dtype=np.float64)
    if xa.ndim == 1:
        xa = xa[:, None]
    if xa.ndim != 2:
        raise ValueError(f"X must be 1-D or 2-D, got shape {xa.shape}")
    ya = _finite_1d(y, "y")
    n, p = xa.shape
    if ya.size != n:
        raise ValueError(f"X has {n} rows but y has {ya.size} values")
    if not np.all(np.isfinite(xa)):
        raise ValueError("X must not contain NaN or infinite values")
    if n == 0 or np.ptp(ya) == 0:
        return np.full(p, np.nan)
    # "Zero variance" is decided by exact equality of the values, not std == 0: the mean of
    # n copies of 0.1 is not exactly 0.1, so a constant column has a tiny non-zero std and
    # z-scoring it would amplify rounding noise into a spurious predictor.
    varying = np.ptp(xa, axis=0) > 0
    coef = np.zeros(p)
    if not np.any(varying):
        return coef
    xv = xa[:, varying]
    z_x = (xv - xv.mean(axis=0)) / xv.std(axis=0)
    z_y = (ya - ya.mean()) / ya.std()
    coef[varying] = np.linalg.lstsq(z_x, z_y, rcond=None)[0]
    return coef
