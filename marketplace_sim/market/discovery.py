"""Discovery: who sees a job and applies.

Search ranks freelancers by a visibility weight ``v_i``. A job in niche ``k`` reaches freelancer
``i`` with weight ``v_i`` if ``k`` is i's home niche and ``v_i * (1 - niche_focus_i)`` otherwise:
a pure specialist sees only its home niche, a pure generalist every niche alike. Each applicant
slot is a draw from that niche-specific distribution, done without building it per job: the
distribution is a mixture of a "home" pool (freelancers of niche k) and a "cross" pool (everyone
else), each sampled by binary search on cumulative weights. Cost: O(N log N) once a week to build
the cumulative sums, then O(log N) per slot; never O(freelancers x jobs).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

_MAX_REJECTION_ROUNDS = 64


def reputation_index(
    rating_signal: np.ndarray,
    n_reviews: np.ndarray,
    jss_signal: np.ndarray,
    top_rated: np.ndarray,
) -> np.ndarray:
    """The reputation a client or the search engine sees, on one scale.

    ``rating_signal + log(1 + reviews) + jss_signal + badge``: log(1 + reviews) follows
    Yoganarasimhan (2013); the rating and JSS signals (already weighted by the caller:
    ``platform.rating_weight``, ``platform.jss_weight``) are 0 when nothing is shown yet, so a
    newcomer's reputation is 0 and grows only with visible history.
    """
    return rating_signal + np.log1p(n_reviews) + jss_signal + top_rated.astype(np.float64)


def visibility(
    rng: np.random.Generator,
    ranking: str,
    available: np.ndarray,
    profile: np.ndarray,
    reputation: np.ndarray,
    never_hired: np.ndarray,
    profile_visibility: float,
    search_weight: float,
    newcomer_boost: float,
) -> np.ndarray:
    """Search visibility weight of each freelancer under a ranking rule.

    The platform sorts the available freelancers by a score into a results list; attention
    decays with position as a power law (position bias), and a strong profile draws more clicks
    wherever it stands:

        v_i = exp(profile_visibility * profile_i) * (1 + position_i) ** -search_weight

    The score is the reputation index ("reputation"), nothing ("random": a fresh random order
    every week, so no one keeps a place), or the reputation index plus ``newcomer_boost`` for the
    never-hired ("newcomer_boost"). Ties (e.g. all newcomers at 0) are broken at random each
    week. Unavailable freelancers get weight 0.
    """
    n = available.size
    if ranking == "random":
        score = np.zeros(n)
    elif ranking == "reputation":
        score = reputation
    elif ranking == "newcomer_boost":
        score = reputation + newcomer_boost * never_hired
    else:  # pragma: no cover - the schema refuses other values
        raise ValueError(f"unknown ranking {ranking!r}")
    rows = np.flatnonzero(available)
    tie_break = rng.random(rows.size)
    order = rows[_order_by(-score[rows], tie_break, ranking == "random")]
    position = np.empty(n, dtype=np.float64)
    position[order] = np.arange(order.size)
    v = np.zeros(n)
    v[rows] = np.exp(profile_visibility * profile[rows]) * (1.0 + position[rows]) ** (
        -search_weight
    )
    return v


def _order_by(key: np.ndarray, tie_break: np.ndarray, key_constant: bool) -> np.ndarray:
    """``np.lexsort((tie_break, key))``: sort by key, ties by tie_break, then by index.

    Faster when the tie-breaks are distinct uniform draws (as here, all but surely): one sort
    by tie-break, then a stable sort by key, which keeps the tie-break order within ties.
    """
    by_tie = _argsort_uniform(tie_break)
    tb = tie_break[by_tie]
    if np.any(tb[1:] == tb[:-1]):
        return np.lexsort((tie_break, key))
    if key_constant:
        return by_tie
    return by_tie[np.argsort(key[by_tie], kind="stable")]


def _argsort_uniform(u: np.ndarray) -> np.ndarray:
    """A permutation sorting ``u``, fast for values spread evenly over [0, 1) (random draws).

    A radix sort on the leading bits (numpy's stable sort of 16-bit keys is a linear-time
    radix sort) leaves the values nearly sorted, and a stable sort (timsort) finishes them in
    about linear time: 2-4x faster than ``np.argsort``. For distinct values the result is
    ``np.argsort(u)``, the only sorting permutation; for any values it sorts ``u``.
    """
    buckets = min(u.size, np.iinfo(np.uint16).max)
    near = np.argsort((u * buckets).astype(np.uint16), kind="stable")
    return near[np.argsort(u[near], kind="stable")]


def draw_applicants(
    rng: np.random.Generator,
    weight: np.ndarray,
    niche_focus: np.ndarray,
    home_niche: np.ndarray,
    n_niches: int,
    job_niche: np.ndarray,
    slots: int,
    home_boost: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw up to ``slots`` distinct applicants per job, with replacement then de-duplicated.

    Args:
        rng: the market's random generator.
        weight: visibility of each candidate (0 for the unavailable).
        niche_focus: each candidate's specialisation in [0, 1].
        home_niche: each candidate's home niche.
        n_niches: number of niches.
        job_niche: niche of each job.
        slots: applicant draws per job.
        home_boost: multiplier of each candidate's weight in its home niche (search
            relevance of a specialist, :func:`niche_relevance`); None: 1 for all.

    Returns:
        ``(job, cand)``: parallel arrays of job index and candidate index, one row per distinct
        (job, applicant) pair, sorted by job.
    """
    n_jobs = job_niche.size
    if n_jobs == 0 or weight.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    pools = _niche_pools(weight, niche_focus, home_niche, n_niches, home_boost)
    slot = np.arange(n_jobs * slots)  # job * slots + draw number
    job = slot // slots
    k = job_niche[job]
    total = pools.home_tot[k] + pools.cross_tot[k]
    ok = total > 0
    slot, job, k = slot[ok], job[ok], k[ok]
    p_home = pools.home_tot[k] / total[ok]
    from_home = rng.random(job.size) < p_home
    pos = np.empty(job.size, dtype=np.int64)
    h = np.flatnonzero(from_home)
    pos[h] = _draw_home(rng, pools, k[h])
    c = np.flatnonzero(~from_home)
    pos[c], left = _draw_cross(rng, pools, k[c])
    keep = np.ones(job.size, dtype=bool)
    keep[c[left]] = False  # pathological leftovers (almost no cross weight outside niche k)
    slot, cand = slot[keep], pools.order[pos[keep]]
    return _distinct_pairs(slot, cand, n_jobs, slots, weight.size)


