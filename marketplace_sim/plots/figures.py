"""Figures for single runs and parameter sweeps.

Every public ``plot_*`` function takes tidy pandas tables written by the model and returns a
:class:`matplotlib.figure.Figure`. Figures are built with the object API
(:class:`~matplotlib.figure.Figure` directly, never :mod:`matplotlib.pyplot`), so nothing is
registered with pyplot, no GUI backend is needed and there is nothing to close: save with
``fig.savefig(...)`` and drop the reference. In Jupyter a returned figure is displayed as usual.

Conventions shared by all figures:

* the x axis of anything over time is the model step, labelled "week";
* text is at least 10 pt, whatever the caller's rcParams;
* series are told apart by line style and marker as well as by colour, so figures stay
  readable when printed in grayscale;
* input frames are never modified.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from marketplace_sim.metrics import ccdf, gini, lorenz, share_never
from marketplace_sim.plots.style import (
    COLORS,
    DIAGONAL_COLOR,
    MIN_FONT,
    OTHER_COLOR,
    TOP_COLOR,
    finish_axes,
    markevery,
    new_figure,
    series_style,
    styled,
)

__all__ = [
    "METRIC_LABELS",
    "RUN_FIGURES",
    "RunFigure",
    "draw_run_figures",
    "metric_label",
    "plot_concentration",
    "plot_earnings_ccdf",
    "plot_lorenz",
    "plot_metric_over_time",
    "plot_ratings",
    "plot_sweep_heatmap",
    "plot_sweep_metric",
    "plot_trajectories",
]

logger = logging.getLogger(__name__)

#: Human-readable axis labels (with units) for the metric columns of the ``steps`` table.
METRIC_LABELS: dict[str, str] = {
    "freelancers_active": "active freelancers (count)",
    "gini_earnings": "Gini coefficient of earnings (0–1)",
    "top1_share": "top-1 % share of earnings",
    "top10_share": "top-10 % share of earnings",
    "share_never_hired": "share of freelancers never hired",
    "mean_rating": "mean public rating (stars, 1–5)",
    "share_five_star": "share of 5-star reviews",
    "merit_spearman": "Spearman ρ (merit vs. earnings)",
    "fill_rate": "fill rate (share of jobs filled)",
    "n_top_rated": "Top Rated freelancers (count)",
    "earnings": "cumulative earnings (USD)",
}


def _empty_note(ax: Axes, text: str) -> None:
    """Write a centred note on an axes that has no data to show."""
    ax.text(
        0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11, color="0.3"
    )


def _as_float(values: pd.Series | Sequence[Any]) -> np.ndarray:
    """Convert a (possibly nullable) column to a float array with NaN for missing values."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _require(df: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise ``KeyError`` naming the missing columns of ``table``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{table} table lacks column(s) {missing}; has {list(df.columns)}")


def metric_label(metric: str) -> str:
    """Return a human-readable label (with units where known) for a metric column.

    Args:
        metric: Column name, e.g. ``"gini_earnings"``.

    Returns:
        The entry of :data:`METRIC_LABELS`, or the name with underscores replaced by spaces.
    """
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def _active_mask(freelancers: pd.DataFrame) -> np.ndarray:
    """Boolean mask of freelancers still active (``exit_step`` is NA or absent)."""
    if "exit_step" not in freelancers.columns:
        return np.ones(len(freelancers), dtype=bool)
    return freelancers["exit_step"].isna().to_numpy(dtype=bool)


@FuncFormatter
def _usd_formatter(value: float, _pos: int | None = None) -> str:
    """Tick labels for USD amounts: thousands separators, no scientific offset."""
    return f"{value:,.0f}"


def _pretty(column: str) -> str:
    """Column name as axis text (underscores to spaces)."""
    return column.replace("_", " ")


def _fmt_pct(share: float) -> str:
    """Format a share in [0, 1] as a percentage."""
    return "n/a" if not np.isfinite(share) else f"{100 * share:.1f} %"


# --------------------------------------------------------------------------------------------
# Single-run figures
# --------------------------------------------------------------------------------------------


