"""The population: who is in the market, when they come, what they are like, when they go.

Freelancers and clients enter with traits drawn from the population stream (``model.pop_rng``,
seeded by ``run.population_seed``), so that one population can be replayed in several worlds that
differ only in market luck. The initial freelancers may bring a track record from before week 1
(a warm start, drawn on a stream of its own), and the traits of the optional mechanisms
(activity, one job, profile evidence) come from streams of their own too. Exits, dormancy and
profile deletion are decided by the market stream (``model.rng``): who gives up depends on
what happened to them.

The order of the random draws here is part of the results: changing it changes every fixed-seed
run.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

import numpy as np

from marketplace_sim.config import Config
from marketplace_sim.market import delivery
from marketplace_sim.model import fastenter, fastpaths
from marketplace_sim.model.agents import Client, Freelancer, deregister, register
from marketplace_sim.model.contracts import deliver, record_feedback
from marketplace_sim.model.state import bump

if TYPE_CHECKING:
    from marketplace_sim.config.agents import FreelancersSection
    from marketplace_sim.model.marketplace import MarketplaceModel

POPULATION_STREAM = 0x706F70  # spawn key that separates the population stream from the market's
PRIOR_HISTORY_STREAM = 1  # second spawn key of the warm-start history's stream
# Second spawn keys of the optional traits' streams: each trait has a stream of its own, drawn
# from only when its mechanism is on, so switching one on leaves every other draw unchanged
# (the same people, with one more trait).
ACTIVITY_STREAM = 2
ONE_JOB_STREAM = 3
EVIDENCE_STREAM = 4


def population_rng(cfg: Config, *spawn_key: int) -> np.random.Generator:
    """The population stream of a world (with ``spawn_key``, a stream spawned from it)."""
    seq = np.random.SeedSequence(cfg.population_seed, spawn_key=(POPULATION_STREAM, *spawn_key))
    return np.random.Generator(np.random.PCG64(seq))


def niche_popularity(niches: int, skew: float) -> np.ndarray:
    """Share of jobs posted in each niche: Zipf with exponent ``skew``."""
    ranks = np.arange(1, niches + 1, dtype=np.float64)
    pop = ranks ** (-skew)
    return pop / pop.sum()


def draw_niches(model: MarketplaceModel, rng: np.random.Generator, n: int) -> np.ndarray:
    """``rng.choice(niches, n, p=model.niche_popularity)``: the same draws and values.

    ``Generator.choice`` with ``p`` checks ``p`` and computes its cumulative sum on every
    call (about 10 us); here the cumulative sum is computed once per model (:func:`niche_cdf`)
    and the draws are ``choice``'s own: ``cdf.searchsorted(rng.random(n), side="right")``.
    """
    return niche_cdf(model).searchsorted(rng.random(n), side="right")


def niche_cdf(model: MarketplaceModel) -> np.ndarray:
    """The cumulative niche popularity as ``Generator.choice`` computes it from ``p``.

    ``cdf = p.cumsum(); cdf /= cdf[-1]``; kept while ``model.niche_popularity`` is the same
    array.
    """
    p = model.niche_popularity
    cached = model.__dict__.get("_niche_cdf")
    if cached is None or cached[0] is not p:
        cdf = np.asarray(p, dtype=np.float64).cumsum()
        cdf /= cdf[-1]
        cached = model._niche_cdf = (p, cdf)
    return cached[1]


def populate(model: MarketplaceModel) -> None:
    """The market at week 0: the initial freelancers (with any prior history), then clients."""
    m = model.config.market
    add_freelancers(model, m.freelancers, 0)
    if m.prior_jobs_mean > 0:
        prior_history(model, np.arange(model.freelancers.n), m.prior_jobs_mean)
    add_clients(model, m.clients, 0)


def enter(model: MarketplaceModel, t: int) -> None:
    """Newcomers of week ``t``: Poisson numbers of freelancers, then of clients."""
    if model.compiled:
        fastenter.enter(model, t)
        return
    m, g = model.config.market, model.pop_rng
    add_freelancers(model, int(g.poisson(m.entry_rate)), t)
    add_clients(model, int(g.poisson(m.client_entry_rate)), t)


#: the traits drawn from beta distributions, in the order they are drawn
BETA_TRAITS = ("expertise", "communication", "reliability", "profile", "niche_focus")


def add_freelancers(model: MarketplaceModel, n: int, step: int) -> None:
    """Draw ``n`` freelancers' traits, append their rows and create their Mesa agents."""
    if n <= 0:
        return
    f = model.config.freelancers
    g = model.pop_rng
    traits = [g.beta(getattr(f, name).a, getattr(f, name).b, n) for name in BETA_TRAITS]
    home = draw_niches(model, g, n)
    capacity = g.integers(1, f.capacity_max + 1, n)
    _store_freelancers(model, step, traits, home, capacity, g.standard_normal(n))


