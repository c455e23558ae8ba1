"""Schema of an experiment file's own sections (``[experiment]``, ``[sample]``) and its keys.

The world sections (``[run]``, ``[market]``, ...) are the config schema of ``config.py``; this
module adds what an experiment says about its runs, and the checks on the dotted keys that
``[sweep]``, ``[set]`` and ``[sample.ranges]`` name. Every problem is a one-line
:class:`ConfigError` naming the file and the dotted key.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from marketplace_sim.columns import METRIC_COLUMNS
from marketplace_sim.config import Config, all_keys, all_prefixes, suggest, to_config_error
from marketplace_sim.errors import ConfigError
from marketplace_sim.experiments.labels import show

EXPERIMENT_SECTIONS = ("experiment", "sweep", "set", "sample")
SEED_KEYS = ("run.seed", "run.population_seed")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

Design = Literal["grid", "lhs", "sobol", "morris"]


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


def validate_section[M: BaseModel](model: type[M], raw: Any, path: Any, section: str) -> M:
    """Validate one section against its schema; unknown keys get a suggestion."""
    if not isinstance(raw, Mapping):
        raise ConfigError(path, section, f"must be a table, got {show(raw)}")
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


def validate_metrics(path: Any, metrics: list[str] | None) -> None:
    """Refuse an unknown metric name in ``experiment.metrics``."""
    if not metrics:
        return
    from marketplace_sim.model.docking import LG_COLUMNS

    known = (*METRIC_COLUMNS, *LG_COLUMNS)  # LG_COLUMNS: a docking world's own (lg_*)
    for m in metrics:
        if m not in known:
            hint = difflib.get_close_matches(m, known, n=1)
            raise ConfigError(
                path,
                "experiment.metrics",
                f"unknown metric {m!r}" + (f" (did you mean '{hint[0]}'?)" if hint else ""),
            )


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}, "c.d": [2]}`` -> ``{"a.b": 1, "c.d": [2]}`` (lists are leaves)."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v and key not in known_keys()[0]:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


@functools.cache
def known_keys() -> tuple[frozenset[str], frozenset[str]]:
    """The config's leaf keys and its section names (dotted)."""
    return frozenset(all_keys()), frozenset(all_prefixes())


def check_key(path: Any, section: str, key: str) -> None:
    """Refuse a key that is not in the config schema, or a seed (derived, never set)."""
    if key in SEED_KEYS:
        raise ConfigError(
            path,
            f"{section}.{key}",
            "seeds are derived from experiment.root_seed in a sweep; set that instead",
        )
    leaves, sections = known_keys()
    if key not in leaves and key not in sections:
        raise ConfigError(path, f"{section}.{key}", f"unknown key{suggest(key)}")


def field_type(key: str) -> Any:
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
