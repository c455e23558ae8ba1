"""Helpers shared by the command-line tests (imported by test modules, not collected)."""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from marketplace_sim.cli import main


def one_error_line(capsys) -> str:
    """The single stderr line of a failed command (no traceback), asserting there is one."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def sweep(exp: Path, out: Path, *extra: str) -> int:
    """Run ``marketplace-sim sweep EXP --out OUT --quiet [extra]``; returns the exit code."""
    return main(["sweep", str(exp), "--out", str(out), "--quiet", *extra])


def folder_listing(folder: Path) -> dict[str, str]:
    """Every file and folder below ``folder`` (hidden ones too) -> its content ('/' for folders)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        out[rel] = "/" if p.is_dir() else p.read_bytes().decode("utf-8", "replace")
    return out


@contextmanager
def tmpfs(where: Path, size: str = "1m", options: str = "") -> Iterator[Path]:
    """A small tmpfs mounted at ``where`` (needs root; the test is skipped where mount fails).

    CI runs as root, so these tests run there; on a workstation without root they skip.
    """
    where.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (f",{options}" if options else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (Linux ``/proc``)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def dead_pid() -> int:
    """The pid of a process that has just exited (free, unless the system reuses it at once)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)
