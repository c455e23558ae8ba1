"""Hiring: clients post jobs, rehire freelancers they were happy with, search, and choose.

Every active client posts a Poisson number of jobs. A job of a client satisfied with its last
freelancer may go straight back to that freelancer (a direct rehire); the other jobs draw
applicants through search (visibility from the ranking, reach into the job's niche) and the
client chooses among them, or no one, by a multinomial logit. All jobs of the week are
searched, chosen and matched together, against one reputation index. With
``freelancers.dormancy`` dormant profiles are in search too but rarely apply; one who is hired
is active again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from marketplace_sim.market import choice, delivery, discovery, pricing
from marketplace_sim.model.contracts import start_contracts
from marketplace_sim.model.population import ACTIVITY_STREAM, draw_niches, reactivate
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
    niche = draw_niches(model, rng, n)
    budget = j.budget_median * np.exp(j.budget_sigma * rng.standard_normal(n))
    duration = rng.geometric(1.0 / j.duration_mean, n)
    return niche, budget, duration


def post_and_hire(model: MarketplaceModel, t: int) -> None:
    """Post this week's jobs and fill what can be filled: direct rehires first, then search."""
    if model.compiled:
        from marketplace_sim.model import fasthire  # (it imports this module)

        fasthire.post_and_hire(model, t)
        return
    cl = model.clients
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
    spare = spare_capacity(model)
    filled = np.zeros(n_jobs, dtype=bool)
    _rehire(model, t, jobs, spare, filled)
    open_jobs = np.flatnonzero(~filled)
    if open_jobs.size:
        hj, hf = search_and_choose(model, open_jobs, job_client, jobs.niche, spare)
        filled[hj] = True
        reactivate(model, hf)
        start_contracts(
            model, t, hf, job_client[hj], jobs.niche[hj], jobs.budget[hj], jobs.duration[hj], False
        )
    model.week["jobs_filled"] = int(filled.sum())


def spare_capacity(model: MarketplaceModel) -> np.ndarray:
    """Contracts each freelancer row could still take this week (0 for those not available).

    Active freelancers, and with ``freelancers.dormancy`` the dormant too (they are listed and
    may apply, :func:`application_rate`); a one-job freelancer once hired takes no other job.
    """
    fl, fe = model.freelancers, model.config.freelancers
    listed = (fl.active | fl.dormant) if fe.dormancy else fl.active
    spare = np.where(listed, fl.capacity.astype(np.int64) - fl.load, 0)
    if fe.one_job_share > 0:
        spare[fl.one_job & (fl.hires > 0)] = 0
    return spare


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
    rate = pricing.home_rate(
        fl.rate[rf],
        fl.home_niche[rf] == jobs.niche[rj],
        fl.niche_focus[rf],
        cfg.freelancers.specialist_premium,
    )
    rise = np.maximum(0.0, rate / cl.last_rate[k] - 1.0)
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


def application_rate(model: MarketplaceModel) -> np.ndarray | None:
    """How often each freelancer applies, relative to its search visibility; None: all 1.

    Its activity (occasional, part-time: ``freelancers.occasional_share``, ...), times
    ``freelancers.dormant_response`` for a dormant profile (seen in search, it rarely
    answers). Applicant slots go to those who apply, so a dormant profile takes few.
    """
    fl, fe = model.freelancers, model.config.freelancers
    rate = fl.activity if ACTIVITY_STREAM in model.trait_streams else None
    if fe.dormancy:
        scale = np.where(fl.dormant, fe.dormant_response, 1.0)
        rate = scale if rate is None else rate * scale
    return rate


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
    explore: np.ndarray = available
    applies = application_rate(model)
    if applies is not None:  # the less active, and the dormant, apply less often
        vis = vis * applies
        explore = available * applies
    slots = cfg.jobs.applicants
    n_explore = int(round(slots * p.exploration))
    n_niches = cfg.market.niches
    boost = discovery.niche_relevance(fl.niche_focus, p.niche_relevance)
    job, cand = discovery.draw_applicants(
        rng, vis, fl.niche_focus, fl.home_niche, n_niches, jn, slots - n_explore, boost
    )
    if n_explore:
        ej, ec = discovery.draw_uniform_applicants(
            rng, explore, fl.niche_focus, fl.home_niche, n_niches, jn, n_explore, boost
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
    c, fe = cfg.clients, cfg.freelancers
    at_home = fl.home_niche[cand] == job_niche
    focus = fl.niche_focus[cand]
    fit = delivery.niche_fit(at_home, focus, fe.generalist_fit)
    rate = pricing.home_rate(fl.rate[cand], at_home, focus, fe.specialist_premium)
    proposal = fl.communication[cand] + PROPOSAL_NOISE * rng.standard_normal(cand.size)
    u = (
        c.reputation_weight * cl.m_reputation[k] * rep[cand]
        - c.price_weight * cl.m_price[k] * (rate / model.rate_ref - 1.0)
        + c.profile_weight * cl.m_profile[k] * fl.profile[cand]
        + c.communication_weight * cl.m_communication[k] * proposal
        + c.fit_weight * cl.m_fit[k] * fit
        + c.choice_noise * rng.gumbel(size=cand.size)
    )
    if c.specialist_weight > 0:  # what clients value in a specialist beyond fit
        u += c.specialist_weight * focus * at_home
    if c.expertise_signal_weight > 0:  # the profile's evidence of expertise
        u += c.expertise_signal_weight * choice.expertise_evidence(
            fl.expertise[cand], fl.evidence_z[cand], fl.jobs_completed[cand], fe.evidence_noise
        )
    return u
