"""The sweep driver: run an experiment's runs into a sweep folder, resumably.

:func:`run_sweep` runs the runs through an executor (``executors.py``) and writes each finished
run atomically as its own part (``parts/<run_id>/``, see ``parts.py``); the sweep tables are
assembled from the parts at the end (``tables.py``), in run-id order, so they never depend on
worker count or completion order, and a killed sweep restarted with ``resume=True`` runs only
what is missing. ``sweep.json`` (written first) records the experiment's fingerprint, so a
resume with another experiment is refused; ``manifest.json`` (written last) marks a complete
sweep. One process at a time writes a folder (``outdir.folder_lock``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketplace_sim import files
from marketplace_sim.errors import DataError, OutputFolderError, UsageError
from marketplace_sim.experiments.design import (
    Experiment,
    Run,
    check_sweep_fits,
    derive_seed,
    load_experiment,
)
from marketplace_sim.experiments.executors import (
    Executor,
    check_executor,
    default_workers,
    make_executor,
    run_spec,
)
from marketplace_sim.experiments.figures import draw_sweep_figures
from marketplace_sim.experiments.labels import jsonable
from marketplace_sim.experiments.outdir import (
    SWEEP_JSON,
    ensure_parent,
    faults_as_errors,
    folder_lock,
    input_files,
    is_empty,
    refuse_enclosing,
    refuse_foreign,
    refuse_inputs,
)
from marketplace_sim.experiments.parts import (
    FREELANCERS_PART,
    PARTS,
    clean_temporaries,
    only_leftovers,
    part_files,
    scan_parts,
    sum_run_seconds,
    write_part,
)
from marketplace_sim.experiments.tables import assemble_tables
from marketplace_sim.provenance import git_commit, manifest
from marketplace_sim.version import __version__

__all__ = [
    "FREELANCERS_PART",
    "PARTS",
    "SWEEP_JSON",
    "SweepInterrupted",
    "SweepReport",
    "check_sweep_fits",
    "derive_seed",
    "fingerprint",
    "latest_sweep",
    "load_experiment",
    "run_sweep",
]

FAULT_HINT = " (the runs finished so far are kept)"


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did."""

    out: Path
    n_runs: int
    n_failed: int
    n_skipped: int  # already done before this session (resume)
    wall_seconds: float
    notes: tuple[str, ...] = ()


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a sweep: the parts written so far are kept (resume them)."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"interrupted after {done} of {total} runs")
        self.done = done
        self.total = total


def fingerprint(exp: Experiment) -> str:
    """A hash of every run's id and config: equal iff the sweep would run the same runs."""
    h = hashlib.sha256()
    for run in exp.iter_runs():
        h.update(json.dumps([run.run_id, run.config_dict()], sort_keys=True).encode())
    if exp.keep_freelancers:  # parts then hold more; older fingerprints stay unchanged
        h.update(b"keep_freelancers")
    return h.hexdigest()


def run_sweep(
    exp: Experiment,
    out: Path,
    *,
    workers: int | None = None,
    executor: str = "local",
    address: str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
    quiet: bool = True,
    command: Sequence[str] | None = None,
) -> SweepReport:
    """Run every condition x replication of ``exp`` into the sweep folder ``out``.

    Each finished run is written atomically to ``out/parts/<run_id>/`` as results arrive;
    ``runs.parquet``, ``steps.parquet``, ``conditions.parquet`` (and ``sensitivity.parquet``
    for Sobol, Morris and LHS designs), ``figures/`` and finally ``manifest.json`` are then
    assembled from the parts, each written under a temporary name and renamed into place.
    Everything is checked (options, memory, the folder) before anything is created.

    Args:
        exp: a loaded experiment.
        out: the sweep folder (written in place, so that it can be resumed).
        workers: worker processes (default: every core; 1 runs in this process).
        executor: ``"local"`` or ``"dask"``.
        address: a Dask scheduler address (with ``executor="dask"``).
        resume: finish the sweep already in ``out``: run only the runs without a successful
            part (failed runs are retried).
        force: replace ``out`` if it is a run or sweep folder (the old one is kept aside
            until the new sweep is complete); any other non-empty folder is refused.
        progress: show a progress bar over runs on stderr.
        quiet: no start-of-sweep line.
        command: the command line, for the manifest.

    Returns:
        A :class:`SweepReport`; ``n_failed > 0`` means some runs raised (their errors are in
        ``runs.parquet``).

    Raises:
        OutputFolderError: ``out`` may not be written (not empty without ``resume``/``force``,
            not this program's, another experiment's sweep, or locked by another process).
        ConfigError: bad executor options, or a world too large for the machine.
        FaultError: the disk filled up or refused a write (the parts written are kept).
        SweepInterrupted: Ctrl-C or SIGTERM (the parts written are kept).
    """
    started = time.time()
    out = Path(out)
    if resume and force:
        raise UsageError("--resume: cannot be combined with --force")
    check_executor(executor, workers, address)
    check_sweep_fits(exp)
    refuse_enclosing(out)
    refuse_inputs(out, input_files(exp.path))
    if out.exists() and not out.is_dir():
        raise OutputFolderError(out, None, "exists and is not a folder")
    ensure_parent(out)
    opts = _Options(resume, force, workers, executor, address, progress, quiet, command)
    with folder_lock(out), faults_as_errors(out, FAULT_HINT):
        return _run_locked(exp, out, started, opts)


