"""The search's two heaviest compiled loops on synthetic pools: cross-pool rounds and utilities.

Times ``kernels_hire.cross_rounds`` (rejection rounds over a pool's cumulative cross weights,
with its guide table) at three pool sizes, and ``kernels_hire.utilities`` over 960,000
(job, applicant) pairs of a 1M-freelancer market, each the best of a few calls, and prints a
checksum of their outputs and of the generator's state after, so two checkouts can be
compared for speed and for identical answers (docs/performance.md, round 7):

    PYTHONPATH=/path/to/other/checkout .venv/bin/python benchmarks/kernel_loops.py
    .venv/bin/python benchmarks/kernel_loops.py

The pools are random but fixed (seeded): 12 niches, 80 % of rows with weight, 30 % of the
slots drawn from the cross pool. Needs numba.
"""

from __future__ import annotations

import os
import time
import zlib
from typing import Any

import numpy as np

os.environ["MARKETPLACE_SIM_NUMBA"] = "1"

from marketplace_sim.market import jit  # noqa: E402  (after the switch above)

jit.warm_up()

import numba  # noqa: E402

from marketplace_sim.market import kernels_hire  # noqa: E402
from marketplace_sim.market.jit_rng import generator  # noqa: E402

try:
    from marketplace_sim.market.kernels_guide import guide_table
except ImportError:  # a checkout before round 7 (the table was in kernels.py)
    from marketplace_sim.market.kernels import guide_table  # type: ignore[attr-defined,no-redef]


@numba.njit
def _cross(rng_at: Any, todo: Any, k: Any, cum: Any, total: float, *rest: Any) -> Any:
    """``cross_rounds`` drawing from the generator at ``rng_at`` (as the hiring kernel does)."""
    return kernels_hire.cross_rounds(generator(rng_at), todo, k, cum, total, *rest)


@numba.njit
def _utilities(rng_at: Any, *args: Any) -> Any:
    """``utilities`` drawing from the generator at ``rng_at``."""
    return kernels_hire.utilities(generator(rng_at), *args)


def crc(*arrays: Any) -> int:
    """One checksum of the arrays' bytes (and strings)."""
    out = 0
    for a in arrays:
        out = zlib.crc32(a.tobytes() if hasattr(a, "tobytes") else str(a).encode(), out)
    return out


def cross_rounds(rows: int, draws: int, repeat: int = 3) -> tuple[float, int]:
    """Best seconds of one ``cross_rounds`` call, and the checksum of its results."""
    r = np.random.default_rng(0)
    niche = np.sort(r.integers(0, 12, rows)).astype(np.int16)
    cum = np.cumsum(r.random(rows) * (r.random(rows) < 0.8))
    k = r.integers(0, 12, draws).astype(np.int64)
    todo = np.sort(r.choice(draws, draws * 3 // 10, replace=False)).astype(np.int64)
    guide = guide_table(cum)
    calls = max(1, 2_000_000 // draws)
    best, check = np.inf, 0
    for _ in range(repeat):
        g = np.random.default_rng(5)
        at = jit.generator_addresses(g)
        pos = np.zeros(draws, dtype=np.int64)
        left = todo.copy()
        t0 = time.perf_counter()
        for _ in range(calls):
            left[:] = todo
            out = _cross(at, left, k, cum, cum[-1], niche, pos, guide)
        best = min(best, (time.perf_counter() - t0) / calls)
        check = crc(pos, out, g.bit_generator.state)
    return best, check


def utilities(repeat: int = 5) -> tuple[float, int]:
    """Best seconds of one ``utilities`` call over 960,000 pairs, and its checksum."""
    r = np.random.default_rng(0)
    n_fl, n_cl, n_jobs, n_pairs = 1_000_000, 250_000, 100_000, 960_000
    job = np.sort(r.integers(0, n_jobs, n_pairs))
    cand = r.integers(0, n_fl, n_pairs)
    jobs = (r.integers(0, 12, n_jobs), np.sort(r.integers(0, n_cl, n_jobs)))
    fl = (
        r.integers(0, 12, n_fl),
        r.random(n_fl),
        r.random(n_fl) * 50,
        r.random(n_fl),
        r.random(n_fl),
        r.random(n_fl),
        r.standard_normal(n_fl),
        r.integers(0, 50, n_fl),
    )
    cl = tuple(r.random(n_cl) for _ in range(5))
    rep = r.random(n_fl)
    par = np.array([0.3, 0.0, 30.0, 1.0, 1.0, 0.5, 0.5, 0.5, 1.0, 0.0, 0.0, 0.5, 0.0])
    best, check = np.inf, 0
    for _ in range(repeat):
        g = np.random.default_rng(3)
        at = jit.generator_addresses(g)
        t0 = time.perf_counter()
        u = _utilities(at, job, cand, jobs, rep, fl, cl, par)
        best = min(best, time.perf_counter() - t0)
        check = crc(u, g.bit_generator.state)
    return best, check


def main() -> None:
    print(f"# kernels from {os.path.dirname(kernels_hire.__file__)}")
    for rows, draws in ((1_264, 1_600), (20_000, 20_000), (600_000, 800_000)):
        s, check = cross_rounds(rows, draws)
        print(f"cross_rounds  {rows:>8,} rows {draws:>8,} slots  {s * 1e6:10.1f} us  crc {check}")
    s, check = utilities()
    print(f"utilities     960,000 pairs, 1M freelancers  {s * 1e3:10.1f} ms  crc {check}")


if __name__ == "__main__":
    main()
