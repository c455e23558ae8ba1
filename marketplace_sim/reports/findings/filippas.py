"""Section 4: Filippas, Horton & Golden (2018/2022), reputation inflation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim.analysis import filippas as private
from marketplace_sim.analysis import studies
from marketplace_sim.analysis.results import read_table
from marketplace_sim.plots.findings import YearlyLine, filippas_figure
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
)

FIGURE = "filippas.png"
INFLATION, NORM_WEEKS = "reviews.inflation", "reviews.norm_weeks"
STARS, QUALITY = "mean_stars_week", "mean_quality"
Key = tuple[float, float]  # (reviews.inflation, reviews.norm_weeks)
NAN3: CI = (np.nan, np.nan, np.nan)
#: "At least 35-45 % [of the increase] is attributable to raters applying lower standards"
#: (Filippas, Horton & Golden, "Reputation in the Long-Run", CESifo WP 6750, 2017, abstract):
#: any share from 35 % up agrees.
SHARE_PAPER = (0.35, 1.0)


def at(y: pd.DataFrame, year: int, col: str) -> CI:
    """A column's mean and interval across runs in one year."""
    return ci(y.loc[y["year"] == year, col])


def run_changes(y: pd.DataFrame, col: str, end: int, start: int = 1) -> np.ndarray:
    """Per run (in run order), the column's change from year ``start`` to ``end``."""
    w = y.pivot_table(index="run_id", columns="year", values=col)
    if start not in w or end not in w:
        return np.array([], dtype=float)
    return (w[end] - w[start]).to_numpy(dtype=float)


def change(y: pd.DataFrame, col: str, end: int, start: int = 1) -> CI:
    """Per run, the column's change from year ``start`` to ``end``; mean and interval."""
    d = run_changes(y, col, end, start)
    return ci(d) if d.size else NAN3


def inflation_share(on: np.ndarray, off: np.ndarray) -> CI:
    """Share of the rise due to inflation, (rise on - rise off) / rise on, across replicates.

    Replicate ``r`` of one condition is paired with replicate ``r`` of the other (independent
    worlds, so a pair's difference has the variance of the two together).
    """
    n = min(on.size, off.size)
    if n == 0:
        return NAN3
    with np.errstate(divide="ignore", invalid="ignore"):
        return ci((on[:n] - off[:n]) / on[:n])


@dataclass(frozen=True)
class InflationResult:
    """Yearly stars and quality per condition, and the comparison the study makes.

    ``slow`` is the pressure condition with the longest norm (the one meant to match the
    study's decade) and ``ref`` the no-pressure condition it is compared with; ``rise`` and
    ``rise0`` are their rating changes over the run, ``dq`` the slow condition's quality change
    after the start-up year and ``gap_q`` its final quality minus the reference's.
    """

    years: Mapping[Key, pd.DataFrame]  # year, mean_stars_week, mean_quality, run_id
    n_years: int
    slow: Key | None
    ref: Key | None
    rise: float
    rise0: float
    dq: float
    gap_q: float
    replications: int
    leniency: float
    share: CI = NAN3
    end_stars: CI = NAN3
    rise_ci: CI = NAN3
    #: the private-vs-public statistic per run (re-simulated with the contract log)
    private_runs: pd.DataFrame | None = None
    #: the calibration's record (:data:`marketplace_sim.analysis.filippas.RECORD`)
    record: Mapping[str, Any] | None = None

    def private_ci(self, key: Key | None) -> CI:
        """The share of the dissatisfied giving 4+ stars in one condition, across runs."""
        d = self.private_runs
        if d is None or key is None or not len(d):
            return NAN3
        mine = d[d[INFLATION] == key[0]]
        if NORM_WEEKS in d:
            mine = mine[mine[NORM_WEEKS] == key[1]]
        return private.share_ci(mine) if len(mine) else NAN3

    @property
    def q_from(self) -> int:
        """Quality is compared from this year on (after the start-up year)."""
        return min(2, self.n_years)

    @property
    def pressure(self) -> list[Key]:
        """The conditions with social pressure on raters, sorted."""
        return sorted(k for k in self.years if k[0] > 0)

    @property
    def ok(self) -> bool:
        """Ratings rise well beyond the no-pressure rise while quality stays put."""
        if self.slow is None or self.ref is None:
            return False
        return self.rise - self.rise0 > 0.3 and abs(self.gap_q) < 0.02 and abs(self.dq) < 0.03


