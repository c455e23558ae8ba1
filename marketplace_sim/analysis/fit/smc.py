"""ABC-SMC on fixed, seeded batches: proposals, importance weights, thresholds (pure numpy).

The scheme is the adaptive population Monte Carlo ABC of Lenormand, Jabot & Deffuant (2013),
with the perturbation kernel and importance weights of Beaumont et al. (2009) and the
quantile-adapted threshold of Del Moral, Doucet & Jasra (2012) and Drovandi & Pettitt (2011):

1. Generation 0 draws ``particles + batch`` candidates from the prior and keeps the
   ``particles`` closest to the data (weights 1). The threshold ``epsilon_0`` is the largest
   kept distance.
2. Generation ``t`` draws ``batch`` new candidates: a kept particle ``j`` chosen with
   probability ``W_j`` (normalised weights), moved by a Gaussian kernel with twice the weighted
   variance of the kept particles, coordinate by coordinate (redrawn until inside the prior's
   box). Each gets the importance weight ``prior(u) / q(u)``, ``q`` the exact density of the
   truncated mixture it came from. The kept particles and the new candidates are pooled, and the
   ``particles`` closest are kept: ``epsilon_t`` falls with every generation.
3. The fit stops when the budget is spent, or when fewer than ``min_acceptance`` of a
   generation's new candidates beat ``epsilon_{t-1}`` (the search no longer improves).

Every random draw of candidate ``i`` of generation ``t`` comes from its own generator, seeded by
``(root_seed, t, i)``, and candidates are pooled and ranked in index order, so the result
depends on the seeds alone, never on how many workers ran the simulations or in which order
they finished.

Priors are uniform on a box in *internal coordinates* (a value, or its log for a log-uniform
prior; :class:`~marketplace_sim.analysis.fit.spec.Parameter`), where the kernel works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

KERNEL_SCALE = 2.0  # Beaumont et al. (2009): twice the weighted variance of the particles
MIN_SD = 1e-6  # kernel sd at least this share of a coordinate's prior range (no collapse)
MAX_REDRAWS = 10_000  # draws outside the box before a coordinate gives up (never in practice)


@dataclass(frozen=True)
class Population:
    """The kept particles of a generation, in rank order (closest first).

    Attributes:
        ids: candidate ids (``g02-c00017``), for reading their simulations back.
        u: internal coordinates, one row per particle.
        weights: unnormalised importance weights.
        distances: each particle's distance to the data.
    """

    ids: tuple[str, ...]
    u: np.ndarray
    weights: np.ndarray
    distances: np.ndarray

    @property
    def normalised(self) -> np.ndarray:
        """Weights summing to one."""
        return self.weights / self.weights.sum()

    @property
    def epsilon(self) -> float:
        """The threshold: the largest kept distance."""
        return float(self.distances.max())

    @property
    def ess(self) -> float:
        """Effective sample size of the weights, (sum w)^2 / sum w^2."""
        w = self.weights
        return float(w.sum() ** 2 / (w**2).sum())


def box_arrays(box: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` arrays of a box given as ``[(lo, hi), ...]``."""
    arr = np.asarray(box, dtype=np.float64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def prior_draw(box: Sequence[tuple[float, float]], rng: np.random.Generator) -> np.ndarray:
    """One draw from the uniform prior on the box."""
    lo, hi = box_arrays(box)
    return lo + (hi - lo) * rng.random(lo.size)


def kernel_sd(pop: Population, box: Sequence[tuple[float, float]]) -> np.ndarray:
    """The kernel's sd per coordinate: ``sqrt(2 * weighted variance)`` of the particles."""
    lo, hi = box_arrays(box)
    w = pop.normalised
    mean = w @ pop.u
    var = w @ (pop.u - mean) ** 2
    return np.maximum(np.sqrt(KERNEL_SCALE * var), MIN_SD * (hi - lo))


def propose(
    pop: Population,
    sd: np.ndarray,
    box: Sequence[tuple[float, float]],
    rng: np.random.Generator,
) -> np.ndarray:
    """A new candidate: a particle chosen by weight, moved by the truncated Gaussian kernel."""
    lo, hi = box_arrays(box)
    j = int(rng.choice(len(pop.ids), p=pop.normalised))
    centre = pop.u[j]
    out = np.empty_like(centre)
    for k in range(centre.size):  # coordinate by coordinate: the truncation factorises
        for _ in range(MAX_REDRAWS):
            v = centre[k] + sd[k] * rng.standard_normal()
            if lo[k] <= v <= hi[k]:
                break
        else:  # pragma: no cover - needs a kernel far wider than the box
            v = float(np.clip(v, lo[k], hi[k]))
        out[k] = v
    return out


def proposal_density(
    u: np.ndarray, pop: Population, sd: np.ndarray, box: Sequence[tuple[float, float]]
) -> np.ndarray:
    """The exact density of :func:`propose` at each row of ``u`` (in internal coordinates).

    ``q(u) = sum_j W_j prod_k N(u_k; u_jk, sd_k) / Z_jk``, where ``Z_jk`` is the kernel's mass
    inside the box: the redraws make each coordinate a truncated normal.
    """
    lo, hi = box_arrays(box)
    z = (u[:, None, :] - pop.u[None, :, :]) / sd  # (new, particle, coordinate)
    dens = np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * sd)
    mass = ndtr((hi - pop.u) / sd) - ndtr((lo - pop.u) / sd)  # (particle, coordinate)
    per_particle = np.prod(dens / mass[None, :, :], axis=2)
    return np.asarray(per_particle @ pop.normalised, dtype=np.float64)


