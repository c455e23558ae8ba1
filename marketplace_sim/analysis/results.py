"""Reading results folders for analysis: the freelancers tables of a run or of a sweep.

:func:`result_runs` finds them (a run folder is one replicate; a sweep saved with
``[experiment] keep_freelancers = true`` has one per part, labelled by the swept keys);
:func:`analyze` attributes later success to the six factors over them
(:mod:`marketplace_sim.analysis.attribution`). A missing, unreadable or unsuitable folder
raises :class:`~marketplace_sim.errors.DataError` (one line, exit 2 on the command line).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from marketplace_sim.analysis.attribution import FIRST_YEAR_WEEKS, MIN_COHORT, attribution_table
from marketplace_sim.errors import DataError


@dataclass(frozen=True)
class ResultRuns:
    """The freelancers tables of a results folder, read one at a time."""

    path: Path
    kind: str  # "run" or "sweep"
    regime: tuple[str, ...]  # the swept keys (empty for a run folder)
    runs: tuple[tuple[dict[str, Any], Path], ...]  # (labels, freelancers.parquet)
    n_failed: int = 0

    def frames(self) -> Iterator[tuple[dict[str, Any], pd.DataFrame]]:
        """``(labels, freelancers)`` per run, each table read when it is reached.

        Raises:
            DataError: a table that cannot be read as Parquet.
        """
        for labels, path in self.runs:
            yield labels, read_table(path)


def read_table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a Parquet table; a missing or corrupt file is a :class:`DataError`."""
    try:
        return pd.read_parquet(path, columns=columns)
    except FileNotFoundError:
        raise DataError(path, None, "file not found") from None
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise DataError(path, None, f"cannot read as Parquet ({type(exc).__name__})") from None


def read_json(path: Path) -> Any:
    """Read a JSON file; a missing or corrupt file is a :class:`DataError`."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(path, None, "file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(path, None, f"cannot read as JSON ({type(exc).__name__})") from None


def result_runs(result_dir: str | Path) -> ResultRuns:
    """Find the freelancers tables of a run folder or of a sweep saved with them.

    Raises:
        DataError: no such folder, not a results folder, a corrupt ``sweep.json``, or a sweep
            whose parts hold no freelancers tables (run its experiment with
            ``keep_freelancers = true``).
    """
    d = Path(result_dir)
    if not d.is_dir():
        raise DataError(d, None, "no such results folder")
    if (d / "sweep.json").exists():
        return _sweep_runs(d)
    if (d / "freelancers.parquet").exists():
        return ResultRuns(d, "run", (), (({"run_id": d.name}, d / "freelancers.parquet"),))
    raise DataError(d, None, "not a run or sweep folder (no freelancers.parquet or sweep.json)")


def _sweep_runs(d: Path) -> ResultRuns:
    from marketplace_sim.experiments.sweep import FREELANCERS_PART, PARTS

    info = read_json(d / "sweep.json")
    if not isinstance(info, dict):
        raise DataError(d / "sweep.json", None, "not a sweep description (no JSON object)")
    axes = tuple(info.get("axes") or ())
    runs, failed = [], 0
    for r in sorted(info.get("runs", []), key=lambda r: r["run_id"]):
        part = d / PARTS / r["run_id"]
        try:
            record = json.loads((part / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a part not (or not completely) written: not a run to analyse
        if record.get("status") != "ok":
            failed += 1
            continue
        if not (part / FREELANCERS_PART).exists():
            continue
        values = record.get("values") or {}
        labels = {
            "run_id": r["run_id"],
            "replicate": r["replicate"],
            **{k: _cell(values.get(k)) for k in axes},
        }
        runs.append((labels, part / FREELANCERS_PART))
    if not runs:
        raise DataError(
            d,
            None,
            "sweep has no freelancers tables (run its experiment "
            "with [experiment] keep_freelancers = true)",
        )
    return ResultRuns(d, "sweep", axes, tuple(runs), failed)


def _cell(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, Mapping | list) else v


@dataclass(frozen=True)
class Attribution:
    """The six-factor attribution of a results folder (:func:`analyze`).

    Attributes:
        runs: the folder and its freelancers tables.
        per_run: one row per run and factor (:func:`~.attribution.attribution_table`).
        summary: per regime and factor, the mean and 95 % interval across replicates.
    """

    runs: ResultRuns
    per_run: pd.DataFrame
    summary: pd.DataFrame


def analyze(result_dir: str | Path, seed: int = 0) -> Attribution:
    """Attribute later success to the six factors for a run or sweep folder.

    Args:
        result_dir: a run folder, or a sweep folder saved with ``keep_freelancers``.
        seed: seed of the permutation shuffles.

    Raises:
        DataError: the folder cannot be read (see :func:`result_runs`), or no run has
            enough freelancers with a complete first year to fit the models.
    """
    runs = result_runs(result_dir)
    per_run, summary = attribution_table(runs.frames(), seed=seed)
    largest = int(per_run["n"].max()) if len(per_run) else 0
    if len(per_run) and largest >= MIN_COHORT and not per_run["r2_full"].notna().any():
        raise DataError(
            runs.path, None, "later success does not vary in any run: nothing to attribute"
        )
    if per_run.empty or not per_run["r2_full"].notna().any():
        raise DataError(
            runs.path,
            None,
            f"no run has {MIN_COHORT} freelancers with a complete first year "
            f"({FIRST_YEAR_WEEKS} weeks on the platform; the most in one run here: {largest}): "
            f"attribution needs runs longer than {FIRST_YEAR_WEEKS} weeks with at least "
            f"{MIN_COHORT} freelancers who stay a year",
        )
    return Attribution(runs, per_run, summary)