def _store_freelancers(
    model: MarketplaceModel,
    step: int,
    traits: Any,
    home: np.ndarray,
    capacity: np.ndarray,
    z: np.ndarray,
) -> None:
    """Append the rows of freelancers with these draws, create their Mesa agents.

    ``traits`` as :data:`BETA_TRAITS`; ``z``: the standard normals of their rates.
    """
    f, fl = model.config.freelancers, model.freelancers
    n = home.size
    rate = f.rate_median * np.exp(f.rate_sigma * z)
    columns = optional_traits(model, n, capacity) if model.trait_streams else {}
    columns.setdefault("capacity", capacity)
    expertise, communication, reliability, profile, niche_focus = traits
    rows = fl.append(
        n,
        active=True,
        entry_step=step,
        last_work_step=step,
        expertise0=expertise,
        expertise=expertise,
        communication=communication,
        reliability=reliability,
        profile=profile,
        niche_focus=niche_focus,
        home_niche=home,
        rate=np.maximum(rate, f.rate_floor),
        **columns,
    )
    ids = make_agents(Freelancer, model, rows, model.freelancer_agents)
    fl.col("agent_id")[rows[0] :] = ids  # the rows are the last ones


def optional_traits(model: MarketplaceModel, n: int, capacity: np.ndarray) -> dict[str, Any]:
    """The traits of the mechanisms that are on (none by default), each from its own stream.

    Activity (occasional, part-time or full-time) scales capacity, ``ceil(capacity *
    activity)``; a one-job freelancer has capacity 1.
    """
    f, streams = model.config.freelancers, model.trait_streams
    out: dict[str, Any] = {}
    if ACTIVITY_STREAM in streams:
        levels = np.array([f.occasional_activity, f.part_time_activity, 1.0])
        shares = [f.occasional_share, f.part_time_share]
        kind = streams[ACTIVITY_STREAM].choice(3, n, p=[*shares, max(0.0, 1.0 - sum(shares))])
        out["activity"] = levels[kind]
        capacity = np.ceil(capacity * out["activity"]).astype(capacity.dtype)
        out["capacity"] = capacity
    if ONE_JOB_STREAM in streams:
        out["one_job"] = streams[ONE_JOB_STREAM].random(n) < f.one_job_share
        out["capacity"] = np.where(out["one_job"], 1, capacity)
    if EVIDENCE_STREAM in streams:
        out["evidence_z"] = streams[EVIDENCE_STREAM].standard_normal(n)
    return out


def trait_streams(cfg: Config) -> dict[int, np.random.Generator]:
    """The streams of the optional traits whose mechanism is on, by spawn key."""
    f = cfg.freelancers
    on = {
        ACTIVITY_STREAM: f.occasional_share + f.part_time_share > 0,
        ONE_JOB_STREAM: f.one_job_share > 0,
        EVIDENCE_STREAM: cfg.clients.expertise_signal_weight > 0,
    }
    return {key: population_rng(cfg, key) for key, wanted in on.items() if wanted}


def add_clients(model: MarketplaceModel, n: int, step: int) -> None:
    """Draw ``n`` clients' posting rates and choice weights, append rows, create agents."""
    if n <= 0:
        return
    j = model.config.jobs
    g = model.pop_rng
    post_rate = g.gamma(j.post_rate_shape, j.post_rate / j.post_rate_shape, n)
    _store_clients(model, step, post_rate, g.standard_normal((5, n)))


