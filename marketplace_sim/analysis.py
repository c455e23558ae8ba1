"""Attribution: how much of later success the six factors, and early luck, explain.

For freelancers who have been on the platform for at least a year, later success is
``log(1 + earnings after the first year)``. Three nested linear models (OLS on z-scores):

- traits: the five innate traits (expertise, communication, reliability, profile,
  niche_focus), plus entry week as an exposure control;
- traits + early success: adds ``log(1 + first-year earnings)``, the reputation and feedback a
  freelancer has built by the end of its first year (the sixth factor, which is earned, not
  drawn: what it adds beyond the traits is early advantage that merit does not explain);
- the remainder, 1 - R^2 of the full model, is later luck and everything the model does not see.

Per factor the module reports the standardized coefficient in the full model and its
permutation importance: the drop in R^2 when that column alone is shuffled and the model is
refitted (what the factor adds that the others cannot stand in for). Over replicates the
figures get 95 % t-intervals (``metrics.mean_ci``). It also reports merit vs luck at the top:
the share of the eventual top 10 % by earnings who are in the top 10 % of innate expertise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim import metrics

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


def _r2(X: np.ndarray, y: np.ndarray) -> float:
    X1 = np.column_stack([np.ones(len(y)), X])
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


def attribute(freelancers: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    """Attribution for one run.

    Args:
        freelancers: a run's ``freelancers.parquet`` table.
        seed: seed of the permutation shuffles.

    Returns:
        ``{"n", "r2_traits", "r2_early_increment", "r2_full", "unexplained",
        "top10_merit_overlap", "coef": {factor: value}, "importance": {factor: value}}``;
        NaN where the cohort is too small (< 30) or has no variation.
    """
    fr = cohort(freelancers)
    out: dict[str, Any] = {"n": len(fr)}
    nan_f = dict.fromkeys(FACTORS, float("nan"))
    if len(fr) < 30 or fr["later_success"].std() == 0:
        out.update(r2_traits=np.nan, r2_early_increment=np.nan, r2_full=np.nan,
                   unexplained=np.nan, top10_merit_overlap=np.nan, coef=nan_f,
                   importance=dict(nan_f))
        return out
    y = _z(fr["later_success"].to_numpy(dtype=float))
    exposure = _z(fr["entry_step"].to_numpy(dtype=float))[:, None]
    X = _z(fr[list(FACTORS)].to_numpy(dtype=float))
    X_traits = np.column_stack([X[:, : len(TRAITS)], exposure])
    X_full = np.column_stack([X, exposure])
    r2_traits = _r2(X_traits, y)
    r2_full = _r2(X_full, y)
    b, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(y)), X_full]), y, rcond=None)
    rng = np.random.default_rng(seed)
    importance = {}
    for j, name in enumerate(FACTORS):
        drops = []
        for _ in range(PERMUTATIONS):
            Xp = X_full.copy()
            Xp[:, j] = rng.permutation(Xp[:, j])
            drops.append(r2_full - _r2(Xp, y))
        importance[name] = float(np.mean(drops))
    out.update(
        r2_traits=r2_traits,
        r2_early_increment=r2_full - r2_traits,
        r2_full=r2_full,
        unexplained=1.0 - r2_full,
        top10_merit_overlap=top_overlap(freelancers),
        coef={name: float(b[1 + j]) for j, name in enumerate(FACTORS)},
        importance=importance,
    )
    return out


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
        ``(per_run, summary)``: one row per run and factor (``coef``, ``importance``, and the
        run's R^2 decomposition), and per regime and factor the mean and 95 % interval across
        replicates of the coefficient and importance, plus the decomposition's means.
    """
    rows = []
    for labels, fr in runs:
        a = attribute(fr, seed=seed)
        base = {**labels, "n": a["n"], "r2_traits": a["r2_traits"],
                "r2_early_increment": a["r2_early_increment"], "r2_full": a["r2_full"],
                "unexplained": a["unexplained"], "top10_merit_overlap": a["top10_merit_overlap"]}
        for f in FACTORS:
            rows.append({**base, "factor": f, "coef": a["coef"][f],
                         "importance": a["importance"][f]})
    per_run = pd.DataFrame(rows)
    if per_run.empty:
        return per_run, per_run
    ignore = {"run_id", "replicate", "seed", "n", "r2_traits", "r2_early_increment", "r2_full",
              "unexplained", "top10_merit_overlap", "factor", "coef", "importance"}
    regime = [c for c in per_run.columns if c not in ignore]
    out = []
    for key, g in per_run.groupby([*regime, "factor"], sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip([*regime, "factor"], key, strict=True))
        row["replicates"] = len(g)
        for col in ("coef", "importance", "r2_traits", "r2_early_increment", "r2_full",
                    "unexplained", "top10_merit_overlap"):
            m, lo, hi = metrics.mean_ci(g[col].to_numpy(dtype=float))
            row[f"{col}_mean"], row[f"{col}_lo"], row[f"{col}_hi"] = m, lo, hi
        out.append(row)
    return per_run, pd.DataFrame(out)


def plot_attribution(summary: pd.DataFrame, regime: str | None = None) -> Any:
    """Horizontal bars of permutation importance per factor, with 95 % intervals, by regime."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.add_subplot()
    groups = [(None, summary)] if regime is None else list(summary.groupby(regime, sort=True))
    height = 0.8 / max(len(groups), 1)
    hatches = ["", "//", "..", "xx", "\\\\"]
    for i, (label, g) in enumerate(groups):
        g = g.set_index("factor").reindex(list(FACTORS))
        y = np.arange(len(FACTORS)) + i * height
        err = np.vstack([g["importance_mean"] - g["importance_lo"],
                         g["importance_hi"] - g["importance_mean"]])
        ax.barh(y, g["importance_mean"], height=height, xerr=np.nan_to_num(err),
                hatch=hatches[i % len(hatches)], edgecolor="black", capsize=3,
                label=f"{regime} = {label}" if regime else "all runs")
    ax.set_yticks(np.arange(len(FACTORS)) + height * (len(groups) - 1) / 2)
    ax.set_yticklabels([FACTOR_LABELS[f] for f in FACTORS], fontsize=10)
    ax.invert_yaxis()
    ax.set_xlabel("permutation importance (drop in R² of later log earnings)", fontsize=11)
    ax.set_title("What explains later success: the six factors", fontsize=12)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.legend(fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig
