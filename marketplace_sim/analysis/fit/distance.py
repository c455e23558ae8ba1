"""The fit's distance: a weighted Euclidean over the compare statistics, each standardised.

For a simulated world with statistics ``s`` and the observed ``o`` (both
:func:`marketplace_sim.analysis.compare.profile_statistics`)::

    distance = sqrt( sum_k w_k ((s_k - o_k) / scale_k)^2 / sum_k w_k )

over the statistics ``k`` in use. ``scale_k`` is the spread of statistic ``k`` over the prior
predictive (generation 0's simulations, drawn from the prior): the median absolute deviation
times 1.4826 (the standard deviation of a normal sample), or the standard deviation when the
MAD is 0. Standardising puts a share, a Gini and a rate in dollars on one footing; dividing by
``sum w`` makes the distance a root-mean-square: about 1 means the statistics are, on average,
one prior-predictive spread away from the data. ``w_k`` is 1 unless the fit file's
``[weights]`` says otherwise.

A statistic is used when its weight is positive, it is defined on the observed data, it is
defined in at least :data:`MIN_DEFINED` of the prior predictive draws and its scale is
positive; :func:`scales` says why each other one is not. A simulation that leaves a used
statistic undefined (say, no profile in a tenure band) is infinitely far: never kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAD_TO_SD = 1.4826  # MAD of a normal sample x this = its standard deviation
MIN_DEFINED = 0.5  # a statistic undefined in more of the prior predictive is not used


@dataclass(frozen=True)
class Distance:
    """The standardised distance to one observed data set (see the module docstring)."""

    names: tuple[str, ...]
    observed: np.ndarray
    scale: np.ndarray
    weight: np.ndarray

    def vector(self, stats: Mapping[str, float]) -> np.ndarray:
        """The used statistics of one simulation, in :attr:`names` order (NaN if missing)."""
        return np.array([float(stats.get(n, np.nan)) for n in self.names], dtype=np.float64)

    def __call__(self, stats: Mapping[str, float] | None) -> float:
        """The distance of one simulation's statistics; inf for a failed or undefined one."""
        if stats is None:
            return float("inf")
        z = (self.vector(stats) - self.observed) / self.scale
        if not np.all(np.isfinite(z)):
            return float("inf")
        return float(np.sqrt(np.sum(self.weight * z**2) / np.sum(self.weight)))

    def standardised(self, stats: Mapping[str, float]) -> np.ndarray:
        """``(s_k - o_k) / scale_k`` per used statistic."""
        return np.asarray((self.vector(stats) - self.observed) / self.scale, dtype=np.float64)


def scales(
    prior_stats: Sequence[Mapping[str, float] | None],
    observed: Mapping[str, float],
    names: Sequence[str],
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Each statistic's observed value, prior-predictive scale, weight and use.

    Args:
        prior_stats: the statistics of generation 0's simulations (None for a failed one).
        observed: the observed statistics.
        names: every statistic, in table order.
        weights: the fit file's ``[weights]`` (missing: 1).

    Returns:
        One row per statistic: ``statistic``, ``observed``, ``scale``, ``weight``,
        ``defined`` (share of the prior predictive where it is defined), ``used`` and
        ``reason`` (why not, when not used).
    """
    weights = weights or {}
    done = [s for s in prior_stats if s is not None]
    rows = []
    for name in names:
        vals = np.array([s.get(name, np.nan) for s in done], dtype=np.float64)
        fin = vals[np.isfinite(vals)]
        defined = fin.size / vals.size if vals.size else 0.0
        scale = _spread(fin)
        obs = float(observed.get(name, np.nan))
        w = float(weights.get(name, 1.0))
        reason = ""
        if w == 0:
            reason = "weight 0"
        elif not np.isfinite(obs):
            reason = "not defined on the observed data"
        elif defined < MIN_DEFINED:
            reason = f"defined in {defined:.0%} of the prior predictive"
        elif not scale > 0:
            reason = "constant over the prior predictive"
        rows.append(
            {
                "statistic": name,
                "observed": obs,
                "scale": scale,
                "weight": w,
                "defined": defined,
                "used": reason == "",
                "reason": reason,
            }
        )
    return pd.DataFrame(rows)


def _spread(x: np.ndarray) -> float:
    """MAD x 1.4826, or the standard deviation when the MAD is 0 (NaN with < 2 values)."""
    if x.size < 2:
        return float("nan")
    mad = float(np.median(np.abs(x - np.median(x)))) * MAD_TO_SD
    return mad if mad > 0 else float(np.std(x, ddof=1))


def from_table(table: pd.DataFrame) -> Distance:
    """The :class:`Distance` of the used rows of a :func:`scales` table."""
    used = table[table["used"]]
    return Distance(
        tuple(used["statistic"]),
        used["observed"].to_numpy(dtype=np.float64),
        used["scale"].to_numpy(dtype=np.float64),
        used["weight"].to_numpy(dtype=np.float64),
    )