def importance_weights(
    u: np.ndarray, pop: Population, sd: np.ndarray, box: Sequence[tuple[float, float]]
) -> np.ndarray:
    """``prior(u) / q(u)`` of new candidates (the prior is ``1 / volume`` inside the box).

    Generation 0's particles, drawn from the prior itself, have weight 1 on the same scale, so
    particles of different generations can be pooled.
    """
    lo, hi = box_arrays(box)
    volume = float(np.prod(hi - lo))
    return np.asarray((1.0 / volume) / proposal_density(u, pop, sd, box), dtype=np.float64)


def select(
    ids: Sequence[str],
    u: np.ndarray,
    weights: np.ndarray,
    distances: np.ndarray,
    keep: int,
) -> Population:
    """Keep the ``keep`` closest of a pool; ties broken by pool order (deterministic).

    A distance that is NaN counts as infinite (a failed simulation is never preferred).
    """
    d = np.where(np.isnan(distances), np.inf, distances)
    order = np.lexsort((np.arange(d.size), d))[:keep]  # by distance, then by position
    return Population(
        tuple(ids[i] for i in order),
        np.asarray(u[order], dtype=np.float64),
        np.asarray(weights[order], dtype=np.float64),
        np.asarray(d[order], dtype=np.float64),
    )


def acceptance(new_distances: np.ndarray, epsilon: float) -> float:
    """Share of new candidates strictly closer than the previous threshold."""
    d = np.where(np.isnan(new_distances), np.inf, new_distances)
    return float(np.mean(d < epsilon)) if d.size else 0.0


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample: the weighted CDF at the sorted values' midpoints.

    The CDF at the ``i``-th smallest value is ``(cumsum(w)_i - w_i / 2) / sum(w)``; quantiles
    are read off it by linear interpolation (the values beyond its ends are the extremes).
    With equal weights this is the "hazen" plotting position.
    """
    order = np.argsort(x, kind="stable")
    xs, ws = np.asarray(x, dtype=np.float64)[order], np.asarray(w, dtype=np.float64)[order]
    cdf = (np.cumsum(ws) - ws / 2) / ws.sum()
    return np.interp(np.asarray(qs, dtype=np.float64), cdf, xs)
