"""Attribution: how much of later success the six factors, and early luck, explain.

For freelancers who have been on the platform for at least a year, later success is
``log(1 + earnings after the first year)``. Three nested linear models (OLS on z-scores):

- traits: the five innate traits (expertise, communication, reliability, profile,
  niche_focus), plus entry week as an exposure control;
- traits + early success: adds ``log(1 + first-year earnings)``, the reputation and feedback a
  freelancer has built by the end of its first year (the sixth factor, which is earned, not
  drawn: what it adds beyond the traits is early advantage that merit does not explain);
- the remainder, 1 - R^2 of the full model, is later luck and everything the model does not see.

``r2_exposure`` (entry week alone) says how much of the traits model is mere time on the
platform: the traits' own share is ``r2_traits - r2_exposure``.

Per factor the module reports the standardized coefficient in the full model and its
permutation importance: the drop in R^2 when that column alone is shuffled and the model is
refitted (what the factor adds that the others cannot stand in for). For the five traits it
also reports their permutation importance in the traits-only model (``importance_traits``):
a trait's whole effect, including the part that works through early success and that the
full model credits to early success. Over replicates the
figures get 95 % t-intervals (``metrics.mean_ci``). It also reports merit vs luck at the top:
the share of the eventual top 10 % by earnings who are in the top 10 % of innate expertise.

Everything here is computation: tables in, tables out. Reading a results folder is
:mod:`marketplace_sim.analysis.results`; the ``analysis/`` folder that ``marketplace-sim
analyze`` writes, its text and figure are :mod:`marketplace_sim.reports.attribution`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim import metrics
from marketplace_sim.units import WEEKS_PER_YEAR

TRAITS = ("expertise", "communication", "reliability", "profile", "niche_focus")
EARLY = "early_success"
FACTORS = (*TRAITS, EARLY)
FACTOR_LABELS = {
    "expertise": "experience & expertise",
    "communication": "communication",
    "reliability": "consistency & reliability",
    "profile": "strong profile",
    "niche_focus": "niche specialisation",
    EARLY: "reputation & feedback (first-year success)",
}
PERMUTATIONS = 5  # shuffles per factor for permutation importance
MIN_COHORT = 30  # freelancers with a complete first year needed to fit the models
FIRST_YEAR_WEEKS = WEEKS_PER_YEAR  # the window of early success

#: The run-level columns of the per-run table (one value per run, repeated per factor).
RUN_COLUMNS = (
    "n",
    "r2_exposure",
    "r2_traits",
    "r2_early_increment",
    "r2_full",
    "unexplained",
    "top10_merit_overlap",
)
#: The per-factor columns of the per-run table.
FACTOR_COLUMNS = ("coef", "importance", "importance_traits")
#: Columns summarised across replicates (mean and 95 % interval), in table order.
SUMMARY_COLUMNS = (*FACTOR_COLUMNS, *RUN_COLUMNS[1:])


def _r2(X: np.ndarray, y: np.ndarray) -> float:
    X1 = np.column_stack([np.ones(len(y)), X])
    try:  # normal equations: the columns are z-scores, so X'X is well conditioned, and fast
        b = np.linalg.solve(X1.T @ X1, X1.T @ y)
    except np.linalg.LinAlgError:  # a constant column
        b, *_ = np.linalg.lstsq(X1, y, rcond=None)
    resid = y - X1 @ b
    tss = ((y - y.mean()) ** 2).sum()
    return float(1.0 - resid @ resid / tss) if tss > 0 else float("nan")


def _z(a: np.ndarray) -> np.ndarray:
    sd = a.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (a - a.mean(axis=0)) / sd


def cohort(freelancers: pd.DataFrame) -> pd.DataFrame:
    """Freelancers with a completed first year (``earnings_first_year`` not null)."""
    fr = freelancers[freelancers["earnings_first_year"].notna()].copy()
    early = fr["earnings_first_year"].to_numpy(dtype=float)
    fr[EARLY] = np.log1p(early)
    fr["later_success"] = np.log1p(np.maximum(fr["earnings"].to_numpy(dtype=float) - early, 0))
    return fr


def _undefined(n: int) -> dict[str, Any]:
    """The attribution of a cohort too small or too uniform to fit: NaN everywhere."""
    nan_f = dict.fromkeys(FACTORS, float("nan"))
    return {
        "n": n,
        "r2_exposure": np.nan,
        "r2_traits": np.nan,
        "r2_early_increment": np.nan,
        "r2_full": np.nan,
        "unexplained": np.nan,
        "top10_merit_overlap": np.nan,
        "coef": nan_f,
        "importance": dict(nan_f),
        "importance_traits": dict(nan_f),
    }


def permutation_importance(
    X: np.ndarray, y: np.ndarray, r2: float, j: int, rng: np.random.Generator
) -> float:
    """Mean drop in R² over :data:`PERMUTATIONS` shuffles of column ``j`` (model refitted)."""
    drops = []
    for _ in range(PERMUTATIONS):
        Xp = X.copy()
        Xp[:, j] = rng.permutation(Xp[:, j])
        drops.append(r2 - _r2(Xp, y))
    return float(np.mean(drops))


def attribute(freelancers: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    """Attribution for one run.

    Args:
        freelancers: a run's ``freelancers.parquet`` table.
        seed: seed of the permutation shuffles.

    Returns:
        ``{"n", "r2_exposure", "r2_traits", "r2_early_increment", "r2_full", "unexplained",
        "top10_merit_overlap", "coef": {factor: value}, "importance": {factor: value},
        "importance_traits": {factor: value}}`` (``importance_traits`` is NaN for
        early success, which is not in the traits-only model);
        NaN where the cohort is too small (< 30) or has no variation.
    """
    fr = cohort(freelancers)
    if len(fr) < MIN_COHORT or fr["later_success"].std() == 0:
        return _undefined(len(fr))
    y = _z(fr["later_success"].to_numpy(dtype=float))
    exposure = _z(fr["entry_step"].to_numpy(dtype=float))[:, None]
    X = _z(fr[list(FACTORS)].to_numpy(dtype=float))
    X_traits = np.column_stack([X[:, : len(TRAITS)], exposure])
    X_full = np.column_stack([X, exposure])
    r2_traits = _r2(X_traits, y)
    r2_exposure = _r2(exposure, y)
    r2_full = _r2(X_full, y)
    b, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(y)), X_full]), y, rcond=None)
    rng = np.random.default_rng(seed)
    # the order of the shuffles (full model first, then traits-only) fixes the results
    importance = {
        name: permutation_importance(X_full, y, r2_full, j, rng) for j, name in enumerate(FACTORS)
    }
    importance_traits = {
        name: permutation_importance(X_traits, y, r2_traits, j, rng)
        for j, name in enumerate(TRAITS)
    }
    importance_traits[EARLY] = float("nan")
    return {
        "n": len(fr),
        "r2_exposure": r2_exposure,
        "r2_traits": r2_traits,
        "r2_early_increment": r2_full - r2_traits,
        "r2_full": r2_full,
        "unexplained": 1.0 - r2_full,
        "top10_merit_overlap": top_overlap(freelancers),
        "coef": {name: float(b[1 + j]) for j, name in enumerate(FACTORS)},
        "importance": importance,
        "importance_traits": importance_traits,
    }


def top_overlap(freelancers: pd.DataFrame, q: float = 0.10) -> float:
    """Share of the top ``q`` by earnings who are also in the top ``q`` of innate expertise.

    Computed over everyone ever present; with no link between merit and success it is ``q``.
    """
    n = len(freelancers)
    k = int(np.ceil(q * n))
    if n == 0 or k == 0:
        return float("nan")
    earn = freelancers["earnings"].to_numpy(dtype=float)
    skill = freelancers["expertise"].to_numpy(dtype=float)
    top_earn = np.argsort(-earn, kind="stable")[:k]
    top_skill = set(np.argsort(-skill, kind="stable")[:k].tolist())
    return float(np.mean([i in top_skill for i in top_earn]))


def per_run_rows(labels: Mapping[str, Any], a: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per factor of one run's attribution ``a``, its labels and R² decomposition."""
    base = {**labels, **{c: a[c] for c in RUN_COLUMNS}}
    return [{**base, "factor": f, **{c: a[c][f] for c in FACTOR_COLUMNS}} for f in FACTORS]


