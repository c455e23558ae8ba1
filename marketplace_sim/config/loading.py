"""Loading a world: TOML files, ``base`` chains, ``--set`` overrides, shipped names.

A world is described by a TOML file (``configs/*.toml``). :func:`load_config` reads it (or a
shipped world by name), follows its ``base = "other.toml"`` chain (relative to each file's
real folder), applies overrides and validates the result against the schema. Every problem is
raised as a :class:`ConfigError` that names the file and the dotted key in one line.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from marketplace_sim.config.schema import Config, validate_config
from marketplace_sim.data import resolve_world
from marketplace_sim.errors import ConfigError
from marketplace_sim.limits import check_file_size


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse one TOML file; a missing file or a syntax error becomes a one-line ConfigError."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(p, None, "file not found")
    if p.is_dir():
        raise ConfigError(p, None, "is a folder, not a TOML file")
    check_file_size(p)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(p, None, f"cannot read: {exc}") from None
    if text.startswith("\ufeff"):
        raise ConfigError(
            p,
            None,
            "starts with a byte-order mark (BOM), which TOML does not allow; save it "
            "as UTF-8 without BOM",
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        if m:
            where = f"line {m.group(1)}, column {m.group(2)}"
            msg = msg[: m.start()].strip()
            raise ConfigError(p, where, f"TOML syntax error: {msg}") from None
        raise ConfigError(p, None, f"TOML syntax error: {msg}") from None


def read_with_base(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a TOML file and merge it over its ``base`` chain (paths relative to each file)."""
    p = Path(path)
    resolved = p.resolve()
    if resolved in _chain:
        cycle = " -> ".join(str(c.name) for c in (*_chain, resolved))
        raise ConfigError(_chain[-1], "base", f"circular base chain: {cycle}")
    data = read_toml(p)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(p, "base", f"must be a path string, got {type(base).__name__}")
    if not base.strip():
        raise ConfigError(p, "base", "is empty: give the path of a TOML file, or remove the line")
    base_path = resolved.parent / base  # relative to the file's real folder (symlinks followed)
    if not base_path.exists():
        raise ConfigError(p, "base", f"base file not found: {base_path}")
    parent = read_with_base(base_path, (*_chain, resolved))
    return deep_merge(parent, data)


def key_sources(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Which file of a ``base`` chain sets each dotted key (and table), the child winning."""
    p = Path(path)
    if p.resolve() in _chain or not p.exists():
        return {}
    data = read_toml(p)
    base = data.pop("base", None)
    out = (
        key_sources(p.resolve().parent / base, (*_chain, p.resolve()))
        if isinstance(base, str) and base.strip()
        else {}
    )

    def walk(table: Mapping[str, Any], prefix: str) -> None:
        for k, v in table.items():
            out[prefix + k] = p
            if isinstance(v, Mapping):
                walk(v, f"{prefix}{k}.")

    walk(data, "")
    return out


def owner_of(sources: Mapping[str, Path], key: str) -> Path | None:
    """The file that set ``key`` or its nearest enclosing table, if any file did."""
    parts = key.split(".")
    for i in range(len(parts), 0, -1):
        hit = sources.get(".".join(parts[:i]))
        if hit is not None:
            return hit
    return None


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``over`` into a copy of ``base``; tables merge key by key, other values replace."""
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def parse_value(text: str) -> Any:
    """Parse a --set value as a TOML value; a bare word that is not TOML is taken as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(items: Iterable[str], source: str = "--set") -> dict[str, Any]:
    """Turn ``["a.b=1", ...]`` into ``{"a.b": 1}``; a malformed item is a ConfigError."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(source, item, "expected KEY=VALUE, e.g. run.steps=52")
        out[key] = parse_value(value.strip())
    return out


def load_config(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Config:
    """Load and validate a world config.

    Args:
        path: a TOML file (may start with ``base = "..."``), or the name of a shipped world
            (``"baseline"``, ``"smoke"``: see :func:`marketplace_sim.data.world_names`);
            None gives the defaults.
        overrides: dotted-key overrides, as a mapping or as ``"KEY=VALUE"`` strings.

    Returns:
        The validated, frozen :class:`Config`.

    Raises:
        ConfigError: one line naming the file and dotted key of the first problem.
    """
    if path is not None:
        path = resolve_world(path)
    source: str | Path = path if path is not None else "<defaults>"
    data: dict[str, Any] = read_with_base(path) if path is not None else {}
    for section in ("experiment", "sweep", "set", "sample"):
        if section in data:
            raise ConfigError(
                source, section, "is an experiment section: use 'marketplace-sim sweep'"
            )
    try:
        cfg = validate_config(data, source)
    except ConfigError as exc:
        # Name the file of the chain that set the bad key, not the child that inherited it.
        if path is None or not exc.key:
            raise
        owner = owner_of(key_sources(path), exc.key)
        if owner is not None and owner.resolve() != Path(path).resolve():
            raise ConfigError(owner, exc.key, exc.message) from None
        raise
    if overrides:
        ov = dict(overrides) if isinstance(overrides, Mapping) else parse_overrides(list(overrides))
        cfg = cfg.with_overrides(ov, "--set")
    return cfg


def dump_config(cfg: Config, path: str | Path) -> None:
    """Write the resolved config (every key) as TOML."""
    Path(path).write_text(cfg.to_toml(), encoding="utf-8")
