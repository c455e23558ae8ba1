"""Run folders: resolved config, manifest, tidy Parquet tables and figures, written atomically.

A folder appears complete or not at all: everything is written into a hidden temporary folder
beside the destination, which is renamed into place at the end. A killed run leaves only the
hidden temporary folder, never a half-written result, and the next run into the same parent
removes it. Everything is checked before anything is created: the world's limits and memory,
then the folder (:mod:`marketplace_sim.experiments.outdir`), whose lock is held while writing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from marketplace_sim import files
from marketplace_sim.config import Config
from marketplace_sim.errors import OutputFolderError
from marketplace_sim.experiments.outdir import (
    check_out,
    ensure_parent,
    faults_as_errors,
    folder_lock,
    made_by_this_program,
    refuse_enclosing,
    refuse_inputs,
    remove_dead_temporaries,
)
from marketplace_sim.limits import check_fits
from marketplace_sim.model.simulate import RunTables, run_tables, simulate
from marketplace_sim.provenance import manifest

RUN_TABLES = ("steps", "freelancers", "contracts")


def write_run(
    cfg: Config,
    out: Path,
    *,
    command: Sequence[str] | None = None,
    source: str | None = None,
    force: bool = False,
    show_progress: bool = False,
    figures: bool = True,
    inputs: Iterable[Path] = (),
) -> Path:
    """Simulate a world and write its run folder atomically.

    Args:
        cfg: the world.
        out: the run folder.
        command: the command line, for the manifest.
        source: the config file, for the manifest and error messages.
        force: replace ``out`` if it is a run or sweep folder this program made.
        show_progress: a progress bar over weeks on stderr.
        figures: draw the run's figures.
        inputs: the files being run (config and base chain): a folder holding one is refused.

    Returns:
        The run folder.

    Raises:
        ConfigError: a count or rate above its limit, or a world too large for the memory.
        OutputFolderError: ``out`` may not be written or replaced, or another process writes it.
        FaultError: the disk filled up or refused a write (nothing is left half-written).
    """
    out = Path(out)
    inputs = list(inputs)
    check_fits(cfg, source or "<config>")
    refuse_enclosing(out)
    refuse_inputs(out, inputs)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(out, None, "exists and is not a folder")
    ensure_parent(out)
    with folder_lock(out):
        check_out(out, force=force, inputs=inputs)
        remove_dead_temporaries(out.parent)
        replace = force and (not out.exists() or made_by_this_program(out))
        started = time.time()
        tables = _simulate(cfg, show_progress)
        wall = time.time() - started
        with faults_as_errors(out, " (nothing was written)"):
            _write(
                out,
                cfg,
                tables,
                replace,
                figures,
                manifest_extra(cfg, tables, source),
                command,
                started,
                wall,
            )
    return out


def _simulate(cfg: Config, show_progress: bool) -> RunTables:
    bar = None
    if show_progress:
        from tqdm import tqdm

        bar = tqdm(
            total=cfg.run.steps, unit="week", desc="run", file=sys.stderr, dynamic_ncols=True
        )
    try:
        return run_tables(simulate(cfg, progress=bar.update if bar is not None else None))
    finally:
        if bar is not None:
            bar.close()


def manifest_extra(cfg: Config, tables: RunTables, source: str | None) -> dict[str, object]:
    """The run-specific entries of ``manifest.json``."""
    return {
        "config_source": source,
        "seed": cfg.run.seed,
        "population_seed": cfg.population_seed,
        "steps": cfg.run.steps,
        "freelancers_ever": len(tables.freelancers),
        "contracts_completed": len(tables.contracts),
    }


def _write(
    out: Path,
    cfg: Config,
    tables: RunTables,
    replace: bool,
    figures: bool,
    extra: dict[str, object],
    command: Sequence[str] | None,
    started: float,
    wall: float,
) -> None:
    try:
        with files.atomic_dir(out, replace=replace) as tmp:
            files.write_text(tmp / "config.toml", cfg.to_toml())
            written = {}
            for name, df in tables.items():
                if name == "contracts" and not cfg.run.record_contracts:
                    continue
                written[name] = files.tidy_dtypes(df)  # what the file holds
                files.write_parquet(written[name], tmp / f"{name}.parquet")
            files.write_json(
                manifest("run", command, started, wall, **extra), tmp / "manifest.json"
            )
            if figures:  # from the tables just written, not read back from the files
                from marketplace_sim.plots.run import draw_run_figures

                draw_run_figures(tmp, tables=written)
    except FileExistsError:
        raise OutputFolderError(
            out, None, "results folder appeared while running; not replaced"
        ) from None
