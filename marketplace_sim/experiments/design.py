"""Experiments: an experiment file -> conditions x replications -> runs and their seeds.

An experiment file (``experiments/*.toml``) names a world (``base = "..."``, and/or world
sections inline), an ``[experiment]`` section (name, replications, root seed, worlds, ...), and
either a grid ``[sweep]`` (dotted keys; a list is an axis; the full product is run) or a sampled
``[sample]`` design (Latin hypercube, Sobol or Morris over ranges), plus ``[set]`` (fixed
overrides). :func:`load_experiment` validates all of it, and every condition's config, before
anything runs; every problem is a one-line :class:`ConfigError` naming the file and dotted key.
The size of the design is counted before it is expanded (:mod:`marketplace_sim.limits`).

Seeds come from :mod:`marketplace_sim.experiments.seeds`: a run's seed depends only on the root
seed and its position (condition, replicate).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from marketplace_sim.columns import CONTRACT_METRICS
from marketplace_sim.config import Config, read_with_base, validate_config
from marketplace_sim.errors import ConfigError
from marketplace_sim.experiments.expansion import (
    Condition,
    SampledDesign,
    grid_conditions,
    grid_size,
    sample_ranges,
    sample_size,
    sampled_conditions,
    sampled_design,
)
from marketplace_sim.experiments.labels import fmt_value, jsonable, show
from marketplace_sim.experiments.schema import (
    EXPERIMENT_SECTIONS,
    NAME_RE,
    SEED_KEYS,
    Design,
    ExperimentSection,
    SampleSection,
    check_key,
    flatten,
    validate_metrics,
    validate_section,
)
from marketplace_sim.experiments.seeds import (
    POPULATION_KEY,
    SAMPLE_KEY,
    derive_seed,
    run_seeds,
    sample_seed,
)
from marketplace_sim.experiments.worker import RunSpec
from marketplace_sim.limits import check_design_size, check_fits

__all__ = [
    "CONTRACT_METRICS",
    "EXPERIMENT_SECTIONS",
    "POPULATION_KEY",
    "SAMPLE_KEY",
    "SEED_KEYS",
    "Condition",
    "Design",
    "Experiment",
    "ExperimentSection",
    "Run",
    "SampleSection",
    "SampledDesign",
    "check_sweep_fits",
    "derive_seed",
    "load_experiment",
    "run_seeds",
]


@dataclass(frozen=True)
class Run:
    """One simulation of a sweep: a condition, a replicate and its seeds."""

    run_id: str
    condition: Condition
    replicate: int
    seed: int
    population_seed: int

    @property
    def condition_id(self) -> str:
        """The condition's id."""
        return self.condition.condition_id

    def config_dict(self) -> dict[str, Any]:
        """The run's resolved config: the condition's world with the run's seeds."""
        d = self.condition.config.to_dict()
        d["run"]["seed"] = self.seed
        d["run"]["population_seed"] = self.population_seed
        return d

    def spec(self, keep_earnings: bool, keep_freelancers: bool = False) -> RunSpec:
        """What a worker needs (:func:`marketplace_sim.experiments.worker.run_spec`)."""
        return RunSpec(
            run_id=self.run_id,
            config=self.config_dict(),
            record_every=self.condition.config.run.record_every,
            keep_earnings=keep_earnings,
            keep_freelancers=keep_freelancers,
        )


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: its settings, its world, its conditions (use :meth:`runs`)."""

    path: Path
    name: str
    settings: ExperimentSection
    world: Config  # the base world (before [set])
    base: Config  # every run's world before its condition's values and seeds
    fixed: dict[str, Any]  # [set] (and scalars of [sweep]), dotted keys
    axes: tuple[str, ...]  # swept (or sampled) keys, in file order
    levels: dict[str, list[Any]]  # grid: each axis's values (empty for sampled designs)
    design: Design
    conditions: tuple[Condition, ...]
    sample: SampledDesign | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the experiment sections as read

    @property
    def replications(self) -> int:
        """Runs per condition."""
        return self.settings.replications

    @property
    def worlds(self) -> bool:
        """Whether every run shares one population."""
        return self.settings.worlds

    @property
    def metrics(self) -> list[str]:
        """Metrics for figures and sensitivity indices."""
        return list(self.settings.metrics or CONTRACT_METRICS)

    @property
    def keep_freelancers(self) -> bool:
        """Whether each run's part keeps its freelancers table."""
        return self.settings.keep_freelancers

    @property
    def n_runs(self) -> int:
        """Conditions x replications (counted, not built)."""
        return len(self.conditions) * self.replications

    def runs(self) -> list[Run]:
        """Every run, in run-id order (conditions in design order, then replicates)."""
        return list(self._runs)

    def iter_runs(self) -> Iterator[Run]:
        """The runs one by one, in run-id order, without building the list."""
        width = max(2, len(str(self.replications - 1)))
        for cond in self.conditions:
            for r in range(self.replications):
                seed, pop = run_seeds(self.settings.root_seed, cond.index, r, self.worlds)
                yield Run(f"{cond.condition_id}-r{r:0{width}d}", cond, r, seed, pop)

    @functools.cached_property
    def _runs(self) -> tuple[Run, ...]:
        return tuple(self.iter_runs())

    def resolved(self) -> dict[str, Any]:
        """The experiment sections with every default filled in (no base, no world)."""
        out: dict[str, Any] = {
            "experiment": {
                **self.settings.model_dump(exclude_none=True),
                "name": self.name,
            }
        }
        if self.levels:
            out["sweep"] = {k: list(v) for k, v in self.levels.items()}
        if self.fixed:
            out["set"] = dict(self.fixed)
        if self.sample is not None:
            s = self.sample.settings.model_dump()
            s["ranges"] = {
                k: list(b) for k, b in zip(self.sample.keys, self.sample.bounds, strict=True)
            }
            out["sample"] = s
        return out

    def to_toml(self) -> str:
        """A self-contained experiment file (world inline, no base) that runs the same runs."""
        doc = {**self.world.to_dict(), **self.resolved()}
        return (
            f"# Resolved from {self.path}: the base world inline, every default filled "
            "in.\n# Seeds in [run] are ignored by sweeps (derived from root_seed).\n"
            + tomli_w.dumps(jsonable(doc))
        )

    def describe(self) -> str:
        """A human-readable summary for ``marketplace-sim validate``."""
        lines = [f"# {self.path}: valid experiment '{self.name}'"]
        if self.raw.get("base"):
            lines.append(f"base = {self.raw['base']!r}")
        lines += self._design_lines() + self._value_lines() + self._run_lines()
        lines.append(
            "# the world of every run before its condition's values and seeds (every key):"
        )
        lines.append(self.base.to_toml().rstrip())
        return "\n".join(lines)

    def _design_lines(self) -> list[str]:
        s = self.settings
        if self.design == "grid":
            n = len(self.axes)
            design = (
                f"grid over {n} {'axis' if n == 1 else 'axes'} (full product)"
                if n
                else "a single condition"
            )
        else:
            design = f"{self.design} sample over {len(self.axes)} parameters"
        worlds = (
            "every run shares one population; unpredictability in conditions.parquet)"
            if s.worlds
            else "each run draws its own population)"
        )
        lines = [
            f"design: {design}: {len(self.conditions)} conditions x {s.replications} "
            f"replications = {self.n_runs} runs",
            f"root_seed = {s.root_seed}; worlds = {str(s.worlds).lower()} (" + worlds,
            f"steps = {self.base.run.steps} weeks; record_every = {self.base.run.record_every}",
        ]
        if s.keep_freelancers:
            lines.append("keep_freelancers = true (parts/<run_id>/freelancers.parquet)")
        return lines

    def _value_lines(self) -> list[str]:
        lines = []
        if self.levels:
            lines.append("[sweep] axes:")
            lines += [f"  {k} = {fmt_value(v)}" for k, v in self.levels.items()]
        if self.sample is not None:
            ss = self.sample.settings
            lines.append(f"[sample] method = {ss.method!r}, n = {ss.n}:")
            for k, b, integer in zip(
                self.sample.keys, self.sample.bounds, self.sample.integer, strict=True
            ):
                lines.append(f"  {k} in [{b[0]:g}, {b[1]:g}]" + (" (integer)" if integer else ""))
        if self.fixed:
            lines.append("[set] fixed for every run:")
            lines += [f"  {k} = {fmt_value(v)}" for k, v in self.fixed.items()]
        return lines

    def _run_lines(self) -> list[str]:
        lines = ["conditions:"]
        shown = self.conditions[:20]
        lines += [f"  {c.condition_id}  {c.label(short=False)}" for c in shown]
        if len(self.conditions) > len(shown):
            lines.append(f"  ... and {len(self.conditions) - len(shown)} more")
        lines.append("runs (seed, population_seed):")
        first = itertools.islice(self.iter_runs(), 10)
        lines += [f"  {r.run_id}  {r.seed}  {r.population_seed}" for r in first]
        if self.n_runs > 10:
            lines.append(f"  ... and {self.n_runs - 10} more")
        return lines


