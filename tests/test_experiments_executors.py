"""Executors: typed, picklable specs and summaries; any worker function over any picklable specs
(calibration's dicts included); a lost worker's spec becomes a result; no orphans when the
driver is killed (issue 10, item 4)."""

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import children_of, running

from marketplace_sim.experiments.executors import (
    LOST,
    LocalExecutor,
    RunSpec,
    RunSummary,
    SerialExecutor,
    run_spec,
)

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "configs" / "smoke.toml"


def square(spec: dict) -> dict:
    """A calibration-style worker: a dict in, a dict out (labels passed through)."""
    if spec.get("die"):
        os._exit(3)  # the worker process dies mid-task
    return {**spec, "value": spec["x"] ** 2}


def test_specs_and_summaries_are_frozen_and_picklable():
    """What crosses to a spawned worker or a Dask worker: plain frozen dataclasses."""
    spec = RunSpec("c000-r00", {"run": {"steps": 3}}, record_every=2, keep_earnings=True)
    assert pickle.loads(pickle.dumps(spec)) == spec
    with pytest.raises(AttributeError):
        spec.run_id = "x"  # type: ignore[misc]
    summary = run_spec(RunSpec("r", {"run": {"steps": 4}, "market": {"freelancers": 30}}))
    assert isinstance(summary, RunSummary) and summary.ok and summary.error is None
    assert summary.steps["step"].tolist() == [1, 2, 3, 4]
    assert summary.earnings is None and summary.freelancers is None
    back = pickle.loads(pickle.dumps(summary))
    assert back.steps.equals(summary.steps) and back.worker == summary.worker


def test_run_spec_thins_steps_and_keeps_what_is_asked():
    """record_every keeps every k-th week and the final one; earnings and freelancers on ask."""
    cfg = {"run": {"steps": 7}, "market": {"freelancers": 30, "clients": 8}}
    s = run_spec(RunSpec("r", cfg, record_every=3, keep_earnings=True, keep_freelancers=True))
    assert s.steps["step"].tolist() == [3, 6, 7]
    assert list(s.earnings.columns) == ["freelancer_id", "earnings"]
    assert {"prior_jobs", "reputation"} <= set(s.freelancers.columns)
    assert len(s.earnings) == len(s.freelancers)


