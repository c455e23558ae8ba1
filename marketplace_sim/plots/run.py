"""Figures of one run: Lorenz curve, concentration over time, earnings CCDF, ratings, trajectories.

Every public ``plot_*`` function takes the tidy tables of a run folder (``steps``,
``freelancers``, ``contracts``) and returns a :class:`matplotlib.figure.Figure` built with
:mod:`marketplace_sim.plots.style`. :func:`draw_run_figures` writes them into the run folder;
the file names are stable (scripts and docs link to them), one per entry of
:data:`RUN_FIGURES`:

* ``figures/lorenz.png``: Lorenz curve of active freelancers' earnings, with the Gini;
* ``figures/concentration.png``: Gini, top-1 % and top-10 % shares week by week;
* ``figures/earnings_ccdf.png``: P(earnings >= x) on log-log axes, and the share never hired;
* ``figures/ratings.png``: share of public reviews per star value;
* ``figures/trajectories.png``: earnings and rating paths of the top 10 earners and of 10
  random others (how many of them earned nothing is said in the figure).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from marketplace_sim.files import save_figure
from marketplace_sim.metrics import ccdf, gini, lorenz, share_never
from marketplace_sim.plots.style import (
    COLORS,
    DIAGONAL_COLOR,
    MIN_FONT,
    as_float,
    empty_note,
    finish_axes,
    markevery,
    new_figure,
    require_columns,
    series_style,
    styled,
    week_axis,
)
from marketplace_sim.plots.trajectories import plot_trajectories

__all__ = [
    "RUN_FIGURES",
    "RUN_FIGURE_FILES",
    "RunFigure",
    "draw_run_figures",
    "plot_concentration",
    "plot_earnings_ccdf",
    "plot_lorenz",
    "plot_ratings",
    "plot_trajectories",
]

logger = logging.getLogger(__name__)


def _active_mask(freelancers: pd.DataFrame) -> np.ndarray:
    """Boolean mask of freelancers still active (``exit_step`` is NA or absent)."""
    if "exit_step" not in freelancers.columns:
        return np.ones(len(freelancers), dtype=bool)
    return freelancers["exit_step"].isna().to_numpy(dtype=bool)


def _fmt_pct(share: float) -> str:
    """Format a share in [0, 1] as a percentage."""
    return "n/a" if not np.isfinite(share) else f"{100 * share:.1f} %"


def _earnings(freelancers: pd.DataFrame, active_only: bool) -> tuple[np.ndarray, str]:
    """Finite earnings of the chosen freelancers and the words naming them."""
    require_columns(freelancers, ["earnings"], "freelancers")
    mask = _active_mask(freelancers) if active_only else np.ones(len(freelancers), dtype=bool)
    earnings = as_float(freelancers["earnings"])[mask]
    who = "active freelancers" if active_only else "all freelancers"
    return earnings[np.isfinite(earnings)], who


# --------------------------------------------------------------------------------------------
# Distributions


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
    earnings, who = _earnings(freelancers, active_only)
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
        pop, cum = lorenz(earnings)
        ax.plot(
            pop,
            cum,
            color=COLORS[0],
            linestyle="-",
            linewidth=2.0,
            marker="o" if len(pop) <= 60 else None,
            markersize=3.5,
            label=f"earnings (Gini = {gini(earnings):.2f})",
        )
        ax.fill_between(pop, cum, pop, color=COLORS[0], alpha=0.12, linewidth=0)
    else:
        empty_note(ax, f"no {who} with earnings")
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
        A figure with one line per available metric, y axis fixed to [0, 1], integer weeks.

    Raises:
        KeyError: If ``step`` or all three metric columns are missing.
    """
    require_columns(steps, ["step"], "steps")
    series = {
        "gini_earnings": "Gini coefficient",
        "top10_share": "top-10 % share",
        "top1_share": "top-1 % share",
    }
    present = [c for c in series if c in steps.columns]
    if not present:
        raise KeyError(f"steps table has none of {list(series)}")
    data = pd.DataFrame({"step": as_float(steps["step"])})
    for col in present:
        data[col] = as_float(steps[col])
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
    week_axis(ax)
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
    earnings, who = _earnings(freelancers, active_only)
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
        empty_note(ax, "no freelancer has positive earnings")
        ax.set_xlim(1, 10)
        ax.set_ylim(0.1, 1)
    ax.set_title(
        f"Distribution of cumulative earnings ({who}, n = {earnings.size})\n"
        f"never hired: {_fmt_pct(never)}"
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
    require_columns(contracts, ["stars"], "contracts")
    stars = as_float(contracts["stars"])
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
        empty_note(ax, "no reviews")
        ax.set_title(f"Public star ratings: no reviews ({len(contracts)} contracts)")
    ax.set_xticks(levels, [str(s) for s in levels])
    ax.set_xlim(0.4, 5.6)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("public rating (stars)")
    ax.set_ylabel("share of reviews")
    finish_axes(ax)
    ax.grid(False, axis="x")
    return fig


# --------------------------------------------------------------------------------------------
# Run folder


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


#: Figures written for each run, keyed by output file stem (``figures/<key>.png``). The keys
#: are part of the output contract: renaming one breaks links to run folders.
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

#: File names inside ``<run>/figures/``, in drawing order.
RUN_FIGURE_FILES: tuple[str, ...] = tuple(f"{stem}.png" for stem in RUN_FIGURES)


#: PNG compression of the run figures: zlib level 1 instead of Pillow's 6. The same pixels in
#: files about 15 % larger, written in a fifth less time (the encoding was 0.1 s of a run's
#: figures).
PNG_OPTIONS = {"compress_level": 1}


def draw_run_figures(
    run_dir: Path | str, dpi: int = 150, tables: Mapping[str, pd.DataFrame] | None = None
) -> list[Path]:
    """Draw the :data:`RUN_FIGURES` of one run into ``<run_dir>/figures/<name>.png``.

    Reads ``steps.parquet``, ``freelancers.parquet`` and ``contracts.parquet`` from
    ``run_dir`` (unless ``tables`` holds them already); figures needing a table whose file is
    absent are skipped (logged at INFO). Each file is written atomically and each figure
    released right after saving.

    Args:
        run_dir: Folder of a finished run.
        dpi: Resolution of the PNG files.
        tables: The run's tables as written (:func:`marketplace_sim.files.tidy_dtypes`
            applied), by file stem: a run that has just written them passes them here
            instead of reading them back. A table not in it is read from its file.

    Returns:
        Paths of the files written, in :data:`RUN_FIGURES` order.
    """
    run_dir = Path(run_dir)
    needed = sorted({t for spec in RUN_FIGURES.values() for t in spec.tables})
    given = dict(tables or {})
    frames: dict[str, pd.DataFrame] = {}
    for name in needed:
        path = run_dir / f"{name}.parquet"
        if name in given and path.exists():
            frames[name] = given[name]
        elif path.exists():
            frames[name] = pd.read_parquet(path)
        else:
            logger.info("%s not found; skipping figures that need it", path)
    out_dir = run_dir / "figures"
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, spec in RUN_FIGURES.items():
        if not all(t in frames for t in spec.tables):
            continue
        fig = spec.draw(*(frames[t] for t in spec.tables))
        try:
            path = out_dir / f"{stem}.png"
            written.append(save_figure(fig, path, dpi=dpi, pil_kwargs=PNG_OPTIONS))
        finally:
            fig.clear()
    return written
