"""Observation: the weekly metrics, Mesa's DataCollector, the output tables and the invariants.

Nothing here changes the market: these functions read the model's tables (``state.py``) and
the week's tallies. The rank-based metrics keep sorted orders across weeks (``ranks.py``), so
they are computed without sorting every active freelancer every week. Freelancer snapshots in
the DataCollector (``run.agent_every``) are built from the table columns at once, not by asking
each agent in turn.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from marketplace_sim import metrics
from marketplace_sim.columns import METRIC_COLUMNS
from marketplace_sim.market import choice
from marketplace_sim.model import fastpaths, population
from marketplace_sim.model._mesa import mesa
from marketplace_sim.model.reputation import (
    displayed_ratings,
    displayed_ratings_of,
    job_success_scores,
)
from marketplace_sim.units import CENTS

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel


#: Agent-level columns of the DataCollector (freelancers only) -> the Freelancer attribute.
AGENT_REPORTERS: dict[str, str] = {
    "earnings": "earnings",  # cumulative net earnings, USD
    "jobs": "jobs_completed",
    "rating": "rating",  # as displayed (NaN without reviews)
    "n_reviews": "n_reviews",
    "jss": "jss",  # NaN while hidden
    "top_rated": "top_rated",
}

#: Columns of contracts.parquet.
CONTRACT_LOG_COLUMNS: tuple[str, ...] = (
    "contract_id",
    "freelancer_id",
    "client_id",
    "niche",
    "start_step",
    "end_step",
    "value",
    "fee",
    "quality",
    "on_time",
    "satisfaction",
    "stars",
    "private_outcome",
    "rehire",
)


# --------------------------------------------------------------------------------------------
# Weekly metrics


#: Table rows up to which the weekly metrics take the one compiled call (kernels_metrics.observe,
#: which wins where a week's fixed cost matters); above, packed-key sorts (ranks.packed_metrics:
#: at 1M freelancers 34 against 97 ms a week for the numpy code, 105 for observe; at 50k
#: 2.4 against 3.9 ms). All give the same numbers, and any may follow another (each keeps
#: its own state, which corrects itself). The numpy code runs without numba.
COMPILED_METRICS_ROWS = 20_000


def compute_metrics(model: MarketplaceModel) -> dict[str, float]:
    """The metric columns for the current week, in the order of :data:`METRIC_COLUMNS`."""
    if model.compiled:
        computed = fastpaths.weekly_metrics(model, model.freelancers.n > COMPILED_METRICS_ROWS)
        if computed is not None:  # (None: packed keys that do not fit, rare)
            return _compiled_metrics(model, computed)
    act = np.flatnonzero(model.freelancers.active)  # rows: the table also holds everyone gone
    values = {**_concentration(model, act), **_ratings(model, act), **_activity(model, act)}
    return {name: values[name] for name in METRIC_COLUMNS}


def _compiled_metrics(model: MarketplaceModel, computed: Any = None) -> dict[str, float]:
    """:func:`compute_metrics` with the computed columns (by default: the one compiled call)."""
    (
        n_act,
        gini,
        top1,
        top10,
        never,
        mean_rating,
        five_star,
        merit,
        n_top,
        n_clients,
        mean_rate,
        share_top,
        early_late,
    ) = computed or fastpaths.weekly_metrics(model) or ()
    fill_rate, posted, mean_quality, mean_stars = _tallies(model.week)
    return {
        "freelancers_active": n_act,
        "gini_earnings": gini,
        "top1_share": top1,
        "top10_share": top10,
        "share_never_hired": never,
        "mean_rating": mean_rating,
        "share_five_star": five_star,
        "merit_spearman": merit,
        "fill_rate": fill_rate,
        "n_top_rated": n_top,
        "clients_active": n_clients,
        "jobs_posted": posted,
        "contracts_open": model.contracts.n,
        "mean_quality": mean_quality,
        "mean_stars_week": mean_stars,
        "mean_rate": mean_rate,
        "share_top_rated": share_top,
        "early_late_spearman": early_late,
        "platform_revenue": model.platform_revenue / CENTS,
    }


def _concentration(model: MarketplaceModel, act: np.ndarray) -> dict[str, float]:
    """Inequality of earnings and how well merit and early success predict it.

    Rank-based measures from orders kept across weeks (ranks.py): the same numbers as
    metrics.gini / top_share / spearman on the active rows, without sorting every week.
    """
    fl = model.freelancers
    earn_rank, earn_sorted = model.sorted_rows["earnings"].ranks(
        act, fl.earnings[act] / CENTS, fl.n
    )
    top1, top10 = metrics.top_shares_sorted(earn_sorted, (0.01, 0.10))
    with_early = act[fl.earnings_early[act] >= 0]
    return {
        "gini_earnings": metrics.gini_sorted(earn_sorted),
        "top1_share": top1,
        "top10_share": top10,
        "merit_spearman": _rank_corr(
            model, "expertise0", act, fl.expertise0[act], earn_rank, earn_sorted
        ),
        "early_late_spearman": (
            _early_late_spearman(model, with_early) if with_early.size >= 10 else np.nan
        ),
    }


def _ratings(model: MarketplaceModel, act: np.ndarray) -> dict[str, float]:
    """Displayed ratings of the active, five-star share of all reviews, the Top Rated."""
    n_act = act.size
    ratings = displayed_ratings_of(model, act)  # = displayed_ratings(model)[act]
    rated = ~np.isnan(ratings)
    total_reviews = int(model.star_counts.sum())
    n_top = int(np.count_nonzero(model.freelancers.top_rated[act]))
    return {
        "mean_rating": _mean(ratings[rated]) if rated.any() else np.nan,
        "share_five_star": model.star_counts[5] / total_reviews if total_reviews else np.nan,
        "n_top_rated": n_top,
        "share_top_rated": n_top / n_act if n_act else np.nan,
    }


def _activity(model: MarketplaceModel, act: np.ndarray) -> dict[str, float]:
    """Who is active and what happened this week: posts, fills, deliveries, stars, rates."""
    fl = model.freelancers
    n_act = act.size
    fill_rate, posted, mean_quality, mean_stars = _tallies(model.week)
    return {
        "freelancers_active": n_act,
        "share_never_hired": (
            int(np.count_nonzero(fl.jobs_completed[act] == 0)) / n_act if n_act else np.nan
        ),
        "fill_rate": fill_rate,
        "clients_active": int(model.clients.active.sum()),
        "jobs_posted": posted,
        "contracts_open": model.contracts.n,
        "mean_quality": mean_quality,
        "mean_stars_week": mean_stars,
        "mean_rate": _mean(fl.rate[act]) if n_act else np.nan,
        "platform_revenue": model.platform_revenue / CENTS,
    }


def _tallies(w: dict[str, float]) -> tuple[float, float, float, float]:
    """Fill rate, jobs posted, mean quality and mean stars of the week's tallies."""
    posted = w.get("jobs_posted", 0)
    return (
        w.get("jobs_filled", 0) / posted if posted else np.nan,
        posted,
        w["quality_sum"] / w["completed"] if w.get("completed") else np.nan,
        w["stars_sum"] / w["stars_n"] if w.get("stars_n") else np.nan,
    )


