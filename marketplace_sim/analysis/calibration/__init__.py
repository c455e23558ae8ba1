"""Calibration of the baseline world against the stylized facts (docs/calibration.md).

- :mod:`~.targets`: the targets as data (:data:`TARGETS`: a statistic, a band, a tolerance and
  the source of the band) and the loss, the sum over targets of the squared distance outside
  each band in units of its tolerance (0 when every target is met).
- :mod:`~.statistics`: a finished run reduced to its statistics (:func:`run_statistics`, from
  the final metrics, the freelancers table and the star histogram), and their summary over
  replicates.
- :mod:`~.search`: the Latin hypercube search, the best points replicated and the choice
  confirmed (:func:`run_search`, a :class:`SearchResult`), and :func:`score_config` for any
  world.

On the command line: ``marketplace-sim calibrate search experiments/calibration.toml`` and
``marketplace-sim calibrate score CONFIG.toml``; the pages and files they write are
:mod:`marketplace_sim.reports.calibration`.
"""

from marketplace_sim.analysis.calibration.search import (
    LOSS_TIE,
    STAGE2_KEY,
    STAGE3_KEY,
    Progress,
    SearchResult,
    SearchSettings,
    feasible_ranges,
    round_value,
    run_many,
    run_point,
    run_search,
    score_config,
    search_keys,
    world,
)
from marketplace_sim.analysis.calibration.statistics import (
    run_statistics,
    score_runs,
    statistics_from_frames,
    summarize,
)
from marketplace_sim.analysis.calibration.targets import (
    DIAGNOSTICS,
    NAN_DISTANCE,
    TARGETS,
    Target,
    centrality,
    loss,
    num,
    target_distances,
)

__all__ = [
    "DIAGNOSTICS",
    "LOSS_TIE",
    "NAN_DISTANCE",
    "STAGE2_KEY",
    "STAGE3_KEY",
    "TARGETS",
    "Progress",
    "SearchResult",
    "SearchSettings",
    "Target",
    "centrality",
    "feasible_ranges",
    "loss",
    "num",
    "round_value",
    "run_many",
    "run_point",
    "run_search",
    "run_statistics",
    "score_config",
    "score_runs",
    "search_keys",
    "statistics_from_frames",
    "summarize",
    "target_distances",
    "world",
]
