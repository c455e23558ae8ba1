"""docs/docking.md, "What our model adds, mechanism by mechanism": the ladder's section.

:func:`ladder_section` reads a sweep of ``experiments/lukac-grow-2020-ladder.toml``, computes
each rung's change from the docked world (:mod:`marketplace_sim.analysis.docking_ladder`),
draws the figure (:func:`marketplace_sim.plots.docking.plot_docking_ladder`) and returns the
section's Markdown; :func:`marketplace_sim.reports.docking.write_docking` puts it on the page
(``marketplace-sim docking ... --ladder SWEEP_DIR``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from marketplace_sim import files
from marketplace_sim.analysis import docking_ladder as dl
from marketplace_sim.plots.docking import plot_docking_ladder

#: rung -> (its name, what it is in our model with its config key and ODD section)
RUNGS: dict[str, tuple[str, str]] = {
    "reviews": (
        "reputation from reviews",
        "each hire delivered and judged by our formulas (quality from talent / 100 plus noise, "
        "on time, satisfaction, private outcome, lenient stars; ODD 7.10-7.11), prior jobs too "
        "(as `market.prior_jobs_mean`); employers see our index (rating signal, log(1 + "
        "reviews), JSS; ODD 7.4) on their 0-100 scale, instead of their formula with fresh "
        "noise after every hire",
    ),
    "search": (
        "ranked discovery",
        "applicants drawn without replacement with our position bias "
        "`(1 + rank by reputation) ** -platform.search_weight` (1.0; ODD 7.5), instead of "
        "uniformly",
    ),
    "rehires": (
        "direct rehires",
        "an employer whose last hire was a private success gives the job to that employee, "
        "without an auction, with probability `clients.rehire_prob` (0.5; ODD 7.8); the "
        "employee bids as a lone bidder",
    ),
    "entry_exit": (
        "entry and exit",
        "newcomers with no history at our rate (`market.entry_rate` per `market.freelancers`, "
        "0.6 a week here), idle employees leave at our hazard (`freelancers.exit_*`; ODD 7.1); "
        "measures over those present at the end",
    ),
    "top_rated": (
        "Top Rated badge",
        "our rule (JSS >= `platform.top_rated_jss`, run earnings >= "
        "`platform.top_rated_earnings`, tenure; ODD 7.13), weekly; the badge adds one unit of "
        "our index to their reputation formula",
    ),
    "all": ("all five", "every mechanism above at once"),
}
#: How each measure is printed (the docked mean, and a difference).
FORMATS = {
    "lg_no_work": ".1f",
    "lg_jobs_low": ".2f",
    "lg_jobs_mid": ".2f",
    "lg_jobs_high": ".2f",
    "lg_earn_low": ".0f",
    "lg_earn_mid": ".0f",
    "lg_earn_high": ".0f",
    "gini_earnings": ".3f",
    "lg_step": ".1f",
}
SHORT = {m.column: m.short for m in dl.LADDER_MEASURES} | {"lg_step": "jobs posted"}


@dataclass(frozen=True)
class Ladder:
    """The ladder's table, the docked means, the manifest and the figure written."""

    folder: Path
    table: pd.DataFrame
    docked: pd.DataFrame
    manifest: dict[str, object]
    figure: Path


def read(folder: str | Path, img: Path) -> Ladder:
    """Read the ladder sweep, compute its table and draw its figure into ``img``."""
    folder = Path(folder)
    runs = dl.read_ladder(folder)
    table = dl.ladder_table(runs)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    rungs = [r for r in pd.unique(table["rung"])]
    fig = plot_docking_ladder(
        table,
        {m.column: m.label for m in dl.LADDER_MEASURES},
        {r: RUNGS.get(r, (r, ""))[0] for r in rungs},
        title="Our mechanisms in their world, one at a time: change from the docked world "
        f"(mean of {_runs_each(table)} runs, bar: Welch 95 % interval)",
    )
    img.mkdir(parents=True, exist_ok=True)
    path = files.save_figure(fig, img / "ladder.png", dpi=100)
    return Ladder(folder, table, dl.docked_means(runs), manifest, path)


def _runs_each(table: pd.DataFrame) -> str:
    """Runs per rung and value as the table counts them: ``50``, or ``48-50`` if they differ."""
    lo, hi = int(table["n"].min()), int(table["n"].max())
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def _values(k: int) -> str:
    """``one value``, ``three values``, ``12 values``."""
    words = {1: "one value", 2: "two values", 3: "three values", 4: "four values"}
    return words.get(k, f"{k} values")


def _cell(row: pd.Series, spec: str) -> str:
    text = (
        f"{format(row['diff'], '+' + spec)} [{format(row['lo'], spec)}, {format(row['hi'], spec)}]"
    )
    clear = row["lo"] > 0 or row["hi"] < 0
    return f"**{text}**" if clear else text


