"""The comparison folder: a model-data comparison written atomically, and its text table.

``write_comparison`` reads the observed file and the results folder first (any bad input is a
one-line error before anything is written), computes the comparison (``analysis/compare.py``)
and writes ``comparison.parquet``, ``figures/`` and ``manifest.json`` into a temporary folder
renamed into place. A non-empty destination is replaced only if it is a comparison folder this
program wrote (its manifest says ``"kind": "compare"``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from marketplace_sim import files
from marketplace_sim.analysis.compare import (
    ResultProfiles,
    compare_profiles,
    observed_errors,
    result_profiles,
)
from marketplace_sim.analysis.observed import ObservedProfiles, read_observed
from marketplace_sim.errors import OutputFolderError
from marketplace_sim.experiments.run_folder import ensure_parent, refuse_enclosing
from marketplace_sim.plots.compare import draw_compare_figures
from marketplace_sim.provenance import manifest

COMPARISON_FILE = "comparison.parquet"
KIND = "compare"


@dataclass(frozen=True)
class CompareReport:
    """What :func:`write_comparison` compared and wrote."""

    out: Path
    table: pd.DataFrame
    model: ResultProfiles
    observed: ObservedProfiles
    figures: tuple[Path, ...]

    def text(self) -> str:
        """The printed report: what was compared, then one aligned table per condition."""
        return comparison_text(self.table, self.model, self.observed)


def comparison_table(model: ResultProfiles, observed: pd.DataFrame) -> pd.DataFrame:
    """The comparison of every model condition with the observed profiles, stacked.

    Columns: ``condition_id``, ``condition`` (its label), then those of
    :func:`marketplace_sim.analysis.compare.compare`.
    """
    parts, se = [], observed_errors(observed)  # the bootstrap once, for every condition
    for g in model.groups:
        t = compare_profiles(list(g.frames), observed, se)
        t.insert(0, "condition", g.label)
        t.insert(0, "condition_id", g.condition_id)
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def _written_by_us(out: Path) -> bool:
    try:
        return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["kind"] == KIND
    except (OSError, ValueError, KeyError, TypeError):
        return False


def check_compare_out(out: Path) -> bool:
    """Refuse a destination that may not be written; return whether one is replaced.

    Raises:
        OutputFolderError: a file, the current folder or one enclosing it, a non-empty folder
            that is not an earlier comparison, or a parent that cannot be created or written.
    """
    refuse_enclosing(out)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(out, None, "exists and is not a folder")
    replace = out.is_dir() and any(out.iterdir())
    if replace and not _written_by_us(out):
        raise OutputFolderError(
            out, None, "exists, is not empty and is not a comparison folder; not replaced"
        )
    ensure_parent(out)
    return replace


def write_comparison(
    result_dir: Path, observed_path: Path, out: Path, command: Sequence[str] | None = None
) -> CompareReport:
    """Compare a run or sweep folder with an observed file and write the comparison folder.

    Raises:
        DataError: a bad observed file or results folder (nothing is written).
        OutputFolderError: a destination that may not be written.
    """
    started = time.time()
    observed = read_observed(observed_path)
    model = result_profiles(result_dir)
    out = Path(out)
    replace = check_compare_out(out)
    table = comparison_table(model, observed.frame)
    series = [(g.label, list(g.frames)) for g in model.groups]
    try:
        with files.atomic_dir(out, replace=replace) as tmp:
            files.write_parquet(table, tmp / COMPARISON_FILE)
            figs = draw_compare_figures(
                tmp / "figures", observed.frame, series, table, f"observed: {observed.path.name}"
            )
            info = manifest(
                KIND,
                command,
                started,
                time.time() - started,
                result_dir=str(result_dir),
                observed=str(observed_path),
                observed_profiles=len(observed.frame),
                ignored_columns=list(observed.ignored),
                conditions={g.condition_id: list(g.run_ids) for g in model.groups},
            )
            files.write_json(info, tmp / "manifest.json")
    except FileExistsError:
        raise OutputFolderError(
            out, None, "folder appeared while comparing; not replaced"
        ) from None
    figures = tuple(out / "figures" / p.name for p in figs)
    return CompareReport(out, table, model, observed, figures)


def _num(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if math.isinf(v):
        return "inf"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _rows(t: pd.DataFrame) -> list[list[str]]:
    out = [["statistic", "observed", "model", "95% interval", "distance", "inside", "note"]]
    for r in t.itertuples(index=False):
        interval = "-" if math.isnan(r.model_lo) else f"[{_num(r.model_lo)}, {_num(r.model_hi)}]"
        inside = "-" if pd.isna(r.inside) else ("yes" if r.inside else "no")
        out.append(
            [
                r.statistic,
                _num(r.observed),
                _num(r.model_mean),
                interval,
                _num(r.distance),
                inside,
                r.note,
            ]
        )
    return out


def _aligned(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [
            c.ljust(w) if i in (0, 6) else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def comparison_text(table: pd.DataFrame, model: ResultProfiles, observed: ObservedProfiles) -> str:
    """An aligned text table per condition, headed by what was compared."""
    lines = [f"observed: {observed.path} ({len(observed.frame)} profiles)"]
    if model.skipped:
        lines.append(f"model: {model.skipped} runs skipped (failed, or no freelancers table)")
    for g in model.groups:
        n = sum(len(f) for f in g.frames) // max(1, len(g.frames))
        runs = len(g.frames)
        head = f"model: {g.label} ({runs} replicate{'s' if runs > 1 else ''}, ~{n} profiles each)"
        lines += ["", head]
        if runs == 1:
            lines.append("  one replicate: no interval; a sweep with replications gives one")
        lines.append(_aligned(_rows(table[table["condition_id"] == g.condition_id])))
    lines.append("")
    lines.append(
        "distance = |model - observed| / sqrt(model sd^2 + observed se^2); see docs/compare.md"
    )
    return "\n".join(lines)
