"""Section 3: Salganik, Dodds & Watts (2006), social influence, inequality, unpredictability."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from matplotlib.figure import Figure

from marketplace_sim.analysis import studies
from marketplace_sim.analysis.results import read_table
from marketplace_sim.plots.findings import salganik_figure
from marketplace_sim.reports.findings.base import IMG, Section, StudyInput, SummaryRow
from marketplace_sim.reports.findings.format import (
    CI,
    fmt,
    pct,
    scaled,
    setup_line,
    study_line,
    table,
    verdict,
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


def _triple(c: Mapping[str, float], metric: str) -> CI:
    return (c[f"{metric}_mean"], c[f"{metric}_lo"], c[f"{metric}_hi"])


def compute(inp: StudyInput) -> SalganikResult:
    """Gini and never-hired from ``conditions.parquet``; U with its jackknife from the parts."""
    from marketplace_sim.experiments.sweep import PARTS

    d = inp.folder
    cond = read_table(d / "conditions.parquet")
    runs = read_table(d / "runs.parquet")
    ok_runs = runs[runs["status"] == "ok"]
    stats: dict[Key, WorldStats] = {}
    for _, c in cond.iterrows():
        ids = ok_runs.loc[ok_runs["condition_id"] == c["condition_id"], "run_id"].tolist()
        earn = [read_table(d / PARTS / r / "earnings.parquet") for r in sorted(ids)]
        u = studies.unpredictability_jackknife(earn)
        key = (c[RANKING], float(c[WEIGHT]))
        stats[key] = WorldStats(_triple(c, "gini_earnings"), u, _triple(c, "share_never_hired"))
    exp = inp.experiment
    return SalganikResult(stats, exp.replications, exp.base.run.steps)


def figure(r: SalganikResult) -> Figure:
    """Gini and U by condition, with MusicLab's Gini ranges."""
    order = [k for k in ORDER if k in r.stats]
    labels = [f"{k[0]}\nrw={k[1]:g}" for k in order]
    gini = [r.stats[k].gini for k in order]
    u = [r.stats[k].u for k in order]
    return salganik_figure(labels, gini, u, studies.SALGANIK_GINI)


def summary(r: SalganikResult) -> SummaryRow:
    """The summary table's row."""
    ind, full = r.stats.get(NONE), r.stats.get(FULL)
    ours = (
        f"Gini {ind.gini[0]:.2f} vs {full.gini[0]:.2f}; U x{r.ratio('u'):.1f}"
        if ind and full
        else "n/a"
    )
    return SummaryRow(
        "Salganik et al. 2006: social influence",
        "Gini 0.2-0.26 independent vs 0.3-0.55 with influence; U higher",
        ours,
        verdict(r.ok),
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
    header = ["ranking", "rw", "social influence", "Gini", "U (x 10⁻⁴)", "never hired"]
    return f"""## 3. Salganik, Dodds & Watts (2006): social influence, inequality, unpredictability

{study_line("salganik")}

**Model.** MusicLab's design on the baseline world: {r.worlds} *worlds* per condition
share one population (the same freelancers, with the same traits, arriving at the same
times) and differ only in market luck. Social influence enters twice: search ranked by
reputation (`platform.ranking`) and clients weighing reputation (`clients.reputation_weight`,
rw); "no influence" is random search and rw = 0. Gini is over active freelancers' cumulative
earnings at week {r.weeks}; U is the mean absolute difference of a freelancer's
share of the world's earnings across pairs of worlds (`conditions.parquet`, column
`unpredictability`), here x 10⁻⁴. {setup_line(inp)}

{table(header, _rows(r))}

Study: Gini about 0.2-0.26 in independent worlds vs 0.3-0.55 with social influence; U higher
with influence.

![Salganik: Gini and U by condition]({IMG.as_posix()}/{FIGURE})

**Reading.** Full social influence multiplies the Gini by {r.ratio("gini"):.2f} and U by
{r.ratio("u"):.2f} over independent worlds{because}; the levels are not comparable:
MusicLab's Gini is over 48 songs' downloads, ours over thousands of freelancers' earnings,
zeros included (a market where many are never hired is unequal even without influence), and U
scales with the typical share (1 / number of freelancers), so only its ratio across
conditions means anything.
"""


def section(inp: StudyInput) -> Section:
    """Compute, draw and write section 3."""
    r = compute(inp)
    return Section(text(r, inp), ((FIGURE, figure(r)),), (summary(r),))
