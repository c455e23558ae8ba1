"""Results folders: which may be written or replaced, one writer at a time, leftovers, faults.

The rules, checked before anything is simulated:

- A non-empty folder is refused unless ``--force`` (or, for sweeps, ``--resume``), and
  ``--force`` replaces only a folder this program made, recognised by its ``manifest.json``
  (``kind`` run, sweep, calibration, compare or fit) or a sweep's ``sweep.json``
  (:func:`made_by_this_program`). Any other folder is refused and left untouched.
- Never replaced: the current folder or one enclosing it, and a folder holding the config or
  experiment being run (or a file of its ``base`` chain).
- One writer per folder: :func:`folder_lock` takes an OS lock (``fcntl.flock``) on
  ``.NAME.marketplace-sim.lock`` beside the folder; a second process is refused at once, told
  the holder's pid. The OS releases the lock when its holder exits in any way, SIGKILL included.
- Leftovers: hidden temporaries (``.NAME.tmp-PID``) whose process is dead are removed from the
  parent (:func:`remove_dead_temporaries`); nothing else is touched.
- Faults: a full disk or a refused write becomes one :class:`FaultError` line
  (:func:`faults_as_errors`); the atomic writes of ``files.py`` leave nothing half-written.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from marketplace_sim.config import read_toml
from marketplace_sim.errors import FaultError, OutputFolderError
from marketplace_sim.files import is_temporary

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, folders are still checked
    fcntl = None  # type: ignore[assignment]

SWEEP_JSON = "sweep.json"
MANIFEST = "manifest.json"
PROGRAM_KINDS = ("run", "sweep", "calibration", "compare", "fit")  # manifest.json kinds
LOCK_SUFFIX = ".marketplace-sim.lock"  # a name no other program uses, so leftovers are ours
_TEMPORARY = re.compile(r"^\..+\.tmp-(\d+)$")
_HIDDEN_TMP = re.compile(r"^\.(.+)\.(?:tmp|old)-\d+$")
#: errno values of a machine that cannot take a write (full, read-only, refused, failing).
FAULT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
)


# --------------------------------------------------------------------------------------------
# Which folders may be written


def refuse_enclosing(out: Path) -> None:
    """Refuse a results folder that is the current folder or encloses it (never replaced)."""
    here, target = Path.cwd().resolve(), Path(out).resolve()
    if target == here or target in here.parents:
        raise OutputFolderError(out, None, "is the current folder or encloses it; name a subfolder")


def input_files(path: Path) -> list[Path]:
    """A config or experiment file and every file of its ``base`` chain (resolved paths)."""
    out: list[Path] = []
    p = Path(path)
    while p.exists() and p.resolve() not in out:
        out.append(p.resolve())
        base = read_toml(p).get("base")
        if not isinstance(base, str) or not base:
            break
        p = p.resolve().parent / base
    return out


def refuse_inputs(out: Path, inputs: Iterable[Path]) -> None:
    """Refuse a results folder that holds one of the files being run (it would be deleted)."""
    target = Path(out).resolve()
    for f in inputs:
        f = Path(f).resolve()
        if target == f or target in f.parents:
            raise OutputFolderError(
                out, None, f"holds {f.name}, a file being run; it is never replaced"
            )


def made_by_this_program(out: Path) -> bool:
    """Whether ``out`` is a run or sweep folder this program wrote (so ``--force`` may go).

    Recognised by ``manifest.json`` with ``kind`` run or sweep, or a sweep's ``sweep.json``
    (an unfinished sweep), or nothing but this program's temporaries (a sweep killed at once).
    """
    if (out / SWEEP_JSON).is_file():
        return True
    try:
        kind = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        kind = None
    if kind in PROGRAM_KINDS:
        return True
    return all(is_temporary(p) for p in out.iterdir())


def is_empty(out: Path) -> bool:
    """Whether ``out`` is missing or an empty folder."""
    return not out.is_dir() or not any(out.iterdir())


def check_out(out: Path, *, force: bool = False, inputs: Iterable[Path] = ()) -> None:
    """Refuse a run folder before anything is simulated or created (see the module's rules).

    Raises:
        OutputFolderError: the folder may not be written or replaced.
    """
    out = Path(out)
    refuse_enclosing(out)
    refuse_inputs(out, inputs)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(out, None, "exists and is not a folder")
    if is_empty(out):
        return
    if not force:
        raise OutputFolderError(
            out, None, "results folder exists and is not empty (use --force to replace it)"
        )
    refuse_foreign(out)


def refuse_foreign(out: Path) -> None:
    """Refuse to replace a non-empty folder that this program did not make."""
    if not made_by_this_program(out):
        raise OutputFolderError(
            out,
            None,
            "is not a results folder made by marketplace-sim (no manifest.json or "
            "sweep.json); --force replaces only those: name another folder",
        )


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


# --------------------------------------------------------------------------------------------
# One writer per folder


def lock_path(out: Path) -> Path:
    """The lock file of a results folder: ``.NAME.marketplace-sim.lock`` beside it."""
    out = Path(out)
    return out.parent / f".{out.name}{LOCK_SUFFIX}"


@contextmanager
def folder_lock(out: Path) -> Iterator[Path]:
    """Hold the lock of ``out`` for the block; refuse at once if another process holds it.

    The lock file holds the holder's pid and is removed when the block ends; a holder killed
    with SIGKILL leaves the file, but not the lock, and the next holder reuses the file.

    Raises:
        OutputFolderError: another process holds the lock (its pid is named).
    """
    path = lock_path(out)
    if fcntl is None:  # pragma: no cover
        yield path
        return
    fd = _acquire(out, path)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        # unlink while still holding the lock: a waiter that opened the old file sees that
        # it was unlinked (inode check in _acquire) and retries on a fresh one
        with suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _acquire(out: Path, path: Path) -> int:
    assert fcntl is not None
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputFolderError(
                out, None, f"cannot create {path.name}: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            time.sleep(0.05)  # a holder releasing the lock unlinks the file first: look again
            if not _same_file(fd, path):
                os.close(fd)
                continue
            os.close(fd)
            who = f"pid {holder}" if holder else "pid unknown"
            raise OutputFolderError(
                out,
                None,
                f"another marketplace-sim process ({who}) is writing this folder; wait for it "
                "to finish or stop it",
            ) from None
        if _same_file(fd, path):
            return fd
        os.close(fd)  # the previous holder removed the file between our open and our lock


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (not unlinked or replaced)."""
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# Leftovers


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (on this machine)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_dead_temporaries(folder: Path) -> list[Path]:
    """Remove ``.NAME.tmp-PID`` entries of dead processes, and unheld lock files, in ``folder``.

    Names of live processes (a run in progress) and every other name are left alone; set-aside
    folders (``.NAME.old-PID``, the results a ``--force`` was replacing) are kept too.

    Returns:
        The paths removed.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for p in folder.iterdir():
        m = _TEMPORARY.match(p.name)
        if m is not None and not pid_alive(int(m.group(1))):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p)
        elif _is_lock_name(p.name) and _remove_if_unheld(p):
            removed.append(p)
    return removed


def _is_lock_name(name: str) -> bool:
    return name.startswith(".") and name.endswith(LOCK_SUFFIX) and len(name) > len(LOCK_SUFFIX) + 1


def _remove_if_unheld(path: Path) -> bool:
    if fcntl is None or not path.is_file():  # pragma: no cover
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.unlink(path)  # holders re-check the inode after locking, so this is safe
        return True
    except OSError:  # held (a writer is running), or already gone
        return False
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# Faults


@contextmanager
def faults_as_errors(where: Path, hint: str = "") -> Iterator[None]:
    """Turn a full disk or a refused write into one :class:`FaultError` line (exit code 1).

    Args:
        where: named in the message when the error does not say which file.
        hint: appended to the message (what to do next).
    """
    try:
        yield
    except OSError as exc:
        if exc.errno not in FAULT_ERRNOS:
            raise
        name = _final_name(Path(exc.filename)) if isinstance(exc.filename, str) else where
        raise FaultError(name, None, f"cannot write: {os.strerror(exc.errno)}{hint}") from None


def _final_name(path: Path) -> Path:
    """``parts/.c001-r00.tmp-42/steps.parquet`` -> ``parts/c001-r00/steps.parquet``."""
    return Path(*(_HIDDEN_TMP.sub(r"\1", part) for part in path.parts))
