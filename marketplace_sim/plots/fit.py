"""Figures of a fit: marginal posteriors with their priors, thresholds, statistics vs the data.

Every function takes the fit folder's tables (``posterior``, ``intervals``, ``generations``,
``statistics``, the prior predictive and the fitted world's statistics as frames) and returns
a :class:`~matplotlib.figure.Figure`; :func:`draw_fit_figures` saves the three of a fit folder.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from marketplace_sim.files import save_figure
from marketplace_sim.plots.style import (
    COLORS,
    OTHER_COLOR,
    TOP_COLOR,
    finish_axes,
    new_figure,
    styled,
)

FIGURES = {
    "marginals": "fit_marginals.png",
    "epsilon": "fit_epsilon.png",
    "statistics": "fit_statistics.png",
}
BINS = 20
OBSERVED_COLOR = COLORS[6]  # black: the data, as in the compare figures


def _bin_edges(lo: float, hi: float, log: bool) -> np.ndarray:
    if log:
        return np.geomspace(lo, hi, BINS + 1)
    return np.linspace(lo, hi, BINS + 1)


@styled
def plot_marginals(posterior: pd.DataFrame, intervals: pd.DataFrame) -> Figure:
    """One panel per parameter: posterior weight per bin, the prior's, the 90 % interval.

    Bins are equal in the prior's coordinate (the value, or its log for a log-uniform
    prior, drawn on a log axis), so the prior is flat: ``1 / bins`` per bin.
    """
    n = len(intervals)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(4.2 * ncols, 3.4 * nrows + 0.4))
    flat = np.atleast_1d(axes).ravel()
    w = posterior["weight"].to_numpy(dtype=np.float64)
    for ax, row in zip(flat, intervals.itertuples(index=False), strict=False):
        log = row.prior == "loguniform"
        edges = _bin_edges(row.lo, row.hi, log)
        x = posterior[row.parameter].to_numpy(dtype=np.float64)
        mass, _ = np.histogram(x, bins=edges, weights=w / w.sum())
        ax.stairs(mass, edges, fill=True, color=TOP_COLOR, alpha=0.55, label="posterior")
        ax.stairs(
            np.full(BINS, 1 / BINS),
            edges,
            color=OTHER_COLOR,
            linestyle="--",
            linewidth=2.0,
            label="prior",
        )
        ax.axvspan(row.q05, row.q95, color=COLORS[5], alpha=0.18, label="90 % interval")
        ax.axvline(row.fitted, color=TOP_COLOR, linewidth=1.6, label="fitted (median)")
        if np.isfinite(row.truth):
            ax.axvline(row.truth, color=COLORS[1], linestyle=":", linewidth=2.2, label="truth")
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # 2x10^-4, 3x10^-4 ... would collide
        ax.set_xlim(row.lo, row.hi)
        ax.set_xlabel(row.parameter)
        ax.set_ylabel("weight per bin")
        finish_axes(ax)
    for ax in flat[n:]:
        ax.set_visible(False)
    handles, labels = flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
    fig.suptitle(f"Marginal posteriors ({len(posterior)} particles) and priors")
    return fig


@styled
def plot_epsilon(generations: pd.DataFrame) -> Figure:
    """The threshold (largest kept distance) and the acceptance rate by generation."""
    fig, (a, b) = new_figure(1, 2, figsize=(9.0, 3.6))
    g = generations["generation"].to_numpy()
    a.plot(g, generations["epsilon"], marker="o", color=TOP_COLOR)
    a.set_ylim(bottom=0)
    a.set_xlabel("generation")
    a.set_ylabel("epsilon (largest kept distance)")
    a.set_title("Threshold")
    acc = generations["acceptance"].to_numpy(dtype=np.float64)
    b.plot(g[1:], acc[1:], marker="s", color=COLORS[1], linestyle="--")
    b.set_ylim(0, 1)
    b.set_xlabel("generation")
    b.set_ylabel("share of new below the previous epsilon")
    b.set_title("Acceptance")
    for ax in (a, b):
        ax.set_xticks(g)
        finish_axes(ax)
    return fig


@styled
def plot_statistics(statistics: pd.DataFrame, prior: pd.DataFrame, fitted: pd.DataFrame) -> Figure:
    """Each used statistic, in prior-predictive scales from the data (data at 0).

    Args:
        statistics: the distance's table (``statistic``, ``observed``, ``scale``, ``used``).
        prior: the prior predictive: one row per generation-0 simulation, one column per
            statistic.
        fitted: the fitted world's replicates, one row each, one column per statistic.
    """
    used = statistics[statistics["used"]].reset_index(drop=True)
    n = len(used)
    fig, ax = new_figure(figsize=(7.5, 0.42 * n + 1.6))
    y = np.arange(n)[::-1]
    for yi, row in zip(y, used.itertuples(index=False), strict=True):
        zp = (prior[row.statistic].to_numpy(dtype=np.float64) - row.observed) / row.scale
        zp = zp[np.isfinite(zp)]
        if zp.size:
            lo, hi = np.quantile(zp, [0.05, 0.95])
            ax.plot(
                [lo, hi],
                [yi, yi],
                color="0.75",
                linewidth=7,
                solid_capstyle="butt",
                label="prior predictive 5-95 %" if yi == y[0] else None,
            )
        zf = (fitted[row.statistic].to_numpy(dtype=np.float64) - row.observed) / row.scale
        zf = zf[np.isfinite(zf)]
        ax.plot(
            zf,
            np.full(zf.size, yi),
            "o",
            color=TOP_COLOR,
            markersize=3.5,
            alpha=0.6,
            label="fitted world, each run" if yi == y[0] else None,
        )
        if zf.size:
            ax.plot(
                [zf.mean()],
                [yi],
                "D",
                color=COLORS[1],
                markersize=6,
                label="fitted world, mean" if yi == y[0] else None,
            )
    ax.axvline(0, color=OBSERVED_COLOR, linewidth=1.6, label="observed")
    ax.set_yticks(y, used["statistic"])
    ax.set_xlabel("(model - observed) / prior-predictive scale")
    ax.set_title("Statistics: prior predictive and fitted world against the data")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    finish_axes(ax)
    return fig


def draw_fit_figures(
    folder: Path,
    posterior: pd.DataFrame,
    intervals: pd.DataFrame,
    generations: pd.DataFrame,
    statistics: pd.DataFrame,
    prior: pd.DataFrame,
    fitted: pd.DataFrame,
) -> list[Path]:
    """Draw the three fit figures into ``folder`` (created); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    figs = {
        "marginals": plot_marginals(posterior, intervals),
        "epsilon": plot_epsilon(generations),
        "statistics": plot_statistics(statistics, prior, fitted),
    }
    return [save_figure(fig, folder / FIGURES[k], dpi=120) for k, fig in figs.items()]
