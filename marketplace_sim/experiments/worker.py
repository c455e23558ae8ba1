"""One run of a sweep, as a worker sees it: a spec in, a summary out (both small and picklable).

:func:`run_spec` is the worker function every executor runs (top level, so that spawned
processes and Dask can pickle it). It builds the model, reads what it needs before week 1, runs
it with :func:`marketplace_sim.model.simulate.simulate` (the one run loop) and returns a
:class:`RunSummary`. A run that raises is data, not a crash of the sweep: its summary has
``status = "failed"`` and the error in one line.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

#: Testing aid: a comma-separated list of run ids that :func:`run_spec` makes fail on purpose
#: (``MARKETPLACE_SIM_FAIL_RUN=c001-r00 marketplace-sim sweep ...``). Read by the worker.
FAIL_ENV = "MARKETPLACE_SIM_FAIL_RUN"


@dataclass(frozen=True)
class RunSpec:
    """What a worker needs to simulate one run.

    Attributes:
        run_id: the run's id (``c000-r00``).
        config: the run's resolved config (every key, seeds included), as a plain dict.
        record_every: weeks between the rows of the per-step table kept (the final week is
            always kept).
        keep_earnings: also return every freelancer's final earnings (worlds' unpredictability).
        keep_freelancers: also return the run's freelancers table.
    """

    run_id: str
    config: dict[str, Any] = field(repr=False)
    record_every: int = 1
    keep_earnings: bool = False
    keep_freelancers: bool = False


@dataclass(frozen=True)
class RunSummary:
    """What a worker returns for one run.

    Attributes:
        run_id: the run's id.
        status: ``"ok"`` or ``"failed"``.
        error: one line (None if ok).
        traceback: the worker's traceback of a failed run (None if ok or lost).
        steps: ``step`` and the metric columns, one row every ``record_every`` weeks plus the
            final week (None on failure).
        earnings: ``freelancer_id``, ``earnings`` (with ``keep_earnings``; else None).
        freelancers: the freelancers table plus ``prior_jobs`` and ``reputation`` (with
            ``keep_freelancers``; else None).
        wall_seconds: wall time of the run.
        cpu_seconds: CPU time of the run (below the wall time when the CPU was shared).
        worker: ``host:pid`` of the process that ran it (None if lost).
    """

    run_id: str
    status: str
    error: str | None = None
    traceback: str | None = None
    steps: Any = field(default=None, repr=False)
    earnings: Any = field(default=None, repr=False)
    freelancers: Any = field(default=None, repr=False)
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    worker: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the run finished."""
        return self.status == "ok"


def run_spec(spec: RunSpec) -> RunSummary:
    """Simulate one run and return its summary; never raises for a failing run."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        failing = {s.strip() for s in os.environ.get(FAIL_ENV, "").split(",") if s.strip()}
        if spec.run_id in failing:
            raise RuntimeError(f"injected failure ({FAIL_ENV})")
        tables = _simulate(spec)
        status, error, tb = "ok", None, None
    except Exception as exc:  # a failing run is data, not a crash of the sweep
        tables = {}
        status, error, tb = "failed", one_line(exc), traceback.format_exc()
    return RunSummary(
        run_id=spec.run_id,
        status=status,
        error=error,
        traceback=tb,
        wall_seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,  # < wall: the CPU was shared
        worker=worker,
        **tables,
    )


def _simulate(spec: RunSpec) -> dict[str, Any]:
    """Run the spec's world; the tables the spec asks for, by :class:`RunSummary` field.

    A sweep's process runs many worlds: the compiled kernels are loaded with the first
    (``jit.warm_up``, once per process) and used for every world after, whatever its size.
    """
    from marketplace_sim.config import validate_config
    from marketplace_sim.market import jit
    from marketplace_sim.model.marketplace import MarketplaceModel
    from marketplace_sim.model.observation import freelancers_with_prior_and_reputation
    from marketplace_sim.model.simulate import simulate

    jit.warm_up()
    model = simulate(validate_config(spec.config, spec.run_id))
    steps = model.steps_frame()
    every = int(spec.record_every or 1)
    if every > 1 and len(steps):
        step = steps["step"].to_numpy()
        steps = steps[(step % every == 0) | (step == step.max())].reset_index(drop=True)
    out: dict[str, Any] = {"steps": steps}
    if spec.keep_earnings:
        fl = model.freelancers_frame()
        out["earnings"] = fl[["freelancer_id", "earnings"]].reset_index(drop=True)
    if spec.keep_freelancers:  # with the track record brought from before week 1
        out["freelancers"] = (
            freelancers_with_prior_and_reputation(model)
            if isinstance(model, MarketplaceModel)
            else model.freelancers_frame()  # a docking world's: prior_jobs, reputation included
        )
    return out


def failed_summary(spec: RunSpec, error: str) -> RunSummary:
    """The summary of a run lost outside :func:`run_spec` (a dead worker, a lost Dask task)."""
    return RunSummary(run_id=spec.run_id, status="failed", error=error)


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
