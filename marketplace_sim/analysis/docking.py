"""Docking: is our port of Lukac & Grow (2020) equivalent in distribution to their model.

Docking in the sense of Axtell, Axelrod, Epstein & Cohen (1996), "Aligning simulation models",
Computational and Mathematical Organization Theory 1(2): two implementations are equivalent in
distribution when, at each parameter value, the runs of one cannot be told from the runs of the
other by a two-sample test. Here: at each of their 80 values of coef-strategy, for each of
their BehaviorSpace measures, our 50 runs (a sweep of ``experiments/lukac-grow-2020-docking``)
against their 50 (``behaviorspace-open.csv``):

* two tests, Kolmogorov-Smirnov (any difference of distribution) and Mann-Whitney U (a shift),
  from :mod:`scipy.stats`;
* a multiple-comparison correction over the 80 values of one measure and one test:
  Benjamini-Hochberg (false discovery rate, the default) or Holm (family-wise error);
* effect sizes: the standardised mean difference (ours minus theirs over the pooled sd) and
  the ratio of means (ours over theirs).

A value is *indistinguishable* for a measure when neither test rejects after correction.
Computation only: the page is written by :mod:`marketplace_sim.reports.docking`, the figures
drawn by :mod:`marketplace_sim.plots.docking`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from marketplace_sim.data import root
from marketplace_sim.errors import DataError

#: The swept key and their column for it.
KEY = "clients.strategy_coefficient"
THEIR_KEY = "coef_strategy"
#: Grid values are compared after rounding to this many decimals (their 0.001 + 0.005 k).
DECIMALS = 3

Correction = Literal["bh", "holm"]


@dataclass(frozen=True)
class Measure:
    """One of their BehaviorSpace measures, our column for it, a label and a short one."""

    theirs: str
    ours: str
    label: str
    short: str


MEASURES: tuple[Measure, ...] = (
    Measure("count_no_work", "lg_no_work", "employees with no new job", "no new job (count)"),
    Measure(
        "jobs_rep0_30", "lg_jobs_low", "new jobs, low starting reputation (< 33)", "new jobs, low"
    ),
    Measure(
        "jobs_rep30_70",
        "lg_jobs_mid",
        "new jobs, middle starting reputation (33-66)",
        "new jobs, mid",
    ),
    Measure(
        "jobs_rep70_100",
        "lg_jobs_high",
        "new jobs, high starting reputation (> 66)",
        "new jobs, high",
    ),
    Measure("earn_rep0_30", "lg_earn_low", "earnings, low starting reputation", "earnings, low"),
    Measure(
        "earn_rep30_70", "lg_earn_mid", "earnings, middle starting reputation", "earnings, mid"
    ),
    Measure(
        "earn_rep70_100", "lg_earn_high", "earnings, high starting reputation", "earnings, high"
    ),
    Measure(
        "meanrep_no_work",
        "lg_meanrep_no_work",
        "mean reputation of those with no new job",
        "reputation, no new job",
    ),
    Measure("step", "lg_step", "jobs posted until 200 distinct pairs (their step)", "jobs (step)"),
)


def reference_csv() -> Path:
    """The packaged copy of their BehaviorSpace table (open auction), with its README beside."""
    return root() / "reference" / "lukac-grow-2020" / "behaviorspace-open.csv"


def read_reference(path: str | Path | None = None) -> pd.DataFrame:
    """Their runs: one row per run, ``coef`` (rounded) and their measure columns.

    Args:
        path: the CSV (their table, columns as in the packaged README); None: the packaged copy.

    Raises:
        DataError: the file is missing, unreadable, or lacks a measure column.
    """
    p = Path(path) if path is not None else reference_csv()
    try:
        df = pd.read_csv(p)
    except (OSError, ValueError) as exc:
        raise DataError(p, None, f"cannot read the reference table: {exc}") from None
    need = [THEIR_KEY, *(m.theirs for m in MEASURES)]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(p, None, f"not their BehaviorSpace table: lacks {missing}")
    if "auction" in df.columns:
        df = df[df["auction"] == "open"]
    out = df[[m.theirs for m in MEASURES]].astype(float)
    out.insert(0, "coef", df[THEIR_KEY].astype(float).round(DECIMALS).to_numpy())
    return out.reset_index(drop=True)


def read_ours(sweep_dir: str | Path) -> pd.DataFrame:
    """Our runs from a docking sweep folder, renamed to their columns (``coef`` and measures).

    Raises:
        DataError: no ``runs.parquet``, or it is not a sweep over ``clients.strategy_coefficient``
            of a docking world (no ``lg_*`` columns).
    """
    p = Path(sweep_dir) / "runs.parquet"
    if not p.exists():
        raise DataError(p, None, "no such file: not a sweep folder")
    runs = pd.read_parquet(p)
    need = [KEY, *(m.ours for m in MEASURES)]
    missing = [c for c in need if c not in runs.columns]
    if missing:
        raise DataError(p, None, f"not a docking sweep over {KEY}: lacks {missing}")
    runs = runs[runs["status"] == "ok"]
    out = runs[[m.ours for m in MEASURES]].astype(float)
    out.columns = [m.theirs for m in MEASURES]
    out.insert(0, "coef", runs[KEY].astype(float).round(DECIMALS).to_numpy())
    return out.reset_index(drop=True)


def adjust_pvalues(p: np.ndarray, method: Correction = "bh") -> np.ndarray:
    """Adjusted p-values: Benjamini-Hochberg (``"bh"``) or Holm (``"holm"``); NaN kept as NaN.

    BH is :func:`scipy.stats.false_discovery_control`; Holm's step-down is written out
    (``min(1, max_{j <= i} (m - j + 1) p_(j))``, statsmodels is not a dependency).
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    q = p[ok]
    if method == "bh":
        out[ok] = stats.false_discovery_control(q, method="bh")
        return out
    if method != "holm":
        raise ValueError(f"unknown correction {method!r} (use 'bh' or 'holm')")
    order = np.argsort(q)
    m = q.size
    stepped = np.maximum.accumulate((m - np.arange(m)) * q[order])
    adj = np.empty(m)
    adj[order] = np.minimum(1.0, stepped)
    out[ok] = adj
    return out


