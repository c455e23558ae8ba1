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
    judge,
    pct,
    setup_line,
    share,
    study_line,
    table,
    times,
    usd,
)

FIGURE = "vanderijt.png"
#: The study's success rates (%), boosted vs control, on its four platforms.
STUDY_PAIRS = (
    ("Kickstarter", 70, 39),
    ("Epinions", 90, 77),
    ("Wikipedia", 40, 31),
    ("change.org", 66, 52),
)
#: The studies' gaps in success (boosted minus control), as a range of shares.
PAPER_GAP = (
    min(b - c for _, b, c in STUDY_PAIRS) / 100,
    max(b - c for _, b, c in STUDY_PAIRS) / 100,
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
    def stage(self) -> str:
        """Early or established market, by the week of the boost."""
        return "young market" if self.at_step < 52 else "established market"

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


def summary(rs: tuple[BoostResult, ...]) -> tuple[SummaryRow, ...]:
    """The summary table's rows: the gap in being hired after the boost, per boost week."""
    lo, hi = PAPER_GAP
    return tuple(
        SummaryRow(
            "van de Rijt et al. 2014: an early boost",
            f"+{100 * lo:.0f} to +{100 * hi:.0f} points",
            f"{100 * r.gap[0]:+.0f} points [{100 * r.gap[1]:+.0f}, {100 * r.gap[2]:+.0f}]",
            judge(PAPER_GAP, r.gap, +1),
            f"hired after the boost, boosted minus control (boost at week {r.at_step}, {r.stage})",
            "vanderijt.early" if r.at_step < 52 else "vanderijt.established",
        )
        for r in rs
    )


def _rows(rs: tuple[BoostResult, ...]) -> list[list[str]]:
    out = []
    for r in rs:
        s, when = r.stats, f"week {r.at_step} ({r.stage})"
        out += [
            [
                when,
                "hired after the boost",
                pct(s["hired_boosted"]),
                pct(s["hired_control"]),
                f"{100 * r.gap[0]:+.0f} points [{100 * r.gap[1]:+.0f}, {100 * r.gap[2]:+.0f}]",
            ],
            [
                when,
                f"working in the final year (weeks {r.weeks - 51}-{r.weeks})",
                pct(s["active_boosted"]),
                pct(s["active_control"]),
                "",
            ],
            [
                when,
                "mean lifetime net earnings (USD)",
                usd(s["earnings_boosted"]),
                usd(s["earnings_control"]),
                f"ratio {times(s['earnings_ratio'])}",
            ],
        ]
    return out


def text(rs: tuple[BoostResult, ...], inps: tuple[StudyInput, ...]) -> str:
    """The section's Markdown."""
    r = rs[0]
    gap = r.gap
    more = "more" if gap[0] > 0 else "less"
    because = (
        "A random signal at the start is enough: clients and search read the star, the "
        "first hire brings real reviews, and the advantage compounds."
        if r.ok
        else "The boost did not leave a clear lasting advantage here."
    )
    plural = "s" if r.reviews > 1 else ""
    later = "".join(
        f" Boosted at week {x.at_step} ({x.stage}), the gap is {100 * x.gap[0]:+.0f} points "
        f"(95 % CI {100 * x.gap[1]:+.0f} to {100 * x.gap[2]:+.0f})."
        for x in rs[1:]
    )
    setups = " ".join(setup_line(i) for i in inps)
    return f"""## 2. van de Rijt et al. (2014): a random early boost

{study_line("vanderijt")}

**Model.** In the baseline world, a random {share(r.share)} of the freelancers never hired
so far get {r.reviews} free five-star review{plural} (*boosted*: a public signal only, no
work, no money, no job success score); the other never-hired of that week are the
controls. Only the never-hired are eligible (`interventions.early_boost.eligible =
"unhired"`), so success, being hired, counts only hires after the boost. The boost is given
once in a young market (week {r.at_step}) and once in an established one (week
{", ".join(str(x.at_step) for x in rs[1:]) or "n/a"}), each followed for
{r.weeks - r.at_step} weeks. {setups}

{table(["boost", "outcome", "boosted", "control", "difference"], _rows(rs))}

![van de Rijt: boosted vs control]({IMG.as_posix()}/{FIGURE})

**Reading.** Boosted at week {r.at_step}, the boosted were hired {abs(100 * gap[0]):.0f}
percentage points {more} often than their controls (95 % CI {100 * gap[1]:.0f} to
{100 * gap[2]:.0f}); the studies' gaps were {100 * PAPER_GAP[0]:.0f} to
{100 * PAPER_GAP[1]:.0f} points. {because}{later}
The studies gave real but random early success (money, ratings, awards, signatures); the model
gives a review with no work behind it, the purest version of luck.
"""


def section(inp: StudyInput, *more: StudyInput) -> Section:
    """Compute, draw and write section 2 (the early boost, then any later ones)."""
    inps = (inp, *more)
    rs = tuple(compute(i) for i in inps)
    return Section(text(rs, inps), ((FIGURE, figure(rs[0])),), summary(rs))