def _rank_corr(
    model: MarketplaceModel,
    name: str,
    rows: np.ndarray,
    values: np.ndarray,
    other_rank: np.ndarray,
    other_sorted: np.ndarray,
) -> float:
    """``metrics.spearman(values, other)`` for the given rows, knowing the other's ranks."""
    rank, srt = model.sorted_rows[name].ranks(rows, values, model.freelancers.n)
    if srt.size < 3 or srt[0] == srt[-1] or other_sorted[0] == other_sorted[-1]:
        return float("nan")  # as spearman: too few, or a constant side
    return metrics.rank_correlation(rank, other_rank)


def _early_late_spearman(model: MarketplaceModel, rows: np.ndarray) -> float:
    """Rank correlation of first-year and later earnings (rows with a first year)."""
    fl = model.freelancers
    early = fl.earnings_early[rows]
    late = (fl.earnings[rows] - early).astype(np.float64)
    late_rank, late_sorted = model.sorted_rows["late"].ranks(rows, late, fl.n)
    return _rank_corr(model, "early", rows, early.astype(np.float64), late_rank, late_sorted)


def _mean(x: np.ndarray) -> float:
    """``float(x.mean())`` (the same pairwise sum and division) without ``mean``'s overhead."""
    return float(x.sum() / x.size)


