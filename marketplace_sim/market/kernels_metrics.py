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
def pairwise_on(a: np.ndarray, lo: int, n: int, stack: np.ndarray) -> float:
    """Numpy's sum of ``a[lo:lo + n]``: its recursive halving, as a loop on ``stack``.

    ``sum(lo, n) = sum(lo, n2) + sum(lo + n2, n - n2)`` with ``n2 = n // 2 - (n // 2) % 8``
    until ``n <= 128``, evaluated left before right with an explicit stack (numba does not
    cache recursive functions reliably). ``stack``: 256 floats of room (four per level:
    start, size, phase, left sum), the caller's, so that repeated sums allocate nothing.
    """
    if n <= _PW_BLOCK:
        return _pairwise_block(a, lo, n)
    stack[0], stack[1], stack[2] = lo, n, 0.0  # phase 0: not started, 1: left done, 2: both
    top = 0
    ret = 0.0
    while top >= 0:
        f = 4 * top
        s, m = int(stack[f]), int(stack[f + 1])
        half = m // 2
        half -= half % 8
        if stack[f + 2] == 0.0:
            if m <= _PW_BLOCK:
                ret = _pairwise_block(a, s, m)
                top -= 1
            else:
                stack[f + 2] = 1.0
                top += 1
                stack[f + 4], stack[f + 5], stack[f + 6] = s, half, 0.0
        elif stack[f + 2] == 1.0:
            stack[f + 3] = ret
            stack[f + 2] = 2.0
            top += 1
            stack[f + 4], stack[f + 5], stack[f + 6] = s + half, m - half, 0.0
        else:
            ret = stack[f + 3] + ret
            top -= 1
    return ret


@kernel
def pairwise_sum(a: np.ndarray) -> float:
    """``float(a.sum())`` for a 1-D float64 array, bit for bit (numpy adds to the identity 0)."""
    if a.size <= _PW_BLOCK:
        return 0.0 + _pairwise_block(a, 0, a.size)
    return 0.0 + pairwise_on(a, 0, a.size, np.empty(256))


@helper
def _value(slot: int, r: int, fl: tuple[np.ndarray, ...]) -> float:
    """Row ``r``'s value in kept order ``slot``, as the numpy code computes it.

    0: earnings in USD (cents / ``CENTS``), 1: innate expertise, 2: first-year earnings, 3:
    later earnings (cents, as floats). ``fl``: the columns of :func:`observe`.
    """
    if slot == 0:
        return fl[1][r] / 100.0
    if slot == 1:
        return fl[3][r]
    if slot == 2:
        return float(fl[2][r])
    return float(fl[1][r] - fl[2][r])