@styled
def plot_lorenz(freelancers: pd.DataFrame, active_only: bool = True) -> Figure:
    """Plot the Lorenz curve of freelancers' cumulative earnings.

    Args:
        freelancers: Freelancer table with columns ``earnings`` (USD) and ``exit_step``
            (nullable; NA while the freelancer is active).
        active_only: If True, only freelancers whose ``exit_step`` is NA are included.

    Returns:
        A figure with the Lorenz curve (legend entry ``"Earnings (Gini = 0.xx)"``, Gini from
        :func:`marketplace_sim.metrics.gini`) and the equality diagonal.

    Raises:
        KeyError: If ``earnings`` is missing.
    """
    _require(freelancers, ["earnings"], "freelancers")
    mask = _active_mask(freelancers) if active_only else np.ones(len(freelancers), dtype=bool)
    earnings = _as_float(freelancers["earnings"])[mask]
    earnings = earnings[np.isfinite(earnings)]
    who = "active freelancers" if active_only else "all freelancers"

    fig, ax = new_figure(figsize=(5.8, 5.4))
    ax.plot(
        [0, 1],
        [0, 1],
        color=DIAGONAL_COLOR,
        linestyle="--",
        linewidth=1.2,
        label="perfect equality",
    )
    if earnings.size and earnings.sum() > 0:
        g = gini(earnings)
        pop, cum = lorenz(earnings)
        ax.plot(
            pop,
            cum,
            color=COLORS[0],
            linestyle="-",
            linewidth=2.0,
            marker="o" if len(pop) <= 60 else None,
            markersize=3.5,
            label=f"earnings (Gini = {g:.2f})",
        )
        ax.fill_between(pop, cum, pop, color=COLORS[0], alpha=0.12, linewidth=0)
    else:
        _empty_note(ax, f"no {who} with earnings")
        ax.plot([], [], color=COLORS[0], linewidth=2.0, label="earnings (Gini = n/a)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_title(f"Lorenz curve of cumulative earnings\n({who}, n = {earnings.size})")
    ax.set_xlabel("cumulative share of freelancers (lowest earners first)")
    ax.set_ylabel("cumulative share of total earnings")
    ax.legend(loc="upper left")
    finish_axes(ax)
    return fig


@styled
def plot_concentration(steps: pd.DataFrame) -> Figure:
    """Plot the Gini coefficient and the top-1 % and top-10 % earnings shares over weeks.

    Args:
        steps: Per-week table with ``step`` and at least one of ``gini_earnings``,
            ``top1_share``, ``top10_share``. If several rows share a step (several runs),
            their mean is plotted.

    Returns:
        A figure with one line per available metric, y axis fixed to [0, 1].

    Raises:
        KeyError: If ``step`` or all three metric columns are missing.
    """
    _require(steps, ["step"], "steps")
    series = {
        "gini_earnings": "Gini coefficient",
        "top10_share": "top-10 % share",
        "top1_share": "top-1 % share",
    }
    present = [c for c in series if c in steps.columns]
    if not present:
        raise KeyError(f"steps table has none of {list(series)}")
    data = pd.DataFrame({"step": _as_float(steps["step"])})
    for col in present:
        data[col] = _as_float(steps[col])
    data = data.groupby("step", sort=True).mean()
    x = data.index.to_numpy(dtype=float)

    fig, ax = new_figure()
    for i, col in enumerate(present):
        ax.plot(
            x,
            data[col].to_numpy(),
            linewidth=1.8,
            markersize=5,
            markevery=markevery(len(x), i),
            label=series[col],
            **series_style(i),
        )
    ax.set_ylim(0, 1)
    if len(x):
        ax.set_xlim(x.min(), max(x.max(), x.min() + 1))
    ax.set_title("Concentration of cumulative earnings over time")
    ax.set_xlabel("week")
    ax.set_ylabel("Gini coefficient / share of earnings")
    ax.legend(loc="best")
    finish_axes(ax)
    return fig


@styled
def plot_earnings_ccdf(freelancers: pd.DataFrame, active_only: bool = False) -> Figure:
    """Plot the complementary CDF P(earnings >= x) of positive earnings on log-log axes.

    Args:
        freelancers: Freelancer table with ``earnings`` (USD) and, for ``active_only``,
            ``exit_step``.
        active_only: If True, restrict to freelancers still active. Default: everyone ever
            present.

    Returns:
        A figure with the CCDF of positive earnings; the share never hired (earnings 0) is
        stated in the title and in the legend.

    Raises:
        KeyError: If ``earnings`` is missing.
    """
    _require(freelancers, ["earnings"], "freelancers")
    mask = _active_mask(freelancers) if active_only else np.ones(len(freelancers), dtype=bool)
    earnings = _as_float(freelancers["earnings"])[mask]
    earnings = earnings[np.isfinite(earnings)]
    n = earnings.size
    never = share_never(earnings)
    positive = earnings[earnings > 0]

    fig, ax = new_figure()
    ax.set_xscale("log")
    ax.set_yscale("log")
    if positive.size:
        values, prob = ccdf(positive)
        ax.plot(
            values,
            prob,
            color=COLORS[0],
            linestyle="-",
            drawstyle="steps-pre",  # P(X >= x) drops right after each observed value
            linewidth=1.5,
            marker="o",
            markersize=3.5,
            markevery=markevery(len(values), n_marks=40),
            label=f"freelancers with earnings > 0 (n = {positive.size})",
        )
    else:
        _empty_note(ax, "no freelancer has positive earnings")
        ax.set_xlim(1, 10)
        ax.set_ylim(0.1, 1)
    who = "active freelancers" if active_only else "all freelancers"
    ax.set_title(
        f"Distribution of cumulative earnings ({who}, n = {n})\nnever hired: {_fmt_pct(never)}"
    )
    ax.set_xlabel("cumulative earnings x (USD)")
    ax.set_ylabel("share of paid freelancers with earnings ≥ x")
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], linestyle="none"))  # text-only entry, not added to the axes
    labels.append(f"never hired (earnings 0): {_fmt_pct(never)}")
    ax.legend(handles, labels, loc="lower left")
    finish_axes(ax)
    ax.grid(True, which="minor", alpha=0.12, linewidth=0.5)
    return fig


