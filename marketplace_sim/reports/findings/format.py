"""Formatting shared by the findings' sections: intervals, shares, money, tables, set-up lines.

A statistic across replicates is a ``(mean, lo, hi)`` triple (:func:`ci`); an interval whose
ends equal its mean (one replicate) is written without brackets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from marketplace_sim import metrics
from marketplace_sim.analysis import studies
from marketplace_sim.reports.findings.base import StudyInput

CI = tuple[float, float, float]


def ci(values: Any) -> CI:
    """Mean and 95 % Student-t interval across replicates (NaN dropped)."""
    return metrics.mean_ci(np.asarray(values, dtype=float))


def fmt(t: CI, spec: str = ".2f", unit: str = "") -> str:
    """``mean [lo, hi]`` in ``spec``; ``n/a`` when undefined."""
    m, lo, hi = t
    if not np.isfinite(m):
        return "n/a"
    if lo == hi:
        return f"{m:{spec}}{unit}"
    return f"{m:{spec}}{unit} [{lo:{spec}}, {hi:{spec}}]"


def pct(t: CI) -> str:
    """A share in percent; its interval clipped to 0-100 %."""
    m, lo, hi = t
    return fmt((100 * m, max(0.0, 100 * lo), min(100.0, 100 * hi)), ".0f", " %")


def usd(t: CI) -> str:
    """Dollars, no cents."""
    m, lo, hi = t
    if not np.isfinite(m):
        return "n/a"
    return f"${m:,.0f}" if lo == hi else f"${m:,.0f} [${lo:,.0f}, ${hi:,.0f}]"


def times(t: CI) -> str:
    """A ratio: ``2.9x [2.1x, 3.7x]``."""
    return fmt(t, ".1f", "x")


def scaled(t: CI, k: float) -> CI:
    """A triple times ``k``."""
    return (t[0] * k, t[1] * k, t[2] * k)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    """A yes/no cell (kept for callers outside the summary table)."""
    return "yes" if ok else "**no**"


YES, DIRECTION, NO = "yes", "direction only", "**no**"
Paper = float | tuple[float, float] | None


def judge(paper: Paper, ours: CI, sign: int, null: float = 0.0) -> str:
    """The one verdict rule of every study row: is the paper's number in our interval.

    Args:
        paper: the paper's number, or its range ``(lo, hi)`` (a range agrees when it meets
            our interval: some value the paper allows lies inside it); None when the paper
            gives only a direction (then "yes" cannot be given).
        ours: our ``(mean, lo, hi)`` across replicates.
        sign: the expected sign of the effect against ``null`` (+1: above it, -1: below
            it; 0: no sign expected, so "direction only" cannot be given).
        null: the value of no effect (0 for a difference, 1 for a ratio).

    Returns:
        ``"yes"`` when the paper's number (or range) lies inside our 95 % interval,
        ``"direction only"`` when it does not but our whole interval lies on the expected
        side of ``null``, ``"**no**"`` otherwise (wrong sign, an interval
        straddling 0, or no estimate).
    """
    m, lo, hi = (float(x) for x in ours)
    if not np.isfinite(m):
        return NO
    if not (np.isfinite(lo) and np.isfinite(hi)):
        lo = hi = m
    if paper is not None:
        p_lo, p_hi = (paper, paper) if isinstance(paper, int | float) else paper
        if p_lo <= hi and lo <= p_hi:
            return YES
    if (sign > 0 and lo > null) or (sign < 0 and hi < null):
        return DIRECTION
    return NO


def paper_text(paper: Paper, spec: str = ".2f", unit: str = "") -> str:
    """The paper's number or range as written in the summary table."""
    if paper is None:
        return "direction only"
    if isinstance(paper, int | float):
        return f"{paper:{spec}}{unit}"
    return f"{paper[0]:{spec}}-{paper[1]:{spec}}{unit}"


def share(x: float) -> str:
    """A share in whole percent."""
    return f"{100 * x:.0f} %"


def study_line(key: str) -> str:
    """The **Study.** paragraph: the study's figure in words and its citation."""
    st = studies.STUDIES[key]
    return f"**Study.** {st.figure[0].upper()}{st.figure[1:]}. ({st.citation}.)"


def sweep_command(inp: StudyInput) -> str:
    """The command that runs the study's experiment alone."""
    exp = inp.experiment
    return f"marketplace-sim sweep experiments/{exp.path.name} --out results/{exp.name}"


def setup_line(inp: StudyInput) -> str:
    """The *Experiment* sentence: file, conditions x replicates, world, time, command."""
    exp = inp.experiment
    base = exp.base
    n_runs = len(exp.runs())
    world = (
        f"{base.market.freelancers:,} freelancers and {base.market.clients:,} clients at "
        f"the start, {base.run.steps} weeks"
    )
    return (
        f"*Experiment* [`experiments/{exp.path.name}`](../experiments/{exp.path.name}) "
        f"({len(exp.conditions)} condition{'s' if len(exp.conditions) > 1 else ''} x "
        f"{exp.replications} replicates = {n_runs} runs; {world}; "
        f"{inp.seconds:.0f} s here). Alone: `{sweep_command(inp)}`."
    )


def fmt_cell(v: Any) -> str:
    """A table cell value: floats as ``%g``."""
    return f"{v:g}" if isinstance(v, float) else str(v)


def short_regime(row: Any, regime: Sequence[str]) -> str:
    """``ranking=random, rw=3`` for a row with the regime's columns."""
    names = {"platform.ranking": "ranking", "clients.reputation_weight": "rw"}
    return ", ".join(f"{names.get(k, k)}={fmt_cell(row[k])}" for k in regime) or "all runs"