def _store_clients(
    model: MarketplaceModel, step: int, post_rate: np.ndarray, z: np.ndarray
) -> None:
    """Append the rows of clients with these draws, create their Mesa agents.

    ``z``: the (5, n) standard normals of their choice weights.
    """
    cl = model.clients
    mult = np.exp(model.config.clients.weight_sd * z)
    rows = cl.append(
        post_rate.size,
        active=True,
        entry_step=step,
        post_rate=post_rate,
        m_reputation=mult[0],
        m_price=mult[1],
        m_profile=mult[2],
        m_communication=mult[3],
        m_fit=mult[4],
    )
    cl.col("agent_id")[rows[0] :] = make_agents(Client, model, rows, model.client_agents)


def prior_history(model: MarketplaceModel, rows: np.ndarray, mean_jobs: float) -> None:
    """Give the initial freelancers a track record from before week 1 (Lukac & Grow 2020).

    floor(Exponential(mean)) jobs each, in the home niche, delivered, privately judged and
    publicly rated as on the platform (a stream of its own spawned from the population
    seed: history is part of who the people are). No money moves: those earnings were
    made before the simulated period.
    """
    cfg, fl = model.config, model.freelancers
    # Its own stream, spawned from the population seed: how many draws a history takes
    # depends on world settings (review probability), which must not shift who enters.
    g = population_rng(cfg, PRIOR_HISTORY_STREAM)
    k = np.floor(g.exponential(mean_jobs, rows.size)).astype(np.int64)
    f = np.repeat(rows, k)
    if f.size == 0:
        return
    fit = delivery.niche_fit(
        np.ones(f.size, bool), fl.niche_focus[f], cfg.freelancers.generalist_fit
    )
    _, _, _, outcome, reviewed, st = deliver(model, g, f, fit, cfg.reviews.leniency)
    record_feedback(model, 0, f, outcome, reviewed, st)
    bump(np.add, fl.jobs_completed, f)
    bump(np.add, fl.hires, f)
    fe = cfg.freelancers
    fl.expertise[rows] = delivery.learned_expertise(
        fl.expertise0[rows], fl.jobs_completed[rows], fe.learning_gain, fe.learning_scale
    )


def exits(model: MarketplaceModel, t: int) -> None:
    """Idle freelancers may stop seeking work (more likely the longer idle), then clients leave.

    A freelancer stops only without open contracts: it leaves, its profile deleted, or with
    ``freelancers.dormancy`` goes dormant (still listed), and dormant profiles are deleted at
    a hazard of their own. One-job freelancers stop once their job is done. A client who
    leaves (constant hazard) posts no more jobs but still pays for its open contracts. Rows
    stay; Mesa agents are removed when a profile is deleted.
    """
    fl, cl, rng = model.freelancers, model.clients, model.rng
    fe = model.config.freelancers
    if model.compiled:
        kernels = fastpaths.tables(model)
        idle = (
            (fl.active, fl.load, fl.last_work_step, fl.one_job, fl.hires, fl.exit_step),
            kernels.par("exits", model, _exit_parameters),
            fe.one_job_share > 0,
        )
        if not fe.dormancy:  # nothing drawn between the freelancers' and clients' exits
            leave, gone = kernels.upkeep.exits_without_dormancy(
                kernels.rng_at,
                t,
                *idle,
                fl.deleted_step,
                (cl.active, cl.exit_step),
                model.config.clients.exit_hazard,
            )
            _remove_agents(model, model.freelancer_agents, leave)
            _remove_agents(model, model.client_agents, gone)
            return
        leave = kernels.upkeep.idle_exits(kernels.rng_at, t, *idle)
    else:
        idle_rows = np.flatnonzero(fl.active & (fl.load == 0))
        weeks_idle = t - fl.last_work_step[idle_rows]
        p = exit_probability(weeks_idle, fe)
        stop = rng.random(idle_rows.size) < p
        if fe.one_job_share > 0:  # their one job done
            stop |= fl.one_job[idle_rows] & (fl.hires[idle_rows] > 0)
        leave = idle_rows[stop]
        fl.active[leave] = False
        fl.exit_step[leave] = t
    if fe.dormancy:
        _delete_dormant(model, t)  # those dormant before this week
        fl.dormant[leave] = True
        fl.dormant_step[leave] = t
    else:
        fl.deleted_step[leave] = t
        _remove_agents(model, model.freelancer_agents, leave)

    hazard = model.config.clients.exit_hazard
    if model.compiled:
        kernels = fastpaths.tables(model)
        gone = kernels.upkeep.client_exits(kernels.rng_at, t, cl.active, cl.exit_step, hazard)
    else:
        act_rows = np.flatnonzero(cl.active)
        gone = act_rows[rng.random(act_rows.size) < hazard]
        cl.active[gone] = False
        cl.exit_step[gone] = t
    _remove_agents(model, model.client_agents, gone)


