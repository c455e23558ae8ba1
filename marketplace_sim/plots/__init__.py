"""Figures: one style (:mod:`.style`), run figures (:mod:`.run`), sweep figures (:mod:`.sweep`).

Every ``plot_*`` function takes tidy tables and returns a Matplotlib ``Figure`` (object API, no
pyplot). The public ones are importable from here too (``from marketplace_sim.plots import
plot_lorenz``), loaded on first use so that ``import marketplace_sim.plots`` stays cheap. In
Jupyter, run ``%matplotlib inline`` once so that a returned figure is displayed.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> the module that defines it
_WHERE = {
    "draw_run_figures": "run",
    "plot_concentration": "run",
    "plot_earnings_ccdf": "run",
    "plot_lorenz": "run",
    "plot_ratings": "run",
    "RUN_FIGURES": "run",
    "RUN_FIGURE_FILES": "run",
    "plot_trajectories": "trajectories",
    "plot_metric_over_time": "sweep",
    "plot_sweep_heatmap": "sweep",
    "plot_sweep_metric": "sweep",
    "SWEEP_FIGURE_FILES": "sweep",
    "KEY_LABELS": "labels",
    "METRIC_LABELS": "labels",
    "key_label": "labels",
    "metric_label": "labels",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
