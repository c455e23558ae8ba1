"""Experiments: an experiment file -> conditions x replications -> runs, seeds, a sweep folder.

An experiment file (``experiments/*.toml``) names a world (``base = "..."``, and/or world
sections inline), an ``[experiment]`` section (name, replications, root seed, worlds, ...), and
either a grid ``[sweep]`` (dotted keys; a list is an axis; the full product is run) or a sampled
``[sample]`` design (Latin hypercube, Sobol or Morris over ranges), plus ``[set]`` (fixed
overrides). :func:`load_experiment` validates all of it, and every condition's config, before
anything runs; every problem is a one-line :class:`ConfigError` naming the file and dotted key.

Seeds: run ``(c, r)`` (condition index ``c``, replicate ``r``) gets the market seed
``SeedSequence(root_seed, spawn_key=(c, r))`` (the same as ``SeedSequence(root_seed).spawn(C)[c]
.spawn(R)[r]``), so a run's seed depends only on the root seed and its position, never on the
number of workers or the order runs finish in. Without ``worlds``, each run also draws its own
population (``population_seed = seed``). With ``worlds = true`` every run of the experiment shares
one population seed, ``SeedSequence(root_seed, spawn_key=(POPULATION_KEY,))``: the same people in
every condition and replicate, differing only in market luck (the MusicLab design of Salganik,
Dodds & Watts 2006).

:func:`run_sweep` runs the runs through an executor (``executors.py``) and writes each finished
run atomically as its own part (``parts/<run_id>/``); the sweep tables are assembled from the
parts at the end, in run-id order, so they never depend on worker count or completion order,
and a killed sweep restarted with ``resume=True`` runs only what is missing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from marketplace_sim import metrics as msm
from marketplace_sim.config import (
    Config,
    all_keys,
    all_prefixes,
    get_dotted,
    read_with_base,
    suggest,
    to_config_error,
    validate_config,
)
from marketplace_sim.errors import ConfigError
from marketplace_sim.experiments.run_folder import default_out, ensure_parent, refuse_enclosing
from marketplace_sim.files import replace_dir
from marketplace_sim.model.docking import LG_COLUMNS
from marketplace_sim.model.marketplace import METRIC_COLUMNS
from marketplace_sim.provenance import git_commit, manifest
from marketplace_sim.version import __version__

EXPERIMENT_SECTIONS = ("experiment", "sweep", "set", "sample")
SEED_KEYS = ("run.seed", "run.population_seed")
#: Metrics of the interface contract: the default for figures and sensitivity indices.
CONTRACT_METRICS: tuple[str, ...] = METRIC_COLUMNS[:10]
POPULATION_KEY = 0x706F70  # spawn key of the population seed shared by worlds ("pop")
SAMPLE_KEY = 0x73616D  # spawn key of the seed of a sampled design and its bootstrap ("sam")
CONF_LEVEL = 0.95  # confidence level of every interval written (conditions, sensitivity)
MAX_TIME_FIGURE_CONDITIONS = 12  # more lines than this make metric-over-time figures unreadable
PARTS = "parts"
FREELANCERS_PART = "freelancers.parquet"  # in a part, with [experiment] keep_freelancers
SWEEP_JSON = "sweep.json"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

Design = Literal["grid", "lhs", "sobol", "morris"]


# --------------------------------------------------------------------------------------------
# Schema of the [experiment] and [sample] sections


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class ExperimentSection(_Strict):
    """The ``[experiment]`` section."""

    name: str | None = Field(None, description="results go to results/<name>/ (default: stem)")
    replications: int = Field(1, ge=1, description="runs per condition, each with its own seed")
    root_seed: int = Field(0, ge=0, description="every run's seeds are derived from this one")
    worlds: bool = Field(
        False, description="true: every run shares one population (same people, other luck)"
    )
    record_every: int | None = Field(
        None, ge=1, description="weeks between rows of steps.parquet (sets run.record_every)"
    )
    metrics: list[str] | None = Field(
        None, description="metrics for figures and sensitivity indices (default: contract's)"
    )
    figures: bool = Field(True, description="draw the figures at the end of the sweep")
    keep_freelancers: bool = Field(
        False,
        description="save each run's freelancers table in its part "
        "(parts/<run_id>/freelancers.parquet), for `marketplace-sim analyze` and treatment vs "
        "control outcomes",
    )


class SampleSection(_Strict):
    """The ``[sample]`` section: a sampled design over continuous ranges."""

    method: Literal["lhs", "sobol", "morris"] = Field(description="the design")
    n: int = Field(
        ge=2,
        description="lhs: points; sobol: base sample N (a power of 2; N*(2D+2) points, "
        "N*(D+2) without second order); morris: trajectories (N*(D+1) points)",
    )
    ranges: dict[str, Any] = Field(description="dotted key -> [low, high]")
    levels: int = Field(4, ge=2, description="morris: grid levels")
    second_order: bool = Field(True, description="sobol: also estimate second-order indices")
    resamples: int = Field(1000, ge=10, description="bootstrap resamples of the intervals")


# --------------------------------------------------------------------------------------------
# Seeds


def derive_seed(root_seed: int, *key: int) -> int:
    """A 63-bit seed from ``numpy.random.SeedSequence(root_seed, spawn_key=key)``.

    ``derive_seed(root, c, r)`` equals the first 64 bits (top bit dropped) of the state of
    ``SeedSequence(root).spawn(C)[c].spawn(R)[r]`` for any ``C > c``, ``R > r``.
    """
    state = np.random.SeedSequence(root_seed, spawn_key=key).generate_state(1, np.uint64)
    return int(state[0]) >> 1


def run_seeds(root_seed: int, condition: int, replicate: int, worlds: bool) -> tuple[int, int]:
    """``(seed, population_seed)`` of run ``(condition, replicate)``."""
    seed = derive_seed(root_seed, condition, replicate)
    population = derive_seed(root_seed, POPULATION_KEY) if worlds else seed
    return seed, population


def _sample_seed(root_seed: int) -> int:
    # SALib treats seed=0 as "no seed" (a falsy check), so keep it in 1..2**31-1
    return derive_seed(root_seed, SAMPLE_KEY) % (2**31 - 1) + 1


# --------------------------------------------------------------------------------------------
# Conditions and runs


@dataclass(frozen=True)
class Condition:
    """One point of the design: the values of the swept (or sampled) keys, and its world."""

    index: int
    condition_id: str
    values: dict[str, Any]
    config: Config

    def label(self, short: bool = True) -> str:
        """``reputation_weight=1.0, ranking=random`` (last part of each key if ``short``)."""
        names = _short_names(list(self.values)) if short else {k: k for k in self.values}
        return ", ".join(f"{names[k]}={_fmt_value(v)}" for k, v in self.values.items()) or "-"


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

    def spec(self, keep_earnings: bool, keep_freelancers: bool = False) -> dict[str, Any]:
        """What a worker needs (:func:`marketplace_sim.executors.run_spec`): small, picklable."""
        return {
            "run_id": self.run_id,
            "condition_id": self.condition_id,
            "replicate": self.replicate,
            "seed": self.seed,
            "population_seed": self.population_seed,
            "config": self.config_dict(),
            "record_every": self.condition.config.run.record_every,
            "keep_earnings": keep_earnings,
            "keep_freelancers": keep_freelancers,
        }


@dataclass(frozen=True)
class SampledDesign:
    """A sampled design: the SALib problem, the unit-free matrix and the points run."""

    settings: SampleSection
    keys: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    integer: tuple[bool, ...]
    seed: int
    matrix: np.ndarray  # as sampled (before integer keys are rounded): what SALib analyses

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem dict."""
        return {
            "num_vars": len(self.keys),
            "names": list(self.keys),
            "bounds": [list(b) for b in self.bounds],
        }


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

    def runs(self) -> list[Run]:
        """Every run, in run-id order (conditions in design order, then replicates)."""
        return list(self._runs)

    @functools.cached_property
    def _runs(self) -> tuple[Run, ...]:
        width = max(2, len(str(self.replications - 1)))
        out = []
        for cond in self.conditions:
            for r in range(self.replications):
                seed, pop = run_seeds(self.settings.root_seed, cond.index, r, self.worlds)
                out.append(Run(f"{cond.condition_id}-r{r:0{width}d}", cond, r, seed, pop))
        return tuple(out)

    def fingerprint(self) -> str:
        """A hash of every run's id and config: equal iff the sweep would run the same runs."""
        return self._fingerprint

    @property
    def keep_freelancers(self) -> bool:
        """Whether each run's part keeps its freelancers table."""
        return self.settings.keep_freelancers

    @functools.cached_property
    def _fingerprint(self) -> str:
        h = hashlib.sha256()
        for run in self._runs:
            h.update(json.dumps([run.run_id, run.config_dict()], sort_keys=True).encode())
        if self.keep_freelancers:  # parts then hold more; older fingerprints stay unchanged
            h.update(b"keep_freelancers")
        return h.hexdigest()

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
            + tomli_w.dumps(_jsonable(doc))
        )

    def describe(self) -> str:
        """A human-readable summary for ``marketplace-sim validate``."""
        s = self.settings
        runs = self.runs()
        lines = [f"# {self.path}: valid experiment '{self.name}'"]
        if self.raw.get("base"):
            lines.append(f"base = {self.raw['base']!r}")
        if self.design == "grid":
            n = len(self.axes)
            design = (
                f"grid over {n} {'axis' if n == 1 else 'axes'} (full product)"
                if n
                else "a single condition"
            )
        else:
            design = f"{self.design} sample over {len(self.axes)} parameters"
        lines += [
            f"design: {design}: {len(self.conditions)} conditions x {s.replications} "
            f"replications = {len(runs)} runs",
            f"root_seed = {s.root_seed}; worlds = {str(s.worlds).lower()} ("
            + (
                "every run shares one population; unpredictability in conditions.parquet)"
                if s.worlds
                else "each run draws its own population)"
            ),
            f"steps = {self.base.run.steps} weeks; record_every = {self.base.run.record_every}",
        ]
        if s.keep_freelancers:
            lines.append("keep_freelancers = true (parts/<run_id>/freelancers.parquet)")
        if self.levels:
            lines.append("[sweep] axes:")
            lines += [f"  {k} = {_fmt_value(v)}" for k, v in self.levels.items()]
        if self.sample is not None:
            ss = self.sample.settings
            lines.append(f"[sample] method = {ss.method!r}, n = {ss.n}:")
            for k, b, integer in zip(
                self.sample.keys, self.sample.bounds, self.sample.integer, strict=True
            ):
                lines.append(f"  {k} in [{b[0]:g}, {b[1]:g}]" + (" (integer)" if integer else ""))
        if self.fixed:
            lines.append("[set] fixed for every run:")
            lines += [f"  {k} = {_fmt_value(v)}" for k, v in self.fixed.items()]
        lines.append("conditions:")
        shown = self.conditions[:20]
        lines += [f"  {c.condition_id}  {c.label(short=False)}" for c in shown]
        if len(self.conditions) > len(shown):
            lines.append(f"  ... and {len(self.conditions) - len(shown)} more")
        lines.append("runs (seed, population_seed):")
        lines += [f"  {r.run_id}  {r.seed}  {r.population_seed}" for r in runs[:10]]
        if len(runs) > 10:
            lines.append(f"  ... and {len(runs) - 10} more")
        lines.append(
            "# the world of every run before its condition's values and seeds (every key):"
        )
        lines.append(self.base.to_toml().rstrip())
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Loading and validation


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file, expanding its design into conditions.

    Every condition's config is validated here, so a wrong value on an axis fails before any
    run starts.

    Raises:
        ConfigError: one line naming the file and the dotted key of the first problem.
    """
    p = Path(path)
    data = read_with_base(p)
    raw_sections = {k: data.pop(k) for k in EXPERIMENT_SECTIONS if k in data}
    raw_base = _read_base_field(p)
    if not any(k in raw_sections for k in ("experiment", "sweep", "sample")):
        raise ConfigError(
            p,
            None,
            "not an experiment: no [experiment], [sweep] or [sample] "
            "section (a single world runs with 'marketplace-sim run')",
        )
    for k, v in raw_sections.items():
        if not isinstance(v, Mapping):
            raise ConfigError(p, k, f"must be a table, got {_show(v)}")
    settings = _validate_section(
        ExperimentSection, raw_sections.get("experiment", {}), p, "experiment"
    )
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
    if settings.metrics is not None:
        for m in settings.metrics:
            if m not in METRIC_COLUMNS and m not in LG_COLUMNS:  # LG: a docking world's
                hint = difflib.get_close_matches(m, (*METRIC_COLUMNS, *LG_COLUMNS), n=1)
                raise ConfigError(
                    p,
                    "experiment.metrics",
                    f"unknown metric {m!r}" + (f" (did you mean '{hint[0]}'?)" if hint else ""),
                )

    world = validate_config(data, p)

    fixed = _flatten(raw_sections.get("set", {}))
    source = dict.fromkeys(fixed, "set")
    for key in fixed:
        _check_key(p, "set", key)
    sweep = _flatten(raw_sections.get("sweep", {}))
    levels: dict[str, list[Any]] = {}
    for key, value in sweep.items():
        _check_key(p, "sweep", key)
        if key in fixed:
            raise ConfigError(p, f"sweep.{key}", "also in [set]; give it in one place")
        if isinstance(value, list):
            if not value:
                raise ConfigError(p, f"sweep.{key}", "empty axis (give at least one value)")
            levels[key] = value
        else:
            fixed[key] = value  # a scalar in [sweep] is fixed, as in Mesa's batch_run
            source[key] = "sweep"

    overrides = dict(fixed)
    overrides["run.record_contracts"] = False  # sweeps keep summaries; contracts are not kept
    if settings.record_every is not None:
        overrides["run.record_every"] = settings.record_every
    try:
        base = world.with_overrides(overrides, str(p))
    except ConfigError as exc:
        section = source.get(exc.key or "", "set")
        raise ConfigError(p, f"{section}.{exc.key}" if exc.key else section, exc.message) from None

    sample = None
    if "sample" in raw_sections:
        if levels:
            raise ConfigError(
                p,
                "sample",
                "use either [sweep] axes or [sample], not both (fixed values go in [set])",
            )
        sample = _sampled_design(p, raw_sections["sample"], base, settings.root_seed)
        conditions = _sampled_conditions(p, sample, base)
        axes = sample.keys
        design: Design = sample.settings.method
    else:
        conditions, levels = _grid_conditions(p, levels, base)
        axes = tuple(levels)
        design = "grid"
    raw = {k: v for k, v in raw_sections.items()}
    if raw_base is not None:
        raw["base"] = raw_base
    return Experiment(
        path=p,
        name=name,
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


def _read_base_field(p: Path) -> str | None:
    import tomllib

    with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
        base = tomllib.loads(p.read_text(encoding="utf-8")).get("base")
        return base if isinstance(base, str) else None
    return None


def _validate_section[M: BaseModel](model: type[M], raw: Any, path: Path, section: str) -> M:
    if not isinstance(raw, Mapping):
        raise ConfigError(path, section, f"must be a table, got {_show(raw)}")
    known = list(model.model_fields)
    for key in raw:
        if key not in known:
            hint = difflib.get_close_matches(str(key), known, n=1, cutoff=0.5)
            raise ConfigError(
                path,
                f"{section}.{key}",
                "unknown key" + (f" (did you mean '{hint[0]}'?)" if hint else ""),
            )
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        err = to_config_error(exc, path)
        if err.key is None:  # a missing required key
            loc = ".".join(str(x) for x in exc.errors()[0]["loc"])
            raise ConfigError(path, f"{section}.{loc}", err.message) from None
        raise ConfigError(path, f"{section}.{err.key}", err.message) from None


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}, "c.d": [2]}`` -> ``{"a.b": 1, "c.d": [2]}`` (lists are leaves)."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v and key not in _known_keys()[0]:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


@functools.cache
def _known_keys() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(all_keys()), frozenset(all_prefixes())


def _check_key(path: Path, section: str, key: str) -> None:
    if key in SEED_KEYS:
        raise ConfigError(
            path,
            f"{section}.{key}",
            "seeds are derived from experiment.root_seed in a sweep; set that instead",
        )
    leaves, sections = _known_keys()
    if key not in leaves and key not in sections:
        raise ConfigError(path, f"{section}.{key}", f"unknown key{suggest(key)}")


def _grid_conditions(
    path: Path, levels: dict[str, list[Any]], base: Config
) -> tuple[tuple[Condition, ...], dict[str, list[Any]]]:
    """The full product of the axes (first axis slowest), and the levels as stored.

    Levels are returned as the schema holds them (``2`` on a float key becomes ``2.0``).
    """
    # each value on its own first: the error then names the axis and the value's position
    coerced: dict[str, list[Any]] = {}
    for key, values in levels.items():
        coerced[key] = []
        for i, value in enumerate(values):
            try:
                cfg = base.with_overrides({key: value}, str(path))
            except ConfigError as exc:
                msg = exc.message if exc.key in (None, key) else f"{exc.key}: {exc.message}"
                raise ConfigError(path, f"sweep.{key}[{i}]", msg) from None
            coerced[key].append(get_dotted(cfg.model_dump(), key))
    combos = list(itertools.product(*levels.values()))
    ids = _ids("c", len(combos))
    out = []
    for i, combo in enumerate(combos):
        values = dict(zip(levels, combo, strict=True))
        try:
            cfg = base.with_overrides(values, str(path))
        except ConfigError as exc:  # a cross-key rule, e.g. reviews' thresholds
            raise ConfigError(
                path,
                "sweep",
                f"condition {ids[i]} ({_fmt_values(values)}): {exc.key}: {exc.message}",
            ) from None
        dumped = cfg.model_dump()
        out.append(Condition(i, ids[i], {k: get_dotted(dumped, k) for k in levels}, cfg))
    return tuple(out), coerced


def _sampled_design(path: Path, raw: Any, base: Config, root_seed: int) -> SampledDesign:
    raw = dict(raw)
    ranges = raw.get("ranges")
    if isinstance(ranges, Mapping):
        raw["ranges"] = _flatten(ranges)
    s = _validate_section(SampleSection, raw, path, "sample")
    if not s.ranges:
        raise ConfigError(path, "sample.ranges", "give at least one key = [low, high]")
    keys, bounds, integer = [], [], []
    for key, rng in s.ranges.items():
        where = f"sample.ranges.{key}"
        _check_key(path, "sample.ranges", key)
        kind = _field_type(key)
        if kind not in (int, float):
            raise ConfigError(path, where, "not a numeric key; sweep it in [sweep] instead")
        ok = (
            isinstance(rng, list)
            and len(rng) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in rng)
        )
        if not ok:
            raise ConfigError(path, where, f"must be [low, high], got {_show(rng)}")
        lo, hi = float(rng[0]), float(rng[1])
        if not lo < hi:
            raise ConfigError(path, where, f"low must be below high, got [{lo:g}, {hi:g}]")
        for end in (lo, hi):
            value: float | int = round(end) if kind is int else end
            try:
                base.with_overrides({key: value}, str(path))
            except ConfigError as exc:
                raise ConfigError(path, where, exc.message) from None
        keys.append(key)
        bounds.append((lo, hi))
        integer.append(kind is int)
    seed = _sample_seed(root_seed)
    d = len(keys)
    problem = {"num_vars": d, "names": keys, "bounds": [list(b) for b in bounds]}
    if s.method == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(s.n)
        lo_a, hi_a = np.array(bounds).T
        matrix = lo_a + unit * (hi_a - lo_a)
    else:
        salib = _import_salib(path)
        if s.method == "sobol":
            if s.n & (s.n - 1):
                raise ConfigError(path, "sample.n", f"Sobol designs need a power of 2, got {s.n}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                matrix = salib.sample.sobol.sample(
                    problem, s.n, calc_second_order=s.second_order, seed=seed
                )
        else:
            for key, (lo, hi), is_int in zip(keys, bounds, integer, strict=True):
                grid = np.rint(lo + (hi - lo) * np.arange(s.levels) / (s.levels - 1))
                if is_int and len(set(grid)) < s.levels:
                    raise ConfigError(
                        path,
                        f"sample.ranges.{key}",
                        f"integer range too narrow for {s.levels} distinct Morris levels",
                    )
            matrix = salib.sample.morris.sample(problem, s.n, num_levels=s.levels, seed=seed)
    return SampledDesign(
        s, tuple(keys), tuple(bounds), tuple(integer), seed, np.asarray(matrix, dtype=float)
    )


def _import_salib(path: Path) -> Any:
    try:
        import SALib.analyze.morris
        import SALib.analyze.sobol
        import SALib.sample.morris
        import SALib.sample.sobol
    except ImportError:
        raise ConfigError(
            path,
            "sample.method",
            "Sobol and Morris designs need SALib: pip install 'marketplace-sim[sensitivity]'",
        ) from None
    return SALib


def _sampled_conditions(path: Path, sample: SampledDesign, base: Config) -> tuple[Condition, ...]:
    ids = _ids("s", len(sample.matrix))
    out = []
    for i, row in enumerate(sample.matrix):
        values: dict[str, Any] = {
            k: int(np.rint(x)) if is_int else float(x)
            for k, x, is_int in zip(sample.keys, row, sample.integer, strict=True)
        }
        try:
            cfg = base.with_overrides(values, str(path))
        except ConfigError as exc:
            raise ConfigError(
                path, "sample", f"point {ids[i]} ({_fmt_values(values)}): {exc.key}: {exc.message}"
            ) from None
        out.append(Condition(i, ids[i], values, cfg))
    return tuple(out)


def _field_type(key: str) -> Any:
    """The annotation of a dotted leaf key of the config schema (None if not a leaf)."""
    model: Any = Config
    parts = key.split(".")
    for i, part in enumerate(parts):
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        ann = fields[part].annotation
        if i == len(parts) - 1:
            return ann
        model = next(
            (
                a
                for a in (ann, *getattr(ann, "__args__", ()))
                if isinstance(a, type) and issubclass(a, BaseModel)
            ),
            None,
        )
    return None


def _ids(prefix: str, n: int) -> list[str]:
    width = max(3, len(str(n - 1)))
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def _short_names(keys: list[str]) -> dict[str, str]:
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (s if last.count(s) == 1 else k) for k, s in zip(keys, last, strict=True)}


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str):
        return v
    if isinstance(v, Mapping | list):
        return json.dumps(v, sort_keys=True)
    return str(v)


def _fmt_values(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt_value(v)}" for k, v in values.items())


def _show(v: Any) -> str:
    if isinstance(v, Mapping):
        return "a table"
    return f"{v!r} ({type(v).__name__})"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _cell(v: Any) -> Any:
    """An axis value as a table cell: scalars as they are, tables as canonical JSON text."""
    return json.dumps(v, sort_keys=True) if isinstance(v, Mapping | list) else v


# --------------------------------------------------------------------------------------------
# The sweep folder


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did."""

    out: Path
    n_runs: int
    n_failed: int
    n_skipped: int  # already done before this session (resume)
    wall_seconds: float
    notes: tuple[str, ...] = ()


