"""Section 3: Salganik, Dodds & Watts (2006), social influence, inequality, unpredictability."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim.analysis import studies
from marketplace_sim.analysis.results import result_runs
from marketplace_sim.plots.findings import salganik_figure
from marketplace_sim.reports.findings.base import IMG, Section, StudyInput, SummaryRow
from marketplace_sim.reports.findings.format import (
    CI,
    ci,
    fmt,
    judge,
    pct,
    scaled,
    setup_line,
    study_line,
    table,
)

FIGURE = "salganik.png"
RANKING, WEIGHT = "platform.ranking", "clients.reputation_weight"
Key = tuple[str, float]  # (ranking, reputation weight)
NONE: Key = ("random", 0.0)  # no social influence
FULL: Key = ("reputation", 1.0)  # influence through search and clients
INFLUENCE = {
    NONE: "none (independent)",
    FULL: "full (search and clients)",
    ("reputation", 0.0): "search only",
    ("random", 1.0): "clients only",
}
ORDER: tuple[Key, ...] = (NONE, ("random", 1.0), ("reputation", 0.0), FULL)


@dataclass(frozen=True)
class WorldStats:
    """One condition's worlds: Gini of earnings, U (jackknife interval), share never hired."""

    gini: CI
    u: CI
    never: CI


@dataclass(frozen=True)
class SalganikResult:
    """Per condition (ranking, reputation weight), in ``conditions.parquet`` order."""

    stats: Mapping[Key, WorldStats]
    worlds: int
    weeks: int
    gini_gap: CI = (float("nan"),) * 3
    cohort: int = 0

    @property
    def ok(self) -> bool:
        """Full influence raises both the Gini and U over independent worlds."""
        ind, full = self.stats.get(NONE), self.stats.get(FULL)
        return bool(ind and full and full.gini[0] > ind.gini[0] and full.u[0] > ind.u[0])

    def ratio(self, measure: str) -> float:
        """Full influence over independent worlds, for ``gini`` or ``u``."""
        ind, full = self.stats.get(NONE), self.stats.get(FULL)
        if not (ind and full):
            return float("nan")
        return getattr(full, measure)[0] / getattr(ind, measure)[0]


def compute(inp: StudyInput) -> SalganikResult:
    """Per condition and world: the starting cohort's shares, their Gini, U across worlds."""
    by_cond: dict[Key, list[pd.DataFrame]] = {}
    never: dict[Key, list[float]] = {}
    for labels, fr in result_runs(inp.folder).frames():
        key = (str(labels[RANKING]), float(labels[WEIGHT]))
        cohort = studies.cohort_earnings(fr)
        by_cond.setdefault(key, []).append(cohort)
        never.setdefault(key, []).append(float((cohort["hires"] == 0).mean()))
    stats: dict[Key, WorldStats] = {}
    ginis: dict[Key, list[float]] = {}
    for key in [k for k in ORDER if k in by_cond] + [k for k in by_cond if k not in ORDER]:
        worlds = by_cond[key]
        ginis[key] = [studies.share_gini(w) for w in worlds]
        u = studies.unpredictability_jackknife(worlds)
        stats[key] = WorldStats(ci(ginis[key]), u, ci(never[key]))
    gap: CI = (float("nan"),) * 3
    if NONE in ginis and FULL in ginis:
        n = min(len(ginis[NONE]), len(ginis[FULL]))
        gap = ci([a - b for a, b in zip(ginis[FULL][:n], ginis[NONE][:n], strict=True)])
    exp = inp.experiment
    size = len(next(iter(by_cond.values()))[0]) if by_cond else 0
    return SalganikResult(stats, exp.replications, exp.base.run.steps, gap, size)


def figure(r: SalganikResult) -> Figure:
    """Gini and U by condition, with MusicLab's Gini ranges."""
    order = [k for k in ORDER if k in r.stats]
    labels = [f"{k[0]}\nrw={k[1]:g}" for k in order]
    gini = [r.stats[k].gini for k in order]
    u = [r.stats[k].u for k in order]
    return salganik_figure(labels, gini, u, studies.SALGANIK_GINI)


