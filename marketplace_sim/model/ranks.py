"""Rows kept in sorted order from week to week, for the weekly rank-based metrics.

The weekly metrics (Gini, top shares, Spearman correlations) need the active freelancers
sorted by earnings, by innate expertise and by first- and later-year earnings. Sorting them
from scratch is O(N log N) a week, and it was most of the cost of data collection. But from
one week to the next few values change: expertise never does, and earnings change only for
the freelancers paid that week. :class:`SortedRows` keeps the previous order, takes out the
rows whose value changed or that left, sorts only the changed and new rows, and merges the two
sorted runs (numpy's stable sort is a timsort, which merges two runs in linear time).

What it returns is exactly what sorting from scratch returns: the sorted values, and an
ordering of the rows under which they are sorted (ties may come in another order, which no
measure here depends on: tied values get the same average rank).

:class:`KeptOrders` holds the same four orders for the compiled metrics, in buffers a kernel
updates in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from marketplace_sim.metrics import ranks_of_sorted

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel

SORT_BELOW = 4096  # members; below this, sort from scratch


class SortedRows:
    """The member rows of a growing table, in ascending order of a value per row.

    Call :meth:`update` with the member rows and their values each time the order is needed;
    rows may be appended to the table between calls (never removed), members may come and go,
    values may change anywhere. Changed values are found by comparison with the previous call,
    so callers need not report them. The work is linear in the number of members (plus a sort
    of the changed ones), not in the number of rows of the table.

    With ``fixed=True`` the caller promises that a row's value never changes while it is a
    member; then no value is compared, only membership.
    """

    def __init__(self, fixed: bool = False) -> None:
        self.fixed = fixed
        self._order = np.empty(0, dtype=np.int64)  # member rows, ascending value
        self._sorted = np.empty(0)  # their values then, in that order
        self._n_rows = 0
        self._by_value: np.ndarray | None = None  # positions in rows, when sorted afresh

    def update(
        self, rows: np.ndarray, values: np.ndarray, n_rows: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Member rows sorted by value.

        Args:
            rows: the member rows (row numbers, ascending: ``np.flatnonzero(mask)``).
            values: their values (1-D, same length, not NaN).
            n_rows: rows in the table (every row number is below it).

        Returns:
            ``(order, sorted_values)``: member rows in ascending order of value, and their
            values in that order (equal to ``np.sort(values)``).
        """
        stale = n_rows < self._n_rows or self._sorted.dtype != values.dtype
        self._n_rows = n_rows
        if self.fixed:
            return self._update_fixed(rows, values, n_rows, stale)
        if rows.size <= SORT_BELOW:  # few members: sorting afresh is cheaper than the upkeep
            self._by_value = np.argsort(values, kind="stable")  # fast on ties
            self._order, self._sorted = rows[self._by_value], values[self._by_value]
            return self._order, self._sorted
        self._by_value = None
        if stale:  # another table: start over
            self._order = np.empty(0, dtype=np.int64)
            self._sorted = np.empty(0, dtype=values.dtype)
        value_of = np.empty(n_rows, dtype=values.dtype)
        value_of[rows] = values
        member = np.zeros(n_rows, dtype=bool)
        member[rows] = True
        old = self._order
        still = member[old]
        stay = old[still]
        kept = stay[value_of[stay] == self._sorted[still]]  # sorted still: values did not move
        member[kept] = False  # now marks the members to (re)insert
        fresh = rows[member[rows]]
        fresh = fresh[np.argsort(value_of[fresh], kind="stable")]
        cat = np.concatenate((kept, fresh))
        v = value_of[cat]
        merge = np.argsort(v, kind="stable")  # two sorted runs: a linear-time merge
        self._order = cat[merge]
        self._sorted = v[merge]
        return self._order, self._sorted

    def _update_fixed(
        self, rows: np.ndarray, values: np.ndarray, n_rows: int, stale: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`update` for values that never change once a row is a member.

        A trait, or first-year earnings once the year is over: last call's members keep their
        order (no value is compared), those gone are dropped, newcomers are sorted and merged.
        """
        self._by_value = None
        if stale:
            self._order = np.empty(0, dtype=np.int64)
            self._sorted = np.empty(0, dtype=values.dtype)
        member = np.zeros(n_rows, dtype=bool)
        member[rows] = True
        old = self._order
        still = member[old]
        kept = old[still]
        member[kept] = False  # now marks the newcomers
        new = np.flatnonzero(member[rows])  # positions in rows
        new = new[np.argsort(values[new], kind="stable")]
        cat = np.concatenate((kept, rows[new]))
        v = np.concatenate((self._sorted[still], values[new]))
        merge = np.argsort(v, kind="stable")  # two sorted runs: a linear-time merge
        self._order, self._sorted = cat[merge], v[merge]
        return self._order, self._sorted

    def ranks(
        self, rows: np.ndarray, values: np.ndarray, n_rows: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Average ranks of the members, in the order of ``rows``, and the sorted values.

        Ties share the mean of their positions, as in ``scipy.stats.rankdata(values)``.
        """
        order, sorted_values = self.update(rows, values, n_rows)
        if self._by_value is not None:  # sorted afresh: positions within rows are at hand
            ranks = np.empty(rows.size, dtype=np.float64)
            ranks[self._by_value] = ranks_of_sorted(sorted_values)
            return ranks, sorted_values
        rank_of = np.empty(n_rows, dtype=np.float64)
        rank_of[order] = ranks_of_sorted(sorted_values)
        return rank_of[rows], sorted_values

    def nbytes(self) -> int:
        """Bytes held between calls."""
        return self._order.nbytes + self._sorted.nbytes


#: The kept orders of the weekly metrics, by slot of :class:`KeptOrders`.
SLOTS: tuple[str, ...] = ("earnings", "expertise0", "early", "late")
#: Rows of :class:`KeptOrders`' buffers: the orders, then the kernel's scratch (integers: row
#: -> member number, members, marks (all 0 between calls), fresh rows, members with a first
#: year; floats: work and the pairwise sums' stack), kept from call to call so that it
#: allocates little and its memory stays put (a week's metrics cost more in memory brought
#: into the caches than in arithmetic).
INT_ROWS, FLOAT_ROWS = len(SLOTS) + 5, len(SLOTS) + 5


class KeptOrders:
    """The four kept orders of :data:`SLOTS` in fixed buffers, for the compiled metrics.

    The compiled kernel (``kernels_metrics.observe``) updates them in place, so a week passes
    three arrays and gets none back. They are the kernel's own, as the model's
    :class:`SortedRows` are the numpy code's: like those, the kernel starts from whatever
    order it kept last (another week's, or none) and gives the exact sorted values, so the
    two codes may take turns without handing anything over.
    """

    def __init__(self) -> None:
        self.order = np.zeros((INT_ROWS, 0), dtype=np.int64)  # member rows, ascending value
        self.values = np.zeros((FLOAT_ROWS, 0))  # their values, in that order
        self.sizes = np.zeros(len(SLOTS), dtype=np.int64)  # members of each

    def reserve(self, n_rows: int) -> None:
        """Room for ``n_rows`` members in each order (doubled when short), orders kept."""
        cap = self.order.shape[1]
        if n_rows <= cap:
            return
        k, old = len(SLOTS), cap
        cap = max(2 * cap, n_rows, 1024)
        order = np.zeros((INT_ROWS, cap), dtype=np.int64)
        values = np.zeros((FLOAT_ROWS, cap))
        order[:k, :old] = self.order[:k]
        values[:k, :old] = self.values[:k]
        self.order, self.values = order, values

    def nbytes(self) -> int:
        """Bytes held between calls."""
        return self.order.nbytes + self.values.nbytes + self.sizes.nbytes


def kept_orders(model: MarketplaceModel) -> KeptOrders:
    """The model's :class:`KeptOrders` (made on first use), with room for every row."""
    kept: KeptOrders | None = getattr(model, "_kept_orders", None)
    if kept is None:
        kept = model._kept_orders = KeptOrders()
    kept.reserve(model.freelancers.n)
    return kept


class PackedScratch:
    """Buffers of :func:`packed_metrics`, kept from week to week (grown when short).

    Fresh arrays of a million elements would cost their page faults every week. Grown by a
    quarter (members grow slowly), not doubled: at a million members they hold 48 MB.
    """

    def __init__(self) -> None:
        self.cap = -1
        self.stack = np.empty(256)  # kernels_metrics.pairwise_on's

    def reserve(self, n: int) -> None:
        """Room for ``n`` members."""
        if n <= self.cap:
            return
        cap = self.cap = max(self.cap + self.cap // 4, n, 1024)
        self.keys = np.empty(cap, dtype=np.uint64)
        self.rows = np.empty(cap, dtype=np.int64)
        #: values by member, two rank vectors by member, then room: ``floats[cap:]`` is the
        #: work area of the kernels that come before or after the ranks (3 cap + 1 floats)
        self.floats = np.empty(4 * cap + 1)
        self.full, self.ra, self.rb = (self.floats[k * cap : (k + 1) * cap] for k in range(3))
        self.work = self.floats[3 * cap :]

    def nbytes(self) -> int:
        """Bytes held between calls."""
        return 0 if self.cap < 0 else 8 * (6 * self.cap + 1) + self.stack.nbytes


def packed_metrics(
    model: MarketplaceModel, fl: tuple[np.ndarray, ...], rating_par: np.ndarray
) -> tuple[Any, ...] | None:
    """``kernels_metrics.observe``'s thirteen metrics for a large table, from packed sorts.

    Every order is sorted afresh as packed keys (``kernels_ranks``), nothing kept across
    weeks. ``fl``, ``rating_par``: ``observe``'s. None when the earnings do not fit the keys
    (then the numpy code computes the metrics).
    """
    from marketplace_sim.market import kernels_metrics as km
    from marketplace_sim.market import kernels_ranks as kr

    s: PackedScratch | None = getattr(model, "_packed_scratch", None)
    if s is None:
        s = model._packed_scratch = PackedScratch()
    act = np.flatnonzero(fl[0])
    n = act.size
    s.reserve(n)
    keys, stack, work = s.keys[:n], s.stack, s.floats[s.cap :]  # work: before and after ranks
    lo = kr.pack_ints(fl[1], _NONE, act, keys)
    if lo == kr.MISFIT:
        return None
    keys.sort()
    earned = s.full[:n]
    kr.cents_sorted(keys, lo, earned)
    gini, top1, top10 = km.gini_and_top_shares(earned, 0.01, 0.10, work, stack)
    flat_earnings = n == 0 or earned[0] == earned[-1]
    kr.ranks_from_keys(keys, _NONE_F, s.rb[:n])
    np.take(fl[3], act, out=earned)  # innate expertise, by member
    kr.pack_floats(earned, keys)
    keys.sort()
    kr.ranks_from_keys(keys, earned, s.ra[:n])
    merit = _correlation(s, n, flat_earnings, _ends_equal(keys, earned))
    early_late = _early_late(s, act, fl, kr)
    if early_late is None:
        return None
    mean_rating, n_top, n_never, mean_rate = km._active_means(act, fl, rating_par, work, stack)
    return km.metric_columns(
        n,
        (gini, top1, top10, merit, early_late),
        n_never,
        mean_rating,
        model.star_counts,
        n_top,
        int(model.clients.active.sum()),
        mean_rate,
    )


_NONE = np.empty(0, dtype=np.int64)
_NONE_F = np.empty(0)


def _ends_equal(keys: np.ndarray, full: np.ndarray) -> bool:
    """Whether the first and last of float keys sorted (and ordered) hold equal values."""
    if keys.size == 0:
        return True
    from marketplace_sim.market import kernels_ranks as kr

    mask = (1 << kr.member_bits(keys.size)) - 1
    return bool(full[int(keys[0]) & mask] == full[int(keys[-1]) & mask])


def _correlation(s: PackedScratch, n: int, flat_b: bool, flat_a: bool) -> float:
    """Spearman of the ranks in ``s.ra``, ``s.rb`` (NaN: too few, or a constant side)."""
    if n < 3 or flat_a or flat_b:
        return float("nan")
    from marketplace_sim.market import kernels_ranks as kr

    return float(kr.rank_correlation_in(s.ra[:n], s.rb[:n], s.work, s.stack))


def _early_late(
    s: PackedScratch, act: np.ndarray, fl: tuple[np.ndarray, ...], kr: Any
) -> float | None:
    """Spearman of first-year and later earnings over the members with a first year."""
    m = kr.with_first_year(act, fl[2], s.rows)
    if m < 10:
        return float("nan")
    rows, keys = s.rows[:m], s.keys[:m]
    flat, shift = [], kr.member_bits(m)
    for side, (a, less) in ((s.rb, (fl[1], fl[2])), (s.ra, (fl[2], _NONE))):
        if kr.pack_ints(a, less, rows, keys) == kr.MISFIT:
            return None
        keys.sort()
        kr.ranks_from_keys(keys, _NONE_F, side[:m])
        flat.append(int(keys[0]) >> shift == int(keys[-1]) >> shift)
    return _correlation(s, m, flat[0], flat[1])
