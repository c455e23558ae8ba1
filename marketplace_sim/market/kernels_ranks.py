"""Compiled helpers of the weekly metrics of large tables: ranks from packed sort keys.

At a million active freelancers the rank-based metrics cost most in memory traffic: kept
orders merged from week to week, then ranks scattered back by row, read scattered across
arrays larger than the caches. Here each order is sorted afresh, but as one array of
``uint64`` keys, ``value << b | member`` (``b`` bits for the member numbers ``0..n-1``),
which ``ndarray.sort`` sorts with vector instructions in a few milliseconds: the sorted keys
give the sorted values and the order at once. Values are integer cents (earnings; packed
exactly, offset by their least) or floats (innate expertise: the order-preserving integer of
the float's bits, its lowest ``b`` bits dropped; the runs of keys that then tie are put in
order by the full values). Ties get average ranks, which do not depend on how tied members
are ordered, so the ranks, sums and correlations are the numbers ``metrics`` computes from
``np.sort``/``argsort`` (``tests/test_perf_ranks.py`` checks them to the last bit).
"""

from __future__ import annotations

import math

import numpy as np

from marketplace_sim.market.jit import helper, kernel
from marketplace_sim.market.kernels_metrics import pairwise_on

#: Integer values (cents) are packed only below this size, so that they and their quotient
#: by 100 stay exact and distinct in float64 (the numpy code compares them as floats).
INT_LIMIT = 2**43
#: What :func:`pack_ints` returns when the values do not fit (below any least value it packs)
MISFIT = -1 - INT_LIMIT
_SIGN = np.uint64(1) << np.uint64(63)


@kernel
def member_bits(n: int) -> int:
    """Bits for the member numbers ``0..n-1`` (at least 1)."""
    b = 1
    while (1 << b) < n:
        b += 1
    return b


@kernel
def pack_ints(a: np.ndarray, less: np.ndarray, rows: np.ndarray, out: np.ndarray) -> int:
    """``out[i] = (v_i - min v) << b | i`` for ``v_i = a[rows[i]] (- less[rows[i]])``.

    ``less``: empty, or a column subtracted (later earnings: all minus the first year's).
    Returns the least value, the offset of the keys; sets nothing and returns :data:`MISFIT`
    when the values do not fit (magnitude ``>= INT_LIMIT``, or the range with ``b`` bits of
    member numbers over 64 bits).
    """
    n = rows.size
    sub = less.size > 0
    lo, hi = 0, 0
    for i in range(n):
        r = rows[i]
        v = a[r] - less[r] if sub else a[r]
        if i == 0 or v < lo:
            lo = v
        if i == 0 or v > hi:
            hi = v
    b = member_bits(n)
    if n and (hi >= INT_LIMIT or -lo >= INT_LIMIT or (hi - lo) >> (64 - b) != 0):
        return MISFIT
    for i in range(n):
        r = rows[i]
        v = a[r] - less[r] if sub else a[r]
        out[i] = (np.uint64(v - lo) << np.uint64(b)) | np.uint64(i)
    return lo


@kernel
def pack_floats(values: np.ndarray, out: np.ndarray) -> None:
    """Float keys: ``values[i]``'s order-preserving integer, top ``64 - b`` bits, ``| i``.

    The integer of the bits: negatives reversed, below the positives (the usual mapping);
    zero of either sign is packed as +0, since they are equal.
    """
    n = values.size
    b = np.uint64(member_bits(n))
    bits = values.view(np.uint64)
    for i in range(n):
        u = bits[i]
        if values[i] == 0.0:
            u = np.uint64(0)
        u = ~u if u & _SIGN else u | _SIGN  # negatives reversed, below the positives
        out[i] = ((u >> b) << b) | np.uint64(i)


@helper
def _order_run(keys: np.ndarray, lo: int, hi: int, mask: np.uint64, full: np.ndarray) -> None:
    """Put ``keys[lo:hi]`` (tied in their packed part) in ascending order of ``full[member]``."""
    if hi - lo <= 16:  # short runs (the usual): insertion sort
        for i in range(lo + 1, hi):
            k = keys[i]
            v = full[k & mask]
            j = i
            while j > lo and full[keys[j - 1] & mask] > v:
                keys[j] = keys[j - 1]
                j -= 1
            keys[j] = k
        return
    run = keys[lo:hi].copy()
    by = np.argsort(full[run & mask])
    for i in range(hi - lo):
        keys[lo + i] = run[by[i]]