def table_markdown(ladder: Ladder) -> str:
    """One block per value of coef-strategy: the docked means, then each rung's change."""
    cols = list(FORMATS)
    head = ["coef-strategy", "world", *[f"{SHORT[c]} (`{c}`)" for c in cols]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    t = ladder.table
    for coef in sorted(pd.unique(t["coef"])):
        base = ladder.docked[ladder.docked["coef"] == coef].iloc[0]
        cells = [format(float(base[c]), FORMATS[c]) for c in cols]
        lines.append(f"| {coef:g} | docked world (mean) | " + " | ".join(cells) + " |")
        for rung in pd.unique(t["rung"]):
            d = t[(t["rung"] == rung) & (t["coef"] == coef)].set_index("measure")
            cells = [_cell(d.loc[c], FORMATS[c]) for c in cols]
            name = RUNGS.get(rung, (rung, ""))[0]
            lines.append(f"| {coef:g} | + {name} (`{rung}`) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rungs_markdown(ladder: Ladder) -> str:
    """What each rung is in our model, with its config key."""
    lines = ["| rung | `docking.ours` | what it is in our model |", "|---|---|---|"]
    for rung in pd.unique(ladder.table["rung"]):
        name, what = RUNGS.get(rung, (rung, ""))
        lines.append(f'| {name} | `"{rung}"` | {what} |')
    return "\n".join(lines)


def _d(ladder: Ladder, rung: str, coef: float, measure: str) -> str:
    t = ladder.table
    row = t[(t["rung"] == rung) & (t["coef"] == coef) & (t["measure"] == measure)]
    if row.empty:
        return "n/a"
    return format(float(row["diff"].iloc[0]), "+" + FORMATS[measure])


def _sums(ladder: Ladder, lo: float, hi: float) -> dict[str, str]:
    """The single rungs' changes summed (to set beside ``all``), no job and Gini, at lo and hi."""
    t = ladder.table
    single = t[~t["rung"].isin(["all"])]
    out = {}
    for key, measure in (("no_work", "lg_no_work"), ("gini", "gini_earnings")):
        for side, coef in (("lo", lo), ("hi", hi)):
            d = single[(single["measure"] == measure) & (single["coef"] == coef)]["diff"]
            out[f"sum_{key}_{side}"] = format(float(d.sum()), "+" + FORMATS[measure])
    return out


def why_markdown(ladder: Ladder) -> str:
    """A sentence per mechanism on why it moves what it moves, with the measured changes."""
    coefs = sorted(pd.unique(ladder.table["coef"]))
    lo, hi = coefs[0], coefs[-1]
    rungs = set(pd.unique(ladder.table["rung"]))
    text = {
        "reviews": WHY_REVIEWS,
        "search": WHY_SEARCH,
        "rehires": WHY_REHIRES,
        "entry_exit": WHY_ENTRY_EXIT,
        "top_rated": WHY_TOP_RATED,
        "all": WHY_ALL,
    }
    out = []
    for rung, template in text.items():
        if rung not in rungs:
            continue
        nums = {
            f"{m}_{k}": _d(ladder, rung, c, m) for m in FORMATS for k, c in (("lo", lo), ("hi", hi))
        }
        nums.update(_sums(ladder, lo, hi))
        out.append(f"- **{RUNGS[rung][0]}** (`{rung}`): " + template.format(lo=lo, hi=hi, **nums))
    return "\n".join(out)


def section(ladder: Ladder, img: Path) -> str:
    """The page's section "What our model adds, mechanism by mechanism"."""
    wall = ladder.manifest.get("wall_seconds")
    runtime = (
        f"{ladder.manifest.get('runs', '?')} runs in {float(str(wall)):.0f} s wall on "
        f"{ladder.manifest.get('workers', '?')} workers"
        if wall is not None
        else "not recorded"
    )
    return (
        "## What our model adds, mechanism by mechanism\n\n"
        + LADDER_INTRO.format(
            values=_values(pd.unique(ladder.table["coef"]).size), runs=_runs_each(ladder.table)
        )
        + "\n\n"
        + rungs_markdown(ladder)
        + "\n\n"
        + LADDER_TABLE_HEAD.format(runs=_runs_each(ladder.table))
        + "\n\n"
        + table_markdown(ladder)
        + "\n\n"
        + f"![ladder]({img.as_posix()}/{ladder.figure.name})\n\n"
        + why_markdown(ladder)
        + "\n\n"
        + LADDER_NOTES.format(runtime=runtime)
    )


LADDER_INTRO = """\
From the world that docks (the port with 1-9 applicants per job), our model's mechanisms are
switched on one at a time (`docking.ours`, default `"none"`: their model), and then all
together, at {values} of coef-strategy, {runs} runs each
(`experiments/lukac-grow-2020-ladder.toml`).
Each follows our formulas (`docs/ODD.md`) with our defaults, in their world: one job a tick, and
one week of ours is 15 ticks (the jobs 120 employees get in a week at our baseline's 0.125 jobs
per freelancer-week). The starting-reputation bands of their measures are their formula's in
every rung, so each measure groups the same kind of employee whatever is switched on."""

LADDER_TABLE_HEAD = """\
Change from the docked world (rung mean minus docked mean, Welch 95 % interval over the {runs} +
{runs} runs; bold: the interval excludes 0). The docked rows are the means themselves. "Gini" is
ours: the Gini of the run's earnings over the employees present."""

WHY_REVIEWS = (
    "reputation becomes a record that only the employee's own jobs change, with no fresh "
    "noise to reshuffle the ranking after every hire, and each hire adds a review, so log(1 + "
    "reviews) grows for the hired only: the Gini rises at every coef-strategy "
    "({gini_earnings_lo} at {lo:g}, {gini_earnings_hi} at {hi:g}). Stars pool at five, so "
    "the record ranks by experience more than by talent, and the low band (their formula's "
    "low score) is no longer the low reputation it was: where reputation decides (low "
    "coef-strategy) it gains jobs ({lg_jobs_low_lo}), and where a low bid decides half the "
    "jobs (high coef-strategy) it loses them ({lg_jobs_low_hi}), since in the open auction a "
    "low reputation bids low and their formula's low scorers won the cheap jobs."
)
WHY_SEARCH = (
    "the position bias gives the top of the reputation ranking most of the applicant slots, "
    "so the low ranks rarely even apply: employees with no new job change by "
    "{lg_no_work_lo} at {lo:g} and {lg_no_work_hi} at {hi:g}, and the Gini by "
    "{gini_earnings_lo}. It acts before the employer chooses, so it concentrates at every "
    "coef-strategy, even where a low bid wins, and it is the largest single rung."
)
WHY_REHIRES = (
    "half the jobs of an employer satisfied last time go back to the same employee, with no "
    "competition; a repeat pair adds no link, so their stopping rule (200 distinct pairs) "
    "comes later and runs hit the 250-tick limit (jobs posted {lg_step_lo}). More jobs go to "
    "fewer people: no new job {lg_no_work_lo} at {lo:g}, {lg_no_work_hi} at {hi:g}; the high "
    "band gains {lg_jobs_high_lo} jobs at {lo:g}."
)
WHY_ENTRY_EXIT = (
    "about eight newcomers arrive in a run, with no prior job and so with their formula's low "
    "starting reputation; few of them win a job, so employees with no new job rise by "
    "{lg_no_work_lo} at {lo:g} and {lg_no_work_hi} at {hi:g}. Exits at our hazard are rare "
    "over a run of about 14 weeks (about six employees, mostly idle ones who would have "
    "counted as without a new job). The newcomers join the low starting-reputation band and "
    "rarely win: where that band wins many cheap jobs (high coef-strategy) they pull its mean "
    "jobs and earnings down; where it gets few anyway (low coef-strategy) the rest barely "
    "moves."
)
WHY_TOP_RATED = (
    "the badge needs $1,000 earned in the run and a JSS of 90 % or more: a handful of "
    "employees, already the most hired, get it, and one unit of our index adds little to "
    "their formula's argument; no new job changes by {lg_no_work_lo} at {lo:g}, "
    "{lg_no_work_hi} at {hi:g}, within the noise."
)
WHY_ALL = (
    "the five together: no new job {lg_no_work_lo} at {lo:g} and {lg_no_work_hi} at {hi:g} "
    "(the single rungs' changes sum to {sum_no_work_lo} and {sum_no_work_hi}), the Gini "
    "{gini_earnings_lo} and {gini_earnings_hi} (sums {sum_gini_lo} and {sum_gini_hi}); "
    "ranked search is the largest part of it at every coef-strategy."
)

LADDER_NOTES = """\
Not in the ladder: rating inflation (`reviews.inflation`: the rating norm moves by 1/156 of
its gap a week, nothing over a run of about 14 weeks), capacity limits (their jobs are done
when awarded) and learning by doing (a handful of jobs closes about 1-4 % of the gap to
perfect skill). Runtime of the ladder: {runtime}. Method:
`marketplace_sim.analysis.docking_ladder` (Welch's t interval of the difference of means,
`scipy.stats.ttest_ind` with unequal variances); the mechanisms:
`marketplace_sim/model/docking/ours.py`."""
