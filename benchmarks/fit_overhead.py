"""The fitting workload: how much of a fit's time is spent outside its simulations.

Runs ``marketplace-sim fit`` (``write_fit``: the default fit file, the shipped synthetic
profiles, the baseline world, ``--workers 2`` unless told otherwise) into a temporary folder
and splits its time:

- **simulations**: the seconds each simulation spent inside ``simulate_candidate`` in its
  worker (building the world, the weeks, the snapshot and its statistics), read from the
  records the fit saves (``sims/*/*.json``: ``wall_seconds``, ``cpu_seconds``);
- **capacity**: the fit's wall time x the workers;
- **outside** = 1 - simulations / capacity: what the workers did not spend simulating (pool
  start-up, waiting for the driver, the driver's bookkeeping, saving records, the posterior,
  tables and figures at the end, idle workers at the end of a round).

On a shared machine the workers' simulations and the fit's wall time stretch alike with the
load, so the share moves less than either. The driver's own CPU seconds are printed too.

    .venv/bin/python benchmarks/fit_overhead.py               # the default fit: 1,522 simulations
    .venv/bin/python benchmarks/fit_overhead.py --budget 700     # generation 0 and 2 more
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from marketplace_sim.data import experiments_dir, root
from marketplace_sim.reports.fit import FitOptions, write_fit


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--observed", default=str(root() / "observed" / "synthetic-profiles.csv"))
    p.add_argument("--params", default=str(experiments_dir() / "fit-profiles.toml"))
    p.add_argument("--world", default=None)
    p.add_argument("--budget", type=int, default=None, help="default: the fit file's")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fit"
        print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
        c0 = (_cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN))
        t0 = time.perf_counter()
        opts = FitOptions(world=args.world, budget=args.budget, workers=args.workers)
        write_fit(args.observed, args.params, out, opts)
        wall = time.perf_counter() - t0
        own = _cpu(resource.RUSAGE_SELF) - c0[0]
        kids = _cpu(resource.RUSAGE_CHILDREN) - c0[1]
        recs = [json.loads(f.read_text()) for f in (out / "sims").glob("*/*.json")]
        groups = sorted({f.parent.name for f in (out / "sims").glob("*/*.json")})
        workers = {r["worker"] for r in recs}
    sim_wall = sum(r["wall_seconds"] for r in recs)
    sim_cpu = sum(r["cpu_seconds"] for r in recs)
    capacity = wall * args.workers
    print(f"simulations: {len(recs)} in {len(groups)} rounds ({', '.join(groups)})")
    print(f"worker processes: {len(workers)} (one pool for the whole fit: {args.workers})")
    print(f"fit wall: {wall:.1f} s; capacity (wall x {args.workers} workers): {capacity:.1f} s")
    print(
        f"inside the simulations: {sim_wall:.1f} s wall, {sim_cpu:.1f} CPU s "
        f"(median {statistics.median(r['cpu_seconds'] for r in recs):.3f} CPU s each)"
    )
    print(f"outside the simulations: {100 * (1 - sim_wall / capacity):.1f} % of the capacity")
    print(f"driver CPU: {own:.1f} s; workers' CPU (incl. start-up): {kids:.1f} s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def _cpu(who: int) -> float:
    """CPU seconds of ``who`` (``RUSAGE_SELF``, or ``RUSAGE_CHILDREN``: finished workers)."""
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


if __name__ == "__main__":
    main()
