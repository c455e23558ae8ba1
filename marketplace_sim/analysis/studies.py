"""Published results: each study's own figure, and the model's measure of it in one run.

Five studies the model is judged against (``../shared/design/stylized-facts.md``); each has an
experiment in ``experiments/`` and a section in ``docs/findings.md`` (written by
``marketplace_sim.reports.findings``). The functions here are pure: a run's tables in, numbers out,
so that a test, a notebook and the findings generator measure the same thing.

- Pallais (2014), a random first job: :func:`first_job_effect` (treated vs control).
- van de Rijt et al. (2014), a random early boost: :func:`early_boost_effect`.
- Salganik, Dodds & Watts (2006), social influence: Gini and unpredictability U across
  worlds, from the sweep's ``conditions.parquet`` (:func:`unpredictability_jackknife` adds an
  interval to U).
- Filippas, Horton & Golden (2018/2022), reputation inflation: :func:`by_year`.
- Lukac & Grow (2020), reputation vs price: :func:`lukac_grow_outcomes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from marketplace_sim import metrics
from marketplace_sim.units import WEEKS_PER_YEAR


@dataclass(frozen=True)
class Study:
    """A published result: where it comes from, its figure, and the experiment that redoes it."""

    key: str
    title: str
    citation: str
    figure: str  # the study's own figure, in words
    experiment: str  # file name in experiments/


STUDIES: dict[str, Study] = {
    s.key: s
    for s in (
        Study(
            "pallais",
            "A first job for never-hired freelancers",
            'Pallais, "Inefficient Hiring in Entry-Level Labor Markets", AER 2014',
            "randomly hiring inexperienced oDesk workers and rating them publicly substantially "
            "raised their later employment and earnings: treated novices' relative income "
            "nearly tripled",
            "pallais-first-job.toml",
        ),
        Study(
            "vanderijt",
            "A random early boost",
            'van de Rijt, Kang, Restivo & Patil, "Field experiments of success-breeds-success '
            'dynamics", PNAS 2014',
            "a random early success raised later success: Kickstarter 70 % vs 39 %, Epinions "
            "90 % vs 77 %, Wikipedia 40 % vs 31 %, change.org 66 % vs 52 %",
            "vanderijt-early-boost.toml",
        ),
        Study(
            "salganik",
            "Social influence: inequality and unpredictability",
            'Salganik, Dodds & Watts, "Experimental study of inequality and unpredictability '
            'in an artificial cultural market", Science 2006',
            "worlds that showed popularity had a higher Gini of market shares (about 0.3-0.55 "
            "vs 0.2-0.26 in independent worlds) and a higher unpredictability U",
            "salganik-worlds.toml",
        ),
        Study(
            "filippas",
            "Reputation inflation",
            'Filippas, Horton & Golden, "Reputation Inflation", NBER WP 2018; Marketing '
            "Science 2022",
            "the mean public rating on oDesk/Upwork rose from about 3.7 to 4.8 stars over a "
            "decade; at least 35-45 % of the rise is inflation, not better work (CESifo WP "
            "6750, 2017)",
            "filippas-inflation.toml",
        ),
        Study(
            "lukacgrow",
            "Reputation vs price (a peer model)",
            'Lukac & Grow, "Reputation systems and recruitment in online labor markets", '
            "J. Computational Social Science 2020",
            "120 freelancers, 30 employers, 200 jobs: when employers lean on reputation, 37-41 % "
            "of freelancers get no job and the top reputation tercile earns about 8-12x the "
            "bottom; with price weighing in, about 21 % (open auctions) to 30 % (sealed) get "
            "none and the ratio falls to about 2.6 (open) to 5.7 (sealed)",
            "lukac-grow.toml",
        ),
    )
}

#: Lukac & Grow's reported ranges, for the side-by-side table and figure.
LUKAC_GROW = {
    "reputation": {"no_job": (0.37, 0.41), "earnings_ratio": (8.0, 12.0)},
    "price": {"no_job": (0.21, 0.30), "earnings_ratio": (2.6, 5.7)},
}
#: Filippas, Horton & Golden: mean public rating at the start and end of a decade.
FILIPPAS = {"start": 3.7, "end": 4.8, "years": 10}
#: Salganik, Dodds & Watts: approximate Gini ranges, independent vs social-influence worlds.
SALGANIK_GINI = {"independent": (0.20, 0.26), "influence": (0.30, 0.55)}


# --------------------------------------------------------------------------------------------
# Pallais (2014) and van de Rijt et al. (2014): treated vs control in one run


def later_earnings(freelancers: pd.DataFrame, weeks: int) -> np.ndarray:
    """Net earnings in the run's final year (weeks ``weeks - 51 .. weeks``), per freelancer.

    ``earnings_last_year`` is frozen when a freelancer leaves, so one who left before the final
    year counts 0 (it earned nothing in that year); one who left during it keeps its last 52
    weeks' earnings (a slight overstatement for those few).
    """
    last = freelancers["earnings_last_year"].to_numpy(dtype=float)
    exit_step = pd.to_numeric(freelancers["exit_step"], errors="coerce").to_numpy(dtype=float)
    gone_before = ~np.isnan(exit_step) & (exit_step <= weeks - WEEKS_PER_YEAR)
    return np.where(gone_before, 0.0, last)


def first_job_effect(freelancers: pd.DataFrame, weeks: int) -> dict[str, float]:
    """Pallais's comparison in one run: the randomly treated never-hired vs their controls.

    Args:
        freelancers: the run's freelancers table (``treated``, ``control``, ``hires``,
            ``earnings``, ``earnings_last_year``, ``exit_step``).
        weeks: the run's length (``run.steps``), to place the final year.

    Returns:
        ``n_treated``, ``n_control``; ``hired_again_treated`` (share with a contract beyond
        the one given) and ``hired_control`` (share ever hired); ``later_treated`` and
        ``later_control`` (mean net earnings in the final year, USD, which excludes the
        given contract when the intervention is more than a year before the end);
        ``later_ratio`` (treated / control); and the same for lifetime ``earnings``.
    """
    t = freelancers["treated"].to_numpy(dtype=bool)
    c = freelancers["control"].to_numpy(dtype=bool)
    hires = freelancers["hires"].to_numpy(dtype=float)
    later = later_earnings(freelancers, weeks)
    earn = freelancers["earnings"].to_numpy(dtype=float)
    out = {
        "n_treated": float(t.sum()),
        "n_control": float(c.sum()),
        "hired_again_treated": _mean(hires[t] >= 2),
        "hired_control": _mean(hires[c] >= 1),
        "later_treated": _mean(later[t]),
        "later_control": _mean(later[c]),
        "earnings_treated": _mean(earn[t]),
        "earnings_control": _mean(earn[c]),
    }
    out["later_ratio"] = _ratio(out["later_treated"], out["later_control"])
    out["earnings_ratio"] = _ratio(out["earnings_treated"], out["earnings_control"])
    return out


def early_boost_effect(freelancers: pd.DataFrame, weeks: int) -> dict[str, float]:
    """The comparison of van de Rijt et al. in one run: the randomly boosted vs controls.

    Success is being hired at all (the boost is free reviews, not work, so every hire is
    earned), and working in the final year.

    Returns:
        ``n_boosted``, ``n_control``; ``hired_boosted``, ``hired_control`` (share ever hired);
        ``active_boosted``, ``active_control`` (share with earnings in the final year);
        ``earnings_boosted``, ``earnings_control`` (mean lifetime net earnings, USD) and
        ``earnings_ratio``.
    """
    b = freelancers["boosted"].to_numpy(dtype=bool)
    c = freelancers["boost_control"].to_numpy(dtype=bool)
    hired = freelancers["hires"].to_numpy(dtype=float) > 0
    later = later_earnings(freelancers, weeks) > 0
    earn = freelancers["earnings"].to_numpy(dtype=float)
    out = {
        "n_boosted": float(b.sum()),
        "n_control": float(c.sum()),
        "hired_boosted": _mean(hired[b]),
        "hired_control": _mean(hired[c]),
        "active_boosted": _mean(later[b]),
        "active_control": _mean(later[c]),
        "earnings_boosted": _mean(earn[b]),
        "earnings_control": _mean(earn[c]),
    }
    out["earnings_ratio"] = _ratio(out["earnings_boosted"], out["earnings_control"])
    return out


# --------------------------------------------------------------------------------------------
# Lukac & Grow (2020)


def lukac_grow_outcomes(freelancers: pd.DataFrame) -> dict[str, float]:
    """Lukac & Grow's outcomes in one run of their world.

    Args:
        freelancers: a freelancers table with ``prior_jobs`` (jobs brought from before week 1)
            and ``reputation`` (the final reputation index), as a sweep with
            ``keep_freelancers`` saves it.

    Returns:
        ``no_job``: share of freelancers with no contract during the run (``hires`` minus
        ``prior_jobs`` is 0); ``earnings_ratio`` and ``jobs_ratio``: mean earnings (and jobs
        during the run) of the top reputation tercile over the bottom one (terciles of the
        final reputation index, ties broken by ``freelancer_id``; NaN when the bottom tercile
        has none); ``no_prior``: share with no prior job; ``gini``: Gini of earnings;
        ``jobs``: contracts during the run.
    """
    jobs = freelancers["hires"].to_numpy(dtype=np.int64) - freelancers["prior_jobs"].to_numpy(
        dtype=np.int64
    )
    earn = freelancers["earnings"].to_numpy(dtype=float)
    rep = freelancers["reputation"].to_numpy(dtype=float)
    ids = freelancers["freelancer_id"].to_numpy()
    order = np.lexsort((ids, rep))  # ascending reputation, ties by id
    tercile = np.empty(len(rep), dtype=np.int64)
    tercile[order] = np.arange(len(rep)) * 3 // max(len(rep), 1)
    top, bottom = tercile == 2, tercile == 0
    return {
        "no_job": _mean(jobs == 0),
        "earnings_ratio": _ratio(_mean(earn[top]), _mean(earn[bottom])),
        "jobs_ratio": _ratio(_mean(jobs[top]), _mean(jobs[bottom])),
        "no_prior": _mean(freelancers["prior_jobs"].to_numpy() == 0),
        "gini": metrics.gini(earn) if len(earn) else float("nan"),
        "jobs": float(jobs.sum()),
    }


# --------------------------------------------------------------------------------------------
# Filippas, Horton & Golden: ratings and quality by year


def by_year(
    steps: pd.DataFrame, columns: Sequence[str] = ("mean_stars_week", "mean_quality", "mean_rating")
) -> pd.DataFrame:
    """Yearly means of weekly metrics of one run (year 1 = weeks 1-52).

    ``mean_stars_week`` (the mean public rating given that week) is the study's "mean public
    rating" of contracts ending in a period; ``mean_quality`` is delivered quality.
    """
    year = (steps["step"].to_numpy() - 1) // WEEKS_PER_YEAR + 1
    return steps.assign(year=year).groupby("year", sort=True)[list(columns)].mean().reset_index()


# --------------------------------------------------------------------------------------------
# Salganik et al. (2006): market shares within the starting cohort, and an interval for U


def cohort_earnings(freelancers: pd.DataFrame) -> pd.DataFrame:
    """The starting cohort's earnings in one world: MusicLab's items, the same in every world.

    MusicLab's shares are of one fixed set of songs; here the items are the freelancers
    present at the start (the smallest ``entry_step``), and a freelancer's market share is
    its share of the cohort's earnings over the run (the study window), so newcomers, who
    differ in number and timing of chances, are left out.

    Returns:
        ``freelancer_id``, ``earnings`` and ``hires`` of the cohort, in id order.
    """
    entry = freelancers["entry_step"].to_numpy()
    cohort = freelancers.loc[entry == entry.min(), ["freelancer_id", "earnings", "hires"]]
    return cohort.sort_values("freelancer_id").reset_index(drop=True)


def share_gini(earnings: pd.DataFrame) -> float:
    """Gini of the market shares of one world's items (zeros included, as unsold songs)."""
    e = earnings["earnings"].to_numpy(dtype=float)
    return metrics.gini(e) if e.size and e.sum() > 0 else float("nan")


