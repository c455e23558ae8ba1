"""Executors: run a sweep's runs in this process, in a local process pool, or on Dask.

Every executor takes an iterable of *run specs* (plain dicts: the resolved config and the run's
ids, see :func:`run_spec`) and yields ``(spec, summary)`` pairs as runs finish, in completion
order. The driver (``experiment.py``) writes each summary to disk as it arrives, so nothing here
keeps results: at most a few runs per worker are in flight at any time, which keeps memory flat
however many runs a sweep has.

A run that raises is not an executor error: :func:`run_spec` catches it and returns a summary
with ``status = "failed"``. A worker process that dies (killed, out of memory) or a Dask task
that is lost is turned into a failed summary for the runs that were in flight, and the sweep
goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from marketplace_sim.errors import ConfigError

#: Testing aid: a comma-separated list of run ids that :func:`run_spec` makes fail on purpose
#: (``MARKETPLACE_SIM_FAIL_RUN=c001-r00 marketplace-sim sweep ...``). Read by the worker.
FAIL_ENV = "MARKETPLACE_SIM_FAIL_RUN"
IN_FLIGHT_PER_WORKER = 2  # runs submitted ahead per worker: keeps workers busy, memory bounded

RunSummary = dict[str, Any]
RunSpec = dict[str, Any]


# --------------------------------------------------------------------------------------------
# The worker function


def run_spec(spec: RunSpec) -> RunSummary:
    """Simulate one run and return a small summary (top level, so spawn and Dask can pickle it).

    Args:
        spec: ``run_id`` (str), ``config`` (a resolved config dict, every key),
            ``record_every`` (int, weeks between kept rows of the per-step table) and
            ``keep_earnings`` (bool: also return every freelancer's final earnings, for
            the unpredictability of worlds) and ``keep_freelancers`` (bool: also return the
            run's freelancers table).

    Returns:
        A dict with ``run_id``, ``status`` (``"ok"`` or ``"failed"``), ``error`` (one line, or
        None), ``traceback`` (or None), ``steps`` (DataFrame: ``step`` and the metric columns,
        one row every ``record_every`` weeks plus the final week; None on failure),
        ``earnings`` (DataFrame ``freelancer_id``, ``earnings``, or None), ``freelancers``
        (or None: ``model.freelancers_frame()`` plus ``prior_jobs``, the jobs a freelancer
        brought from before week 1 (``market.prior_jobs_mean``), and ``reputation``, the final
        reputation index clients and search see), ``wall_seconds``,
        ``cpu_seconds`` and ``worker`` (host:pid). Never raises for a failing run.
    """
    started = time.perf_counter()
    cpu_started = time.process_time()
    run_id = str(spec["run_id"])
    summary: RunSummary = {
        "run_id": run_id,
        "status": "ok",
        "error": None,
        "traceback": None,
        "steps": None,
        "earnings": None,
        "freelancers": None,
        "wall_seconds": 0.0,
        "cpu_seconds": 0.0,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    try:
        failing = {s.strip() for s in os.environ.get(FAIL_ENV, "").split(",") if s.strip()}
        if run_id in failing:
            raise RuntimeError(f"injected failure ({FAIL_ENV})")
        from marketplace_sim.config import validate_config
        from marketplace_sim.model.simulate import build_model, simulate

        cfg = validate_config(spec["config"], run_id)
        model = build_model(cfg)  # ours, or a docking world's peer model
        keep_freelancers = bool(spec.get("keep_freelancers"))
        if keep_freelancers:  # the track record brought from before week 1
            start = model.freelancers_frame()[["freelancer_id", "hires"]]
        simulate(model)
        steps = model.steps_frame()
        every = int(spec.get("record_every") or 1)
        if every > 1 and len(steps):
            step = steps["step"].to_numpy()
            steps = steps[(step % every == 0) | (step == step.max())].reset_index(drop=True)
        summary["steps"] = steps
        if spec.get("keep_earnings"):
            fl = model.freelancers_frame()
            summary["earnings"] = fl[["freelancer_id", "earnings"]].reset_index(drop=True)
        if keep_freelancers:
            summary["freelancers"] = with_prior_and_reputation(model, start)
    except Exception as exc:  # a failing run is data, not a crash of the sweep
        summary.update(status="failed", error=_one_line(exc), traceback=traceback.format_exc())
    summary["wall_seconds"] = time.perf_counter() - started
    summary["cpu_seconds"] = time.process_time() - cpu_started  # < wall: the CPU was shared
    return summary


def failed_summary(spec: RunSpec, error: str) -> RunSummary:
    """The summary of a run lost outside :func:`run_spec` (a dead worker, a lost Dask task)."""
    return {
        "run_id": str(spec["run_id"]),
        "status": "failed",
        "error": error,
        "traceback": None,
        "steps": None,
        "earnings": None,
        "freelancers": None,
        "wall_seconds": 0.0,
        "worker": None,
    }


def with_prior_and_reputation(model: Any, start: Any) -> Any:
    """``model.freelancers_frame()`` with ``prior_jobs`` and ``reputation`` added.

    Args:
        model: a ``MarketplaceModel`` at the end of its run.
        start: ``freelancer_id`` and ``hires`` of the freelancers present before week 1.
    """
    import numpy as np

    fl = model.freelancers_frame()
    prior = dict(zip(start["freelancer_id"].tolist(), start["hires"].tolist(), strict=True))
    fl["prior_jobs"] = np.array(
        [prior.get(i, 0) for i in fl["freelancer_id"].tolist()], dtype=np.int64
    )
    fl["reputation"] = np.asarray(model.reputation(), dtype=np.float64)[: len(fl)]
    return fl.reset_index(drop=True)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _init_worker() -> None:
    """Pool worker start-up: leave Ctrl-C to the driver, and import the model once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import marketplace_sim.model.marketplace  # noqa: F401  (pays the Mesa import before the first run)


def default_workers() -> int:
    """The CPUs this process may use (all cores unless restricted by affinity or cgroups)."""
    count = getattr(os, "process_cpu_count", None)
    if count is not None:
        n = count()
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - macOS, Windows
        n = os.cpu_count()
    return max(1, n or 1)


# --------------------------------------------------------------------------------------------
# Executors


class Executor(Protocol):
    """Runs specs and yields ``(spec, summary)`` pairs in completion order."""

    description: str

    def imap_unordered(
        self, fn: Callable[[RunSpec], RunSummary], specs: Iterable[RunSpec]
    ) -> Iterator[tuple[RunSpec, RunSummary]]:
        """Run ``fn`` on every spec; yield each result as soon as it is ready."""
        ...

    def close(self) -> None:
        """Release workers and connections."""
        ...


class SerialExecutor:
    """One worker: runs in this process, one after the other (no start-up cost)."""

    description = "1 worker (this process)"

    def imap_unordered(
        self, fn: Callable[[RunSpec], RunSummary], specs: Iterable[RunSpec]
    ) -> Iterator[tuple[RunSpec, RunSummary]]:
        """Run the specs in order."""
        for spec in specs:
            yield spec, fn(spec)

    def close(self) -> None:
        """Nothing to release."""


class LocalExecutor:
    """A pool of ``workers`` spawned processes on this machine (``concurrent.futures``).

    Processes are started with ``spawn`` (never ``fork``), so runs behave the same on Linux,
    macOS and Windows and no thread or lock of the driver leaks into a worker. If a worker dies,
    the runs in flight are reported as failed and a fresh pool carries on with the rest.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"{workers} local worker processes"

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
        )

    def imap_unordered(
        self, fn: Callable[[RunSpec], RunSummary], specs: Iterable[RunSpec]
    ) -> Iterator[tuple[RunSpec, RunSummary]]:
        """Run the specs in the pool, a bounded number in flight; yield as they finish."""
        todo = iter(specs)
        limit = IN_FLIGHT_PER_WORKER * self.workers
        pool = self._new_pool()
        pending: dict[cf.Future[RunSummary], RunSpec] = {}
        try:
            while True:
                while len(pending) < limit:
                    spec = next(todo, None)
                    if spec is None:
                        break
                    pending[pool.submit(fn, spec)] = spec
                if not pending:
                    return
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                broken = False
                for fut in done:
                    spec = pending.pop(fut)
                    try:
                        summary = fut.result()
                    except cf.process.BrokenProcessPool:
                        broken = True
                        summary = failed_summary(
                            spec,
                            "worker process died while this run was in flight "
                            "(killed, or out of memory?)",
                        )
                    except Exception as exc:  # e.g. a spec that cannot be pickled
                        summary = failed_summary(spec, _one_line(exc))
                    yield spec, summary
                if broken:
                    for fut, spec in list(pending.items()):
                        del pending[fut]
                        yield (
                            spec,
                            failed_summary(
                                spec,
                                "worker process died while this run was in flight "
                                "(killed, or out of memory?)",
                            ),
                        )
                    _stop_pool(pool)
                    pool = self._new_pool()
        finally:
            _stop_pool(pool)

    def close(self) -> None:
        """Pools are closed by :meth:`imap_unordered` itself."""


def _stop_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Shut a pool down now: cancel queued runs and stop the workers still running one."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:  # Python < 3.14 has no public terminate_workers()
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=5)


class DaskExecutor:
    """Runs on Dask distributed: a local cluster, or an existing scheduler at ``address``.

    Without an address, starts ``LocalCluster(n_workers=workers, threads_per_worker=1,
    processes=True)`` (one single-threaded process per worker: the model is pure Python and
    numpy, so threads would contend for the GIL). With an address, connects to a running
    scheduler whose workers have marketplace-sim installed (the same version).
    """

    def __init__(self, workers: int, address: str | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError(
                "--executor",
                "dask",
                "Dask is not installed: pip install 'marketplace-sim[dask]'",
            ) from None
        self.cluster = None
        if address:
            try:
                self.client = Client(address, timeout="15s")
            except (OSError, TimeoutError) as exc:
                raise ConfigError(
                    "--address", address, f"cannot connect to a Dask scheduler: {_one_line(exc)}"
                ) from None
            self.description = f"Dask scheduler {address}"
            self._check_workers()
        else:
            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
            self.description = f"Dask local cluster, {workers} worker processes"

    def _check_workers(self) -> None:
        """Refuse workers that cannot import marketplace-sim; warn about another version."""
        from marketplace_sim.version import __version__

        try:
            versions = self.client.run(_worker_version)
        except Exception as exc:
            self.close()
            raise ConfigError(
                "--address", None, f"Dask workers cannot run marketplace-sim: {_one_line(exc)}"
            ) from None
        other = {v for v in versions.values() if v != __version__}
        if other:
            print(
                f"warning: Dask workers run marketplace-sim {sorted(other)}, this is {__version__}",
                file=sys.stderr,
            )

    def _limit(self) -> int:
        threads = sum(self.client.nthreads().values())
        return max(4, IN_FLIGHT_PER_WORKER * threads)

    def imap_unordered(
        self, fn: Callable[[RunSpec], RunSummary], specs: Iterable[RunSpec]
    ) -> Iterator[tuple[RunSpec, RunSummary]]:
        """Submit the specs (a bounded number at a time) and yield results as they complete."""
        from dask.distributed import as_completed

        todo = iter(specs)
        pending: dict[str, RunSpec] = {}
        ac = as_completed()

        def submit_more() -> None:
            limit = self._limit()
            while len(pending) < limit:
                spec = next(todo, None)
                if spec is None:
                    return
                # unique keys: two sweeps on one scheduler must never share a result
                key = f"marketplace-sim-{spec['run_id']}-{uuid.uuid4().hex[:12]}"
                ac.add(self.client.submit(fn, spec, key=key, pure=False))
                pending[key] = spec

        submit_more()
        try:
            for fut in ac:
                spec = pending.pop(fut.key)
                try:
                    summary = fut.result()
                except Exception as exc:  # lost task, killed worker
                    summary = failed_summary(spec, f"Dask: {_one_line(exc)}")
                fut.release()
                yield spec, summary
                submit_more()
        finally:
            for fut in list(ac.futures):
                fut.cancel()

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started one."""
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def _worker_version() -> str:
    from marketplace_sim.version import __version__

    return __version__


def make_executor(kind: str, workers: int | None, address: str | None) -> Executor:
    """Build the executor the command line asked for.

    Args:
        kind: ``"local"`` or ``"dask"``.
        workers: worker processes (default: every core); ignored with a Dask ``address``.
        address: a Dask scheduler, e.g. ``tcp://host:8786`` (only with ``kind="dask"``).

    Raises:
        ConfigError: bad options, Dask not installed, or the scheduler unreachable.
    """
    if workers is not None and workers < 1:
        raise ConfigError("--workers", None, f"must be at least 1, got {workers}")
    if address and kind != "dask":
        raise ConfigError("--address", None, "only with --executor dask")
    n = workers or default_workers()
    if kind == "dask":
        return DaskExecutor(n, address)
    if n == 1:
        return SerialExecutor()
    return LocalExecutor(n)
