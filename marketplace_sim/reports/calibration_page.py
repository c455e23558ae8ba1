"""The calibration page (docs/calibration.md), written from a finished search.

:func:`calibration_markdown` assembles it from one function per part: the result, the targets
table of the calibrated baseline, how the targets are defined, the loss, the search and its
three stages, and the limits. Every number comes from the :class:`SearchResult`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from marketplace_sim.analysis.calibration import (
    DIAGNOSTICS,
    LOSS_TIE,
    NAN_DISTANCE,
    STAGE2_KEY,
    STAGE3_KEY,
    TARGETS,
    SearchResult,
    num,
    summarize,
)

#: The command that regenerates the baseline and this page.
COMMAND = "marketplace-sim calibrate search experiments/calibration.toml"
WRITE_OPTIONS = "--write-baseline configs/baseline.toml --write-doc docs/calibration.md"
SCORE_COMMAND = "marketplace-sim calibrate score"

#: Why each searched key matters and why its range (for the docs and the config's comments).
KEY_NOTES: dict[str, tuple[str, str]] = {
    "reviews.leniency": (
        "shift added to satisfaction before stars: sets the mean rating and the 5-star share",
        "0.15 gives candid stars (mean ~4.1, half 5 stars), 0.55 nearly all 5 stars "
        "(mean ~4.9): the two ends of the J-shape band",
    ),
    "reviews.success_threshold": (
        "satisfaction counted a private success: drives the JSS, hence the Top Rated share",
        "delivered satisfaction averages about 0.63 (sd 0.18); 0.42-0.58 takes the Top Rated "
        "share from about 18 % to 3 %",
    ),
    "reviews.failure_threshold": (
        "satisfaction counted a private failure: lowers the JSS of poor deliveries",
        "below the success threshold by construction; 0.20-0.38 spans rare (~2 % of "
        "deliveries) to common (~10 %) failures",
    ),
    "freelancers.exit_base": (
        "weekly exit probability of an idle freelancer: the churn of the never-hired",
        "0 (exit driven by idle time alone) to 0.008 (with the default slope, a never-hired "
        "newcomer's median stay falls from ~68 to ~46 weeks)",
    ),
    "freelancers.exit_idle_slope": (
        "added weekly exit probability per idle week: how fast the idle give up",
        "1e-4 to 1e-3 per week: the hazard reaches the 0.1 cap after 2 to 20 years idle",
    ),
    "market.entry_rate": (
        "newcomers per week: supply, hence the share who never work and the concentration",
        "5 to 20 a week (0.25-1 % of the 2,000 at the start): the active population ends "
        "at about 1,000 to 2,250",
    ),
    "jobs.post_rate": (
        "jobs a client posts per week: demand, hence how many get work",
        "0.3-0.8 per client (150-400 jobs a week from 500 clients) for 2,000 freelancers",
    ),
    "platform.search_weight": (
        "position bias of search: how much the top of the results list is seen",
        "0.5 (attention spread down the list) to 1.5 (the top few seen); at 1 the second "
        "result gets half the attention of the first",
    ),
}


def fmt(v: float | None, digits: int = 3) -> str:
    """A value with ``digits`` significant digits; ``n/a`` when undefined."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return f"{v:.{digits}g}"


def stat_fmt(stat: str, v: float | None) -> str:
    """A statistic in its natural precision (stars 2 decimals, rates 1, counts none)."""
    if v is None or not math.isfinite(v):
        return "n/a"
    if stat in ("mean_rating",):
        return f"{v:.2f}"
    if stat in ("mean_rate", "median_rate", "p99_rate"):
        return f"{v:.1f}"
    if stat in ("freelancers_active", "n_ever"):
        return f"{v:,.0f}"
    return f"{v:.3f}"