def check_sweep_fits(exp: Experiment, available: int | None = None) -> None:
    """Refuse an experiment whose largest world would not fit in the memory available.

    Args:
        exp: the experiment.
        available: bytes available (default: what the machine says).
    """
    for cond in exp.conditions:
        check_fits(cond.config, exp.path, available, what=f"condition {cond.condition_id}")


# --------------------------------------------------------------------------------------------
# Loading and validation


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file, expanding its design into conditions.

    Every condition's config is validated here, so a wrong value on an axis fails before any
    run starts. A design larger than :data:`marketplace_sim.limits.MAX_CONDITIONS` conditions
    or :data:`marketplace_sim.limits.MAX_RUNS` runs is refused before it is expanded.

    Raises:
        ConfigError: one line naming the file and the dotted key of the first problem.
    """
    p = Path(path)
    design: Design
    data = read_with_base(p)
    sections = _experiment_sections(p, data)
    settings = _settings(p, sections.get("experiment", {}))
    world = validate_config(data, p)
    fixed, source, levels = _fixed_and_axes(p, sections)
    base = _base_world(p, world, fixed, source, settings)
    if "sample" in sections:
        if levels:
            raise ConfigError(
                p,
                "sample",
                "use either [sweep] axes or [sample], not both (fixed values go in [set])",
            )
        ranges = sample_ranges(p, sections["sample"], base)
        check_design_size(p, sample_size(ranges), settings.replications, "sample")
        sample = sampled_design(p, ranges, sample_seed(settings.root_seed))
        conditions = sampled_conditions(p, sample, base)
        axes, design = sample.keys, sample.settings.method
    else:
        check_design_size(p, grid_size(levels), settings.replications, "sweep")
        sample, design = None, "grid"
        conditions, levels = grid_conditions(p, levels, base)
        axes = tuple(levels)
    raw = dict(sections)
    raw_base = _read_base_field(p)
    if raw_base is not None:
        raw["base"] = raw_base
    return Experiment(
        path=p,
        name=settings.name or p.stem,
        settings=settings,
        world=world,
        base=base,
        fixed=fixed,
        axes=axes,
        levels=levels,
        design=design,
        conditions=conditions,
        sample=sample,
        raw=raw,
    )


def _experiment_sections(p: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Pop the experiment sections out of ``data`` (what is left is the world)."""
    sections = {k: data.pop(k) for k in EXPERIMENT_SECTIONS if k in data}
    if not any(k in sections for k in ("experiment", "sweep", "sample")):
        raise ConfigError(
            p,
            None,
            "not an experiment: no [experiment], [sweep] or [sample] "
            "section (a single world runs with 'marketplace-sim run')",
        )
    for k, v in sections.items():
        if not isinstance(v, Mapping):
            raise ConfigError(p, k, f"must be a table, got {show(v)}")
    return sections


