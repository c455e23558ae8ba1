"""Figures of a parameter sweep, and the axis labels of metrics and swept keys.

Every public ``plot_*`` function takes a tidy table of a sweep folder (``conditions`` with
``<metric>_mean``/``_lo``/``_hi`` columns, or ``steps``) and returns a
:class:`matplotlib.figure.Figure` built with :mod:`marketplace_sim.plots.style`.

Labels: a metric column is always shown as :func:`~marketplace_sim.plots.labels.metric_label`
and a swept config key as :func:`~marketplace_sim.plots.labels.key_label` (both with units), on
axes, colorbars, legend titles and titles alike, so one quantity reads the same in every
figure (re-exported here with their tables).

File names inside ``<sweep>/figures/`` (drawn by the experiments layer; the patterns are
:data:`SWEEP_FIGURE_FILES`, ``{metric}`` a metric column, ``{axis}`` a dotted swept key):

* ``{metric}_by_{axis}.png``: :func:`plot_sweep_metric`, the metric's mean and 95 % interval
  against one swept key (the other key as hue when there are two);
* ``heatmap_{metric}.png``: :func:`plot_sweep_heatmap` over the first two swept keys;
* ``unpredictability_by_{axis}.png``: unpredictability U across worlds (``worlds = true``);
* ``{metric}_over_time.png``: :func:`plot_metric_over_time`, one line per condition;
* ``sensitivity_{metric}.png``: sensitivity indices (sampled designs).
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure

from marketplace_sim.plots.labels import KEY_LABELS, METRIC_LABELS, key_label, metric_label
from marketplace_sim.plots.style import (
    MIN_FONT,
    as_float,
    finish_axes,
    markevery,
    new_figure,
    require_columns,
    series_style,
    styled,
    week_axis,
)

__all__ = [
    "KEY_LABELS",
    "METRIC_LABELS",
    "SWEEP_FIGURE_FILES",
    "key_label",
    "metric_label",
    "plot_metric_over_time",
    "plot_sweep_heatmap",
    "plot_sweep_metric",
]

#: Patterns of the file names in ``<sweep>/figures/`` (see the module docstring).
SWEEP_FIGURE_FILES: dict[str, str] = {
    "by_axis": "{metric}_by_{axis}.png",
    "heatmap": "heatmap_{metric}.png",
    "unpredictability": "unpredictability_by_{axis}.png",
    "over_time": "{metric}_over_time.png",
    "sensitivity": "sensitivity_{metric}.png",
}


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


def _check_conditions(
    conditions: pd.DataFrame, keys: list[str], metric_columns: list[str], what: str
) -> None:
    """Raise ``KeyError`` for missing columns, ``ValueError`` if empty or rows are ambiguous."""
    require_columns(conditions, [*keys, *metric_columns], "conditions")
    if conditions.empty:
        raise ValueError("conditions is empty")
    if conditions.duplicated(subset=keys).any():
        raise ValueError(
            f"{what}: several rows share the same {keys}; filter the other sweep axes first "
            "(or pass them as hue)"
        )


def _tick_text(v: Any) -> str:
    """A swept value as tick text: floats in short form, everything else as str."""
    return f"{v:g}" if isinstance(v, float) else str(v)


# --------------------------------------------------------------------------------------------
# One metric against one swept key


def _sorted_band(
    sub: pd.DataFrame, x: np.ndarray, metric: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x`` and the metric's mean, lo and hi, sorted by ``x``."""
    mean, lo, hi = (as_float(sub[f"{metric}_{part}"]) for part in ("mean", "lo", "hi"))
    order = np.argsort(x, kind="stable")
    return x[order], mean[order], lo[order], hi[order]


def _draw_series(
    ax: Axes,
    sub: pd.DataFrame,
    axis: str,
    metric: str,
    i: int,
    label: str | None,
    placement: tuple[dict[Any, int], float] | None,
) -> None:
    """One hue level: a line with a band (numeric axis) or dodged error bars (``placement``)."""
    style = series_style(i)
    if placement is None:
        x, mean, lo, hi = _sorted_band(sub, as_float(sub[axis]), metric)
        ax.plot(x, mean, linewidth=1.8, markersize=6, label=label, **style)
        ax.fill_between(x, lo, hi, color=style["color"], alpha=0.18, linewidth=0)
        return
    x_pos, offset = placement
    x = np.array([x_pos[v] for v in sub[axis]], dtype=float) + offset
    x, mean, lo, hi = _sorted_band(sub, x, metric)
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