@dataclass(frozen=True)
class _Options:
    """The options of :func:`run_sweep`, passed on once the inputs are checked."""

    resume: bool
    force: bool
    workers: int | None
    executor: str
    address: str | None
    progress: bool
    quiet: bool
    command: Sequence[str] | None


def _run_locked(exp: Experiment, out: Path, started: float, o: _Options) -> SweepReport:
    """:func:`run_sweep` once the folder's lock is held."""
    fp = fingerprint(exp)
    state = _folder_state(exp, out, resume=o.resume, force=o.force, fp=fp)
    runs = exp.runs()
    done = scan_parts(out / PARTS, {r.run_id: r for r in runs}, part_files(exp)) if state else {}
    todo = [r for r in runs if done.get(r.run_id) != "ok"]
    # no more workers than runs to do: idle processes only cost start-up time
    n_workers = None if o.address else max(1, min(o.workers or default_workers(), len(todo) or 1))
    ex = make_executor(o.executor, n_workers, o.address) if todo else None
    try:
        replaced = _prepare(exp, out, state, fp, force=o.force, changing=bool(todo))
        if not o.quiet:
            where = ex.description if ex is not None else "nothing to run"
            print(
                f"sweep {exp.name}: {len(exp.conditions)} conditions x {exp.replications} "
                f"replications = {len(runs)} runs ({len(runs) - len(todo)} done); "
                f"{where} -> {out}",
                file=sys.stderr,
            )
        n_failed = _execute(exp, out, todo, len(runs), ex, run_spec, o.progress)
    finally:
        if ex is not None:
            ex.close()
    notes = assemble_tables(out, exp)
    if exp.settings.figures:
        draw_sweep_figures(out)
    session = {
        "runs_this_session": len(todo),
        "runs_failed": n_failed,
        "resumed": o.resume and len(todo) < len(runs),
        "executor": o.executor,
        "executor_description": ex.description if ex is not None else None,
        "workers": n_workers,
        "address": o.address,
    }
    _write_manifest(exp, out, started, o.command, fp, session, notes)
    if replaced is not None:
        shutil.rmtree(replaced, ignore_errors=True)
    return SweepReport(
        out, len(runs), n_failed, len(runs) - len(todo), time.time() - started, notes
    )


def _folder_state(
    exp: Experiment, out: Path, *, resume: bool, force: bool, fp: str
) -> dict[str, Any] | None:
    """Refuse a folder we must not write into; return the recorded state when resuming."""
    if out.exists() and not out.is_dir():
        raise OutputFolderError(out, None, "exists and is not a folder")
    if is_empty(out):
        return None
    if resume and not (out / SWEEP_JSON).exists() and only_leftovers(out):
        return None  # killed before its first file was in place: start afresh
    if resume:
        return _resume_state(out, fp)
    if not force:
        raise OutputFolderError(
            out,
            None,
            "results folder exists and is not empty (use --resume to "
            "finish an interrupted sweep, or --force to replace it)",
        )
    refuse_foreign(out)
    return None


def _resume_state(out: Path, fp: str) -> dict[str, Any]:
    """The recorded state of the sweep in ``out``, checked to be this experiment's."""
    path = out / SWEEP_JSON
    if not path.exists():
        raise OutputFolderError(out, None, f"not a sweep folder (no {SWEEP_JSON}); cannot resume")
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(path, None, f"unreadable: {exc}") from None
    if state.get("fingerprint") != fp:
        raise OutputFolderError(
            out,
            None,
            "holds a sweep of a different experiment (its runs "
            "or configs differ); resume with the same file, or use a new --out",
        )
    code = {"version": __version__, "git_commit": git_commit()}
    started_with = {k: state.get(k) for k in code}
    if started_with != code:
        print(
            f"warning: {out} was started with marketplace-sim {started_with}, this is "
            f"{code}: its parts may come from different code",
            file=sys.stderr,
        )
    return state


