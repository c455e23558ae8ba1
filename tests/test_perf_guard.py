"""Performance regression guard: the model against Mesa's Boltzmann example, same process.

A run of 5,000 freelancers x 30 weeks of the baseline world is timed against Mesa's bundled
Boltzmann wealth example (10,000 agents x 10 steps), best of three each, in CPU time. The
ratio of our freelancer-weeks per second to its agent-steps per second does not depend on
the machine's speed; a change that makes the model 3x slower drops it below a third of the
reference measured on the development machine (benchmarks/reference.json, see
docs/performance.md), and this test fails. Re-measure the reference with
``.venv/bin/python benchmarks/bench.py --guard --write-reference`` after a deliberate change.
"""

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import perf  # noqa: E402

SLACK = 3.0


def test_model_speed_against_boltzmann_reference():
    reference = json.loads(perf.REFERENCE.read_text())["guard"]["ratio"]
    started = time.perf_counter()
    got = perf.guard_ratio(repeats=3)
    elapsed = time.perf_counter() - started
    floor = reference / SLACK
    assert got["ratio"] >= floor, (
        f"the model has slowed down: {got['freelancer_weeks_per_cpu_s']:,.0f} freelancer-weeks "
        f"per CPU second is {got['ratio']:.2f}x the Boltzmann example's "
        f"{got['boltzmann_agent_steps_per_cpu_s']:,.0f} agent-steps/s; the reference is "
        f"{reference:.2f}x and the floor {floor:.2f}x (reference / {SLACK:g})"
    )
    assert elapsed < 60, f"the guard itself took {elapsed:.0f} s"
