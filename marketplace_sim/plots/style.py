"""One style for every figure: palette, rcParams, the figure factory and axis finish.

Figures are built with the object API (:class:`~matplotlib.figure.Figure` directly, never
:mod:`matplotlib.pyplot`), so nothing is registered with pyplot, no GUI backend is needed and
there is nothing to close: save with :func:`marketplace_sim.files.save_figure` and drop the
reference. In Jupyter, after ``%matplotlib inline``, a returned figure is displayed.

Conventions shared by every figure (run figures in :mod:`marketplace_sim.plots.run`, sweep
figures in :mod:`marketplace_sim.plots.sweep`):

* the palette is Okabe-Ito (colour-blind safe), and series are told apart by line style and
  marker as well, so figures stay readable in grayscale; the dashboard uses the same
  :data:`COLORS`;
* anything over time has the model step on x, labelled "week", with integer ticks
  (:func:`week_axis`);
* text is at least :data:`MIN_FONT` pt, whatever the caller's rcParams (:func:`styled`);
* input frames are never modified (:func:`as_float` copies).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, cast

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Okabe-Ito palette (colour-blind safe); paired with line styles and markers of different cycle
# lengths (7, 4, 6) so that the first 84 series all get a distinct combination.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
LINESTYLES: tuple[Any, ...] = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P")

TOP_COLOR = "#08306B"  # dark blue: prints almost black
OTHER_COLOR = "#E69F00"  # light orange: prints light gray
DIAGONAL_COLOR = "0.45"

MIN_FONT = 10
RC: dict[str, Any] = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": MIN_FONT,
    "ytick.labelsize": MIN_FONT,
    "legend.fontsize": MIN_FONT,
    "legend.title_fontsize": MIN_FONT,
    "figure.titlesize": 13,
    "axes.titleweight": "normal",
}


def styled[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Run a plotting function inside the module's rcParams context (font sizes)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with mpl.rc_context(cast(Any, RC)):  # RC's keys are valid; mypy wants literals
            return func(*args, **kwargs)

    return wrapper


def series_style(i: int) -> dict[str, Any]:
    """Return colour, line style and marker of the ``i``-th series."""
    return {
        "color": COLORS[i % len(COLORS)],
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


def markevery(n: int, i: int = 0, n_marks: int = 12) -> tuple[int, int]:
    """Marker spacing showing about ``n_marks`` markers, staggered by series index ``i``."""
    every = max(1, n // n_marks)
    return (i * max(1, every // 4)) % every, every


def new_figure(
    nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (7.0, 4.5), **kwargs: Any
) -> tuple[Figure, Any]:
    """Create a constrained-layout figure (not registered with pyplot) and its axes."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # so that fig.canvas.draw() renders; pyplot's backend is untouched
    axes = fig.subplots(nrows, ncols, squeeze=True, **kwargs)
    return fig, axes


def finish_axes(ax: Axes, grid: bool = True) -> None:
    """Apply the settings shared by all axes (tick label size, light grid)."""
    ax.tick_params(labelsize=MIN_FONT)
    if grid:
        ax.grid(True, alpha=0.3, linewidth=0.6)
        ax.set_axisbelow(True)


def week_axis(ax: Axes, label: str = "week") -> None:
    """Label a time axis in weeks, with integer ticks only (a model step is one week)."""
    ax.set_xlabel(label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def empty_note(ax: Axes, text: str) -> None:
    """Write a centred note on an axes that has no data to show."""
    ax.text(
        0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11, color="0.3"
    )


# --------------------------------------------------------------------------------------------
# Reading the tables every figure takes


def as_float(values: pd.Series | Sequence[Any]) -> np.ndarray:
    """Convert a (possibly nullable) column to a float array with NaN for missing values."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def require_columns(df: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise ``KeyError`` naming the columns of ``table`` that ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{table} table lacks column(s) {missing}; has {list(df.columns)}")
