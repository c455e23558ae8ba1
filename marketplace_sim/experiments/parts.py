"""Sweep parts: each finished run written atomically as ``parts/<run_id>/``, read back, scanned.

A part is a folder written under a hidden temporary name and renamed into place, so a part on
disk is always whole: a killed sweep leaves whole parts and hidden temporaries, which the next
session removes (:func:`clean_temporaries`) before running only what is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketplace_sim import files
from marketplace_sim.experiments.labels import jsonable
from marketplace_sim.experiments.worker import RunSpec, RunSummary

if TYPE_CHECKING:
    from marketplace_sim.experiments.design import Experiment, Run

PARTS = "parts"
STEPS_PART = "steps.parquet"
EARNINGS_PART = "earnings.parquet"  # in a part, with [experiment] worlds
FREELANCERS_PART = "freelancers.parquet"  # in a part, with [experiment] keep_freelancers
RUN_JSON = "run.json"


def write_part(parts: Path, run: Run, spec: RunSpec, summary: RunSummary) -> Path:
    """Write one finished run as ``parts/<run_id>/`` atomically (temporary folder, rename).

    The part holds ``run.json`` (ids, seeds, condition values, status, error and traceback,
    wall and CPU time, worker, and the run's full config), and for a successful run
    ``steps.parquet`` (the thinned per-week metrics; its last row is the final week), for
    worlds ``earnings.parquet`` (``freelancer_id``, ``earnings``), and with
    ``keep_freelancers`` ``freelancers.parquet`` (the run's freelancers table, see
    :func:`marketplace_sim.experiments.worker.run_spec`). A failed part being retried is
    replaced.
    """
    final = parts / run.run_id
    with files.atomic_dir(final, replace=True) as tmp:
        if summary.ok:
            files.write_parquet(summary.steps, tmp / STEPS_PART)
            if summary.earnings is not None:
                files.write_parquet(summary.earnings, tmp / EARNINGS_PART)
            if summary.freelancers is not None:
                files.write_parquet(summary.freelancers, tmp / FREELANCERS_PART)
        files.write_text(
            tmp / RUN_JSON, json.dumps(jsonable(_record(run, spec, summary)), indent=1) + "\n"
        )
    files.fsync(parts)
    return final


def _record(run: Run, spec: RunSpec, summary: RunSummary) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "condition_id": run.condition_id,
        "replicate": run.replicate,
        "seed": run.seed,
        "population_seed": run.population_seed,
        "values": run.condition.values,
        "status": summary.status,
        "error": summary.error,
        "traceback": summary.traceback,
        "wall_seconds": round(float(summary.wall_seconds or 0.0), 4),
        "cpu_seconds": round(float(summary.cpu_seconds or 0.0), 4),
        "worker": summary.worker,
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(),
        "config": spec.config,
    }


def part_files(exp: Experiment) -> tuple[str, ...]:
    """The files a successful part of ``exp`` must hold."""
    return (STEPS_PART, FREELANCERS_PART) if exp.keep_freelancers else (STEPS_PART,)


def read_part(
    parts: Path, run_id: str, needed: Sequence[str] = (STEPS_PART,)
) -> dict[str, Any] | None:
    """A part's ``run.json`` record, or None if it is missing, unreadable or incomplete."""
    try:
        record = json.loads((parts / run_id / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("status") == "ok" and not all((parts / run_id / f).exists() for f in needed):
        return None
    return record


def scan_parts(
    parts: Path, expected: Mapping[str, Any], needed: Sequence[str] = (STEPS_PART,)
) -> dict[str, str]:
    """``run_id -> status`` of the parts on disk (unreadable or incomplete parts are removed)."""
    out: dict[str, str] = {}
    if not parts.is_dir():
        return out
    for d in parts.iterdir():
        if d.name.startswith(".") or d.name not in expected:
            continue
        record = read_part(parts, d.name, needed)
        if record is None:
            shutil.rmtree(d, ignore_errors=True)
            continue
        out[d.name] = record["status"]
    return out


def only_leftovers(out: Path) -> bool:
    """Whether ``out`` holds nothing but temporaries and an empty ``parts/``."""
    for p in out.iterdir():
        if p.name == PARTS and p.is_dir():
            if not all(files.is_temporary(q) for q in p.iterdir()):
                return False
        elif not files.is_temporary(p):
            return False
    return True


def clean_temporaries(out: Path) -> None:
    """Remove what a killed sweep may have left half-written (hidden temporary names).

    Only called with the folder's lock held, so every temporary in it is a dead process's.
    """
    files.remove_temporaries(out)
    files.remove_temporaries(out / PARTS)


def sum_run_seconds(parts: Path, runs: Sequence[Run]) -> float:
    """Wall seconds of every run with a part (this session's and earlier ones)."""
    total = 0.0
    for r in runs:
        record = read_part(parts, r.run_id)
        if record is not None:
            total += float(record.get("wall_seconds") or 0.0)
    return total
