"""Hiring: clients post jobs, rehire freelancers they were happy with, search, and choose.

Every active client posts a Poisson number of jobs. A job of a client satisfied with its last
freelancer may go straight back to that freelancer (a direct rehire); the other jobs draw
applicants through search (visibility from the ranking, reach into the job's niche) and the
client chooses among them, or no one, by a multinomial logit. All jobs of the week are
searched, chosen and matched together, against one reputation index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from marketplace_sim.market import choice, delivery, discovery
from marketplace_sim.model.contracts import start_contracts
from marketplace_sim.model.state import bump

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel

PROPOSAL_NOISE = 0.1  # sd of the noise on communication as seen in a proposal


class Jobs(NamedTuple):
    """The jobs posted in a week, one entry per job."""

    client: np.ndarray  # row of the posting client
    niche: np.ndarray
    budget: np.ndarray  # USD
    duration: np.ndarray  # weeks


def draw_jobs(model: MarketplaceModel, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Niche, budget (USD) and duration (weeks) of ``n`` new jobs."""
    j, rng = model.config.jobs, model.rng
    niche = rng.choice(model.config.market.niches, n, p=model.niche_popularity)
    budget = j.budget_median * np.exp(j.budget_sigma * rng.standard_normal(n))
    duration = rng.geometric(1.0 / j.duration_mean, n)
    return niche, budget, duration


def post_and_hire(model: MarketplaceModel, t: int) -> None:
    """Post this week's jobs and fill what can be filled: direct rehires first, then search."""
    fl, cl = model.freelancers, model.clients
    active_c = np.flatnonzero(cl.active)
    n_posts = model.rng.poisson(cl.post_rate[active_c])
    job_client = np.repeat(active_c, n_posts)
    n_jobs = job_client.size
    model.week["jobs_posted"] = n_jobs
    model.week["jobs_filled"] = 0
    if n_jobs == 0:
        return
    bump(np.add, cl.jobs_posted, job_client)
    jobs = Jobs(job_client, *draw_jobs(model, n_jobs))
    spare = np.where(fl.active, fl.capacity.astype(np.int64) - fl.load, 0)
    filled = np.zeros(n_jobs, dtype=bool)
    _rehire(model, t, jobs, spare, filled)
    open_jobs = np.flatnonzero(~filled)
    if open_jobs.size:
        hj, hf = search_and_choose(model, open_jobs, job_client, jobs.niche, spare)
        filled[hj] = True
        start_contracts(
            model, t, hf, job_client[hj], jobs.niche[hj], jobs.budget[hj], jobs.duration[hj], False
        )
    model.week["jobs_filled"] = int(filled.sum())


def _rehire(
    model: MarketplaceModel, t: int, jobs: Jobs, spare: np.ndarray, filled: np.ndarray
) -> None:
    """Direct rehire of a freelancer the client was satisfied with last time.

    Marks the rehired jobs in ``filled`` and takes their capacity out of ``spare``.
    """
    cfg, rng, fl, cl = model.config, model.rng, model.freelancers, model.clients
    last = cl.last_freelancer[jobs.client]
    rj = np.flatnonzero((last >= 0) & cl.last_satisfied[jobs.client])
    if rj.size == 0:
        return
    # A rate risen since the last contract deters a direct rehire, as price does in choice.
    k, rf = jobs.client[rj], last[rj]
    rise = np.maximum(0.0, fl.rate[rf] / cl.last_rate[k] - 1.0)
    p_rehire = cfg.clients.rehire_prob * np.exp(-cfg.clients.price_weight * cl.m_price[k] * rise)
    want = (rng.random(rj.size) < p_rehire) & fl.active[rf]
    rj, rf = rj[want], rf[want]
    ok = spare[rf] > 0
    bump(np.add, fl.declined, rf[~ok])
    rj, rf = rj[ok], rf[ok]
    acc = choice.accept_within_capacity(rng, rf, spare)
    bump(np.add, fl.declined, rf[~acc])
    rj, rf = rj[acc], rf[acc]
    bump(np.subtract, spare, rf)
    filled[rj] = True
    start_contracts(
        model, t, rf, jobs.client[rj], jobs.niche[rj], jobs.budget[rj], jobs.duration[rj], True
    )