def _yearly(inp: StudyInput) -> dict[Key, pd.DataFrame]:
    d = inp.folder
    norm_weeks = inp.experiment.base.reviews.norm_weeks  # when norm_weeks is not swept
    steps = read_table(d / "steps.parquet", ["run_id", "condition_id", "step", STARS, QUALITY])
    cond = read_table(d / "conditions.parquet")
    years: dict[Key, pd.DataFrame] = {}
    for _, c in cond.iterrows():
        mine = steps[steps["condition_id"] == c["condition_id"]]
        per_run = [
            studies.by_year(g, (STARS, QUALITY)).assign(run_id=r)
            for r, g in mine.groupby("run_id", sort=True)
        ]
        nw = float(c[NORM_WEEKS]) if NORM_WEEKS in c else float(norm_weeks)
        years[(float(c[INFLATION]), nw)] = pd.concat(per_run, ignore_index=True)
    return years


def compute(inp: StudyInput) -> InflationResult:
    """Yearly means per run and condition, and the slow-pressure vs no-pressure comparison."""
    years = _yearly(inp)
    n = int(max(y["year"].max() for y in years.values()))
    q_from = min(2, n)
    pressure = sorted(k for k in years if k[0] > 0)
    calm = sorted(k for k in years if k[0] == 0)
    slow = max(pressure, key=lambda k: k[1]) if pressure else None
    ref = max(calm, key=lambda k: k[1]) if calm else None
    rise = rise0 = dq = gap_q = float("nan")
    share = end_stars = rise_ci = NAN3
    if slow and ref:
        rise_ci = change(years[slow], STARS, n)
        rise = rise_ci[0]
        rise0 = change(years[ref], STARS, n)[0]
        dq = change(years[slow], QUALITY, n, q_from)[0]
        gap_q = at(years[slow], n, QUALITY)[0] - at(years[ref], n, QUALITY)[0]
        share = inflation_share(
            run_changes(years[slow], STARS, n), run_changes(years[ref], STARS, n)
        )
        end_stars = at(years[slow], n, STARS)
    exp = inp.experiment
    per_run = private.run_statistics(exp, workers=1)
    return InflationResult(
        years,
        n,
        slow,
        ref,
        rise,
        rise0,
        dq,
        gap_q,
        exp.replications,
        exp.base.reviews.leniency,
        share,
        end_stars,
        rise_ci,
        per_run,
        private.read_record(),
    )


def figure(r: InflationResult) -> Figure:
    """Stars and quality by year per condition, with the study's endpoints."""
    lines = []
    for (inf, nw), y in sorted(r.years.items()):
        g = y.groupby("year")
        yrs = np.array(list(g.groups))
        bands = []
        for col in (STARS, QUALITY):
            stats = [ci(v[col]) for _, v in g]
            bands.append(tuple(np.array([s[j] for s in stats]) for j in range(3)))
        label = f"inflation {inf:g}, norm {nw:g} wk"
        lines.append(YearlyLine(label, inf > 0, yrs, bands[0], bands[1]))  # type: ignore[arg-type]
    return filippas_figure(lines, studies.FILIPPAS, r.replications)