@styled
def plot_ratings(contracts: pd.DataFrame) -> Figure:
    """Plot the distribution of public star ratings (share of reviews per star value).

    Args:
        contracts: Contract table with ``stars`` (nullable integer 1..5, NA when no review).

    Returns:
        A bar chart with five bars (1..5 stars) whose heights are shares of all reviews; the
        title gives the number of reviews and the mean rating. Without reviews all bars have
        height 0 and the title says "no reviews".

    Raises:
        KeyError: If ``stars`` is missing.
    """
    _require(contracts, ["stars"], "contracts")
    stars = _as_float(contracts["stars"])
    stars = stars[np.isfinite(stars)]
    levels = np.arange(1, 6)
    n = stars.size
    counts = np.array([(stars == s).sum() for s in levels], dtype=float)
    shares = counts / n if n else np.zeros(5)

    fig, ax = new_figure(figsize=(6.0, 4.5))
    bars = ax.bar(
        levels, shares, width=0.7, color=COLORS[0], edgecolor="black", linewidth=0.8, alpha=0.85
    )
    if n:
        ax.bar_label(bars, labels=[_fmt_pct(s) for s in shares], padding=2, fontsize=MIN_FONT)
        ax.set_title(
            f"Public star ratings (n = {n} reviews of {len(contracts)} contracts)\n"
            f"mean rating = {stars.mean():.2f} stars"
        )
    else:
        _empty_note(ax, "no reviews")
        ax.set_title(f"Public star ratings: no reviews ({len(contracts)} contracts)")
    ax.set_xticks(levels, [str(s) for s in levels])
    ax.set_xlim(0.4, 5.6)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("public rating (stars)")
    ax.set_ylabel("share of reviews")
    finish_axes(ax)
    ax.grid(False, axis="x")
    return fig


