"""Statistics of a finished run, for the calibration targets, and their summaries.

:func:`statistics_from_frames` reduces a run to the target and diagnostic statistics (from the
final metrics, the freelancers table and the star histogram); :func:`score_runs` adds the loss
per run and :func:`summarize` the mean, interval and count in band over replicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim import metrics
from marketplace_sim.analysis.calibration.targets import DIAGNOSTICS, TARGETS, centrality, loss
from marketplace_sim.units import WEEKS_PER_YEAR


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def star_shares(star_counts: Sequence[int] | np.ndarray) -> np.ndarray:
    """Shares of public reviews with 1..5 stars (5 counts, or 6 with an unused index 0)."""
    counts = np.asarray(star_counts, dtype=np.float64)
    if counts.size == 6:
        counts = counts[1:]
    total = counts.sum()
    return counts / total if total else np.full(5, np.nan)


def fill_rate_last_year(steps: pd.DataFrame) -> float:
    """Jobs filled / jobs posted over the last 52 weeks of recorded rows."""
    last_week = int(steps.iloc[-1]["step"])
    year = steps[steps["step"] > last_week - WEEKS_PER_YEAR]
    posted = year["jobs_posted"].to_numpy(dtype=np.float64)
    fill = year["fill_rate"].to_numpy(dtype=np.float64)
    ok = posted > 0
    return float((fill[ok] * posted[ok]).sum() / posted[ok].sum()) if ok.any() else np.nan


def _population(steps: pd.DataFrame, initial_freelancers: int) -> dict[str, float]:
    final = steps.iloc[-1]
    last_week = int(final["step"])
    mid = steps.iloc[int(np.abs(steps["step"].to_numpy() - last_week / 2).argmin())]
    active_end = float(final["freelancers_active"])
    return {
        "active_growth": _ratio(active_end, float(mid["freelancers_active"])),
        "active_vs_start": _ratio(active_end, float(initial_freelancers)),
        "freelancers_active": active_end,
    }


def _work(freelancers: pd.DataFrame) -> dict[str, float]:
    jobs = freelancers["jobs_completed"].to_numpy()
    hired = jobs > 0
    active = freelancers["exit_step"].isna().to_numpy()
    rates = freelancers["rate"].to_numpy(dtype=np.float64)[active]
    return {
        "share_never_worked": float((~hired).mean()) if jobs.size else np.nan,
        "share_ten_plus": float((jobs >= 10).mean()) if jobs.size else np.nan,
        "share_rarely_worked": float((jobs < 3).mean()) if jobs.size else np.nan,
        "ten_plus_among_hired": _ratio(float((jobs >= 10).sum()), float(hired.sum())),
        "median_rate": float(np.median(rates)) if rates.size else np.nan,
        "p99_rate": float(np.percentile(rates, 99)) if rates.size else np.nan,
        "n_ever": float(jobs.size),
    }


#: The statistics of the targets and diagnostics, in the order they are reported.
ORDER = (
    "mean_rating",
    "share_five_star",
    "stars_4_over_5",
    "stars_3_over_4",
    "share_never_worked",
    "share_ten_plus",
    "share_top_rated",
    "gini_earnings",
    "top10_share",
    "fill_rate",
    "mean_rate",
    "active_growth",
    "active_vs_start",
    "share_1_star",
    "share_2_star",
    "share_3_star",
    "share_4_star",
    "share_rarely_worked",
    "ten_plus_among_hired",
    "share_never_hired",
    "top1_share",
    "merit_spearman",
    "median_rate",
    "p99_rate",
    "freelancers_active",
    "n_ever",
)
#: Statistics read from the final week's metrics as they are.
FINAL_METRICS = (
    "mean_rating",
    "share_top_rated",
    "gini_earnings",
    "top10_share",
    "mean_rate",
    "share_never_hired",
    "top1_share",
    "merit_spearman",
)


def statistics_from_frames(
    steps: pd.DataFrame,
    freelancers: pd.DataFrame,
    star_counts: Sequence[int] | np.ndarray,
    initial_freelancers: int,
) -> dict[str, float]:
    """The target and diagnostic statistics of a finished run.

    Args:
        steps: the per-week metrics (``model.steps_frame()`` or steps.parquet), any
            ``record_every``; the last row is the final week.
        freelancers: one row per freelancer ever present (``freelancers_frame()``).
        star_counts: number of public reviews with 1, 2, 3, 4 and 5 stars (5 numbers, or 6
            with an unused index 0, as ``model.star_counts``).
        initial_freelancers: ``market.freelancers`` (the population at the start).
    """
    final = steps.iloc[-1]
    shares = star_shares(star_counts)
    stats: dict[str, float] = {k: float(final[k]) for k in FINAL_METRICS}
    stats.update(
        share_five_star=float(shares[4]),
        stars_4_over_5=_ratio(shares[3], shares[4]),
        stars_3_over_4=_ratio(shares[2], shares[3]),
        fill_rate=fill_rate_last_year(steps),
        **{f"share_{i}_star": float(shares[i - 1]) for i in (1, 2, 3, 4)},
    )
    stats.update(_population(steps, initial_freelancers))
    stats.update(_work(freelancers))
    return {k: stats[k] for k in ORDER}


def run_statistics(model: Any) -> dict[str, float]:
    """The statistics of a finished :class:`~marketplace_sim.model.MarketplaceModel`."""
    return statistics_from_frames(
        model.steps_frame(),
        model.freelancers_frame(),
        model.star_counts,
        model.config.market.freelancers,
    )


def score_runs(results: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per run: labels, every statistic, ``loss`` and ``centrality``."""
    rows = []
    for r in results:
        row = {k: v for k, v in r.items() if k not in ("stats",)}
        row.update(r["stats"])
        row["loss"] = loss(r["stats"])
        row["centrality"] = centrality(r["stats"])
        rows.append(row)
    return pd.DataFrame(rows)


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Per statistic: mean, 95 % Student-t interval, min, max and replicates in band."""
    rows = []
    by_stat = {t.stat: t for t in TARGETS}
    for stat in [*by_stat, *DIAGNOSTICS]:
        v = runs[stat].to_numpy(dtype=np.float64) if stat in runs else np.array([np.nan])
        mean, lo, hi = metrics.mean_ci(v)
        t = by_stat.get(stat)
        finite = np.isfinite(v).any()
        rows.append(
            {
                "stat": stat,
                "mean": mean,
                "ci_lo": lo,
                "ci_hi": hi,
                "min": float(np.nanmin(v)) if finite else np.nan,
                "max": float(np.nanmax(v)) if finite else np.nan,
                "in_band": int(sum(t.passes(x) for x in v)) if t else -1,
                "n": int(np.isfinite(v).sum()),
                "passes": bool(t.passes(mean)) if t else False,
            }
        )
    return pd.DataFrame(rows)
