"""Compiled posting and hiring of a week around the search (numba): fewer calls from Python.

``hiring.post_and_hire`` in three calls, numpy's ``exp``, ``geometric`` and ``sort`` between
them (see :mod:`marketplace_sim.market.jit`: no transcendental function in a kernel unless it
is the C library's that numpy's own draw calls; draws numpy's algorithms would take
differently stay numpy's): the posted jobs (:func:`post_jobs`: the Poisson counts below 10
(:func:`poisson_mult`), niche and budget draws, spare capacity and the direct-rehire
candidates, :func:`rehire_prep`), the rehires, their contracts and the ranking keys packed for
the sort (:func:`rehire_and_rank`), and search, choice and the contracts of the hired
(:func:`search_and_start`). The same draws from the market stream in the same order and sizes
as the numpy code, the same arithmetic in the same order, integer tallies in place.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from marketplace_sim.market import kernels_hire, kernels_sort, kernels_week
from marketplace_sim.market.jit import helper, kernel
from marketplace_sim.market.jit_rng import generator
from marketplace_sim.market.kernels_guide import search_between

POISSON_MULT_BELOW = 10.0  # numpy's random_poisson: the multiplication method below this rate


@helper
def poisson_mult(rng: np.random.Generator, lam: float) -> int:
    """One ``rng.poisson(lam)`` draw for ``0 <= lam < 10``, as numpy's ``random_poisson``.

    numpy draws such rates by multiplying uniforms until the product is at most
    ``exp(-lam)`` (``random_poisson_mult``; ``lam == 0``: 0, nothing drawn). Its ``exp`` is
    the C library's, as ``math.exp`` here (not numpy's vectorised ufunc).
    """
    if lam == 0.0:
        return 0
    enlam = math.exp(-lam)
    x = 0
    prod = 1.0
    while True:
        prod *= rng.random()
        if prod > enlam:
            x += 1
        else:
            return x


@kernel
def post_jobs(
    rng_at: np.ndarray,
    active: np.ndarray,
    post_rate: np.ndarray,
    jobs_posted: np.ndarray,
    cdf: np.ndarray,
    prep: tuple[Any, ...],
) -> tuple[Any, ...]:
    """The week's jobs, then :func:`rehire_prep` of them (which draws nothing).

    As ``rng.poisson(post_rate[active])`` (jobs posted by each active client, in row order),
    ``np.repeat(active rows, n_posts)``, ``jobs_posted`` counted, then ``draw_niches``
    (``cdf.searchsorted(rng.random(n), side="right")``) and ``rng.standard_normal(n)``.
    ``prep``: the arguments of :func:`rehire_prep` after ``jobs``, then ``budget_sigma``.

    Returns ``(ok, jobs, zx, spare, rehire)`` as :func:`post_drawn`. ``ok`` False, with
    nothing drawn or changed, if an active client's rate is not in ``[0, 10)``: the caller
    then lets numpy draw (:func:`post_drawn`).
    """
    e_i = np.empty(0, dtype=np.int64)
    for r in range(active.size):
        if active[r] and not (0.0 <= post_rate[r] < POISSON_MULT_BELOW):
            return (
                False,
                np.empty((2, 0), dtype=np.int64),
                np.empty(0),
                e_i,
                np.empty((2, 0), dtype=np.int64),
            )
    rng = generator(rng_at)
    n_posts = np.empty(active.size, dtype=np.int64)
    a = 0
    for r in range(active.size):
        if active[r]:
            n_posts[a] = poisson_mult(rng, post_rate[r])
            a += 1
    jobs, zx, spare, rehire = post_drawn(rng_at, active, n_posts[:a], jobs_posted, cdf, prep)
    return True, jobs, zx, spare, rehire


@kernel
def post_drawn(
    rng_at: np.ndarray,
    active: np.ndarray,
    n_posts: np.ndarray,
    jobs_posted: np.ndarray,
    cdf: np.ndarray,
    prep: tuple[Any, ...],
) -> tuple[np.ndarray, ...]:
    """:func:`post_jobs` given ``n_posts`` (``rng.poisson``'s draws, numpy's or ours).

    Returns ``(jobs, zx, spare, rehire)``, few arrays (each array returned to Python costs
    its boxing): ``jobs``, shape ``(2, n)``: client row and niche per job; ``zx``: budget_sigma
    times a standard-normal draw per job, then :func:`rehire_prep`'s ``x`` per candidate (one
    ``np.exp`` for both: numpy's ``exp`` gives an element the same value whatever the array
    it is part of); ``spare``; ``rehire``, shape ``(2, k)``: candidate job and row (``rj``,
    ``rf``). All empty when there is no job.
    """
    n = 0
    for i in range(n_posts.size):
        n += n_posts[i]
    jobs = np.empty((2, n), dtype=np.int64)
    job_client, niche = jobs[0], jobs[1]
    m = 0
    a = 0
    for r in range(active.size):
        if active[r]:
            for _ in range(n_posts[a]):
                job_client[m] = r
                m += 1
            jobs_posted[r] += n_posts[a]
            a += 1
    rng = generator(rng_at)
    for j in range(n):
        niche[j] = search_between(cdf, rng.random(), 0, cdf.size)
    listing, flags, cl, fl, premium, price_weight, sigma = prep
    z = np.empty(n)
    for j in range(n):
        z[j] = sigma * rng.standard_normal()  # budget_sigma * z, as numpy multiplies
    if n == 0:  # no posting: no hiring this week
        return jobs, z, np.empty(0, dtype=np.int64), np.empty((2, 0), dtype=np.int64)
    spare, rj, rf, x = rehire_prep(
        (job_client, niche), listing, flags, cl, fl, premium, price_weight
    )
    zx = np.empty(n + x.size)
    zx[:n] = z
    zx[n:] = x
    rehire = np.empty((2, rj.size), dtype=np.int64)
    rehire[0] = rj
    rehire[1] = rf
    return jobs, zx, spare, rehire


@kernel
def rehire_prep(
    jobs: tuple[np.ndarray, np.ndarray],
    listing: tuple[np.ndarray, ...],
    flags: tuple[bool, bool],
    cl: tuple[np.ndarray, ...],
    fl: tuple[np.ndarray, np.ndarray, np.ndarray],
    premium: float,
    price_weight: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``hiring.spare_capacity`` and ``kernels_week.rehire_candidates``: (spare, rj, rf, x).

    ``jobs``: client row and niche of each job; ``listing``: active, dormant, capacity,
    load, one_job, hires; ``flags``: dormancy on, one-job freelancers on; ``cl`` and ``fl``
    as :func:`kernels_week.rehire_candidates`.
    """
    active, dormant, capacity, load, one_job, hires = listing
    dormancy, one_job_on = flags
    spare = np.zeros(active.size, dtype=np.int64)
    for r in range(active.size):
        if active[r] or (dormancy and dormant[r]):
            spare[r] = np.int64(capacity[r]) - np.int64(load[r])
        if one_job_on and one_job[r] and hires[r] > 0:
            spare[r] = 0
    rj, rf, x = kernels_week.rehire_candidates(jobs[0], jobs[1], cl, fl, premium, price_weight)
    return spare, rj, rf, x