def _trajectory(
    rows: pd.DataFrame | None, start: float, end: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step-function points of cumulative net earnings and running mean rating.

    Args:
        rows: The freelancer's contracts with columns ``t`` (end step), ``net`` and ``stars``
            (float, NaN without review), or None if there are none.
        start: First week of the earnings line (entry step).
        end: Last week of both lines (exit step, or last week of the run).

    Returns:
        ``(x_earn, y_earn, x_rating, y_rating)``; the rating arrays are empty without reviews.
    """
    if rows is None or rows.empty:
        return np.array([start, end]), np.zeros(2), np.empty(0), np.empty(0)
    per_step = rows.groupby("t", sort=True).agg(
        net=("net", "sum"), star_sum=("stars", "sum"), n_stars=("stars", "count")
    )
    t = per_step.index.to_numpy(dtype=float)
    start = min(start, t[0])
    end = max(end, t[-1])
    cum = per_step["net"].cumsum().to_numpy()
    x_earn = np.concatenate([[start], t, [end]])
    y_earn = np.concatenate([[0.0], cum, [cum[-1]]])

    n_stars = per_step["n_stars"].cumsum().to_numpy(dtype=float)
    star_sum = per_step["star_sum"].cumsum().to_numpy(dtype=float)
    reviewed = n_stars > 0
    if not reviewed.any():
        return x_earn, y_earn, np.empty(0), np.empty(0)
    running = star_sum[reviewed] / n_stars[reviewed]
    x_rating = np.concatenate([t[reviewed], [end]])
    y_rating = np.concatenate([running, [running[-1]]])
    return x_earn, y_earn, x_rating, y_rating


@styled
def plot_trajectories(
    freelancers: pd.DataFrame,
    contracts: pd.DataFrame,
    n_top: int = 10,
    n_random: int = 10,
    seed: int = 0,
    *,
    log_earnings: bool = False,
) -> Figure:
    """Plot earnings and rating trajectories of the top earners beside random others.

    The eventual top ``n_top`` freelancers by final ``earnings`` (ties broken by lower
    ``freelancer_id``) are drawn as solid dark lines; ``n_random`` freelancers sampled without
    replacement from all the others with ``numpy.random.default_rng(seed)`` are drawn dashed
    and lighter. Trajectories are reconstructed from the contract table: cumulative sum of
    ``value - fee`` by ``end_step``, and the running mean of non-null ``stars`` by
    ``end_step``. Lines run from ``entry_step`` to ``exit_step`` (or the last week seen in the
    data) as step functions.

    Args:
        freelancers: Freelancer table with ``freelancer_id`` and ``earnings``; ``entry_step``
            and ``exit_step`` are used when present.
        contracts: Contract table with ``freelancer_id``, ``end_step``, ``value``, ``fee`` and
            ``stars``.
        n_top: Number of top earners to show.
        n_random: Number of other freelancers to sample.
        seed: Seed of the random sample.
        log_earnings: Draw the earnings axis on a symmetric-log scale (linear below 100 USD),
            which keeps the sampled others visible when top earners are far ahead.

    Returns:
        A figure with two axes sharing x. The upper (cumulative net earnings) has exactly one
        line per selected freelancer, top earners first; the lower (running mean public
        rating) has one line per selected freelancer with at least one review. Each line's
        ``gid`` is ``"top-<freelancer_id>"`` or ``"random-<freelancer_id>"``. The legend (two
        entries) is a figure legend, ``fig.legends[0]``.

    Raises:
        KeyError: If a required column is missing.
        ValueError: If ``n_top`` or ``n_random`` is negative.
    """
    _require(freelancers, ["freelancer_id", "earnings"], "freelancers")
    _require(contracts, ["freelancer_id", "end_step", "value", "fee", "stars"], "contracts")
    if n_top < 0 or n_random < 0:
        raise ValueError("n_top and n_random must be non-negative")

    ids = freelancers["freelancer_id"].to_numpy()
    ranking = pd.DataFrame(
        {"fid": ids, "earnings": _as_float(freelancers["earnings"])}
    ).sort_values(["earnings", "fid"], ascending=[False, True], na_position="last", kind="stable")
    top_ids = ranking["fid"].to_numpy()[:n_top]
    others = np.sort(ranking["fid"].to_numpy()[n_top:])
    rng = np.random.default_rng(seed)
    k = min(n_random, others.size)
    random_ids = rng.choice(others, size=k, replace=False) if k else others[:0]

    c = pd.DataFrame(
        {
            "fid": contracts["freelancer_id"].to_numpy(),
            "t": _as_float(contracts["end_step"]),
            "net": _as_float(contracts["value"]) - _as_float(contracts["fee"]),
            "stars": _as_float(contracts["stars"]),
        }
    )
    by_fid: dict[Hashable, pd.DataFrame] = dict(tuple(c.groupby("fid", sort=False)))

    entry = (
        dict(zip(ids, _as_float(freelancers["entry_step"]), strict=True))
        if "entry_step" in freelancers.columns
        else {}
    )
    exits = (
        dict(zip(ids, _as_float(freelancers["exit_step"]), strict=True))
        if "exit_step" in freelancers.columns
        else {}
    )
    known_weeks = np.concatenate(
        [c["t"].to_numpy(), np.fromiter(entry.values(), float), np.fromiter(exits.values(), float)]
    )
    last_week = float(np.nanmax(known_weeks)) if np.isfinite(known_weeks).any() else 0.0

    fig, (ax_e, ax_r) = new_figure(2, 1, figsize=(8.0, 7.0), sharex=True)
    # Top earners are added first (so ``ax_e.get_lines()[:n_top]`` are theirs) but drawn above
    # the sampled others through their higher zorder.
    groups = [
        ("top", top_ids, f"top {len(top_ids)} by final earnings", TOP_COLOR, "-", 1.8, 0.9, 3),
        (
            "random",
            random_ids,
            f"{len(random_ids)} randomly sampled others",
            OTHER_COLOR,
            "--",
            1.3,
            0.8,
            2,
        ),
    ]
    for kind, chosen, label, color, ls, lw, alpha, z in groups:
        for j, fid in enumerate(chosen):
            start = entry.get(fid, np.nan)
            start = start if np.isfinite(start) else 0.0
            end = exits.get(fid, np.nan)
            end = end if np.isfinite(end) else last_week
            xe, ye, xr, yr = _trajectory(by_fid.get(fid), start, end)
            style = {"color": color, "linestyle": ls, "linewidth": lw, "alpha": alpha, "zorder": z}
            ax_e.add_line(
                Line2D(
                    xe,
                    ye,
                    drawstyle="steps-post",
                    gid=f"{kind}-{fid}",
                    label=label if j == 0 else "_nolegend_",
                    **style,
                )
            )
            if xr.size:
                ax_r.add_line(Line2D(xr, yr, drawstyle="steps-post", gid=f"{kind}-{fid}", **style))
    ax_e.autoscale_view()
    ax_r.autoscale_view()

    if not len(top_ids) and not len(random_ids):
        _empty_note(ax_e, "no freelancers")
    elif c.empty:
        _empty_note(ax_e, "no completed contracts")
    if not ax_r.get_lines():
        _empty_note(ax_r, "no reviews")
    if log_earnings:
        ax_e.set_yscale("symlog", linthresh=100.0, linscale=0.5)
    y_max = max((float(np.max(ln.get_ydata())) for ln in ax_e.get_lines()), default=0.0)
    ax_e.set_ylim(0, (1.6 if log_earnings else 1.05) * y_max if y_max > 0 else 1.0)
    ax_e.yaxis.set_major_formatter(_usd_formatter)
    ax_r.set_ylim(0.8, 5.2)
    ax_r.set_yticks([1, 2, 3, 4, 5])
    ax_e.set_xlim(0, max(last_week, 1.0))

    fig.suptitle(
        f"Trajectories: top {len(top_ids)} earners (solid) vs. "
        f"{len(random_ids)} random others (dashed)"
    )
    ax_e.set_title("cumulative net earnings (value − fee)")
    ax_r.set_title("running mean of public star ratings")
    ax_e.set_ylabel("cumulative net earnings (USD)")
    ax_r.set_ylabel("mean public rating (stars)")
    ax_r.set_xlabel("week")
    handles, labels = ax_e.get_legend_handles_labels()
    if handles:  # figure legend below the panels, so that it never hides a trajectory
        fig.legend(handles, labels, loc="outside lower center", ncols=len(handles))
    finish_axes(ax_e)
    finish_axes(ax_r)
    return fig


# --------------------------------------------------------------------------------------------
# Sweep figures
# --------------------------------------------------------------------------------------------


def _is_numeric(s: pd.Series) -> bool:
    """Return True for numeric, non-boolean columns."""
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _ordered_levels(s: pd.Series) -> list[Any]:
    """Distinct values: sorted if numeric, category order if categorical, else first seen."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna())
        return [v for v in s.cat.categories if v in present]
    if _is_numeric(s):
        return sorted(s.dropna().unique().tolist())
    return list(dict.fromkeys(s.dropna().tolist()))


def _check_unique(df: pd.DataFrame, keys: list[str], what: str) -> None:
    """Raise ``ValueError`` if ``keys`` do not identify rows of ``df`` uniquely."""
    if df.duplicated(subset=keys).any():
        raise ValueError(
            f"{what}: several rows share the same {keys}; filter the other sweep axes first "
            "(or pass them as hue)"
        )


@styled
def plot_sweep_metric(
    conditions: pd.DataFrame,
    axis: str,
    metric: str,
    hue: str | None = None,
    *,
    xlabel: str | None = None,
    ylabel: str | None = None,
    logx: bool = False,
) -> Figure:
    """Plot a sweep metric's mean and 95 % interval against one sweep axis.

    Numeric axes give one line per ``hue`` value with a shaded band between ``<metric>_lo``
    and ``<metric>_hi``; categorical (string, boolean, categorical) axes give points with
    error bars, dodged sideways per hue value, in the order the values first appear (or the
    category order).

    Args:
        conditions: One row per sweep condition with columns ``axis``, optionally ``hue``, and
            ``<metric>_mean``, ``<metric>_lo``, ``<metric>_hi``. ``(axis, hue)`` must identify
            rows uniquely.
        axis: Column plotted on x.
        metric: Metric stem (e.g. ``"gini_earnings"``).
        hue: Optional column giving one series per value.
        xlabel: Override of the x label (default: ``axis`` with spaces).
        ylabel: Override of the y label (default: :func:`metric_label`).
        logx: Use a log-scaled x axis (numeric axes only).

    Returns:
        The figure.

    Raises:
        KeyError: If a required column is missing.
        ValueError: If ``conditions`` is empty or ``(axis, hue)`` are not unique.
    """
    mean_c, lo_c, hi_c = f"{metric}_mean", f"{metric}_lo", f"{metric}_hi"
    keys = [axis] + ([hue] if hue is not None else [])
    _require(conditions, [*keys, mean_c, lo_c, hi_c], "conditions")
    if conditions.empty:
        raise ValueError("conditions is empty")
    _check_unique(conditions, keys, "plot_sweep_metric")

    numeric = _is_numeric(conditions[axis])
    hue_levels: list[Any] = _ordered_levels(conditions[hue]) if hue is not None else [None]
    x_levels = _ordered_levels(conditions[axis])
    x_pos = {v: i for i, v in enumerate(x_levels)}
    n_h = len(hue_levels)
    dodge = min(0.5, 0.15 * (n_h - 1))

    fig, ax = new_figure()
    for i, h in enumerate(hue_levels):
        sub = conditions if hue is None else conditions[conditions[hue] == h]
        label = None if hue is None else f"{h}"
        style = series_style(i)
        mean = _as_float(sub[mean_c])
        lo = _as_float(sub[lo_c])
        hi = _as_float(sub[hi_c])
        if numeric:
            x = _as_float(sub[axis])
            order = np.argsort(x, kind="stable")
            x, mean, lo, hi = x[order], mean[order], lo[order], hi[order]
            ax.plot(x, mean, linewidth=1.8, markersize=6, label=label, **style)
            ax.fill_between(x, lo, hi, color=style["color"], alpha=0.18, linewidth=0)
        else:
            offset = (i - (n_h - 1) / 2) * (dodge / max(n_h - 1, 1))
            x = np.array([x_pos[v] for v in sub[axis]], dtype=float) + offset
            order = np.argsort(x, kind="stable")
            x, mean, lo, hi = x[order], mean[order], lo[order], hi[order]
            yerr = np.vstack([np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)])
            ax.errorbar(
                x,
                mean,
                yerr=np.clip(yerr, 0, None),
                fmt=style["marker"],
                color=style["color"],
                markersize=7,
                capsize=4,
                elinewidth=1.4,
                linestyle="none",
                label=label,
            )
    if numeric:
        if logx:
            ax.set_xscale("log")
        pos = np.asarray(x_levels, dtype=float)
        if logx:
            pos = np.log10(pos) if np.all(pos > 0) else pos[:0]
        if 1 < len(pos) <= 12 and np.min(np.diff(pos)) >= 0.06 * np.ptp(pos):
            # tick exactly at the swept values when their labels cannot collide
            ax.set_xticks(x_levels, [f"{v:g}" for v in x_levels])
            ax.minorticks_off()
    else:
        ax.set_xticks(range(len(x_levels)), [str(v) for v in x_levels])
        ax.set_xlim(-0.6, len(x_levels) - 0.4)
        if len(x_levels) > 5 or max(len(str(v)) for v in x_levels) > 12:
            ax.tick_params(axis="x", labelrotation=30)
    band = "shaded band" if numeric else "error bars"
    ax.set_title(f"{metric_label(metric)} vs. {_pretty(axis)}\n(mean over runs, {band}: 95 % CI)")
    ax.set_xlabel(xlabel if xlabel is not None else _pretty(axis))
    ax.set_ylabel(ylabel if ylabel is not None else metric_label(metric))
    if hue is not None:
        ax.legend(title=hue, loc="best")
    finish_axes(ax)
    return fig