# --------------------------------------------------------------------------------------------
# Mesa's DataCollector


class MarketDataCollector(mesa.DataCollector):
    """Mesa's DataCollector: the metric columns every recorded week, freelancer snapshots.

    Model-level rows are Mesa's own (``get_model_vars_dataframe()``: ``step`` and
    :data:`METRIC_COLUMNS`). Agent-level rows (``get_agent_vars_dataframe()``, indexed by
    ``Step`` and ``AgentID`` as in Mesa) hold :data:`AGENT_REPORTERS` for every freelancer
    present, in the weeks that are multiples of ``run.agent_every`` and in the last week
    (``run.steps``); ``run.agent_every = 0`` takes none. They are read from the table columns
    in one go rather than agent by agent (Mesa's way, which would also ask the clients).

    Args:
        agent_every: weeks between freelancer snapshots (0: none).
        horizon: the last week of the run (``run.steps``), always snapshot when on.
    """

    def __init__(self, agent_every: int, horizon: int) -> None:
        super().__init__(model_reporters=_model_reporters(), agent_reporters=AGENT_REPORTERS)
        self.agent_every = agent_every
        self.horizon = horizon
        self._metric_lists: list[list[Any]] | None = None  # model_vars' metric columns

    def snapshot_due(self, week: int) -> bool:
        """True if week ``week`` gets a freelancer snapshot."""
        every = self.agent_every
        return every > 0 and (week % every == 0 or week == self.horizon)

    def collect(self, model: MarketplaceModel) -> None:
        """Record the model-level row, and the freelancer snapshot if one is due this week.

        After Mesa's first collection (which validates the reporters), the row is appended
        as Mesa's loop would append it, without its per-reporter dispatch and ``deepcopy``
        (of a float: the float itself): ``step``, ``seed``, then the metric columns.
        """
        if not self._validated:
            super().collect(model)
            if not self.snapshot_due(model.steps):
                self._agent_records.pop(model.time, None)  # Mesa leaves an empty entry
            return
        steps, metrics = model.steps, model.metrics
        self._collection_steps.append(model.time)
        lists = getattr(self, "_metric_lists", None)  # (absent from an older pickle)
        if lists is None:  # Mesa's lists of the metric columns, in order
            lists = self._metric_lists = [self.model_vars[name] for name in METRIC_COLUMNS]
        self.model_vars["step"].append(steps)
        self.model_vars["seed"].append(model.seed)
        for column, name in zip(lists, METRIC_COLUMNS, strict=True):
            column.append(metrics[name])
        if self.agent_every and self.snapshot_due(steps):
            self._agent_records[model.time] = list(freelancer_records(model))

    def collect_agents(self, model: MarketplaceModel) -> None:
        """Record a freelancer snapshot alone (a week without a model-level row)."""
        self._agent_records[model.time] = list(freelancer_records(model))

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        """Mesa's agent-level frame, indexed by ``Step`` and ``AgentID``; empty when off."""
        if any(self._agent_records.values()):
            return super().get_agent_vars_dataframe()
        # Mesa builds a malformed frame from no records: the same shape, empty
        index = pd.MultiIndex.from_arrays([[], []], names=["Step", "AgentID"])
        return pd.DataFrame({name: [] for name in self.agent_reporters}, index=index)

    def _record_agents(self, model: MarketplaceModel) -> Iterable[tuple[Any, ...]]:
        if not self.snapshot_due(model.steps):
            return ()
        return freelancer_records(model)


