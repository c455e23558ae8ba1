"""Executors: run a worker function over specs in this process, a local process pool, or Dask.

Every executor takes a worker function and an iterable of picklable specs and yields
``(spec, result)`` pairs as they finish, in completion order. Sweeps pass
:func:`~marketplace_sim.experiments.worker.run_spec` over
:class:`~marketplace_sim.experiments.worker.RunSpec` objects; calibration passes its own function
over its own specs. The caller writes each result as it arrives, so nothing here keeps results:
at most a few specs per worker are in flight at any time, which keeps memory flat however many
specs there are.

A spec whose worker process dies (killed, out of memory) or whose Dask task is lost gets the
result ``lost(spec, message)``, and the rest go on. Pool workers watch their parent: if the
driver is killed, even with SIGKILL, they exit within a second instead of lingering as orphans
(the worker processes of a local Dask cluster do so by themselves).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any, Protocol

from marketplace_sim.errors import ConfigError
from marketplace_sim.experiments.worker import (
    FAIL_ENV,
    RunSpec,
    RunSummary,
    failed_summary,
    one_line,
    run_spec,
)

__all__ = [
    "FAIL_ENV",
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "RunSpec",
    "RunSummary",
    "SerialExecutor",
    "check_executor",
    "default_workers",
    "make_executor",
    "run_spec",
    "session",
]

IN_FLIGHT_PER_WORKER = 2  # specs submitted ahead per worker: keeps workers busy, memory bounded
PARENT_POLL_SECONDS = 0.5  # how often a worker checks that its driver is still alive
LOST = "worker process died while this run was in flight (killed, or out of memory?)"

Lost = Callable[[Any, str], Any]


def default_lost(spec: Any, message: str) -> Any:
    """The result of a lost spec: a failed :class:`RunSummary`, or the spec's dict + error."""
    if isinstance(spec, RunSpec):
        return failed_summary(spec, message)
    if isinstance(spec, Mapping):
        return {**spec, "status": "failed", "error": message}
    raise RuntimeError(message)


def _label(spec: Any) -> str:
    if isinstance(spec, RunSpec):
        return spec.run_id
    if isinstance(spec, Mapping):
        return str(spec.get("run_id", "task"))
    return "task"


# --------------------------------------------------------------------------------------------
# Workers watch their parent


