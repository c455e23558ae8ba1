"""Compiled entry draws of a week (numba): the newcomers, their traits written into free rows.

A replica of the draws of ``population.enter`` (``add_freelancers``' and ``add_clients``'),
taken from the population stream (``rng_at``, see :func:`marketplace_sim.market.jit.
generator_addresses`) in numpy's order and sizes, with numba's own ``Generator`` methods:
``poisson``, ``beta``, ``random``, ``integers``, ``standard_normal`` and ``gamma`` are ports
of numpy's C distributions (``numpy/random/src/distributions``), calling the same libm
functions (``pow``, ``log``, ``exp``) on the same values, so they draw the same numbers and
leave the generator in the same state. That is not taken on trust: ``tests/test_perf_enter.py``
compares them with numpy's, value by value and state by state, over many seeds and parameters
(beta with both shapes below 1 and above, gamma with shape below 1, Poisson means below and
above 10, large draws that reach the normal's tail). What numpy computes with its SIMD ufuncs
(``np.exp`` of the rates and choice weights) is left to numpy: the kernel leaves it the scaled
normals.
"""

from __future__ import annotations

import numpy as np

from marketplace_sim.market.jit import kernel
from marketplace_sim.market.jit_rng import generator


@kernel
def draw_week(
    rng_at: np.ndarray,
    beta: np.ndarray,
    cdf: np.ndarray,
    par: np.ndarray,
    step: int,
    fl: tuple[np.ndarray, ...],
    fl_start: int,
    fl_room: int,
    cl: tuple[np.ndarray, ...],
    cl_start: int,
    cl_room: int,
) -> tuple[int, int, np.ndarray]:
    """``population.enter``'s draws, the entrants' traits written into the rows after the live.

    ``beta``: the (a, b) of expertise, communication, reliability, profile and niche focus;
    ``cdf``: the niches' cumulative popularity (``population.niche_cdf``); ``par``:
    entry_rate, client_entry_rate, capacity_max, rate_sigma, post_rate_shape, the post
    rates' scale (post_rate / post_rate_shape, as numpy computes it), weight_sd; ``fl``: the
    freelancer columns expertise0, expertise, communication, reliability, profile,
    niche_focus, home_niche, capacity, rate, active, entry_step, last_work_step, whose rows
    ``fl_start`` to ``fl_start + fl_room`` are free; ``cl``: the client columns post_rate,
    active, entry_step, rows ``cl_start`` to ``cl_start + cl_room`` free.

    Draws, as numpy: the number of freelancers n (Poisson); if n > 0 their five traits
    (beta, n each, in that order), home niches (``cdf.searchsorted(random(n),
    side="right")``), capacities (``integers(1, capacity_max + 1, n)``) and the rates'
    standard normals z (n), of which ``rate_sigma * z`` (the product numpy computes) is
    written into ``rate`` (numpy makes the rates: ``np.exp``); ``active``, ``entry_step`` and
    ``last_work_step`` are set to True, ``step``, ``step``. Then the number of clients m
    (Poisson); if m > 0 their post rates (``gamma(shape, scale, m)``) and the choice
    weights' standard normals z ((5, m)), of which ``weight_sd * z`` is returned.

    Returns:
        (n, m, ``weight_sd * z``). If n > ``fl_room``, only n was drawn (m = -1); if
        m > ``cl_room``, only m was drawn after the freelancers (the weights empty): the
        caller draws the rest with numpy.
    """
    g = generator(rng_at)
    none = np.empty((5, 0))
    n = g.poisson(par[0])
    if n > fl_room:
        return n, -1, none
    if n > 0:
        e0, e, comm, rel, prof, focus, home, capacity, rate, active, entry, last_work = fl
        start, end = fl_start, fl_start + n
        e0[start:end] = g.beta(beta[0, 0], beta[0, 1], n)
        e[start:end] = e0[start:end]
        comm[start:end] = g.beta(beta[1, 0], beta[1, 1], n)
        rel[start:end] = g.beta(beta[2, 0], beta[2, 1], n)
        prof[start:end] = g.beta(beta[3, 0], beta[3, 1], n)
        focus[start:end] = g.beta(beta[4, 0], beta[4, 1], n)
        home[start:end] = np.searchsorted(cdf, g.random(n), side="right")
        capacity[start:end] = g.integers(1, np.int64(par[2]) + 1, n)
        rate[start:end] = par[3] * g.standard_normal(n)
        active[start:end] = True
        entry[start:end] = step
        last_work[start:end] = step
    m = g.poisson(par[1])
    if m > cl_room or m == 0:
        return n, m, none
    post_rate, cl_active, cl_entry = cl
    start, end = cl_start, cl_start + m
    post_rate[start:end] = g.gamma(par[4], par[5], m)
    cl_active[start:end] = True
    cl_entry[start:end] = step
    return n, m, par[6] * g.standard_normal((5, m))
