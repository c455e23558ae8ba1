"""The compiled fast paths of the weekly cycle, and the per-model tables they read.

When :func:`marketplace_sim.market.jit.enabled`, the phases call these functions instead of
their numpy code (the same draws from the same streams, the same results; see
:mod:`marketplace_sim.market.jit`). What the kernels must not compute themselves (``exp``,
``log1p``, ``**``: numba's differ from numpy's in the last bit) numpy computes once, into the
tables of :class:`FastTables`: a value per freelancer row fixed at entry (search appeal of the
profile, search relevance of the niche focus) or a value per count (``log1p`` of a review
count, the position weight of a search rank), looked up by the kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from marketplace_sim.market import jit, reviews
from marketplace_sim.model import ranks
from marketplace_sim.units import CENTS

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel

_EMPTY = np.empty(0)
_RANKING = {"reputation": 0, "random": 1, "newcomer_boost": 2}


class FastTables:
    """Tables numpy computed for the kernels of one model (grown as rows and counts grow)."""

    def __init__(self, model: MarketplaceModel) -> None:
        # The kernel modules import numba: here, once a world is run compiled.
        from marketplace_sim.market import (
            kernels_complete,
            kernels_hire,
            kernels_metrics,
            kernels_post,
            kernels_sort,
            kernels_upkeep,
            kernels_week,
        )

        self.hire, self.metrics, self.week = kernels_hire, kernels_metrics, kernels_week
        self.sort, self.upkeep, self.post = kernels_sort, kernels_upkeep, kernels_post
        self.done = kernels_complete
        self.rng = model.rng
        self.rng_at = jit.generator_addresses(model.rng)  # how a kernel reaches model.rng
        p = model.config.platform
        self.profile_visibility = p.profile_visibility
        self.search_weight = p.search_weight
        self.niche_relevance = p.niche_relevance
        self._appeal = _RowTable(self.profile_visibility)
        self._boost = _RowTable(self.niche_relevance)
        self._log1p = np.empty(0)
        self._by_position = np.empty(0)
        self._learning = np.empty(0)
        self.raise_by: np.ndarray | None = None  # (1 + rate_step) ** [0, 1, 2]
        #: at least the most jobs any freelancer has completed (bounds the learning table)
        self.most_jobs = int(model.freelancers.jobs_completed.max(initial=0))
        self._par: dict[str, tuple[Any, np.ndarray]] = {}

    def par(
        self, name: str, model: MarketplaceModel, build: Callable[[Any], np.ndarray]
    ) -> np.ndarray:
        """A kernel's parameter array, ``build(model)``, made once per config.

        Configs are frozen: the array stays right until the model holds another config.
        """
        got = self._par.get(name)
        if got is None or got[0] is not model.config:
            got = self._par[name] = (model.config, build(model))
        return got[1]

    def appeal(self, profile: np.ndarray) -> np.ndarray:
        """``exp(profile_visibility * profile)`` per row (``discovery.visibility``'s factor)."""
        return self._appeal.of(profile)

    def boost(self, niche_focus: np.ndarray) -> np.ndarray:
        """``discovery.niche_relevance`` per row, or an empty array when it is off."""
        if self.niche_relevance == 0:
            return _EMPTY
        return self._boost.of(niche_focus)

    def log1p_reviews(self, at_least: int) -> np.ndarray:
        """``np.log1p(n)`` of review counts ``n = 0 .. >= at_least - 1`` (int32, as the column)."""
        if self._log1p.size < at_least:
            self._log1p = np.log1p(np.arange(max(1024, 2 * at_least), dtype=np.int32))
        return self._log1p

    def by_position(self, n: int) -> np.ndarray:
        """``(1 + i) ** -search_weight`` for search ranks ``i = 0 .. >= n - 1``."""
        if self._by_position.size < n:
            ranks = np.arange(max(1024, n + n // 4), dtype=np.float64)
            self._by_position = (1.0 + ranks) ** (-self.search_weight)
        return self._by_position

    def learning(self, jobs_completed: np.ndarray, more: int, scale: float) -> np.ndarray:
        """``-expm1(-jobs / scale)`` by jobs completed (int32 counts, as the column).

        Covers counts up to the most completed so far plus ``more``.
        """
        need = self.most_jobs + more + 1
        if self._learning.size < need:
            jobs = np.arange(max(1024, 2 * need), dtype=np.int32)
            self._learning = -np.expm1(-jobs / scale)
        return self._learning


class _RowTable:
    """``exp(factor * column)`` per row, computed once for each row as the rows grow.

    The values sit in a buffer that grows by doubling; :meth:`of` hands out a view of the
    live rows, the same view object while the row count is unchanged (no copy of the old rows
    each week a freelancer enters). numpy's ``exp`` gives each element the same value whatever
    the array it is part of, so the rows computed in weekly pieces equal the whole column
    computed at once.
    """

    __slots__ = ("_buf", "_view", "_factor")

    def __init__(self, factor: float) -> None:
        self._buf = np.empty(0)
        self._view = self._buf
        self._factor = factor

    def of(self, column: np.ndarray) -> np.ndarray:
        """The values of ``column``'s rows (rows are only ever added, never changed)."""
        n, done = column.size, self._view.size
        if n == done:
            return self._view
        if n > self._buf.size:
            buf = np.empty(max(1024, 2 * n))
            buf[:done] = self._view
            self._buf = buf
        if n > done:
            self._buf[done:n] = np.exp(self._factor * column[done:n])
        self._view = self._buf[:n]
        return self._view


def tables(model: MarketplaceModel) -> FastTables:
    """The model's :class:`FastTables` (made on first use, remade if ``model.rng`` changed)."""
    t: FastTables | None = getattr(model, "_fast_tables", None)
    if t is None or t.rng is not model.rng:
        t = FastTables(model)
        model._fast_tables = t
    return t


def choose(
    model: MarketplaceModel,
    rep: np.ndarray,
    spare: np.ndarray,
    application_rate: np.ndarray | None,
    n_available: int,
) -> tuple[Any, ...]:
    """The arguments of ``kernels_hire.search_and_choose`` that are not the jobs or the order.

    ``hiring.search_and_choose`` after the ranking sort runs in ``kernels_post.
    search_and_start`` with these (its ``search``): ``rep``, the reputation index of the
    available rows (0 for the others); ``spare`` (updated in place); ``n_available``: the
    number of available rows (search ranks).
    """
    cfg, fl, cl = model.config, model.freelancers, model.clients
    p = cfg.platform
    t = tables(model)
    slots = cfg.jobs.applicants
    n_explore = int(round(slots * p.exploration))
    applies = _EMPTY if application_rate is None else application_rate
    explore = _EMPTY
    if n_explore:
        explore = (spare > 0).astype(np.float64)
        if application_rate is not None:
            explore = explore * application_rate
    return (
        t.appeal(fl.profile),
        t.by_position(n_available),
        applies,
        explore,
        t.boost(fl.niche_focus),
        (cfg.market.niches, slots - n_explore, n_explore),
        rep,
        _utility_columns(fl),
        (cl.m_reputation, cl.m_price, cl.m_profile, cl.m_communication, cl.m_fit),
        t.par("choice", model, _choice_parameters),
        spare,
        fl.declined,
    )


def _choice_parameters(model: MarketplaceModel) -> np.ndarray:
    """The keys the compiled search and choice reads, in its order."""
    fe, c = model.config.freelancers, model.config.clients
    return np.array(
        [
            fe.generalist_fit,
            fe.specialist_premium,
            model.rate_ref,
            c.reputation_weight,
            c.price_weight,
            c.profile_weight,
            c.communication_weight,
            c.fit_weight,
            c.choice_noise,
            c.specialist_weight,
            c.expertise_signal_weight,
            fe.evidence_noise,
            c.outside_option,
        ]
    )


def _utility_columns(fl: Any) -> tuple[np.ndarray, ...]:
    return (
        fl.home_niche,
        fl.niche_focus,
        fl.rate,
        fl.communication,
        fl.profile,
        fl.expertise,
        fl.evidence_z,
        fl.jobs_completed,
    )


def rank_inputs(model: MarketplaceModel) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The columns and parameters ``kernels_hire.rank_keys`` reads (after ``spare``)."""
    fl = model.freelancers
    columns = (
        fl.stars_sum,
        fl.n_reviews,
        fl.jss_n,
        fl.jss_succ,
        fl.jss_fail,
        fl.top_rated,
        fl.hires,
    )
    return columns, tables(model).par("rank", model, _rank_parameters)


def _rank_parameters(model: MarketplaceModel) -> np.ndarray:
    p = model.config.platform
    scale = 0.0 if p.rating_precision is None else 10.0**p.rating_precision
    return np.array(
        [
            1.0 if p.rating_display == "bayesian" else 0.0,
            p.bayes_prior_mean,
            p.bayes_prior_weight,
            scale,
            p.jss_min_contracts,
            p.rating_weight,
            p.jss_weight,
            _RANKING[p.ranking],
            p.newcomer_boost,
        ]
    )


# ----------------------------------------------------------------------------------------------
# Contracts


def complete_contracts(model: MarketplaceModel, t: int) -> None:
    """``contracts.complete_contracts`` through one kernel (``kernels_complete.complete``)."""
    pool = model.contracts
    if pool.n == 0:
        return
    tabs = tables(model)
    cfg, fl, cl = model.config, model.freelancers, model.clients
    r, fe = cfg.reviews, cfg.freelancers
    lenient = reviews.leniency_now(r.leniency, r.inflation, model.rating_norm)
    settle_fl = (
        fl.earnings, fl.earnings_year, fl.stars_sum, fl.n_reviews, fl.jss_n, fl.jss_succ,
        fl.jss_fail, fl.jobs_completed, fl.load, fl.last_work_step, fl.expertise, fl.expertise0,
    )  # fmt: skip
    settle_cl = (cl.spend, cl.open_contracts, cl.last_freelancer, cl.last_satisfied, cl.last_rate)
    args = (
        tabs.rng_at,
        t,
        pool.buffer_tuple(),
        pool.n,
        (
            (fl.expertise, fl.reliability, fl.communication),
            tabs.par("delivery", model, lambda m: _delivery_parameters(m.config)),
            lenient,
        ),
        (settle_fl, settle_cl, model.star_counts),
        (tabs.learning(fl.jobs_completed, pool.n, fe.learning_scale), fe.learning_gain),
    )
    if cfg.run.record_contracts:
        kept, f, outcome, net, fees, most, counters, logged = tabs.done.complete(
            *args, (fl.agent_id, cl.agent_id)
        )
    else:  # seven values returned, not fifteen
        kept, f, outcome, net, fees, most, counters = tabs.done.complete_quiet(*args)
    if kept == pool.n:
        return
    pool.shrink(kept)
    quality_sum, stars_sum, stars_n = counters
    if stars_n:
        mean = stars_sum / stars_n  # = st.mean(): a sum of small integers is exact
        model.rating_norm = reviews.update_norm(model.rating_norm, mean, r.norm_weeks)
    tabs.most_jobs = max(tabs.most_jobs, most)
    model.platform_revenue += fees
    model.earnings_window.append((t, f, net))
    model.jss_window.append((t, f, outcome))
    model.week.update(
        quality_sum=quality_sum, completed=f.size, stars_sum=float(stars_sum), stars_n=stars_n
    )
    if cfg.run.record_contracts:
        _log(model, outcome, logged)


def _log(model: MarketplaceModel, outcome: np.ndarray, logged: tuple[np.ndarray, ...]) -> None:
    """``contracts._log`` from the kernel's columns."""
    contract_id, niche, start, end, rehire, q, timely, sat, stars_all, fl_id, cl_id = logged[:11]
    value, fee = logged[11:]
    model.contract_log.append(
        {
            "contract_id": contract_id,
            "freelancer_id": fl_id,
            "client_id": cl_id,
            "niche": niche,
            "start_step": start,
            "end_step": end,
            "value": value,
            "fee": fee,
            "quality": q,
            "on_time": timely,
            "satisfaction": sat,
            "stars": stars_all,
            "private_outcome": outcome,
            "rehire": rehire,
        }
    )


def _delivery_parameters(cfg: Any) -> np.ndarray:
    """The delivery and review keys the compiled delivery reads, in its order."""
    d, r = cfg.delivery, cfg.reviews
    return np.array(
        [
            d.quality_noise,
            d.weight_quality,
            d.weight_communication,
            d.weight_on_time,
            d.satisfaction_noise,
            r.success_threshold,
            r.failure_threshold,
            r.prob,
            r.noise,
        ]
    )


def start_contracts(
    model: MarketplaceModel,
    t: int,
    f: np.ndarray,
    k: np.ndarray,
    niche: np.ndarray,
    budget: np.ndarray,
    duration: np.ndarray,
    rehire: bool,
) -> None:
    """``contracts.start_contracts`` through a kernel."""
    fl = model.freelancers
    columns, at = model.contracts.grow(f.size)
    first = model.next_contract_id
    model.next_contract_id += f.size
    tables(model).week.open_contracts(
        t,
        f,
        k,
        niche,
        budget,
        duration,
        rehire,
        first,
        columns,
        at,
        open_columns(fl),
        model.clients.open_contracts,
        tables(model).par("open", model, open_parameters),
    )


def open_columns(fl: Any) -> tuple[np.ndarray, ...]:
    """The freelancer columns ``kernels_week.open_contracts`` reads and writes."""
    return (fl.home_niche, fl.niche_focus, fl.rate, fl.load, fl.hires, fl.last_work_step)


def open_parameters(model: MarketplaceModel) -> np.ndarray:
    """The keys ``kernels_week.open_contracts`` reads, in its order."""
    fe = model.config.freelancers
    return np.array(
        [fe.specialist_premium, fe.generalist_fit, model.rate_ref, model.config.platform.fee]
    )


# ----------------------------------------------------------------------------------------------
# Reputation upkeep


def badges_and_rates(model: MarketplaceModel, t: int, review: bool) -> None:
    """``reputation.award_badges`` and (with ``review``) ``review_rates`` through a kernel."""
    fl, fe = model.freelancers, model.config.freelancers
    t_ = tables(model)
    if t_.raise_by is None:
        t_.raise_by = (1.0 + fe.rate_step) ** np.array([0.0, 1.0, 2.0])
    columns = (
        fl.active, fl.jss_n, fl.jss_succ, fl.jss_fail, fl.earnings_year, fl.entry_step,
        fl.top_rated, fl.badge_gained, fl.declined, fl.load, fl.last_work_step, fl.rate,
    )  # fmt: skip
    par = t_.par("badges", model, _badge_parameters)
    t_.week.badges_and_rates(t, columns, par, t_.raise_by, review)


def _badge_parameters(model: MarketplaceModel) -> np.ndarray:
    p, fe = model.config.platform, model.config.freelancers
    return np.array(
        [
            p.jss_min_contracts,
            p.top_rated_jss,
            p.top_rated_earnings * CENTS,
            p.top_rated_tenure,
            fe.idle_weeks_cut,
            fe.rate_step,
            fe.rate_floor,
        ],
        dtype=np.float64,
    )


# ----------------------------------------------------------------------------------------------
# Weekly metrics


def weekly_metrics(model: MarketplaceModel, packed: bool = False) -> tuple[Any, ...] | None:
    """``observation.compute_metrics``'s computed columns, in one compiled call.

    ``kernels_metrics.observe``: its tuple of thirteen metrics, in the order its docstring
    gives. The orders kept across weeks (``ranks.KeptOrders``) are updated in place. With
    ``packed`` (large tables), the same tuple from ``ranks.packed_metrics``, or None when
    its keys do not fit.
    """
    fl, t = model.freelancers, tables(model)
    columns = (
        fl.active,
        fl.earnings,
        fl.earnings_early,
        fl.expertise0,
        fl.stars_sum,
        fl.n_reviews,
        fl.top_rated,
        fl.jobs_completed,
        fl.rate,
    )
    if packed:
        return ranks.packed_metrics(model, columns, t.par("rating", model, _rating_parameters))
    kept = getattr(model, "_kept_orders", None)
    if kept is None or kept.order.shape[1] < fl.n:  # made, or grown, about twice a run
        kept = ranks.kept_orders(model)
    return t.metrics.observe(
        columns,
        model.clients.active,
        model.star_counts,
        t.par("rating", model, _rating_parameters),
        kept.order,
        kept.values,
        kept.sizes,
    )


def _rating_parameters(model: MarketplaceModel) -> np.ndarray:
    p = model.config.platform
    scale = 0.0 if p.rating_precision is None else 10.0**p.rating_precision
    return np.array(
        [p.rating_display == "bayesian", p.bayes_prior_mean, p.bayes_prior_weight, scale],
        dtype=np.float64,
    )
