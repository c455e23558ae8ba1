"""Compiled entry draws of a week (numba): the newcomers' traits, written into their rows.

Replicas of the draws of ``population.add_freelancers`` and ``population.add_clients``, taken
from the population stream (``rng_at``, see :func:`marketplace_sim.market.jit.
generator_addresses`) in numpy's order and sizes, with numba's own ``Generator`` methods:
``beta``, ``random``, ``integers``, ``standard_normal`` and ``gamma`` are ports of numpy's C
distributions (``numpy/random/src/distributions``), calling the same libm functions (``pow``,
``log``, ``exp``) on the same values, so they draw the same numbers and leave the generator in
the same state. That is not taken on trust: ``tests/test_perf_enter.py`` compares them with
numpy's, value by value and state by state, over many seeds and parameters (beta with both
shapes below 1 and above, gamma with shape below 1, large draws that reach the normal's
tail). The numbers of entrants (``poisson``) numpy draws, so that the caller can add the rows
first; what numpy computes with its SIMD ufuncs (``np.exp`` of the rates and choice weights)
is left to numpy: the kernels leave it the standard-normal draws.
"""

from __future__ import annotations

import numpy as np

from marketplace_sim.market.jit import kernel
from marketplace_sim.market.jit_rng import generator


@kernel
def draw_freelancers(
    rng_at: np.ndarray,
    beta: np.ndarray,
    cdf: np.ndarray,
    par: np.ndarray,
    step: int,
    start: int,
    n: int,
    cols: tuple[np.ndarray, ...],
) -> None:
    """``population.add_freelancers``' draws of ``n`` freelancers, into rows ``start`` on.

    ``beta``: the (a, b) of expertise, communication, reliability, profile and niche focus;
    ``cdf``: the niches' cumulative popularity (``population.niche_cdf``); ``par``:
    capacity_max, rate_sigma; ``cols``: the freelancer columns (the rows to fill added)
    expertise0, expertise, communication, reliability, profile, niche_focus, home_niche,
    capacity, rate, active, entry_step, last_work_step; the last three are set to True,
    ``step`` and ``step``.

    Draws, as numpy: the five traits (beta, n each, in that order), the home niches
    (``cdf.searchsorted(random(n), side="right")``), the capacities (``integers(1,
    capacity_max + 1, n)``) and the rates' standard normals (n), of which ``rate_sigma *
    z`` (the product numpy computes) is written into ``rate``: numpy makes the rates of
    them (``np.exp``).
    """
    e0, e, comm, rel, prof, focus, home, capacity, rate, active, entry, last_work = cols
    end = start + n
    g = generator(rng_at)
    e0[start:end] = g.beta(beta[0, 0], beta[0, 1], n)
    e[start:end] = e0[start:end]
    comm[start:end] = g.beta(beta[1, 0], beta[1, 1], n)
    rel[start:end] = g.beta(beta[2, 0], beta[2, 1], n)
    prof[start:end] = g.beta(beta[3, 0], beta[3, 1], n)
    focus[start:end] = g.beta(beta[4, 0], beta[4, 1], n)
    home[start:end] = np.searchsorted(cdf, g.random(n), side="right")
    capacity[start:end] = g.integers(1, np.int64(par[0]) + 1, n)
    rate[start:end] = par[1] * g.standard_normal(n)
    active[start:end] = True
    entry[start:end] = step
    last_work[start:end] = step


@kernel
def draw_clients(
    rng_at: np.ndarray,
    par: np.ndarray,
    step: int,
    start: int,
    n: int,
    cols: tuple[np.ndarray, ...],
) -> np.ndarray:
    """``population.add_clients``' draws of ``n`` clients: post rates into rows ``start`` on.

    ``cols`` (the client columns, the rows to fill added): post_rate, active, entry_step.
    ``par``: post_rate_shape, scale (post_rate / post_rate_shape, as numpy computes it),
    weight_sd. Draws, as numpy: ``gamma(shape, scale, n)``, then the choice weights'
    standard normals z ((5, n)); returns ``weight_sd * z``, of which numpy makes the weights
    (``np.exp``).
    """
    post_rate, active, entry = cols
    end = start + n
    g = generator(rng_at)
    post_rate[start:end] = g.gamma(par[0], par[1], n)
    active[start:end] = True
    entry[start:end] = step
    return par[2] * g.standard_normal((5, n))