def _exit_parameters(model: MarketplaceModel) -> np.ndarray:
    """The keys ``kernels_upkeep.idle_exits`` reads, in its order."""
    fe = model.config.freelancers
    return np.array([fe.exit_max, fe.exit_base, fe.exit_idle_slope])


def _delete_dormant(model: MarketplaceModel, t: int) -> None:
    """Each dormant profile is deleted with probability ``freelancers.delete_rate``."""
    fl, rate = model.freelancers, model.config.freelancers.delete_rate
    rows = np.flatnonzero(fl.dormant)
    if rows.size == 0 or rate == 0:
        return
    gone = rows[model.rng.random(rows.size) < rate]
    fl.dormant[gone] = False
    fl.deleted_step[gone] = t
    _remove_agents(model, model.freelancer_agents, gone)


def reactivate(model: MarketplaceModel, rows: np.ndarray) -> None:
    """Dormant freelancers among ``rows`` who took a job are active again (seeking work)."""
    fl = model.freelancers
    back = rows[fl.dormant[rows]]
    if back.size:
        fl.dormant[back] = False
        fl.active[back] = True
        fl.exit_step[back] = -1


def _remove_agents(model: MarketplaceModel, agents: list[Any], rows: np.ndarray) -> None:
    """Deregister the Mesa agents of ``rows`` and forget them (their rows stay)."""
    if rows.size == 0:
        return
    rows_ = rows.tolist()
    deregister(model, [agents[r] for r in rows_])
    for r in rows_:
        agents[r] = None


def make_agents(
    cls: type[Freelancer] | type[Client],
    model: MarketplaceModel,
    rows: np.ndarray | range,
    out: list[Any],
) -> np.ndarray:
    """Create one Mesa agent per row, append them to ``out``; returns their unique ids.

    The agents are registered in one go when Mesa's per-agent calls would make no
    difference (``agents.register``). Python's cyclic garbage collector is paused meanwhile
    (from :data:`GC_PAUSE` agents): a million new agents would otherwise trigger thousands
    of collections, each traversing every live agent so far, about a third of the set-up
    time; none of these objects is garbage.
    """
    first = model.agent_id_counter
    rows_ = rows if isinstance(rows, range) else rows.tolist()
    if len(rows_) < GC_PAUSE:  # a few agents: pausing costs more than it saves
        agents, consecutive = register(cls, model, rows_)
    else:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            agents, consecutive = register(cls, model, rows_)
        finally:
            if was_enabled:
                gc.enable()
    out.extend(agents)
    if consecutive:
        return np.arange(first, first + len(agents), dtype=np.int64)
    return np.fromiter((a.unique_id for a in agents), dtype=np.int64, count=len(agents))


#: Agents made at once from which :func:`make_agents` pauses the garbage collector.
GC_PAUSE = 256


def exit_probability(weeks_idle: np.ndarray, fe: FreelancersSection) -> np.ndarray:
    """The weekly exit hazard of an idle freelancer (ODD 7.1), capped at ``exit_max``."""
    return np.minimum(fe.exit_max, fe.exit_base + fe.exit_idle_slope * weeks_idle)