def _fmt_cell(v: float) -> str:
    """Compact cell annotation for a heatmap value."""
    if not np.isfinite(v):
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}" if abs(v) >= 1 else f"{v:.2f}"


@styled
def plot_sweep_heatmap(
    conditions: pd.DataFrame, x: str, y: str, metric: str, *, cmap: str = "viridis"
) -> Figure:
    """Plot a heatmap of ``<metric>_mean`` over two sweep axes, values annotated per cell.

    Args:
        conditions: One row per condition with columns ``x``, ``y`` and ``<metric>_mean``;
            ``(x, y)`` must identify rows uniquely. Missing combinations show as "–".
        x: Column on the horizontal axis (numeric values sorted ascending, others in order of
            first appearance).
        y: Column on the vertical axis (same ordering, increasing upwards).
        metric: Metric stem (e.g. ``"gini_earnings"``).
        cmap: Matplotlib colormap name; the default (viridis) is monotone in lightness and so
            reads in grayscale.

    Returns:
        A figure with the heatmap (an ``AxesImage``) and a colorbar labelled with the metric.

    Raises:
        KeyError: If a required column is missing.
        ValueError: If ``conditions`` is empty or ``(x, y)`` are not unique.
    """
    mean_c = f"{metric}_mean"
    _require(conditions, [x, y, mean_c], "conditions")
    if conditions.empty:
        raise ValueError("conditions is empty")
    _check_unique(conditions, [x, y], "plot_sweep_heatmap")
    xs = _ordered_levels(conditions[x])
    ys = _ordered_levels(conditions[y])
    grid = np.full((len(ys), len(xs)), np.nan)
    xi = {v: i for i, v in enumerate(xs)}
    yi = {v: i for i, v in enumerate(ys)}
    for xv, yv, m in zip(conditions[x], conditions[y], _as_float(conditions[mean_c]), strict=True):
        if pd.notna(xv) and pd.notna(yv):
            grid[yi[yv], xi[xv]] = m

    width = min(12.0, 2.5 + 0.9 * len(xs))
    height = min(10.0, 2.2 + 0.6 * len(ys))
    fig, ax = new_figure(figsize=(max(width, 5.5), max(height, 4.0)))
    finite = grid[np.isfinite(grid)]
    norm = Normalize(*(finite.min(), finite.max()) if finite.size else (0, 1))
    if finite.size and norm.vmin == norm.vmax:
        norm = Normalize(norm.vmin - 0.5, norm.vmax + 0.5)
    cmap_obj = mpl.colormaps[cmap].with_extremes(bad="0.92")
    image = ax.imshow(
        np.ma.masked_invalid(grid), cmap=cmap_obj, norm=norm, origin="lower", aspect="auto"
    )
    for r in range(len(ys)):
        for col in range(len(xs)):
            v = grid[r, col]
            if np.isfinite(v):
                red, green, blue, _ = cmap_obj(norm(v))
                light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
                color = "black" if light else "white"
            else:
                color = "0.3"
            ax.text(col, r, _fmt_cell(v), ha="center", va="center", color=color, fontsize=10)
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    if len(xs) > 6 or max(len(str(v)) for v in xs) > 10:
        ax.tick_params(axis="x", labelrotation=30)
    cbar = fig.colorbar(image, ax=ax)
    cbar.set_label(f"mean {metric_label(metric)}")
    cbar.ax.tick_params(labelsize=MIN_FONT)
    ax.set_title(f"{metric_label(metric)}\n(mean over runs) by {_pretty(x)} and {_pretty(y)}")
    ax.set_xlabel(_pretty(x))
    ax.set_ylabel(_pretty(y))
    finish_axes(ax, grid=False)
    return fig


