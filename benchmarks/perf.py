"""Timing helpers shared by the benchmark suite (``benchmarks/bench.py``) and the CI guard.

Two workloads:

- ``run_market``: the baseline world (``configs/baseline.toml``) scaled to ``n`` freelancers,
  clients, entry rates and all in the baseline's proportions (2000 freelancers : 500 clients,
  10 : 2.5 entrants a week), run for ``weeks`` weeks. It reports the time of the weekly steps,
  of data collection inside them (``model.collect``: metrics + Mesa DataCollector) and of the
  agent set-up, and the freelancer-weeks simulated (active freelancers summed over weeks).
- ``run_boltzmann``: Mesa's own Boltzmann wealth example (``mesa.examples.basic``) at ``n``
  agents, the machine-independent yardstick: our freelancer-weeks/s divided by its
  agent-steps/s is comparable across machines.
"""

from __future__ import annotations

import gc
import resource
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASE_FREELANCERS = 2000  # configs/baseline.toml
BASE_CLIENTS = 500
BASE_ENTRY = 10.0
BASE_CLIENT_ENTRY = 2.5


def scaled_overrides(n: int, weeks: int, record_contracts: bool = True) -> dict[str, Any]:
    """Config overrides that scale the baseline world to ``n`` freelancers."""
    k = n / BASE_FREELANCERS
    return {
        "market.freelancers": int(n),
        "market.clients": max(1, round(BASE_CLIENTS * k)),
        "market.entry_rate": BASE_ENTRY * k,
        "market.client_entry_rate": BASE_CLIENT_ENTRY * k,
        "run.steps": int(weeks),
        "run.record_contracts": bool(record_contracts),
    }


def warm_up() -> float:
    """Load the compiled kernels (numba import, code from its disk cache) before any timing.

    A long-lived process (a sweep or fit worker) pays this once; the throughput figures are
    of the weeks that follow. Returns the seconds it took (0 without the kernels).
    """
    from marketplace_sim.config import load_config
    from marketplace_sim.model.marketplace import MarketplaceModel

    try:
        from marketplace_sim.market import jit
    except ImportError:  # code from before the kernels (measuring it side by side)
        return 0.0
    t0 = time.perf_counter()
    jit.warm_up()
    model = MarketplaceModel(load_config(ROOT / "configs" / "smoke.toml", {"run.steps": 3}))
    if not getattr(model, "compiled", False):
        return 0.0
    for _ in range(3):
        model.step()
    return time.perf_counter() - t0


def run_market(
    n: int,
    weeks: int,
    *,
    record_contracts: bool = True,
    frames: bool = False,
    config: str = "baseline.toml",
) -> dict[str, float]:
    """Build and run the scaled world (``configs/<config>``); return timings (seconds), counts.

    Data collection is timed by wrapping the model's ``collect`` method on the instance, which
    ``step`` calls; the behaviour of the run is unchanged. The compiled kernels are loaded
    first (:func:`warm_up`, reported as ``jit_s``), unless ``MARKETPLACE_SIM_NUMBA=0``.
    """
    from marketplace_sim.config import load_config
    from marketplace_sim.model.marketplace import MarketplaceModel

    jit_s = warm_up()
    cfg = load_config(ROOT / "configs" / config, scaled_overrides(n, weeks, record_contracts))
    gc.collect()
    t0 = time.perf_counter()
    c0 = time.process_time()
    model = MarketplaceModel(cfg)
    t_init = time.perf_counter() - t0

    collect_time = 0.0
    inner = model.collect

    def timed_collect() -> None:
        nonlocal collect_time
        s = time.perf_counter()
        inner()
        collect_time += time.perf_counter() - s

    model.collect = timed_collect  # type: ignore[method-assign]
    fl_weeks = 0
    t_run = 0.0
    cpu_run = 0.0
    for _ in range(weeks):
        s = time.perf_counter()
        c = time.process_time()
        model.step()
        cpu_run += time.process_time() - c
        t_run += time.perf_counter() - s
        fl_weeks += int(model.freelancers.col("active").sum())  # untimed: not the model's work
    cpu = time.process_time() - c0
    out = {
        "n": n,
        "weeks": weeks,
        "config": config,
        "compiled": bool(getattr(model, "compiled", False)),
        "jit_s": jit_s,
        "record_contracts": record_contracts,
        "init_s": t_init,
        "run_s": t_run,
        "collect_s": collect_time,
        "freelancer_weeks": fl_weeks,
        "cpu_s": cpu,
        "cpu_run_s": cpu_run,
        "freelancers_ever": model.freelancers.n,
        "peak_run_gib": peak_gib(),
    }
    if frames:
        t2 = time.perf_counter()
        model.steps_frame()
        model.freelancers_frame()
        if record_contracts:
            out["contracts"] = len(model.contracts_frame())
        out["frames_s"] = time.perf_counter() - t2
    return out


