"""Compiled entry draws of a week (numba): the newcomers' numbers and traits.

A replica of the draws of ``population.enter`` (``add_freelancers``' and ``add_clients``'),
taken from the population stream (``rng_at``, see :func:`marketplace_sim.market.jit.
generator_addresses`) in numpy's order and sizes, with numba's own ``Generator`` methods:
``poisson``, ``beta``, ``random``, ``integers``, ``standard_normal`` and ``gamma`` are ports of
numpy's C distributions (``numpy/random/src/distributions``), calling the same libm functions
(``pow``, ``log``, ``exp``) on the same values, so they draw the same numbers and leave the
generator in the same state. That is not taken on trust: ``tests/test_perf_enter.py`` compares
them with numpy's, value by value and state by state, over many seeds and parameters (beta
with both shapes below 1, gamma with shape below 1, Poisson means below and above 10, empty
draws). What numpy computes with its SIMD ufuncs (``np.exp`` of the rates and choice
weights) is left to numpy: the kernel returns the standard-normal draws.
"""

from __future__ import annotations

import numpy as np

from marketplace_sim.market.jit import kernel
from marketplace_sim.market.jit_rng import generator


@kernel
def draw_entrants(
    rng_at: np.ndarray, beta: np.ndarray, par: np.ndarray, cdf: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A week's entrants: (freelancer traits, their niches and capacities, client draws).

    ``beta``: the (a, b) of expertise, communication, reliability, profile and niche focus;
    ``par``: entry_rate, client_entry_rate, capacity_max, post_rate_shape, post-rate scale
    (post_rate / post_rate_shape, as numpy computes it); ``cdf``: the niches' cumulative
    popularity (``population.niche_cdf``). Draws, as ``population.enter``: the number of
    freelancers n (Poisson); if n > 0 the five traits (beta, n each), the home niches
    (``cdf.searchsorted(random(n), side="right")``), capacities (``integers(1, capacity_max
    + 1, n)``) and the rates' standard normals (n); the number of clients m (Poisson); if
    m > 0 their post rates (gamma, m) and the choice weights' standard normals ((5, m)).

    Returns:
        ``traits`` (6, n): the five traits, then the rates' normals; ``ints`` (2, n): home
        niche, capacity; ``post_rate`` (m,); ``weights`` (5, m): the weights' normals.
    """
    g = generator(rng_at)
    n = g.poisson(par[0])
    traits = np.empty((6, n))
    ints = np.empty((2, n), dtype=np.int64)
    if n > 0:
        for i in range(5):
            traits[i] = g.beta(beta[i, 0], beta[i, 1], n)
        ints[0] = np.searchsorted(cdf, g.random(n), side="right")
        ints[1] = g.integers(1, np.int64(par[2]) + 1, n)
        traits[5] = g.standard_normal(n)
    m = g.poisson(par[1])
    post_rate = np.empty(m)
    weights = np.empty((5, m))
    if m > 0:
        post_rate = g.gamma(par[3], par[4], m)
        weights = g.standard_normal((5, m))
    return traits, ints, post_rate, weights