def two_sample(ours: np.ndarray, theirs: np.ndarray) -> dict[str, float]:
    """Tests and effect sizes of one measure at one value (NaN where a sample is too small).

    ``ks_p``, ``mw_p``: two-sided Kolmogorov-Smirnov and Mann-Whitney p-values; ``smd``: (mean
    ours - mean theirs) / pooled sd (0 when both samples are constant and equal); ``ratio``:
    mean ours / mean theirs.
    """
    a, b = ours[~np.isnan(ours)], theirs[~np.isnan(theirs)]
    out = {
        "n_ours": float(a.size),
        "n_theirs": float(b.size),
        "mean_ours": float(a.mean()) if a.size else np.nan,
        "mean_theirs": float(b.mean()) if b.size else np.nan,
        "sd_ours": float(a.std(ddof=1)) if a.size > 1 else np.nan,
        "sd_theirs": float(b.std(ddof=1)) if b.size > 1 else np.nan,
        "ks_stat": np.nan,
        "ks_p": np.nan,
        "mw_p": np.nan,
        "smd": np.nan,
        "ratio": np.nan,
    }
    if a.size < 2 or b.size < 2:
        return out
    ks = stats.ks_2samp(a, b)
    out["ks_stat"], out["ks_p"] = float(ks.statistic), float(ks.pvalue)
    same = np.all(a == a[0]) and np.all(b == a[0])  # Mann-Whitney is undefined then
    out["mw_p"] = 1.0 if same else float(stats.mannwhitneyu(a, b).pvalue)
    pooled = np.sqrt(
        ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
    )
    diff = out["mean_ours"] - out["mean_theirs"]
    out["smd"] = diff / pooled if pooled > 0 else (0.0 if diff == 0 else np.sign(diff) * np.inf)
    if out["mean_theirs"] != 0:
        out["ratio"] = out["mean_ours"] / out["mean_theirs"]
    return out


