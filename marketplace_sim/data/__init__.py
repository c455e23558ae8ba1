"""Shipped worlds, experiments and lessons, read as package data (``importlib.resources``).

The checkout's top-level ``configs/`` and ``experiments/`` are links to the folders here, so a
wheel installed anywhere ships the same files a checkout runs.
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path

from marketplace_sim.errors import ConfigError


def root() -> Path:
    """The folder holding ``configs/`` and ``experiments/`` (package data on disk)."""
    return Path(str(resources.files(__name__)))


def configs_dir() -> Path:
    """Shipped worlds (``*.toml``), with the dashboard's lessons under ``lessons/``."""
    return root() / "configs"


def experiments_dir() -> Path:
    """Shipped experiments (``*.toml``, each with a ``.md`` beside it)."""
    return root() / "experiments"


def lessons_dir() -> Path:
    """The dashboard's lessons: a ``.toml`` world and a ``.md`` prompt each."""
    return configs_dir() / "lessons"


def world_names() -> list[str]:
    """Names of the shipped worlds (``baseline``, ``smoke``, ...)."""
    return sorted(p.stem for p in configs_dir().glob("*.toml"))


def experiment_names() -> list[str]:
    """Names of the shipped experiments (``reputation-weight``, ...)."""
    return sorted(p.stem for p in experiments_dir().glob("*.toml"))


def _resolve(arg: str | Path, folder: Path, names: list[str], what: str) -> Path:
    """A path as given if it exists or looks like a path; else the shipped file of that name."""
    p = Path(arg)
    if p.exists() or p.suffix == ".toml" or len(p.parts) > 1:
        return p
    if str(arg) in names:
        return folder / f"{arg}.toml"
    close = difflib.get_close_matches(str(arg), names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (shipped: {', '.join(names)})"
    raise ConfigError(arg, None, f"no such file, and no shipped {what} of that name{hint}")


def resolve_world(arg: str | Path) -> Path:
    """``baseline`` -> the shipped ``configs/baseline.toml``; a path is returned as given."""
    return _resolve(arg, configs_dir(), world_names(), "world")


def resolve_experiment(arg: str | Path) -> Path:
    """``reputation-weight`` -> the shipped experiment; a path is returned as given."""
    return _resolve(arg, experiments_dir(), experiment_names(), "experiment")


def shipped_files() -> list[tuple[Path, Path]]:
    """Every shipped file as ``(source, path relative to the copy's root)``."""
    out = []
    for top in ("configs", "experiments"):
        src = root() / top
        for p in sorted(src.rglob("*")):
            if p.is_file() and p.suffix in (".toml", ".md"):
                out.append((p, Path(top) / p.relative_to(src)))
    return out


def copy_shipped(dest: str | Path) -> list[Path]:
    """Copy the shipped worlds, lessons and experiments into a new folder ``dest`` to edit.

    ``dest`` must not exist or be empty: nothing is ever overwritten. The copy keeps the
    layout (``configs/``, ``configs/lessons/``, ``experiments/``), so the experiments'
    ``base = "../configs/..."`` lines still resolve. It appears complete or not at all.

    Returns:
        The copied files, as paths under ``dest``.
    """
    from marketplace_sim import files
    from marketplace_sim.errors import OutputFolderError

    out = Path(dest)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputFolderError(
            out, None, "exists and is not empty; init writes only into a new or empty folder"
        )
    if not out.parent.is_dir():
        raise OutputFolderError(out, None, "its parent folder does not exist")
    shipped = shipped_files()
    try:
        with files.atomic_dir(out) as tmp:
            for src, rel in shipped:
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                (tmp / rel).write_bytes(src.read_bytes())
    except FileExistsError:
        raise OutputFolderError(out, None, "appeared meanwhile; not replaced") from None
    return [out / rel for _, rel in shipped]