class _Pools(NamedTuple):
    """Candidates sorted by home niche, with the cumulative home and cross weights."""

    order: np.ndarray  # candidate index of each sorted position
    niche_sorted: np.ndarray  # home niche of each sorted position
    seg_start: np.ndarray  # first sorted position of each niche
    seg_end: np.ndarray  # one past the last
    cum_home: np.ndarray  # cumulative home weight over sorted positions
    cum_home0: np.ndarray  # the same with a leading 0
    cum_cross: np.ndarray  # cumulative cross weight over sorted positions
    home_tot: np.ndarray  # home weight per niche
    cross_tot: np.ndarray  # cross weight outside each niche (reach of other niches' members)
    cross_all: float  # cross weight of everyone


def _niche_pools(
    weight: np.ndarray,
    niche_focus: np.ndarray,
    home_niche: np.ndarray,
    n_niches: int,
    home_boost: np.ndarray | None,
) -> _Pools:
    """Sort the candidates with weight by home niche and sum their weights per niche.

    Only candidates with weight can be drawn: leaving the others out changes no partial sum
    of the cumulative weights (adding 0.0 is exact), so every draw lands where it would on
    the full arrays, and the searches run over the available freelancers only.
    """
    live = np.flatnonzero(weight != 0)
    w_cross = weight[live] * (1.0 - niche_focus[live])
    w_home = weight[live] if home_boost is None else weight[live] * home_boost[live]
    # Sort by home niche so that each niche's home pool is one contiguous segment (a stable
    # sort is unique; on 16-bit keys numpy uses a linear-time radix sort).
    home = home_niche[live]
    key = home.astype(np.int16) if n_niches <= np.iinfo(np.int16).max else home
    by_niche = np.argsort(key, kind="stable")
    niche_sorted = home[by_niche]
    seg_start = np.searchsorted(niche_sorted, np.arange(n_niches), side="left")
    seg_end = np.searchsorted(niche_sorted, np.arange(n_niches), side="right")
    cum_home = np.cumsum(w_home[by_niche])
    cum_home0 = np.concatenate(([0.0], cum_home))
    cum_cross = np.cumsum(w_cross[by_niche])
    cum_cross0 = np.concatenate(([0.0], cum_cross))
    cross_in_niche = cum_cross0[seg_end] - cum_cross0[seg_start]
    cross_all = float(cum_cross0[-1])
    return _Pools(
        order=live[by_niche],
        niche_sorted=niche_sorted,
        seg_start=seg_start,
        seg_end=seg_end,
        cum_home=cum_home,
        cum_home0=cum_home0,
        cum_cross=cum_cross,
        home_tot=cum_home0[seg_end] - cum_home0[seg_start],
        cross_tot=np.maximum(cross_all - cross_in_niche, 0.0),
        cross_all=cross_all,
    )