def _prepare(
    exp: Experiment,
    out: Path,
    state: dict[str, Any] | None,
    fp: str,
    *,
    force: bool,
    changing: bool,
) -> Path | None:
    """Make ``out`` ready for parts; returns where an old folder replaced by ``force`` went."""
    replaced: Path | None = None
    if state is None and force and not is_empty(out):
        # Keep the old folder aside until the new sweep is complete: an interrupted or
        # failed sweep must not have destroyed the results it was meant to replace.
        replaced = files.temporary_name(out, files.OLD_TAG)
        os.replace(out, replaced)
    out.mkdir(exist_ok=True)
    if changing and (out / "manifest.json").exists():
        # A manifest marks a complete sweep; this folder is about to change.
        (out / "manifest.json").unlink()
    clean_temporaries(out)
    if state is None:  # sweep.json first: a folder with parts always says what it is
        files.write_text(out / SWEEP_JSON, json.dumps(sweep_state(exp, fp), indent=1) + "\n")
        files.write_text(out / "experiment.toml", exp.to_toml())
    (out / PARTS).mkdir(exist_ok=True)
    return replaced


def sweep_state(exp: Experiment, fp: str) -> dict[str, Any]:
    """What ``sweep.json`` records: the design, every run's ids and seeds, the fingerprint."""
    state: dict[str, Any] = jsonable(
        {
            "name": exp.name,
            "experiment_file": str(exp.path),
            "created_utc": dt.datetime.now(dt.UTC).isoformat(),
            "fingerprint": fp,
            "version": __version__,
            "git_commit": git_commit(),
            "design": exp.design,
            "axes": list(exp.axes),
            "levels": exp.levels,
            "metrics": exp.metrics,
            "worlds": exp.worlds,
            "replications": exp.replications,
            "root_seed": exp.settings.root_seed,
            "conditions": [
                {"condition_id": c.condition_id, "values": c.values} for c in exp.conditions
            ],
            "runs": [
                {
                    "run_id": r.run_id,
                    "condition_id": r.condition_id,
                    "replicate": r.replicate,
                    "seed": r.seed,
                    "population_seed": r.population_seed,
                }
                for r in exp.iter_runs()
            ],
        }
    )
    return state


def _write_manifest(
    exp: Experiment,
    out: Path,
    started: float,
    command: Sequence[str] | None,
    fp: str,
    session: dict[str, Any],
    notes: Sequence[str],
) -> None:
    """``manifest.json``, written last: the sweep is complete."""
    state = json.loads((out / SWEEP_JSON).read_text(encoding="utf-8"))
    runs = exp.runs()
    doc = manifest(
        "sweep",
        command,
        started,
        time.time() - started,
        experiment_file=str(exp.path),
        experiment=jsonable(exp.resolved()),
        fingerprint=fp,
        first_started_utc=state.get("created_utc"),
        root_seed=exp.settings.root_seed,
        worlds=exp.worlds,
        design=exp.design,
        conditions=len(exp.conditions),
        replications=exp.replications,
        runs=len(runs),
        **{k: session[k] for k in ("runs_this_session", "runs_failed", "resumed")},
        **{k: session[k] for k in ("executor", "executor_description", "workers", "address")},
        run_seconds_total=round(sum_run_seconds(out / PARTS, runs), 3),
        notes=list(notes),
    )
    files.write_json(doc, out / "manifest.json")


def _execute(
    exp: Experiment,
    out: Path,
    todo: list[Run],
    total: int,
    ex: Executor | None,
    fn: Any,
    progress: bool,
) -> int:
    """Run ``todo`` and write a part per finished run; returns how many failed."""
    if not todo or ex is None:
        return 0
    from tqdm import tqdm

    parts = out / PARTS
    by_id = {r.run_id: r for r in todo}
    specs = (r.spec(keep_earnings=exp.worlds, keep_freelancers=exp.keep_freelancers) for r in todo)
    bar = tqdm(
        total=total,
        initial=total - len(todo),
        unit="run",
        desc=exp.name,
        file=sys.stderr,
        dynamic_ncols=True,
        disable=not progress,
        smoothing=0.1,
        mininterval=0.5 if sys.stderr.isatty() else 30.0,
    )
    n_failed = n_done = 0
    previous = _raise_on_sigterm()
    results = ex.imap_unordered(fn, specs)
    try:
        for spec, summary in results:
            run = by_id[spec.run_id]
            write_part(parts, run, spec, summary)
            n_done += 1
            if not summary.ok:
                n_failed += 1
                line = f"run {run.run_id} failed: {summary.error}"
                (bar.write if progress else print)(line, file=sys.stderr)
            bar.update(1)
    except KeyboardInterrupt:
        raise SweepInterrupted(total - len(todo) + n_done, total) from None
    finally:
        results.close()  # on any error, stop the workers now, not when the traceback goes
        bar.close()
        _restore_sigterm(previous)
    return n_failed


def _raise_on_sigterm() -> Any:
    """Turn SIGTERM (e.g. a batch system's time limit) into the Ctrl-C path: workers stopped."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return None


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, previous)


def latest_sweep(folder: Path) -> Path | None:
    """The most recent sweep folder under ``results/<name>/`` (by its timestamp name)."""
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.iterdir() if (p / SWEEP_JSON).exists())
    return found[-1] if found else None
