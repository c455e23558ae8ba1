"""Section 5: Lukac & Grow (2020), reputation vs price in their peer model's world."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim.analysis import studies
from marketplace_sim.analysis.results import result_runs
from marketplace_sim.plots.findings import lukacgrow_figure
from marketplace_sim.reports.findings.base import IMG, Section, StudyInput, SummaryRow
from marketplace_sim.reports.findings.format import (
    CI,
    ci,
    fmt,
    judge,
    pct,
    setup_line,
    study_line,
    table,
    times,
)

FIGURE = "lukac-grow.png"
WEIGHT = "clients.reputation_weight"
OUTCOMES = ("no_job", "earnings_ratio", "jobs_ratio", "gini", "jobs")
MATCHED = (("no job", "no_job"), ("ratio", "earnings_ratio"))  # outcomes with their ranges


@dataclass(frozen=True)
class LukacGrowResult:
    """Lukac & Grow's outcomes per reputation weight, over the runs of each.

    Attributes:
        stats: per weight, ``(mean, lo, hi)`` of each outcome of
            :func:`~marketplace_sim.analysis.studies.lukac_grow_outcomes`.
        undefined_ratio: per weight, runs whose bottom tercile earned nothing (no ratio).
        world: the experiment's base config (their world).
        replications: runs per weight.
    """

    stats: Mapping[float, Mapping[str, CI]]
    undefined_ratio: Mapping[float, int]
    world: Any
    replications: int

    @property
    def weights(self) -> list[float]:
        """The swept reputation weights, ascending."""
        return sorted(self.stats)

    def means(self, col: str) -> np.ndarray:
        """An outcome's mean per weight."""
        return np.array([self.stats[w][col][0] for w in self.weights], dtype=float)

    @property
    def ok(self) -> bool:
        """Both the share with no job and the tercile ratio rise from the lowest weight."""
        lo, hi = self.weights[0], self.weights[-1]
        s = self.stats
        return (
            s[hi]["no_job"][0] > s[lo]["no_job"][0]
            and s[hi]["earnings_ratio"][0] > s[lo]["earnings_ratio"][0]
        )

    def crossing(self, col: str, regime: str) -> str:
        """The reputation weights at which the mean curve crosses their range."""
        y = self.means(col)
        lo, hi = studies.LUKAC_GROW[regime][col]
        if col == "earnings_ratio":
            with np.errstate(divide="ignore", invalid="ignore"):  # NaN/0 ratios: not monotone
                y, lo, hi = np.log(y), np.log(lo), np.log(hi)
        if np.any(~np.isfinite(y)) or np.any(np.diff(y) <= 0):
            return "n/a (not monotone)"
        if hi < y[0] or lo > y[-1]:
            return "outside the swept weights"
        a, b = np.interp([lo, hi], y, np.array(self.weights, dtype=float))
        return f"rw {a:.2f}-{b:.2f}"


def compute(inp: StudyInput) -> LukacGrowResult:
    """The outcomes of every run, summarised per reputation weight."""
    rows = [
        {WEIGHT: float(labels[WEIGHT]), **studies.lukac_grow_outcomes(fr)}
        for labels, fr in result_runs(inp.folder).frames()
    ]
    df = pd.DataFrame(rows)
    by = df.groupby(WEIGHT, sort=True)
    stats = {w: {c: ci(g[c]) for c in OUTCOMES} for w, g in by}
    undefined = {w: int(g["earnings_ratio"].isna().sum()) for w, g in by}
    exp = inp.experiment
    return LukacGrowResult(stats, undefined, exp.base, exp.replications)


def figure(r: LukacGrowResult) -> Figure:
    """Share with no job and the tercile ratio by weight, with their ranges."""
    ws = r.weights
    no_job = [r.stats[w]["no_job"] for w in ws]
    ratio = [r.stats[w]["earnings_ratio"] for w in ws]
    return lukacgrow_figure(ws, no_job, ratio, studies.LUKAC_GROW, r.replications)


def no_job_rise(r: LukacGrowResult) -> CI:
    """Share with no job, highest weight minus lowest, with an interval (independent runs).

    The half-widths of the two intervals add in quadrature (the runs of two weights are
    independent).
    """
    a, b = r.stats[r.weights[-1]]["no_job"], r.stats[r.weights[0]]["no_job"]
    half = float(np.hypot(a[2] - a[0], b[2] - b[0]))
    d = a[0] - b[0]
    return (d, d - half, d + half)


def summary(r: LukacGrowResult) -> SummaryRow:
    """The summary table's row: how much the share with no job rises with reputation."""
    lo, hi = r.weights[0], r.weights[-1]
    s = r.stats
    rep, price = studies.LUKAC_GROW["reputation"]["no_job"], studies.LUKAC_GROW["price"]["no_job"]
    paper = (rep[0] - price[1], rep[1] - price[0])
    rise = no_job_rise(r)
    return SummaryRow(
        "Lukac & Grow 2020: reputation vs price",
        f"+{100 * paper[0]:.0f} to +{100 * paper[1]:.0f} points (37-41 % vs 21-30 %)",
        f"{100 * rise[0]:+.0f} points [{100 * rise[1]:+.0f}, {100 * rise[2]:+.0f}] "
        f"({100 * s[lo]['no_job'][0]:.0f} -> {100 * s[hi]['no_job'][0]:.0f} %; ratio "
        f"{s[lo]['earnings_ratio'][0]:.1f}x -> {s[hi]['earnings_ratio'][0]:.1f}x)",
        judge(paper, rise, +1),
        f"share with no job, reputation-led (rw {hi:g}) minus price-led (rw {lo:g})",
        "lukacgrow.no_job_rise",
    )


