"""Searches of cumulative sums: ``np.searchsorted(cum, t, side="right")`` in compiled loops.

Drawing an applicant is a search of the pool's cumulative weights for a random target. A binary
search mispredicts a branch at every level; a guide table (:func:`guide_table`, as
``discovery._guide_table``) tells, in one lookup, the few entries a target's answer lies
between (:func:`guide_bounds`), and a short scan (:func:`scan_bucket`) finds it. The answers
are ``np.searchsorted``'s, exactly (``tests/test_perf_jit.py``).

A loop over many targets calls :func:`guide_bounds` and :func:`scan_bucket` in its own body.
One helper doing both, inlined, ran the same loop a third to a half slower (measured with numba
0.68: a cross-pool round of 6,000 draws over 20,000 rows, 190 against 125 us), and so did
every arrangement nesting one inlined helper that returns the bounds in another.
"""

from __future__ import annotations

import numpy as np

from marketplace_sim.market.jit import helper, kernel


@helper
def search_between(cum: np.ndarray, t: float, lo: int, hi: int) -> int:
    """``np.searchsorted(cum, t, side="right")`` when the answer is known to be in [lo, hi]."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if cum[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@kernel
def guide_table(cum: np.ndarray) -> tuple[np.ndarray, float, float]:
    """A guide table over ``cum`` (non-decreasing): ``(guide, step, scale)``.

    ``[0, total)`` is cut into ``n = len(cum)`` buckets with edges ``e_b = b * step``,
    ``step = total / n`` (``e_n = inf``); ``guide[b]`` counts the ``cum`` values ``<= e_b``
    (``discovery._guide_table``'s table). The edges are not stored: :func:`guide_bounds`
    computes ``b * step`` as this build does, to the bit, and an array of edges beside the
    sums and the table made the working set of a 1M-row search a third larger than the last
    cache holds. The counts are 32-bit (rows < 2**31), for the same reason. Empty when there
    is no positive finite total.
    """
    n = cum.size
    total = cum[n - 1] if n else 0.0
    if n < 2 or not (0.0 < total < np.inf):
        return np.empty(0, dtype=np.int32), 0.0, 0.0
    step = total / n
    guide = np.empty(n + 1, dtype=np.int32)
    i = 0
    for b in range(n):
        edge = b * step
        while i < n and cum[i] <= edge:
            i += 1
        guide[b] = i
    guide[n] = n  # e_n = inf: every value
    return guide, step, n / total


@helper
def guide_bounds(t: float, guide: np.ndarray, step: float, scale: float) -> tuple[int, int]:
    """The entries of ``cum`` between which ``t``'s answer lies: ``(lo, hi)``; ``(-1, -1)``: any.

    With ``e_b <= t < e_b+1`` the answer lies between ``guide[b]`` and ``guide[b + 1]``, most
    often equal: a bucket lookup, not a binary search. ``e_b = b * step``, computed as the
    table was. ``guide`` must not be empty.
    """
    last = guide.size - 2
    x = t * scale
    b = int(x) if x < last else last
    if b < 0:
        b = 0
    while b > 0 and t < b * step:  # the float estimate may be a bucket off
        b -= 1
    while b < last and t >= (b + 1) * step:
        b += 1
    if t < b * step:  # below the first edge (t < 0): no bound from the table
        return -1, -1
    # every cum[< guide[b]] <= e_b <= t and cum[guide[b + 1]] > e_b+1 > t: the first entry
    # above t is in [guide[b], guide[b + 1]]
    return int(guide[b]), int(guide[b + 1])


@helper
def scan_bucket(cum: np.ndarray, t: float, lo: int, hi: int) -> int:
    """The answer for ``t`` within :func:`guide_bounds`' ``(lo, hi)`` (``lo < 0``: all of ``cum``).

    Within a bucket a linear scan (a bucket holds one entry on average) beats a binary
    search: measured on fresh targets at 2,000 freelancers, a cross-pool round took half the
    time.
    """
    if lo < 0:
        return search_between(cum, t, 0, cum.size)
    while lo < hi and cum[lo] <= t:
        lo += 1
    return lo
