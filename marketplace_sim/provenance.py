"""Provenance: what ran, with which code and packages, when and for how long."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "marketplace-sim",
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "pydantic",
    "matplotlib",
)


def utc_stamp() -> str:
    """A UTC timestamp usable as a folder name, e.g. ``20261125T203000.000000Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")


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
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
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
