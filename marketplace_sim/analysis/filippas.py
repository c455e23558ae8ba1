"""Filippas, Horton & Golden: the private-vs-public datum that sets the social pressure.

The study's two targets are the decade's rise of the mean public rating (3.7 -> 4.8 stars) and
the share of that rise that is inflation (at least 35-45 %). The pressure on raters,
``reviews.inflation``, is set by a third number of theirs instead: while Upwork collected
private feedback ("Would you work with this freelancer again if you had a similar project?")
beside the public stars, *24 % of dissatisfied employers publicly gave 4+ stars* (Filippas,
Horton & Golden, "Reputation Inflation", slides, slide 29). Here:

- :func:`dissatisfied_high_share` is that statistic on a run's contract log: among completed
  contracts whose candid private outcome is a failure (``private_outcome == -1``, the model's
  dissatisfied employer) and that got public stars, the share with 4 or 5 stars, over the
  contracts ending in the weeks private feedback was collected;
- :func:`private_window` maps those weeks onto a run: the last fifth of it (years 9-10 of the
  520-week decade), because the private feedback was new late in the study's decade;
- :func:`run_statistics` re-simulates an experiment's runs with the contract log kept (sweeps
  drop it) and gives the statistic per run;
- :func:`calibrate` interpolates the replicate means over a grid of ``reviews.inflation`` onto
  24 %, with the interval where the 95 % band of the means crosses it.

The calibration is run by ``python -m marketplace_sim.analysis.filippas_calibration``; its
result is kept in :data:`RECORD` (read by the findings and by the tests).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim import data, metrics

INFLATION = "reviews.inflation"
#: Filippas, Horton & Golden (slides, slide 29): "24% of dissatisfied employers publicly gave
#: 4+ stars", while private and public feedback were both collected.
TARGET = 0.24
#: Public stars counted "4+".
HIGH_STARS = 4
#: The private feedback's weeks as a share of the run: its last fifth (years 9-10 of 10).
WINDOW_SHARE = 0.2
#: The calibration's recorded result (written by filippas_calibration, read by the findings).
RECORD = data.experiments_dir() / "filippas-pressure-calibration.json"
#: The experiment whose grid is the calibration.
CALIBRATION_EXPERIMENT = RECORD.with_suffix(".toml")

CI = tuple[float, float, float]


def private_window(steps: int) -> tuple[int, int]:
    """The weeks (first, last; 1-based, inclusive) in which private feedback is "collected".

    The last fifth of the run: weeks 417-520 of the 520-week decade (years 9 and 10), as the
    study's private feedback was collected late in its decade, beside the public stars.
    """
    if steps < 1:
        raise ValueError(f"a run has at least one week, not {steps}")
    span = max(1, round(steps * WINDOW_SHARE))
    return steps - span + 1, steps


def dissatisfied_counts(contracts: pd.DataFrame, first: int, last: int) -> tuple[int, int]:
    """Dissatisfied contracts ending in weeks ``first``-``last`` and those among them with 4+ stars.

    Args:
        contracts: the contract log (``end_step``, ``stars`` (nullable: no review),
            ``private_outcome``: -1 failure).
        first: first week counted (inclusive).
        last: last week counted (inclusive).

    Returns:
        ``(dissatisfied with public stars, those with stars >= 4)``. Contracts without public
        stars are left out: the study's share is of the employers who gave both.
    """
    end = contracts["end_step"].to_numpy()
    stars = pd.array(contracts["stars"], dtype="Int8")
    reviewed = ~np.asarray(stars.isna())
    failed = contracts["private_outcome"].to_numpy() == -1
    mine = (end >= first) & (end <= last) & failed & reviewed
    high = np.asarray(stars[mine].astype("int64")) >= HIGH_STARS
    return int(mine.sum()), int(high.sum())


def dissatisfied_high_share(contracts: pd.DataFrame, first: int, last: int) -> float:
    """Share of the dissatisfied (private failure) who gave 4+ public stars; NaN if none."""
    n, high = dissatisfied_counts(contracts, first, last)
    return high / n if n else float("nan")


# --------------------------------------------------------------------------------------------
# Re-simulating an experiment's runs with the contract log


def _one(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Worker: one run with its contract log kept; the statistic's counts (top level: pickled)."""
    from marketplace_sim.config import validate_config
    from marketplace_sim.market import jit
    from marketplace_sim.model.simulate import simulate

    jit.warm_up()
    cfg = dict(spec["config"])
    cfg["run"] = {**cfg["run"], "record_contracts": True}
    model = simulate(validate_config(cfg, spec["run_id"]))
    first, last = private_window(int(cfg["run"]["steps"]))
    n, high = dissatisfied_counts(model.contracts_frame(), first, last)
    return {"run_id": spec["run_id"], "dissatisfied": n, "high": high}


def _lost(spec: Mapping[str, Any], message: str) -> dict[str, Any]:
    raise RuntimeError(f"{spec['run_id']}: {message}")


