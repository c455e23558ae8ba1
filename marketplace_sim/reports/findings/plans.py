"""The experiments behind docs/findings.md, and how quick mode scales each one down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Quick mode: a small world (a sixth of the baseline's people) for the baseline experiments.
QUICK_WORLD = {
    "market.freelancers": 300,
    "market.clients": 75,
    "market.entry_rate": 1.5,
    "market.client_entry_rate": 0.375,
}


@dataclass(frozen=True)
class Plan:
    """One experiment of the findings and how quick mode scales it down."""

    key: str
    file: str
    quick_experiment: dict[str, Any] = field(default_factory=dict)
    quick_set: dict[str, Any] = field(default_factory=dict)
    quick_sweep: dict[str, Any] = field(default_factory=dict)
    #: quick mode's overrides of a sampled design's ``[sample]`` (e.g. fewer trajectories)
    quick_sample: dict[str, Any] = field(default_factory=dict)


PLANS: tuple[Plan, ...] = (
    Plan(
        "pallais", "pallais-first-job.toml", {"replications": 2}, {**QUICK_WORLD, "run.steps": 104}
    ),
    Plan(
        "vanderijt",
        "vanderijt-early-boost.toml",
        {"replications": 2},
        {**QUICK_WORLD, "run.steps": 104},
    ),
    Plan(
        "vanderijt_late",
        "vanderijt-late-boost.toml",
        {"replications": 2},
        {**QUICK_WORLD, "interventions.early_boost.at_step": 60, "run.steps": 156},
    ),
    Plan(
        "salganik", "salganik-worlds.toml", {"replications": 3}, {**QUICK_WORLD, "run.steps": 104}
    ),
    Plan(
        "filippas",
        "filippas-inflation.toml",
        {"replications": 2},
        {**QUICK_WORLD, "run.steps": 156},
    ),
    Plan("lukacgrow", "lukac-grow.toml", {"replications": 4}),
    Plan(
        "sixfactors",
        "six-factors.toml",
        {"replications": 2},
        {**QUICK_WORLD, "run.steps": 156},
        {"platform.ranking": ["random", "reputation"], "clients.reputation_weight": [0.0, 3.0]},
    ),
    Plan(
        "sixfactors_profiles",
        "six-factors-profiles.toml",
        {"replications": 2},
        {**QUICK_WORLD, "run.steps": 156},
        {"platform.ranking": ["random", "reputation"], "clients.reputation_weight": [0.0, 3.0]},
    ),
)


def derived_experiment(src: Path, plan: Plan, quick: bool) -> str:
    """An experiment file on top of ``src``: no sweep figures; quick mode scales it down."""
    import tomli_w

    doc: dict[str, Any] = {"base": src.resolve().as_posix(), "experiment": {"figures": False}}
    if quick:
        doc["experiment"].update(plan.quick_experiment)
        if plan.quick_set:
            doc["set"] = dict(plan.quick_set)
        if plan.quick_sweep:
            doc["sweep"] = dict(plan.quick_sweep)
        if plan.quick_sample:
            doc["sample"] = dict(plan.quick_sample)
    head = (
        f"# Derived by marketplace-sim findings from {src.name}"
        + (" (quick mode: scaled down)" if quick else "")
        + "\n"
    )
    return head + tomli_w.dumps(doc)
