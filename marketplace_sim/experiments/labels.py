"""How designs print: short axis names, values as text and as table cells, ids, JSON-safe data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np


def short_names(keys: list[str]) -> dict[str, str]:
    """Each dotted key by its last part, unless two keys share that part."""
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (s if last.count(s) == 1 else k) for k, s in zip(keys, last, strict=True)}


def fmt_value(v: Any) -> str:
    """A value as a person reads it: ``1.0`` -> ``1``, tables as canonical JSON."""
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str):
        return v
    if isinstance(v, Mapping | list):
        return json.dumps(v, sort_keys=True)
    return str(v)


def fmt_values(values: Mapping[str, Any]) -> str:
    """``key=value, key=value``."""
    return ", ".join(f"{k}={fmt_value(v)}" for k, v in values.items())


def show(v: Any) -> str:
    """A value and its type, for error messages."""
    if isinstance(v, Mapping):
        return "a table"
    return f"{v!r} ({type(v).__name__})"


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy scalars as Python values and None-valued keys dropped."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def cell(v: Any) -> Any:
    """An axis value as a table cell: scalars as they are, tables as canonical JSON text."""
    return json.dumps(v, sort_keys=True) if isinstance(v, Mapping | list) else v


def ids(prefix: str, n: int) -> list[str]:
    """``c000``, ``c001``, ... (at least three digits, as many as ``n`` needs)."""
    width = max(3, len(str(n - 1)))
    return [f"{prefix}{i:0{width}d}" for i in range(n)]