@styled
def plot_metric_over_time(
    steps: pd.DataFrame,
    metric: str,
    group: str | None = "condition_id",
    *,
    ylabel: str | None = None,
) -> Figure:
    """Plot a per-week metric over time, one line per group, aggregated over runs.

    Within each group the metric is averaged over runs (rows with the same ``run_id`` and
    ``step``); when a group has at least 3 runs a band between the 2.5 % and 97.5 % quantiles
    across runs is shaded. Without a ``run_id`` column, rows sharing a step are averaged and
    no band is drawn.

    Args:
        steps: Per-week table with ``step``, ``metric`` and optionally ``run_id`` and
            ``group``.
        metric: Column to plot.
        group: Column whose values give one line each. If None or absent from ``steps``, the
            whole table is one group.
        ylabel: Override of the y label (default: :func:`metric_label`).

    Returns:
        The figure.

    Raises:
        KeyError: If ``step`` or ``metric`` is missing.
    """
    _require(steps, ["step", metric], "steps")
    use_group = group is not None and group in steps.columns
    levels: list[Any] = _ordered_levels(steps[group]) if use_group else [None]

    fig, ax = new_figure(figsize=(8.0, 4.8))
    any_band = False
    max_runs = 0
    for i, level in enumerate(levels):
        sub = steps if level is None else steps[steps[group] == level]
        frame = pd.DataFrame({"step": _as_float(sub["step"]), "v": _as_float(sub[metric])})
        if "run_id" in sub.columns:
            frame["run"] = sub["run_id"].to_numpy()
            wide = frame.pivot_table(
                index="step", columns="run", values="v", aggfunc="mean", dropna=False
            ).sort_index()
        else:
            wide = frame.groupby("step", sort=True)[["v"]].mean()
        x = wide.index.to_numpy(dtype=float)
        mean = wide.mean(axis=1).to_numpy(dtype=float)
        n_runs = wide.shape[1]
        max_runs = max(max_runs, n_runs)
        style = series_style(i)
        ax.plot(
            x,
            mean,
            linewidth=1.8,
            markersize=5,
            markevery=markevery(len(x), i),
            label=None if level is None else str(level),
            **style,
        )
        if n_runs >= 3:
            lo = wide.quantile(0.025, axis=1).to_numpy(dtype=float)
            hi = wide.quantile(0.975, axis=1).to_numpy(dtype=float)
            ax.fill_between(x, lo, hi, color=style["color"], alpha=0.15, linewidth=0)
            any_band = True
    subtitle = "mean over runs" if max_runs > 1 else None
    if any_band:
        subtitle = "mean over runs; band: 2.5–97.5 % quantiles across runs"
    title = f"{metric_label(metric)} over time"
    ax.set_title(title + (f"\n({subtitle})" if subtitle else ""))
    ax.set_xlabel("week")
    ax.set_ylabel(ylabel if ylabel is not None else metric_label(metric))
    if use_group and len(levels) > 1:
        if len(levels) > 8:
            ax.legend(title=group, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=1)
        else:
            ax.legend(title=group, loc="best")
    finish_axes(ax)
    return fig


