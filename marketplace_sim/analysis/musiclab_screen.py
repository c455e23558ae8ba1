"""MusicLab's effects at the points of a sampled design: influence minus independent.

Salganik, Dodds & Watts (2006) compare worlds with social influence against independent
worlds; the effect is a *difference between conditions*, each measured over several worlds.
A screen of it therefore needs, at every design point, worlds of both conditions with the
same design values. Two sampled experiments that share their ``[sample]`` and root seed
(``experiments/sensitivity-studies-musiclab-influence.toml`` and ``-independent.toml``, the
second built on the first) have the same design points, condition for condition
(:func:`check_paired` refuses a pair that does not). Per point and condition, the Gini of
the starting cohort's market shares is averaged over the worlds and U is computed across
them, with the functions the findings use (:func:`marketplace_sim.analysis.studies.
share_gini`, :func:`~marketplace_sim.analysis.studies.unpredictability_jackknife`); the
effects are influence minus independent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from marketplace_sim.analysis import studies
from marketplace_sim.analysis.results import read_table, result_runs
from marketplace_sim.errors import ConfigError, DataError

if TYPE_CHECKING:
    from marketplace_sim.experiments.design import Experiment

#: The effects of :func:`point_effects` a screen analyses (the rest are shown beside them).
EFFECTS = ("musiclab_gini_diff", "musiclab_u_diff")
COLUMNS = (
    "gini_influence",
    "gini_independent",
    "musiclab_gini_diff",
    "u_influence",
    "u_independent",
    "musiclab_u_diff",
)


def point_effects(
    influence: Sequence[pd.DataFrame], independent: Sequence[pd.DataFrame]
) -> dict[str, float]:
    """MusicLab's Gini and U in both conditions at one design point, and their differences.

    Args:
        influence: per world of the influence condition, the starting cohort's
            ``freelancer_id`` and ``earnings`` (:func:`~marketplace_sim.analysis.studies.
            cohort_earnings`); the same freelancers in every world.
        independent: the same for the independent condition.

    Returns:
        ``gini_<condition>`` (mean over the condition's worlds of the Gini of market shares),
        ``u_<condition>`` (U across the condition's worlds) and the differences
        ``musiclab_gini_diff`` and ``musiclab_u_diff`` (influence minus independent).

    Raises:
        ValueError: a condition with fewer than 2 worlds (U compares worlds).
    """
    out: dict[str, float] = {}
    for name, worlds in (("influence", influence), ("independent", independent)):
        if len(worlds) < 2:
            raise ValueError(f"{name}: U needs at least 2 worlds, got {len(worlds)}")
        out[f"gini_{name}"] = float(np.mean([studies.share_gini(w) for w in worlds]))
        out[f"u_{name}"] = studies.unpredictability_jackknife(worlds)[0]
    out["musiclab_gini_diff"] = out["gini_influence"] - out["gini_independent"]
    out["musiclab_u_diff"] = out["u_influence"] - out["u_independent"]
    return {k: out[k] for k in COLUMNS}


def cohorts_by_point(folder: str | Path) -> dict[str, list[pd.DataFrame]]:
    """Per design point (``condition_id``), the starting cohort of each finished world.

    Raises:
        DataError: not a sweep folder kept with its freelancers tables.
    """
    d = Path(folder)
    runs = result_runs(d)
    table = read_table(d / "runs.parquet", ["run_id", "condition_id"])
    point = dict(zip(table["run_id"], table["condition_id"], strict=True))
    out: dict[str, list[pd.DataFrame]] = {}
    for labels, fr in runs.frames():  # in run-id order: replicates in order
        out.setdefault(str(point[labels["run_id"]]), []).append(studies.cohort_earnings(fr))
    return out


def paired_effects(influence: str | Path, independent: str | Path) -> pd.DataFrame:
    """One row per design point of two paired sweeps: its effects, and whether it has them.

    Args:
        influence: the influence condition's sweep folder.
        independent: the independent condition's, over the same design points.

    Returns:
        ``condition_id``, ``status`` (``ok`` when both conditions have at least 2 finished
        worlds there, else ``missing``: its effects are NaN) and :data:`COLUMNS`, in
        condition order.
    """
    a, b = cohorts_by_point(influence), cohorts_by_point(independent)
    rows = []
    for cid in sorted(set(a) | set(b)):
        wa, wb = a.get(cid, []), b.get(cid, [])
        if min(len(wa), len(wb)) >= 2:
            rows.append({"condition_id": cid, "status": "ok", **point_effects(wa, wb)})
        else:
            rows.append({"condition_id": cid, "status": "missing"})
    if not rows:
        raise DataError(Path(influence), None, "no finished worlds to compare")
    return pd.DataFrame(rows, columns=["condition_id", "status", *COLUMNS])


def check_paired(influence: Experiment, independent: Experiment) -> None:
    """Refuse two experiments whose sampled design points are not the same, point by point.

    The screen subtracts one condition from the other at each design point, so both must
    run the same sampled values (same ``[sample]`` and root seed) and the same worlds per
    point.

    Raises:
        ConfigError: naming the independent experiment's file and what differs.
    """
    sa, sb = influence.sample, independent.sample
    path = independent.path
    if not (influence.worlds and independent.worlds):
        raise ConfigError(
            path, "experiment.worlds", "must be true in both (the same freelancers in every world)"
        )
    if sa is None or sb is None:
        raise ConfigError(path, "sample", "both conditions need a [sample] design")
    if sa.keys != sb.keys or sa.bounds != sb.bounds or sa.settings != sb.settings:
        raise ConfigError(path, "sample", f"differs from {influence.path.name}'s [sample]")
    if influence.replications != independent.replications:
        raise ConfigError(path, "experiment.replications", f"differs from {influence.path.name}'s")
    same = sa.matrix.shape == sb.matrix.shape and np.array_equal(sa.matrix, sb.matrix)
    if not same or [c.values for c in influence.conditions] != [
        c.values for c in independent.conditions
    ]:
        raise ConfigError(
            path,
            "experiment.root_seed",
            f"the design points differ from {influence.path.name}'s (give both the same root seed)",
        )
