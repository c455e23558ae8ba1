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

from typing import TYPE_CHECKING, Any

import numpy as np

from marketplace_sim.market import discovery, kernels_hire

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel

_EMPTY = np.empty(0)
_RANKING = {"reputation": 0, "random": 1, "newcomer_boost": 2}


class FastTables:
    """Tables numpy computed for the kernels of one model (grown as rows and counts grow)."""

    def __init__(self, model: MarketplaceModel) -> None:
        from numba.typed import List

        self.rng = model.rng
        self.rngs = List([model.rng])  # how a kernel reaches the model's own generator
        p = model.config.platform
        self.profile_visibility = p.profile_visibility
        self.search_weight = p.search_weight
        self.niche_relevance = p.niche_relevance
        self._appeal = np.empty(0)
        self._boost = np.empty(0)
        self._log1p = np.empty(0)
        self._by_position = np.empty(0)

    def appeal(self, profile: np.ndarray) -> np.ndarray:
        """``exp(profile_visibility * profile)`` per row (``discovery.visibility``'s factor)."""
        self._appeal = _extend(self._appeal, profile, self.profile_visibility)
        return self._appeal

    def boost(self, niche_focus: np.ndarray) -> np.ndarray:
        """``discovery.niche_relevance`` per row, or an empty array when it is off."""
        if self.niche_relevance == 0:
            return _EMPTY
        self._boost = _extend(self._boost, niche_focus, self.niche_relevance)
        return self._boost

    def log1p_reviews(self, at_least: int) -> np.ndarray:
        """``np.log1p(n)`` of review counts ``n = 0 .. >= at_least - 1`` (int32, as the column)."""
        if self._log1p.size < at_least:
            self._log1p = np.log1p(np.arange(max(1024, 2 * at_least), dtype=np.int32))
        return self._log1p

    def by_position(self, n: int) -> np.ndarray:
        """``(1 + i) ** -search_weight`` for search ranks ``i = 0 .. >= n - 1``."""
        if self._by_position.size < n:
            ranks = np.arange(max(1024, 2 * n), dtype=np.float64)
            self._by_position = (1.0 + ranks) ** (-self.search_weight)
        return self._by_position


def _extend(table: np.ndarray, column: np.ndarray, factor: float) -> np.ndarray:
    """``table`` grown to ``column``'s rows with ``exp(factor * column)`` of the new rows.

    numpy's ``exp`` gives each element the same value whatever the array it is part of, so
    the rows computed in weekly pieces equal the whole column computed at once.
    """
    n = column.size
    if table.size >= n:
        return table
    return np.concatenate((table, np.exp(factor * column[table.size : n])))


def tables(model: MarketplaceModel) -> FastTables:
    """The model's :class:`FastTables` (made on first use, remade if ``model.rng`` changed)."""
    t: FastTables | None = getattr(model, "_fast_tables", None)
    if t is None or t.rng is not model.rng:
        t = FastTables(model)
        model._fast_tables = t  # type: ignore[attr-defined]
    return t


def search_and_choose(
    model: MarketplaceModel,
    open_jobs: np.ndarray,
    job_client: np.ndarray,
    niche: np.ndarray,
    spare: np.ndarray,
    application_rate: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """``hiring.search_and_choose`` through the kernels; returns (jobs, rows)."""
    cfg, fl, cl = model.config, model.freelancers, model.clients
    p, c, fe = cfg.platform, cfg.clients, cfg.freelancers
    t = tables(model)
    rep, rows, key, tie_break = _rank_keys(model, t, spare)
    order = rows[discovery._order_by(key, tie_break, p.ranking == "random")]
    slots = cfg.jobs.applicants
    n_explore = int(round(slots * p.exploration))
    applies = _EMPTY if application_rate is None else application_rate
    explore = _EMPTY
    if n_explore:
        explore = (spare > 0).astype(np.float64)
        if application_rate is not None:
            explore = explore * application_rate
    par = np.array(
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
    hj, hf = kernels_hire.search_and_choose(
        t.rngs,
        order,
        t.appeal(fl.profile),
        t.by_position(order.size),
        applies,
        explore,
        t.boost(fl.niche_focus),
        (niche[open_jobs].astype(np.int64), job_client[open_jobs]),
        (cfg.market.niches, slots - n_explore, n_explore),
        rep,
        _utility_columns(fl),
        (cl.m_reputation, cl.m_price, cl.m_profile, cl.m_communication, cl.m_fit),
        par,
        spare,
        fl.declined,
    )
    return open_jobs[hj], hf


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


def _rank_keys(
    model: MarketplaceModel, t: FastTables, spare: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reputation of the available, their rows, ranking keys and tie-breaks (one draw)."""
    fl, p = model.freelancers, model.config.platform
    scale = 0.0 if p.rating_precision is None else 10.0**p.rating_precision
    par = np.array(
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
    columns = (fl.stars_sum, fl.n_reviews, fl.jss_n, fl.jss_succ, fl.jss_fail, fl.top_rated, fl.hires)
    cached = model.cache.get("rep", _EMPTY)
    need = 0
    while True:
        ok, rep, rows, key, tie_break = kernels_hire.rank_keys(
            t.rngs, spare, columns, t.log1p_reviews(need), par, cached
        )
        if ok:
            return rep, rows, key, tie_break
        need = int(fl.n_reviews.max()) + 1
