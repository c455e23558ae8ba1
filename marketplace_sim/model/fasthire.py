"""Posting and hiring of a week through the compiled kernels (``hiring.post_and_hire``).

The numpy code of :func:`marketplace_sim.model.hiring.post_and_hire` makes about a hundred
numpy calls a week; here they are four kernels of :mod:`marketplace_sim.market.kernels_post`,
the search kernel, and the numpy calls that must stay numpy's (``poisson``, ``geometric``,
``exp``, the ranking sort's ``np.sort``): the same draws in the same order, the same results.
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
    need = 0
    while True:
        ok, rehired, open_jobs, rep, rows, key, tie_break = kp.rehire_and_rank(
            tabs.rng_at,
            rehire,
            (fl.active, spare, fl.declined),
            jobs,
            (t, first, at),
            *opening,
            open_par,
            (rank_fl, tabs.log1p_reviews(need), rank_par, cached_rep),
        )
        if ok:
            break
        need = int(fl.n_reviews.max()) + 1  # log1p table too short: nothing was drawn
    hired = 0
    if open_jobs.size:
        random = model.config.platform.ranking == "random"
        order = rows[tabs.sort.order_by(key, tie_break, random)]
        job_client, niche = jobs[0], jobs[1]
        hj, hf = fastpaths.choose(
            model, order, rep, (niche[open_jobs], job_client[open_jobs]), spare,
            application_rate(model),
        )  # fmt: skip
        kp.start_hired(
            (open_jobs[hj], hf),
            jobs,
            (t, first + rehired, at + rehired),
            *opening,
            open_par,
            (fl.dormant, fl.active, fl.exit_step),
        )
        hired = hf.size
    model.contracts.shrink(at + rehired + hired)
    model.next_contract_id = first + rehired + hired
    model.week["jobs_filled"] = rehired + hired


def _post(
    model: MarketplaceModel,
) -> tuple[tuple[np.ndarray, ...], np.ndarray, tuple[np.ndarray, ...]] | None:
    """The week's jobs, spare capacity and the direct-rehire candidates (None: no jobs).

    Returns ``((client, niche, budget, duration) per job, spare, (candidate jobs, rows,
    p_rehire))``.
    """
    cfg, fl, cl, rng = model.config, model.freelancers, model.clients, model.rng
    j, fe, c = cfg.jobs, cfg.freelancers, cfg.clients
    tabs = fastpaths.tables(model)
    n_posts = rng.poisson(cl.post_rate[cl.active])
    job_client, niche, z = tabs.post.post_jobs(
        tabs.rng_at, cl.active, n_posts, cl.jobs_posted, niche_cdf(model)
    )
    n_jobs = job_client.size
    model.week["jobs_posted"] = n_jobs
    model.week["jobs_filled"] = 0
    if n_jobs == 0:
        return None
    budget = j.budget_median * np.exp(j.budget_sigma * z)
    duration = rng.geometric(1.0 / j.duration_mean, n_jobs)
    spare, rj, rf, x = tabs.post.rehire_prep(
        (job_client, niche),
        (fl.active, fl.dormant, fl.capacity, fl.load, fl.one_job, fl.hires),
        (fe.dormancy, fe.one_job_share > 0),
        (cl.last_freelancer, cl.last_satisfied, cl.last_rate, cl.m_price),
        (fl.rate, fl.home_niche, fl.niche_focus),
        fe.specialist_premium,
        c.price_weight,
    )
    return (job_client, niche, budget, duration), spare, (rj, rf, c.rehire_prob * np.exp(x))