def unpredictability_jackknife(earnings: Sequence[pd.DataFrame]) -> tuple[float, float, float]:
    """U over worlds with a jackknife 95 % interval (leave one world out).

    Args:
        earnings: one frame per world (``freelancer_id``, ``earnings``), the same population.

    Returns:
        ``(U, lo, hi)``; ``lo = hi = U`` with fewer than 3 worlds.
    """
    ids = np.unique(np.concatenate([f["freelancer_id"].to_numpy() for f in earnings]))
    shares = np.zeros((len(earnings), len(ids)))
    for w, f in enumerate(earnings):
        e = f["earnings"].to_numpy(dtype=float)
        if e.sum() > 0:
            shares[w, np.searchsorted(ids, f["freelancer_id"].to_numpy())] = e / e.sum()
    u = metrics.unpredictability(shares)
    w = len(earnings)
    if w < 3:
        return u, u, u
    loo = np.array([metrics.unpredictability(np.delete(shares, i, axis=0)) for i in range(w)])
    se = float(np.sqrt((w - 1) / w * ((loo - loo.mean()) ** 2).sum()))
    return u, u - 1.96 * se, u + 1.96 * se


# --------------------------------------------------------------------------------------------


def _mean(a: np.ndarray) -> float:
    return float(np.mean(a)) if len(a) else float("nan")


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 and np.isfinite(a) else float("nan")


