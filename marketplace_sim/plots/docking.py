"""Figures of the docking with Lukac & Grow (2020): our runs over theirs, value by value.

Both functions take tidy tables (built by :mod:`marketplace_sim.analysis.docking`) and return a
:class:`~matplotlib.figure.Figure` in the package style (:mod:`.style`); the report writer saves
them with :func:`marketplace_sim.files.save_figure`.

* :func:`plot_docking_means`: one panel per measure, the mean of each sample (theirs, then one
  or more of ours) against coef-strategy with its 95 % interval as a band, and ticks under the
  axis where a sample of ours differs from theirs after correction;
* :func:`plot_docking_effects`: one panel per measure, the standardised mean difference (ours
  minus theirs, in pooled sds) against coef-strategy, one line per sample of ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim.plots.style import (
    COLORS,
    LINESTYLES,
    MARKERS,
    finish_axes,
    new_figure,
    require_columns,
    styled,
)

THEIRS_COLOR = "#000000"  # their runs: black, ours take the palette from its first colour


def _grid(n: int) -> tuple[Figure, list[Any]]:
    ncols = 3
    nrows = int(np.ceil(n / ncols))
    fig, axes = new_figure(nrows, ncols, figsize=(12.0, 3.0 * nrows + 1.4), sharex=True)
    flat = list(np.ravel(axes))
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


@styled
def plot_docking_means(
    summaries: Mapping[str, pd.DataFrame],
    labels: Mapping[str, str],
    differ: Mapping[str, pd.DataFrame] | None = None,
    title: str = "",
) -> Figure:
    """Mean and 95 % interval of each measure against coef-strategy, for every sample.

    Args:
        summaries: sample name -> one row per ``coef`` and ``measure`` with ``mean``, ``lo``,
            ``hi``; the first sample is drawn in black (theirs), the others in the palette.
        labels: measure -> panel title, in panel order.
        differ: sample name -> rows ``coef``, ``measure`` where that sample differs from the
            first after correction (drawn as ticks at the bottom of the panel).
        title: the figure's title.
    """
    for name, df in summaries.items():
        require_columns(df, ["coef", "measure", "mean", "lo", "hi"], name)
    fig, axes = _grid(len(labels))
    for ax, (measure, label) in zip(axes, labels.items(), strict=True):
        for i, (name, df) in enumerate(summaries.items()):
            d = df[df["measure"] == measure].sort_values("coef")
            color = THEIRS_COLOR if i == 0 else COLORS[(i - 1) % len(COLORS)]
            style = LINESTYLES[i % len(LINESTYLES)]
            ax.fill_between(d["coef"], d["lo"], d["hi"], color=color, alpha=0.15, linewidth=0)
            ax.plot(d["coef"], d["mean"], color=color, linestyle=style, linewidth=1.4, label=name)
        for i, name in enumerate(list(summaries)[1:]):
            if differ is None or name not in differ:
                continue
            x = differ[name].loc[differ[name]["measure"] == measure, "coef"]
            if x.empty:  # an empty line in axes coordinates collapses the layout
                continue
            ax.plot(
                x,
                np.zeros(len(x)),
                "|",
                transform=ax.get_xaxis_transform(),
                color=COLORS[i % len(COLORS)],
                markersize=9,
                clip_on=False,
            )
        ax.set_title(label)
        finish_axes(ax)
    _finish(fig, axes, title)
    return fig


def _finish(fig: Figure, axes: list[Any], title: str) -> None:
    """Label the bottom row's x axes, put one legend under the panels, add the title."""
    for ax in axes[-3:]:
        ax.set_xlabel("coef-strategy (their tau)")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=len(names), frameon=False)
    if title:
        fig.suptitle(title)


@styled
def plot_docking_effects(
    tables: Mapping[str, pd.DataFrame],
    labels: Mapping[str, str],
    guides: Sequence[float] = (-0.5, 0.5),
    title: str = "",
) -> Figure:
    """Standardised mean difference (ours minus theirs) against coef-strategy, per measure.

    Args:
        tables: sample name -> the comparison table (``coef``, ``measure``, ``smd``,
            ``indistinguishable``); points where the sample differs after correction are filled.
        labels: measure -> panel title, in panel order.
        guides: dashed horizontal guide lines (pooled sds).
        title: the figure's title.
    """
    for name, df in tables.items():
        require_columns(df, ["coef", "measure", "smd", "indistinguishable"], name)
    fig, axes = _grid(len(labels))
    for ax, (measure, label) in zip(axes, labels.items(), strict=True):
        for g in guides:
            ax.axhline(g, color="0.5", linestyle="--", linewidth=0.8)
        ax.axhline(0.0, color="0.3", linewidth=0.8)
        for i, (name, df) in enumerate(tables.items()):
            d = df[df["measure"] == measure].sort_values("coef")
            color = COLORS[i % len(COLORS)]
            ax.plot(d["coef"], d["smd"], color=color, linestyle=LINESTYLES[i], label=name)
            bad = d[~d["indistinguishable"].astype(bool)]
            ax.plot(bad["coef"], bad["smd"], "o", color=color, markersize=4)
        ax.set_title(label)
        finish_axes(ax)
    axes[0].set_ylabel("(ours - theirs) / pooled sd")
    _finish(fig, axes, title)
    return fig


@styled
def plot_docking_ladder(
    table: pd.DataFrame,
    labels: Mapping[str, str],
    rung_labels: Mapping[str, str],
    title: str = "",
) -> Figure:
    """Each rung's change from the docked world, with its 95 % interval, one panel per measure.

    Args:
        table: the ladder table (``rung``, ``coef``, ``measure``, ``diff``, ``lo``, ``hi``).
        labels: measure -> panel title, in panel order.
        rung_labels: rung -> its name on the y axis, top to bottom.
        title: the figure's title.
    """
    require_columns(table, ["rung", "coef", "measure", "diff", "lo", "hi"], "ladder")
    ncols = 4
    nrows = int(np.ceil(len(labels) / ncols))
    fig, axes = new_figure(nrows, ncols, figsize=(14.0, 2.6 * nrows + 1.2), sharey=True)
    flat = list(np.ravel(axes))
    for ax in flat[len(labels) :]:
        ax.set_visible(False)
    rungs = list(rung_labels)
    coefs = sorted(pd.unique(table["coef"]))
    for ax, (measure, label) in zip(flat, labels.items(), strict=False):
        ax.axvline(0.0, color="0.3", linewidth=0.8)
        for j, coef in enumerate(coefs):
            d = table[(table["measure"] == measure) & (table["coef"] == coef)]
            d = d.set_index("rung").reindex(rungs)
            y = np.arange(len(rungs)) + (j - (len(coefs) - 1) / 2) * 0.22
            err = np.vstack([d["diff"] - d["lo"], d["hi"] - d["diff"]])
            ax.errorbar(
                d["diff"],
                y,
                xerr=err,
                fmt=MARKERS[j % len(MARKERS)],
                color=COLORS[j % len(COLORS)],
                markersize=4,
                linewidth=1.0,
                capsize=2,
                label=f"coef-strategy {coef:g}",
            )
        ax.set_title(label)
        ax.set_yticks(np.arange(len(rungs)), [rung_labels[r] for r in rungs])
        finish_axes(ax)
    flat[0].invert_yaxis()  # the y axis is shared: the first rung on top in every panel
    for ax in flat[-ncols:]:
        ax.set_xlabel("change from the docked world")
    handles, names = flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=len(names), frameon=False)
    if title:
        fig.suptitle(title)
    return fig