def regime_columns(per_run: pd.DataFrame) -> list[str]:
    """The columns of a per-run table that name a regime (labels other than run and seed)."""
    ignore = {"run_id", "replicate", "seed", "factor", *RUN_COLUMNS, *FACTOR_COLUMNS}
    return [c for c in per_run.columns if c not in ignore]


def summarise(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per regime and factor: replicates and the mean and 95 % interval of each column."""
    regime = regime_columns(per_run)
    out = []
    for key, g in per_run.groupby([*regime, "factor"], sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip([*regime, "factor"], key, strict=True))
        row["replicates"] = len(g)
        for col in SUMMARY_COLUMNS:
            m, lo, hi = metrics.mean_ci(g[col].to_numpy(dtype=float))
            row[f"{col}_mean"], row[f"{col}_lo"], row[f"{col}_hi"] = m, lo, hi
        out.append(row)
    return pd.DataFrame(out)


def attribution_table(
    runs: Iterable[tuple[Mapping[str, Any], pd.DataFrame]], seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attribute each run and summarise across replicates per condition.

    Args:
        runs: ``(labels, freelancers)`` pairs; ``labels`` names the run's condition, e.g.
            ``{"run_id": 3, "clients.reputation_weight": 2.0}`` (keys other than ``run_id`` and
            ``replicate`` define the regime).
        seed: seed of the permutation shuffles.

    Returns:
        ``(per_run, summary)``: one row per run and factor (``coef``, ``importance``,
        ``importance_traits``, and the run's R^2 decomposition), and per regime and factor the
        mean and 95 % interval across replicates of each (``<col>_mean``, ``_lo``, ``_hi``).
    """
    rows = []
    for labels, fr in runs:
        rows += per_run_rows(labels, attribute(fr, seed=seed))
    per_run = pd.DataFrame(rows)
    if per_run.empty:
        return per_run, per_run
    return per_run, summarise(per_run)


def regime_label(row: Mapping[str, Any], regime: Sequence[str]) -> str:
    """``ranking=random, reputation_weight=1`` (last part of each dotted key)."""
    if not regime:
        return "all runs"
    short = [k.rsplit(".", 1)[-1] for k in regime]
    names = [s if short.count(s) == 1 else k for k, s in zip(regime, short, strict=True)]
    return ", ".join(f"{n}={_fmt(row[k])}" for n, k in zip(names, regime, strict=True))


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@dataclass(frozen=True)
class ImportanceGroups:
    """Permutation importance per regime and factor, ready to draw.

    Attributes:
        labels: one label per regime (``all runs`` when nothing was swept).
        mean, lo, hi: arrays of shape (regimes, factors), factors in :data:`FACTORS` order.
        replicates: the fewest replicates of any regime (1: no interval can be drawn).
    """

    labels: tuple[str, ...]
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    replicates: int


def importance_groups(
    summary: pd.DataFrame, regime: str | Sequence[str] | None = None
) -> ImportanceGroups:
    """The mean importance and its interval per regime, from :func:`attribution_table`'s summary.

    Args:
        summary: the summary table.
        regime: the column (or columns) naming the regime; None pools everything.
    """
    keys = [regime] if isinstance(regime, str) else list(regime or [])
    if keys:
        labels = summary.apply(lambda r: regime_label(r, keys), axis=1)
        groups = list(summary.assign(_regime=labels).groupby("_regime", sort=False))
    else:
        groups = [("all runs", summary)]

    def column(col: str) -> np.ndarray:
        return np.array(
            [
                g.set_index("factor").reindex(list(FACTORS))[col].to_numpy(dtype=float)
                for _, g in groups
            ]
        )

    reps = int(summary["replicates"].min()) if "replicates" in summary and len(summary) else 0
    return ImportanceGroups(
        tuple(str(lab) for lab, _ in groups),
        column("importance_mean"),
        column("importance_lo"),
        column("importance_hi"),
        reps,
    )
