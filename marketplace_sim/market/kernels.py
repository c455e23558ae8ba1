"""Compiled kernels of search and choice (numba; see :mod:`marketplace_sim.market.jit`).

Each kernel replicates a stretch of numpy code in :mod:`~marketplace_sim.market.discovery` and
:mod:`~marketplace_sim.market.choice`, which remains the code that runs without numba: the same
elementwise operations in the same order, cumulative sums in the same order, binary searches
with the same answers. Random numbers are never drawn here: the caller draws them with numpy,
in the original order and sizes, and passes them in. The pair of each kernel (its numpy
original) is named in its docstring; ``tests/test_perf_jit.py`` checks that whole runs agree.
"""

from __future__ import annotations

import numpy as np

from marketplace_sim.market.jit import kernel
from marketplace_sim.market.kernels_guide import guide_bounds, scan_bucket, search_between

# ----------------------------------------------------------------------------------------------
# Search visibility (discovery.visibility, after the ranking sort)


@kernel
def weights_by_position(
    n: int, order: np.ndarray, appeal: np.ndarray, by_position: np.ndarray, applies: np.ndarray
) -> np.ndarray:
    """``v[order[i]] = appeal[order[i]] * by_position[i]`` (times ``applies``), 0 elsewhere.

    ``appeal = exp(profile_visibility * profile)`` per row and ``by_position[i] = (1 + i) **
    -search_weight``, both computed by numpy; ``applies`` (empty: none) is each row's
    application rate. Pair: the last lines of ``discovery.visibility`` and ``vis * applies``.
    """
    v = np.zeros(n)
    if applies.size:
        for i in range(order.size):
            r = order[i]
            v[r] = appeal[r] * by_position[i] * applies[r]
    else:
        for i in range(order.size):
            r = order[i]
            v[r] = appeal[r] * by_position[i]
    return v


# ----------------------------------------------------------------------------------------------
# Drawing applicants (discovery.draw_applicants)


