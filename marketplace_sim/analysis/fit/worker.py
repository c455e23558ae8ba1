"""One simulation of a fit, as a worker sees it: a world in, its profile statistics out.

:func:`simulate_candidate` is the function the executors run (top level, so that spawned
processes and Dask can pickle it). It builds the world, runs it with
:func:`marketplace_sim.model.simulate.simulate` (the one run loop), takes the snapshot of the
listed profiles (:func:`marketplace_sim.model.snapshot.profiles_snapshot`) and returns their
statistics (:func:`marketplace_sim.analysis.compare.profile_statistics`): the same code that
measures the observed file. A world that raises is data (``status = "failed"``), not a crash.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

#: Testing aid: comma-separated candidate ids that :func:`simulate_candidate` fails on purpose.
FAIL_ENV = "MARKETPLACE_SIM_FAIL_FIT"


def simulate_candidate(spec: dict[str, Any]) -> dict[str, Any]:
    """Simulate one world and return its statistics (never raises for a failing world).

    Args:
        spec: ``id`` (the candidate's id), ``config`` (a resolved config dict, seeds set) and
            ``keep_profiles`` (also return the snapshot frame, for the fitted world's check).

    Returns:
        ``id``, ``status`` (``"ok"`` or ``"failed"``), ``error``, ``stats`` (statistic ->
        value, NaN where undefined), ``listed`` (profiles listed at the last week),
        ``profiles`` (the snapshot, with ``keep_profiles``), ``wall_seconds``,
        ``cpu_seconds`` and ``worker``.
    """
    from marketplace_sim.analysis.compare import profile_statistics
    from marketplace_sim.config import validate_config
    from marketplace_sim.model.simulate import simulate
    from marketplace_sim.model.snapshot import profiles_snapshot

    started, cpu = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {"id": spec["id"], "status": "ok", "error": None, "stats": None}
    out["listed"], out["profiles"] = 0, None
    try:
        failing = {s.strip() for s in os.environ.get(FAIL_ENV, "").split(",") if s.strip()}
        if spec["id"] in failing:
            raise RuntimeError(f"injected failure ({FAIL_ENV})")
        model = simulate(validate_config(spec["config"], str(spec["id"])))
        profiles = profiles_snapshot(model)
        out["stats"] = {k: float(v) for k, v in profile_statistics(profiles).items()}
        out["listed"] = len(profiles)
        if spec.get("keep_profiles"):
            out["profiles"] = profiles
    except Exception as exc:  # a failing world is data: infinitely far from the data
        out["status"], out["error"] = "failed", f"{type(exc).__name__}: {exc}"
    out["wall_seconds"] = round(time.perf_counter() - started, 4)
    out["cpu_seconds"] = round(time.process_time() - cpu, 4)
    out["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return out


def lost_candidate(spec: Any, message: str) -> dict[str, Any]:
    """The result of a simulation whose worker died or whose Dask task was lost."""
    return {
        "id": spec["id"],
        "status": "lost",
        "error": message,
        "stats": None,
        "listed": 0,
        "profiles": None,
        "wall_seconds": 0.0,
        "cpu_seconds": 0.0,
        "worker": None,
    }
