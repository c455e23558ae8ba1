"""Section 1: Pallais (2014), a first job for never-hired freelancers."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim.analysis import studies
from marketplace_sim.analysis.results import result_runs
from marketplace_sim.plots.findings import pallais_figure
from marketplace_sim.reports.findings.base import IMG, Section, StudyInput, SummaryRow
from marketplace_sim.reports.findings.format import (
    CI,
    ci,
    judge,
    pct,
    scaled,
    setup_line,
    share,
    study_line,
    table,
    times,
    usd,
)
from marketplace_sim.units import WEEKS_PER_YEAR

FIGURE = "pallais.png"
EVALUATION = "interventions.first_job.evaluation"
#: Pallais's headline: treated novices' relative income nearly tripled.
PAPER_RATIO = 3.0


@dataclass(frozen=True)
class PallaisResult:
    """Treated vs control over the worlds of the first-job experiment.

    Attributes:
        stats: ``(mean, lo, hi)`` across worlds of each measure of
            :func:`~marketplace_sim.analysis.studies.first_job_effect`.
        worlds: replicates.
        weeks: run length.
        at_step: week of the intervention.
        share: share of the never-hired treated.
    """

    stats: Mapping[str, CI]
    worlds: int
    weeks: int
    at_step: int
    share: float
    arms: Mapping[str, Mapping[str, CI]] = dataclasses.field(default_factory=dict)
    detail_gain: CI = (np.nan, np.nan, np.nan)
    employment_gap: CI = (np.nan, np.nan, np.nan)

    @property
    def later_year(self) -> int:
        """The final year, whose earnings are the outcome."""
        return (self.weeks - 1) // WEEKS_PER_YEAR + 1

    @property
    def window(self) -> str:
        """The outcome window, the run's final 52 weeks, in words."""
        return f"weeks {self.weeks - WEEKS_PER_YEAR + 1}-{self.weeks}"

    @property
    def ratio(self) -> float:
        """Mean over worlds of treated / control final-year earnings."""
        return self.stats["later_ratio"][0]

    @property
    def ok(self) -> bool:
        """The treated earn more (the interval's lower end above 1 with replicates)."""
        r = self.stats["later_ratio"]
        return r[1] > 1 if self.worlds > 1 else r[0] > 1


def compute(inp: StudyInput) -> PallaisResult:
    """Measure treated vs control in every world, per evaluation arm and pooled."""
    base = inp.experiment.base
    weeks = base.run.steps
    fj = base.interventions.first_job
    rows = []
    for labels, fr in result_runs(inp.folder).frames():
        arm = str(labels.get(EVALUATION, fj.evaluation))
        rows.append({**studies.first_job_effect(fr, weeks), "arm": arm})
    df = pd.DataFrame(rows)
    measures = [c for c in df.columns if c != "arm"]
    arms = {a: {c: ci(g[c]) for c in measures} for a, g in df.groupby("arm", sort=True)}
    gap = ci(df["hired_again_treated"] - df["hired_control"])
    gain: CI = (np.nan, np.nan, np.nan)
    if {"detailed", "coarse"} <= set(arms):
        d = df.loc[df["arm"] == "detailed", "later_treated"].to_numpy()
        c = df.loc[df["arm"] == "coarse", "later_treated"].to_numpy()
        n = min(d.size, c.size)
        gain = ci(d[:n] / c[:n])  # replicate pairs of independent worlds
    stats = {c: ci(df[c]) for c in measures}
    return PallaisResult(stats, len(df), weeks, fj.at_step, fj.share, arms, gain, gap)


def figure(r: PallaisResult) -> Figure:
    """Hired after the intervention, and later earnings, treated vs control."""
    s = r.stats
    hired = [scaled(s["hired_again_treated"], 100.0), scaled(s["hired_control"], 100.0)]
    later = [s["later_treated"], s["later_control"]]
    return pallais_figure(hired, later, r.ratio, r.at_step, r.window, r.worlds)