def _matches(s: Mapping[str, CI]) -> str:
    """Which of their ranges the mean falls in."""
    return "; ".join(
        f"{label}: their {name} range"
        for name, ranges in studies.LUKAC_GROW.items()
        for label, col in MATCHED
        if ranges[col][0] <= s[col][0] <= ranges[col][1]
    )


def _rows(r: LukacGrowResult) -> list[list[str]]:
    rows = []
    for w in r.weights:
        s, n_inf = r.stats[w], r.undefined_ratio[w]
        note = f" ({n_inf} runs with a bottom tercile earning nothing left out)" if n_inf else ""
        rows.append(
            [
                f"{w:g}",
                pct(s["no_job"]),
                times(s["earnings_ratio"]) + note,
                times(s["jobs_ratio"]),
                fmt(s["gini"]),
                f"{s['jobs'][0]:.0f}",
                _matches(s),
            ]
        )
    price = ["21 % (open) - 30 % (sealed)", "2.6x (open) - 5.7x (sealed)", "", "", "200", ""]
    rows.append(["*their model: price weighs in*", *price])
    rows.append(
        ["*their model: reputation dominates*", "37-41 %", "8-12x", "about 10x", "", "200", ""]
    )
    return rows


def _model(r: LukacGrowResult) -> str:
    """The **Model.** paragraph's description of their world."""
    cfg = r.world
    jobs_week = cfg.market.clients * cfg.jobs.post_rate
    return f"""Their world as closely as the model allows
([`configs/lukac-grow.toml`](../configs/lukac-grow.toml)): {cfg.market.freelancers}
freelancers and {cfg.market.clients} employers, one job type, no entry or exit,
{cfg.run.steps} weeks of one-week jobs at about {jobs_week:.0f}
a week (about {jobs_week * cfg.run.steps:.0f} jobs); talent
uniform; a prior track record of floor(Exponential(mean {cfg.market.prior_jobs_mean:g})) jobs
each, rated as on the platform; {cfg.jobs.applicants} applicants per job drawn at random (no
ranking, no position bias, no profile effect); employers who always hire, never rehire
directly, and weigh only reputation and price (profile, proposal and fit weights 0)."""


def _reading(r: LukacGrowResult) -> str:
    direction = (
        "As employers lean on reputation, more freelancers get no job and the top "
        "reputation tercile pulls away, as in their model."
        if r.ok
        else "The share with no job and the tercile ratio do not both rise with the "
        "reputation weight here, unlike in their model."
    )
    lo_w = r.weights[0]
    r0 = r.stats[lo_w]["no_job"][0]
    random_note = f"At rw = {lo_w:g}, {100 * r0:.0f} % get no job, " + (
        "close to random hiring's e^-1.67 = 19 %."
        if abs(r0 - 0.19) < 0.05
        else "against random hiring's e^-1.67 = 19 %: price differences alone concentrate work."
    )
    return f"""{direction} Where our curves cross their ranges (linear interpolation of the
means): their reputation-dominated figures (37-41 % with no job; 8-12x) at
{r.crossing("no_job", "reputation")} and {r.crossing("earnings_ratio", "reputation")}; their
price-weighted figures (21-30 %; 2.6-5.7x) at {r.crossing("no_job", "price")} and
{r.crossing("earnings_ratio", "price")}. {random_note}"""


def text(r: LukacGrowResult, inp: StudyInput) -> str:
    """The section's Markdown."""
    header = [
        "reputation weight",
        "no job",
        "earnings, top / bottom tercile",
        "jobs, top / bottom",
        "Gini",
        "jobs",
        "matches",
    ]
    return f"""## 5. Lukac & Grow (2020): reputation vs price

{study_line("lukacgrow")}

**Model.** {_model(r)} The
experiment sweeps clients' reputation weight (rw) with the price weight fixed at 1. "No job" is
no contract during the run (hires minus prior jobs); terciles are of the final reputation index
(what employers see; ties by id). {setup_line(inp)}

{table(header, _rows(r))}

![Lukac & Grow: share never hired and tercile ratio]({IMG.as_posix()}/{FIGURE})

**Reading.** {_reading(r)}
Differences that remain: their reputation is a formula of talent and prior jobs; ours is built
from ratings, reviews and a job success score earned by delivered work, so it carries less
talent and more luck. Their bids are drawn per job; our rates are persistent (and rise with
demand), so price concentrates work too. Their employers choose deterministically; ours by a
logit with noise. Their information-asymmetry knob (tau) mixes reputation-led and price-led
jobs; ours is one weight for everyone.
"""


def section(inp: StudyInput) -> Section:
    """Compute, draw and write section 5."""
    r = compute(inp)
    return Section(text(r, inp), ((FIGURE, figure(r)),), (summary(r),))