def compare(
    ours: pd.DataFrame,
    theirs: pd.DataFrame,
    alpha: float = 0.05,
    correction: Correction = "bh",
) -> pd.DataFrame:
    """Every (value, measure): tests, corrected p-values and effect sizes.

    Only the values both sides ran are compared. The correction runs over the values of one
    measure and one test (``ks_q``, ``mw_q``); ``indistinguishable`` is true when both
    corrected p-values are at least ``alpha``.

    Returns:
        One row per value and measure: ``coef``, ``measure`` (their column name), the
        :func:`two_sample` columns, ``ks_q``, ``mw_q``, ``indistinguishable``.
    """
    coefs = sorted(set(ours["coef"]).intersection(theirs["coef"]))
    if not coefs:
        raise DataError("<docking>", KEY, "no value of coef-strategy in common with the reference")
    rows = []
    for m in MEASURES:
        for c in coefs:
            a = ours.loc[ours["coef"] == c, m.theirs].to_numpy(dtype=float)
            b = theirs.loc[theirs["coef"] == c, m.theirs].to_numpy(dtype=float)
            rows.append({"coef": c, "measure": m.theirs, **two_sample(a, b)})
    table = pd.DataFrame(rows)
    for test in ("ks", "mw"):
        table[f"{test}_q"] = np.nan
        for m in MEASURES:
            sel = table["measure"] == m.theirs
            table.loc[sel, f"{test}_q"] = adjust_pvalues(
                table.loc[sel, f"{test}_p"].to_numpy(), correction
            )
    table["indistinguishable"] = (table["ks_q"] >= alpha) & (table["mw_q"] >= alpha)
    return table


def verdict(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per measure: values compared, indistinguishable by each test and by both, and where not.

    Returns:
        One row per measure (in :data:`MEASURES` order): ``measure``, ``label``, ``values``,
        ``ks_same``, ``mw_same``, ``both_same``, ``differ_at`` (the values where either test
        rejects, as a compact text), ``median_smd`` and ``median_ratio`` over the values.
    """
    rows = []
    for m in MEASURES:
        t = table[table["measure"] == m.theirs]
        differ = t.loc[~t["indistinguishable"], "coef"].to_list()
        rows.append(
            {
                "measure": m.theirs,
                "label": m.label,
                "values": len(t),
                "ks_same": int((t["ks_q"] >= alpha).sum()),
                "mw_same": int((t["mw_q"] >= alpha).sum()),
                "both_same": int(t["indistinguishable"].sum()),
                "differ_at": ranges(differ),
                "median_smd": float(t["smd"].median()),
                "median_ratio": float(t["ratio"].median()),
            }
        )
    return pd.DataFrame(rows)


def ranges(values: Sequence[float], step: float = 0.005) -> str:
    """``[0.001, 0.006, 0.011, 0.101]`` -> ``"0.001-0.011, 0.101"`` (runs on the grid)."""
    if not values:
        return "none"
    vals = sorted(values)
    parts: list[str] = []
    start = prev = vals[0]
    for v in vals[1:]:
        if abs(v - prev - step) > step / 10:
            parts.append(f"{start:g}" if start == prev else f"{start:g}-{prev:g}")
            start = v
        prev = v
    parts.append(f"{start:g}" if start == prev else f"{start:g}-{prev:g}")
    return ", ".join(parts)


def summary_by_value(runs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per value and measure: mean, and the ``level`` interval of the mean and of the runs.

    Returns:
        Columns ``coef``, ``measure``, ``mean``, ``lo``, ``hi`` (Student-t interval of the
        mean), ``q_lo``, ``q_hi`` (the runs' central ``level`` quantile band), ``n``.
    """
    rows = []
    tail = (1 - level) / 2
    for m in MEASURES:
        for c, g in runs.groupby("coef"):
            x = g[m.theirs].dropna().to_numpy(dtype=float)
            n = x.size
            mean = float(x.mean()) if n else np.nan
            half = (
                float(stats.t.ppf(1 - tail, n - 1) * x.std(ddof=1) / np.sqrt(n))
                if n > 1
                else np.nan
            )
            q_lo, q_hi = np.quantile(x, [tail, 1 - tail]) if n else (np.nan, np.nan)
            rows.append(
                {
                    "coef": float(c),
                    "measure": m.theirs,
                    "mean": mean,
                    "lo": mean - half,
                    "hi": mean + half,
                    "q_lo": float(q_lo),
                    "q_hi": float(q_hi),
                    "n": n,
                }
            )
    return pd.DataFrame(rows)
