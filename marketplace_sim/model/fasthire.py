"""Posting and hiring of a week through the compiled kernels (``hiring.post_and_hire``).

The numpy code of :func:`marketplace_sim.model.hiring.post_and_hire` makes about a hundred
numpy calls a week; here they are three kernels of :mod:`marketplace_sim.market.kernels_post`
(posting, rehires and ranking keys, search-choice-contracts), ``kernels_sort.resort`` between
the ranking sort's two ``np.sort`` calls, and the numpy calls that must stay numpy's
(``geometric``, ``exp``; ``poisson`` only for a rate of 10 or more): the same draws in the
same order, the same results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from marketplace_sim.model import fastpaths
from marketplace_sim.model.hiring import application_rate
from marketplace_sim.model.population import niche_cdf

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel

_EMPTY = np.empty(0)
_NO_BITS = np.empty(0, dtype=np.uint64)


def post_and_hire(model: MarketplaceModel, t: int) -> None:
    """``hiring.post_and_hire`` through the kernels."""
    posted = _post(model)
    if posted is None:
        return
    jobs, spare, rehire = posted
    fl, cl, tabs = model.freelancers, model.clients, fastpaths.tables(model)
    kp = tabs.post
    pool, at = model.contracts.grow(jobs[0].size)  # room for every job; shrunk to the hires
    first = model.next_contract_id
    opening = (pool, fastpaths.open_columns(fl), cl.open_contracts)
    open_par = tabs.par("open", model, fastpaths.open_parameters)
    rank_fl, rank_par = fastpaths.rank_inputs(model)
    cached_rep = model.cache.get("rep", _EMPTY)
    scale = (model.config.jobs.budget_median, model.config.clients.rehire_prob)
    need = 0
    while True:
        ok, rehired, open_jobs, rep, rows, key, tie_break, packing = kp.rehire_and_rank(
            tabs.rng_at,
            rehire,
            (fl.active, spare, fl.declined),
            jobs,
            (t, first, at),
            *opening,
            open_par,
            (rank_fl, tabs.log1p_reviews(need), rank_par, cached_rep),
            scale,
        )
        if ok:
            break
        need = int(fl.n_reviews.max()) + 1  # log1p table too short: nothing was drawn
    hired = 0
    if open_jobs.size:
        search = fastpaths.choose(model, rep, spare, application_rate(model), rows.size)
        hired = kp.search_and_start(
            tabs.rng_at,
            _ranked(tabs, model.config.platform.ranking == "random", rows, key, tie_break, packing),
            search,
            open_jobs,
            jobs,
            (t, first + rehired, at + rehired),
            *opening,
            open_par,
            (fl.dormant, fl.active, fl.exit_step),
        )
    model.contracts.shrink(at + rehired + hired)
    model.next_contract_id = first + rehired + hired
    model.week["jobs_filled"] = rehired + hired


def _ranked(
    tabs: fastpaths.FastTables,
    random: bool,
    rows: np.ndarray,
    key: np.ndarray,
    tie_break: np.ndarray,
    packing: tuple[int, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """``kernels_sort.order_by`` between the kernels: what ``final_order`` needs.

    ``packing``: ``(b, bits, packed)`` of the tie-breaks. numpy sorts the packed integers (its
    vectorised sort); two equal tie-breaks (never seen) fall back on ``np.lexsort``.
    """
    b, bits, packed = packing
    by_tie, equal, key_bits, key_packed = tabs.sort.resort(np.sort(packed), bits, key, b, random)
    if equal:
        return rows, np.lexsort((tie_break, key)), _NO_BITS, _NO_BITS, b
    if random:
        return rows, by_tie, _NO_BITS, _NO_BITS, b
    return rows, by_tie, np.sort(key_packed), key_bits, b


def _post(
    model: MarketplaceModel,
) -> tuple[tuple[np.ndarray, ...], np.ndarray, tuple[np.ndarray, ...]] | None:
    """The week's jobs, spare capacity and the direct-rehire candidates (None: no jobs).

    Returns ``((client, niche, budget, duration) per job, spare, (candidate jobs, rows,
    p_rehire))``, the budgets and ``p_rehire`` still to be multiplied by budget_median and
    rehire_prob (``kernels_post.rehire_and_rank`` does).
    """
    cfg, fl, cl, rng = model.config, model.freelancers, model.clients, model.rng
    j, fe, c = cfg.jobs, cfg.freelancers, cfg.clients
    tabs = fastpaths.tables(model)
    prep = (
        (fl.active, fl.dormant, fl.capacity, fl.load, fl.one_job, fl.hires),
        (fe.dormancy, fe.one_job_share > 0),
        (cl.last_freelancer, cl.last_satisfied, cl.last_rate, cl.m_price),
        (fl.rate, fl.home_niche, fl.niche_focus),
        fe.specialist_premium,
        c.price_weight,
        j.budget_sigma,
    )
    kp, cdf = tabs.post, niche_cdf(model)
    posted = kp.post_jobs(tabs.rng_at, cl.active, cl.post_rate, cl.jobs_posted, cdf, prep)
    if not posted[0]:  # a rate numpy draws by another method: numpy draws them all
        n_posts = rng.poisson(cl.post_rate[cl.active])
        posted = (True, *kp.post_drawn(tabs.rng_at, cl.active, n_posts, cl.jobs_posted, cdf, prep))
    _, jobs, zx, spare, rehire = posted
    n_jobs = jobs.shape[1]
    model.week["jobs_posted"] = n_jobs
    model.week["jobs_filled"] = 0
    if n_jobs == 0:
        return None
    # budget_median * exp(budget_sigma * z) per job, then exp(x) per rehire candidate: one
    # numpy exp (an element's value does not depend on the array it is in); the factors are
    # applied in rehire_and_rank
    e = np.exp(zx)
    duration = rng.geometric(1.0 / j.duration_mean, n_jobs)
    return (jobs[0], jobs[1], e[:n_jobs], duration), spare, (rehire[0], rehire[1], e[n_jobs:])