def run_sweep(
    exp: Experiment,
    out: Path,
    *,
    workers: int | None = None,
    executor: str = "local",
    address: str | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
    quiet: bool = True,
    command: Sequence[str] | None = None,
) -> SweepReport:
    """Run every condition x replication of ``exp`` into the sweep folder ``out``.

    Each finished run is written atomically to ``out/parts/<run_id>/`` as results arrive;
    ``runs.parquet``, ``steps.parquet``, ``conditions.parquet`` (and ``sensitivity.parquet``
    for Sobol, Morris and LHS designs), ``figures/`` and finally ``manifest.json`` are then
    assembled from the parts, each written under a temporary name and renamed into place.

    Args:
        exp: a loaded experiment.
        out: the sweep folder (written in place, so that it can be resumed).
        workers: worker processes (default: every core; 1 runs in this process).
        executor: ``"local"`` or ``"dask"``.
        address: a Dask scheduler address (with ``executor="dask"``).
        resume: finish the sweep already in ``out``: run only the runs without a successful
            part (failed runs are retried).
        force: replace a non-empty ``out`` that is not resumed.
        progress: show a progress bar over runs on stderr.
        quiet: no start-of-sweep line.
        command: the command line, for the manifest.

    Returns:
        A :class:`SweepReport`; ``n_failed > 0`` means some runs raised (their errors are in
        ``runs.parquet``).

    Raises:
        ConfigError: ``out`` is not empty (without ``resume``/``force``), holds another
            experiment's sweep, or the executor cannot start (e.g. Dask missing).
    """
    from marketplace_sim.experiments.executors import default_workers, make_executor, run_spec

    started = time.time()
    out = Path(out)
    if resume and force:
        raise ConfigError("--resume", None, "cannot be combined with --force")
    state = _check_sweep_out(exp, out, resume=resume, force=force)
    runs = exp.runs()
    by_id = {r.run_id: r for r in runs}
    done = _scan_parts(out / PARTS, by_id, _part_files(exp)) if state is not None else {}
    todo = [r for r in runs if done.get(r.run_id) != "ok"]
    if workers is not None and workers < 1:
        raise ConfigError("--workers", None, f"must be at least 1, got {workers}")
    # no more workers than runs to do: idle processes only cost start-up time
    n_workers = max(1, min(workers or default_workers(), len(todo) or 1))
    if address:
        n_workers = None  # the cluster decides
    ex = make_executor(executor, n_workers, address) if todo else None
    replaced: Path | None = None
    try:
        if state is None and out.exists() and force:
            # Keep the old folder aside until the new sweep is complete: an interrupted or
            # failed sweep must not have destroyed the results it was meant to replace.
            replaced = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, replaced)
        out.mkdir(parents=True, exist_ok=True)
        if todo and (out / "manifest.json").exists():
            # A manifest marks a complete sweep; this folder is about to change.
            (out / "manifest.json").unlink()
        _clean_temporaries(out)
        if state is None:  # sweep.json first: a folder with parts always says what it is
            state = _sweep_state(exp)
            _write_text_atomic(out / SWEEP_JSON, json.dumps(state, indent=1) + "\n")
            _write_text_atomic(out / "experiment.toml", exp.to_toml())
        (out / PARTS).mkdir(exist_ok=True)
        if not quiet:
            where = ex.description if ex is not None else "nothing to run"
            print(
                f"sweep {exp.name}: {len(exp.conditions)} conditions x {exp.replications} "
                f"replications = {len(runs)} runs ({len(runs) - len(todo)} done); "
                f"{where} -> {out}",
                file=sys.stderr,
            )
        n_failed = _execute(exp, out, todo, len(runs), ex, run_spec, progress)
    finally:
        if ex is not None:
            ex.close()
    notes = assemble_tables(out, exp)
    if exp.settings.figures:
        draw_sweep_figures(out)
    wall = time.time() - started
    run_seconds = _sum_run_seconds(out / PARTS, runs)
    write_manifest = manifest(
        "sweep",
        command,
        started,
        wall,
        experiment_file=str(exp.path),
        experiment=_jsonable(exp.resolved()),
        fingerprint=state["fingerprint"],
        first_started_utc=state.get("created_utc"),
        root_seed=exp.settings.root_seed,
        worlds=exp.worlds,
        design=exp.design,
        conditions=len(exp.conditions),
        replications=exp.replications,
        runs=len(runs),
        runs_this_session=len(todo),
        runs_failed=n_failed,
        resumed=resume and len(todo) < len(runs),
        executor=executor,
        executor_description=ex.description if ex is not None else None,
        workers=n_workers,
        address=address,
        run_seconds_total=round(run_seconds, 3),
        notes=list(notes),
    )
    _write_text_atomic(
        out / "manifest.json", json.dumps(write_manifest, indent=2, default=str) + "\n"
    )
    if replaced is not None:
        shutil.rmtree(replaced, ignore_errors=True)
    return SweepReport(out, len(runs), n_failed, len(runs) - len(todo), wall, tuple(notes))