@kernel
def niche_order(
    weight: np.ndarray, home_niche: np.ndarray, n_niches: int, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows with weight sorted by home niche, and each niche's segment of that order.

    A stable counting sort (as numpy's stable argsort of 16-bit keys); niche ``g``'s rows are
    ``order[seg_start[g]:seg_end[g]]``. The rows with weight (a minority: the unavailable
    and the exited have none) are listed first, without a branch on the weight, and only
    they are counted and placed. ``rows``: ascending rows holding every row with weight
    (the available ones: the same list as a pass over all rows, without the departed), or
    empty: every row.
    """
    n_scan = rows.size if rows.size else weight.size
    live_rows = np.empty(n_scan, dtype=np.int64)
    n_live = 0
    for j in range(n_scan):
        i = rows[j] if rows.size else j
        live_rows[n_live] = i
        n_live += 1 if weight[i] != 0 else 0
    count = np.zeros(n_niches + 1, dtype=np.int64)
    for j in range(n_live):
        count[home_niche[live_rows[j]] + 1] += 1
    seg_start = np.empty(n_niches, dtype=np.int64)
    seg_end = np.empty(n_niches, dtype=np.int64)
    acc = 0
    for g in range(n_niches):
        seg_start[g] = acc
        acc += count[g + 1]
        seg_end[g] = acc
    fill = seg_start.copy()
    order = np.empty(n_live, dtype=np.int64)
    for j in range(n_live):
        i = live_rows[j]
        g = home_niche[i]
        order[fill[g]] = i
        fill[g] += 1
    return order, seg_start, seg_end


@kernel
def pool_sums(
    order: np.ndarray,
    weight: np.ndarray,
    niche_focus: np.ndarray,
    home_niche: np.ndarray,
    home_boost: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Home niche, and cumulative home and cross weights, along ``order``.

    ``np.cumsum``'s running sums: the same additions in the same order.
    """
    n_live = order.size
    niche_sorted = np.empty(n_live, dtype=np.int16)  # niches <= 1,000: a quarter the cache
    cum_home = np.empty(n_live)
    cum_cross = np.empty(n_live)
    sh = 0.0
    sc = 0.0
    boosted = home_boost.size > 0
    for j in range(n_live):
        r = order[j]
        niche_sorted[j] = home_niche[r]
        w = weight[r]
        sh += w * home_boost[r] if boosted else w
        sc += w * (1.0 - niche_focus[r])
        cum_home[j] = sh
        cum_cross[j] = sc
    return niche_sorted, cum_home, cum_cross


@kernel
def fillable_slots(
    job_niche: np.ndarray, slots: int, home_tot: np.ndarray, cross_tot: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The slots of jobs whose niche anyone reaches: (slot, niche, share from the home pool)."""
    n_jobs = job_niche.size
    slot = np.empty(n_jobs * slots, dtype=np.int64)
    k = np.empty(n_jobs * slots, dtype=np.int64)
    p_home = np.empty(n_jobs * slots)
    m = 0
    for j in range(n_jobs):
        g = job_niche[j]
        total = home_tot[g] + cross_tot[g]
        if total > 0:
            p = home_tot[g] / total
            for d in range(slots):
                slot[m] = j * slots + d
                k[m] = g
                p_home[m] = p
                m += 1
    return slot[:m], k[:m], p_home[:m]


@kernel
def applicant_pools(
    weight: np.ndarray,
    niche_focus: np.ndarray,
    home_niche: np.ndarray,
    home_boost: np.ndarray,
    n_niches: int,
    job_niche: np.ndarray,
    slots: int,
    rows: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The home and cross pools of ``draw_applicants``, and the slots that can be filled.

    Returns ``(order, niche_sorted, seg_start, seg_end, cum_home, cum_cross, home_tot,
    cross_all, slot, k, p_home)`` as the numpy code computes them (``home_boost`` empty:
    none; ``cross_all`` as a 1-element array). ``rows`` as :func:`niche_order`.
    """
    order, seg_start, seg_end = niche_order(weight, home_niche, n_niches, rows)
    niche_sorted, cum_home, cum_cross = pool_sums(
        order, weight, niche_focus, home_niche, home_boost
    )
    home_tot = np.empty(n_niches)
    cross_tot = np.empty(n_niches)
    cross_all = cum_cross[-1] if order.size else 0.0
    for g in range(n_niches):
        s, e = seg_start[g], seg_end[g]
        home_tot[g] = (cum_home[e - 1] if e else 0.0) - (cum_home[s - 1] if s else 0.0)
        x = cross_all - ((cum_cross[e - 1] if e else 0.0) - (cum_cross[s - 1] if s else 0.0))
        cross_tot[g] = x if x > 0.0 else 0.0
    slot, k, p_home = fillable_slots(job_niche, slots, home_tot, cross_tot)
    return (
        order, niche_sorted, seg_start, seg_end, cum_home, cum_cross, home_tot,
        np.array([cross_all]), slot, k, p_home,
    )  # fmt: skip


@kernel
def home_positions(
    u: np.ndarray,
    h: np.ndarray,
    k: np.ndarray,
    cum_home: np.ndarray,
    seg_start: np.ndarray,
    seg_end: np.ndarray,
    home_tot: np.ndarray,
    pos: np.ndarray,
    guide: tuple[np.ndarray, float, float],
) -> None:
    """Home-pool draws: a target in niche k's segment of the cumulative weights -> ``pos``.

    With a ``kernels_guide.guide_table`` over ``cum_home`` (``guide``), a search of the whole
    array, as ``discovery._draw_home``; without (empty), a binary search within the segment,
    with the same answer for a finite target: every earlier entry is at most the target (at
    least the segment's starting sum). Answers past the segment are clipped to its last row.
    """
    table, step, scale = guide
    guided = table.size > 0
    for i in range(h.size):
        g = k[h[i]]
        s = seg_start[g]
        target = (cum_home[s - 1] if s else 0.0) + u[i] * home_tot[g]
        last = seg_end[g] - 1
        if guided:  # the bucket's bounds, then the scan: see kernels_guide
            lo, hi = guide_bounds(target, table, step, scale)
            p = scan_bucket(cum_home, target, lo, hi)
        else:
            p = search_between(cum_home, target, s, seg_end[g])
        pos[h[i]] = p if p < last else last


@kernel
def distinct_pairs(
    slot: np.ndarray,
    pos: np.ndarray,
    order: np.ndarray,
    dropped: np.ndarray,
    n_jobs: int,
    slots: int,
    n_cand: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (job, candidate) pairs sorted by job then candidate: ``_distinct_pairs``.

    Draw ``i`` is candidate ``order[pos[i]]`` in slot ``slot[i]``; the draws in ``dropped``
    (rejection leftovers) are left out.
    """
    grid = np.full(n_jobs * slots, n_cand, dtype=np.int64)
    for i in range(slot.size):  # every draw, then the dropped ones emptied: no mask
        grid[slot[i]] = order[pos[i]]
    for i in range(dropped.size):  # each draw has its own slot
        grid[slot[dropped[i]]] = n_cand
    job = np.empty(n_jobs * slots, dtype=np.int64)
    cand = np.empty(n_jobs * slots, dtype=np.int64)
    row = np.empty(slots, dtype=np.int64)
    m = 0
    for j in range(n_jobs):
        base = j * slots
        # sort the job's few draws by rank counting: each draw's place is the number of
        # draws below it (ties: before it), counted without a branch on random values
        # (an insertion sort mispredicts about once per draw)
        for a in range(slots):
            x = grid[base + a]
            r = 0
            for b in range(slots):
                y = grid[base + b]
                r += 1 if y < x or (y == x and b < a) else 0
            row[r] = x
        prev = -1
        for a in range(slots):
            x = row[a]
            if x != n_cand and x != prev:
                job[m] = j
                cand[m] = x
                m += 1
            prev = x
    return job[:m], cand[:m]


# ----------------------------------------------------------------------------------------------
# Choice (choice.match, choice.best_per_job, choice.accept_within_capacity)


@kernel
def _best_of_segments(job: np.ndarray, utility: np.ndarray) -> np.ndarray:
    """The first highest-utility pair of each run of equal ``job`` (``best_per_job``)."""
    best = np.empty(job.size, dtype=np.int64)
    m = 0
    i = 0
    while i < job.size:
        top = i
        e = i + 1
        while e < job.size and job[e] == job[i]:
            if utility[e] > utility[top]:
                top = e
            e += 1
        best[m] = top
        m += 1
        i = e
    return best[:m]


@kernel
def match_start(
    job: np.ndarray, cand: np.ndarray, utility: np.ndarray, outside: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """``match``'s first step: the pairs preferred to hiring no one, and each job's best.

    The last value is False if the pairs are not grouped by job (non-decreasing ``job``):
    then the caller runs the numpy code, which sorts.
    """
    keep = np.empty(job.size, dtype=np.int64)
    m = 0
    for i in range(job.size):
        keep[m] = i
        m += 1 if utility[i] > outside[job[i]] else 0  # NaN is never preferred
    keep = keep[:m]
    job, cand, utility = job[keep], cand[keep], utility[keep]
    for i in range(1, m):
        if job[i] < job[i - 1]:
            return job, cand, utility, keep, False
    return job, cand, utility, _best_of_segments(job, utility), True


@kernel
def accept(cand: np.ndarray, prio: np.ndarray, spare: np.ndarray) -> np.ndarray:
    """Offers accepted within capacity: ``accept_within_capacity`` given its draws ``prio``.

    Offers to one candidate are taken in ``np.lexsort((prio, cand))`` order (by priority,
    ties by position), each while the candidate has spare capacity left. A candidate with
    no more offers than spare capacity takes them all, whatever their order: only the
    offers to the others ("contested") are sorted.
    """
    ok = np.ones(cand.size, dtype=np.bool_)
    # more offers than room: spare less the offers below 0. Counted in ``spare`` itself and
    # put back after (integers: exact), not in a count per row (an O(rows) array a round)
    for i in range(cand.size):
        spare[cand[i]] -= 1
    contested = np.empty(cand.size, dtype=np.int64)
    m = 0
    for i in range(cand.size):
        if spare[cand[i]] < 0:
            contested[m] = i  # in ascending position: ties in priority keep it
            m += 1
    for i in range(cand.size):
        spare[cand[i]] += 1
    if m == 0:  # the common case: nobody has more offers than room
        return ok
    order = _by_candidate_then_priority(contested[:m], cand, prio)
    rank = 0
    for j in range(order.size):
        i = order[j]
        if j > 0 and cand[i] == cand[order[j - 1]]:
            rank += 1
        else:
            rank = 0
        ok[i] = rank < spare[cand[i]]
    return ok


#: A candidate's offers up to which they are put in priority order by insertion (above: a
#: stable merge sort of the group)
_INSERTION_MAX = 24


@kernel
def _by_candidate_then_priority(
    offers: np.ndarray, cand: np.ndarray, prio: np.ndarray
) -> np.ndarray:
    """``offers`` (ascending positions) in ``np.lexsort((prio[offers], cand[offers]))`` order.

    By candidate, then priority, then position. One sort of distinct integer keys
    ``cand << 32 | j`` groups them by candidate with positions ascending (the order of ``j``),
    then each candidate's few offers are ordered by priority, stably: where two stable
    ``argsort`` of all contested offers took 200 ns an offer at 1M freelancers.
    """
    m = offers.size
    keys = np.empty(m, dtype=np.int64)
    for j in range(m):
        keys[j] = (cand[offers[j]] << 32) | j  # rows < 2**31, offers < 2**32
    keys.sort()
    order = np.empty(m, dtype=np.int64)
    for j in range(m):
        order[j] = offers[keys[j] & 0xFFFFFFFF]
    s = 0
    while s < m:
        e = s + 1
        while e < m and cand[order[e]] == cand[order[s]]:
            e += 1
        if e - s <= _INSERTION_MAX:
            for a in range(s + 1, e):  # stable: moves past strictly higher priorities only
                x = order[a]
                b = a
                while b > s and prio[order[b - 1]] > prio[x]:
                    order[b] = order[b - 1]
                    b -= 1
                order[b] = x
        else:
            group = order[s:e].copy()
            order[s:e] = group[np.argsort(prio[group], kind="mergesort")]
        s = e
    return order


@kernel
def match_round(
    job: np.ndarray,
    cand: np.ndarray,
    utility: np.ndarray,
    best: np.ndarray,
    prio: np.ndarray,
    spare: np.ndarray,
    n_jobs: int,
) -> tuple[np.ndarray, ...]:
    """One round of ``match``: offers to each job's best, accepted within capacity.

    Returns ``(hired jobs, hired candidates, declined candidates, job, cand, utility, best)``,
    the last four for the next round (pairs of unfilled jobs not yet offered, whose
    candidate still has room). ``spare`` is decremented in place, and ``job``, ``cand`` and
    ``utility`` are overwritten (the returned ones are their first entries).
    """
    ok = accept(cand[best], prio, spare)
    n_won = 0
    for i in range(best.size):
        n_won += ok[i]
    won_job = np.empty(n_won, dtype=np.int64)
    won_cand = np.empty(n_won, dtype=np.int64)
    no = np.empty(best.size - n_won, dtype=np.int64)
    filled = np.zeros(n_jobs, dtype=np.bool_)
    tried = np.zeros(job.size, dtype=np.bool_)
    a = 0
    b = 0
    for i in range(best.size):
        p = best[i]
        tried[p] = True
        if ok[i]:
            won_job[a] = job[p]
            won_cand[a] = cand[p]
            a += 1
            filled[job[p]] = True
            spare[cand[p]] -= 1
        else:
            no[b] = cand[p]
            b += 1
    # kept pairs compacted in place (a kept pair never overtakes the one read): the arrays
    # are this match's own (``match_start``'s copies), so no gathers a round
    m = 0
    for i in range(job.size):
        j, c, x = job[i], cand[i], utility[i]
        job[m], cand[m], utility[m] = j, c, x
        m += 1 if not filled[j] and not tried[i] and spare[c] > 0 else 0
    job, cand, utility = job[:m], cand[:m], utility[:m]
    return won_job, won_cand, no, job, cand, utility, _best_of_segments(job, utility)
