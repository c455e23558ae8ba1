"""Deprecated home of the figures: a re-export of :mod:`.run` and :mod:`.sweep`.

Kept until every caller imports from those: run figures from ``marketplace_sim.plots.run``,
sweep figures from ``marketplace_sim.plots.sweep``, metric and key labels from
``marketplace_sim.plots.labels``. Nothing is defined here.
"""

from marketplace_sim.plots.run import (
    RUN_FIGURE_FILES,
    RUN_FIGURES,
    RunFigure,
    draw_run_figures,
    plot_concentration,
    plot_earnings_ccdf,
    plot_lorenz,
    plot_ratings,
    plot_trajectories,
)
from marketplace_sim.plots.sweep import (
    KEY_LABELS,
    METRIC_LABELS,
    key_label,
    metric_label,
    plot_metric_over_time,
    plot_sweep_heatmap,
    plot_sweep_metric,
)

__all__ = [
    "KEY_LABELS",
    "METRIC_LABELS",
    "RUN_FIGURES",
    "RUN_FIGURE_FILES",
    "RunFigure",
    "draw_run_figures",
    "key_label",
    "metric_label",
    "plot_concentration",
    "plot_earnings_ccdf",
    "plot_lorenz",
    "plot_metric_over_time",
    "plot_ratings",
    "plot_sweep_heatmap",
    "plot_sweep_metric",
    "plot_trajectories",
]