@kernel
def rehire_and_rank(
    rng_at: np.ndarray,
    rehire: tuple[np.ndarray, np.ndarray, np.ndarray],
    state: tuple[np.ndarray, np.ndarray, np.ndarray],
    jobs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    contract: tuple[int, int, int],
    pool: tuple[np.ndarray, ...],
    open_fl: tuple[np.ndarray, ...],
    open_c: np.ndarray,
    open_par: np.ndarray,
    rank: tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray, np.ndarray],
    scale: tuple[float, float],
) -> tuple[Any, ...]:
    """Direct rehires and their contracts, then the ranking keys of search (if jobs are left).

    ``rehire``: candidate jobs, rows and ``p_rehire`` (numpy's ``exp``); ``state``: active,
    spare, declined; ``jobs``: client, niche, budget, duration per job; ``contract``: week,
    first contract id, first pool row (capacity reserved by the caller); ``pool``,
    ``open_fl``, ``open_c``, ``open_par`` as :func:`kernels_week.open_contracts`; ``rank``:
    the arguments of :func:`kernels_hire.rank_keys` after ``rng_at`` and ``spare``;
    ``scale``: budget_median and rehire_prob. The budgets and ``p_rehire`` come as numpy's
    ``exp`` alone: they are multiplied by these in place (as numpy would, once).

    Returns ``(ok, rehired, open_jobs, rep, rows, key, tie_break, sort)``: ``ok`` False,
    with nothing drawn or changed, when ``log1p_reviews`` is too short for some available
    row (the caller extends it and calls again); ``sort``: the first step of
    ``kernels_sort.order_by``, ``(b, bits, packed)`` of the tie-breaks, for ``np.sort``.
    """
    active, spare, declined = state
    rank_fl, log1p, rank_par, cached_rep = rank
    empty_i, empty_f = np.empty(0, dtype=np.int64), np.empty(0)
    no_sort = (1, np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.uint64))
    if cached_rep.size == 0:
        n_reviews = rank_fl[1]
        for r in range(spare.size):
            if spare[r] > 0 and n_reviews[r] >= log1p.size:
                return False, 0, empty_i, empty_f, empty_i, empty_f, empty_f, no_sort
    job_client, niche, budget, duration = jobs
    p_rehire = rehire[2]
    for j in range(budget.size):
        budget[j] = scale[0] * budget[j]  # budget_median * exp(budget_sigma * z)
    for i in range(p_rehire.size):
        p_rehire[i] = scale[1] * p_rehire[i]  # rehire_prob * exp(x)
    rj, rf = kernels_week.rehire_accept(
        rng_at, rehire[0], rehire[1], p_rehire, active, spare, declined
    )
    t, first_id, at = contract
    kernels_week.open_contracts(
        t, rf, job_client[rj], niche[rj], budget[rj], duration[rj], True, first_id,
        pool, at, open_fl, open_c, open_par,
    )  # fmt: skip
    filled = np.zeros(job_client.size, dtype=np.bool_)
    for i in range(rj.size):
        filled[rj[i]] = True
    open_jobs = np.empty(job_client.size - rj.size, dtype=np.int64)
    m = 0
    for j in range(job_client.size):
        if not filled[j]:
            open_jobs[m] = j
            m += 1
    if m == 0:  # no search this week: nothing drawn for it
        return True, rj.size, open_jobs, empty_f, empty_i, empty_f, empty_f, no_sort
    _, rep, rows, key, tie_break = kernels_hire.rank_keys(
        rng_at, spare, rank_fl, log1p, rank_par, cached_rep
    )
    b = kernels_sort.bits_for(rows.size)
    bits, packed = kernels_sort.pack(tie_break, empty_i, b)
    return True, rj.size, open_jobs, rep, rows, key, tie_break, (b, bits, packed)


