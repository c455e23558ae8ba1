"""The search of a fit: checked inputs, world size, the generations of simulations.

:func:`run_search` takes checked inputs (:func:`prepare_fit`) and a :class:`Simulator` (an open
fit folder, ``experiments/fitting.py``, and a *runner*: a function that runs a list of worker
specs on an executor and yields ``(spec, result)`` pairs in any order), and:

1. scales the world to the observed data (:func:`world_scale`): two rounds of pilot runs at
   the centre of the prior, each multiplying the size keys by observed / simulated listed
   profiles;
2. runs generation 0 (draws from the prior), fixes the distance's scales from it
   (``distance.py``), and runs the ABC-SMC generations (``smc.py``) until the budget is spent.

What follows (the posterior, the fitted world and its check) is ``posterior.py``'s
:func:`~marketplace_sim.analysis.fit.posterior.run_fit`.

Every simulation is saved as soon as it finishes and read back on ``--resume``; candidates are
generated and ranked by index, so the result is the same whatever the runner's order.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim.analysis.compare import STATISTICS, profile_statistics
from marketplace_sim.analysis.fit import smc
from marketplace_sim.analysis.fit.distance import Distance, from_table, scales
from marketplace_sim.analysis.fit.spec import SIZE_KEYS, FitSpec, Parameter, check_budget
from marketplace_sim.analysis.observed import ObservedProfiles, read_observed
from marketplace_sim.config import Config, get_dotted, load_config
from marketplace_sim.errors import DataError, FaultError
from marketplace_sim.experiments.fitting import FitFolder
from marketplace_sim.experiments.seeds import derive_seed
from marketplace_sim.version import __version__

# spawn keys of the seed streams (ASCII tags): proposals, worlds, pilot, check
PROPOSE_KEY, WORLD_KEY, PILOT_KEY, CHECK_KEY = 0x70726F70, 0x776F726C, 0x70696C6F, 0x63686563
PILOT_ROUNDS = 2  # the second round corrects the first's non-proportionality
LOST_RETRIES = 2  # a simulation lost with its worker is run again this many times
SIGNIFICANT = 4  # digits of the scale factor and of the fitted values in fitted.toml

#: ``runner(specs)`` -> ``(spec, result)`` pairs, in any order (an executor's imap_unordered).
Runner = Callable[[list[dict[str, Any]]], Iterable[tuple[dict[str, Any], dict[str, Any]]]]
#: ``progress(n)``: called with 1 after every simulation (a progress bar's update).
Progress = Callable[[int], Any]


@dataclass(frozen=True)
class FitInputs:
    """Checked inputs of a fit: the fit file, the observed profiles, the world, the budget."""

    spec: FitSpec
    observed: ObservedProfiles
    world: Config
    world_source: str
    budget: int

    @property
    def generations(self) -> int:
        """Generations after the first that the budget pays for."""
        return self.spec.settings.generations(self.budget)

    @property
    def total(self) -> int:
        """Simulations at most: pilot, search and check."""
        s = self.spec.settings
        pilot = 2 * PILOT_ROUNDS * s.pilot_runs if s.scale_world else 0  # search and fitted
        return pilot + s.first + self.generations * s.batch + s.check_replicates

    def fingerprint(self) -> str:
        """A hash of everything that determines the fit's results."""
        digest = hashlib.sha256(self.observed.path.read_bytes()).hexdigest()
        blob = {
            "spec": {k: v for k, v in self.spec.to_json().items() if k != "path"},
            "world": self.world.to_dict(),
            "observed_sha256": digest,
            "budget": self.budget,
        }
        return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()

    def state(self) -> dict[str, Any]:
        """What ``fit.json`` records."""
        from marketplace_sim.provenance import git_commit, utc_stamp

        return {
            "kind": "fit",
            "fingerprint": self.fingerprint(),
            "created_utc": utc_stamp(),
            "version": __version__,
            "git_commit": git_commit(),
            "observed": str(self.observed.path),
            "world_source": self.world_source,
            "budget": self.budget,
            "spec": self.spec.to_json(),
        }


