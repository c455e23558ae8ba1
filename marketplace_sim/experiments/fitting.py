"""The fit folder's lifecycle: checked, locked, resumable, each simulation saved at once.

A fit (``marketplace-sim fit``, ``analysis/fit/``) writes its folder in place, like a sweep, so
that a killed fit can be resumed:

- ``fit.json`` is written first: the fingerprint of the inputs (fit file, world, observed
  data, budget), so that ``--resume`` with other inputs is refused;
- every finished simulation is saved at once as ``sims/<group>/<name>.json`` (and, for the
  fitted world's check, ``<name>.parquet`` before it), each file written atomically
  (``files.py``); a record on disk is always whole, and ``--resume`` simulates only what has
  no record;
- the tables, figures and ``manifest.json`` (last, ``"kind": "fit"``) are written at the end.

The rules for the folder are those of every results folder (``outdir.py``): a non-empty
folder is refused unless ``--resume`` or ``--force``; ``--force`` replaces only a folder this
program made (a fit folder, finished or not, included), keeping the old one aside until the
new fit is complete; one process at a time holds the folder's lock.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketplace_sim import files
from marketplace_sim.errors import DataError, OutputFolderError, UsageError
from marketplace_sim.experiments.outdir import (
    MANIFEST,
    ensure_parent,
    faults_as_errors,
    folder_lock,
    is_empty,
    refuse_enclosing,
    refuse_foreign,
    refuse_inputs,
)

STATE = "fit.json"
SIMS = "sims"
FAULT_HINT = " (the simulations finished so far are kept; free some space, then resume the fit)"


class FitInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a fit: the simulations saved so far are kept (resume them)."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"interrupted after {done} of at most {total} simulations")
        self.done = done
        self.total = total


@dataclass(frozen=True)
class FitFolder:
    """An open fit folder (its lock held): read and save simulation records."""

    out: Path
    state: dict[str, Any]
    resumed: bool

    def group(self, name: str) -> Path:
        """The folder of a group of simulations (``sims/g03``), created if needed."""
        d = self.out / SIMS / name
        d.mkdir(parents=True, exist_ok=True)
        return d

    def load(self, group: str, name: str, frame: bool = False) -> dict[str, Any] | None:
        """A saved record (with its ``profiles`` frame if ``frame``), or None if there is none.

        A record that cannot be read, or whose frame is missing, counts as none (it is
        simulated again).
        """
        d = self.out / SIMS / group
        try:
            record: dict[str, Any] = json.loads((d / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if frame and record.get("status") == "ok":
            import pandas as pd

            try:
                record["profiles"] = pd.read_parquet(d / f"{name}.parquet")
            except Exception:  # missing or corrupt: simulate it again
                return None
        return record

    def save(self, group: str, name: str, record: Mapping[str, Any]) -> None:
        """Save one finished simulation at once (a ``profiles`` frame goes to Parquet first)."""
        d = self.group(group)
        body = {k: v for k, v in record.items() if k != "profiles"}
        frame = record.get("profiles")
        if frame is not None:
            files.write_parquet(frame, d / f"{name}.parquet")
        files.write_text(d / f"{name}.json", json.dumps(_finite(body), indent=1) + "\n")


def _finite(obj: Any) -> Any:
    """JSON-safe: NaN and infinities as null (read back as NaN by the caller)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Mapping):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def is_fit_folder(out: Path) -> bool:
    """Whether ``out`` holds a fit this program started (``fit.json``), finished or not."""
    return (out / STATE).is_file()


def check_fit_out(out: Path, inputs: Iterable[Path] = ()) -> None:
    """Refuse a destination before anything runs (enclosing, an input inside, a file).

    Raises:
        OutputFolderError: the folder may not be written.
    """
    refuse_enclosing(out)
    refuse_inputs(out, inputs)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(out, None, "exists and is not a folder")
    ensure_parent(out)


@contextlib.contextmanager
def open_fit_folder(
    out: Path, state: Mapping[str, Any], *, resume: bool = False, force: bool = False
) -> Iterator[FitFolder]:
    """Lock and prepare ``out`` for a fit; yield it; on success drop a folder ``force`` replaced.

    Args:
        out: the fit folder (checked with :func:`check_fit_out` first).
        state: what ``fit.json`` records; its ``fingerprint`` must match on ``resume``.
        resume: go on with the fit in ``out`` (same fingerprint), simulating what is missing.
        force: replace ``out`` if this program made it.

    Raises:
        UsageError: ``resume`` with ``force``.
        OutputFolderError: see the module docstring; also another process holding the lock.
        FaultError: the disk filled up or refused a write (what was saved is kept).
    """
    if resume and force:
        raise UsageError("--resume: cannot be combined with --force")
    out = Path(out)
    with folder_lock(out), faults_as_errors(out, FAULT_HINT):
        recorded = _decide(out, state, resume=resume, force=force)
        replaced = None
        if recorded is None and not is_empty(out):
            replaced = files.temporary_name(out, files.OLD_TAG)  # kept until the fit is done
            os.replace(out, replaced)
        out.mkdir(exist_ok=True)
        files.remove_temporaries(out)
        if (out / SIMS).is_dir():
            for d in (out / SIMS).iterdir():
                files.remove_temporaries(d)
        if (out / MANIFEST).exists():
            (out / MANIFEST).unlink()  # a manifest marks a complete fit; this one may change
        if recorded is None:
            files.write_text(out / STATE, json.dumps(_finite(dict(state)), indent=1) + "\n")
        (out / SIMS).mkdir(exist_ok=True)
        yield FitFolder(out, dict(recorded or state), recorded is not None)
        if replaced is not None:
            shutil.rmtree(replaced, ignore_errors=True)


def _decide(
    out: Path, state: Mapping[str, Any], *, resume: bool, force: bool
) -> dict[str, Any] | None:
    """The recorded state to resume, or None to start afresh (refusing what must not be)."""
    if is_empty(out):
        return None
    if resume:
        if not is_fit_folder(out):
            if all(files.is_temporary(p) for p in out.iterdir()):
                return None  # killed before fit.json was in place: start afresh
            raise OutputFolderError(out, None, f"not a fit folder (no {STATE}); cannot resume")
        return _recorded(out, state)
    if not force:
        raise OutputFolderError(
            out,
            None,
            "results folder exists and is not empty (use --resume to finish an interrupted "
            "fit, or --force to replace it)",
        )
    if not is_fit_folder(out):
        refuse_foreign(out)
    return None


def _recorded(out: Path, state: Mapping[str, Any]) -> dict[str, Any]:
    path = out / STATE
    try:
        recorded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(path, None, f"unreadable: {exc}") from None
    if recorded.get("fingerprint") != state.get("fingerprint"):
        raise OutputFolderError(
            out,
            None,
            "holds a fit of other inputs (fit file, world, observed data or budget differ); "
            "resume with the same ones, or use a new --out",
        )
    code = {k: state.get(k) for k in ("version", "git_commit")}
    before = {k: recorded.get(k) for k in code}
    if before != code:
        print(
            f"warning: {out} was started with marketplace-sim {before}, this is {code}: its "
            "simulations may come from different code",
            file=sys.stderr,
        )
    return recorded


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM (a batch system's time limit) into Ctrl-C for the block."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, previous)


def latest_fit(folder: Path) -> Path | None:
    """The most recent fit folder under ``folder`` (by its timestamp name), if any."""
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.iterdir() if is_fit_folder(p))
    return found[-1] if found else None
