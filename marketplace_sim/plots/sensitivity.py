"""The sensitivity figure of a sampled design: each parameter's indices as bars, with intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim.plots.style import COLORS, finish_axes, new_figure, styled

#: The indices drawn for each method, and the one parameters are sorted by.
INDICES = {"sobol": ["S1", "ST"], "morris": ["mu_star", "sigma"], "lhs": ["SRC"]}
MAIN_INDEX = {"sobol": "ST", "morris": "mu_star", "lhs": "SRC"}
AXIS_LABEL = {
    "sobol": "Sobol index (share of variance)",
    "morris": "elementary effect",
    "lhs": "standardised regression coefficient",
}
HATCHES = ("", "//", "..")  # bars told apart in grayscale too


@styled
def plot_sensitivity(table: pd.DataFrame, metric: str) -> Figure:
    """Bar chart of one metric's sensitivity indices per parameter, with 95 % intervals.

    Sobol: first-order ``S1`` and total ``ST``; Morris: ``mu_star`` (with interval) and
    ``sigma``; Latin hypercube: ``SRC``. Parameters are sorted by the main index (ST,
    mu_star or |SRC|), largest on top.

    Args:
        table: ``sensitivity.parquet`` of a sweep (``method``, ``metric``, ``parameter``,
            ``parameter_2``, ``index``, ``value``, ``conf``).
        metric: the metric drawn.
    """
    sub = table[(table["metric"] == metric) & table["parameter_2"].isna()]
    method = str(sub["method"].iloc[0])
    indices = INDICES[method]
    wide = sub.pivot_table(index="parameter", columns="index", values="value", sort=False)
    conf = sub.pivot_table(
        index="parameter", columns="index", values="conf", sort=False, dropna=False
    )
    order = wide[MAIN_INDEX[method]].abs().sort_values().index.tolist()
    n = len(order)
    fig, ax = new_figure(figsize=(7.0, 1.6 + 0.55 * n * len(indices)))
    height = 0.8 / len(indices)
    for i, idx in enumerate(indices):
        y = np.arange(n) + (i - (len(indices) - 1) / 2) * height
        vals = wide.reindex(order)[idx].to_numpy(dtype=float)
        err = conf.reindex(order)[idx].to_numpy(dtype=float) if idx in conf else None
        if err is not None and np.all(np.isnan(err)):
            err = None
        ax.barh(
            y,
            vals,
            height=height * 0.9,
            color=COLORS[i],
            hatch=HATCHES[i],
            edgecolor="white",
            label=idx,
            xerr=None if err is None else np.nan_to_num(err),
            capsize=3,
        )
    ax.set_yticks(np.arange(n), order)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel(AXIS_LABEL[method])
    ax.set_title(
        f"Sensitivity of final {metric.replace('_', ' ')} ({method})\nbars: 95 % bootstrap interval"
    )
    ax.legend(loc="best")
    finish_axes(ax)
    ax.grid(False, axis="y")  # horizontal bars: vertical grid lines only
    return fig
