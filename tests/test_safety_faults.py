"""Faults of the machine while writing: disk full, read-only or refused writes, a closed pipe
(issue 10, item 5, the run and sweep part): one line, exit 1 (or 2 when refused up front), no
traceback, and never a half-written run or part.

The disk-full tests mount a tiny tmpfs (root is needed; CI runs as root; elsewhere they skip).
"""

import errno
import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import one_error_line, sweep, tmpfs

from marketplace_sim import files
from marketplace_sim.cli import main
from marketplace_sim.experiments.executors import FAIL_ENV

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "configs" / "smoke.toml"
TINY = ["--set", "market.freelancers=60", "--set", "market.clients=15", "--steps", "12"]
SWEEP = f"""base = "{SMOKE.as_posix()}"
[experiment]
replications = 20
figures = false
[sweep]
"platform.fee" = [0.1, 0.2]
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(FAIL_ENV, raising=False)


def hidden(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*")]


def assert_whole_parts(out: Path) -> int:
    """Every part on disk is whole (record and steps); returns how many there are."""
    parts = [p for p in (out / "parts").iterdir()]
    for p in parts:
        assert sorted(f.name for f in p.iterdir()) == ["run.json", "steps.parquet"], p
        assert json.loads((p / "run.json").read_text())["status"] == "ok"
        assert len(pd.read_parquet(p / "steps.parquet")) == 52
    return len(parts)


def test_disk_full_while_writing_a_run_is_one_line_and_leaves_nothing(tmp_path, capsys):
    """A run folder that does not fit: exit 1, one line, no folder and no temporary left."""
    with tmpfs(tmp_path / "disk", "64k") as disk:
        assert main(["run", str(SMOKE), "--out", str(disk / "r"), *TINY, "--quiet"]) == 1
        line = one_error_line(capsys)
        assert line.startswith(f"marketplace-sim: error: {disk}")
        assert "cannot write: No space left on device (nothing was written)" in line
        assert list(disk.iterdir()) == []


def test_disk_full_mid_sweep_keeps_whole_parts_and_resumes(tmp_path, capsys):
    """The disk fills up after a few parts: exit 1, one line with the resume command, every part
    on disk whole, workers stopped; with space again, --resume finishes the sweep."""
    exp = tmp_path / "exp.toml"
    exp.write_text(SWEEP)
    with tmpfs(tmp_path / "disk", "200k") as disk:
        out = disk / "s"
        assert sweep(exp, out, "--workers", "2") == 1
        line = one_error_line(capsys)
        assert "cannot write: No space left on device (the runs finished so far are kept)" in line
        assert f"then finish with: marketplace-sim sweep {exp} --out {out} --resume" in line
        assert multiprocessing.active_children() == []  # the pool was stopped at once
        done = assert_whole_parts(out)
        assert 1 <= done < 40
        assert hidden(out) == [] and not (out / "manifest.json").exists()
        subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)
        assert sweep(exp, out, "--resume", "--workers", "1") == 0
        runs = pd.read_parquet(out / "runs.parquet")
        assert len(runs) == 40 and (runs["status"] == "ok").all()
        man = json.loads((out / "manifest.json").read_text())
        assert man["runs_this_session"] == 40 - done


def test_a_read_only_disk_is_refused_before_running(tmp_path, capsys):
    """--out on a read-only file system: exit 2 at once, nothing simulated."""
    with tmpfs(tmp_path / "ro", "64k", "ro") as ro:
        assert main(["run", str(SMOKE), "--out", str(ro / "r"), *TINY, "--quiet"]) == 2
        assert f"{ro / 'r'}: its parent folder is not writable" in one_error_line(capsys)
        argv = ["run", str(SMOKE), "--out", str(ro / "sub" / "r"), *TINY, "--quiet"]
        assert main(argv) == 2
        assert "cannot create its parent folder: Read-only file system" in one_error_line(capsys)
        exp = tmp_path / "exp.toml"
        exp.write_text(SWEEP)
        assert sweep(exp, ro / "s") == 2
        assert "its parent folder is not writable" in one_error_line(capsys)
        assert list(ro.iterdir()) == []


def refuse_writes_after(monkeypatch, n: int) -> None:
    """Make every Parquet write after the first ``n`` fail with 'Permission denied'."""
    real = files.write_parquet
    calls = []

    def write(df, path):
        calls.append(path)
        if len(calls) > n:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(df, path)

    monkeypatch.setattr(files, "write_parquet", write)


def test_permission_denied_mid_sweep_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    """A write refused mid-sweep: exit 1, one line naming the file, finished parts whole."""
    exp = tmp_path / "exp.toml"
    exp.write_text(SWEEP)
    refuse_writes_after(monkeypatch, 3)
    out = tmp_path / "s"
    assert sweep(exp, out, "--workers", "1") == 1
    line = one_error_line(capsys)
    assert "steps.parquet: cannot write: Permission denied (the runs finished so far" in line
    assert assert_whole_parts(out) == 3
    assert hidden(out) == []


def test_permission_denied_while_writing_a_run_leaves_nothing(tmp_path, capsys, monkeypatch):
    refuse_writes_after(monkeypatch, 1)
    assert main(["run", str(SMOKE), "--out", "r", *TINY, "--quiet"]) == 1
    assert "cannot write: Permission denied (nothing was written)" in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_closed_pipe_is_no_traceback():
    """The reader of stdout is gone (``| head``): no traceback, exit 141 (128 + SIGPIPE)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace_sim", "validate", str(SMOKE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait() == 141
    assert err == ""
    piped = subprocess.run(
        ["bash", "-c", f"'{sys.executable}' -m marketplace_sim validate '{SMOKE}' | head -1"],
        capture_output=True,
        text=True,
    )
    assert piped.stdout == f"# {SMOKE}: valid; every key, resolved\n"
    assert piped.stderr == ""