def _summaries(r: SearchResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The confirmation's summary of the chosen values and of the incumbent, by statistic."""
    conf = summarize(r.point_runs(3, "chosen")).set_index("stat")
    prev = summarize(r.point_runs(3, "defaults")).set_index("stat")
    return conf, prev


def _intro(r: SearchResult) -> list[str]:
    kept = r.chosen_point == "defaults"
    loss_c = r.point_runs(3, "chosen")["loss"]
    n_ok = int((loss_c == 0).sum())
    return [
        "# Calibration of the baseline world\n",
        "`configs/baseline.toml` is calibrated so that, after its ten simulated years, the "
        "model reproduces the stylized facts of `../shared/design/stylized-facts.md` that a "
        "single run can show: J-shaped public ratings, most freelancers who ever joined never "
        "or rarely working, a Top Rated badge held by about the top tenth, and highly "
        "concentrated earnings, while the market stays plausible (jobs get filled, rates stay "
        "sane, the population neither collapses nor explodes). The parameters are the outcome "
        "of the documented search below, not of hand-tuning; this page is written by that "
        "search.\n",
        "```bash\n" + COMMAND + " --workers 2 \\\n    " + WRITE_OPTIONS + "\n```\n",
        "**Result.** "
        + (
            "The search kept the previous values of the searched keys (the schema defaults, "
            "set by hand before): they meet every target, and among the candidates that met "
            "them as well they sit closest to the middle of the bands. "
            if kept
            else f"The search chose point {r.chosen_point} of the hypercube. "
        )
        + f"In {n_ok} of {len(loss_c)} fresh replicates the calibrated baseline meets every "
        f"target. {r.stage1_zero_loss} of the {r.points} hypercube points "
        "met them too. Each fact has a knob that moves it most (ratings: leniency; Top Rated: "
        "the private-success threshold; never working and concentration: entry, demand and "
        "search bias; see the table of standardised regression coefficients), but the "
        "feasible set is wide (see *The feasible set*): the values are consistent with the "
        "facts, not identified by them.\n",
        _last_run(r),
    ]


def _last_run(r: SearchResult) -> str:
    secs = r.seconds
    return (
        f"Last run: {r.started_utc}, {secs['total'] / 60:.1f} minutes on "
        f"{r.workers} workers of a shared 2-core machine ({r.runs['stage1']} + "
        f"{r.runs['stage2']} + {r.runs['stage3']} runs; "
        f"{r.cpu_run_seconds / 60:.1f} minutes of run time in total). It writes "
        "`results/calibration/<UTC time>/` (`stage1.parquet`, `stage2.parquet`, "
        "`stage3.parquet`: one row per run, every statistic, the loss; `calibration.json`), "
        "then rewrites `configs/baseline.toml` and this page where `--write-baseline` and "
        f"`--write-doc` name them. `{SCORE_COMMAND} CONFIG.toml --replicates 5` prints the "
        "targets table of any world (on the confirmation's seeds: `score "
        f"configs/baseline.toml --replicates {r.confirm}` reproduces the table below). "
        f"Code: git commit `{r.git_commit}`.\n"
    )


def _targets(r: SearchResult, conf: pd.DataFrame, prev: pd.DataFrame) -> list[str]:
    w, n3 = r.world, r.confirm
    kept = r.chosen_point == "defaults"
    lines = [
        "## Targets and the calibrated baseline\n",
        f"Each statistic is read at the end of a baseline run ({w['freelancers']:,} freelancers "
        f"and {w['clients']} clients at the start, {w['steps']} weeks); "
        f"**model** is the mean over {n3} replicates of the calibrated baseline (fresh seeds, "
        "not those of the search) with its 95 % Student-t interval, **range** the lowest and "
        "highest replicate, **in band** how many replicates fall inside the band; **pass** "
        "means the mean is inside. **before** is the mean of the previous baseline (the "
        "schema defaults of the searched keys) on the same seeds"
        + (" (identical here, as the search kept those values).\n" if kept else ".\n"),
        "| target | statistic | band | model: mean [95 % CI] | range | in band | pass | before | "
        "source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in TARGETS:
        c, p = conf.loc[t.stat], prev.loc[t.stat]

        def f(v: float, s: str = t.stat) -> str:
            return stat_fmt(s, v)

        lines.append(
            f"| {t.label} | `{t.stat}` | {t.band()} | {f(c['mean'])} [{f(c['ci_lo'])}, "
            f"{f(c['ci_hi'])}] | {f(c['min'])}-{f(c['max'])} | {c['in_band']:.0f}/{c['n']:.0f} | "
            f"{'pass' if c['passes'] else '**FAIL**'} | {f(p['mean'])} | "
            f"{t.source} |"
        )
    return lines + _confirmation_loss(r) + _diagnostics(conf, prev)


def _confirmation_loss(r: SearchResult) -> list[str]:
    n3 = r.confirm
    loss_c = r.point_runs(3, "chosen")["loss"]
    loss_p = r.point_runs(3, "defaults")["loss"]
    return [
        f"\nLoss over the {n3} confirmation replicates: calibrated mean {loss_c.mean():.3f} "
        f"(max {loss_c.max():.3f}; {int((loss_c == 0).sum())} of {n3} meet every target); "
        f"previous baseline mean {loss_p.mean():.3f} (max {loss_p.max():.3f}; "
        f"{int((loss_p == 0).sum())} of {n3}).\n"
    ]


def _diagnostics(conf: pd.DataFrame, prev: pd.DataFrame) -> list[str]:
    lines = [
        "Diagnostics (not in the loss), same replicates:\n",
        "| statistic | meaning | model: mean [95 % CI] | before |",
        "|---|---|---|---|",
    ]
    for stat, meaning in DIAGNOSTICS.items():
        c, p = conf.loc[stat], prev.loc[stat]

        def f(v: float, s: str = stat) -> str:
            return stat_fmt(s, v)

        lines.append(
            f"| `{stat}` | {meaning} | {f(c['mean'])} [{f(c['ci_lo'])}, {f(c['ci_hi'])}] | "
            f"{f(p['mean'])} |"
        )
    return lines


def _definitions() -> list[str]:
    return [
        "\n### How the targets are defined\n",
        "- **Ratings** (Filippas, Horton & Golden): `mean_rating` is the model's metric (mean "
        "of the displayed ratings of active freelancers with a review); the star shares are "
        "over every public review of the run. The J-shape is read as 5 > 4 > 3 (the two "
        "ratios below 1), the top bin holding most reviews.",
        "- **Most never or rarely work** (Kässi, Lehdonvirta & Stephany): over *everyone who "
        "ever joined* (the freelancers table, leavers included), the share with no completed "
        "job and the share with 10 or more. Kässi et al. count ~163 M registered profiles, "
        "most of them dormant sign-ups that never bid; every freelancer in the model is "
        "someone search shows to clients, i.e. an active job seeker, so their 91 % never "
        "working is an upper end and the band asks for a majority, 0.5-0.9. Their 2 % with "
        "10+ projects is 22 % of those who ever worked; the model's 10+ share is asked to be a "
        "thin tail, 5-20 % of everyone (the diagnostic `ten_plus_among_hired` sets it beside "
        "the 22 %).",
        "- **Top Rated** (Upwork): share of active freelancers holding the badge, 8-12 % "
        "around the top 10 %. The badge rule itself (JSS >= 90 %, $1,000 in 52 weeks, 13 weeks "
        "of tenure) is Upwork's and is not calibrated; what is calibrated is which deliveries "
        "count as private successes and failures.",
        "- **Concentration**: Gini and top-10 % share of cumulative earnings among active "
        "freelancers (zeros included), the model's metrics. The facts give the direction "
        "(heavily concentrated); the bands ask for a Gini above 0.7 and a top decile with most "
        "of the money, and exclude a winner-take-all market.",
        "- **Sanity**: fill rate over the last year (jobs filled / posted), mean hourly rate of "
        "the active, and the active population at the end against mid-run and against the "
        "start.\n",
    ]


def _loss() -> list[str]:
    lines = [
        "## The loss\n",
        "For a run with statistics `x`, `loss = sum over targets of d(x)^2`, where `d` is the "
        "distance outside the target's band in units of its tolerance `tol` "
        "(`d = max(0, lo - x, x - hi) / tol`; 0 inside the band; an undefined statistic "
        f"counts as d = {NAN_DISTANCE:g}). So the loss is 0 exactly when every target is met, "
        "and one tolerance outside one band costs 1. Tolerances "
        "(`marketplace_sim/analysis/calibration/targets.py`, `TARGETS`):\n",
        "| statistic | band | tol |",
        "|---|---|---|",
    ]
    lines += [f"| `{t.stat}` | {t.band()} | {t.tol:g} |" for t in TARGETS]
    lines.append(
        "\nTies (several candidates with a mean loss within "
        f"{LOSS_TIE:g} of the best) are broken by *centrality*: the mean squared distance of "
        "the fact statistics from the middle of their two-sided bands, in half-widths, so "
        "the choice sits well inside the bands rather than on an edge.\n"
    )
    return lines


def _search(r: SearchResult) -> list[str]:
    keys, secs, w = r.keys, r.seconds, r.world
    lines = [
        "## The search\n",
        f'1. **Latin hypercube** (`experiments/calibration.toml`, `[sample] method = "lhs"`, '
        f"scipy's `qmc.LatinHypercube`): {r.points} points over the "
        f"{len(keys)} parameters below, one run each, at the baseline's full size "
        f"({w['freelancers']:,} freelancers, {w['steps']} weeks), seeds from root seed "
        f"{r.root_seed} exactly as `marketplace-sim sweep` derives them "
        f"({secs['stage1']:.0f} s).",
        f"2. **Replicate the best**: the {r.top} points with the lowest loss, and the "
        f"previous values (the schema defaults) as an incumbent, each on "
        f"{r.replicates} common seeds (`SeedSequence({r.root_seed}, "
        f"spawn_key=({STAGE2_KEY:#x}, r))`); the lowest mean loss wins, ties broken by "
        f"centrality ({secs['stage2']:.0f} s).",
        f"3. **Confirm**: the winner's values rounded to two significant digits (what "
        f"`configs/baseline.toml` says) and the incumbent, on {r.confirm} fresh seeds "
        f"(`spawn_key=({STAGE3_KEY:#x}, r)`): the table above ({secs['stage3']:.0f} s).\n",
        "Only parameters that are unobserved behaviour or market size are searched. The "
        "platform's published rules stay as published (Top Rated's thresholds, the 10 % fee), "
        "and the experiments' levers are not touched (`clients.reputation_weight`, "
        "`clients.price_weight`, `platform.ranking`): calibrating them would fit away the "
        "effects the experiments measure. Everything else keeps its schema default.\n",
        "| parameter | what it moves | range | why this range | previous | chosen |",
        "|---|---|---|---|---|---|",
    ]
    for k in keys:
        what, why = KEY_NOTES.get(k, ("", ""))
        lo, hi = r.bounds[k]
        lines.append(
            f"| `{k}` | {what} | [{lo:g}, {hi:g}] | {why} | {fmt(r.incumbent[k])} | "
            f"**{fmt(r.chosen[k])}** |"
        )
    return lines


def _short(keys: list[str]) -> dict[str, str]:
    return {k: k.split(".")[-1] for k in keys}


def _stage1(r: SearchResult) -> list[str]:
    keys, short = r.keys, _short(r.keys)
    lines = [
        "\n### Stage 1: the Latin hypercube\n",
        f"{r.stage1_zero_loss} of {r.points} points met every target in their "
        f"single run. The 10 with the lowest loss:\n",
        "| point | "
        + " | ".join(short[k] for k in keys)
        + " | loss | centrality | targets missed |",
        "|---|" + "---|" * len(keys) + "---|---|---|",
    ]
    best = r.stage1.sort_values(["loss", "centrality"]).head(10)
    for row in best.to_dict("records"):
        missed = [t.stat for t in TARGETS if not t.passes(num(row.get(t.stat)))]
        lines.append(
            f"| {row['point']} | "
            + " | ".join(fmt(row[k]) for k in keys)
            + f" | {row['loss']:.3f} | {row['centrality']:.3f} | {', '.join(missed) or '-'} |"
        )
    return lines + _feasible(r) + _sensitivity(r)


def _feasible(r: SearchResult) -> list[str]:
    feasible = r.stage1[r.stage1["loss"] == 0]
    if len(feasible) < 2:
        return []
    lines = [
        f"\nThe feasible set: over the {len(feasible)} points that met every target, each "
        "parameter's range (against its searched range). A parameter whose feasible range "
        "is a narrow part of its searched range is pinned by the targets; one that spans "
        "its whole range is not identified by them (other parameters compensate):\n",
        "| parameter | searched | feasible min | median | max | share of the range |",
        "|---|---|---|---|---|---|",
    ]
    for k in r.keys:
        lo, hi = r.bounds[k]
        v = feasible[k].to_numpy(dtype=np.float64)
        lines.append(
            f"| `{k}` | [{lo:g}, {hi:g}] | {fmt(v.min())} | {fmt(float(np.median(v)))} | "
            f"{fmt(v.max())} | {100 * (v.max() - v.min()) / (hi - lo):.0f} % |"
        )
    return lines


def _sensitivity(r: SearchResult) -> list[str]:
    keys, short = r.keys, _short(r.keys)
    lines = [
        "\nWhat moves what: standardised regression coefficients of each statistic on the "
        f"{len(keys)} parameters over the {r.points} points (unit-free; |SRC| > 0.3 "
        "in bold). They show which knob moves which target:\n",
        "| statistic | " + " | ".join(short[k] for k in keys) + " |",
        "|---|" + "---|" * len(keys),
    ]
    for t in TARGETS:
        cells = []
        for k in keys:
            v = r.src[t.stat][k]
            cell = "n/a" if not math.isfinite(v) else f"{v:+.2f}"
            cells.append(f"**{cell}**" if math.isfinite(v) and abs(v) > 0.3 else cell)
        lines.append(f"| `{t.stat}` | " + " | ".join(cells) + " |")
    return lines


def _stage2(r: SearchResult) -> list[str]:
    lines = [
        "\n### Stage 2: the best points, replicated\n",
        "| candidate | mean loss | worst loss | replicates meeting every target | centrality |",
        "|---|---|---|---|---|",
    ]
    for row in sorted(r.candidate_table, key=lambda x: (x["loss"], x["centrality"])):
        mark = " (chosen)" if row["point"] == r.chosen_point else ""
        lines.append(
            f"| {row['point']}{mark} | {row['loss']:.3f} | {row['loss_max']:.3f} | "
            f"{row['all_pass']}/{r.replicates} | {row['centrality']:.3f} |"
        )
    table = r.candidate_table
    tied = [x["point"] for x in table if x["loss"] <= min(y["loss"] for y in table) + LOSS_TIE]
    if len(tied) > 1:
        lines.append(
            f"\n{len(tied)} candidates tie on the loss (within {LOSS_TIE:g} of the best: "
            f"{', '.join(tied)}); centrality decides."
        )
    return lines + [_chosen(r)]


def _chosen(r: SearchResult) -> str:
    if r.chosen_point == "defaults":
        return (
            "\nChosen: **the previous values** (the schema defaults of the searched keys). No "
            "point of the hypercube met the targets better over the replicates, and among "
            "those that met them as well, the previous values sit closest to the middle of the "
            "bands. The search thus keeps them, now as documented, checked values rather than "
            "hand-set ones; the other tied points are equally consistent alternatives for a "
            "robustness check.\n"
        )
    return (
        f"\nChosen: **{r.chosen_point}**, rounded to "
        + ", ".join(f"`{k}` = {fmt(r.chosen[k])}" for k in r.keys)
        + ".\n"
    )


def _limits(conf: pd.DataFrame) -> list[str]:
    among = conf.loc["ten_plus_among_hired", "mean"]
    return [
        "## Limits\n",
        "- The bands are stylized facts, not measured moments of one platform: the calibration "
        "makes the baseline *consistent* with them, it does not estimate parameters. Several "
        "parameter sets meet every band (stage 1 finds many), so the chosen values are one "
        "plausible point, not identified truths; experiments should be read as comparisons "
        "against this baseline, and a robustness check over the top candidates is cheap.",
        "- The targets are for the baseline's size and length. Smaller or shorter worlds "
        "(`configs/smoke.toml`, `configs/classroom.toml`, the test worlds) inherit the values "
        "but not the guarantee: concentration and the Top Rated share depend on market size "
        "and on time for reputations to build.",
        f"- Among freelancers who ever completed a job, {among * 100:.0f} % reach 10 jobs, against "
        "Kässi et al.'s ~22 % (who also count anyone who earned $1,000, which nearly every "
        "hired freelancer of the model does): the model has fewer one-off workers than a "
        "real platform. Its jobs are homogeneous (one contract type, about 3 weeks), and "
        "there is no occasional freelancer who takes one job and stops; a target on this "
        "share would need that heterogeneity in the model, not a parameter.",
        "- Facts that need a counterfactual (first-job and early-boost effects, reputation "
        "weight and concentration, unpredictability across worlds) are outcomes of the "
        "experiments, not calibration targets.",
    ]


def calibration_markdown(result: SearchResult) -> str:
    """docs/calibration.md from a finished search."""
    conf, prev = _summaries(result)
    lines = [
        *_intro(result),
        *_targets(result, conf, prev),
        *_definitions(),
        *_loss(),
        *_search(result),
        *_stage1(result),
        *_stage2(result),
        *_limits(conf),
    ]
    return "\n".join(lines) + "\n"