def _draw_home(rng: np.random.Generator, pools: _Pools, k: np.ndarray) -> np.ndarray:
    """Sorted positions drawn from the home pools of niches ``k`` (one target per draw)."""
    target = pools.cum_home0[pools.seg_start[k]] + rng.random(k.size) * pools.home_tot[k]
    pos = _search_right(pools.cum_home, target, _guide_table(pools.cum_home, target.size))
    return np.minimum(pos, pools.seg_end[k] - 1)


def _draw_cross(
    rng: np.random.Generator, pools: _Pools, k: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted positions drawn from everyone's cross weight outside niches ``k``.

    Draws over everyone's cross weight and redraws those that land in niche ``k`` itself
    (rejection: expected rounds are few, as one niche holds a minority of the cross weight).

    Returns:
        ``(pos, left)``: a position per draw, and the draws still inside their own niche after
        the last round (to drop).
    """
    pos = np.empty(k.size, dtype=np.int64)
    todo = np.arange(k.size)
    last = pools.cum_cross.size - 1
    guide = _guide_table(pools.cum_cross, todo.size)
    for _ in range(_MAX_REJECTION_ROUNDS):
        if todo.size == 0:
            break
        target = rng.random(todo.size) * pools.cross_all
        p = np.minimum(_search_right(pools.cum_cross, target, guide), last)
        pos[todo] = p
        todo = todo[pools.niche_sorted[p] == k[todo]]
    return pos, todo


_GUIDE_MIN_QUERIES = 2048  # fewer lookups than this: a plain binary search is cheaper

Guide = tuple[np.ndarray, np.ndarray, float]


def _guide_table(cum: np.ndarray, n_queries: int) -> Guide | None:
    """A guide table for inverse-CDF lookups in ``cum`` (non-decreasing, from 0).

    ``[0, total)`` is cut into ``len(cum)`` equal buckets with edges ``e_b``, and
    ``guide[b] = searchsorted(cum, e_b, "right")``. A lookup whose bucket holds no step of
    ``cum`` is then answered by the table alone; only the rest need a binary search (the
    classic "indexed search" of inverse-CDF sampling). None when not worth it.
    """
    n = cum.size
    total = float(cum[-1]) if n else 0.0
    if n_queries < _GUIDE_MIN_QUERIES or n < 2 or not 0.0 < total < np.inf:
        return None
    scale = n / total
    edges = np.arange(n + 1) * (total / n)
    edges[-1] = np.inf
    # first[i] = the first bucket edge at or above cum[i] (cum[i] <= e_b  <=>  b >= first[i]),
    # from a float estimate corrected by exact comparisons; guide = running count of firsts.
    first = np.ceil(cum * scale).astype(np.int64)
    np.clip(first, 0, n, out=first)
    for _ in range(4):
        lower = (first > 0) & (edges[first - 1] >= cum)
        higher = edges[first] < cum
        if not (lower.any() or higher.any()):
            break
        first -= lower
        first += higher
    else:
        return edges, np.searchsorted(cum, edges, side="right"), scale
    guide = np.cumsum(np.bincount(first, minlength=n + 1))
    return edges, guide, scale


def _search_right(cum: np.ndarray, t: np.ndarray, guide: Guide | None) -> np.ndarray:
    """``np.searchsorted(cum, t, side="right")``, with a guide table when there is one.

    Few lookups (the last rounds of rejection sampling) go straight to the binary search: the
    table saves less than its own handful of array operations costs.
    """
    if guide is None or t.size < _GUIDE_MIN_QUERIES:
        return np.searchsorted(cum, t, side="right")
    edges, table, scale = guide
    b = np.minimum((t * scale).astype(np.int64), edges.size - 2)
    np.maximum(b, 0, out=b)
    out = table[b]
    # e_b <= t < e_b+1 bounds the answer by table[b] and table[b+1]; equal bounds settle it.
    hard = np.flatnonzero((out != table[b + 1]) | (t < edges[b]) | (t >= edges[b + 1]))
    out[hard] = np.searchsorted(cum, t[hard], side="right")
    return out


def _distinct_pairs(
    slot: np.ndarray, cand: np.ndarray, n_jobs: int, slots: int, n_cand: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (job, candidate) pairs, sorted by job then candidate.

    The same pairs in the same order as ``np.unique(job * n_cand + cand)``, from draws laid out
    ``slots`` to a job (``slot = job * slots + draw``). Sorting each job's few draws is linear
    in the number of jobs, where a global sort or hash of the pair keys is not.
    """
    grid = np.full(n_jobs * slots, n_cand, dtype=np.int64)  # n_cand: an empty slot, sorts last
    grid[slot] = cand
    grid = np.sort(grid.reshape(n_jobs, slots), axis=1)
    fresh = grid != n_cand
    fresh[:, 1:] &= grid[:, 1:] != grid[:, :-1]  # a repeat follows its twin in the job's row
    at = np.flatnonzero(fresh)
    return at // slots, grid.ravel()[at]


def draw_uniform_applicants(
    rng: np.random.Generator,
    available: np.ndarray,
    niche_focus: np.ndarray,
    home_niche: np.ndarray,
    n_niches: int,
    job_niche: np.ndarray,
    slots: int,
    home_boost: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exploration slots: applicants drawn ignoring reputation and profile (niche reach only).

    ``available`` is a mask, or weights (how often each applies, e.g. its activity).
    """
    return draw_applicants(
        rng,
        np.asarray(available, dtype=np.float64),
        niche_focus,
        home_niche,
        n_niches,
        job_niche,
        slots,
        home_boost,
    )


def niche_relevance(niche_focus: np.ndarray, relevance: float) -> np.ndarray | None:
    """Search relevance of each freelancer in its home niche: ``exp(relevance * focus)``.

    A query in a niche ranks the profiles focused on it first: a pure specialist is
    ``exp(relevance)`` times as visible at home as a generalist of equal standing. None when
    ``relevance`` is 0 (no boost, and no arithmetic).
    """
    return None if relevance == 0 else np.exp(relevance * niche_focus)
