"""Section 2: van de Rijt et al. (2014), a random early boost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim.analysis import studies
from marketplace_sim.analysis.results import result_runs
from marketplace_sim.plots.findings import vanderijt_figure
from marketplace_sim.reports.findings.base import IMG, Section, StudyInput, SummaryRow
from marketplace_sim.reports.findings.format import (
    CI,
    ci,
    pct,
    setup_line,
    share,
    study_line,
    table,
    times,
    usd,
    verdict,
)

FIGURE = "vanderijt.png"
#: The study's success rates (%), boosted vs control, on its four platforms.
STUDY_PAIRS = (
    ("Kickstarter", 70, 39),
    ("Epinions", 90, 77),
    ("Wikipedia", 40, 31),
    ("change.org", 66, 52),
)


@dataclass(frozen=True)
class BoostResult:
    """Boosted vs control over the worlds of the early-boost experiment.

    Attributes:
        stats: ``(mean, lo, hi)`` of each measure of
            :func:`~marketplace_sim.analysis.studies.early_boost_effect`.
        gap: boosted minus control share ever hired, across worlds.
        worlds: replicates.
        weeks: run length.
        at_step: week of the boost.
        share: share of the never-reviewed boosted.
        reviews: free reviews given.
    """

    stats: Mapping[str, CI]
    gap: CI
    worlds: int
    weeks: int
    at_step: int
    share: float
    reviews: int

    @property
    def ok(self) -> bool:
        """The boosted are hired more often (the gap's interval above 0 with replicates)."""
        return self.gap[1] > 0 if self.worlds > 1 else self.gap[0] > 0


def compute(inp: StudyInput) -> BoostResult:
    """Measure boosted vs control in every world of the sweep."""
    base = inp.experiment.base
    weeks = base.run.steps
    eb = base.interventions.early_boost
    df = pd.DataFrame(
        [studies.early_boost_effect(fr, weeks) for _, fr in result_runs(inp.folder).frames()]
    )
    stats = {c: ci(df[c]) for c in df.columns}
    gap = ci(df["hired_boosted"] - df["hired_control"])
    return BoostResult(stats, gap, len(df), weeks, eb.at_step, eb.share, eb.reviews)


def figure(r: BoostResult) -> Figure:
    """The studies' success rates beside the model's share ever hired."""
    s = r.stats
    return vanderijt_figure(
        STUDY_PAIRS, s["hired_boosted"], s["hired_control"], r.at_step, r.worlds
    )


def summary(r: BoostResult) -> SummaryRow:
    """The summary table's row."""
    s = r.stats
    return SummaryRow(
        "van de Rijt et al. 2014: an early boost",
        "success 70 % vs 39 % (Kickstarter), 90 vs 77, 40 vs 31, 66 vs 52",
        f"ever hired: {pct(s['hired_boosted'])} vs {pct(s['hired_control'])}",
        verdict(r.ok),
    )


def _rows(r: BoostResult) -> list[list[str]]:
    s, weeks = r.stats, r.weeks
    return [
        [
            "ever hired",
            pct(s["hired_boosted"]),
            pct(s["hired_control"]),
            "success 70 vs 39 % (Kickstarter), 90 vs 77 % (Epinions), 40 vs 31 % (Wikipedia), "
            "66 vs 52 % (change.org)",
        ],
        [
            f"working in the final year (weeks {weeks - 51}-{weeks})",
            pct(s["active_boosted"]),
            pct(s["active_control"]),
            "",
        ],
        [
            "mean lifetime net earnings (USD)",
            usd(s["earnings_boosted"]),
            usd(s["earnings_control"]),
            f"ratio {times(s['earnings_ratio'])}",
        ],
    ]


def text(r: BoostResult, inp: StudyInput) -> str:
    """The section's Markdown."""
    gap = r.gap
    more = "more" if gap[0] > 0 else "less"
    because = (
        "A random signal at the start is enough: clients and search read the star, the "
        "first hire brings real reviews, and the advantage compounds."
        if r.ok
        else "The boost did not leave a clear lasting advantage here."
    )
    plural = "s" if r.reviews > 1 else ""
    # one line of the page, as it has always been written
    given = (
        f"freelancers without any review get {r.reviews} free five-star review{plural} "
        "(*boosted*: a public signal only, no work, no money, no job success score); the other"
    )
    return f"""## 2. van de Rijt et al. (2014): a random early boost

{study_line("vanderijt")}

**Model.** In the baseline world, at week {r.at_step} a random {share(r.share)} of the
{given}
never-reviewed of that week are the controls. Success is being hired at all; outcomes at week
{r.weeks}. {setup_line(inp)}

{table(["outcome", "boosted", "control", "study"], _rows(r))}

![van de Rijt: boosted vs control]({IMG.as_posix()}/{FIGURE})

**Reading.** The boosted were hired {abs(100 * gap[0]):.0f} percentage points {more}
often than their controls (95 % CI {100 * gap[1]:.0f} to {100 * gap[2]:.0f}); the studies'
gaps were 9 to 31 points. {because}
The studies gave real but random early success (money, ratings, awards, signatures); the model
gives a review with no work behind it, the purest version of luck.
"""


def section(inp: StudyInput) -> Section:
    """Compute, draw and write section 2."""
    r = compute(inp)
    return Section(text(r, inp), ((FIGURE, figure(r)),), (summary(r),))
