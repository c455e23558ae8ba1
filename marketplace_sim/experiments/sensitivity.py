"""Sensitivity indices of a sampled design: Sobol' and Morris (SALib), or regression (LHS).

Each final metric, averaged over a design point's replicates, is analysed against the sampled
keys: Sobol' ``S1``, ``ST`` (and ``S2`` per pair) from ``SALib.analyze.sobol``; Morris ``mu``,
``mu_star``, ``sigma`` from ``SALib.analyze.morris``; for a Latin hypercube, standardised
regression coefficients ``SRC`` with a bootstrap interval. ``conf`` is the half-width of the
95 % bootstrap interval (NaN where the method gives none).
"""

from __future__ import annotations

import itertools
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from marketplace_sim import metrics as msm
from marketplace_sim.experiments.tables import CONF_LEVEL

if TYPE_CHECKING:
    from marketplace_sim.experiments.design import Experiment
    from marketplace_sim.experiments.expansion import SampledDesign

COLUMNS = ["method", "metric", "parameter", "parameter_2", "index", "value", "conf"]


def sensitivity_table(exp: Experiment, runs_df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Sensitivity indices of each final metric (mean over replicates) to the sampled keys.

    Returns:
        The table (columns ``method``, ``metric``, ``parameter``, ``parameter_2``, ``index``,
        ``value``, ``conf``) and notes on metrics left out (failed runs, constant output).
    """
    assert exp.sample is not None
    sample = exp.sample
    ok = runs_df[runs_df["status"] == "ok"]
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    cond_ids = [c.condition_id for c in exp.conditions]
    for m in exp.metrics:
        means = (
            pd.to_numeric(ok[m], errors="coerce")
            .astype(float)
            .groupby(ok["condition_id"])
            .mean()
            .reindex(cond_ids)
        )
        y = means.to_numpy(dtype=float, na_value=np.nan)
        note = _left_out(m, y)
        if note:
            notes.append(note)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows += _indices(exp, sample, m, y)
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["parameter_2"] = df["parameter_2"].astype("str")  # NaN except for S2
    return df, notes


def _left_out(metric: str, y: np.ndarray) -> str | None:
    """Why a metric cannot be analysed (missing values, no variation), or None."""
    if np.isnan(y).any():
        return (
            f"sensitivity: {metric} left out ({int(np.isnan(y).sum())} design points "
            "without a value: failed runs or an undefined metric)"
        )
    if np.ptp(y) == 0:
        return f"sensitivity: {metric} left out (constant over the design)"
    return None


def _indices(
    exp: Experiment, sample: SampledDesign, metric: str, y: np.ndarray
) -> list[dict[str, Any]]:
    method = sample.settings.method
    if method == "sobol":
        return _sobol(sample, metric, y)
    if method == "morris":
        return _morris(sample, metric, y)
    x = np.array([[c.values[k] for k in sample.keys] for c in exp.conditions], dtype=float)
    return _src(sample, metric, x, y)


def _rows(
    sample: SampledDesign, metric: str, index: str, values: Any, conf: Any = None
) -> list[dict[str, Any]]:
    """One row per parameter of one index."""
    conf_a = np.full(len(sample.keys), np.nan) if conf is None else np.asarray(conf)
    return [
        {
            "method": sample.settings.method,
            "metric": metric,
            "parameter": name,
            "parameter_2": None,
            "index": index,
            "value": float(values[i]),
            "conf": float(conf_a[i]),
        }
        for i, name in enumerate(sample.keys)
    ]


def _sobol(sample: SampledDesign, metric: str, y: np.ndarray) -> list[dict[str, Any]]:
    from SALib.analyze import sobol

    s = sample.settings
    si = sobol.analyze(
        sample.problem,
        y,
        calc_second_order=s.second_order,
        num_resamples=s.resamples,
        conf_level=CONF_LEVEL,
        seed=sample.seed,
    )
    rows = _rows(sample, metric, "S1", si["S1"], si["S1_conf"])
    rows += _rows(sample, metric, "ST", si["ST"], si["ST_conf"])
    if s.second_order:
        for i, j in itertools.combinations(range(len(sample.keys)), 2):
            rows.append(
                {
                    "method": s.method,
                    "metric": metric,
                    "parameter": sample.keys[i],
                    "parameter_2": sample.keys[j],
                    "index": "S2",
                    "value": float(si["S2"][i, j]),
                    "conf": float(si["S2_conf"][i, j]),
                }
            )
    return rows


def _morris(sample: SampledDesign, metric: str, y: np.ndarray) -> list[dict[str, Any]]:
    from SALib.analyze import morris

    s = sample.settings
    si = morris.analyze(
        sample.problem,
        sample.matrix,
        y,
        num_resamples=s.resamples,
        conf_level=CONF_LEVEL,
        num_levels=s.levels,
        seed=sample.seed,
    )
    return (
        _rows(sample, metric, "mu", si["mu"])
        + _rows(sample, metric, "mu_star", si["mu_star"], si["mu_star_conf"])
        + _rows(sample, metric, "sigma", si["sigma"])
    )


def _src(sample: SampledDesign, metric: str, x: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    s = sample.settings
    coef = msm.standardized_coefficients(x, y)
    rng = np.random.default_rng(sample.seed)
    boot = np.array(
        [
            msm.standardized_coefficients(x[idx], y[idx])
            for idx in rng.integers(0, len(y), (s.resamples, len(y)))
        ]
    )
    lo, hi = np.nanpercentile(boot, [2.5, 97.5], axis=0)
    return _rows(sample, metric, "SRC", coef, (hi - lo) / 2)
