"""Sections 6 and 7: the six factors measured, and merit vs luck at the top.

The six-factor sweep is attributed as ``marketplace-sim analyze`` would (its ``analysis/``
folder is written beside the sweep), then summarised per regime (search ranking x clients'
reputation weight).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from marketplace_sim.analysis.attribution import EARLY, FACTOR_LABELS, TRAITS
from marketplace_sim.analysis.results import Attribution, analyze, read_table
from marketplace_sim.plots.findings import decomposition_figure, importance_heatmap, merit_figure
from marketplace_sim.reports.attribution import write_analysis
from marketplace_sim.reports.findings.base import IMG, Section, StudyInput, SummaryRow
from marketplace_sim.reports.findings.claims import claims_summary, claims_table, judge_claims
from marketplace_sim.reports.findings.format import (
    CI,
    ci,
    fmt,
    pct,
    setup_line,
    short_regime,
    table,
)

FIGURES = ("six-factors-decomposition.png", "six-factors-importance.png", "merit-vs-luck.png")
RANKING, WEIGHT = "platform.ranking", "clients.reputation_weight"


@dataclass(frozen=True)
class SixFactorsResult:
    """The attribution per regime, with each regime's Gini and merit Spearman.

    Attributes:
        attribution: the attribution of the sweep (as ``analyze`` writes it).
        regimes: regime labels (``ranking=random, rw=0``), in sweep order.
        first: per regime, the run-level columns of the summary (R² parts, overlap).
        imp_full: mean importance in the full model, regime x factor.
        imp_traits: mean importance in the traits-only model, regime x factor.
        coef: mean standardized coefficient per factor, pooled over regimes.
        traits_own: per regime, the traits' R² beyond entry week, across replicates.
        gini: per regime, the Gini of earnings across replicates.
        merit: per regime, the merit Spearman across replicates.
        trend: per ranking rule, whether early success carries more at the highest weight.
        replications: replicates per regime.
    """

    attribution: Attribution
    regimes: list[str]
    first: pd.DataFrame
    imp_full: pd.DataFrame
    imp_traits: pd.DataFrame
    coef: pd.Series
    traits_own: Mapping[str, CI]
    gini: Mapping[str, CI]
    merit: Mapping[str, CI]
    trend: list[bool]
    replications: int
    labelled: pd.DataFrame | None = None  # the attribution summary with a ``regime`` column

    def part(self, name: str) -> pd.Series:
        """A share of the variance of later log earnings per regime (mean over replicates).

        ``exposure``, ``traits`` (beyond exposure), ``early`` (beyond the traits) or
        ``unexplained``.
        """
        f = self.first
        if name == "traits":
            return f["r2_traits_mean"] - f["r2_exposure_mean"]
        col = {"exposure": "r2_exposure", "early": "r2_early_increment"}.get(name, name)
        return f[f"{col}_mean"]

    @property
    def overlap(self) -> pd.Series:
        """Top 10 % by earnings who are top 10 % by expertise, per regime (mean)."""
        return self.first["top10_merit_overlap_mean"]

    def triple(self, regime: str, col: str) -> CI:
        """A summary column's ``(mean, lo, hi)`` in one regime."""
        row = self.first.loc[regime]
        return (row[f"{col}_mean"], row[f"{col}_lo"], row[f"{col}_hi"])


def _by_regime(runs: pd.DataFrame, col: str) -> dict[str, CI]:
    return {r: ci(g[col]) for r, g in runs.groupby("regime", sort=False)}


def _trend(runs: pd.DataFrame, early: pd.Series) -> list[bool]:
    """Per ranking rule: early success carries more at the highest reputation weight."""
    trend = []
    if {RANKING, WEIGHT} <= set(runs.columns):
        for _, g in runs.groupby(RANKING, sort=False):
            rs = list(dict.fromkeys(g.sort_values(WEIGHT)["regime"]))
            if len(rs) > 1:
                trend.append(bool(early[rs[-1]] > early[rs[0]]))
    return trend