def summary(r: PallaisResult) -> tuple[SummaryRow, ...]:
    """The summary table's rows: earnings ratio, employment, detailed vs coarse."""
    name = "Pallais 2014: a first job"
    rows = [
        SummaryRow(
            name,
            "nearly tripled (about 3x)",
            times(r.stats["later_ratio"]),
            judge(PAPER_RATIO, r.stats["later_ratio"], +1, null=1.0),
            f"earnings in {r.window}, treated / control (both arms)",
            "pallais.ratio",
        ),
        SummaryRow(
            name,
            "higher employment",
            f"{100 * r.employment_gap[0]:+.0f} points "
            f"[{100 * r.employment_gap[1]:+.0f}, {100 * r.employment_gap[2]:+.0f}]",
            judge(None, r.employment_gap, +1),
            "hired after the intervention, treated minus control",
            "pallais.employment",
        ),
    ]
    if np.isfinite(r.detail_gain[0]):
        rows.append(
            SummaryRow(
                name,
                "detailed raised outcomes more",
                times(r.detail_gain),
                judge(None, r.detail_gain, +1, null=1.0),
                "treated earnings, detailed / coarse evaluation",
                "pallais.detailed_vs_coarse",
            )
        )
    return tuple(rows)


def _rows(r: PallaisResult) -> list[list[str]]:
    out = []
    for arm, s in [*r.arms.items(), ("both arms", r.stats)]:
        out += [
            [
                arm,
                "hired after the intervention (treated: a contract beyond the one given)",
                pct(s["hired_again_treated"]),
                pct(s["hired_control"]),
                "",
            ],
            [
                arm,
                f"mean net earnings in {r.window} (USD; the given contract is not in it)",
                usd(s["later_treated"]),
                usd(s["later_control"]),
                times(s["later_ratio"]),
            ],
        ]
    return out


def text(r: PallaisResult, inp: StudyInput) -> str:
    """The section's Markdown."""
    s, ratio = r.stats, r.ratio
    lo, hi = s["later_ratio"][1], s["later_ratio"][2]
    size = (  # the same rule as the verdict: is 3 inside our interval?
        "the study's near-tripling is inside its interval"
        if lo <= PAPER_RATIO <= hi
        else "more than the study's near-tripling"
        if lo > PAPER_RATIO
        else "less than the study's near-tripling"
    )
    because = (
        ": the first job is the barrier, and once crossed, search and clients' reliance "
        "on reviews keep the door open"
        if r.ok
        else "; the interval does not exclude no effect"
    )
    header = ["evaluation", "outcome", "treated", "control", "treated / control"]
    return f"""## 1. Pallais (2014): a first job for never-hired freelancers

{study_line("pallais")}

**Model.** In the profiles world (`configs/profiles.toml`: clients read a noisy profile
evidence of expertise), at week {r.at_step} a random {share(r.share)} of the freelancers
never hired so far get one contract from a random client, in their home niche (*treated*);
the rest of the never-hired of that week are the *controls*. Pallais's two arms
(`interventions.first_job.evaluation`): *detailed* (her detailed evaluations described the
worker's skills) keeps the job's ordinary review and reveals the worker's expertise on the
profile (the evidence's error set to 0 when the job ends); *coarse* (hers only said the job
was done) removes the job's stars: the job counts (hires, jobs done, earnings, private
outcome) but shows no rating. Outcomes are over weeks {r.weeks - 51}-{r.weeks}, the year
that starts a quarter after treatment, once the given job is over (Pallais followed her
workers' employment and earnings in the months after their evaluations were posted); about
{s["n_treated"][0]:,.0f} treated and {s["n_control"][0]:,.0f} controls per world.
{setup_line(inp)}

{table(header, _rows(r))}

![Pallais: treated vs control]({IMG.as_posix()}/{FIGURE})

**Reading.** A single random contract, with its public review, leaves the treated earning
{ratio:.1f} times as much as their controls in {r.window} ({size}){because}.
Detailed over coarse, treated earnings: {times(r.detail_gain)} (replicate pairs).
Differences from the field experiment: Pallais hired for a real data-entry task; here the
given contract's review follows the freelancer's delivered quality (a poor first job can
hurt), and the outcome is mean net earnings rather than her relative-income measure.
"""


def section(inp: StudyInput) -> Section:
    """Compute, draw and write section 1."""
    r = compute(inp)
    return Section(text(r, inp), ((FIGURE, figure(r)),), summary(r))
