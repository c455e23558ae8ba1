"""Performance regression guard: the model against Mesa's Boltzmann example, same process.

Two worlds of the baseline's proportions are timed against Mesa's bundled Boltzmann wealth
example (10,000 agents x 10 steps), best of three each, in CPU time: 5,000 freelancers x 30
weeks, and a small world, 2,000 freelancers x 60 weeks, where a week's fixed costs dominate
(calibration, fitting and classroom worlds). The ratio of our freelancer-weeks per second to
its agent-steps per second does not depend on the machine's speed; a change that makes the
model 3x slower drops it below a third of the reference measured on the development machine
(benchmarks/reference.json, see docs/performance.md), and the test fails. Without numba the
model runs its numpy code, and is held to the numpy reference. Re-measure the
reference with ``.venv/bin/python benchmarks/bench.py --guard --write-reference`` after a
deliberate change.
"""

import json
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import perf  # noqa: E402

SLACK = 3.0

CASES = {
    "guard": (perf.GUARD_N, perf.GUARD_WEEKS),
    "guard_small": (perf.GUARD_SMALL_N, perf.GUARD_SMALL_WEEKS),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_model_speed_against_boltzmann_reference(case):
    from marketplace_sim.market import jit

    # the reference of the code that runs here: the compiled kernels, or numpy only
    key = case if jit.enabled() else f"{case}_numpy"
    reference = json.loads(perf.REFERENCE.read_text())[key]["ratio"]
    n, weeks = CASES[case]
    started = time.perf_counter()
    got = perf.guard_ratio(repeats=3, n=n, weeks=weeks)
    elapsed = time.perf_counter() - started
    floor = reference / SLACK
    assert got["ratio"] >= floor, (
        f"the model has slowed down ({n} freelancers x {weeks} weeks): "
        f"{got['freelancer_weeks_per_cpu_s']:,.0f} freelancer-weeks per CPU second is "
        f"{got['ratio']:.2f}x the Boltzmann example's "
        f"{got['boltzmann_agent_steps_per_cpu_s']:,.0f} agent-steps/s; the reference is "
        f"{reference:.2f}x and the floor {floor:.2f}x (reference / {SLACK:g})"
    )
    assert elapsed < 60, f"the guard itself took {elapsed:.0f} s"
