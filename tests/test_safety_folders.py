"""Results folders: --force replaces only this program's folders, one writer per folder, no
leftovers, and nothing created before the inputs are checked (issue 10, items 1, 3 and 4).

Every test runs the command line (``main(argv)`` or a real process) and checks the exit code,
the one stderr line, and the folder's content before and after.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import dead_pid, folder_listing, one_error_line, sweep

from marketplace_sim.cli import main
from marketplace_sim.experiments.executors import FAIL_ENV
from marketplace_sim.experiments.outdir import lock_path, remove_dead_temporaries

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "configs" / "smoke.toml"
TINY = ["--set", "market.freelancers=60", "--set", "market.clients=15", "--steps", "12"]
TINY_SWEEP = f"""base = "{SMOKE.as_posix()}"
[experiment]
replications = 1
figures = false
[sweep]
"platform.fee" = [0.1]
[set]
"run.steps" = 12
"market.freelancers" = 60
"market.clients" = 15
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Run from an empty folder, with no injected failure."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(FAIL_ENV, raising=False)


def foreign_folder(path: Path) -> dict[str, str]:
    """A folder of someone else's files and subfolders; returns its listing."""
    path.mkdir()
    (path / "notes.txt").write_text("my notes")
    (path / "data").mkdir()
    (path / "data" / "table.csv").write_text("a,b\n1,2\n")
    (path / ".hidden").write_text("x")
    return folder_listing(path)


def run(out: Path, *extra: str) -> int:
    return main(["run", str(SMOKE), "--out", str(out), *TINY, "--quiet", "--no-figures", *extra])


# ----------------------------------------------------------------------------- --force