def freelancer_records(model: MarketplaceModel) -> Iterable[tuple[Any, ...]]:
    """``(time, unique_id, *AGENT_REPORTERS values)`` of every active freelancer, in row order.

    The same values as Mesa's reporters reading each ``Freelancer`` agent's attributes, taken
    from the columns at once (the only per-agent work is building the record tuples).
    """
    fl = model.freelancers
    rows = np.flatnonzero(fl.active)
    columns = (
        fl.earnings[rows] / CENTS,
        fl.jobs_completed[rows],
        displayed_ratings(model)[rows],
        fl.n_reviews[rows],
        job_success_scores(model)[rows],
        fl.top_rated[rows],
    )
    ids = fl.agent_id[rows].tolist()
    return zip(
        itertools.repeat(model.time, len(ids)), ids, *(c.tolist() for c in columns), strict=True
    )


def _model_reporters() -> dict[str, Callable[[Any], Any]]:
    """``step``, ``seed`` and one reporter per metric column (reading ``model.metrics``).

    ``seed`` makes each row of ``mesa.batch_run``'s results replayable (it is not a column
    of :func:`steps_frame`).
    """
    return {
        "step": _report_step,
        "seed": _report_seed,
        **{name: _reporter(name) for name in METRIC_COLUMNS},
    }


def _report_step(model: MarketplaceModel) -> int:
    return model.steps


def _report_seed(model: MarketplaceModel) -> int:
    return model.seed


def _reporter(name: str) -> Callable[[Any], float]:
    def report(model: MarketplaceModel) -> float:
        return model.metrics[name]

    report.__name__ = f"report_{name}"
    return report


# --------------------------------------------------------------------------------------------
# Output tables


def steps_frame(model: MarketplaceModel) -> pd.DataFrame:
    """One row per recorded week: ``step`` and the metric columns (always the final week)."""
    if model.steps and (not model.recorded_steps or model.recorded_steps[-1] != model.steps):
        model.collect()  # always include the final week
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    df = df.drop(columns="seed")  # the same in every row: the run's, in its config
    if df.empty:
        return pd.DataFrame(columns=["step", *METRIC_COLUMNS])
    df["step"] = df["step"].astype(np.int32)
    return df


def listed(model: MarketplaceModel) -> np.ndarray:
    """Which freelancer rows the platform's listing shows now: entered and not deleted.

    Without ``freelancers.dormancy`` a freelancer who stops seeking work is deleted at once,
    so the listed are the active; with it, the dormant are listed too, until deleted. The
    weekly metrics stay over the active (``active``); a listing snapshot reads this mask.
    """
    return model.freelancers.deleted_step < 0


def freelancers_frame(model: MarketplaceModel) -> pd.DataFrame:
    """One row per freelancer ever present (the contract's columns, then extras).

    The optional mechanisms add their columns when on (:func:`_mechanism_columns`).
    """
    frame = _base_frame(model)
    for name, values in _mechanism_columns(model).items():
        frame[name] = values
    return frame


def _mechanism_columns(model: MarketplaceModel) -> dict[str, Any]:
    """Columns of the mechanisms that are on, none by default (so default runs keep the file).

    Dormancy: ``dormant`` (listed, not seeking work, at the end), ``dormant_step`` (week it
    last went dormant), ``deleted_step`` (week its profile left the listing; null while
    listed). Activity: ``activity``; one-job freelancers: ``one_job``; profile evidence:
    ``evidence`` (what clients see of expertise now).
    """
    fl, cfg = model.freelancers, model.config
    fe, streams = cfg.freelancers, model.trait_streams
    out: dict[str, Any] = {}
    if fe.dormancy:
        out["dormant"] = fl.dormant.copy()
        for name in ("dormant_step", "deleted_step"):
            col = fl.col(name)
            out[name] = _with_missing(np.where(col >= 0, col, 0), col < 0, "Int32")
    if population.ACTIVITY_STREAM in streams:
        out["activity"] = fl.activity.copy()
    if population.ONE_JOB_STREAM in streams:
        out["one_job"] = fl.one_job.copy()
    if population.EVIDENCE_STREAM in streams:
        out["evidence"] = choice.expertise_evidence(
            fl.expertise, fl.evidence_z, fl.jobs_completed, fe.evidence_noise
        )
    return out


