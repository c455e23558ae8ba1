"""One style for every figure: palette, rcParams, the figure factory and axis finish.

Figures are built with the object API (:class:`~matplotlib.figure.Figure` directly, never
:mod:`matplotlib.pyplot`), so nothing is registered with pyplot and no GUI backend is needed.
The palette is Okabe-Ito (colour-blind safe); series are also told apart by line style and
marker, so figures stay readable in grayscale. The dashboard uses the same :data:`COLORS`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

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
        with mpl.rc_context(RC):
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