def run_statistics(experiment: Any, workers: int | None = 1) -> pd.DataFrame:
    """The statistic per run of ``experiment``, re-simulated with the contract log kept.

    The runs are the experiment's own (same worlds, same seeds): sweeps do not keep the
    contract log, and keeping it changes nothing else in a run.

    Returns:
        One row per run, in run order: ``run_id``, ``condition_id``, ``replicate``, the swept
        values, ``dissatisfied``, ``high``, ``share`` (high / dissatisfied).
    """
    from marketplace_sim.experiments.executors import LocalExecutor, SerialExecutor

    runs = experiment.runs()
    specs = [{"run_id": r.run_id, "config": r.config_dict()} for r in runs]
    ex = SerialExecutor() if not workers or workers <= 1 else LocalExecutor(workers)
    try:
        got = {res["run_id"]: res for _, res in ex.imap_unordered(_one, specs, _lost)}
    finally:
        ex.close()  # a local pool persists across calls until closed
    rows = []
    for r in runs:
        g = got[r.run_id]
        share = g["high"] / g["dissatisfied"] if g["dissatisfied"] else np.nan
        rows.append(
            {
                "run_id": r.run_id,
                "condition_id": r.condition_id,
                "replicate": r.replicate,
                **r.condition.values,
                "dissatisfied": g["dissatisfied"],
                "high": g["high"],
                "share": share,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# The calibration: interpolation onto the target


def crossing(x: Sequence[float], y: Sequence[float], target: float) -> float:
    """The first ``x`` where the piecewise-linear curve through ``(x, y)`` reaches ``target``.

    ``x`` ascending. NaN when the curve never reaches the target on the grid (the caller reads
    that as "below the grid's first point" or "beyond its last").
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float) - target
    for i in range(xs.size):
        if ys[i] == 0:
            return float(xs[i])
        if i and np.isfinite(ys[i - 1]) and np.isfinite(ys[i]) and ys[i - 1] * ys[i] < 0:
            return float(xs[i - 1] + (xs[i] - xs[i - 1]) * ys[i - 1] / (ys[i - 1] - ys[i]))
    return float("nan")


@dataclass(frozen=True)
class Calibration:
    """The inflation that reproduces the target, and its interval.

    Attributes:
        value: where the replicate means cross the target (linear interpolation).
        low: where the upper 95 % bound of the means crosses it (for a rising curve).
        high: where the lower bound crosses it; NaN when it does not within the grid.
        grid: per grid point ``(inflation, mean, lo, hi, replicates)``.
    """

    value: float
    low: float
    high: float
    grid: tuple[tuple[float, float, float, float, int], ...]


def calibrate(per_run: pd.DataFrame, target: float = TARGET, key: str = INFLATION) -> Calibration:
    """Interpolate the replicate means of ``share`` over ``key`` onto ``target``.

    The statistic rises with the pressure, so the band's upper bound reaches the target
    first (the interval's low end) and its lower bound last (the high end).
    """
    grid = []
    for x, g in per_run.groupby(key, sort=True):
        m, lo, hi = metrics.mean_ci(g["share"].to_numpy(dtype=float))
        grid.append((float(x), float(m), float(lo), float(hi), int(g["share"].notna().sum())))
    xs = [g[0] for g in grid]
    return Calibration(
        crossing(xs, [g[1] for g in grid], target),
        crossing(xs, [g[3] for g in grid], target),
        crossing(xs, [g[2] for g in grid], target),
        tuple(grid),
    )


def share_ci(per_run: pd.DataFrame) -> CI:
    """The statistic's mean and 95 % interval across the runs given."""
    m, lo, hi = metrics.mean_ci(per_run["share"].to_numpy(dtype=float))
    return float(m), float(lo), float(hi)


def write_record(path: Path, cal: Calibration, chosen: float, extra: Mapping[str, Any]) -> Path:
    """Keep the calibration's result (JSON): the value shipped, the crossing and its interval."""
    from marketplace_sim import files

    doc = {"chosen": chosen, "target": TARGET, **asdict(cal), **extra}
    names = ("inflation", "mean", "lo", "hi", "n")
    doc["grid"] = [dict(zip(names, g, strict=True)) for g in cal.grid]
    return files.write_json(_finite(doc), path)


def _finite(doc: Any) -> Any:
    """NaN as null (JSON has no NaN)."""
    if isinstance(doc, dict):
        return {k: _finite(v) for k, v in doc.items()}
    if isinstance(doc, list | tuple):
        return [_finite(v) for v in doc]
    if isinstance(doc, float) and not np.isfinite(doc):
        return None
    return doc


def read_record(path: Path = RECORD) -> dict[str, Any]:
    """The recorded calibration (see :func:`write_record`)."""
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def rounded(value: float, low: float, high: float, steps: Iterable[float] = (0.01, 0.005)) -> float:
    """The value rounded to the coarsest step that keeps it inside its interval."""
    for step in steps:
        r = round(round(value / step) * step, 6)
        if (not np.isfinite(low) or r >= low) and (not np.isfinite(high) or r <= high):
            return r
    return round(value, 6)
