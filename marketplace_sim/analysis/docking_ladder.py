"""The ladder: what each of our mechanisms changes in Lukac & Grow's world, against the docked one.

A sweep of ``experiments/lukac-grow-2020-ladder.toml`` runs the docked world (``docking.ours =
"none"``) and, at the same values of coef-strategy, the rungs that switch on one of our
mechanisms each (and all of them). Per rung, value and measure: the difference of means from
the docked world with its Welch 95 % interval (:func:`scipy.stats.ttest_ind` with unequal
variances; replicates are independent runs with their own seeds). Computation only: the page
section is written by :mod:`marketplace_sim.reports.docking_ladder`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from marketplace_sim.analysis.docking import DECIMALS, KEY
from marketplace_sim.errors import DataError

#: The swept rung key, and the docked world's rung.
RUNG_KEY = "docking.ours"
DOCKED = "none"


@dataclass(frozen=True)
class LadderMeasure:
    """One measure of the ladder: our column, a label and a short one for tables."""

    column: str
    label: str
    short: str


#: Their seven measures, then one of ours: concentration of the run's earnings.
LADDER_MEASURES: tuple[LadderMeasure, ...] = (
    LadderMeasure("lg_no_work", "employees with no new job", "no job"),
    LadderMeasure("lg_jobs_low", "new jobs, low starting reputation", "jobs low"),
    LadderMeasure("lg_jobs_mid", "new jobs, middle starting reputation", "jobs mid"),
    LadderMeasure("lg_jobs_high", "new jobs, high starting reputation", "jobs high"),
    LadderMeasure("lg_earn_low", "earnings, low starting reputation", "earn low"),
    LadderMeasure("lg_earn_mid", "earnings, middle starting reputation", "earn mid"),
    LadderMeasure("lg_earn_high", "earnings, high starting reputation", "earn high"),
    LadderMeasure("gini_earnings", "Gini of the run's earnings (ours)", "Gini"),
)
#: Extra columns kept for the text: jobs posted (their step).
EXTRA = ("lg_step",)


def read_ladder(sweep_dir: str | Path) -> pd.DataFrame:
    """The ladder sweep's runs: ``rung``, ``coef`` (rounded) and the measure columns.

    Raises:
        DataError: no ``runs.parquet``, it is not a sweep over ``docking.ours`` and
            ``clients.strategy_coefficient``, or the docked rung (``"none"``) or every other
            rung is missing (no successful run).
    """
    p = Path(sweep_dir) / "runs.parquet"
    if not p.exists():
        raise DataError(p, None, "no such file: not a sweep folder")
    runs = pd.read_parquet(p)
    need = [RUNG_KEY, KEY, *(m.column for m in LADDER_MEASURES), *EXTRA]
    missing = [c for c in need if c not in runs.columns]
    if missing:
        raise DataError(p, None, f"not a ladder sweep over {RUNG_KEY} and {KEY}: lacks {missing}")
    runs = runs[runs["status"] == "ok"]
    if not (runs[RUNG_KEY] == DOCKED).any():
        raise DataError(p, RUNG_KEY, f"no run of the docked world ({RUNG_KEY} = {DOCKED!r})")
    if not (runs[RUNG_KEY] != DOCKED).any():
        raise DataError(p, RUNG_KEY, f"no run of a rung other than {DOCKED!r}: nothing to compare")
    out = runs[[m.column for m in LADDER_MEASURES] + list(EXTRA)].astype(float)
    out.insert(0, "coef", runs[KEY].astype(float).round(DECIMALS).to_numpy())
    out.insert(0, "rung", runs[RUNG_KEY].astype(str).to_numpy())
    return out.reset_index(drop=True)


def welch(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Mean of ``a`` minus mean of ``b``, its Welch ``level`` interval and two-sided p-value.

    NaNs are dropped; with fewer than two values on a side, or no variance on either, the
    interval is the difference itself (0 wide) when both are constant, else NaN.
    """
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    out = {"diff": np.nan, "lo": np.nan, "hi": np.nan, "p": np.nan}
    if a.size < 2 or b.size < 2:
        return out
    out["diff"] = float(a.mean() - b.mean())
    if a.var() == 0 and b.var() == 0:
        out.update(lo=out["diff"], hi=out["diff"], p=1.0 if out["diff"] == 0 else 0.0)
        return out
    with warnings.catch_warnings():  # one side constant (a run cut at the time limit)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(level)
    out.update(lo=float(ci.low), hi=float(ci.high), p=float(res.pvalue))
    return out


def ladder_table(runs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Every rung other than the docked one, value and measure: its change from the docked world.

    Returns:
        One row per (rung, coef, measure), rungs in the sweep's order: ``rung``, ``coef``,
        ``measure``, ``docked`` and ``mean`` (the two means), ``n``, ``diff``, ``lo``, ``hi``
        (Welch ``level`` interval of the difference), ``p``.
    """
    rows = []
    rungs = [r for r in pd.unique(runs["rung"]) if r != DOCKED]
    for rung in rungs:
        for coef in sorted(pd.unique(runs["coef"])):
            base = runs[(runs["rung"] == DOCKED) & (runs["coef"] == coef)]
            this = runs[(runs["rung"] == rung) & (runs["coef"] == coef)]
            if base.empty or this.empty:
                continue
            for m in [*LADDER_MEASURES, *(LadderMeasure(c, c, c) for c in EXTRA)]:
                a = this[m.column].to_numpy(dtype=float)
                b = base[m.column].to_numpy(dtype=float)
                rows.append(
                    {
                        "rung": rung,
                        "coef": float(coef),
                        "measure": m.column,
                        "docked": float(np.nanmean(b)),
                        "mean": float(np.nanmean(a)),
                        "n": int(np.count_nonzero(~np.isnan(a))),
                        **welch(a, b, level),
                    }
                )
    return pd.DataFrame(rows)


def docked_means(runs: pd.DataFrame) -> pd.DataFrame:
    """The docked world's mean of each measure per value (``coef`` x measure columns)."""
    base = runs[runs["rung"] == DOCKED]
    cols = [m.column for m in LADDER_MEASURES] + list(EXTRA)
    return base.groupby("coef")[cols].mean().reset_index()
