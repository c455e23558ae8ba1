"""What ``marketplace-sim calibrate`` writes: the results folder, the baseline and the page.

- :func:`write_search_folder`: ``stage1.parquet``, ``stage2.parquet``, ``stage3.parquet`` (one
  row per run, every statistic, the loss) and ``calibration.json``, as one folder that appears
  complete or not at all.
- :func:`write_baseline`: a world config with the chosen values, a comment per key
  (:func:`baseline_text`), validated through the schema before it replaces the file.
- :func:`write_doc`: the calibration page (:func:`~.calibration_page.calibration_markdown`).
- :func:`targets_table`: the targets table printed on the terminal.

Files are written only where the caller names them (atomically, through
:mod:`marketplace_sim.files`).
"""

from __future__ import annotations

import json
import textwrap
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from marketplace_sim import data, files
from marketplace_sim.analysis.calibration import TARGETS, SearchResult
from marketplace_sim.config import validate_config
from marketplace_sim.errors import ConfigError, OutputFolderError
from marketplace_sim.provenance import manifest
from marketplace_sim.reports.calibration_page import (
    COMMAND,
    KEY_NOTES,
    WRITE_OPTIONS,
    calibration_markdown,
    fmt,
    stat_fmt,
)

__all__ = [
    "BASELINE_HEADER",
    "FIXED_NOTES",
    "KEY_NOTES",
    "baseline_text",
    "calibration_markdown",
    "targets_table",
    "write_baseline",
    "write_doc",
    "write_search_folder",
]

BASELINE_HEADER = """\
# The baseline world: a mid-sized platform over ten years, calibrated to the stylized facts.
# Keys marked "calibrated" were chosen by the search documented in docs/calibration.md;
# regenerate both with
#   {command} --workers 2 \\
#     {options}
# Every key not set here takes the schema's default (see README, "Config reference");
# `marketplace-sim validate configs/baseline.toml` prints them all.
"""

#: Comments of the baseline's other keys, kept when the file is rewritten.
FIXED_NOTES: dict[str, str] = {
    "run.steps": "weeks (10 years)",
    "market.entry_rate": "new freelancers per week",
    "market.freelancers": "freelancers at the start",
    "market.clients": "clients at the start",
    "market.niches": "job categories",
    "clients.reputation_weight": "the experiments' lever, not calibrated",
    "clients.price_weight": "the experiments' lever, not calibrated",
    "platform.ranking": "the experiments' lever, not calibrated",
    "platform.fee": "Upwork's flat 10 % service fee",
}
SECTION_ORDER = (
    "run",
    "market",
    "jobs",
    "freelancers",
    "clients",
    "platform",
    "delivery",
    "reviews",
)


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    return repr(v)


def _calibrated_comment(
    key: str, value: Any, raw: Mapping[str, Any], feasible: Mapping[str, tuple[float, float]]
) -> list[str]:
    """The wrapped ``# calibrated ...`` comment above a chosen key."""
    what = KEY_NOTES[key][0] if key in KEY_NOTES else ""
    before = "" if fmt(raw[key], 6) == fmt(value, 6) else f" ({fmt(raw[key])} before rounding)"
    span = (
        f"; search points meeting every target: {fmt(feasible[key][0], 2)} to "
        f"{fmt(feasible[key][1], 2)}"
        if key in feasible
        else ""
    )
    return textwrap.wrap(
        f"calibrated{before}: {what}{span}", 98, initial_indent="# ", subsequent_indent="#   "
    )