@kernel
def keep_order(
    kept: tuple[np.ndarray, np.ndarray],
    size: int,
    slot: int,
    fl: tuple[np.ndarray, ...],
    rows: np.ndarray,
    index: np.ndarray,
    n: int,
    scratch: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> int:
    """``ranks.SortedRows.update`` in place: the members sorted by value, kept from last time.

    ``kept``: last call's member rows in ascending value and their values, the first
    ``size`` valid (buffers of room for every member). Values: :func:`_value` of ``slot``.
    The ``n`` members now are the rows ``r`` of ``rows`` (ascending) with ``index[r] >= 0``,
    their member numbers ``0..n-1`` in that order. Members still present whose value did not
    change (slots 1 and 2, values fixed once a member: every member still present) keep
    their order; the others are sorted and merged in, from the back, so the buffers need no
    copy. ``scratch``: ``placed`` (all false, left so), fresh rows and values, each of room
    ``n``. Returns ``n``; then the first ``n`` values are sorted as ``np.sort`` sorts them.
    """
    order, sorted_values = kept
    placed, fresh_r, fresh_v = scratch
    fixed = slot == 1 or slot == 2
    n_rows = index.size
    m = 0
    for j in range(size):
        r = order[j]
        if r < n_rows:
            p = index[r]
            if p >= 0 and (fixed or _value(slot, r, fl) == sorted_values[j]):
                order[m] = r
                sorted_values[m] = sorted_values[j]
                placed[p] = True
                m += 1
    f = 0
    for i in range(rows.size):
        r = rows[i]
        p = index[r]
        if p < 0:
            continue
        if placed[p]:
            placed[p] = False
        else:
            fresh_r[f] = r
            fresh_v[f] = _value(slot, r, fl)
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
def gini_and_top_shares(
    s: np.ndarray, q1: float, q2: float, work: np.ndarray, stack: np.ndarray
) -> tuple[float, float, float]:
    """``metrics.gini_sorted(s)`` and ``metrics.top_shares_sorted(s, (q1, q2))``.

    The gap-sum Gini with numpy's sums; the top shares from the cumulative sum of the values
    scaled by the largest, richest first (``np.cumsum``'s order). ``work``: ``3 * n + 1``
    floats of room; ``stack``: :func:`pairwise_on`'s.
    """
    n = s.size
    if n == 0 or not s[n - 1] > 0:
        return np.nan, np.nan, np.nan
    top = s[n - 1]
    x, wd, cum = work[:n], work[n : 2 * n - 1], work[2 * n - 1 : 3 * n]
    for i in range(n):
        x[i] = s[i] / top
    for k in range(1, n):
        kf = float(k)
        wd[k - 1] = (kf * (n - kf)) * (x[k] - x[k - 1])
    gini = (0.0 + pairwise_on(wd, 0, n - 1, stack)) / (n * (0.0 + pairwise_on(x, 0, n, stack)))
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


#: Members up to which :func:`spearman_kept` sums exactly, in one pass (see there).
EXACT_RANKS = 200_000


@kernel
def spearman_kept(
    a: tuple[np.ndarray, np.ndarray],
    b: tuple[np.ndarray, np.ndarray],
    n: int,
    index: np.ndarray,
    exact_below: int,
    work: np.ndarray,
) -> float:
    """``observation._rank_corr`` of two kept orders of the same ``n`` members.

    ``a``, ``b``: (member rows, sorted values) of each side; ``index``: row -> member number.
    Average ranks are multiples of 1/2 and their mean is (n + 1) / 2, so every term of
    ``metrics.rank_correlation``'s sums (products of centred ranks) is a multiple of 1/4 and
    every partial sum is below n**3 / 12 in size: under 2**51 for ``n <= exact_below``
    (:data:`EXACT_RANKS`), so numpy's pairwise sums are exact, and equal to sums in any
    order. They are taken in two passes: ``b``'s centred ranks laid out by member, then
    ``a``'s order read against them. Above, both rank vectors are laid out and summed as
    numpy does. ``work``: ``2 * n`` floats of room.
    """
    a_order, a_sorted = a
    b_order, b_sorted = b
    if n < 3 or a_sorted[0] == a_sorted[n - 1] or b_sorted[0] == b_sorted[n - 1]:
        return np.nan  # as spearman: too few, or a constant side
    rb = work[:n]
    if n > exact_below:
        ranks_into(b_order, b_sorted, n, index, rb)
        ra = work[n : 2 * n]
        ranks_into(a_order, a_sorted, n, index, ra)
        return rank_correlation(ra, rb)
    m = (n + 1) / 2  # = ranks.sum() / n, exactly
    sbb = 0.0
    i = 0
    while i < n:  # b's centred ranks by member, and their sum of squares
        e = i + 1
        while e < n and b_sorted[e] == b_sorted[i]:
            e += 1
        d = (i + 1) + (e - i - 1) / 2 - m
        for j in range(i, e):
            rb[index[b_order[j]]] = d
        sbb += (e - i) * (d * d)
        i = e
    sab = saa = 0.0
    i = 0
    while i < n:  # a's, in a's order, against b's of the same member
        e = i + 1
        while e < n and a_sorted[e] == a_sorted[i]:
            e += 1
        d = (i + 1) + (e - i - 1) / 2 - m
        for j in range(i, e):
            sab += d * rb[index[a_order[j]]]
        saa += (e - i) * (d * d)
        i = e
    r = sab / math.sqrt(saa * sbb)
    return 1.0 if r > 1.0 else -1.0 if r < -1.0 else r


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

    The scratch is the buffers' rows after the orders' (``ranks.INT_ROWS``, ``FLOAT_ROWS``).
    """
    active = fl[0]
    n_rows, cap = active.size, orders.shape[1]
    index, act = orders[4], orders[5]  # row -> member number (-1: none); the members
    n = 0
    for r in range(n_rows):  # without branches: which rows are active is unpredictable
        on = active[r]
        index[r] = n if on else -1
        act[n] = r
        n += on
    act = act[:n]
    flat = values.reshape(values.size)
    floats = flat[4 * cap : 4 * cap + 4 * n + 8]
    work, stack = floats[n:], flat[flat.size - 256 :]
    scratch = (orders[6], orders[7], floats[:n])
    mean_rating, n_top, n_never, mean_rate = _active_means(act, fl, rating_par, work, stack)
    e, x = (orders[0], values[0]), (orders[1], values[1])
    sizes[0] = keep_order(e, sizes[0], 0, fl, act, index, n, scratch)
    sizes[1] = keep_order(x, sizes[1], 1, fl, act, index, n, scratch)
    gini, top1, top10 = gini_and_top_shares(values[0, :n], 0.01, 0.10, work, stack)
    merit = spearman_kept(x, e, n, index, EXACT_RANKS, work)
    early_late = np.nan
    early = orders[8]
    m = _number_early(act, index, fl[2], early)
    if m >= 10:  # else NaN, and the kept orders left as they are
        a, b = (orders[2], values[2]), (orders[3], values[3])
        sizes[3] = keep_order(b, sizes[3], 3, fl, early[:m], index, m, scratch)
        sizes[2] = keep_order(a, sizes[2], 2, fl, early[:m], index, m, scratch)
        early_late = spearman_kept(a, b, m, index, EXACT_RANKS, work)
    n_clients = 0
    for r in range(client_active.size):
        n_clients += client_active[r]
    concentration = (gini, top1, top10, merit, early_late)
    return metric_columns(
        n, concentration, n_never, mean_rating, star_counts, n_top, n_clients, mean_rate
    )


@helper
def metric_columns(
    n: int,
    concentration: tuple[float, float, float, float, float],
    n_never: int,
    mean_rating: float,
    star_counts: np.ndarray,
    n_top: int,
    n_clients: int,
    mean_rate: float,
) -> tuple[int, float, float, float, float, float, float, float, int, int, float, float, float]:
    """:func:`observe`'s thirteen metrics, in its order, from the ``n`` members' tallies.

    ``concentration``: gini, top1 share, top10 share, merit and early/late Spearman. Also
    called from Python by ``ranks.packed_metrics`` (large tables), so both give one tuple.
    """
    gini, top1, top10, merit, early_late = concentration
    total = 0
    for k in range(star_counts.size):
        total += star_counts[k]
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
def _number_early(
    act: np.ndarray, index: np.ndarray, early_cents: np.ndarray, out: np.ndarray
) -> int:
    """Renumber ``index`` for the members with a first year (others -1), listed in ``out``.

    Returns how many they are.
    """
    m = 0
    for i in range(act.size):  # without branches, as the active rows in observe
        r = act[i]
        on = early_cents[r] >= 0
        index[r] = m if on else -1
        out[m] = r
        m += on
    return m


@kernel
def _active_means(
    act: np.ndarray,
    fl: tuple[np.ndarray, ...],
    rating_par: np.ndarray,
    work: np.ndarray,
    stack: np.ndarray,
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
    ratings, rates = work[:n], work[n : 2 * n]
    m = 0
    n_top = 0
    n_never = 0
    for i in range(n):
        r = act[i]
        rates[i] = rate[r]
        n_top += top_rated[r]
        n_never += jobs_completed[r] == 0
        k = float(n_reviews[r])
        # every row's value is computed and stored, the rated ones kept (no branch on k:
        # who has reviews is unpredictable); without reviews it is overwritten
        if bayes:
            x = (prior_mean * prior_weight + float(stars_sum[r])) / (prior_weight + k)
        else:
            x = float(stars_sum[r]) / k  # NaN without reviews (error_model numpy)
        if scale > 0:
            x = np.floor(x * scale + (0.5 + 1e-9)) / scale
        ratings[m] = x
        m += k > 0
    mean_rating = (0.0 + pairwise_on(ratings, 0, m, stack)) / m if m else np.nan
    mean_rate = (0.0 + pairwise_on(rates, 0, n, stack)) / n if n else np.nan
    return mean_rating, n_top, n_never, mean_rate
