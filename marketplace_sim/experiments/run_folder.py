"""Run folders: resolved config, manifest, tidy Parquet tables and figures, written atomically.

A folder appears complete or not at all: everything is written into a hidden temporary folder
beside the destination, which is renamed into place at the end. A killed run leaves only the
hidden temporary folder, never a half-written result.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from marketplace_sim import files
from marketplace_sim.config import Config
from marketplace_sim.errors import OutputFolderError
from marketplace_sim.model.simulate import run_tables, simulate
from marketplace_sim.provenance import manifest, utc_stamp

RUN_TABLES = ("steps", "freelancers", "contracts")


def default_out(kind_root: Path, name: str) -> Path:
    """``results/<name>/<UTC timestamp>/``."""
    return kind_root / name / utc_stamp()


def refuse_enclosing(out: Path) -> None:
    """Refuse a results folder that is the current folder or encloses it (never replaced)."""
    here, target = Path.cwd().resolve(), Path(out).resolve()
    if target == here or target in here.parents:
        raise OutputFolderError(out, None, "is the current folder or encloses it; name a subfolder")


def check_out(out: Path, force: bool = False, resume: bool = False) -> None:
    """Refuse a results folder before anything is simulated.

    Refused: a non-empty folder unless ``force`` (or ``resume``), the current folder or one
    enclosing it, and a destination whose parent cannot be created or written.
    """
    out = Path(out)
    refuse_enclosing(out)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(out, None, "exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (force or resume):
        raise OutputFolderError(
            out, None, "results folder exists and is not empty (use --force to replace it)"
        )
    ensure_parent(out)


def ensure_parent(out: Path) -> None:
    """Create the parent of a results folder, or refuse it in one line if that is impossible."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFolderError(
            out, None, f"cannot create its parent folder: {exc.strerror}"
        ) from None
    if not os.access(out.parent, os.W_OK):
        raise OutputFolderError(out, None, "its parent folder is not writable")


def write_run(
    cfg: Config,
    out: Path,
    *,
    command: Sequence[str] | None = None,
    source: str | None = None,
    force: bool = False,
    show_progress: bool = False,
    figures: bool = True,
) -> Path:
    """Simulate a world and write its run folder atomically.

    Returns:
        The run folder.
    """
    check_out(out, force=force)
    started = time.time()
    bar = None
    if show_progress:
        from tqdm import tqdm

        bar = tqdm(
            total=cfg.run.steps, unit="week", desc="run", file=sys.stderr, dynamic_ncols=True
        )
    try:
        tables = run_tables(simulate(cfg, progress=bar.update if bar is not None else None))
    finally:
        if bar is not None:
            bar.close()
    wall = time.time() - started
    try:
        with files.atomic_dir(out, replace=force) as tmp:
            (tmp / "config.toml").write_text(cfg.to_toml(), encoding="utf-8")
            for name, df in tables.items():
                if name == "contracts" and not cfg.run.record_contracts:
                    continue
                df.to_parquet(tmp / f"{name}.parquet", index=False)
            files.write_json(
                manifest(
                    "run",
                    command,
                    started,
                    wall,
                    config_source=source,
                    seed=cfg.run.seed,
                    population_seed=cfg.population_seed,
                    steps=cfg.run.steps,
                    freelancers_ever=len(tables.freelancers),
                    contracts_completed=len(tables.contracts),
                ),
                tmp / "manifest.json",
            )
            if figures:
                from marketplace_sim.plots.figures import draw_run_figures

                draw_run_figures(tmp)
    except FileExistsError:
        raise OutputFolderError(
            out, None, "results folder appeared while running; not replaced"
        ) from None
    return out