def _check_sweep_out(
    exp: Experiment, out: Path, *, resume: bool, force: bool
) -> dict[str, Any] | None:
    """Refuse a folder we must not write into; return the recorded state when resuming."""
    refuse_enclosing(out)
    ensure_parent(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(out, None, "exists and is not a folder")
    if not (out.is_dir() and any(out.iterdir())):
        return None
    if resume and not (out / SWEEP_JSON).exists() and _only_leftovers(out):
        return None  # killed before its first file was in place: start afresh
    if resume:
        path = out / SWEEP_JSON
        if not path.exists():
            raise ConfigError(out, None, f"not a sweep folder (no {SWEEP_JSON}); cannot resume")
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(path, None, f"unreadable: {exc}") from None
        if state.get("fingerprint") != exp.fingerprint():
            raise ConfigError(
                out,
                None,
                "holds a sweep of a different experiment (its runs "
                "or configs differ); resume with the same file, or use a new --out",
            )
        code = {"version": __version__, "git_commit": git_commit()}
        started_with = {k: state.get(k) for k in code}
        if started_with != code:
            print(
                f"warning: {out} was started with marketplace-sim {started_with}, this is "
                f"{code}: its parts may come from different code",
                file=sys.stderr,
            )
        return state
    if not force:
        raise ConfigError(
            out,
            None,
            "results folder exists and is not empty (use --resume to "
            "finish an interrupted sweep, or --force to replace it)",
        )
    return None


def _is_temporary(p: Path) -> bool:
    return p.name.startswith(".") and (".tmp-" in p.name or ".old-" in p.name)


def _only_leftovers(out: Path) -> bool:
    """Whether ``out`` holds nothing but temporaries and an empty ``parts/``."""
    for p in out.iterdir():
        if p.name == PARTS and p.is_dir():
            if not all(_is_temporary(q) for q in p.iterdir()):
                return False
        elif not _is_temporary(p):
            return False
    return True


def _sweep_state(exp: Experiment) -> dict[str, Any]:
    runs = exp.runs()
    return _jsonable(
        {
            "name": exp.name,
            "experiment_file": str(exp.path),
            "created_utc": dt.datetime.now(dt.UTC).isoformat(),
            "fingerprint": exp.fingerprint(),
            "version": __version__,
            "git_commit": git_commit(),
            "design": exp.design,
            "axes": list(exp.axes),
            "levels": exp.levels,
            "metrics": exp.metrics,
            "worlds": exp.worlds,
            "replications": exp.replications,
            "root_seed": exp.settings.root_seed,
            "conditions": [
                {"condition_id": c.condition_id, "values": c.values} for c in exp.conditions
            ],
            "runs": [
                {
                    "run_id": r.run_id,
                    "condition_id": r.condition_id,
                    "replicate": r.replicate,
                    "seed": r.seed,
                    "population_seed": r.population_seed,
                }
                for r in runs
            ],
        }
    )


def _execute(
    exp: Experiment, out: Path, todo: list[Run], total: int, ex: Any, fn: Any, progress: bool
) -> int:
    """Run ``todo`` and write a part per finished run; returns how many failed."""
    if not todo:
        return 0
    from tqdm import tqdm

    parts = out / PARTS
    by_id = {r.run_id: r for r in todo}
    specs = (r.spec(keep_earnings=exp.worlds, keep_freelancers=exp.keep_freelancers) for r in todo)
    bar = tqdm(
        total=total,
        initial=total - len(todo),
        unit="run",
        desc=exp.name,
        file=sys.stderr,
        dynamic_ncols=True,
        disable=not progress,
        smoothing=0.1,
        mininterval=0.5 if sys.stderr.isatty() else 30.0,
    )
    n_failed = 0
    n_done = 0
    previous = _raise_on_sigterm()
    try:
        for spec, summary in ex.imap_unordered(fn, specs):
            run = by_id[spec["run_id"]]
            write_part(parts, run, spec, summary)
            n_done += 1
            if summary["status"] != "ok":
                n_failed += 1
                line = f"run {run.run_id} failed: {summary['error']}"
                if progress:
                    bar.write(line, file=sys.stderr)
                else:
                    print(line, file=sys.stderr)
            bar.update(1)
    except KeyboardInterrupt:
        bar.close()
        print(
            f"interrupted after {total - len(todo) + n_done} of {total} runs; finish with: "
            f"marketplace-sim sweep {exp.path} --out {out} --resume",
            file=sys.stderr,
        )
        raise
    finally:
        bar.close()
        _restore_sigterm(previous)
    return n_failed


def _raise_on_sigterm() -> Any:
    """Turn SIGTERM (e.g. a batch system's time limit) into the Ctrl-C path: workers stopped."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return None


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, previous)


def write_part(parts: Path, run: Run, spec: Mapping[str, Any], summary: Mapping[str, Any]) -> Path:
    """Write one finished run as ``parts/<run_id>/`` atomically (temporary folder, rename).

    The part holds ``run.json`` (ids, seeds, condition values, status, error and traceback,
    wall and CPU time, worker, and the run's full config), and for a successful run
    ``steps.parquet`` (the thinned per-week metrics; its last row is the final week), for
    worlds ``earnings.parquet`` (``freelancer_id``, ``earnings``), and with
    ``keep_freelancers`` ``freelancers.parquet`` (the run's freelancers table, see
    :func:`marketplace_sim.executors.run_spec`).
    """
    final = parts / run.run_id
    tmp = parts / f".{run.run_id}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    ok = summary["status"] == "ok"
    if ok:
        summary["steps"].to_parquet(tmp / "steps.parquet", index=False)
        if summary.get("earnings") is not None:
            summary["earnings"].to_parquet(tmp / "earnings.parquet", index=False)
        if summary.get("freelancers") is not None:
            summary["freelancers"].to_parquet(tmp / FREELANCERS_PART, index=False)
    record = {
        "run_id": run.run_id,
        "condition_id": run.condition_id,
        "replicate": run.replicate,
        "seed": run.seed,
        "population_seed": run.population_seed,
        "values": run.condition.values,
        "status": summary["status"],
        "error": summary.get("error"),
        "traceback": summary.get("traceback"),
        "wall_seconds": round(float(summary.get("wall_seconds") or 0.0), 4),
        "cpu_seconds": round(float(summary.get("cpu_seconds") or 0.0), 4),
        "worker": summary.get("worker"),
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(),
        "config": spec["config"],
    }
    (tmp / "run.json").write_text(json.dumps(_jsonable(record), indent=1) + "\n", encoding="utf-8")
    for f in tmp.iterdir():
        _fsync(f)
    _fsync(tmp)
    replace_dir(tmp, final)  # replaces a failed part being retried
    _fsync(parts)
    return final


def _fsync(path: Path) -> None:
    """Flush a file or folder to disk, so a renamed part survives a crash of the machine."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - folders cannot be opened on Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _part_files(exp: Experiment) -> tuple[str, ...]:
    """The files a successful part of ``exp`` must hold."""
    return ("steps.parquet", FREELANCERS_PART) if exp.keep_freelancers else ("steps.parquet",)


def _read_part(
    parts: Path, run_id: str, files: Sequence[str] = ("steps.parquet",)
) -> dict[str, Any] | None:
    try:
        record = json.loads((parts / run_id / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("status") == "ok" and not all((parts / run_id / f).exists() for f in files):
        return None
    return record


def _scan_parts(
    parts: Path, expected: Mapping[str, Run], files: Sequence[str] = ("steps.parquet",)
) -> dict[str, str]:
    """``run_id -> status`` of the parts on disk (unreadable or incomplete parts are removed)."""
    out: dict[str, str] = {}
    if not parts.is_dir():
        return out
    for d in parts.iterdir():
        if d.name.startswith(".") or d.name not in expected:
            continue
        record = _read_part(parts, d.name, files)
        if record is None:
            shutil.rmtree(d, ignore_errors=True)
            continue
        out[d.name] = record["status"]
    return out


def _clean_temporaries(out: Path) -> None:
    """Remove what a killed sweep may have left half-written (hidden temporary names)."""
    for folder in (out, out / PARTS):
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            if _is_temporary(p):
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    _fsync(tmp)
    os.replace(tmp, path)


def _write_parquet_atomic(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    df.to_parquet(tmp, index=False)
    _fsync(tmp)
    os.replace(tmp, path)


def _sum_run_seconds(parts: Path, runs: Sequence[Run]) -> float:
    total = 0.0
    for r in runs:
        record = _read_part(parts, r.run_id)
        if record is not None:
            total += float(record.get("wall_seconds") or 0.0)
    return total


# --------------------------------------------------------------------------------------------
# Tables


def assemble_tables(out: Path, exp: Experiment) -> tuple[str, ...]:
    """Write ``runs``, ``steps``, ``conditions`` (and ``sensitivity``) from the parts.

    Rows are in run-id order whatever order runs finished in. ``steps.parquet`` is streamed
    part by part, so memory does not grow with the number of runs.

    Returns:
        Notes worth telling the user (e.g. a metric left out of the sensitivity analysis).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = out / PARTS
    runs = sorted(exp.runs(), key=lambda r: r.run_id)
    rows: list[dict[str, Any]] = []
    int_metrics: set[str] = set()
    metric_cols = list(METRIC_COLUMNS)  # + a docking world's own columns (LG_COLUMNS), if run
    steps_tmp = out / f".steps.parquet.tmp-{os.getpid()}"
    writer = None
    schema = None
    try:
        for run in runs:
            record = _read_part(parts, run.run_id)
            status = record["status"] if record else "missing"
            row: dict[str, Any] = {
                "run_id": run.run_id,
                "condition_id": run.condition_id,
                "replicate": run.replicate,
                "seed": run.seed,
                "population_seed": run.population_seed,
                **{k: _cell(v) for k, v in run.condition.values.items()},
            }
            if status == "ok":
                table = pq.read_table(parts / run.run_id / "steps.parquet")
                table = table.replace_schema_metadata(None)
                last = table.slice(table.num_rows - 1, 1).to_pylist()[0] if table.num_rows else {}
                metric_cols += [c for c in LG_COLUMNS if c in last and c not in metric_cols]
                row.update({m: last.get(m) for m in metric_cols})
                for m in metric_cols:
                    if m in table.column_names and pa.types.is_integer(table.schema.field(m).type):
                        int_metrics.add(m)
                n = table.num_rows
                ids = pa.table(
                    {
                        "run_id": pa.array([run.run_id] * n, pa.string()),
                        "condition_id": pa.array([run.condition_id] * n, pa.string()),
                        "replicate": pa.array([run.replicate] * n, pa.int32()),
                    }
                )
                full = pa.Table.from_arrays(
                    ids.columns + table.columns, names=ids.column_names + table.column_names
                )
                if writer is None:
                    schema = full.schema
                    writer = pq.ParquetWriter(steps_tmp, schema)
                writer.write_table(full.cast(schema))
            else:
                row.update({m: None for m in METRIC_COLUMNS})
            row["status"] = status
            row["error"] = record.get("error") if record else "no part written"
            rows.append(row)
        if writer is None:
            empty = pd.DataFrame(
                {
                    "run_id": pd.Series(dtype=str),
                    "condition_id": pd.Series(dtype=str),
                    "replicate": pd.Series(dtype="int32"),
                    "step": pd.Series(dtype="int32"),
                    **{m: pd.Series(dtype=float) for m in METRIC_COLUMNS},
                }
            )
            empty.to_parquet(steps_tmp, index=False)
        else:
            writer.close()
            writer = None
        _fsync(steps_tmp)
    except BaseException:
        if writer is not None:
            writer.close()
        steps_tmp.unlink(missing_ok=True)
        raise

    columns = [
        "run_id",
        "condition_id",
        "replicate",
        "seed",
        "population_seed",
        *exp.axes,
        *metric_cols,
        "status",
        "error",
    ]
    runs_df = pd.DataFrame(rows, columns=columns)
    for m in metric_cols:
        runs_df[m] = runs_df[m].astype("Int64" if m in int_metrics else "float64")
    runs_df["replicate"] = runs_df["replicate"].astype("int32")
    runs_df["seed"] = runs_df["seed"].astype("int64")
    runs_df["population_seed"] = runs_df["population_seed"].astype("int64")
    runs_df["error"] = runs_df["error"].astype("str")  # NaN when the run succeeded

    conditions_df = conditions_table(exp, runs_df, parts, metric_cols)
    notes: list[str] = []
    sens = None
    if exp.sample is not None:
        sens, notes = sensitivity_table(exp, runs_df)

    _write_parquet_atomic(runs_df, out / "runs.parquet")
    os.replace(steps_tmp, out / "steps.parquet")
    _write_parquet_atomic(conditions_df, out / "conditions.parquet")
    if sens is not None:
        _write_parquet_atomic(sens, out / "sensitivity.parquet")
    return tuple(notes)


def conditions_table(
    exp: Experiment,
    runs_df: pd.DataFrame,
    parts: Path,
    metrics: Sequence[str] = METRIC_COLUMNS,
) -> pd.DataFrame:
    """One row per condition: its values, run counts, each metric's mean and 95 % interval.

    The interval is a Student-t interval of the mean across the condition's successful
    replicates (:func:`marketplace_sim.metrics.mean_ci`). With ``worlds = true``, the
    ``unpredictability`` column holds U of Salganik et al. (2006) over the worlds (replicates)
    of the condition, computed on every freelancer's share of the world's total earnings
    (freelancers matched by ``freelancer_id``; one absent from a world counts as a zero share).
    """
    rows = []
    ok = runs_df[runs_df["status"] == "ok"]
    for cond in exp.conditions:
        sub = ok[ok["condition_id"] == cond.condition_id]
        n_all = int((runs_df["condition_id"] == cond.condition_id).sum())
        row: dict[str, Any] = {
            "condition_id": cond.condition_id,
            **{k: _cell(v) for k, v in cond.values.items()},
            "n_runs": len(sub),
            "n_failed": n_all - len(sub),
        }
        for m in metrics:
            values = pd.to_numeric(sub[m], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            mean, lo, hi = msm.mean_ci(values, CONF_LEVEL)
            row[f"{m}_mean"], row[f"{m}_lo"], row[f"{m}_hi"] = mean, lo, hi
        if exp.worlds:
            row["unpredictability"] = _unpredictability(parts, sub["run_id"].tolist())
        rows.append(row)
    df = pd.DataFrame(rows)
    df["n_runs"] = df["n_runs"].astype("int32")
    df["n_failed"] = df["n_failed"].astype("int32")
    return df


def _unpredictability(parts: Path, run_ids: Sequence[str]) -> float:
    if len(run_ids) < 2:
        return float("nan")
    frames = [pd.read_parquet(parts / rid / "earnings.parquet") for rid in sorted(run_ids)]
    ids = np.unique(np.concatenate([f["freelancer_id"].to_numpy() for f in frames]))
    shares = np.zeros((len(frames), len(ids)))
    for w, f in enumerate(frames):
        earn = f["earnings"].to_numpy(dtype=float)
        total = earn.sum()
        if total > 0:
            shares[w, np.searchsorted(ids, f["freelancer_id"].to_numpy())] = earn / total
    return msm.unpredictability(shares)


def sensitivity_table(exp: Experiment, runs_df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Sensitivity indices of each final metric (mean over replicates) to the sampled keys.

    Sobol: ``S1``, ``ST`` (and ``S2`` per pair, with ``parameter_2``) from
    ``SALib.analyze.sobol``; Morris: ``mu``, ``mu_star``, ``sigma`` from
    ``SALib.analyze.morris``; Latin hypercube: standardised regression coefficients ``SRC``
    (:func:`marketplace_sim.metrics.standardized_coefficients`). ``conf`` is the half-width of
    the 95 % bootstrap interval (NaN where the method gives none).

    Returns:
        The table (columns ``method``, ``metric``, ``parameter``, ``parameter_2``, ``index``,
        ``value``, ``conf``) and notes on metrics left out (failed runs, constant output).
    """
    assert exp.sample is not None
    sample = exp.sample
    s = sample.settings
    ok = runs_df[runs_df["status"] == "ok"]
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    cond_ids = [c.condition_id for c in exp.conditions]
    for m in exp.metrics:
        means = (
            pd.to_numeric(ok[m], errors="coerce")
            .astype(float)
            .groupby(ok["condition_id"])
            .mean()
            .reindex(cond_ids)
        )
        y = means.to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(y).any():
            notes.append(
                f"sensitivity: {m} left out ({int(np.isnan(y).sum())} design points "
                "without a value: failed runs or an undefined metric)"
            )
            continue
        if np.ptp(y) == 0:
            notes.append(f"sensitivity: {m} left out (constant over the design)")
            continue

        def add(index: str, values: Any, conf: Any = None, m: str = m) -> None:
            conf_a = np.full(len(sample.keys), np.nan) if conf is None else np.asarray(conf)
            for i, name in enumerate(sample.keys):
                rows.append(
                    {
                        "method": s.method,
                        "metric": m,
                        "parameter": name,
                        "parameter_2": None,
                        "index": index,
                        "value": float(values[i]),
                        "conf": float(conf_a[i]),
                    }
                )

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if s.method == "sobol":
                from SALib.analyze import sobol

                si = sobol.analyze(
                    sample.problem,
                    y,
                    calc_second_order=s.second_order,
                    num_resamples=s.resamples,
                    conf_level=CONF_LEVEL,
                    seed=sample.seed,
                )
                add("S1", si["S1"], si["S1_conf"])
                add("ST", si["ST"], si["ST_conf"])
                if s.second_order:
                    for i, j in itertools.combinations(range(len(sample.keys)), 2):
                        rows.append(
                            {
                                "method": s.method,
                                "metric": m,
                                "parameter": sample.keys[i],
                                "parameter_2": sample.keys[j],
                                "index": "S2",
                                "value": float(si["S2"][i, j]),
                                "conf": float(si["S2_conf"][i, j]),
                            }
                        )
            elif s.method == "morris":
                from SALib.analyze import morris

                si = morris.analyze(
                    sample.problem,
                    sample.matrix,
                    y,
                    num_resamples=s.resamples,
                    conf_level=CONF_LEVEL,
                    num_levels=s.levels,
                    seed=sample.seed,
                )
                add("mu", si["mu"])
                add("mu_star", si["mu_star"], si["mu_star_conf"])
                add("sigma", si["sigma"])
            else:
                x = np.array(
                    [[c.values[k] for k in sample.keys] for c in exp.conditions], dtype=float
                )
                coef = msm.standardized_coefficients(x, y)
                rng = np.random.default_rng(sample.seed)
                boot = np.array(
                    [
                        msm.standardized_coefficients(x[idx], y[idx])
                        for idx in rng.integers(0, len(y), (s.resamples, len(y)))
                    ]
                )
                lo, hi = np.nanpercentile(boot, [2.5, 97.5], axis=0)
                add("SRC", coef, (hi - lo) / 2)
    df = pd.DataFrame(
        rows, columns=["method", "metric", "parameter", "parameter_2", "index", "value", "conf"]
    )
    df["parameter_2"] = df["parameter_2"].astype("str")  # NaN except for S2
    return df, notes


# --------------------------------------------------------------------------------------------
# Figures


def draw_sweep_figures(sweep_dir: Path | str, dpi: int = 150) -> list[Path]:
    """(Re)draw the figures of a sweep folder into ``<sweep_dir>/figures/``.

    Grid designs: each metric's final value against each swept axis (mean and 95 % band; the
    other axis as hue when there are two, pooled over the others when there are more), a
    heatmap over the first two axes, metric-over-time lines per condition (up to 12
    conditions), and unpredictability against each axis for worlds. Sampled designs: the
    sensitivity indices of each metric. The figures folder is replaced as a whole.

    Returns:
        The paths written.
    """
    d = Path(sweep_dir)
    info: dict[str, Any] = {}
    if (d / SWEEP_JSON).exists():
        info = json.loads((d / SWEEP_JSON).read_text(encoding="utf-8"))
    conditions = pd.read_parquet(d / "conditions.parquet")
    runs = pd.read_parquet(d / "runs.parquet")
    axes: list[str] = info.get("axes") or [c for c in conditions.columns if "." in c]
    metrics_: list[str] = info.get("metrics") or [
        m for m in CONTRACT_METRICS if f"{m}_mean" in conditions.columns
    ]
    design = info.get("design") or ("sampled" if (d / "sensitivity.parquet").exists() else "grid")

    tmp = d / f".figures.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    written: list[str] = []

    def save(name: str, make: Any) -> None:
        try:
            fig = make()
        except Exception as exc:  # one bad figure must not cost the others
            print(f"warning: figure {name} not drawn: {type(exc).__name__}: {exc}", file=sys.stderr)
            return
        fig.savefig(tmp / name, dpi=dpi)
        fig.clear()
        written.append(name)

    for name, make in _figure_plan(d, design, axes, metrics_, conditions, runs):
        save(name, make)

    final = d / "figures"
    replace_dir(tmp, final)
    return [final / n for n in written]


def _figure_plan(
    d: Path,
    design: str,
    axes: list[str],
    metrics_: list[str],
    conditions: pd.DataFrame,
    runs: pd.DataFrame,
) -> Iterator[tuple[str, Any]]:
    from marketplace_sim.plots import figures as plots

    if design != "grid":
        path = d / "sensitivity.parquet"
        if path.exists():
            table = pd.read_parquet(path)
            for m in metrics_:
                if (table["metric"] == m).any():
                    yield f"sensitivity_{m}.png", lambda m=m: plot_sensitivity(table, m)
        return

    ok = runs[runs["status"] == "ok"]
    for m in metrics_:
        for a in axes:
            others = [x for x in axes if x != a]
            if len(axes) <= 2:
                hue = others[0] if others else None
                yield (
                    f"{m}_by_{a}.png",
                    lambda m=m, a=a, hue=hue: plots.plot_sweep_metric(conditions, a, m, hue),
                )
            else:
                yield (
                    f"{m}_by_{a}.png",
                    lambda m=m, a=a, others=others: _pooled_title(
                        plots.plot_sweep_metric(_pooled(ok, [a], m), a, m), others
                    ),
                )
        if len(axes) >= 2:
            x, y = axes[0], axes[1]
            frame = conditions if len(axes) == 2 else _pooled(ok, [x, y], m)
            yield (
                f"heatmap_{m}.png",
                lambda m=m, frame=frame, x=x, y=y: _at_least(
                    plots.plot_sweep_heatmap(frame, x, y, m), width=8.0
                ),
            )
    if "unpredictability" in conditions.columns and 1 <= len(axes) <= 2:
        u = conditions.assign(
            unpredictability_mean=conditions["unpredictability"],
            unpredictability_lo=conditions["unpredictability"],
            unpredictability_hi=conditions["unpredictability"],
        )
        for a in axes:
            hue = next((x for x in axes if x != a), None)
            yield (
                f"unpredictability_by_{a}.png",
                lambda a=a, hue=hue: _relabel(
                    plots.plot_sweep_metric(u, a, "unpredictability", hue),
                    "unpredictability U across worlds (Salganik et al. 2006)",
                ),
            )
    if len(conditions) <= MAX_TIME_FIGURE_CONDITIONS:
        steps = pd.read_parquet(
            d / "steps.parquet", columns=["run_id", "condition_id", "step", *metrics_]
        )
        labels = _condition_labels(conditions, axes)
        steps["condition"] = steps["condition_id"].map(labels)
        for m in metrics_:
            yield (
                f"{m}_over_time.png",
                lambda m=m: plots.plot_metric_over_time(steps, m, group="condition"),
            )


def _condition_labels(conditions: pd.DataFrame, axes: list[str]) -> dict[str, str]:
    names = _short_names(axes)
    out = {}
    for _, row in conditions.iterrows():
        text = ", ".join(f"{names[a]}={_fmt_value(row[a])}" for a in axes)
        out[row["condition_id"]] = text or row["condition_id"]
    return out


def _pooled(ok: pd.DataFrame, keys: list[str], metric: str) -> pd.DataFrame:
    """Mean and 95 % interval of a metric over all runs at each value of ``keys``."""
    rows = []
    for values, sub in ok.groupby(keys, sort=False):
        vals = values if isinstance(values, tuple) else (values,)
        mean, lo, hi = msm.mean_ci(
            pd.to_numeric(sub[metric], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
            CONF_LEVEL,
        )
        rows.append(
            {
                **dict(zip(keys, vals, strict=True)),
                f"{metric}_mean": mean,
                f"{metric}_lo": lo,
                f"{metric}_hi": hi,
            }
        )
    return pd.DataFrame(rows)


def _at_least(fig: Any, width: float) -> Any:
    """Widen a figure whose title (two dotted key names) would not fit."""
    w, h = fig.get_size_inches()
    if w < width:
        fig.set_size_inches(width, h)
    return fig


def _pooled_title(fig: Any, others: list[str]) -> Any:
    ax = fig.axes[0]
    ax.set_title(ax.get_title() + f"\npooled over {', '.join(_short_names(others).values())}")
    return fig


def _relabel(fig: Any, ylabel: str) -> Any:
    ax = fig.axes[0]
    ax.set_ylabel(ylabel)
    ax.set_title(
        ax.get_title()
        .replace("(mean over runs, ", "(one value per condition, ")
        .replace("shaded band: 95 % CI", "no interval")
        .replace("error bars: 95 % CI", "no interval")
    )
    return fig


def plot_sensitivity(table: pd.DataFrame, metric: str) -> Any:
    """Bar chart of one metric's sensitivity indices per parameter, with 95 % intervals.

    Sobol: first-order ``S1`` and total ``ST``; Morris: ``mu_star`` (with interval) and
    ``sigma``; Latin hypercube: ``SRC``. Parameters are sorted by the main index (ST,
    mu_star or |SRC|), largest on top.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    sub = table[(table["metric"] == metric) & table["parameter_2"].isna()]
    method = str(sub["method"].iloc[0])
    indices = {"sobol": ["S1", "ST"], "morris": ["mu_star", "sigma"], "lhs": ["SRC"]}[method]
    main = {"sobol": "ST", "morris": "mu_star", "lhs": "SRC"}[method]
    wide = sub.pivot_table(index="parameter", columns="index", values="value", sort=False)
    conf = sub.pivot_table(
        index="parameter", columns="index", values="conf", sort=False, dropna=False
    )
    order = wide[main].abs().sort_values().index.tolist()
    n = len(order)
    fig = Figure(figsize=(7.0, 1.6 + 0.55 * n * len(indices)), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    height = 0.8 / len(indices)
    colors = ("#0072B2", "#D55E00", "#009E73")
    hatches = ("", "//", "..")
    for i, idx in enumerate(indices):
        y = np.arange(n) + (i - (len(indices) - 1) / 2) * height
        vals = wide.reindex(order)[idx].to_numpy(dtype=float)
        err = conf.reindex(order)[idx].to_numpy(dtype=float) if idx in conf else None
        if err is not None and np.all(np.isnan(err)):
            err = None
        ax.barh(
            y,
            vals,
            height=height * 0.9,
            color=colors[i],
            hatch=hatches[i],
            edgecolor="white",
            label=idx,
            xerr=None if err is None else np.nan_to_num(err),
            capsize=3,
        )
    ax.set_yticks(np.arange(n), order)
    ax.axvline(0, color="0.3", linewidth=0.8)
    label = {
        "sobol": "Sobol index (share of variance)",
        "morris": "elementary effect",
        "lhs": "standardised regression coefficient",
    }[method]
    ax.set_xlabel(label)
    ax.set_title(
        f"Sensitivity of final {metric.replace('_', ' ')} ({method})\nbars: 95 % bootstrap interval"
    )
    ax.legend(loc="best")
    ax.grid(True, axis="x", alpha=0.3)
    return fig


# --------------------------------------------------------------------------------------------
# Command line


def run_sweep_command(args: Any, command: Sequence[str]) -> int:
    """``marketplace-sim sweep``: load, validate, run, report; returns the exit code."""
    from marketplace_sim.cli import PROG, RESULTS_ROOT

    exp = load_experiment(args.experiment)
    out: Path | None = args.out
    if out is None:
        if args.resume:
            out = latest_sweep(RESULTS_ROOT / exp.name)
            if out is None:
                raise ConfigError(
                    args.experiment,
                    None,
                    f"nothing to resume under {RESULTS_ROOT / exp.name} (give --out)",
                )
        else:
            out = default_out(RESULTS_ROOT, exp.name)
    progress = not args.quiet
    report = run_sweep(
        exp,
        out,
        workers=args.workers,
        executor=args.executor,
        address=args.address,
        resume=args.resume,
        force=args.force,
        progress=progress,
        quiet=args.quiet,
        command=command,
    )
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    if report.n_failed:
        print(
            f"{PROG}: error: {report.n_failed} of {report.n_runs} runs failed (errors in "
            f"{out / 'runs.parquet'}, column 'error'); retry them with: {PROG} sweep "
            f"{args.experiment} --out {out} --resume",
            file=sys.stderr,
        )
        return 1
    if not args.quiet:
        print(f"wrote {out}")
    return 0


def latest_sweep(folder: Path) -> Path | None:
    """The most recent sweep folder under ``results/<name>/`` (by its timestamp name)."""
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.iterdir() if (p / SWEEP_JSON).exists())
    return found[-1] if found else None