def summary(r: InflationResult) -> tuple[SummaryRow, ...]:
    """The summary table's rows: the inflation share, the end level and the calibrated datum."""
    name = "Filippas et al. 2018/22: reputation inflation"
    paper_end = studies.FILIPPAS["end"]
    return (
        SummaryRow(
            name,
            "at least 35-45 %",
            pct(r.share),
            judge(SHARE_PAPER, r.share, +1),
            "share of the rating rise that is inflation",
            "filippas.share",
        ),
        SummaryRow(
            name,
            f"{studies.FILIPPAS['start']:g} -> {paper_end:g} (+{paper_end - 3.7:.1f})",
            f"year {r.n_years}: {fmt(r.end_stars)} (rise {fmt(r.rise_ci, '+.2f')})",
            judge(paper_end, r.end_stars, +1, null=float(studies.FILIPPAS["start"])),
            "mean public rating after a decade",
            "filippas.end",
        ),
        SummaryRow(
            name,
            f"{100 * private.TARGET:.0f} %",
            pct(r.private_ci(r.slow)),
            "(sets the pressure)",
            "dissatisfied employers (private failure) giving 4+ public stars, years 9-10",
            "filippas.private",
        ),
    )


def _rows(r: InflationResult) -> list[list[str]]:
    n, q_from = r.n_years, r.q_from
    return [
        [
            f"{inf:g}",
            f"{nw:g}",
            fmt(at(y, 1, STARS)),
            fmt(at(y, n, STARS)),
            fmt(change(y, STARS, n)),
            fmt(at(y, 1, QUALITY), ".3f"),
            fmt(at(y, q_from, QUALITY), ".3f"),
            fmt(at(y, n, QUALITY), ".3f"),
            fmt(change(y, QUALITY, n, q_from), "+.3f"),
        ]
        for (inf, nw), y in sorted(r.years.items())
    ]


def _done_by(r: InflationResult, key: Key, share: float = 0.9) -> str:
    """The year by which ``share`` of a condition's rating rise is done."""
    m = r.years[key].groupby("year")[STARS].mean()
    target = m.iloc[0] + share * (m.iloc[-1] - m.iloc[0])
    hit = m[m >= target]
    return f"year {int(hit.index[0])}" if len(hit) else f"after year {r.n_years}"


def _reading(r: InflationResult) -> str:
    n, q_from = r.n_years, r.q_from
    if r.ok:
        return (
            f"Under social pressure the mean public rating rises by {r.rise:+.2f} stars over "
            f"{n} years (without pressure: {r.rise0:+.2f}), while delivered quality "
            f"ends where it ends without pressure (difference {r.gap_q:+.3f}) and moves "
            f"by {r.dq:+.3f} after year {q_from}: the difference is inflation, not better "
            "work."
        )
    return (
        f"Under social pressure the mean public rating changes by {r.rise:+.2f} stars "
        f"over {n} years (without pressure: {r.rise0:+.2f}); delivered quality "
        f"differs by {r.gap_q:+.3f} at the end and moves by {r.dq:+.3f} after year "
        f"{q_from}. This is not a clear reproduction."
    )


