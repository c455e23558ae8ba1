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
def keep_order(
    order: np.ndarray,
    sorted_values: np.ndarray,
    size: int,
    rows: np.ndarray,
    vals: np.ndarray,
    n: int,
    index: np.ndarray,
    fixed: bool,
    scratch: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> int:
    """``ranks.SortedRows.update`` in place: the members sorted by value, kept from last time.

    ``order[:size]``/``sorted_values[:size]``: last call's member rows in ascending value and
    their values (buffers of room for every member). The members now are ``rows[:n]``
    (ascending) with values ``vals[:n]``; ``index[r]`` is row ``r``'s member number, or -1.
    Members still present whose value did not change (with ``fixed``: every member still
    present) keep their order; the others are sorted and merged in, from the back, so the
    buffers need no copy. ``scratch``: ``placed`` (all false, left so), fresh rows and
    values, each of length ``n`` at least. Returns the new size, ``n``; then
    ``sorted_values[:n]`` equals ``np.sort(vals[:n])``.
    """
    placed, fresh_r, fresh_v = scratch
    n_rows = index.size
    m = 0
    for j in range(size):
        r = order[j]
        if r < n_rows:
            p = index[r]
            if p >= 0 and (fixed or vals[p] == sorted_values[j]):
                order[m] = r
                sorted_values[m] = sorted_values[j]
                placed[p] = True
                m += 1
    f = 0
    for p in range(n):
        if placed[p]:
            placed[p] = False
        else:
            fresh_r[f] = rows[p]
            fresh_v[f] = vals[p]
            f += 1
    by = np.argsort(fresh_v[:f])
    a, b, j = m, f, n
    while b > 0:  # merge the two sorted runs from the back: ties keep the kept ones first
        j -= 1
        fb = by[b - 1]
        if a > 0 and sorted_values[a - 1] > fresh_v[fb]:
            a -= 1
            order[j], sorted_values[j] = order[a], sorted_values[a]
        else:
            b -= 1
            order[j], sorted_values[j] = fresh_r[fb], fresh_v[fb]
    return n


@kernel
def ranks_into(
    order: np.ndarray, sorted_values: np.ndarray, n: int, index: np.ndarray, out: np.ndarray
) -> None:
    """Average ranks (``scipy.stats.rankdata``) of the ``n`` sorted members, into ``out``.

    ``out[index[row]]`` gets the rank of each member row: the members' own order.
    """
    i = 0
    while i < n:
        e = i + 1
        while e < n and sorted_values[e] == sorted_values[i]:
            e += 1
        r = (i + 1) + (e - i - 1) / 2  # first position (1-based) plus (count - 1) / 2
        for j in range(i, e):
            out[index[order[j]]] = r
        i = e


@helper
def _share_at(q: float, n: int, cum: np.ndarray) -> float:
    """``np.interp(q, p, share)`` with ``p = arange(n + 1) / n``, ``share = cum / cum[n]``.

    ``0 < q <= 1``; the two points around ``q`` are computed as numpy computes every point.
    """
    lo, hi = 0, n + 1
    while lo < hi:  # j = the last index with p[j] <= q
        mid = (lo + hi) >> 1
        if float(mid) / n <= q:
            lo = mid + 1
        else:
            hi = mid
    j = lo - 1
    pj = float(j) / n
    total = cum[n]
    if j == n or pj == q:
        return cum[j] / total
    sj = cum[j] / total
    slope = (cum[j + 1] / total - sj) / (float(j + 1) / n - pj)
    return slope * (q - pj) + sj


@kernel
def gini_and_top_shares(s: np.ndarray, q1: float, q2: float) -> tuple[float, float, float]:
    """``metrics.gini_sorted(s)`` and ``metrics.top_shares_sorted(s, (q1, q2))``.

    The gap-sum Gini with numpy's sums; the top shares from the cumulative sum of the values
    scaled by the largest, richest first (``np.cumsum``'s order).
    """
    n = s.size
    if n == 0 or not s[n - 1] > 0:
        return np.nan, np.nan, np.nan
    top = s[n - 1]
    x = np.empty(n)
    for i in range(n):
        x[i] = s[i] / top
    wd = np.empty(n - 1)
    for k in range(1, n):
        kf = float(k)
        wd[k - 1] = (kf * (n - kf)) * (x[k] - x[k - 1])
    gini = pairwise_sum(wd) / (n * pairwise_sum(x))
    cum = np.empty(n + 1)
    cum[0] = 0.0
    acc = 0.0
    for i in range(n):
        acc += x[n - 1 - i]
        cum[i + 1] = acc
    return gini, _share_at(q1, n, cum), _share_at(q2, n, cum)


@kernel
def rank_correlation(ra: np.ndarray, rb: np.ndarray) -> float:
    """``metrics.rank_correlation``: Pearson correlation of two rank vectors, numpy's sums."""
    n = ra.size
    ma = pairwise_sum(ra) / n
    mb = pairwise_sum(rb) / n
    ab = np.empty(n)
    aa = np.empty(n)
    bb = np.empty(n)
    for i in range(n):
        a = ra[i] - ma
        b = rb[i] - mb
        ab[i] = a * b
        aa[i] = a * a
        bb[i] = b * b
    r = pairwise_sum(ab) / math.sqrt(pairwise_sum(aa) * pairwise_sum(bb))
    return 1.0 if r > 1.0 else -1.0 if r < -1.0 else r


@helper
def _spearman(rank: np.ndarray, srt: np.ndarray, other: np.ndarray, other_srt: np.ndarray) -> float:
    """``observation._rank_corr`` given both sides' ranks and sorted values."""
    n = srt.size
    if n < 3 or srt[0] == srt[n - 1] or other_srt[0] == other_srt[n - 1]:
        return np.nan
    return rank_correlation(rank, other)


@kernel
def observe(
    fl: tuple[np.ndarray, ...],
    client_active: np.ndarray,
    star_counts: np.ndarray,
    rating_par: np.ndarray,
    orders: np.ndarray,
    values: np.ndarray,
    sizes: np.ndarray,
) -> tuple[int, float, float, float, float, float, float, float, int, int, float, float, float]:
    """``observation.compute_metrics``'s computed columns (those not read off the week's tallies).

    ``fl``: the freelancer columns active, earnings (cents), earnings_early, expertise0,
    stars_sum, n_reviews, top_rated, jobs_completed, rate. ``rating_par``: rule (0 mean, 1
    bayesian), prior mean, prior weight, rounding scale (0: none), as
    ``reviews.displayed_rating``. ``orders``/``values``/``sizes``: the kept orders of
    earnings, innate expertise, first-year and later earnings (``ranks.KeptOrders``), updated
    in place. Returns freelancers_active, gini_earnings, top1_share, top10_share,
    share_never_hired, mean_rating, share_five_star, merit_spearman, n_top_rated,
    clients_active, mean_rate, share_top_rated, early_late_spearman.
    """
    active, earnings, early_cents, expertise0 = fl[0], fl[1], fl[2], fl[3]
    n_rows = active.size
    index = np.empty(n_rows, dtype=np.int64)  # row -> member number, -1 if not a member
    act = np.empty(n_rows, dtype=np.int64)
    n = 0
    for r in range(n_rows):
        if active[r]:
            index[r] = n
            act[n] = r
            n += 1
        else:
            index[r] = -1
    earn = np.empty(n)
    expertise = np.empty(n)
    for i in range(n):
        earn[i] = earnings[act[i]] / 100.0  # as the numpy code divides by CENTS
        expertise[i] = expertise0[act[i]]
    mean_rating, n_top, n_never, mean_rate = _active_means(act[:n], fl, rating_par)
    scratch = (np.zeros(n, dtype=np.bool_), np.empty(n, dtype=np.int64), np.empty(n))
    e_rank, x_rank = np.empty(n), np.empty(n)
    sizes[0] = keep_order(orders[0], values[0], sizes[0], act, earn, n, index, False, scratch)
    sizes[1] = keep_order(orders[1], values[1], sizes[1], act, expertise, n, index, True, scratch)
    ranks_into(orders[0], values[0], n, index, e_rank)
    ranks_into(orders[1], values[1], n, index, x_rank)
    e_sorted = values[0, :n]
    gini, top1, top10 = gini_and_top_shares(e_sorted, 0.01, 0.10)
    merit = _spearman(x_rank, values[1, :n], e_rank, e_sorted)
    early_late = _early_late(act[:n], index, earnings, early_cents, orders, values, sizes, scratch)
    total = 0
    for k in range(star_counts.size):
        total += star_counts[k]
    n_clients = 0
    for r in range(client_active.size):
        n_clients += client_active[r]
    return (
        n,
        gini,
        top1,
        top10,
        n_never / n if n else np.nan,
        mean_rating,
        star_counts[5] / total if total else np.nan,
        merit,
        n_top,
        n_clients,
        mean_rate,
        n_top / n if n else np.nan,
        early_late,
    )


@kernel
def _early_late(
    act: np.ndarray,
    index: np.ndarray,
    earnings: np.ndarray,
    early_cents: np.ndarray,
    orders: np.ndarray,
    values: np.ndarray,
    sizes: np.ndarray,
    scratch: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> float:
    """Rank correlation of first-year and later earnings of the active with a first year.

    NaN (and the kept orders left as they are) with fewer than ten such. ``index``: row ->
    member number of the active, reused here for the rows with a first year.
    """
    n = act.size
    m = 0
    for i in range(n):
        m += early_cents[act[i]] >= 0
    if m < 10:
        return np.nan
    rows = np.empty(m, dtype=np.int64)
    early = np.empty(m)
    late = np.empty(m)
    k = 0
    for i in range(n):
        r = act[i]
        if early_cents[r] >= 0:
            rows[k] = r
            early[k] = float(early_cents[r])
            late[k] = float(earnings[r] - early_cents[r])
            index[r] = k
            k += 1
        else:
            index[r] = -1
    sizes[3] = keep_order(orders[3], values[3], sizes[3], rows, late, m, index, False, scratch)
    sizes[2] = keep_order(orders[2], values[2], sizes[2], rows, early, m, index, True, scratch)
    a_rank, l_rank = np.empty(m), np.empty(m)
    ranks_into(orders[2], values[2], m, index, a_rank)
    ranks_into(orders[3], values[3], m, index, l_rank)
    return _spearman(a_rank, values[2, :m], l_rank, values[3, :m])


@kernel
def _active_means(
    act: np.ndarray, fl: tuple[np.ndarray, ...], rating_par: np.ndarray
) -> tuple[float, int, int, float]:
    """Mean displayed rating, Top Rated count, never-hired count, mean rate of the active."""
    stars_sum, n_reviews, top_rated, jobs_completed, rate = fl[4], fl[5], fl[6], fl[7], fl[8]
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
