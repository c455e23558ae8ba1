"""Run folders: resolved config, manifest, tidy Parquet tables and figures, written atomically.

A folder appears complete or not at all: everything is written into a hidden temporary folder
beside the destination, which is renamed into place at the end. A killed run leaves only the
hidden temporary folder, never a half-written result.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from marketplace_sim.config import Config, ConfigError

RUN_TABLES = ("steps", "freelancers", "contracts")
PACKAGES = ("marketplace-sim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "pydantic",
            "matplotlib")


def utc_stamp() -> str:
    """A UTC timestamp usable as a folder name, e.g. ``20261125T203000Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def default_out(kind_root: Path, name: str) -> Path:
    """``results/<name>/<UTC timestamp>/``."""
    return kind_root / name / utc_stamp()


def refuse_enclosing(out: Path) -> None:
    """Refuse a results folder that is the current folder or encloses it (never replaced)."""
    here, target = Path.cwd().resolve(), Path(out).resolve()
    if target == here or target in here.parents:
        raise ConfigError(out, None, "is the current folder or encloses it; name a subfolder")


def check_out(out: Path, force: bool = False, resume: bool = False) -> None:
    """Refuse a results folder before anything is simulated.

    Refused: a non-empty folder unless ``force`` (or ``resume``), the current folder or one
    enclosing it, and a destination whose parent cannot be created or written.
    """
    out = Path(out)
    refuse_enclosing(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(out, None, "exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (force or resume):
        raise ConfigError(out, None, "results folder exists and is not empty "
                          "(use --force to replace it)")
    ensure_parent(out)


def ensure_parent(out: Path) -> None:
    """Create the parent of a results folder, or refuse it in one line if that is impossible."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(out, None, f"cannot create its parent folder: {exc.strerror}") from None
    if not os.access(out.parent, os.W_OK):
        raise ConfigError(out, None, "its parent folder is not writable")


@contextmanager
def atomic_dir(out: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``out`` when the block ends without error."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        if not force and any(out.iterdir()):
            shutil.rmtree(tmp, ignore_errors=True)
            raise ConfigError(out, None, "results folder appeared while running; not replaced")
    replace_dir(tmp, out)


def replace_dir(tmp: Path, final: Path) -> None:
    """Rename a finished temporary folder to ``final``.

    An old ``final`` is moved aside first and deleted only once the new one is in place.
    """
    if final.exists():
        trash = final.parent / f".{final.name}.old-{os.getpid()}"
        os.replace(final, trash)
        os.replace(tmp, final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, final)


def write_parquet_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write a Parquet file under a temporary name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def git_commit() -> str | None:
    """The git commit of the package's checkout (with ``-dirty``), or None outside git."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
            capture_output=True, text=True, timeout=5,
        )
        return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape results."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(
    kind: str, command: Sequence[str] | None, started: float, wall: float, **extra: Any
) -> dict[str, Any]:
    """Provenance of a result folder: what ran, with what, when, for how long."""
    return {
        "kind": kind,
        "command": list(command) if command is not None else None,
        "started_utc": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(),
        "wall_seconds": round(wall, 3),
        "git_commit": git_commit(),
        "versions": package_versions(),
        "platform": platform.platform(),
        **extra,
    }


def write_json(obj: Any, path: Path) -> None:
    """Write JSON (indented, NaN as null-safe strings are left to the caller)."""
    path.write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")


def simulate(
    cfg: Config, progress: Callable[[int], None] | None = None
) -> dict[str, pd.DataFrame]:
    """Run one world for ``run.steps`` weeks and return its tables.

    Args:
        cfg: the world.
        progress: called with 1 after every week (for a progress bar).

    Returns:
        ``{"steps": ..., "freelancers": ..., "contracts": ...}``.
    """
    from marketplace_sim.model import MarketplaceModel

    model = MarketplaceModel(cfg)
    for _ in range(cfg.run.steps):
        model.step()
        if progress is not None:
            progress(1)
    return {
        "steps": model.steps_frame(),
        "freelancers": model.freelancers_frame(),
        "contracts": model.contracts_frame(),
    }


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

        bar = tqdm(total=cfg.run.steps, unit="week", desc="run", file=sys.stderr,
                   dynamic_ncols=True)
    try:
        tables = simulate(cfg, progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    wall = time.time() - started
    with atomic_dir(out, force=force) as tmp:
        (tmp / "config.toml").write_text(cfg.to_toml(), encoding="utf-8")
        for name, df in tables.items():
            if name == "contracts" and not cfg.run.record_contracts:
                continue
            df.to_parquet(tmp / f"{name}.parquet", index=False)
        write_json(
            manifest(
                "run", command, started, wall, config_source=source,
                seed=cfg.run.seed, population_seed=cfg.population_seed, steps=cfg.run.steps,
                freelancers_ever=len(tables["freelancers"]),
                contracts_completed=len(tables["contracts"]),
            ),
            tmp / "manifest.json",
        )
        if figures:
            from marketplace_sim.plots import draw_run_figures

            draw_run_figures(tmp)
    return out