@pytest.mark.timeout(120)
def test_any_worker_over_dict_specs_and_a_lost_worker_is_a_result():
    """Calibration's use: its own function over dicts; a dying worker gives lost(spec, msg)."""
    specs = [{"run_id": f"p{i}", "x": i} for i in range(5)] + [{"run_id": "bad", "die": True}]
    got = dict((s["run_id"], r) for s, r in LocalExecutor(2).imap_unordered(square, iter(specs)))
    assert sorted(got) == ["bad", "p0", "p1", "p2", "p3", "p4"]
    assert got["bad"] == {"run_id": "bad", "die": True, "status": "failed", "error": LOST}
    ok = [got[f"p{i}"] for i in range(5) if got[f"p{i}"].get("status") != "failed"]
    assert all(r["value"] == r["x"] ** 2 for r in ok)  # runs in flight with it may be lost too
    marks = []

    def lost(spec, message):
        marks.append(spec["run_id"])
        return {"lost": message}

    results = list(LocalExecutor(1).imap_unordered(square, [{"die": True, "run_id": "z"}], lost))
    assert results == [({"die": True, "run_id": "z"}, {"lost": LOST})] and marks == ["z"]
    assert list(SerialExecutor().imap_unordered(square, [{"x": 3}])) == [
        ({"x": 3}, {"x": 3, "value": 9})
    ]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_killing_the_driver_with_sigkill_leaves_no_worker_running(tmp_path):
    """SIGKILL of the sweep process (its workers get no signal): they exit within 5 s."""
    exp = tmp_path / "exp.toml"
    exp.write_text(
        f'base = "{SMOKE.as_posix()}"\n[experiment]\nreplications = 40\nfigures = false\n'
        '[sweep]\n"platform.fee" = [0.1, 0.2]\n[set]\n"run.steps" = 150\n'
    )
    out = tmp_path / "out"
    argv = ["sweep", str(exp), "--out", str(out), "--workers", "2", "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace_sim", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while not list((out / "parts").glob("c*")):  # the pool is up and running runs
            assert proc.poll() is None and time.time() < deadline
            time.sleep(0.02)
        kids = children_of(proc.pid)
        assert len(kids) >= 2  # two workers (and multiprocessing's resource tracker)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the driver only, as the OOM killer would
        proc.wait()
    deadline = time.time() + 5
    while any(running(k) for k in kids) and time.time() < deadline:
        time.sleep(0.05)
    left = [k for k in kids if running(k)]
    for k in left:  # do not leave them to the next test
        os.kill(k, signal.SIGKILL)
    assert left == []


def pid_of(spec: dict) -> dict:
    """Which process ran the spec (and, with ``die``, kill that process mid-task)."""
    if spec.get("die"):
        os._exit(3)
    time.sleep(0.05)  # long enough for both workers to get tasks
    return {"pid": os.getpid()}


@pytest.mark.timeout(120)
def test_a_local_pool_is_kept_across_calls_and_stopped_by_close():
    """A fit calls imap_unordered once per generation: the same two workers serve every call.

    Before, each call spawned a fresh pool (new pids, the model imported again); now the pids
    of the second call are the first call's, a dead worker's pool is replaced, and close()
    stops the workers.
    """
    ex = LocalExecutor(2)
    specs = [{"run_id": f"t{i}"} for i in range(8)]
    first = {r["pid"] for _, r in ex.imap_unordered(pid_of, specs)}
    pids = ex.worker_pids()
    assert len(pids) == 2 and first <= set(pids) and os.getpid() not in first
    second = {r["pid"] for _, r in ex.imap_unordered(pid_of, specs)}
    assert second <= set(pids) and ex.worker_pids() == pids
    died = list(ex.imap_unordered(pid_of, [{"run_id": "bad", "die": True}]))
    assert died[0][1]["status"] == "failed"
    third = {r["pid"] for _, r in ex.imap_unordered(pid_of, specs)}
    assert third.isdisjoint(pids)  # a fresh pool after the broken one
    procs = list(ex._pool._processes.values())  # type: ignore[union-attr]
    ex.close()
    assert ex.worker_pids() == [] and not any(p.is_alive() for p in procs)


@pytest.mark.timeout(120)
def test_a_call_left_early_stops_the_pool_and_the_next_starts_a_fresh_one():
    """A caller that stops iterating (Ctrl-C, an error) must not leave runs going for nobody."""
    ex = LocalExecutor(2)
    it = ex.imap_unordered(pid_of, [{"run_id": f"t{i}"} for i in range(20)])
    next(it)
    pids = ex.worker_pids()
    it.close()
    assert ex.worker_pids() == []
    again = {r["pid"] for _, r in ex.imap_unordered(pid_of, [{"run_id": "x"}, {"run_id": "y"}])}
    assert again.isdisjoint(pids)
    ex.close()


@pytest.mark.timeout(120)
def test_a_session_shares_one_pool_between_executors():
    """findings runs a sweep per study: inside session() they share one pool of workers."""
    from marketplace_sim.experiments.executors import make_executor, session

    with session():
        a = make_executor("local", 2, None)
        got_a = {r["pid"] for _, r in a.imap_unordered(pid_of, [{"run_id": "a"}] * 4)}
        a.close()  # a sweep's close(): the session keeps the pool
        b = make_executor("local", 2, None)
        assert b is a and a.worker_pids()
        got_b = {r["pid"] for _, r in b.imap_unordered(pid_of, [{"run_id": "b"}] * 4)}
        assert got_b <= set(a.worker_pids()) and got_a <= set(a.worker_pids())
        assert isinstance(make_executor("local", 1, None), SerialExecutor)
    assert a.worker_pids() == []  # stopped at the end of the session
    c = make_executor("local", 2, None)
    assert c is not a and not c.keep_open