def _origin(r: InflationResult, inp: StudyInput) -> str:
    """Where the parameters come from: the datum, the study and the calibration."""
    rec: dict[str, Any] = dict(r.record or {})
    first, last = private.private_window(int(inp.experiment.base.run.steps))
    shipped = f"{r.slow[0]:g}" if r.slow else "n/a"
    chosen = rec.get("chosen")
    same = (
        ""
        if r.slow and chosen == r.slow[0]
        else f" (**the record's value is {chosen}: this experiment does not ship it**)"
    )

    def f3(key: str) -> str:
        v = rec.get(key)
        return f"{v:.3f}" if isinstance(v, float) else "beyond the grid"

    return f"""**Where the parameters come from.** `reviews.leniency` sets the start (about 3.7
stars in year 1, an input, as oDesk's early years were); `reviews.norm_weeks` is the schema
default, 156 weeks (raters' norm follows the ratings of the last three years). The pressure,
`reviews.inflation` = {shipped}, is set by neither target but by a third number of the same
study: while the platform collected private feedback ("Would you work with this freelancer
again if you had a similar project?") beside the public stars, "24% of dissatisfied employers
publicly gave 4+ stars" (Filippas, Horton & Golden, "Reputation Inflation", slides, slide 29;
slide 30: "Private and public feedback over time while both were collected"; slide 25: the
private feedback was "new platform-created"; Horton & Golden, "Reputation Inflation in an
Online Marketplace", February 2015, describe the marketplace adding it to the public stars).
In the model: among contracts ending in weeks {first}-{last} (the last fifth of the run: years
9-10 of the 520-week decade, as the private feedback came late in the study's decade) whose
candid private outcome is a failure and that got public stars, the share with 4 or 5 stars
(`marketplace_sim.analysis.filippas`). `experiments/filippas-pressure-calibration.toml`
sweeps `reviews.inflation` from 0 to 0.6 ({len(rec.get("grid", []))} values x
{rec.get("replications", "?")} worlds of the full decade, seeds apart from this experiment's)
and interpolates the replicate means onto 24 %: {f3("value")} [{f3("low")}, {f3("high")}]
(where the 95 % band of the means crosses 24 %), shipped rounded to {chosen}{same}
(`python -m marketplace_sim.analysis.filippas_calibration --workers 2`; the record is
`experiments/filippas-pressure-calibration.json`). In this experiment's own worlds, rerun with
the contract log, the statistic at {shipped} is {pct(r.private_ci(r.slow))} (without
pressure {pct(r.private_ci(r.ref))}), against the study's 24 %. The end level, the rise, its
pace and the inflation share are outcomes: none was looked at in setting the pressure."""


def _verdicts(r: InflationResult) -> str:
    """The summary rows' verdicts, in words."""
    share, end, _ = summary(r)
    return (
        f"verdict **{share.direction.strip('*')}**; the rating at the end, {end.ours}, against "
        f"3.7 -> 4.8 (+1.1): verdict **{end.direction.strip('*')}**"
    )


def text(r: InflationResult, inp: StudyInput) -> str:
    """The section's Markdown."""
    n, q_from = r.n_years, r.q_from
    pace = "; ".join(
        f"with norm_weeks = {nw:g}, by {_done_by(r, (inf, nw))}" for inf, nw in r.pressure
    )
    header = [
        "inflation",
        "norm_weeks",
        "stars, year 1",
        f"stars, year {n}",
        "change",
        "quality, year 1",
        f"year {q_from}",
        f"year {n}",
        f"change since year {q_from}",
    ]
    return f"""## 4. Filippas, Horton & Golden (2018/2022): reputation inflation

{study_line("filippas")}

**Model.** The baseline world with candid raters at the start (`reviews.leniency` =
{r.leniency:g}, so the first year averages about 3.7 stars, as oDesk's early
years did). Social pressure: every rater adds `reviews.inflation` x (norm - 3) to her
leniency, where the *norm* is what raters have come to expect, an exponential average of the
stars given with time constant `reviews.norm_weeks`. The mean public rating is the mean of the
stars given each week (`mean_stars_week`), averaged by year; quality is the mean quality of
the work delivered (`mean_quality`). {setup_line(inp)}

{table(header, _rows(r))}

Study: 3.7 -> 4.8 stars over a decade (+1.1), at least 35-45 % of it inflation rather than
better work ("Reputation in the Long-Run", CESifo WP 6750, 2017, abstract).

![Filippas: ratings and quality by year]({IMG.as_posix()}/{FIGURE})

**Reading.** {_reading(r)} Of the rise under pressure, {pct(r.share)} is inflation
(rise with pressure minus rise without, over the rise with pressure; replicate pairs): the
study says at least 35-45 % ({_verdicts(r)}). Quality itself rises mostly in the first year, equally
in every condition (a new market's learning by doing and the exit of idle freelancers).
{_origin(r, inp)} Ninety per cent of the rise is done {pace}.
"""


def section(inp: StudyInput) -> Section:
    """Compute, draw and write section 4."""
    r = compute(inp)
    return Section(text(r, inp), ((FIGURE, figure(r)),), summary(r))