def compute(inp: StudyInput) -> SixFactorsResult:
    """Attribute the sweep and summarise it per regime."""
    att = analyze(inp.folder)
    regime = list(att.runs.regime)

    def label(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(regime=df.apply(lambda r: short_regime(r, regime), axis=1))

    summ = label(att.summary)
    regimes = list(dict.fromkeys(summ["regime"]))
    first = summ.groupby("regime", sort=False).first().reindex(regimes)
    runs = read_table(inp.folder / "runs.parquet")
    runs = label(runs[runs["status"] == "ok"])
    per_run = label(att.per_run.drop_duplicates("run_id"))
    per_run = per_run.assign(traits_own=per_run["r2_traits"] - per_run["r2_exposure"])

    def pivot(col: str) -> pd.DataFrame:
        table = summ.pivot_table(index="regime", columns="factor", values=col, sort=False)
        return table.reindex(regimes)

    early = first["r2_early_increment_mean"]
    return SixFactorsResult(
        attribution=att,
        regimes=regimes,
        first=first,
        imp_full=pivot("importance_mean"),
        imp_traits=pivot("importance_traits_mean"),
        coef=summ.groupby("factor")["coef_mean"].mean(),
        traits_own=_by_regime(per_run, "traits_own"),
        gini=_by_regime(runs, "gini_earnings"),
        merit=_by_regime(runs, "merit_spearman"),
        trend=_trend(runs, early),
        replications=inp.experiment.replications,
        labelled=summ,
    )


def figures(r: SixFactorsResult) -> tuple[Figure, Figure, Figure]:
    """The R² decomposition, the importance heatmap and the merit overlap, per regime."""
    parts = {k: r.part(k).to_numpy() for k in ("exposure", "traits", "early", "unexplained")}
    decomposition = decomposition_figure(r.regimes, parts)
    cols = [*TRAITS, EARLY]
    mat = np.column_stack(
        [
            r.imp_traits[list(TRAITS)].to_numpy(dtype=float),
            r.imp_full[[EARLY]].to_numpy(dtype=float),
        ]
    )
    importance = importance_heatmap(r.regimes, [FACTOR_LABELS[c] for c in cols], mat)
    f = r.first
    overlap = list(
        zip(
            f["top10_merit_overlap_mean"].to_numpy(dtype=float),
            f["top10_merit_overlap_lo"].to_numpy(dtype=float),
            f["top10_merit_overlap_hi"].to_numpy(dtype=float),
            strict=True,
        )
    )
    return decomposition, importance, merit_figure(r.regimes, overlap)


def summary(r: SixFactorsResult) -> tuple[SummaryRow, SummaryRow]:
    """The summary table's two rows."""
    traits, early, unexpl = r.part("traits"), r.part("early"), r.part("unexplained")
    overlap = r.overlap
    return (
        SummaryRow(
            "Six factors: what explains later success",
            "(no published figure)",
            f"traits {traits.min():.2f}-{traits.max():.2f}, early "
            f"success {early.min():.2f}-{early.max():.2f}, unexplained "
            f"{unexpl.min():.2f}-{unexpl.max():.2f} of R²",
            "",
            "share of the variance of later log earnings (baseline regimes)",
            "sixfactors.r2",
        ),
        SummaryRow(
            "Merit vs luck: top 10 % who are top 10 % in skill",
            "(chance 10 %, pure merit 100 %)",
            f"{100 * overlap.min():.0f}-{100 * overlap.max():.0f} % across rules",
            "",
            "top 10 % by earnings who are top 10 % in expertise",
            "sixfactors.merit_overlap",
        ),
    )


def _tables(r: SixFactorsResult) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """The decomposition, trait-importance and merit tables' rows, one per regime."""
    dec, traits, merit = [], [], []
    for g in r.regimes:
        dec.append(
            [
                g,
                fmt(r.gini[g]),
                fmt(r.triple(g, "r2_exposure")),
                fmt(r.traits_own[g]),
                fmt(r.triple(g, "r2_early_increment")),
                fmt(r.triple(g, "unexplained")),
            ]
        )
        traits.append(
            [g]
            + [f"{r.imp_traits.loc[g, t]:.3f}" for t in TRAITS]
            + [f"{r.imp_full.loc[g, EARLY]:.3f}"]
        )
        merit.append([g, pct(r.triple(g, "top10_merit_overlap")), fmt(r.merit[g])])
    return dec, traits, merit


def _method(r: SixFactorsResult, inp: StudyInput) -> str:
    name = inp.experiment.name
    return f"""\
**Question.** Which of the six factors matter most for later success, how much of it do the
traits explain, and how much early luck?

**Method.** The six-factor experiment runs the baseline world under {len(r.regimes)} regimes
(search ranking x clients' reputation weight rw), {r.replications} replicates each, keeping every
freelancer's traits and earnings. For freelancers with a complete first year, later success is
log(1 + earnings after the first year), regressed (OLS on z-scores) on entry week (exposure)
alone, then with the five innate traits (expertise, communication, reliability, profile, niche
focus), then with early success (log first-year earnings, the sixth factor: reputation and
feedback, earned, not drawn). What early success adds beyond the traits is early advantage
that merit does not explain; what no model explains is later luck. Importance is the drop in R²
when one factor is shuffled (permutation importance): for the traits in the traits-only model
(their whole effect, including through early success), for early success in the full model.
{setup_line(inp)} Then: `marketplace-sim analyze results/{name}` (writes
`analysis/attribution.parquet`, `attribution_runs.parquet`, `attribution.png` and prints this
table per regime)."""


def _answers(r: SixFactorsResult) -> str:
    imp_t, imp_full = r.imp_traits[list(TRAITS)], r.imp_full[EARLY]
    pooled = imp_t.mean().sort_values(ascending=False)
    ranking = ", ".join(
        f"{FACTOR_LABELS[t]} ({v:.3f}, {'+' if r.coef[t] >= 0 else '-'})" for t, v in pooled.items()
    )
    top_single = int((imp_full > imp_t.max(axis=1)).sum())
    traits, early = r.part("traits"), r.part("early")
    unexpl, expo = r.part("unexplained"), r.part("exposure")
    early_beats = int((early > traits).sum())
    beats_where = "; ".join(g for g in r.regimes if early[g] > traits[g])
    more_rep = (
        " The more clients lean on reputation, the more early success carries (under "
        "every ranking rule, from the lowest to the highest reputation weight)."
        if r.trend and all(r.trend)
        else ""
    )
    return f"""\
- *Which factors matter most?* Early success (reputation and feedback earned in the first
  year) is the single most important factor in {top_single} of {len(r.regimes)} regimes (its
  importance {imp_full.min():.2f}-{imp_full.max():.2f}, against at most
  {imp_t.max().max():.3f} for any one trait), and it explains more than the five
  traits together in {early_beats} of them ({beats_where or "none"}). Among the traits,
  averaged over the regimes (importance, sign of the coefficient): {ranking}.
- *How much of the concentration do traits explain?* Of the variance of later log earnings, the
  five traits explain {traits.min():.2f}-{traits.max():.2f} beyond time on the
  platform ({expo.min():.2f}-{expo.max():.2f}).
- *How much early luck?* Early success adds {early.min():.2f}-{early.max():.2f} beyond
  the traits: advantage that merit does not explain, since the traits are already in the
  model. {unexpl.min():.2f}-{unexpl.max():.2f} stays unexplained (later luck and what
  a linear model cannot see).{more_rep}"""


def _merit_reading(r: SixFactorsResult) -> str:
    overlap = r.overlap
    note = (
        "Far from pure merit under every rule: most of the eventual top 10 % are not "
        "the most skilled, but those whom early luck, compounded by reviews, search "
        "and clients' trust, carried there."
        if overlap.max() < 0.5
        else "Under some rules most of the top 10 % are among the most skilled."
    )
    return (
        f"**Reading.** The overlap is {100 * overlap.max():.0f} % at best ({overlap.idxmax()}) "
        f"and\n{100 * overlap.min():.0f} % at worst ({overlap.idxmin()}). {note}"
    )


def text(r: SixFactorsResult, inp: StudyInput) -> str:
    """Sections 6 and 7 in Markdown."""
    dec, traits, merit = _tables(r)
    img = IMG.as_posix()
    dec_head = ["regime", "Gini", "R² entry week", "+ traits", "+ early success", "unexplained"]
    trait_head = ["regime", *[FACTOR_LABELS[t] for t in TRAITS], "early success (full model)"]
    merit_head = ["regime", "top 10 % who are top 10 % in skill", "merit Spearman"]
    return f"""## 6. The six factors, measured

{_method(r, inp)}

{table(dec_head, dec)}

![Decomposition by regime]({img}/{FIGURES[0]})

{table(trait_head, traits)}

![Importance of each factor by regime]({img}/{FIGURES[1]})

**Answers.**

{_answers(r)}

## 7. Merit vs luck at the top

The share of the eventual top 10 % by lifetime earnings (everyone ever present) who are also in
the top 10 % of innate expertise; 10 % means no link between skill and success, 100 % pure
merit. Spearman: rank correlation of innate expertise with earnings (active freelancers,
`merit_spearman`). Same sweep as section 6.

{table(merit_head, merit)}

![Merit vs luck]({img}/{FIGURES[2]})

{_merit_reading(r)}
"""


def worlds_text(results: dict[str, SixFactorsResult], inps: dict[str, StudyInput]) -> str:
    """Section 6's second world (if any) and the six claims judged in every world."""
    extra = ""
    for name, r in list(results.items())[1:]:
        dec, _, _ = _tables(r)
        head = ["regime", "Gini", "R² entry week", "+ traits", "+ early success", "unexplained"]
        trait_head = ["regime", *[FACTOR_LABELS[t] for t in TRAITS], "early success (full model)"]
        extra += f"""
**The {name} world.** The same attribution in `configs/profiles.toml` (the baseline with the
mechanisms real listings show: dormant profiles, activity and one-job freelancers, ratings at
one decimal, a specialist premium valued by clients and niche relevance in search, and profile
evidence of expertise driving choice and stars). {setup_line(inps[name])}

{table(head, dec)}

{table(trait_head, _tables(r)[1])}
"""
    labelled = {k: r.labelled for k, r in results.items() if r.labelled is not None}
    verdicts = judge_claims(labelled)
    n_reg = {k: len(r.regimes) for k, r in results.items()}
    return f"""{extra}
**The article's six claims.** Each claim of the source article (these six matter for
top-rated success) is judged by its factor's standardized coefficient in the full model of
later log earnings (a direct effect, beyond early success for the traits): *supports* when its
95 % interval lies above 0 in some regime and below it in none, *contradicts* when below 0,
*mixed* when both occur, *not shown* when every interval includes 0; *(small)* when its
importance stays below 0.01 in every regime (a clear sign, a small weight). Importance: the
drop in R² when the factor is shuffled (traits: traits-only model; early success: full model),
its range over regimes. The sign is judged on the direct effect; a trait can matter through
early success too (its importance in the traits-only model includes that path).

{claims_table(verdicts, n_reg)}

{claims_summary(verdicts)}
"""


def section(inp: StudyInput, *more: StudyInput) -> Section:
    """Compute (writing each sweep's ``analysis/`` folder), draw and write sections 6 and 7.

    ``more``: the same experiment in other worlds (the profiles world), whose attribution
    joins the six claims' table.
    """
    r = compute(inp)
    write_analysis(r.attribution)
    figs = tuple(zip(FIGURES, figures(r), strict=True))
    results, inps = {"baseline": r}, {"baseline": inp}
    for extra in more:
        name = "profiles" if "profiles" in extra.key else extra.key
        results[name] = compute(extra)
        inps[name] = extra
        write_analysis(results[name].attribution)
    body = text(r, inp)
    split = body.index("## 7. Merit vs luck")
    body = body[:split] + worlds_text(results, inps) + "\n" + body[split:]
    return Section(body, figs, summary(r))
