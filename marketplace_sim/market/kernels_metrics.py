"""Compiled weekly metrics (numba): ``observation.compute_metrics``'s rank-based part in one call.

Sums are numpy's pairwise summation, replicated (:func:`pairwise_sum`: the same blocks of
eight, the same order, so the same last bit as ``ndarray.sum``); sorts only order values
(the metrics read sorted values and average ranks, which do not depend on how ties are
ordered); ``np.interp`` is replicated with numpy's formula. So the metrics are the numbers
``marketplace_sim.metrics`` computes; ``tests/test_perf_jit.py`` checks whole runs.
"""

from __future__ import annotations

import math

import numpy as np

from marketplace_sim.market.jit import helper, kernel

_PW_BLOCK = 128  # numpy's PW_BLOCKSIZE


@helper
def _pairwise_block(a: np.ndarray, lo: int, n: int) -> float:
    """Numpy's ``pairwise_sum`` of ``a[lo:lo + n]`` for ``n <= 128``: eight running sums."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    m = n - (n % 8)
    while i < m:
        j = lo + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@kernel
def _pairwise(a: np.ndarray, lo: int, n: int) -> float:
    """Numpy's recursive halving (halves rounded down to a multiple of eight), as a loop.

    ``sum(lo, n) = sum(lo, n2) + sum(lo + n2, n - n2)`` with ``n2 = n // 2 - (n // 2) % 8``
    until ``n <= 128``, evaluated left before right with an explicit stack (numba does not
    cache recursive functions reliably).
    """
    if n <= _PW_BLOCK:
        return _pairwise_block(a, lo, n)
    starts = np.empty(64, dtype=np.int64)
    sizes = np.empty(64, dtype=np.int64)
    phase = np.empty(64, dtype=np.int64)  # 0: not started, 1: left done, 2: both done
    left = np.empty(64)
    starts[0], sizes[0], phase[0] = lo, n, 0
    top = 0
    ret = 0.0
    while top >= 0:
        s, m = starts[top], sizes[top]
        half = m // 2
        half -= half % 8
        if phase[top] == 0:
            if m <= _PW_BLOCK:
                ret = _pairwise_block(a, s, m)
                top -= 1
            else:
                phase[top] = 1
                top += 1
                starts[top], sizes[top], phase[top] = s, half, 0
        elif phase[top] == 1:
            left[top] = ret
            phase[top] = 2
            top += 1
            starts[top], sizes[top], phase[top] = s + half, m - half, 0
        else:
            ret = left[top] + ret
            top -= 1
    return ret


@kernel
def pairwise_sum(a: np.ndarray) -> float:
    """``float(a.sum())`` for a 1-D float64 array, bit for bit (numpy adds to the identity 0)."""
    return 0.0 + _pairwise(a, 0, a.size)


@kernel
def update_order(
    order: np.ndarray,
    sorted_values: np.ndarray,
    rows: np.ndarray,
    values: np.ndarray,
    n_rows: int,
    fixed: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """``ranks.SortedRows.update`` in one pass: the members sorted by value, kept from last week.

    ``order``/``sorted_values``: last call's member rows in ascending value and their values.
    Members still present whose value did not change (with ``fixed``: every member still
    present) keep their order; the others are sorted and merged in. Returns the new pair,
    whose values equal ``np.sort(values)``.
    """
    member = np.zeros(n_rows, dtype=np.bool_)
    value_of = np.empty(n_rows)
    for i in range(rows.size):
        member[rows[i]] = True
        value_of[rows[i]] = values[i]
    kept = np.empty(order.size, dtype=np.int64)
    kept_v = np.empty(order.size)
    m = 0
    for j in range(order.size):
        r = order[j]
        if r < n_rows and member[r] and (fixed or value_of[r] == sorted_values[j]):
            kept[m] = r
            kept_v[m] = sorted_values[j]
            m += 1
            member[r] = False  # placed; the members still marked are (re)inserted
    fresh = np.empty(rows.size - m, dtype=np.int64)
    f = 0
    for i in range(rows.size):
        if member[rows[i]]:
            fresh[f] = rows[i]
            f += 1
    fresh_v = np.empty(f)
    for i in range(f):
        fresh_v[i] = value_of[fresh[i]]
    by = np.argsort(fresh_v)
    out = np.empty(rows.size, dtype=np.int64)
    out_v = np.empty(rows.size)
    a = b = 0
    for j in range(rows.size):  # merge the two sorted runs
        if b == f or (a < m and kept_v[a] <= fresh_v[by[b]]):
            out[j], out_v[j] = kept[a], kept_v[a]
            a += 1
        else:
            out[j], out_v[j] = fresh[by[b]], fresh_v[by[b]]
            b += 1
    return out, out_v


@kernel
def ranks_of(
    order: np.ndarray, sorted_values: np.ndarray, rows: np.ndarray, n_rows: int
) -> np.ndarray:
    """Average ranks (``scipy.stats.rankdata``) of ``rows``, given the sorted members."""
    n = order.size
    rank_of = np.empty(n_rows)
    i = 0
    while i < n:
        e = i + 1
        while e < n and sorted_values[e] == sorted_values[i]:
            e += 1
        r = (i + 1) + (e - i - 1) / 2  # first position (1-based) plus (count - 1) / 2
        for j in range(i, e):
            rank_of[order[j]] = r
        i = e
    out = np.empty(rows.size)
    for i in range(rows.size):
        out[i] = rank_of[rows[i]]
    return out


@kernel
def gini_sorted(s: np.ndarray) -> float:
    """``metrics.gini_sorted``: the gap-sum form, numpy's sums."""
    n = s.size
    if n == 0 or not s[n - 1] > 0:
        return np.nan
    top = s[n - 1]
    x = np.empty(n)
    for i in range(n):
        x[i] = s[i] / top
    wd = np.empty(n - 1)
    for k in range(1, n):
        kf = float(k)
        wd[k - 1] = (kf * (n - kf)) * (x[k] - x[k - 1])
    return pairwise_sum(wd) / (n * pairwise_sum(x))