# --------------------------------------------------------------------------------------------
# Run folder
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunFigure:
    """A figure drawn for every run by :func:`draw_run_figures`.

    Attributes:
        draw: Plot function; receives the tables named in ``tables`` positionally.
        tables: Names of the run tables (parquet file stems) the figure needs, in argument
            order. The figure is skipped when any of them is missing.
    """

    draw: Callable[..., Figure]
    tables: tuple[str, ...]


#: Figures written for each run, keyed by output file stem (``figures/<key>.png``).
RUN_FIGURES: dict[str, RunFigure] = {
    "lorenz": RunFigure(plot_lorenz, ("freelancers",)),
    "concentration": RunFigure(plot_concentration, ("steps",)),
    "earnings_ccdf": RunFigure(plot_earnings_ccdf, ("freelancers",)),
    "ratings": RunFigure(plot_ratings, ("contracts",)),
    # symlog earnings axis: on a linear axis the sampled others vanish under the top earners
    "trajectories": RunFigure(
        functools.partial(plot_trajectories, log_earnings=True), ("freelancers", "contracts")
    ),
}


def draw_run_figures(run_dir: Path | str, dpi: int = 150) -> list[Path]:
    """Draw the :data:`RUN_FIGURES` of one run into ``<run_dir>/figures/<name>.png``.

    Reads ``steps.parquet``, ``freelancers.parquet`` and ``contracts.parquet`` from
    ``run_dir``; figures needing a table whose file is absent are skipped (logged at INFO).
    Each figure is released right after saving.

    Args:
        run_dir: Folder of a finished run.
        dpi: Resolution of the PNG files.

    Returns:
        Paths of the files written, in :data:`RUN_FIGURES` order.
    """
    run_dir = Path(run_dir)
    needed = sorted({t for spec in RUN_FIGURES.values() for t in spec.tables})
    tables: dict[str, pd.DataFrame] = {}
    for name in needed:
        path = run_dir / f"{name}.parquet"
        if path.exists():
            tables[name] = pd.read_parquet(path)
        else:
            logger.info("%s not found; skipping figures that need it", path)
    out_dir = run_dir / "figures"
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, spec in RUN_FIGURES.items():
        if not all(t in tables for t in spec.tables):
            continue
        fig = spec.draw(*(tables[t] for t in spec.tables))
        path = out_dir / f"{stem}.png"
        try:
            fig.savefig(path, dpi=dpi)
        finally:
            fig.clear()
            del fig
        written.append(path)
    return written