def prepare_fit(
    observed: str | Path,
    spec: FitSpec,
    world: str | Path | None = None,
    budget: int | None = None,
) -> FitInputs:
    """Read and check every input before anything runs or is written.

    Args:
        observed: observed profiles (CSV or Parquet, docs/compare.md).
        spec: the loaded fit file.
        world: the base world (a file or a shipped name; default ``baseline``).
        budget: simulations of the search at most (default: the fit file's).

    Raises:
        DataError: a bad observed file, or one on which no statistic can be computed.
        ConfigError: a bad world, a budget below generation 0, or a fitted key the world's
            schema refuses in combination with the world's other values.
    """
    obs = read_observed(observed)
    stats = profile_statistics(obs.frame)
    if not any(np.isfinite(v) for v in stats.values()):
        raise DataError(obs.path, None, "no compare statistic can be computed on these profiles")
    source = str(world) if world is not None else "baseline"
    cfg = load_config(source)
    b = spec.settings.budget if budget is None else budget
    if budget is not None:
        check_budget("--budget", None, b, spec.settings)
    for p in spec.params:  # both ends of every range, in this world
        for end in (p.lo, p.hi):
            cfg.with_overrides({p.key: p.world_value(end)}, str(spec.path))
    return FitInputs(spec, obs, cfg, source, b)


# --------------------------------------------------------------------------------------------
# Worlds


def round_significant(x: float, digits: int = SIGNIFICANT) -> float:
    """``x`` to ``digits`` significant digits (0 stays 0)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - int(math.floor(math.log10(abs(x))))))


def scaled_world(world: Config, factor: float) -> dict[str, Any]:
    """The world's config dict with its size keys multiplied by ``factor`` (counts rounded)."""
    d = world.to_dict()
    m = d["market"]
    m["freelancers"] = max(1, int(round(m["freelancers"] * factor)))
    m["clients"] = max(1, int(round(m["clients"] * factor)))
    m["entry_rate"] = float(m["entry_rate"] * factor)
    m["client_entry_rate"] = float(m["client_entry_rate"] * factor)
    return d


def candidate_config(
    base: Mapping[str, Any],
    params: Sequence[Parameter],
    values: Sequence[float],
    factor: float,
    seed: int,
) -> dict[str, Any]:
    """A candidate's config: the scaled world, the values, a fresh seed, no contract log.

    A fitted size key (:data:`SIZE_KEYS`) is given per base-world size and scaled like the
    world's own value.
    """
    d = json.loads(json.dumps(base))
    for p, v in zip(params, values, strict=True):
        v = v * factor if p.key in SIZE_KEYS else v
        section, name = p.key.rsplit(".", 1)
        get_dotted(d, section)[name] = p.world_value(v)
    d["run"].update(seed=int(seed), population_seed=int(seed), record_contracts=False)
    return d


def make_spec(group: str, name: str, config: dict[str, Any], keep: bool = False) -> dict[str, Any]:
    """A worker spec: the simulation's id (``g03-c00017``), where it is saved, its world."""
    return {
        "id": f"{group}-{name}",
        "group": group,
        "name": name,
        "config": config,
        "keep_profiles": keep,
    }


# --------------------------------------------------------------------------------------------
# Running and saving


