"""The parameter file of a fit (``FIT.toml``): which keys to estimate, their priors, the budget.

A fit file names the world's keys to estimate, each with a prior over a range, and the sizes
of the ABC-SMC (docs/fitting.md)::

    [fit]
    root_seed = 20261212      # every candidate's seed derives from it
    budget = 1500             # simulations at most (--budget overrides)
    particles = 100           # kept per generation: the posterior sample
    batch = 200               # new simulations per generation

    [params]
    "reviews.leniency" = [0.1, 0.6]                              # uniform on the range
    "freelancers.exit_idle_slope" = { range = [0.0001, 0.001], prior = "loguniform" }

    [weights]                 # optional: a statistic's weight in the distance (0 drops it)
    rate_q10 = 0.5

:func:`load_fit_spec` checks everything (unknown keys with a suggestion, empty or reversed
ranges, values the world's schema refuses) and raises one :class:`ConfigError` naming the file
and the dotted key, before anything runs or is written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marketplace_sim.config import Config, all_keys, get_dotted, read_toml, suggest
from marketplace_sim.errors import ConfigError

PRIORS = ("uniform", "loguniform")
#: Keys that set the size of the world: scaled with it (docs/fitting.md, "World size").
SIZE_KEYS = (
    "market.freelancers",
    "market.clients",
    "market.entry_rate",
    "market.client_entry_rate",
)
#: Keys a fit may not estimate: the seeds and the horizon are the fit's own business.
NOT_FITTED = ("run.seed", "run.population_seed", "run.steps", "run.record_every", "run.agent_every")
SECTIONS = ("fit", "params", "weights")


@dataclass(frozen=True)
class Settings:
    """The ``[fit]`` section: seeds and the sizes of the search.

    Attributes:
        root_seed: every candidate's proposal and world seed derive from it.
        budget: simulations of the search at most (generation 0 included).
        particles: particles kept per generation (the posterior sample's size).
        batch: new simulations per generation after the first; generation 0 simulates
            ``particles + batch`` draws from the prior (the prior predictive).
        min_acceptance: stop before the budget when fewer than this share of a generation's
            new simulations beat the previous threshold (Lenormand et al. 2013).
        check_replicates: fresh seeds on which the fitted world is compared with the data.
        pilot_runs: runs per round of the world-size pilot (docs/fitting.md).
        scale_world: scale the world's size so its listed profiles match the observed count.
    """

    root_seed: int = 20261212
    budget: int = 1500
    particles: int = 100
    batch: int = 200
    min_acceptance: float = 0.02
    check_replicates: int = 10
    pilot_runs: int = 3
    scale_world: bool = True

    @property
    def first(self) -> int:
        """Simulations of generation 0 (draws from the prior)."""
        return self.particles + self.batch

    def generations(self, budget: int | None = None) -> int:
        """Generations after the first that the budget allows."""
        b = self.budget if budget is None else budget
        return max(0, (b - self.first) // self.batch)


@dataclass(frozen=True)
class Parameter:
    """One estimated key: its prior over ``[lo, hi]``.

    ``loguniform`` is uniform in ``log(value)``; the search works in these internal
    coordinates (:meth:`to_internal`), where every prior is uniform on a box.
    """

    key: str
    lo: float
    hi: float
    prior: str = "uniform"
    integer: bool = False
    truth: float | None = None  # a known value (synthetic data only): drawn in the figures

    @property
    def log(self) -> bool:
        """Whether the prior is uniform in the logarithm."""
        return self.prior == "loguniform"

    def to_internal(self, value: float) -> float:
        """The internal coordinate of a value (its log for a log-uniform prior)."""
        return math.log(value) if self.log else float(value)

    def from_internal(self, u: float) -> float:
        """The value of an internal coordinate."""
        return math.exp(u) if self.log else float(u)

    @property
    def box(self) -> tuple[float, float]:
        """The prior's support in internal coordinates."""
        return self.to_internal(self.lo), self.to_internal(self.hi)

    def world_value(self, value: float) -> float | int:
        """The value as the world's config takes it (rounded for an integer key)."""
        return int(round(value)) if self.integer else float(value)


@dataclass(frozen=True)
class FitSpec:
    """A checked fit file."""

    path: Path
    params: tuple[Parameter, ...]
    settings: Settings = field(default_factory=Settings)
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """The estimated keys, in file order."""
        return [p.key for p in self.params]

    def to_json(self) -> dict[str, Any]:
        """Everything the fit file says, resolved (for ``fit.json`` and the manifest)."""
        return {
            "path": str(self.path),
            "params": [
                {"key": p.key, "lo": p.lo, "hi": p.hi, "prior": p.prior, "truth": p.truth}
                for p in self.params
            ],
            "settings": dict(self.settings.__dict__),
            "weights": dict(self.weights),
        }


def load_fit_spec(path: str | Path, statistics: Mapping[str, str] | None = None) -> FitSpec:
    """Read and check a fit file.

    Args:
        path: the ``FIT.toml`` file.
        statistics: the statistics a ``[weights]`` entry may name (default: every statistic
            of :data:`marketplace_sim.analysis.compare.STATISTICS`).

    Raises:
        ConfigError: one line naming the file and the dotted key of the first problem.
    """
    p = Path(path)
    data = read_toml(p)
    for name in data:
        if name not in SECTIONS:
            raise ConfigError(p, name, f"unknown section (expected {', '.join(SECTIONS)})")
    settings = _settings(p, _table(p, data, "fit"))
    params = _params(p, _table(p, data, "params"))
    if statistics is None:
        from marketplace_sim.analysis.compare import STATISTICS

        statistics = STATISTICS
    weights = _weights(p, _table(p, data, "weights"), statistics)
    return FitSpec(p, params, settings, weights)


def _table(p: Path, data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(p, name, f"must be a table, got {type(value).__name__}")
    return dict(value)


def _settings(p: Path, table: dict[str, Any]) -> Settings:
    known = Settings.__dataclass_fields__
    out: dict[str, Any] = {}
    for name, value in table.items():
        key = f"fit.{name}"
        if name not in known:
            close = [k for k in known if k.startswith(name[:3])]
            hint = f" (did you mean 'fit.{close[0]}'?)" if close else ""
            raise ConfigError(p, key, f"unknown key{hint}")
        default = known[name].default
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(p, key, f"must be true or false, got {value!r}")
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(p, key, f"must be a whole number, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(p, key, f"must be a number, got {value!r}")
        out[name] = value
    s = Settings(**out)
    _check_settings(p, s)
    return s


def _check_settings(p: Path, s: Settings) -> None:
    for name, least in (("particles", 2), ("batch", 1), ("check_replicates", 2), ("pilot_runs", 1)):
        if getattr(s, name) < least:
            raise ConfigError(p, f"fit.{name}", f"must be at least {least}, got {getattr(s, name)}")
    if s.root_seed < 0:
        raise ConfigError(p, "fit.root_seed", f"must be >= 0, got {s.root_seed}")
    if not 0 <= s.min_acceptance < 1:
        raise ConfigError(p, "fit.min_acceptance", f"must be in [0, 1), got {s.min_acceptance}")
    check_budget(p, "fit.budget", s.budget, s)


def check_budget(source: str | Path, key: str | None, budget: int, s: Settings) -> None:
    """Refuse a budget that does not pay for generation 0 (``particles + batch``)."""
    if budget < s.first:
        raise ConfigError(
            source,
            key,
            f"must be at least particles + batch = {s.first} (generation 0), got {budget}",
        )


def _params(p: Path, table: dict[str, Any]) -> tuple[Parameter, ...]:
    if not table:
        raise ConfigError(p, "params", 'no parameters to fit: add e.g. "reviews.prob" = [0.3, 1.0]')
    defaults = Config().to_dict()
    known = set(all_keys())
    out = []
    for key, value in table.items():
        where = f"params.{key}"
        if key not in known:
            raise ConfigError(p, where, f"unknown key{suggest(key)}")
        if key in NOT_FITTED:
            raise ConfigError(p, where, "seeds and the horizon cannot be fitted")
        default = _default(defaults, key)
        if default is None:
            raise ConfigError(p, where, "a key of an optional section cannot be fitted")
        if isinstance(default, bool) or not isinstance(default, int | float):
            raise ConfigError(p, where, f"not a numeric key (its default is {default!r})")
        rng, prior, truth = _range_of(p, where, value)
        lo, hi = rng
        if prior == "loguniform" and lo <= 0:
            raise ConfigError(p, where, f"a loguniform prior needs lo > 0, got {lo:g}")
        param = Parameter(key, lo, hi, prior, isinstance(default, int), truth)
        _check_in_schema(p, where, param)
        out.append(param)
    return tuple(out)


def _default(defaults: Mapping[str, Any], key: str) -> Any:
    try:
        return get_dotted(defaults, key)
    except (KeyError, TypeError):
        return None  # an optional section (interventions), absent from the defaults


def _range_of(p: Path, where: str, value: Any) -> tuple[tuple[float, float], str, float | None]:
    """``((lo, hi), prior, truth)`` of a ``[params]`` entry: a list, or a table with ``range``."""
    prior, truth = "uniform", None
    if isinstance(value, Mapping):
        extra = sorted(set(value) - {"range", "prior", "truth"})
        if extra:
            raise ConfigError(
                p, f"{where}.{extra[0]}", "unknown key (expected range, prior, truth)"
            )
        if "range" not in value:
            raise ConfigError(p, where, "needs range = [lo, hi]")
        prior = value.get("prior", "uniform")
        if prior not in PRIORS:
            raise ConfigError(
                p, f"{where}.prior", f"must be one of {', '.join(PRIORS)}, got {prior!r}"
            )
        truth = value.get("truth")
        if truth is not None and (isinstance(truth, bool) or not isinstance(truth, int | float)):
            raise ConfigError(p, f"{where}.truth", f"must be a number, got {truth!r}")
        value = value["range"]
    if not isinstance(value, list) or not value:
        raise ConfigError(p, where, f"empty range: give [lo, hi], got {value!r}")
    if len(value) != 2 or any(isinstance(v, bool) or not isinstance(v, int | float) for v in value):
        raise ConfigError(p, where, f"range must be two numbers [lo, hi], got {value!r}")
    lo, hi = float(value[0]), float(value[1])
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ConfigError(p, where, f"range must be finite, got {value!r}")
    if lo == hi:
        raise ConfigError(p, where, f"empty range: lo = hi = {lo:g} (fix the key instead)")
    if lo > hi:
        raise ConfigError(p, where, f"lo must be below hi, got [{lo:g}, {hi:g}]")
    if truth is not None and not lo <= truth <= hi:
        raise ConfigError(p, f"{where}.truth", f"{truth:g} is outside the range [{lo:g}, {hi:g}]")
    return (lo, hi), str(prior), None if truth is None else float(truth)


def _check_in_schema(p: Path, where: str, param: Parameter) -> None:
    """Both ends of the range must be values the world's schema accepts."""
    for end in (param.lo, param.hi):
        try:
            Config().with_overrides({param.key: param.world_value(end)})
        except ConfigError as exc:
            raise ConfigError(p, where, f"range end {end:g}: {exc.message}") from None


def _weights(p: Path, table: dict[str, Any], statistics: Mapping[str, str]) -> dict[str, float]:
    out = {}
    for name, w in table.items():
        if name not in statistics:
            import difflib

            close = difflib.get_close_matches(name, list(statistics), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(p, f"weights.{name}", f"not a compare statistic{hint}")
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
            raise ConfigError(p, f"weights.{name}", f"must be a number >= 0, got {w!r}")
        out[name] = float(w)
    return out