def _base_frame(model: MarketplaceModel) -> pd.DataFrame:
    """The columns every run writes (the interface contract's, then extras)."""
    fl = model.freelancers
    return pd.DataFrame(  # copy=False: every column below is a new array already
        {
            "freelancer_id": fl.agent_id.copy(),
            "expertise": fl.expertise0.copy(),
            "communication": fl.communication.copy(),
            "reliability": fl.reliability.copy(),
            "profile": fl.profile.copy(),
            "niche_focus": fl.niche_focus.copy(),
            "home_niche": fl.home_niche.copy(),
            "entry_step": fl.entry_step.copy(),
            "exit_step": _with_missing(
                np.where(fl.exit_step >= 0, fl.exit_step, 0), fl.exit_step < 0, "Int32"
            ),
            "jobs_completed": fl.jobs_completed.copy(),
            "earnings": fl.earnings / CENTS,
            "rating": displayed_ratings(model).copy(),
            "n_reviews": fl.n_reviews.copy(),
            "jss": job_success_scores(model).copy(),
            "top_rated": fl.top_rated.copy(),
            "treated": fl.treated.copy(),
            "control": fl.control.copy(),
            "expertise_now": fl.expertise.copy(),
            "capacity": fl.capacity.copy(),
            "rate": fl.rate.copy(),
            "hires": fl.hires.copy(),
            "boosted": fl.boosted.copy(),
            "boost_control": fl.boost_control.copy(),
            "earnings_first_year": _with_missing(
                fl.earnings_early / CENTS, fl.earnings_early < 0, "Float64"
            ),
            "earnings_last_year": fl.earnings_year / CENTS,
        },
        copy=False,
    )


def _with_missing(values: np.ndarray, missing: np.ndarray, dtype: str) -> Any:
    """``values`` as a pandas nullable ``dtype`` array, NA where ``missing`` (not known yet)."""
    out = pd.array(values, dtype=dtype)
    out[missing] = pd.NA
    return out


def freelancers_with_prior_and_reputation(model: MarketplaceModel) -> pd.DataFrame:
    """:func:`freelancers_frame` with ``prior_jobs`` and ``reputation`` added (sweep runs).

    ``prior_jobs`` (int64) is the number of jobs a freelancer brought from before week 1
    (``market.prior_jobs_mean``; 0 for later entrants), ``reputation`` (float64) the
    reputation index clients and search see now.
    """
    fl = freelancers_frame(model)
    prior = np.zeros(len(fl), dtype=np.int64)
    prior[: model.prior_jobs.size] = model.prior_jobs
    fl["prior_jobs"] = prior
    fl["reputation"] = np.asarray(model.reputation(), dtype=np.float64)[: len(fl)]
    return fl.reset_index(drop=True)


def contracts_frame(model: MarketplaceModel) -> pd.DataFrame:
    """One row per completed contract (empty when ``run.record_contracts`` is false)."""
    log = model.contract_log
    if not log:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in CONTRACT_LOG_COLUMNS})
    # copy=False: the concatenated columns are new arrays, the frame's alone; pandas would
    # otherwise copy them once more into consolidated blocks (0.5 GiB at a million freelancers)
    df = pd.DataFrame(
        {c: np.concatenate([part[c] for part in log]) for c in CONTRACT_LOG_COLUMNS}, copy=False
    )
    stars = pd.array(df["stars"].to_numpy(), dtype="Int8")
    stars[df["stars"].to_numpy() == 0] = pd.NA
    df["stars"] = stars
    return df


def check_invariants(model: MarketplaceModel) -> None:
    """The accounting identities: :func:`marketplace_sim.model.invariants.check_invariants`."""
    from marketplace_sim.model.invariants import check_invariants as check

    check(model)