def watch_parent(parent_pid: int, poll: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """Start a daemon thread that ends this process once ``parent_pid`` is no longer its parent.

    A killed parent cannot stop its workers (SIGKILL runs no clean-up), and a pool worker
    waiting on its task queue would wait forever: the orphan is re-parented (to init or a
    subreaper), so ``os.getppid()`` changes, which this thread notices.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll)
        os._exit(1)  # no clean-up to do: the driver that wanted the results is gone

    thread = threading.Thread(target=watch, name="marketplace-sim-watch-parent", daemon=True)
    thread.start()
    return thread


def _init_worker(parent_pid: int) -> None:
    """Pool worker start-up: leave Ctrl-C to the driver, watch it, import the model once.

    The worker lives for the whole sweep (or fit), so it also loads the compiled kernels now
    (``jit.warm_up``: numba and the kernels' cached code, when numba is installed), once,
    instead of in the middle of its first run.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent(parent_pid)
    import marketplace_sim.model.marketplace  # noqa: F401  (pays the Mesa import before the first run)
    from marketplace_sim.market import jit

    jit.warm_up()


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
    """Runs specs and yields ``(spec, result)`` pairs in completion order."""

    description: str

    def imap_unordered(
        self, fn: Callable[[Any], Any], specs: Iterable[Any], lost: Lost = default_lost
    ) -> Generator[tuple[Any, Any], None, None]:
        """Run ``fn`` on every spec; yield each result as soon as it is ready."""
        ...

    def close(self) -> None:
        """Release workers and connections."""
        ...


class SerialExecutor:
    """One worker: runs in this process, one after the other (no start-up cost)."""

    description = "1 worker (this process)"

    def imap_unordered(
        self, fn: Callable[[Any], Any], specs: Iterable[Any], lost: Lost = default_lost
    ) -> Generator[tuple[Any, Any], None, None]:
        """Run the specs in order (``lost`` is never needed: nothing runs elsewhere).

        From the second spec on this process is a long-lived worker: the compiled kernels
        are loaded (``jit.warm_up``) and every later world runs compiled.
        """
        for i, spec in enumerate(specs):
            if i == 1:
                from marketplace_sim.market import jit

                jit.warm_up()
            yield spec, fn(spec)

    def close(self) -> None:
        """Nothing to release."""


class LocalExecutor:
    """A pool of ``workers`` spawned processes on this machine (``concurrent.futures``).

    Processes are started with ``spawn`` (never ``fork``), so runs behave the same on Linux,
    macOS and Windows and no thread or lock of the driver leaks into a worker. If a worker dies,
    the specs in flight get ``lost(spec, message)`` and a fresh pool carries on with the rest.

    The pool is persistent: started by the first :meth:`imap_unordered`, it serves every later
    call (a fit's pilot rounds, generations and check, each a call) until :meth:`close`, so the
    workers import the model and load the compiled kernels once per executor, not once per
    call (about a second of two spawned workers' start-up each time). A call left early (an
    exception, Ctrl-C, a caller that stops iterating) stops the pool, as the specs still in
    flight would otherwise run on for nobody; the next call starts a fresh one. Within
    :func:`session`, executors of the same worker count share one pool across sweeps.
    """

    def __init__(self, workers: int, keep_open: bool = False) -> None:
        """A pool of ``workers`` processes; ``keep_open``: :meth:`close` leaves it running."""
        self.workers = workers
        self.description = f"{workers} local worker processes"
        self.keep_open = keep_open
        self._pool: cf.ProcessPoolExecutor | None = None
        self._finalizer: weakref.finalize | None = None

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        from marketplace_sim.market import jit

        if jit.AVAILABLE:  # once here, so that the workers do not race to drop stale kernels
            jit.check_cache()
        return cf.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(os.getpid(),),
        )

    def _get_pool(self) -> cf.ProcessPoolExecutor:
        """The running pool, started if there is none."""
        if self._pool is None:
            self._pool = self._new_pool()
            # an executor dropped without close() still stops its workers
            self._finalizer = weakref.finalize(self, _stop_pool, self._pool)
        return self._pool

    def _drop_pool(self) -> None:
        """Stop the pool now (the next call starts a fresh one)."""
        if self._finalizer is not None:
            self._finalizer()  # calls _stop_pool(pool) once
        self._pool, self._finalizer = None, None

    def worker_pids(self) -> list[int]:
        """The process ids of the pool's workers (empty before the first call)."""
        procs = (getattr(self._pool, "_processes", None) or {}) if self._pool else {}
        return sorted(int(pid) for pid in procs)

    def imap_unordered(
        self, fn: Callable[[Any], Any], specs: Iterable[Any], lost: Lost = default_lost
    ) -> Generator[tuple[Any, Any], None, None]:
        """Run the specs in the pool, a bounded number in flight; yield as they finish."""
        todo = iter(specs)
        limit = IN_FLIGHT_PER_WORKER * self.workers
        pending: dict[cf.Future[Any], Any] = {}
        finished = False
        try:
            while True:
                _fill(self._get_pool(), fn, todo, pending, limit)
                if not pending:
                    finished = True
                    return
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                broken = False
                for fut in done:
                    spec = pending.pop(fut)
                    try:
                        result = fut.result()
                    except cf.process.BrokenProcessPool:
                        broken = True
                        result = lost(spec, LOST)
                    except Exception as exc:  # e.g. a spec that cannot be pickled
                        result = lost(spec, one_line(exc))
                    yield spec, result
                if broken:
                    for fut, spec in list(pending.items()):
                        del pending[fut]
                        yield spec, lost(spec, LOST)
                    self._drop_pool()
        finally:
            if not finished:  # left early: nobody wants what is still in flight
                self._drop_pool()

    def close(self) -> None:
        """Stop the pool's workers (unless a :func:`session` keeps the pool open)."""
        if not self.keep_open:
            self._drop_pool()


def _fill(
    pool: cf.ProcessPoolExecutor,
    fn: Callable[[Any], Any],
    todo: Iterator[Any],
    pending: dict[cf.Future[Any], Any],
    limit: int,
) -> None:
    """Submit specs until ``limit`` are in flight or none are left."""
    while len(pending) < limit:
        spec = next(todo, None)
        if spec is None:
            return
        pending[pool.submit(fn, spec)] = spec


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
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if address:
            try:
                self.client = Client(address, timeout="15s")
            except (OSError, TimeoutError) as exc:
                raise ConfigError(
                    "--address", address, f"cannot connect to a Dask scheduler: {one_line(exc)}"
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
                "--address", None, f"Dask workers cannot run marketplace-sim: {one_line(exc)}"
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
        self, fn: Callable[[Any], Any], specs: Iterable[Any], lost: Lost = default_lost
    ) -> Generator[tuple[Any, Any], None, None]:
        """Submit the specs (a bounded number at a time) and yield results as they complete."""
        from dask.distributed import as_completed

        todo = iter(specs)
        pending: dict[str, Any] = {}
        ac = as_completed()

        def submit_more() -> None:
            limit = self._limit()
            while len(pending) < limit:
                spec = next(todo, None)
                if spec is None:
                    return
                # unique keys: two sweeps on one scheduler must never share a result
                key = f"marketplace-sim-{_label(spec)}-{uuid.uuid4().hex[:12]}"
                ac.add(self.client.submit(fn, spec, key=key, pure=False))
                pending[key] = spec

        submit_more()
        try:
            for fut in ac:
                spec = pending.pop(fut.key)
                try:
                    result = fut.result()
                except Exception as exc:  # lost task, killed worker
                    result = lost(spec, f"Dask: {one_line(exc)}")
                fut.release()
                yield spec, result
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


def check_executor(kind: str, workers: int | None, address: str | None) -> None:
    """Refuse bad executor options before anything is started or written.

    Raises:
        ConfigError: ``--workers`` below 1, ``--address`` without Dask, Dask not installed.
    """
    if workers is not None and workers < 1:
        raise ConfigError("--workers", None, f"must be at least 1, got {workers}")
    if address and kind != "dask":
        raise ConfigError("--address", None, "only with --executor dask")
    if kind == "dask":
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise ConfigError(
                "--executor",
                "dask",
                "Dask is not installed: pip install 'marketplace-sim[dask]'",
            ) from None


def make_executor(kind: str, workers: int | None, address: str | None) -> Executor:
    """Build the executor the command line asked for.

    Args:
        kind: ``"local"`` or ``"dask"``.
        workers: worker processes (default: every core); ignored with a Dask ``address``.
        address: a Dask scheduler, e.g. ``tcp://host:8786`` (only with ``kind="dask"``).

    Raises:
        ConfigError: bad options, Dask not installed, or the scheduler unreachable.
    """
    check_executor(kind, workers, address)
    n = workers or default_workers()
    if kind == "dask":
        return DaskExecutor(n, address)
    if n == 1:
        return SerialExecutor()
    if _SESSION is not None:  # one pool per worker count for the whole session
        if n not in _SESSION:
            _SESSION[n] = LocalExecutor(n, keep_open=True)
        return _SESSION[n]
    return LocalExecutor(n)


_SESSION: dict[int, LocalExecutor] | None = None


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Share local worker pools across every sweep or fit started inside the block.

    ``findings`` runs a dozen sweeps one after the other; without a session each starts its
    own pool (two spawned workers importing the model and loading the kernels: about a
    second of both cores each time). Inside the block, :func:`make_executor` returns the same
    :class:`LocalExecutor` for the same worker count, whose :meth:`~LocalExecutor.close`
    leaves the pool running; the pools are stopped when the block ends. Nested blocks share
    the outermost session. Results do not depend on it: a run's result depends on its spec
    alone, not on the process that ran it.
    """
    global _SESSION
    if _SESSION is not None:
        yield
        return
    _SESSION = {}
    try:
        yield
    finally:
        pools, _SESSION = _SESSION, None
        for ex in pools.values():
            ex.keep_open = False
            ex.close()