def search_and_choose(
    model: MarketplaceModel,
    open_jobs: np.ndarray,
    job_client: np.ndarray,
    niche: np.ndarray,
    spare: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw applicants for the open jobs and let clients choose; returns (jobs, rows)."""
    available = spare > 0
    rep = _available_reputation(model, available)
    jn = niche[open_jobs]
    job, cand = _applicants(model, available, rep, jn)
    if job.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    k = job_client[open_jobs[job]]
    utility = _utility(model, k, cand, jn[job], rep)
    c = model.config.clients
    outside = c.outside_option + c.choice_noise * model.rng.gumbel(size=open_jobs.size)
    hj, hf, declined = choice.match(model.rng, job, cand, utility, outside, spare)
    bump(np.add, model.freelancers.declined, declined)
    return open_jobs[hj], hf


def _available_reputation(model: MarketplaceModel, available: np.ndarray) -> np.ndarray:
    """The reputation index search and choice read: of available freelancers only (0 else).

    If this week's full index is already at hand it is used as is (the same values).
    """
    if "rep" in model.cache:
        return model.cache["rep"]
    rep = np.zeros(model.freelancers.n)
    av = np.flatnonzero(available)
    rep[av] = model.reputation(av)
    return rep


def _applicants(
    model: MarketplaceModel, available: np.ndarray, rep: np.ndarray, jn: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(job, candidate row) pairs: search by visibility, plus uniform exploration slots."""
    cfg, rng, fl = model.config, model.rng, model.freelancers
    p = cfg.platform
    vis = discovery.visibility(
        rng,
        p.ranking,
        available,
        fl.profile,
        rep,
        fl.hires == 0,
        p.profile_visibility,
        p.search_weight,
        p.newcomer_boost,
    )
    slots = cfg.jobs.applicants
    n_explore = int(round(slots * p.exploration))
    n_niches = cfg.market.niches
    job, cand = discovery.draw_applicants(
        rng, vis, fl.niche_focus, fl.home_niche, n_niches, jn, slots - n_explore
    )
    if n_explore:
        ej, ec = discovery.draw_uniform_applicants(
            rng, available, fl.niche_focus, fl.home_niche, n_niches, jn, n_explore
        )
        n = fl.n
        key = np.unique(np.concatenate([job * n + cand, ej * n + ec]))
        job, cand = key // n, key % n
    return job, cand


def _utility(
    model: MarketplaceModel,
    k: np.ndarray,
    cand: np.ndarray,
    job_niche: np.ndarray,
    rep: np.ndarray,
) -> np.ndarray:
    """Client ``k``'s random utility of each applicant (multinomial logit, Gumbel-max)."""
    cfg, rng, fl, cl = model.config, model.rng, model.freelancers, model.clients
    c = cfg.clients
    fit = delivery.niche_fit(
        fl.home_niche[cand] == job_niche, fl.niche_focus[cand], cfg.freelancers.generalist_fit
    )
    proposal = fl.communication[cand] + PROPOSAL_NOISE * rng.standard_normal(cand.size)
    return (
        c.reputation_weight * cl.m_reputation[k] * rep[cand]
        - c.price_weight * cl.m_price[k] * (fl.rate[cand] / model.rate_ref - 1.0)
        + c.profile_weight * cl.m_profile[k] * fl.profile[cand]
        + c.communication_weight * cl.m_communication[k] * proposal
        + c.fit_weight * cl.m_fit[k] * fit
        + c.choice_noise * rng.gumbel(size=cand.size)
    )