def _sweep_x_ticks(ax: Axes, x_levels: list[Any], numeric: bool, logx: bool) -> None:
    """Ticks at the swept values where they fit (numeric) or one per category."""
    if not numeric:
        ax.set_xticks(range(len(x_levels)), [str(v) for v in x_levels])
        ax.set_xlim(-0.6, len(x_levels) - 0.4)
        if len(x_levels) > 5 or max(len(str(v)) for v in x_levels) > 12:
            ax.tick_params(axis="x", labelrotation=30)
        return
    if logx:
        ax.set_xscale("log")
    pos = np.asarray(x_levels, dtype=float)
    if logx:
        pos = np.log10(pos) if np.all(pos > 0) else pos[:0]
    if 1 < len(pos) <= 12 and np.min(np.diff(pos)) >= 0.06 * np.ptp(pos):
        # tick exactly at the swept values when their labels cannot collide
        ax.set_xticks(x_levels, [_tick_text(v) for v in x_levels])
        ax.minorticks_off()


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
        axis: Column plotted on x (a dotted swept key).
        metric: Metric stem (e.g. ``"gini_earnings"``).
        hue: Optional column giving one series per value.
        xlabel: Override of the x label (default: :func:`key_label` of ``axis``).
        ylabel: Override of the y label (default: :func:`metric_label`).
        logx: Use a log-scaled x axis (numeric axes only).

    Returns:
        The figure.

    Raises:
        KeyError: If a required column is missing.
        ValueError: If ``conditions`` is empty or ``(axis, hue)`` are not unique.
    """
    keys = [axis] + ([hue] if hue is not None else [])
    bands = [f"{metric}_{part}" for part in ("mean", "lo", "hi")]
    _check_conditions(conditions, keys, bands, "plot_sweep_metric")

    numeric = _is_numeric(conditions[axis])
    hue_levels: list[Any] = _ordered_levels(conditions[hue]) if hue is not None else [None]
    x_levels = _ordered_levels(conditions[axis])
    x_pos = {v: i for i, v in enumerate(x_levels)}
    n_h = len(hue_levels)
    dodge = min(0.5, 0.15 * (n_h - 1))

    fig, ax = new_figure()
    for i, h in enumerate(hue_levels):
        sub = conditions if hue is None else conditions[conditions[hue] == h]
        offset = (i - (n_h - 1) / 2) * (dodge / max(n_h - 1, 1))
        label = None if hue is None else _tick_text(h)
        _draw_series(ax, sub, axis, metric, i, label, None if numeric else (x_pos, offset))
    _sweep_x_ticks(ax, x_levels, numeric, logx)
    band = "shaded band" if numeric else "error bars"
    ax.set_title(f"{metric_label(metric)}\nby {key_label(axis)}\n(mean over runs, {band}: 95 % CI)")
    ax.set_xlabel(xlabel if xlabel is not None else key_label(axis))
    ax.set_ylabel(ylabel if ylabel is not None else metric_label(metric))
    if hue is not None:
        ax.legend(title=key_label(hue), loc="best")
    finish_axes(ax)
    return fig


# --------------------------------------------------------------------------------------------
# One metric over two swept keys


def _fmt_cell(v: float) -> str:
    """Compact cell annotation for a heatmap value."""
    if not np.isfinite(v):
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}" if abs(v) >= 1 else f"{v:.2f}"


def _grid(
    conditions: pd.DataFrame, x: str, y: str, metric: str
) -> tuple[np.ndarray, list[Any], list[Any]]:
    """The ``<metric>_mean`` values as a (y, x) grid (NaN where a combination is missing)."""
    xs = _ordered_levels(conditions[x])
    ys = _ordered_levels(conditions[y])
    grid = np.full((len(ys), len(xs)), np.nan)
    xi = {v: i for i, v in enumerate(xs)}
    yi = {v: i for i, v in enumerate(ys)}
    means = as_float(conditions[f"{metric}_mean"])
    for xv, yv, m in zip(conditions[x], conditions[y], means, strict=True):
        if pd.notna(xv) and pd.notna(yv):
            grid[yi[yv], xi[xv]] = m
    return grid, xs, ys


def _annotate_cells(ax: Axes, grid: np.ndarray, cmap: Colormap, norm: Normalize) -> None:
    """Write each cell's value in black or white, whichever reads on its colour."""
    for r in range(grid.shape[0]):
        for col in range(grid.shape[1]):
            v = grid[r, col]
            if np.isfinite(v):
                red, green, blue, _ = cmap(norm(v))
                light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
                color = "black" if light else "white"
            else:
                color = "0.3"
            ax.text(col, r, _fmt_cell(v), ha="center", va="center", color=color, fontsize=10)


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
    _check_conditions(conditions, [x, y], [f"{metric}_mean"], "plot_sweep_heatmap")
    grid, xs, ys = _grid(conditions, x, y, metric)

    width = min(12.0, 2.5 + 0.9 * len(xs))
    height = min(10.0, 2.2 + 0.6 * len(ys))
    fig, ax = new_figure(figsize=(max(width, 5.5), max(height, 4.0)))
    finite = grid[np.isfinite(grid)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    norm = Normalize(lo - 0.5, hi + 0.5) if lo == hi else Normalize(lo, hi)
    cmap_obj = mpl.colormaps[cmap].with_extremes(bad="0.92")
    image = ax.imshow(
        np.ma.masked_invalid(grid), cmap=cmap_obj, norm=norm, origin="lower", aspect="auto"
    )
    _annotate_cells(ax, grid, cmap_obj, norm)
    ax.set_xticks(range(len(xs)), [_tick_text(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_tick_text(v) for v in ys])
    if len(xs) > 6 or max(len(str(v)) for v in xs) > 10:
        ax.tick_params(axis="x", labelrotation=30)
    cbar = fig.colorbar(image, ax=ax)
    cbar.set_label(f"mean {metric_label(metric)}")
    cbar.ax.tick_params(labelsize=MIN_FONT)
    ax.set_title(f"{metric_label(metric)} (mean over runs)\nby {key_label(x)}\nand {key_label(y)}")
    ax.set_xlabel(key_label(x))
    ax.set_ylabel(key_label(y))
    finish_axes(ax, grid=False)
    return fig


# --------------------------------------------------------------------------------------------
# One metric over time


def _by_week(sub: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The metric as a (week x run) table; one column when there is no ``run_id``."""
    frame = pd.DataFrame({"step": as_float(sub["step"]), "v": as_float(sub[metric])})
    if "run_id" not in sub.columns:
        return frame.groupby("step", sort=True)[["v"]].mean()
    frame["run"] = sub["run_id"].to_numpy()
    return frame.pivot_table(
        index="step", columns="run", values="v", aggfunc="mean", dropna=False
    ).sort_index()


def _draw_over_time(ax: Axes, wide: pd.DataFrame, i: int, label: str | None) -> bool:
    """The mean over runs, and a 2.5–97.5 % band with 3 runs or more; True if banded."""
    x = wide.index.to_numpy(dtype=float)
    style = series_style(i)
    ax.plot(
        x,
        wide.mean(axis=1).to_numpy(dtype=float),
        linewidth=1.8,
        markersize=5,
        markevery=markevery(len(x), i),
        label=label,
        **style,
    )
    if wide.shape[1] < 3:
        return False
    lo = wide.quantile(0.025, axis=1).to_numpy(dtype=float)
    hi = wide.quantile(0.975, axis=1).to_numpy(dtype=float)
    ax.fill_between(x, lo, hi, color=style["color"], alpha=0.15, linewidth=0)
    return True


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
    no band is drawn. Weeks are ticked at integers.

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
    require_columns(steps, ["step", metric], "steps")
    use_group = group is not None and group in steps.columns
    levels: list[Any] = _ordered_levels(steps[group]) if use_group else [None]

    fig, ax = new_figure(figsize=(8.0, 4.8))
    any_band = False
    max_runs = 0
    for i, level in enumerate(levels):
        wide = _by_week(steps if level is None else steps[steps[group] == level], metric)
        max_runs = max(max_runs, wide.shape[1])
        label = None if level is None else str(level)
        any_band = _draw_over_time(ax, wide, i, label) or any_band
    subtitle = "mean over runs" if max_runs > 1 else None
    if any_band:
        subtitle = "mean over runs; band: 2.5–97.5 % quantiles across runs"
    title = f"{metric_label(metric)} over time"
    ax.set_title(title + (f"\n({subtitle})" if subtitle else ""))
    week_axis(ax)
    ax.set_ylabel(ylabel if ylabel is not None else metric_label(metric))
    if use_group and len(levels) > 1:
        assert group is not None  # use_group says so; for the type checker
        if len(levels) > 8:
            ax.legend(title=key_label(group), loc="upper left", bbox_to_anchor=(1.01, 1.0))
        else:
            ax.legend(title=key_label(group), loc="best")
    finish_axes(ax)
    return fig
