"""The sweep tables, assembled from the parts: ``runs``, ``steps``, ``conditions`` (+ sensitivity).

Rows are in run-id order whatever order runs finished in, so the tables never depend on the
number of workers or on completion order. ``steps.parquet`` is streamed part by part, so memory
does not grow with the number of runs. Every table is written atomically (``files.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from marketplace_sim import files
from marketplace_sim import metrics as msm
from marketplace_sim.columns import METRIC_COLUMNS
from marketplace_sim.experiments.labels import cell
from marketplace_sim.experiments.parts import EARNINGS_PART, PARTS, STEPS_PART, read_part
from marketplace_sim.model.docking import LG_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

    from marketplace_sim.experiments.design import Experiment, Run

CONF_LEVEL = 0.95  # confidence level of every interval written (conditions, sensitivity)


def metric_columns(exp: Experiment) -> tuple[str, ...]:
    """The metric columns of the experiment's runs: ours, then a docking world's ``lg_*``."""
    if any(cond.config.docking is not None for cond in exp.conditions):
        return (*METRIC_COLUMNS, *LG_COLUMNS)
    return METRIC_COLUMNS


@dataclass
class _Rows:
    """What one pass over the parts collects besides the streamed steps table."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    int_metrics: set[str] = field(default_factory=set)
    metrics: tuple[str, ...] = METRIC_COLUMNS


def assemble_tables(out: Path, exp: Experiment) -> tuple[str, ...]:
    """Write ``runs``, ``steps``, ``conditions`` (and ``sensitivity``) from the parts.

    Returns:
        Notes worth telling the user (e.g. a metric left out of the sensitivity analysis).
    """
    parts = out / PARTS
    runs = sorted(exp.runs(), key=lambda r: r.run_id)
    collected = _Rows(metrics=metric_columns(exp))
    files.atomic_write(
        out / "steps.parquet", lambda tmp: _stream_steps(parts, runs, tmp, collected)
    )
    runs_df = runs_frame(exp, collected.rows, collected.int_metrics)
    conditions_df = conditions_table(exp, runs_df, parts)
    notes: list[str] = []
    sens = None
    if exp.sample is not None:
        from marketplace_sim.experiments.sensitivity import sensitivity_table

        sens, notes = sensitivity_table(exp, runs_df)
    files.write_parquet(runs_df, out / "runs.parquet")
    files.write_parquet(conditions_df, out / "conditions.parquet")
    if sens is not None:
        files.write_parquet(sens, out / "sensitivity.parquet")
    return tuple(notes)


def _stream_steps(parts: Path, runs: Sequence[Run], path: Path, collected: _Rows) -> None:
    """Write every successful part's steps (with run ids) to ``path``; collect the run rows."""
    import pyarrow.parquet as pq

    writer = None
    try:
        for run in runs:
            record = read_part(parts, run.run_id)
            status = record["status"] if record else "missing"
            row = _run_row(run)
            if status == "ok":
                table = pq.read_table(parts / run.run_id / STEPS_PART)
                table = table.replace_schema_metadata(None)
                _add_final_values(row, table, collected.int_metrics, collected.metrics)
                full = _with_ids(run, table)
                if writer is None:
                    writer = pq.ParquetWriter(path, full.schema)
                writer.write_table(full.cast(writer.schema))
            else:
                row.update({m: None for m in collected.metrics})
            row["status"] = status
            row["error"] = record.get("error") if record else "no part written"
            collected.rows.append(row)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        files.write_parquet(_empty_steps(collected.metrics), path)


def _run_row(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "condition_id": run.condition_id,
        "replicate": run.replicate,
        "seed": run.seed,
        "population_seed": run.population_seed,
        **{k: cell(v) for k, v in run.condition.values.items()},
    }


def _add_final_values(
    row: dict[str, Any], table: pa.Table, int_metrics: set[str], metrics: Sequence[str]
) -> None:
    """The run's final value of every metric (the last row), noting integer metrics."""
    import pyarrow as pa

    last = table.slice(table.num_rows - 1, 1).to_pylist()[0] if table.num_rows else {}
    row.update({m: last.get(m) for m in metrics})
    for m in metrics:
        if m in table.column_names and pa.types.is_integer(table.schema.field(m).type):
            int_metrics.add(m)


