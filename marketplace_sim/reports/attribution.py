"""The report of ``marketplace-sim analyze``: the ``analysis/`` folder and its summary text.

:func:`analyze_results` attributes a results folder (:func:`marketplace_sim.analysis.results.
analyze`) and writes ``analysis/attribution.parquet`` (per regime and factor: means and 95 %
intervals), ``analysis/attribution_runs.parquet`` (per run and factor) and
``analysis/attribution.png`` into it; the ``analysis`` folder is replaced as a whole (written
under a temporary name, then renamed). :func:`summary_text` is what the command prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim import files
from marketplace_sim.analysis.attribution import (
    EARLY,
    FACTOR_LABELS,
    FACTORS,
    importance_groups,
    regime_label,
)
from marketplace_sim.analysis.results import Attribution, ResultRuns, analyze
from marketplace_sim.plots.attribution import importance_figure

ANALYSIS_DIR = "analysis"
FILES = ("attribution.parquet", "attribution_runs.parquet", "attribution.png")


@dataclass(frozen=True)
class AnalysisReport:
    """What :func:`analyze_results` found and wrote."""

    runs: ResultRuns
    per_run: pd.DataFrame
    summary: pd.DataFrame
    written: tuple[Path, ...]

    @property
    def folder(self) -> Path:
        """The ``analysis`` folder written."""
        return self.runs.path / ANALYSIS_DIR

    def text(self) -> str:
        """A readable summary, one block per regime."""
        return summary_text(self.summary, self.runs)


def plot_attribution(summary: pd.DataFrame, regime: str | list[str] | None = None) -> Figure:
    """Permutation importance per factor with 95 % intervals, by regime.

    See :func:`marketplace_sim.plots.attribution.importance_figure`.
    """
    g = importance_groups(summary, regime)
    labels = [FACTOR_LABELS[f] for f in FACTORS]
    return importance_figure(g.labels, g.mean, g.lo, g.hi, labels, g.replicates)


def write_analysis(att: Attribution, dpi: int = 150) -> tuple[Path, ...]:
    """Write (or replace) the ``analysis`` folder of an attribution's results folder.

    Returns:
        The files written, in :data:`FILES` order.
    """
    final = att.runs.path / ANALYSIS_DIR
    with files.atomic_dir(final, replace=True) as tmp:
        files.write_parquet(att.summary, tmp / "attribution.parquet")
        files.write_parquet(att.per_run, tmp / "attribution_runs.parquet")
        fig = plot_attribution(att.summary, list(att.runs.regime))
        files.save_figure(fig, tmp / "attribution.png", dpi=dpi)
        fig.clear()
    return tuple(final / n for n in FILES)


def analyze_results(result_dir: str | Path, seed: int = 0, dpi: int = 150) -> AnalysisReport:
    """Attribute final success to the six factors for a run or sweep folder; write ``analysis/``.

    Freelancers tables are read one run at a time.

    Raises:
        DataError: the folder cannot be analysed (see
            :func:`marketplace_sim.analysis.results.analyze`).
    """
    att = analyze(result_dir, seed=seed)
    written = write_analysis(att, dpi=dpi)
    return AnalysisReport(att.runs, att.per_run, att.summary, written)


def _ci(row: Mapping[str, Any], col: str, pct: bool = False) -> str:
    """``mean [lo, hi]`` of a summary column; ``n/a`` when undefined."""
    k = 100.0 if pct else 1.0
    unit = " %" if pct else ""
    m, lo, hi = (row[f"{col}_{x}"] * k for x in ("mean", "lo", "hi"))
    if not np.isfinite(m):
        return "n/a"
    if lo == hi:
        return f"{m:.2f}{unit}" if not pct else f"{m:.0f}{unit}"
    f = ".0f" if pct else ".2f"
    return f"{m:{f}} [{lo:{f}}, {hi:{f}}]{unit}"


def _head(runs: ResultRuns) -> list[str]:
    regime = list(runs.regime)
    if runs.kind == "run":
        head = f"{runs.path}: one run (a single replicate: no intervals)"
    else:
        head = (
            f"{runs.path}: sweep, {len(runs.runs)} runs with freelancers tables"
            + (f" ({runs.n_failed} failed runs left out)" if runs.n_failed else "")
            + (f"; regime = {', '.join(regime)}" if regime else "")
        )
    return [
        head,
        "later success = log(1 + earnings after the first year), freelancers with a "
        "full first year; values: mean [95 % CI] across replicates",
        "importance: drop in R² when the factor is shuffled, in the full model and in the "
        "traits-only model (a trait's whole effect, including through early success)",
    ]


def _block(label: str, g: pd.DataFrame) -> list[str]:
    first = g.iloc[0]
    lines = [
        "",
        f"== {label or 'all runs'} ({int(first['replicates'])} replicates)",
        f"  R² entry week alone    {_ci(first, 'r2_exposure')}",
        f"  R² traits + entry week {_ci(first, 'r2_traits')}",
        f"  + early success adds   {_ci(first, 'r2_early_increment')}",
        f"  unexplained (luck ...) {_ci(first, 'unexplained')}",
        f"  top 10 % by earnings also top 10 % by expertise: "
        f"{_ci(first, 'top10_merit_overlap', pct=True)} (chance: 10 %)",
        f"  {'factor':<44} {'importance':<22} {'traits only':<22} coef",
    ]
    for _, row in g.sort_values("importance_mean", ascending=False).iterrows():
        total = _ci(row, "importance_traits") if row["factor"] != EARLY else "-"
        lines.append(
            f"  {FACTOR_LABELS[row['factor']]:<44} {_ci(row, 'importance'):<22} "
            f"{total:<22} {row['coef_mean']:+.2f}"
        )
    return lines


def summary_text(summary: pd.DataFrame, runs: ResultRuns) -> str:
    """The attribution summary as text: per regime, R² decomposition, top overlap, factors."""
    regime = list(runs.regime)
    lines = _head(runs)
    groups = summary.groupby(regime, sort=False, dropna=False) if regime else [((), summary)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        label = regime_label(dict(zip(regime, key, strict=True)), regime) if regime else ""
        lines += _block(label, g)
    return "\n".join(lines)