@dataclass
class Simulator:
    """Runs groups of specs through the runner, saving each result at once, reusing saved ones."""

    folder: FitFolder
    runner: Runner
    progress: Progress | None = None
    ran: int = 0  # simulations run in this session
    failed: list[str] = field(default_factory=list)

    def run(self, specs: list[dict[str, Any]], frames: bool = False) -> dict[str, dict[str, Any]]:
        """Every spec's record by id: saved ones read back, the others simulated and saved.

        A simulation lost with its worker (killed, out of memory, a lost Dask task) is not
        saved and is run again, up to :data:`LOST_RETRIES` times: the result must not depend
        on such accidents.

        Raises:
            FaultError: simulations still lost after the retries (resume the fit later).
        """
        out: dict[str, dict[str, Any]] = {}
        todo = []
        for s in specs:
            rec = self.folder.load(s["group"], s["name"], frame=frames)
            if rec is not None and rec.get("status") in ("ok", "failed"):
                out[s["id"]] = rec
                self._tick()
            else:
                todo.append(s)
        for _ in range(LOST_RETRIES + 1):
            todo = self._simulate(todo, out)
            if not todo:
                break
        if todo:
            raise FaultError(
                self.folder.out,
                None,
                f"{len(todo)} simulations were lost with their workers {LOST_RETRIES + 1} times "
                f"(first: {todo[0]['id']}); the others are saved: resume the fit",
            )
        for s in specs:
            if out[s["id"]].get("status") != "ok":
                self.failed.append(f"{s['id']}: {out[s['id']].get('error')}")
        return out

    def _simulate(
        self, todo: list[dict[str, Any]], out: dict[str, dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Run ``todo``, saving each finished result; returns the specs that were lost."""
        lost = []
        for spec, rec in self.runner(todo) if todo else ():
            if rec.get("status") == "lost":
                lost.append(spec)
                continue
            self.folder.save(spec["group"], spec["name"], rec)
            out[spec["id"]] = rec
            self.ran += 1
            self._tick()
        order = {s["id"]: i for i, s in enumerate(todo)}
        return sorted(lost, key=lambda s: order[s["id"]])

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(1)


def record_stats(rec: Mapping[str, Any]) -> dict[str, float] | None:
    """A record's statistics with null read back as NaN (None for a failed simulation)."""
    raw = rec.get("stats")
    if rec.get("status") != "ok" or raw is None:
        return None
    return {k: float("nan") if v is None else float(v) for k, v in raw.items()}


# --------------------------------------------------------------------------------------------
# The steps


@dataclass(frozen=True)
class Scale:
    """The world-size scaling: the factor, and each pilot round's mean listed profiles."""

    factor: float
    observed: int
    rounds: tuple[tuple[float, float], ...]  # (factor used, mean listed profiles)


def world_scale(
    inputs: FitInputs,
    sim: Simulator,
    values: Sequence[float],
    group: str = "pilot",
    factor: float = 1.0,
) -> Scale:
    """Scale the world so that its listed profiles match the observed count (docs/fitting.md).

    Each of :data:`PILOT_ROUNDS` rounds runs the world at ``values`` (the prior's centre for
    the search, the fitted values for ``fitted.toml``) on ``pilot_runs`` seeds and multiplies
    the factor by observed / simulated listed profiles (four significant digits).

    Raises:
        DataError: the world lists no profile at its last week.
        ConfigError: the scaled world is above a limit or would not fit in memory.
    """
    s, n_obs = inputs.spec.settings, len(inputs.observed.frame)
    if not s.scale_world:
        return Scale(1.0, n_obs, ())
    rounds = []
    for r in range(PILOT_ROUNDS):
        base = scaled_world(inputs.world, factor)
        _check_size(inputs, base)
        specs = []
        for k in range(s.pilot_runs):
            seed = derive_seed(s.root_seed, PILOT_KEY, r, k)
            cfg = candidate_config(base, inputs.spec.params, values, factor, seed)
            specs.append(make_spec(group, f"r{r}-k{k}", cfg))
        recs = sim.run(specs)
        listed = [float(recs[x["id"]]["listed"]) for x in specs if recs[x["id"]]["status"] == "ok"]
        mean = float(np.mean(listed)) if listed else 0.0
        if mean <= 0:
            raise DataError(
                inputs.world_source,
                None,
                "the world lists no profile at its last week; it cannot be scaled to the "
                f"observed data (see the runs in sims/{group}/)",
            )
        rounds.append((factor, mean))
        factor = round_significant(factor * n_obs / mean)
    return Scale(factor, n_obs, tuple(rounds))


def _check_size(inputs: FitInputs, world: dict[str, Any]) -> None:
    """Refuse a scaled world above the schema's bounds or the memory available."""
    from marketplace_sim.config import validate_config
    from marketplace_sim.limits import check_fits

    what = "the world scaled to the observed data"
    cfg = validate_config(world, f"{inputs.world_source} ({what})")  # the schema's limits too
    check_fits(cfg, inputs.world_source, what=what)


def prior_centre(params: Sequence[Parameter]) -> list[float]:
    """The centre of each prior's box (the geometric mean of a log-uniform range)."""
    return [p.from_internal(sum(p.box) / 2) for p in params]


@dataclass(frozen=True)
class Generation:
    """One generation's candidates and what became of them."""

    t: int
    ids: tuple[str, ...]
    seeds: tuple[int, ...]
    u: np.ndarray
    weights: np.ndarray
    records: dict[str, dict[str, Any]]
    distances: np.ndarray = field(default_factory=lambda: np.empty(0))


def _generation(
    inputs: FitInputs,
    sim: Simulator,
    t: int,
    base: dict[str, Any],
    factor: float,
    draw: Callable[[np.random.Generator], np.ndarray],
) -> tuple[list[str], list[int], np.ndarray, dict[str, dict[str, Any]]]:
    """Draw generation ``t``'s candidates (each from its own seeded generator) and run them."""
    s, params = inputs.spec.settings, inputs.spec.params
    n = s.first if t == 0 else s.batch
    ids, seeds, us, specs = [], [], [], []
    for i in range(n):
        rng = np.random.default_rng(
            np.random.SeedSequence(s.root_seed, spawn_key=(PROPOSE_KEY, t, i))
        )
        u = draw(rng)
        seed = derive_seed(s.root_seed, WORLD_KEY, t, i)
        values = [p.from_internal(x) for p, x in zip(params, u, strict=True)]
        spec = make_spec(
            f"g{t:02d}", f"c{i:05d}", candidate_config(base, params, values, factor, seed)
        )
        ids.append(spec["id"])
        seeds.append(seed)
        us.append(u)
        specs.append(spec)
    return ids, seeds, np.array(us, dtype=np.float64), sim.run(specs)


@dataclass(frozen=True)
class Search:
    """The finished search: scale, distance, every generation, the final population."""

    scale: Scale
    statistics: pd.DataFrame
    distance: Distance
    generations: tuple[Generation, ...]
    summary: pd.DataFrame
    population: smc.Population
    stopped_early: bool


def run_search(inputs: FitInputs, sim: Simulator) -> Search:
    """Scale the world, run generation 0 and the ABC-SMC generations (module docstring)."""
    s, params = inputs.spec.settings, inputs.spec.params
    box = [p.box for p in params]
    scale = world_scale(inputs, sim, prior_centre(params))
    base = scaled_world(inputs.world, scale.factor)
    ids, seeds, u, recs = _generation(
        inputs, sim, 0, base, scale.factor, functools.partial(smc.prior_draw, box)
    )
    prior_stats = [record_stats(recs[i]) for i in ids]
    observed = profile_statistics(inputs.observed.frame)
    table = scales(prior_stats, observed, list(STATISTICS), inputs.spec.weights)
    if not table["used"].any():
        raise DataError(
            inputs.observed.path,
            None,
            "no compare statistic is usable for the distance (each is undefined on the data "
            "or over the prior predictive); nothing to fit against",
        )
    dist = from_table(table)
    d = np.array([dist(x) for x in prior_stats])
    gens = [Generation(0, tuple(ids), tuple(seeds), u, np.ones(len(ids)), recs, d)]
    pop = smc.select(ids, u, np.ones(len(ids)), d, s.particles)
    rows = [_summary_row(gens[0], pop, float("nan"), None, params)]
    stopped = False
    for t in range(1, inputs.generations + 1):
        g, pop, row = _next_generation(inputs, sim, t, base, scale.factor, pop, dist)
        gens.append(g)
        rows.append(row)
        if row["acceptance"] < s.min_acceptance:
            stopped = t < inputs.generations
            break
    return Search(scale, table, dist, tuple(gens), pd.DataFrame(rows), pop, stopped)


def _next_generation(
    inputs: FitInputs,
    sim: Simulator,
    t: int,
    base: dict[str, Any],
    factor: float,
    pop: smc.Population,
    dist: Distance,
) -> tuple[Generation, smc.Population, dict[str, Any]]:
    """Generation ``t``: propose from ``pop``, simulate, weigh, pool and keep the closest."""
    params = inputs.spec.params
    box = [p.box for p in params]
    sd = smc.kernel_sd(pop, box)

    def draw(rng: np.random.Generator) -> np.ndarray:
        return smc.propose(pop, sd, box, rng)

    ids, seeds, u, recs = _generation(inputs, sim, t, base, factor, draw)
    w = smc.importance_weights(u, pop, sd, box)
    d = np.array([dist(record_stats(recs[i])) for i in ids])
    acc = smc.acceptance(d, pop.epsilon)
    g = Generation(t, tuple(ids), tuple(seeds), u, w, recs, d)
    kept = smc.select(
        [*pop.ids, *ids],
        np.vstack([pop.u, u]),
        np.r_[pop.weights, w],
        np.r_[pop.distances, d],
        inputs.spec.settings.particles,
    )
    return g, kept, _summary_row(g, kept, acc, sd, params)


def _summary_row(
    g: Generation,
    pop: smc.Population,
    acc: float,
    sd: np.ndarray | None,
    params: Sequence[Parameter],
) -> dict[str, Any]:
    new = set(g.ids)
    row: dict[str, Any] = {
        "generation": g.t,
        "simulations": len(g.ids),
        "epsilon": pop.epsilon,
        "acceptance": acc,
        "kept_new": sum(i in new for i in pop.ids),
        "ess": pop.ess,
        "failed": sum(r.get("status") != "ok" for r in g.records.values()),
    }
    for k, p in enumerate(params):
        row[f"kernel_sd:{p.key}"] = float("nan") if sd is None else float(sd[k])
    return row