# --------------------------------------------------------------------------------------------
# The study effects of one run, for a sensitivity screen of the effects themselves

#: The effects :func:`run_effects` measures (NaN where the run has no such intervention).
EFFECTS = ("pallais_log_ratio", "pallais_gap", "boost_gap", "niche_coef", "cohort_gini")


def run_effects(freelancers: pd.DataFrame, weeks: int) -> dict[str, float]:
    """The studies' effects measured in one run (a design point of a screen).

    ``pallais_log_ratio``: log of treated / control final-year earnings, ``pallais_gap``:
    treated minus control share hired after the first job (with a first-job intervention);
    ``boost_gap``: boosted minus control share hired (with an early boost); ``niche_coef``:
    the niche-focus coefficient of the full attribution model (its sign is the niche claim);
    ``cohort_gini``: Gini of the starting cohort's market shares.
    """
    from marketplace_sim.analysis.attribution import attribute

    nan = float("nan")
    out = dict.fromkeys(EFFECTS, nan)
    if freelancers["treated"].any():
        e = first_job_effect(freelancers, weeks)
        ratio = e["later_ratio"]
        out["pallais_log_ratio"] = float(np.log(ratio)) if ratio > 0 else nan
        out["pallais_gap"] = e["hired_again_treated"] - e["hired_control"]
    if freelancers["boosted"].any():
        b = early_boost_effect(freelancers, weeks)
        out["boost_gap"] = b["hired_boosted"] - b["hired_control"]
    out["niche_coef"] = float(attribute(freelancers)["coef"]["niche_focus"])
    out["cohort_gini"] = share_gini(cohort_earnings(freelancers))
    return out