@helper
def _interp(q: float, p: np.ndarray, share: np.ndarray) -> float:
    """``np.interp(q, p, share)`` for ``p`` increasing and ``p[0] <= q <= p[-1]``."""
    lo, hi = 0, p.size
    while lo < hi:  # j = the last index with p[j] <= q
        mid = (lo + hi) >> 1
        if p[mid] <= q:
            lo = mid + 1
        else:
            hi = mid
    j = lo - 1
    if j == p.size - 1 or p[j] == q:
        return share[j]
    slope = (share[j + 1] - share[j]) / (p[j + 1] - p[j])
    return slope * (q - p[j]) + share[j]


@kernel
def top_shares_sorted(s: np.ndarray, q1: float, q2: float) -> tuple[float, float]:
    """``metrics.top_shares_sorted(s, (q1, q2))``."""
    n = s.size
    if n == 0 or not s[n - 1] > 0:
        return np.nan, np.nan
    top = s[n - 1]
    cum = np.empty(n + 1)
    cum[0] = 0.0
    acc = 0.0
    for i in range(n):
        acc += s[n - 1 - i] / top
        cum[i + 1] = acc
    p = np.empty(n + 1)
    share = np.empty(n + 1)
    for i in range(n + 1):
        p[i] = float(i) / n
        share[i] = cum[i] / cum[n]
    return _interp(q1, p, share), _interp(q2, p, share)


@kernel
def rank_correlation(ra: np.ndarray, rb: np.ndarray) -> float:
    """``metrics.rank_correlation``: Pearson correlation of two rank vectors, numpy's sums."""
    n = ra.size
    ma = pairwise_sum(ra) / n
    mb = pairwise_sum(rb) / n
    a = np.empty(n)
    b = np.empty(n)
    for i in range(n):
        a[i] = ra[i] - ma
        b[i] = rb[i] - mb
    ab = np.empty(n)
    aa = np.empty(n)
    bb = np.empty(n)
    for i in range(n):
        ab[i] = a[i] * b[i]
        aa[i] = a[i] * a[i]
        bb[i] = b[i] * b[i]
    r = pairwise_sum(ab) / math.sqrt(pairwise_sum(aa) * pairwise_sum(bb))
    return 1.0 if r > 1.0 else -1.0 if r < -1.0 else r


@kernel
def _spearman_of_ranks(
    rank: np.ndarray, srt: np.ndarray, other_rank: np.ndarray, other_sorted: np.ndarray
) -> float:
    """``observation._rank_corr`` given both sides' ranks and sorted values."""
    if srt.size < 3 or srt[0] == srt[srt.size - 1] or other_sorted[0] == other_sorted[-1]:
        return np.nan
    return rank_correlation(rank, other_rank)