@kernel
def ranks_from_keys(keys: np.ndarray, full: np.ndarray, out: np.ndarray) -> None:
    """Average ranks (``scipy.stats.rankdata``) of the members, from sorted keys, by member.

    ``keys``: ``pack_*``'s keys, sorted. ``full``: empty for integers (ties: equal packed
    parts), else the members' float values (:func:`pack_floats`): runs of equal packed parts
    are first put in order of ``full`` (in place), ties are equal values. ``out[member]``
    gets the member's rank.
    """
    n = keys.size
    b = np.uint64(member_bits(n))
    mask = (np.uint64(1) << b) - np.uint64(1)
    exact = full.size == 0
    i = 0
    while i < n:
        high = keys[i] >> b
        e = i + 1
        while e < n and keys[e] >> b == high:
            e += 1
        if exact or e == i + 1:
            _assign(keys, i, e, mask, out)
        else:
            _order_run(keys, i, e, mask, full)
            s = i
            while s < e:  # ties within the run: equal full values
                t = s + 1
                while t < e and full[keys[t] & mask] == full[keys[s] & mask]:
                    t += 1
                _assign(keys, s, t, mask, out)
                s = t
        i = e


@helper
def _assign(keys: np.ndarray, i: int, e: int, mask: np.uint64, out: np.ndarray) -> None:
    """Members ``keys[i:e] & mask`` (tied) get ranks ``i + 1 .. e`` averaged, as numpy's."""
    r = (i + 1) + (e - i - 1) / 2  # first position (1-based) plus (count - 1) / 2
    for j in range(i, e):
        out[keys[j] & mask] = r


@kernel
def cents_sorted(keys: np.ndarray, lo: int, out: np.ndarray) -> None:
    """The values of sorted integer keys in USD: ``(key >> b) + lo`` cents, ``/ 100.0``."""
    n = keys.size
    b = np.uint64(member_bits(n))
    for i in range(n):
        out[i] = (np.int64(keys[i] >> b) + lo) / 100.0


@kernel
def rank_correlation_in(
    ra: np.ndarray, rb: np.ndarray, work: np.ndarray, stack: np.ndarray
) -> float:
    """``metrics.rank_correlation(ra, rb)`` with numpy's pairwise sums, overwriting both.

    ``ra``, ``rb``: average ranks of ``n`` members (multiples of 1/2, each a permutation's
    up to ties). Their sums are ``n (n + 1) / 2`` exactly for ``n < 2**26`` (every partial
    sum is a multiple of 1/2 below 2**52, so every addition is exact), so they are not
    summed. ``work``: ``n`` floats of room; ``stack``: ``kernels_metrics.pairwise_on``'s.
    """
    n = ra.size
    if n < 2**26:
        ma = mb = float(n * (n + 1) // 2) / n
    else:
        ma = (0.0 + pairwise_on(ra, 0, n, stack)) / n
        mb = (0.0 + pairwise_on(rb, 0, n, stack)) / n
    for i in range(n):
        a = ra[i] - ma
        b = rb[i] - mb
        work[i] = a * b
        ra[i] = a * a
        rb[i] = b * b
    ab = 0.0 + pairwise_on(work, 0, n, stack)
    r = ab / math.sqrt((0.0 + pairwise_on(ra, 0, n, stack)) * (0.0 + pairwise_on(rb, 0, n, stack)))
    return 1.0 if r > 1.0 else -1.0 if r < -1.0 else r


@kernel
def with_first_year(act: np.ndarray, early: np.ndarray, out: np.ndarray) -> int:
    """The active rows with a first year (``early >= 0``) into ``out``; returns how many."""
    m = 0
    for i in range(act.size):  # without branches: who has a first year is unpredictable
        r = act[i]
        out[m] = r
        m += early[r] >= 0
    return m
