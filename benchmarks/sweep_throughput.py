"""Sweep throughput: runs per second with 1 and 2 (or more) local workers, and the speed-up.

A fixed experiment (the baseline world, 4 conditions x 4 replications, 520 weeks) is run end to
end through ``run_sweep`` -- pool start-up, part writing and table assembly included, figures
left out -- once per worker count, each into a fresh temporary folder. The tables of every
worker count are checked to be identical.

Two rates are printed: end to end (runs / wall time), and steady state (runs finished per
second after the first one finished, from the parts' finish times): a pool pays a few seconds
of start-up (each spawned worker imports Mesa, pandas and scipy), which long sweeps amortise.
"cpu/wall" is the runs' CPU time over their wall time: below 1, the workers did not get a whole
core each (other programs were using the machine), which caps the speed-up. "CPU s" is the CPU
time of the whole sweep, driver and workers (start-up, runs, parts, tables), which other
programs on a shared machine disturb much less than the wall time; "CPU s/run" is the runs' own
(the workers' ``run.json`` ``cpu_seconds``) per run.

    .venv/bin/python benchmarks/sweep_throughput.py                 # 1 and 2 workers
    .venv/bin/python benchmarks/sweep_throughput.py --workers 1 2 4 --steps 520 --repeat 3

Worker counts are measured in turn, ``--repeat`` times, and the median is reported, so that a
burst of load from other programs hits every worker count alike. On a shared machine the
figures still move with the load: run it when the cores are idle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from marketplace_sim.experiments.design import load_experiment
from marketplace_sim.experiments.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]

EXPERIMENT = """
base = "{base}"

[experiment]
name = "throughput"
replications = {replications}
root_seed = 1
record_every = 4
figures = false

[sweep]
"clients.reputation_weight" = [0.0, 1.0]
"platform.ranking" = ["reputation", "random"]

[set]
"run.steps" = {steps}
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--replications", type=int, default=4)
    p.add_argument("--steps", type=int, default=520)
    p.add_argument("--repeat", type=int, default=1, help="rounds over the worker counts")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        exp_path = Path(tmp) / "throughput.toml"
        exp_path.write_text(
            EXPERIMENT.format(
                base=(ROOT / "configs" / "baseline.toml").as_posix(),
                replications=args.replications,
                steps=args.steps,
            )
        )
        exp = load_experiment(exp_path)
        n = len(exp.runs())
        print(
            f"experiment: baseline world, {args.steps} weeks, {len(exp.conditions)} "
            f"conditions x {exp.replications} replications = {n} runs; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
        )
        walls: dict[int, list[float]] = {w: [] for w in args.workers}
        steady: dict[int, list[float]] = {w: [] for w in args.workers}
        cpu: dict[int, list[float]] = {w: [] for w in args.workers}
        per_run: dict[int, list[float]] = {w: [] for w in args.workers}
        share: dict[int, list[float]] = {w: [] for w in args.workers}
        tables = None
        for rnd in range(args.repeat):
            for w in args.workers:
                out = Path(tmp) / f"w{w}-{rnd}"
                c0 = _cpu()
                t0 = time.perf_counter()
                report = run_sweep(exp, out, workers=w, quiet=True)
                walls[w].append(time.perf_counter() - t0)
                cpu[w].append(_cpu() - c0)
                per_run[w].append(_run_cpu(out) / n)
                assert report.n_failed == 0
                steady[w].append(_steady_rate(out))
                share[w].append(_cpu_share(out))
                these = [
                    (out / f"{t}.parquet").read_bytes() for t in ("runs", "steps", "conditions")
                ]
                assert tables is None or these == tables, "tables differ between worker counts"
                tables = these
        print(
            f"{'workers':>7}  {'wall s':>7}  {'runs/s':>7}  {'speed-up':>8}  "
            f"{'steady runs/s':>13}  {'speed-up':>8}  {'cpu/wall':>8}  {'CPU s':>7}  "
            f"{'CPU s/run':>9}"
        )
        base = statistics.median(walls[args.workers[0]])
        base_steady = statistics.median(steady[args.workers[0]])
        for w in args.workers:
            med = statistics.median(walls[w])
            st = statistics.median(steady[w])
            print(
                f"{w:>7}  {med:>7.2f}  {n / med:>7.2f}  {base / med:>7.2f}x  "
                f"{st:>13.2f}  {st / base_steady:>7.2f}x  "
                f"{statistics.median(share[w]):>8.2f}  {statistics.median(cpu[w]):>7.1f}  "
                f"{statistics.median(per_run[w]):>9.3f}"
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        print("tables identical across worker counts")


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _run_cpu(out: Path) -> float:
    """The runs' own CPU seconds, summed over the parts."""
    return sum(json.loads(p.read_text())["cpu_seconds"] for p in (out / "parts").glob("*/run.json"))


def _cpu_share(out: Path) -> float:
    """CPU seconds over wall seconds of the runs (1: each worker had a core to itself)."""
    recs = [json.loads(p.read_text()) for p in (out / "parts").glob("*/run.json")]
    return sum(r["cpu_seconds"] for r in recs) / sum(r["wall_seconds"] for r in recs)


def _steady_rate(out: Path) -> float:
    """Runs finished per second after the first finished (pool start-up excluded)."""
    done = sorted(
        dt.datetime.fromisoformat(json.loads(p.read_text())["finished_utc"]).timestamp()
        for p in (out / "parts").glob("*/run.json")
    )
    return (len(done) - 1) / (done[-1] - done[0])


if __name__ == "__main__":
    main()
