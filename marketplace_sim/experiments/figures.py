"""Which figures a sweep gets, drawn by ``marketplace_sim.plots`` into ``<sweep>/figures/``.

Grid designs: each metric's final value against each swept axis (mean and 95 % band; the other
axis as hue when there are two, pooled over the others when there are more), a heatmap over the
first two axes, metric-over-time lines per condition (up to 12 conditions), and
unpredictability against each axis for worlds. Sampled designs: the sensitivity indices of each
metric. The figures folder is replaced as a whole (``files.atomic_dir``).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim import files
from marketplace_sim import metrics as msm
from marketplace_sim.columns import CONTRACT_METRICS
from marketplace_sim.experiments.labels import fmt_value, short_names
from marketplace_sim.experiments.outdir import SWEEP_JSON
from marketplace_sim.experiments.tables import CONF_LEVEL

MAX_TIME_FIGURE_CONDITIONS = 12  # more lines than this make metric-over-time figures unreadable

Plan = Iterator[tuple[str, Callable[[], Any]]]


def draw_sweep_figures(sweep_dir: Path | str, dpi: int = 150) -> list[Path]:
    """(Re)draw the figures of a sweep folder into ``<sweep_dir>/figures/``.

    A figure that fails to draw is reported on stderr and skipped; the others are drawn.

    Returns:
        The paths written.
    """
    d = Path(sweep_dir)
    info: dict[str, Any] = {}
    if (d / SWEEP_JSON).exists():
        info = json.loads((d / SWEEP_JSON).read_text(encoding="utf-8"))
    conditions = pd.read_parquet(d / "conditions.parquet")
    runs = pd.read_parquet(d / "runs.parquet")
    axes: list[str] = info.get("axes") or [c for c in conditions.columns if "." in c]
    metrics_: list[str] = info.get("metrics") or [
        m for m in CONTRACT_METRICS if f"{m}_mean" in conditions.columns
    ]
    design = info.get("design") or ("sampled" if (d / "sensitivity.parquet").exists() else "grid")
    if design != "grid":
        plan = _sensitivity_plan(d, metrics_)
    else:
        plan = _grid_plan(d, axes, metrics_, conditions, runs)
    written: list[str] = []
    final = d / "figures"
    with files.atomic_dir(final, replace=True) as tmp:
        for name, make in plan:
            try:
                fig = make()
            except Exception as exc:  # one bad figure must not cost the others
                print(
                    f"warning: figure {name} not drawn: {type(exc).__name__}: {exc}",
                    file=sys.stderr,
                )
                continue
            files.save_figure(fig, tmp / name, dpi=dpi)
            fig.clear()
            written.append(name)
    return [final / n for n in written]


def _sensitivity_plan(d: Path, metrics_: list[str]) -> Plan:
    from marketplace_sim.plots.sensitivity import plot_sensitivity

    path = d / "sensitivity.parquet"
    if path.exists():
        table = pd.read_parquet(path)
        for m in metrics_:
            if (table["metric"] == m).any():
                yield f"sensitivity_{m}.png", functools.partial(plot_sensitivity, table, m)


def _grid_plan(
    d: Path, axes: list[str], metrics_: list[str], conditions: pd.DataFrame, runs: pd.DataFrame
) -> Plan:
    ok = runs[runs["status"] == "ok"]
    for m in metrics_:
        yield from _by_axis(axes, m, conditions, ok)
        if len(axes) >= 2:
            yield _heatmap(axes, m, conditions, ok)
    if "unpredictability" in conditions.columns and 1 <= len(axes) <= 2:
        yield from _unpredictability(axes, conditions)
    if len(conditions) <= MAX_TIME_FIGURE_CONDITIONS:
        yield from _over_time(d, axes, metrics_, conditions)


def _by_axis(axes: list[str], m: str, conditions: pd.DataFrame, ok: pd.DataFrame) -> Plan:
    from marketplace_sim.plots import sweep as plots

    for a in axes:
        others = [x for x in axes if x != a]
        if len(axes) <= 2:
            hue = others[0] if others else None
            yield (
                f"{m}_by_{a}.png",
                functools.partial(plots.plot_sweep_metric, conditions, a, m, hue),
            )
        else:
            yield f"{m}_by_{a}.png", functools.partial(_pooled_metric, ok, a, m, others)


def _pooled_metric(ok: pd.DataFrame, a: str, m: str, others: list[str]) -> Any:
    """A metric against one axis, pooled over the other axes."""
    from marketplace_sim.plots import sweep as plots

    return _pooled_title(plots.plot_sweep_metric(pooled(ok, [a], m), a, m), others)


def _heatmap(
    axes: list[str], m: str, conditions: pd.DataFrame, ok: pd.DataFrame
) -> tuple[str, Callable[[], Any]]:
    from marketplace_sim.plots import sweep as plots

    x, y = axes[0], axes[1]
    frame = conditions if len(axes) == 2 else pooled(ok, [x, y], m)
    return (
        f"heatmap_{m}.png",
        lambda: _at_least(plots.plot_sweep_heatmap(frame, x, y, m), width=8.0),
    )


def _unpredictability(axes: list[str], conditions: pd.DataFrame) -> Plan:

    u = conditions.assign(
        unpredictability_mean=conditions["unpredictability"],
        unpredictability_lo=conditions["unpredictability"],
        unpredictability_hi=conditions["unpredictability"],
    )
    for a in axes:
        hue = next((x for x in axes if x != a), None)
        yield f"unpredictability_by_{a}.png", functools.partial(_unpredictability_by, u, a, hue)


def _unpredictability_by(u: pd.DataFrame, a: str, hue: str | None) -> Any:
    from marketplace_sim.plots import sweep as plots

    return _relabel(
        plots.plot_sweep_metric(u, a, "unpredictability", hue),
        "unpredictability U across worlds (Salganik et al. 2006)",
    )


def _over_time(d: Path, axes: list[str], metrics_: list[str], conditions: pd.DataFrame) -> Plan:
    from marketplace_sim.plots import sweep as plots

    steps = pd.read_parquet(
        d / "steps.parquet", columns=["run_id", "condition_id", "step", *metrics_]
    )
    labels = condition_labels(conditions, axes)
    steps["condition"] = steps["condition_id"].map(labels)
    for m in metrics_:
        yield (
            f"{m}_over_time.png",
            functools.partial(plots.plot_metric_over_time, steps, m, group="condition"),
        )


def condition_labels(conditions: pd.DataFrame, axes: list[str]) -> dict[str, str]:
    """``condition_id -> "axis=value, ..."`` (short axis names)."""
    names = short_names(axes)
    out = {}
    for _, row in conditions.iterrows():
        text = ", ".join(f"{names[a]}={fmt_value(row[a])}" for a in axes)
        out[row["condition_id"]] = text or row["condition_id"]
    return out


def pooled(ok: pd.DataFrame, keys: list[str], metric: str) -> pd.DataFrame:
    """Mean and 95 % interval of a metric over all runs at each value of ``keys``."""
    rows = []
    for values, sub in ok.groupby(keys, sort=False):
        vals = values if isinstance(values, tuple) else (values,)
        mean, lo, hi = msm.mean_ci(
            pd.to_numeric(sub[metric], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
            CONF_LEVEL,
        )
        rows.append(
            {
                **dict(zip(keys, vals, strict=True)),
                f"{metric}_mean": mean,
                f"{metric}_lo": lo,
                f"{metric}_hi": hi,
            }
        )
    return pd.DataFrame(rows)


def _at_least(fig: Any, width: float) -> Any:
    """Widen a figure whose title (two dotted key names) would not fit."""
    w, h = fig.get_size_inches()
    if w < width:
        fig.set_size_inches(width, h)
    return fig


def _pooled_title(fig: Any, others: list[str]) -> Any:
    ax = fig.axes[0]
    ax.set_title(ax.get_title() + f"\npooled over {', '.join(short_names(others).values())}")
    return fig


def _relabel(fig: Any, ylabel: str) -> Any:
    ax = fig.axes[0]
    ax.set_ylabel(ylabel)
    ax.set_title(
        ax.get_title()
        .replace("(mean over runs, ", "(one value per condition, ")
        .replace("shaded band: 95 % CI", "no interval")
        .replace("error bars: 95 % CI", "no interval")
    )
    return fig
