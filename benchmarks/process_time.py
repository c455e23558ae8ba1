"""The whole process of one run: `marketplace-sim run configs/baseline.toml`, start-up included.

Times the command as a user runs it (a fresh interpreter: imports, config, set-up, the weeks,
the tables, Parquet, the manifest and, unless ``--no-figures``, the four figures), with and
without figures, for this checkout and, with ``--before PATH``, another checkout of the
package (``git worktree add /tmp/before <commit>``) run with the same interpreter. Variants
alternate within each round (the order flips every round), so a burst of load from other
programs hits both alike; medians of ``--repeat`` rounds, wall and CPU seconds (the child's
user + system time, which the load disturbs less), and the load average.

    .venv/bin/python benchmarks/process_time.py --repeat 5
    .venv/bin/python benchmarks/process_time.py --before /work/wt/before --repeat 5
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(src: Path, out: Path, figures: bool, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `marketplace-sim run` with the package at ``src``."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "marketplace_sim", "run", str(src / "configs" / "baseline.toml")]
    cmd += ["--out", str(out), "--quiet"] + ([] if figures else ["--no-figures"])
    k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(  # cwd: `python -m` puts it first on sys.path, before PYTHONPATH
        cmd,
        env={**env, "PYTHONPATH": str(src)},
        cwd=out.parent,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", type=Path, default=None, help="another checkout to compare")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--numba", choices=["auto", "0", "1"], default="auto")
    args = p.parse_args()
    env = dict(os.environ)
    if args.numba != "auto":
        env["MARKETPLACE_SIM_NUMBA"] = args.numba
    variants = {"this": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    times: dict[tuple[str, bool], list[tuple[float, float]]] = {}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            order = list(variants.items())
            for figures in (False, True):
                for name, src in order if r % 2 == 0 else order[::-1]:
                    t = run_once(src, Path(tmp) / name, figures, env)
                    times.setdefault((name, figures), []).append(t)
                    loads.append(os.getloadavg()[0])
    for (name, figures), v in times.items():
        print(
            f"{name:6} {'figures' if figures else 'no figures':10}  "
            f"wall {statistics.median(w for w, _ in v):5.2f} s  "
            f"CPU {statistics.median(c for _, c in v):5.2f} s   "
            f"(walls {' '.join(f'{w:.2f}' for w, _ in v)}; "
            f"CPU {' '.join(f'{c:.2f}' for _, c in v)})"
        )
    if args.before:
        for figures in (False, True):
            b, a = times[("before", figures)], times[("this", figures)]
            wall = statistics.median(w for w, _ in b) / statistics.median(w for w, _ in a)
            cpu = statistics.median(c for _, c in b) / statistics.median(c for _, c in a)
            print(f"{'figures' if figures else 'no figures'}: {wall:.2f}x wall, {cpu:.2f}x CPU")
    print(f"load average: {min(loads):.1f}-{max(loads):.1f}")


if __name__ == "__main__":
    main()