@kernel
def start_hired(
    hired: tuple[np.ndarray, np.ndarray],
    jobs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    contract: tuple[int, int, int],
    pool: tuple[np.ndarray, ...],
    open_fl: tuple[np.ndarray, ...],
    open_c: np.ndarray,
    open_par: np.ndarray,
    listing: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """The search's hires: dormant ones active again (``reactivate``), their contracts opened.

    ``hired``: job index and freelancer row of each hire; ``jobs``, ``contract``, ``pool``,
    ``open_fl``, ``open_c``, ``open_par`` as :func:`rehire_and_rank`; ``listing``: dormant,
    active, exit_step.
    """
    hj, hf = hired
    dormant, active, exit_step = listing
    for i in range(hf.size):
        r = hf[i]
        if dormant[r]:
            dormant[r] = False
            active[r] = True
            exit_step[r] = -1
    job_client, niche, budget, duration = jobs
    t, first_id, at = contract
    kernels_week.open_contracts(
        t, hf, job_client[hj], niche[hj], budget[hj], duration[hj], False, first_id,
        pool, at, open_fl, open_c, open_par,
    )  # fmt: skip


@kernel
def search_and_start(
    rng_at: np.ndarray,
    ranked: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int],
    search: tuple[Any, ...],
    open_jobs: np.ndarray,
    jobs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    contract: tuple[int, int, int],
    pool: tuple[np.ndarray, ...],
    open_fl: tuple[np.ndarray, ...],
    open_c: np.ndarray,
    open_par: np.ndarray,
    listing: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> int:
    """Search and choice for the open jobs, then :func:`start_hired`; returns the hires.

    ``ranked`` as ``kernels_hire.search_and_choose``; ``search``: its arguments after
    ``jobs`` and before ``sizes`` (appeal, by_position, applies, explore, home_boost), then
    after ``jobs`` (sizes, rep, fl, cl, par, spare, declined); ``open_jobs``: the jobs left
    after the rehires; the rest as :func:`start_hired`.
    """
    appeal, by_position, applies, explore, home_boost = search[:5]
    sizes, rep, fl, cl, par, spare, declined = search[5:]
    job_client, niche = jobs[0], jobs[1]
    hj, hf = kernels_hire.search_and_choose(
        rng_at, ranked, appeal, by_position, applies, explore, home_boost,
        (niche[open_jobs], job_client[open_jobs]), sizes, rep, fl, cl, par, spare, declined,
    )  # fmt: skip
    start_hired((open_jobs[hj], hf), jobs, contract, pool, open_fl, open_c, open_par, listing)
    return hf.size