def peak_gib() -> float:
    """Peak resident memory of this process so far (GiB; Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run_boltzmann(n: int = 10_000, steps: int = 20, seed: int = 42) -> dict[str, float]:
    """Time Mesa's Boltzmann wealth example: ``n`` agents (default 10x10 grid) for ``steps``."""
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    gc.collect()
    model = BoltzmannWealth(BoltzmannScenario(n=n, rng=seed))
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(steps):
        model.step()
    t = time.perf_counter() - t0
    c = time.process_time() - c0
    return {
        "n": n,
        "steps": steps,
        "run_s": t,
        "cpu_s": c,
        "agent_steps_per_s": n * steps / t,
        "agent_steps_per_cpu_s": n * steps / c,
    }


# ------------------------------------------------------------------------------------------
# The CI guard: a small run against the Boltzmann example, in one process

REFERENCE = Path(__file__).resolve().parent / "reference.json"
GUARD_N, GUARD_WEEKS = 5_000, 30
#: the small-world case: calibration-scale worlds, where a week's fixed costs dominate
GUARD_SMALL_N, GUARD_SMALL_WEEKS = 2_000, 60
GUARD_BOLTZMANN_N, GUARD_BOLTZMANN_STEPS = 10_000, 10


def guard_ratio(
    repeats: int = 3, n: int = GUARD_N, weeks: int = GUARD_WEEKS, slowdown: float = 0.0
) -> dict[str, float]:
    """Freelancer-weeks per CPU second of an ``n`` x ``weeks`` run (baseline proportions)
    over Boltzmann's agent-steps per CPU second (10k agents x 10 steps): best of ``repeats``
    each, runs interleaved.

    CPU time (``time.process_time``) rather than wall time, so that other processes sharing the
    machine slow neither side; best-of so that a hiccup counts only if it hits every repeat.
    The compiled kernels are loaded first (:func:`warm_up`). ``slowdown`` (a factor, e.g. 2.0)
    burns that many times each week's CPU time again after the week: how the guard is shown
    to catch a slower model.
    """
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    from marketplace_sim.config import load_config
    from marketplace_sim.model.marketplace import MarketplaceModel

    warm_up()
    cfg = load_config(
        ROOT / "configs" / "baseline.toml", scaled_overrides(n, weeks, record_contracts=True)
    )
    ours: list[float] = []
    theirs: list[float] = []
    for i in range(repeats):
        gc.collect()
        model = MarketplaceModel(cfg)
        fl_weeks = 0
        cpu = 0.0
        for _ in range(weeks):
            c = time.process_time()
            model.step()
            if slowdown:
                _burn((time.process_time() - c) * slowdown)
            cpu += time.process_time() - c
            fl_weeks += int(model.freelancers.col("active").sum())
        ours.append(fl_weeks / cpu)
        gc.collect()
        bw = BoltzmannWealth(BoltzmannScenario(n=GUARD_BOLTZMANN_N, rng=42 + i))
        c = time.process_time()
        for _ in range(GUARD_BOLTZMANN_STEPS):
            bw.step()
        theirs.append(GUARD_BOLTZMANN_N * GUARD_BOLTZMANN_STEPS / (time.process_time() - c))
    return {
        "freelancer_weeks_per_cpu_s": max(ours),
        "boltzmann_agent_steps_per_cpu_s": max(theirs),
        "ratio": max(ours) / max(theirs),
    }


def _burn(seconds: float) -> None:
    """Busy CPU for ``seconds`` of process time (the guard's slowdown hook)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
