"""Section 1: Pallais (2014), a first job for never-hired freelancers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim.analysis import studies
from marketplace_sim.analysis.results import result_runs
from marketplace_sim.plots.findings import pallais_figure
from marketplace_sim.reports.findings.base import IMG, Section, StudyInput, SummaryRow
from marketplace_sim.reports.findings.format import (
    CI,
    ci,
    pct,
    scaled,
    setup_line,
    share,
    study_line,
    table,
    times,
    usd,
    verdict,
)
from marketplace_sim.units import WEEKS_PER_YEAR

FIGURE = "pallais.png"


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

    @property
    def later_year(self) -> int:
        """The final year, whose earnings are the outcome."""
        return (self.weeks - 1) // WEEKS_PER_YEAR + 1

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
    """Measure treated vs control in every world of the sweep."""
    base = inp.experiment.base
    weeks = base.run.steps
    fj = base.interventions.first_job
    df = pd.DataFrame(
        [studies.first_job_effect(fr, weeks) for _, fr in result_runs(inp.folder).frames()]
    )
    return PallaisResult({c: ci(df[c]) for c in df.columns}, len(df), weeks, fj.at_step, fj.share)


def figure(r: PallaisResult) -> Figure:
    """Hired after the intervention, and later earnings, treated vs control."""
    s = r.stats
    hired = [scaled(s["hired_again_treated"], 100.0), scaled(s["hired_control"], 100.0)]
    later = [s["later_treated"], s["later_control"]]
    return pallais_figure(hired, later, r.ratio, r.at_step, r.later_year, r.worlds)


def summary(r: PallaisResult) -> SummaryRow:
    """The summary table's row."""
    return SummaryRow(
        "Pallais 2014: a first job",
        "treated novices' relative income nearly tripled (about 3x)",
        f"final-year earnings, treated / control: {times(r.stats['later_ratio'])}",
        verdict(r.ok),
    )


def _rows(r: PallaisResult) -> list[list[str]]:
    s = r.stats
    return [
        [
            "hired after the intervention (treated: a contract beyond the one given)",
            pct(s["hired_again_treated"]),
            pct(s["hired_control"]),
            "",
            "higher employment",
        ],
        [
            f"mean net earnings in year {r.later_year} (USD; the given contract is not in it)",
            usd(s["later_treated"]),
            usd(s["later_control"]),
            times(s["later_ratio"]),
            "relative income nearly tripled (about 3x)",
        ],
        [
            "mean lifetime net earnings (USD)",
            usd(s["earnings_treated"]),
            usd(s["earnings_control"]),
            times(s["earnings_ratio"]),
            "",
        ],
    ]


def text(r: PallaisResult, inp: StudyInput) -> str:
    """The section's Markdown."""
    s, ratio = r.stats, r.ratio
    size = (
        "about the study's near-tripling"
        if 2.0 <= ratio <= 4.5
        else "more than the study's near-tripling"
        if ratio > 4.5
        else "less than the study's near-tripling"
    )
    because = (
        ": the first job is the barrier, and once crossed, search and clients' reliance "
        "on reviews keep the door open"
        if r.ok
        else "; the interval does not exclude no effect"
    )
    header = ["outcome", "treated", "control", "treated / control", "study"]
    return f"""## 1. Pallais (2014): a first job for never-hired freelancers

{study_line("pallais")}

**Model.** In the baseline world, at week {r.at_step} a random {share(r.share)} of the
freelancers never hired so far get one ordinary contract from a random client, in their home
niche, reviewed like any other (*treated*); the rest of the never-hired of that week are the
*controls*. Outcomes at week {r.weeks}; about {s["n_treated"][0]:,.0f} treated and
{s["n_control"][0]:,.0f} controls per world. {setup_line(inp)}

{table(header, _rows(r))}

![Pallais: treated vs control]({IMG.as_posix()}/{FIGURE})

**Reading.** A single random contract, with its public review, leaves the treated earning
{ratio:.1f} times as much as their controls in year {r.later_year} ({size}){because}.
Differences from the field experiment: Pallais hired for a real data-entry task and
posted a detailed evaluation; here the given contract's review follows the freelancer's
delivered quality (a poor first job can hurt), and the outcome is mean net earnings rather
than her relative-income measure.
"""


def section(inp: StudyInput) -> Section:
    """Compute, draw and write section 1."""
    r = compute(inp)
    return Section(text(r, inp), ((FIGURE, figure(r)),), (summary(r),))
