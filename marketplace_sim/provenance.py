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
    """The git commit of the package's checkout (with ``-dirty``), or None outside git.

    The two git commands run side by side (each is a process start-up of a few tens of
    milliseconds, the status a scan of the worktree), not one after the other.
    """
    here = Path(__file__).resolve().parent
    commands = (
        ["git", "rev-parse", "HEAD"],
        ["git", "status", "--porcelain", "--untracked-files=no"],
    )
    procs: list[subprocess.Popen[str]] = []
    try:
        for cmd in commands:
            procs.append(
                subprocess.Popen(
                    cmd,
                    cwd=here,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    stdin=subprocess.DEVNULL,
                    text=True,
                )
            )
        (sha, _), (dirty, _) = (p.communicate(timeout=5) for p in procs)
        if procs[0].returncode != 0:
            return None
        return sha.strip() + ("-dirty" if procs[1].returncode == 0 and dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


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
