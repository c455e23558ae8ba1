"""Expanding a design into conditions: the full grid product, or a sampled design (SALib).

Every condition's config is validated here, so that a wrong value fails before any run starts.
Sizes are counted first (:func:`grid_size`, :func:`sample_size`): a design too large for
:mod:`marketplace_sim.limits` is refused before any of it is built.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from marketplace_sim.config import Config, get_dotted
from marketplace_sim.errors import ConfigError
from marketplace_sim.experiments.labels import fmt_value, fmt_values, ids, short_names, show
from marketplace_sim.experiments.schema import (
    SampleSection,
    check_key,
    field_type,
    flatten,
    validate_section,
)


@dataclass(frozen=True)
class Condition:
    """One point of the design: the values of the swept (or sampled) keys, and its world."""

    index: int
    condition_id: str
    values: dict[str, Any]
    config: Config

    def label(self, short: bool = True) -> str:
        """``reputation_weight=1.0, ranking=random`` (last part of each key if ``short``)."""
        names = short_names(list(self.values)) if short else {k: k for k in self.values}
        return ", ".join(f"{names[k]}={fmt_value(v)}" for k, v in self.values.items()) or "-"


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


# --------------------------------------------------------------------------------------------
# Grid


def grid_size(levels: Mapping[str, list[Any]]) -> int:
    """Conditions of the full product (an integer: nothing is expanded)."""
    return math.prod(len(v) for v in levels.values())


def grid_conditions(
    path: Path, levels: dict[str, list[Any]], base: Config
) -> tuple[tuple[Condition, ...], dict[str, list[Any]]]:
    """The full product of the axes (first axis slowest), and the levels as stored.

    Levels are returned as the schema holds them (``2`` on a float key becomes ``2.0``).
    """
    # each value on its own first: the error then names the axis and the value's position
    coerced: dict[str, list[Any]] = {}
    for key, axis in levels.items():
        coerced[key] = []
        for i, value in enumerate(axis):
            try:
                cfg = base.with_overrides({key: value}, str(path))
            except ConfigError as exc:
                msg = exc.message if exc.key in (None, key) else f"{exc.key}: {exc.message}"
                raise ConfigError(path, f"sweep.{key}[{i}]", msg) from None
            coerced[key].append(get_dotted(cfg.model_dump(), key))
    combos = list(itertools.product(*levels.values()))
    names = ids("c", len(combos))
    out = []
    for i, combo in enumerate(combos):
        values = dict(zip(levels, combo, strict=True))
        try:
            cfg = base.with_overrides(values, str(path))
        except ConfigError as exc:  # a cross-key rule, e.g. reviews' thresholds
            raise ConfigError(
                path,
                "sweep",
                f"condition {names[i]} ({fmt_values(values)}): {exc.key}: {exc.message}",
            ) from None
        dumped = cfg.model_dump()
        out.append(Condition(i, names[i], {k: get_dotted(dumped, k) for k in levels}, cfg))
    return tuple(out), coerced


# --------------------------------------------------------------------------------------------
# Sampled designs


@dataclass(frozen=True)
class SampleRanges:
    """The validated ``[sample]`` section and its ranges, before anything is sampled."""

    settings: SampleSection
    keys: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    integer: tuple[bool, ...]


def sample_ranges(path: Path, raw: Any, base: Config) -> SampleRanges:
    """Validate ``[sample]``: its settings, and each range's key, shape and ends."""
    raw = dict(raw)
    ranges = raw.get("ranges")
    if isinstance(ranges, Mapping):
        raw["ranges"] = flatten(ranges)
    s = validate_section(SampleSection, raw, path, "sample")
    if not s.ranges:
        raise ConfigError(path, "sample.ranges", "give at least one key = [low, high]")
    keys, bounds, integer = [], [], []
    for key, rng in s.ranges.items():
        lo, hi, is_int = _one_range(path, base, key, rng)
        keys.append(key)
        bounds.append((lo, hi))
        integer.append(is_int)
    if s.method == "sobol" and s.n & (s.n - 1):
        raise ConfigError(path, "sample.n", f"Sobol designs need a power of 2, got {s.n}")
    return SampleRanges(s, tuple(keys), tuple(bounds), tuple(integer))


def _one_range(path: Path, base: Config, key: str, rng: Any) -> tuple[float, float, bool]:
    where = f"sample.ranges.{key}"
    check_key(path, "sample.ranges", key)
    kind = field_type(key)
    if kind not in (int, float):
        raise ConfigError(path, where, "not a numeric key; sweep it in [sweep] instead")
    ok = (
        isinstance(rng, list)
        and len(rng) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in rng)
    )
    if not ok:
        raise ConfigError(path, where, f"must be [low, high], got {show(rng)}")
    lo, hi = float(rng[0]), float(rng[1])
    if not lo < hi:
        raise ConfigError(path, where, f"low must be below high, got [{lo:g}, {hi:g}]")
    for end in (lo, hi):
        value: float | int = round(end) if kind is int else end
        try:
            base.with_overrides({key: value}, str(path))  # the schema's ranges and limits
        except ConfigError as exc:
            raise ConfigError(path, where, exc.message) from None
    return lo, hi, kind is int


def sample_size(r: SampleRanges) -> int:
    """Points of a sampled design (an integer: nothing is sampled)."""
    s, d = r.settings, len(r.keys)
    if s.method == "lhs":
        return s.n
    if s.method == "sobol":
        return s.n * (2 * d + 2 if s.second_order else d + 2)
    return s.n * (d + 1)


def sampled_design(path: Path, r: SampleRanges, seed: int) -> SampledDesign:
    """Sample the design: Latin hypercube (scipy), Sobol' (Saltelli) or Morris (SALib)."""
    s, keys, bounds = r.settings, list(r.keys), list(r.bounds)
    problem = {"num_vars": len(keys), "names": keys, "bounds": [list(b) for b in bounds]}
    if s.method == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(keys), rng=np.random.default_rng(seed)).random(s.n)
        lo_a, hi_a = np.array(bounds).T
        matrix = lo_a + unit * (hi_a - lo_a)
    else:
        salib = import_salib(path)
        if s.method == "sobol":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                matrix = salib.sample.sobol.sample(
                    problem, s.n, calc_second_order=s.second_order, seed=seed
                )
        else:
            _check_morris_levels(path, r)
            matrix = salib.sample.morris.sample(problem, s.n, num_levels=s.levels, seed=seed)
    return SampledDesign(s, r.keys, r.bounds, r.integer, seed, np.asarray(matrix, dtype=float))


def _check_morris_levels(path: Path, r: SampleRanges) -> None:
    levels = r.settings.levels
    for key, (lo, hi), is_int in zip(r.keys, r.bounds, r.integer, strict=True):
        grid = np.rint(lo + (hi - lo) * np.arange(levels) / (levels - 1))
        if is_int and len(set(grid)) < levels:
            raise ConfigError(
                path,
                f"sample.ranges.{key}",
                f"integer range too narrow for {levels} distinct Morris levels",
            )


def import_salib(path: Path) -> Any:
    """SALib's samplers and analysers, or a one-line error saying how to install them."""
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


def sampled_conditions(path: Path, sample: SampledDesign, base: Config) -> tuple[Condition, ...]:
    """One condition per sampled point (integer keys rounded), each config validated."""
    names = ids("s", len(sample.matrix))
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
                path, "sample", f"point {names[i]} ({fmt_values(values)}): {exc.key}: {exc.message}"
            ) from None
        out.append(Condition(i, names[i], values, cfg))
    return tuple(out)