def summary(r: SalganikResult) -> tuple[SummaryRow, ...]:
    """The summary table's rows: the Gini in each condition, its rise, and U's."""
    name = "Salganik et al. 2006: social influence"
    paper = studies.SALGANIK_GINI
    ind, full = r.stats.get(NONE), r.stats.get(FULL)
    if not (ind and full):
        return (SummaryRow(name, "", "n/a", judge(None, (float("nan"),) * 3, +1)),)
    u_ratio = r.ratio("u")
    gap_paper = (
        paper["influence"][0] - paper["independent"][1],
        paper["influence"][1] - paper["independent"][0],
    )
    return (
        SummaryRow(
            name,
            "0.20-0.26",
            fmt(ind.gini),
            judge(paper["independent"], ind.gini, 0),
            "Gini of market shares, independent worlds",
            "salganik.gini_independent",
        ),
        SummaryRow(
            name,
            "0.30-0.55",
            fmt(full.gini),
            judge(paper["influence"], full.gini, 0),
            "Gini of market shares, social influence",
            "salganik.gini_influence",
        ),
        SummaryRow(
            name,
            f"+{gap_paper[0]:.2f} to +{gap_paper[1]:.2f}",
            fmt(r.gini_gap, "+.2f"),
            judge(gap_paper, r.gini_gap, +1),
            "Gini, influence minus independent",
            "salganik.gini_gap",
        ),
        SummaryRow(
            name,
            "higher with influence",
            f"x{u_ratio:.2f} ({fmt(scaled(full.u, 1e4))} vs {fmt(scaled(ind.u, 1e4))} x 10⁻⁴)",
            judge(None, (full.u[0] - ind.u[0], full.u[1] - ind.u[2], full.u[2] - ind.u[1]), +1),
            "unpredictability U, influence vs independent",
            "salganik.u",
        ),
    )


def _rows(r: SalganikResult) -> list[list[str]]:
    return [
        [
            f"`{key[0]}`",
            f"{key[1]:g}",
            INFLUENCE.get(key, ""),
            fmt(s.gini),
            fmt(scaled(s.u, 1e4), ".2f"),
            pct(s.never),
        ]
        for key, s in r.stats.items()
    ]


def text(r: SalganikResult, inp: StudyInput) -> str:
    """The section's Markdown."""
    because = (
        ": who ends on top depends more on early luck, amplified. The direction is MusicLab's"
        if r.ok
        else ". That is not MusicLab's direction on both counts"
    )
    header = ["ranking", "rw", "social influence", "Gini", "U (x 10⁻⁴)", "never hired (cohort)"]
    return f"""## 3. Salganik, Dodds & Watts (2006): social influence, inequality, unpredictability

{study_line("salganik")}

**Model.** MusicLab's design on the profiles world (`configs/profiles.toml`): {r.worlds}
*worlds* per condition share one population (the same freelancers, with the same traits,
arriving at the same times) and differ only in market luck. In every condition clients see
the quality signal they would have without social influence, the profile evidence of
expertise (`clients.expertise_signal_weight` = 1), as MusicLab's listeners heard the songs.
Social influence, the influence of others' choices, enters twice: search ranked by reputation
(`platform.ranking`) and clients weighing ratings, review counts, JSS and badge
(`clients.reputation_weight`, rw); the independent condition is random search and rw = 0.
As in MusicLab, shares are *within a fixed set of items*: the {r.cohort:,} freelancers present
at the start, each one's share of the cohort's earnings over the {r.weeks} weeks (newcomers
left out). Gini is over those shares (zeros included), per world; U is the mean absolute
difference of a freelancer's share across pairs of worlds (jackknife interval), here
x 10⁻⁴. {setup_line(inp)}

{table(header, _rows(r))}

Study: Gini about 0.2-0.26 in independent worlds vs 0.3-0.55 with social influence; U higher
with influence.

![Salganik: Gini and U by condition]({IMG.as_posix()}/{FIGURE})

**Reading.** Full social influence multiplies the Gini by {r.ratio("gini"):.2f} and U by
{r.ratio("u"):.2f} over independent worlds{because}; the levels are not comparable:
MusicLab's Gini is over 48 songs' downloads, ours over {r.cohort:,} freelancers' earnings,
zeros included (a market where many are never hired is unequal even without influence), and U
scales with the typical share (1 / number of items), so only its ratio across conditions
means anything.
"""


def section(inp: StudyInput) -> Section:
    """Compute, draw and write section 3."""
    r = compute(inp)
    return Section(text(r, inp), ((FIGURE, figure(r)),), summary(r))