def _with_ids(run: Run, table: pa.Table) -> pa.Table:
    import pyarrow as pa

    n = table.num_rows
    ids = pa.table(
        {
            "run_id": pa.array([run.run_id] * n, pa.string()),
            "condition_id": pa.array([run.condition_id] * n, pa.string()),
            "replicate": pa.array([run.replicate] * n, pa.int64()),
        }
    )
    return pa.Table.from_arrays(
        ids.columns + table.columns, names=ids.column_names + table.column_names
    )


def _empty_steps(metrics: Sequence[str] = METRIC_COLUMNS) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": pd.Series(dtype=str),
            "condition_id": pd.Series(dtype=str),
            "replicate": pd.Series(dtype="int64"),
            "step": pd.Series(dtype="int64"),
            **{m: pd.Series(dtype=float) for m in metrics},
        }
    )


def runs_frame(exp: Experiment, rows: list[dict[str, Any]], int_metrics: set[str]) -> pd.DataFrame:
    """``runs.parquet``: one row per run, ids, seeds, axis values, final metrics, status."""
    metrics = metric_columns(exp)
    columns = [
        "run_id",
        "condition_id",
        "replicate",
        "seed",
        "population_seed",
        *exp.axes,
        *metrics,
        "status",
        "error",
    ]
    runs_df = pd.DataFrame(rows, columns=columns)
    for m in metrics:
        runs_df[m] = runs_df[m].astype("Int64" if m in int_metrics else "float64")
    runs_df["replicate"] = runs_df["replicate"].astype("int64")
    runs_df["seed"] = runs_df["seed"].astype("int64")
    runs_df["population_seed"] = runs_df["population_seed"].astype("int64")
    runs_df["error"] = runs_df["error"].astype("str")  # NaN when the run succeeded
    return runs_df


def conditions_table(exp: Experiment, runs_df: pd.DataFrame, parts: Path) -> pd.DataFrame:
    """One row per condition: its values, run counts, each metric's mean and 95 % interval.

    The interval is a Student-t interval of the mean across the condition's successful
    replicates (:func:`marketplace_sim.metrics.mean_ci`). With ``worlds = true``, the
    ``unpredictability`` column holds U of Salganik et al. (2006) over the worlds (replicates)
    of the condition, computed on every freelancer's share of the world's total earnings
    (freelancers matched by ``freelancer_id``; one absent from a world counts as a zero share).
    """
    rows = []
    ok = runs_df[runs_df["status"] == "ok"]
    for cond in exp.conditions:
        sub = ok[ok["condition_id"] == cond.condition_id]
        n_all = int((runs_df["condition_id"] == cond.condition_id).sum())
        row: dict[str, Any] = {
            "condition_id": cond.condition_id,
            **{k: cell(v) for k, v in cond.values.items()},
            "n_runs": len(sub),
            "n_failed": n_all - len(sub),
        }
        for m in metric_columns(exp):
            values = pd.to_numeric(sub[m], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            mean, lo, hi = msm.mean_ci(values, CONF_LEVEL)
            row[f"{m}_mean"], row[f"{m}_lo"], row[f"{m}_hi"] = mean, lo, hi
        if exp.worlds:
            row["unpredictability"] = unpredictability(parts, sub["run_id"].tolist())
        rows.append(row)
    df = pd.DataFrame(rows)
    df["n_runs"] = df["n_runs"].astype("int64")
    df["n_failed"] = df["n_failed"].astype("int64")
    return df


def unpredictability(parts: Path, run_ids: Sequence[str]) -> float:
    """U over the worlds ``run_ids``, from each freelancer's share of its world's earnings."""
    if len(run_ids) < 2:
        return float("nan")
    frames = [pd.read_parquet(parts / rid / EARNINGS_PART) for rid in sorted(run_ids)]
    ids = np.unique(np.concatenate([f["freelancer_id"].to_numpy() for f in frames]))
    shares = np.zeros((len(frames), len(ids)))
    for w, f in enumerate(frames):
        earn = f["earnings"].to_numpy(dtype=float)
        total = earn.sum()
        if total > 0:
            shares[w, np.searchsorted(ids, f["freelancer_id"].to_numpy())] = earn / total
    return msm.unpredictability(shares)