def _settings(p: Path, raw: Any) -> ExperimentSection:
    """Validate ``[experiment]``: its keys, the name, worlds' replications, the metrics."""
    settings = validate_section(ExperimentSection, raw, p, "experiment")
    name = settings.name or p.stem
    if not NAME_RE.match(name):
        raise ConfigError(
            p,
            "experiment.name",
            f"must be a simple name (letters, digits, '.', '_', '-'), got {name!r}",
        )
    if settings.worlds and settings.replications < 2:
        raise ConfigError(
            p,
            "experiment.replications",
            "worlds = true needs at least 2 replications (the worlds compared)",
        )
    validate_metrics(p, settings.metrics)
    return settings


def _fixed_and_axes(
    p: Path, sections: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str], dict[str, list[Any]]]:
    """``[set]`` and the scalars of ``[sweep]`` (fixed), where each came from, and the axes."""
    fixed = flatten(sections.get("set", {}))
    source = dict.fromkeys(fixed, "set")
    for key in fixed:
        check_key(p, "set", key)
    levels: dict[str, list[Any]] = {}
    for key, value in flatten(sections.get("sweep", {})).items():
        check_key(p, "sweep", key)
        if key in fixed:
            raise ConfigError(p, f"sweep.{key}", "also in [set]; give it in one place")
        if isinstance(value, list):
            if not value:
                raise ConfigError(p, f"sweep.{key}", "empty axis (give at least one value)")
            levels[key] = value
        else:
            fixed[key] = value  # a scalar in [sweep] is fixed, as in Mesa's batch_run
            source[key] = "sweep"
    return fixed, source, levels


def _base_world(
    p: Path,
    world: Config,
    fixed: Mapping[str, Any],
    source: Mapping[str, str],
    settings: ExperimentSection,
) -> Config:
    """The world every run starts from: the file's world with the fixed values applied."""
    overrides = dict(fixed)
    overrides["run.record_contracts"] = False  # sweeps keep summaries; contracts are not kept
    if settings.record_every is not None:
        overrides["run.record_every"] = settings.record_every
    try:
        base = world.with_overrides(overrides, str(p))
    except ConfigError as exc:
        section = source.get(exc.key or "", "set")
        raise ConfigError(p, f"{section}.{exc.key}" if exc.key else section, exc.message) from None
    return base


def _read_base_field(p: Path) -> str | None:
    import tomllib

    with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
        base = tomllib.loads(p.read_text(encoding="utf-8")).get("base")
        return base if isinstance(base, str) else None
    return None
