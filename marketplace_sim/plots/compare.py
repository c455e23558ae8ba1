"""Figures of a model-data comparison: model replicates overlaid on observed profiles.

Every function takes frames (profiles in the observed format, and the comparison table of
``analysis/compare.py``), never a model, and returns a :class:`~matplotlib.figure.Figure`.
The observed data is drawn in black; each model condition in the palette's colours, each of its
replicates as a thin line, so the spread across replicates is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim.files import save_figure
from marketplace_sim.metrics import ccdf
from marketplace_sim.plots.style import COLORS, finish_axes, new_figure, series_style, styled

#: A model condition: its label and one profile frame per replicate.
ModelSeries = Sequence[tuple[str, Sequence[pd.DataFrame]]]

OBSERVED_COLOR = COLORS[6]  # black: the data
FIGURES = {
    "ccdf": "compare_reviews_ccdf.png",
    "rating": "compare_rating_hist.png",
    "tenure": "compare_zero_by_tenure.png",
}
TENURE_PREFIX = "share_zero_reviews_tenure_"


def _model_color(i: int) -> str:
    """Colour of the ``i``-th model condition (the palette without black, kept for data)."""
    return str(series_style(i % (len(COLORS) - 1))["color"])


@styled
def plot_reviews_ccdf(
    observed: pd.DataFrame, model: ModelSeries, observed_label: str = "observed"
) -> Figure:
    """Log-log CCDF of reviews among reviewed profiles: P(reviews >= k | reviews >= 1).

    Args:
        observed: observed profiles (``reviews``).
        model: ``(label, frames)`` per model condition, one frame per replicate.
        observed_label: the data's legend entry.
    """
    fig, ax = new_figure()
    ax.set_xscale("log")
    ax.set_yscale("log")
    for i, (label, frames) in enumerate(model):
        for j, df in enumerate(frames):
            v, p = ccdf(df["reviews"].to_numpy(dtype=np.float64))
            ax.plot(
                v,
                p,
                drawstyle="steps-pre",
                color=_model_color(i),
                linestyle=series_style(i)["linestyle"],
                linewidth=1.0,
                alpha=0.75,
                label=f"model: {label} ({len(frames)} runs)" if j == 0 else None,
            )
    v, p = ccdf(observed["reviews"].to_numpy(dtype=np.float64))
    n = int(np.count_nonzero(observed["reviews"].to_numpy()))
    ax.plot(
        v,
        p,
        drawstyle="steps-pre",
        color=OBSERVED_COLOR,
        linewidth=2.2,
        label=f"{observed_label} ({n} reviewed profiles)",
    )
    ax.set_xlabel("reviews k")
    ax.set_ylabel("share of reviewed profiles with ≥ k reviews")
    ax.set_title("Reviews per listed profile (profiles with at least one)")
    ax.legend(loc="lower left")
    finish_axes(ax)
    ax.grid(True, which="minor", alpha=0.12, linewidth=0.5)
    return fig


def _ratings(df: pd.DataFrame) -> np.ndarray:
    if "rating" not in df:
        return np.empty(0)
    r = df["rating"].to_numpy(dtype=np.float64)
    return r[~np.isnan(r)]


@styled
def plot_rating_hist(
    observed: pd.DataFrame, model: ModelSeries, observed_label: str = "observed"
) -> Figure:
    """Histogram of displayed ratings (one-decimal bins), model replicates pooled per condition.

    Heights are shares of the profiles showing a rating, so data and model of any size compare.
    """
    edges = np.round(np.arange(-0.05, 5.051, 0.1), 2)  # one bin per displayed value 0.0..5.0
    centers = (edges[:-1] + edges[1:]) / 2
    fig, ax = new_figure()
    obs = _ratings(observed)
    lows = [obs.min()] if obs.size else []
    if obs.size:
        h, _ = np.histogram(obs, edges)
        ax.bar(
            centers,
            h / obs.size,
            width=0.1,
            color=OBSERVED_COLOR,
            alpha=0.35,
            edgecolor=OBSERVED_COLOR,
            label=f"{observed_label} ({obs.size} rated)",
        )
    for i, (label, frames) in enumerate(model):
        r = np.concatenate([_ratings(df) for df in frames]) if frames else np.empty(0)
        if r.size == 0:
            continue
        lows.append(r.min())
        h, _ = np.histogram(r, edges)
        ax.step(
            edges,
            np.append(h / r.size, 0),
            where="post",
            color=_model_color(i),
            linestyle=series_style(i)["linestyle"],
            linewidth=1.6,
            label=f"model: {label} ({r.size} rated, {len(frames)} runs)",
        )
    if not lows:
        ax.text(0.5, 0.5, "no profile shows a rating", ha="center", transform=ax.transAxes)
    low = float(np.floor(min(lows) * 2) / 2) if lows else 0.0  # start at a half star
    ax.set_xlim(max(-0.05, low - 0.05), 5.1)
    ax.set_xlabel("displayed rating (stars, one decimal)")
    ax.set_ylabel("share of profiles showing a rating")
    ax.set_title("Displayed ratings of listed profiles")
    if lows:
        ax.legend(loc="upper left")
    finish_axes(ax)
    return fig


@styled
def plot_zero_by_tenure(comparison: pd.DataFrame, observed_label: str = "observed") -> Figure:
    """Share of listed profiles without a review, by tenure band: data and model (95 % CI).

    Args:
        comparison: the comparison table (``statistic``, ``observed``, ``model_mean``,
            ``model_lo``, ``model_hi``, and ``condition`` when several conditions).
        observed_label: the data's legend entry.
    """
    rows = comparison[comparison["statistic"].str.startswith(TENURE_PREFIX)]
    bands = list(dict.fromkeys(rows["statistic"]))
    x = np.arange(len(bands))
    names = [b.removeprefix(TENURE_PREFIX).removesuffix("y").replace("_", "-") for b in bands]
    fig, ax = new_figure()
    groups = list(rows.groupby("condition", sort=False)) if "condition" in rows else [("", rows)]
    width = 0.6 / max(1, len(groups))
    for i, (label, g) in enumerate(groups):
        g = g.set_index("statistic").reindex(bands)
        mean = g["model_mean"].to_numpy(dtype=np.float64)
        lo, hi = g["model_lo"].to_numpy(dtype=np.float64), g["model_hi"].to_numpy(dtype=np.float64)
        err = np.vstack([mean - lo, hi - mean])
        xi = x + (i - (len(groups) - 1) / 2) * width
        ax.errorbar(
            xi,
            mean,
            yerr=np.where(np.isnan(err), 0, err),
            color=_model_color(i),
            marker=series_style(i)["marker"],
            linestyle="none",
            capsize=3,
            label=f"model: {label}" if label else "model",
        )
    obs = rows.drop_duplicates("statistic").set_index("statistic").reindex(bands)["observed"]
    ax.plot(
        x,
        obs.to_numpy(dtype=np.float64),
        color=OBSERVED_COLOR,
        marker="s",
        markersize=8,
        linestyle="none",
        markerfacecolor="none",
        markeredgewidth=2,
        label=observed_label,
    )
    empty = rows.groupby("statistic", sort=False)[["observed", "model_mean"]].count().sum(axis=1)
    for xb, band in zip(x, bands, strict=True):
        if empty.get(band, 0) == 0:  # neither side has a profile in this band
            ax.text(xb, 0.5, "no profile\nin this band", ha="center", va="center", color="0.45")
    ax.set_xticks(x, names)
    ax.set_xlim(-0.5, len(bands) - 0.5)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("tenure (years since the profile was created)")
    ax.set_ylabel("share with no review")
    ax.set_title("Profiles without a review, by tenure (bars: 95 % interval of the mean)")
    ax.legend(loc="best")
    finish_axes(ax)
    return fig


def draw_compare_figures(
    folder: Path,
    observed: pd.DataFrame,
    model: ModelSeries,
    comparison: pd.DataFrame,
    observed_label: str = "observed",
    dpi: int = 150,
) -> list[Path]:
    """Draw the three comparison figures into ``folder`` (file names: :data:`FIGURES`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figs = {
        "ccdf": plot_reviews_ccdf(observed, model, observed_label),
        "rating": plot_rating_hist(observed, model, observed_label),
        "tenure": plot_zero_by_tenure(comparison, observed_label),
    }
    return [save_figure(fig, folder / FIGURES[key], dpi=dpi) for key, fig in figs.items()]
