"""The whole world's schema (:class:`Config`), its key catalogue and validation.

Every key, its default, unit and range is declared once, in the section classes of
``agents.py`` and ``rules.py``; this module puts them together, lists every dotted key (for
"did you mean" suggestions and the README's reference table) and turns pydantic's errors into
one-line :class:`ConfigError` messages.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, Field, ValidationError, model_validator

from marketplace_sim.config.agents import (
    ClientsSection,
    FreelancersSection,
    JobsSection,
    MarketSection,
    RunSection,
)
from marketplace_sim.config.rules import (
    DeliverySection,
    DockingSection,
    InterventionsSection,
    PlatformSection,
    ReviewsSection,
)
from marketplace_sim.config.types import _Section
from marketplace_sim.errors import ConfigError


class Config(_Section):
    """A whole world: every key the model reads."""

    run: RunSection = RunSection()
    market: MarketSection = MarketSection()
    jobs: JobsSection = JobsSection()
    freelancers: FreelancersSection = FreelancersSection()
    clients: ClientsSection = ClientsSection()
    platform: PlatformSection = PlatformSection()
    delivery: DeliverySection = DeliverySection()
    reviews: ReviewsSection = ReviewsSection()
    interventions: InterventionsSection = InterventionsSection()
    docking: DockingSection | None = Field(
        None, description="a peer model run instead of ours (absent: ours)"
    )

    @model_validator(mode="after")
    def _docking_keys_need_docking(self) -> Config:
        if self.docking is None:
            for key, value in (
                ("clients.strategy_coefficient", self.clients.strategy_coefficient),
                ("platform.auction", self.platform.auction),
            ):
                if value is not None:
                    raise ValueError(f"{key} is read only by a docking world ([docking])")
        return self

    @model_validator(mode="after")
    def _interventions_within_run(self) -> Config:
        for name in ("first_job", "early_boost"):
            section = getattr(self.interventions, name)
            if section is not None and section.at_step > self.run.steps:
                raise ValueError(
                    f"interventions.{name}.at_step: week {section.at_step} is after the last "
                    f"week (run.steps = {self.run.steps})"
                )
        return self

    @property
    def population_seed(self) -> int:
        """The seed of the population stream (``run.population_seed``, else ``run.seed``)."""
        ps = self.run.population_seed
        return self.run.seed if ps is None else ps

    def to_dict(self) -> dict[str, Any]:
        """Every key, resolved (population_seed filled in, None-valued sections dropped)."""
        d = self.model_dump(exclude_none=True)
        d["run"]["population_seed"] = self.population_seed
        return d

    def to_toml(self) -> str:
        """The resolved config as TOML text."""
        return tomli_w.dumps(self.to_dict())

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "--set") -> Config:
        """A new config with dotted-key overrides applied and validated."""
        data = self.model_dump(exclude_none=True)
        for key, value in overrides.items():
            set_dotted(data, key, value, source)
        return validate_config(data, source)


def _walk_schema(model: type[BaseModel], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for name, field in model.model_fields.items():
        dotted = f"{prefix}{name}"
        ann = field.annotation
        sub = _section_type(ann)
        if sub is not None:
            yield from _walk_schema(sub, dotted + ".")
        else:
            yield dotted, field


def _section_type(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def all_keys() -> list[str]:
    """Every dotted leaf key of the schema, in declaration order."""
    return [k for k, _ in _walk_schema(Config)]


def all_prefixes() -> set[str]:
    """Every dotted section name of the schema (e.g. ``freelancers.expertise``)."""
    out: set[str] = set()
    for key in all_keys():
        parts = key.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return out


def key_reference() -> list[dict[str, str]]:
    """One row per leaf key: key, default, description and range, for docs."""
    rows = []
    for key, field in _walk_schema(Config):
        default = _default_of(key)
        if default is None:
            default = field.default
        bounds = []
        for m in field.metadata:
            for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                v = getattr(m, attr, None)
                if v is not None:
                    bounds.append(f"{sym} {v}")
        ann = field.annotation
        if getattr(ann, "__origin__", None) is Literal:
            bounds.append(" | ".join(repr(a) for a in ann.__args__))
        rows.append(
            {
                "key": key,
                "default": "run.seed" if key == "run.population_seed" else _toml_value(default),
                "range": ", ".join(bounds),
                "description": field.description or "",
            }
        )
    return rows


def _toml_value(v: Any) -> str:
    if v is None:
        return "unset"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


def _default_of(key: str) -> Any:
    node: Any = Config().model_dump()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def suggest(key: str) -> str:
    """A ' (did you mean ...?)' suffix for an unknown dotted key, or ''."""
    candidates = all_keys() + sorted(all_prefixes())
    match = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    if not match:
        # Try the last part alone, for a right name in the wrong section.
        last = key.rsplit(".", 1)[-1]
        by_last = {k.rsplit(".", 1)[-1]: k for k in all_keys()}
        m2 = difflib.get_close_matches(last, list(by_last), n=1, cutoff=0.75)
        match = [by_last[m2[0]]] if m2 else []
    return f" (did you mean '{match[0]}'?)" if match else ""


def get_dotted(data: Mapping[str, Any], key: str) -> Any:
    """The value of a dotted key (``"clients.reputation_weight"``) in nested mappings."""
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    """Set a dotted key in nested dicts, creating tables on the way (checked by the schema)."""
    parts = key.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            raise ConfigError(source, ".".join(parts[: i + 1]), "is a value, not a table")
        node = nxt
    node[parts[-1]] = value


def validate_config(data: Mapping[str, Any], source: str | Path) -> Config:
    """Validate a merged dict against the schema; the first problem becomes a ConfigError."""
    try:
        return Config.model_validate(dict(data))
    except ValidationError as exc:
        raise to_config_error(exc, source) from None


def to_config_error(exc: ValidationError, source: str | Path) -> ConfigError:
    """The first problem of a pydantic ValidationError as a one-line ConfigError."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"] if not str(p).startswith("function-after")]
    key = ".".join(loc) or None
    etype = err["type"]
    got = err.get("input")
    if etype == "extra_forbidden":
        return ConfigError(source, key, f"unknown key{suggest(key or '')}")
    if etype == "model_type" or etype == "model_attributes_type":
        return ConfigError(source, key, f"must be a table, got {_show(got)}")
    if etype == "literal_error":
        return ConfigError(source, key, f"{err['msg'].lower()}, got {_show(got)}")
    if etype.endswith("_type") or etype.endswith("_parsing"):
        return ConfigError(source, key, f"wrong type: {err['msg'].lower()}, got {_show(got)}")
    msg = err["msg"]
    msg = msg.removeprefix("Value error, ")
    if etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return ConfigError(source, key, f"out of range: {msg.lower()}, got {_show(got)}")
    return ConfigError(source, key, msg)


def _show(v: Any) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, dict):
        return "a table"
    return f"{v!r} ({type(v).__name__})"


def reference_markdown() -> str:
    """The config reference as a Markdown table (the README's copy is checked against it)."""
    lines = ["| key | default | range | meaning (unit) |", "|---|---|---|---|"]
    for row in key_reference():
        rng = row["range"].replace("|", "\\|")
        lines.append(f"| `{row['key']}` | `{row['default']}` | {rng} | {row['description']} |")
    return "\n".join(lines) + "\n"
