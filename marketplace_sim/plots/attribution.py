"""The figure of ``marketplace-sim analyze``: permutation importance of the six factors.

Takes plain arrays (regimes x factors), so it needs nothing above the ground layer. Up to four
regimes are drawn as grouped horizontal bars with 95 % intervals (none with one replicate);
more as a heatmap of the mean importance. The title is the figure's (centred over the whole
canvas, wrapped) and the legend sits below the axes, so neither can cover a bar or leave the
canvas, whatever the labels.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from marketplace_sim.plots.style import COLORS, MIN_FONT, finish_axes, new_figure, styled

MAX_BAR_GROUPS = 4  # more regimes than this: a heatmap
HATCHES = ("", "//", "..", "xx")
CHARS_PER_INCH = 10  # a title line of the suptitle font holds about this many per inch


@styled
def importance_figure(
    labels: Sequence[str],
    mean: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    factor_labels: Sequence[str],
    replicates: int,
) -> Figure:
    """Permutation importance per factor, by regime.

    Args:
        labels: one label per regime (row of the arrays).
        mean: mean importance, shape (regimes, factors).
        lo: lower end of the 95 % interval, same shape.
        hi: upper end of the 95 % interval, same shape.
        factor_labels: one label per factor (column of the arrays).
        replicates: the fewest replicates of any regime; 1 or fewer draws no error bars.
    """
    mean, lo, hi = (np.asarray(a, dtype=float).reshape(len(labels), -1) for a in (mean, lo, hi))
    if len(labels) > MAX_BAR_GROUPS:
        return _heatmap(labels, mean, factor_labels)
    return _bars(labels, mean, lo, hi, factor_labels, replicates)


def _bars(
    labels: Sequence[str],
    mean: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    factor_labels: Sequence[str],
    replicates: int,
) -> Figure:
    n_f, n_g = len(factor_labels), max(1, len(labels))
    fig, ax = new_figure(figsize=(8.5, 1.6 + 0.5 * n_f * n_g**0.5))
    height = 0.8 / n_g
    for i, label in enumerate(labels):
        y = np.arange(n_f) + i * height
        # one replicate: no interval can be estimated, so none is drawn (not a zero-width one)
        err = (
            None
            if replicates <= 1
            else np.nan_to_num(np.vstack([mean[i] - lo[i], hi[i] - mean[i]]))
        )
        ax.barh(
            y,
            mean[i],
            height=height * 0.95,
            xerr=err,
            color=COLORS[i % len(COLORS)],
            hatch=HATCHES[i % len(HATCHES)],
            edgecolor="white",
            capsize=3,
            label=label,
        )
    ax.set_yticks(np.arange(n_f) + height * (n_g - 1) / 2, list(factor_labels))
    ax.invert_yaxis()
    ax.set_xlabel("permutation importance (drop in R² of later log earnings)")
    ax.axvline(0, color="black", linewidth=0.8)
    finish_axes(ax)
    ax.grid(False, axis="y")
    note = "one replicate: no interval" if replicates <= 1 else "bars: 95 % CI across replicates"
    _title(fig, f"What explains later success: the six factors ({note})")
    if len(labels) > 1:  # a single regime needs no legend
        fig.legend(loc="outside lower center", ncols=min(len(labels), 2), frameon=False)
    return fig


def _heatmap(labels: Sequence[str], mean: np.ndarray, factor_labels: Sequence[str]) -> Figure:
    mat = mean.T  # factors x regimes
    fig, ax = new_figure(figsize=(2.2 + 1.1 * len(labels), 4.8))
    im = ax.imshow(mat, cmap="viridis", aspect="auto")
    annotate_cells(ax, mat, "{:.2f}")
    ax.set_yticks(range(len(factor_labels)), list(factor_labels))
    ax.set_xticks(range(len(labels)), [lab.replace(", ", "\n") for lab in labels])
    ax.tick_params(labelsize=MIN_FONT)
    fig.colorbar(im, ax=ax, label="permutation importance (drop in R²)")
    _title(
        fig,
        "What explains later success, by regime (mean permutation importance across replicates)",
    )
    return fig


def annotate_cells(ax: Axes, mat: np.ndarray, fmt: str, fontsize: float = MIN_FONT) -> None:
    """Write each cell's value on a heatmap, white on dark cells and black on light ones."""
    top = np.nanmax(mat) if np.isfinite(mat).any() else 0.0  # all-NaN: no warning
    for (i, j), v in np.ndenumerate(mat):
        dark = bool(np.isfinite(v) and v < top * 0.6)
        color = "white" if dark else "black"
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize, color=color)


def _title(fig: Figure, text: str) -> None:
    """The figure's title, wrapped to the canvas width (centred over the whole figure)."""
    width = int(CHARS_PER_INCH * fig.get_figwidth())
    fig.suptitle("\n".join(textwrap.wrap(text, width)))