def baseline_text(
    current: Mapping[str, Any],
    chosen: Mapping[str, Any],
    raw: Mapping[str, Any],
    feasible: Mapping[str, tuple[float, float]] | None = None,
) -> str:
    """The new baseline.toml: ``current`` (the file's tables) with ``chosen`` set, commented.

    ``raw`` is the unrounded choice and ``feasible`` each key's range over the search points
    that met every target; both are quoted in the comments.
    """
    feasible = feasible or {}
    tables: dict[str, dict[str, Any]] = {
        s: dict(v) for s, v in current.items() if isinstance(v, Mapping)
    }
    for key, value in chosen.items():
        section, name = key.split(".", 1)
        tables.setdefault(section, {})[name] = value
    sections = [s for s in SECTION_ORDER if s in tables]
    sections += [s for s in tables if s not in SECTION_ORDER]
    lines = [BASELINE_HEADER.format(command=COMMAND, options=WRITE_OPTIONS)]
    for s in sections:
        lines.append(f"[{s}]")
        for name, value in tables[s].items():
            key = f"{s}.{name}"
            text = f"{name} = {_toml(value)}"
            if key in chosen:
                lines += _calibrated_comment(key, value, raw, feasible)
                lines.append(text)
            else:
                note = FIXED_NOTES.get(key, "")
                lines.append(f"{text:<26}# {note}" if note else text)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_search_folder(
    result: SearchResult, out: Path, replace: bool = False, command: list[str] | None = None
) -> Path:
    """Write a search's results folder: the stage tables, ``calibration.json``, a manifest.

    The manifest (``kind`` "calibration") marks the folder as this program's, so a later
    ``--force`` may replace it.

    Raises:
        OutputFolderError: a non-empty ``out`` appeared while the search ran.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with files.atomic_dir(out, replace=replace) as tmp:
            for i, table in enumerate((result.stage1, result.stage2, result.stage3), 1):
                files.write_parquet(table, tmp / f"stage{i}.parquet")
            text = json.dumps(result.to_json(), indent=1, default=float) + "\n"
            (tmp / "calibration.json").write_text(text, encoding="utf-8")
            total = float(result.seconds.get("total", 0.0))
            files.write_json(
                manifest("calibration", command, time.time() - total, total), tmp / "manifest.json"
            )
    except FileExistsError:
        raise OutputFolderError(
            out, None, "results folder appeared while searching; not replaced"
        ) from None
    return out


def write_baseline(result: SearchResult, path: Path, current: Path | None = None) -> Path:
    """Write the chosen values as a world config at ``path`` (validated first).

    Args:
        result: the finished search.
        path: the file to write (replaced atomically).
        current: the config whose other keys and comments are kept; default ``path`` if it
            exists, else the shipped ``baseline.toml``.

    Raises:
        ConfigError: the new text does not validate (the file is left untouched).
    """
    path = Path(path)
    src = current or (path if path.exists() else data.configs_dir() / "baseline.toml")
    try:
        tables = tomllib.loads(Path(src).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(src, None, f"cannot read: {exc}") from None
    tables.pop("base", None)
    text = baseline_text(tables, result.chosen, result.chosen_raw, result.feasible())
    validate_config(tomllib.loads(text), path)  # must parse and validate before it replaces
    return files.write_text(path, text)


def write_doc(result: SearchResult, path: Path) -> Path:
    """Write the calibration page at ``path`` (atomically)."""
    return files.write_text(Path(path), calibration_markdown(result))


def targets_table(table: pd.DataFrame) -> str:
    """The targets table of :func:`~marketplace_sim.analysis.calibration.summarize`, as text."""
    by = {t.stat: t for t in TARGETS}
    lines = [f"{'statistic':<22} {'band':<14} {'mean':>9} {'95% CI':>21} {'in band':>8}  pass"]
    for row in table.to_dict("records"):
        t = by.get(row["stat"])
        if t is None:
            continue
        ci = f"[{stat_fmt(row['stat'], row['ci_lo'])}, {stat_fmt(row['stat'], row['ci_hi'])}]"
        lines.append(
            f"{row['stat']:<22} {t.band():<14} {stat_fmt(row['stat'], row['mean']):>9} "
            f"{ci:>21} {int(row['in_band']):>4}/{int(row['n']):<3}  "
            f"{'pass' if row['passes'] else 'FAIL'}"
        )
    return "\n".join(lines)