@kernel
def concentration(
    act: np.ndarray,
    earnings: np.ndarray,
    earnings_early: np.ndarray,
    expertise0: np.ndarray,
    orders: tuple[np.ndarray, ...],
) -> tuple[tuple[float, float, float, float, float], tuple[np.ndarray, ...]]:
    """``observation._concentration``: Gini, top 1 % and 10 % shares, the two Spearmans.

    ``orders``: last week's (order, sorted values) of earnings, innate expertise, first-year
    and later earnings (``ranks.SortedRows`` states), returned updated after the metrics.
    Earnings in cents (``/ 100`` as the numpy code divides by ``CENTS``).
    """
    n, n_rows = act.size, earnings.size
    earn = np.empty(n)
    expertise = np.empty(n)
    n_early = 0
    for i in range(n):
        r = act[i]
        earn[i] = earnings[r] / 100.0
        expertise[i] = expertise0[r]
        n_early += earnings_early[r] >= 0
    e_order, e_sorted = update_order(orders[0], orders[1], act, earn, n_rows, False)
    x_order, x_sorted = update_order(orders[2], orders[3], act, expertise, n_rows, True)
    e_rank = ranks_of(e_order, e_sorted, act, n_rows)
    x_rank = ranks_of(x_order, x_sorted, act, n_rows)
    top1, top10 = top_shares_sorted(e_sorted, 0.01, 0.10)
    merit = _spearman_of_ranks(x_rank, x_sorted, e_rank, e_sorted)
    early_late = np.nan
    a_order, a_sorted, l_order, l_sorted = orders[4], orders[5], orders[6], orders[7]
    if n_early >= 10:
        rows = np.empty(n_early, dtype=np.int64)
        early = np.empty(n_early)
        late = np.empty(n_early)
        m = 0
        for i in range(n):
            r = act[i]
            if earnings_early[r] >= 0:
                rows[m] = r
                early[m] = float(earnings_early[r])
                late[m] = float(earnings[r] - earnings_early[r])
                m += 1
        l_order, l_sorted = update_order(l_order, l_sorted, rows, late, n_rows, False)
        a_order, a_sorted = update_order(a_order, a_sorted, rows, early, n_rows, True)
        early_late = _spearman_of_ranks(
            ranks_of(a_order, a_sorted, rows, n_rows),
            a_sorted,
            ranks_of(l_order, l_sorted, rows, n_rows),
            l_sorted,
        )
    metrics = (gini_sorted(e_sorted), top1, top10, merit, early_late)
    return metrics, (e_order, e_sorted, x_order, x_sorted, a_order, a_sorted, l_order, l_sorted)


@kernel
def active_means(
    act: np.ndarray,
    stars_sum: np.ndarray,
    n_reviews: np.ndarray,
    top_rated: np.ndarray,
    jobs_completed: np.ndarray,
    rate: np.ndarray,
    rating_par: np.ndarray,
) -> tuple[float, int, int, float]:
    """Mean displayed rating, Top Rated count, never-hired count, mean rate of the active.

    ``rating_par``: rule (0 mean, 1 bayesian), prior mean, prior weight, rounding scale
    (0: none), as ``reviews.displayed_rating`` and ``platform.rating_precision``.
    """
    n = act.size
    bayes, prior_mean, prior_weight, scale = (
        rating_par[0] == 1,
        rating_par[1],
        rating_par[2],
        rating_par[3],
    )
    ratings = np.empty(n)
    rates = np.empty(n)
    m = 0
    n_top = 0
    n_never = 0
    for i in range(n):
        r = act[i]
        rates[i] = rate[r]
        n_top += top_rated[r]
        n_never += jobs_completed[r] == 0
        k = float(n_reviews[r])
        if k > 0:
            if bayes:
                x = (prior_mean * prior_weight + float(stars_sum[r])) / (prior_weight + k)
            else:
                x = float(stars_sum[r]) / k
            if scale > 0:
                x = np.floor(x * scale + (0.5 + 1e-9)) / scale
            ratings[m] = x
            m += 1
    mean_rating = pairwise_sum(ratings[:m]) / m if m else np.nan
    mean_rate = pairwise_sum(rates) / n if n else np.nan
    return mean_rating, n_top, n_never, mean_rate