def test_force_refuses_a_folder_this_program_did_not_make(tmp_path, capsys):
    """run/sweep --force on someone's folder: exit 2, one line, files and subfolders intact."""
    out = tmp_path / "theirs"
    before = foreign_folder(out)
    assert run(out, "--force") == 2
    assert "not a results folder made by marketplace-sim" in one_error_line(capsys)
    assert folder_listing(out) == before
    exp = tmp_path / "exp.toml"
    exp.write_text(TINY_SWEEP)
    assert sweep(exp, out, "--force") == 2
    assert "not a results folder made by marketplace-sim" in one_error_line(capsys)
    assert folder_listing(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.toml", "theirs"]  # no lock left


def test_force_replaces_run_and_sweep_folders(tmp_path, capsys):
    """A run folder (manifest kind run) and a sweep folder (sweep.json) are replaced by --force."""
    out = tmp_path / "mine"
    assert run(out) == 0
    (out / "extra.txt").write_text("added later")
    assert run(out, "--force") == 0
    assert not (out / "extra.txt").exists() and (out / "manifest.json").exists()
    exp = tmp_path / "exp.toml"
    exp.write_text(TINY_SWEEP)
    assert sweep(exp, out, "--force", "--workers", "1") == 0  # a run folder becomes a sweep
    assert (out / "sweep.json").exists() and (out / "runs.parquet").exists()
    assert run(out, "--force") == 0  # and back: both are this program's
    assert not (out / "sweep.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_the_folder_of_the_config_being_run_is_never_replaced(tmp_path, capsys):
    """run my.toml --out <its folder> --force used to delete the config: now refused, intact."""
    here = tmp_path / "work"
    here.mkdir()
    (here / "base.toml").write_text(f'base = "{SMOKE.as_posix()}"\n')
    (here / "my.toml").write_text('base = "base.toml"\n[market]\nfreelancers = 60\n')
    (here / "keep.txt").write_text("mine")
    before = folder_listing(here)
    assert main(["run", str(here / "my.toml"), "--out", str(here), "--force", "--quiet"]) == 2
    assert "holds my.toml, a file being run" in one_error_line(capsys)
    assert folder_listing(here) == before
    # a run folder holding the config (its own config.toml, rerun into itself) is kept too
    out = tmp_path / "r"
    assert run(out) == 0
    argv = ["run", str(out / "config.toml"), "--out", str(out), "--force", "--quiet"]
    assert main(argv) == 2
    assert "holds config.toml, a file being run" in one_error_line(capsys)
    # and a folder holding only the base of the chain
    other = tmp_path / "other"
    other.mkdir()
    (other / "my.toml").write_text(f'base = "{(here / "base.toml").as_posix()}"\n')
    assert main(["run", str(other / "my.toml"), "--out", str(here), "--force", "--quiet"]) == 2
    assert "holds base.toml, a file being run" in one_error_line(capsys)
    assert folder_listing(here) == before


def test_sweep_into_the_folder_of_its_experiment_is_refused(tmp_path, capsys):
    """sweep exp.toml --out <its folder> --force: refused, the experiment and its files kept."""
    here = tmp_path / "study"
    here.mkdir()
    exp = here / "exp.toml"
    exp.write_text(TINY_SWEEP)
    (here / "sweep.json").write_text("{}")  # even if it looks like a sweep folder
    before = folder_listing(here)
    assert sweep(exp, here, "--force") == 2
    assert "holds exp.toml, a file being run" in one_error_line(capsys)
    assert folder_listing(here) == before


# ----------------------------------------------------------------------------- one writer


SLOW_SWEEP = f"""base = "{SMOKE.as_posix()}"
[experiment]
replications = 40
figures = false
[sweep]
"platform.fee" = [0.1, 0.2]
[set]
"run.steps" = 150
"""


def start_sweep(tmp_path: Path, out: Path, workers: int) -> subprocess.Popen:
    exp = tmp_path / "slow.toml"
    exp.write_text(SLOW_SWEEP)
    argv = ["sweep", str(exp), "--out", str(out), "--workers", str(workers), "--quiet"]
    return subprocess.Popen(
        [sys.executable, "-m", "marketplace_sim", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert proc.poll() is None, "the sweep ended before the test could use it"
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_folder_being_written_is_refused_at_once_naming_the_pid(tmp_path, capsys):
    """A second sweep --resume, run or sweep --force on a folder in use: exit 2, its pid named.

    The lock is the OS's (flock): SIGKILL of its holder frees it, and the next command into the
    folder is judged on the folder alone.
    """
    out = tmp_path / "busy"
    proc = start_sweep(tmp_path, out, workers=1)
    try:
        wait_for(lambda: (out / "sweep.json").exists(), proc)
        started = time.perf_counter()
        assert sweep(tmp_path / "slow.toml", out, "--resume") == 2
        line = one_error_line(capsys)
        assert f"another marketplace-sim process (pid {proc.pid}) is writing" in line
        assert run(out, "--force") == 2
        assert f"(pid {proc.pid})" in one_error_line(capsys)
        assert sweep(tmp_path / "slow.toml", out, "--force") == 2
        assert f"(pid {proc.pid})" in one_error_line(capsys)
        assert time.perf_counter() - started < 10  # at once: nothing waited for or run
        assert proc.poll() is None  # the writer was not disturbed
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert lock_path(out).exists()  # SIGKILL leaves the file, but not the lock
    assert run(out) == 2
    assert "results folder exists and is not empty" in one_error_line(capsys)
    assert not lock_path(out).exists()  # the next writer removed the stale file


def test_temporaries_of_dead_runs_are_removed_and_nothing_else(tmp_path, capsys):
    """A killed run's .NAME.tmp-PID goes on the next run into the same parent; others stay."""
    parent = tmp_path / "results"
    parent.mkdir()
    dead = dead_pid()
    (parent / f".old-run.tmp-{dead}").mkdir()
    (parent / f".old-run.tmp-{dead}" / "steps.parquet").write_text("half")
    (parent / f".notes.txt.tmp-{dead}").write_text("half a file")
    (parent / f".live.tmp-{os.getppid()}").mkdir()  # a process still running: kept
    (parent / ".tmp-1").write_text("not our name")  # no NAME: kept
    (parent / f"plain.tmp-{dead}").write_text("not hidden: not ours")
    (parent / ".stale.marketplace-sim.lock").write_text(f"{dead}\n")  # unheld: ours, removed
    (parent / ".other.lock").write_text("someone else's lock: kept")
    assert run(parent / "new") == 0
    assert sorted(p.name for p in parent.iterdir()) == [
        f".live.tmp-{os.getppid()}",
        ".other.lock",
        ".tmp-1",
        "new",
        f"plain.tmp-{dead}",
    ]


def test_remove_dead_temporaries_keeps_set_aside_results(tmp_path):
    """A .NAME.old-PID (the results a --force was replacing) is never removed automatically."""
    aside = tmp_path / f".out.old-{dead_pid()}"
    aside.mkdir()
    assert remove_dead_temporaries(tmp_path) == []
    assert aside.exists()


# ----------------------------------------------------------------------------- nothing created


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--set", "jobs.post_rate=1e308"], "--set: jobs.post_rate: out of range"),
        (["--steps", "0"], "--steps: run.steps: out of range"),
        (["--set", "market.entry_rate=100000", "--steps", "100000"], "market.entry_rate"),
    ],
    ids=["bound", "steps", "memory"],
)
def test_bad_run_input_creates_no_folder_not_even_parents(tmp_path, capsys, argv, needle):
    """Refused input: exit 2, one line, and neither --out nor its parents nor results/ exist."""
    assert main(["run", str(SMOKE), *argv, "--out", "deep/er/out", "--quiet"]) == 2
    assert needle in one_error_line(capsys)
    assert main(["run", str(SMOKE), *argv, "--quiet"]) == 2  # the default results/ neither
    assert needle in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_bad_sweep_options_create_no_folder(tmp_path, capsys):
    """--workers 0 or --address without Dask: exit 2 before the default results/ is made."""
    exp = tmp_path / "exp.toml"
    exp.write_text(TINY_SWEEP)
    assert main(["sweep", str(exp), "--workers", "0", "--quiet"]) == 2
    assert "--workers: must be at least 1" in one_error_line(capsys)
    assert main(["sweep", str(exp), "--address", "tcp://x:1", "--quiet"]) == 2
    assert "--address: only with --executor dask" in one_error_line(capsys)
    assert main(["sweep", str(exp), "--out", "a/b", "--resume", "--force", "--quiet"]) == 2
    assert "cannot be combined with --force" in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.toml"]
