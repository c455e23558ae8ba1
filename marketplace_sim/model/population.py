"""The population: who is in the market, when they come, what they are like, when they go.

Freelancers and clients enter with traits drawn from the population stream (``model.pop_rng``,
seeded by ``run.population_seed``), so that one population can be replayed in several worlds that
differ only in market luck. The initial freelancers may bring a track record from before week 1
(a warm start, drawn on a stream of its own). Exits are decided by the market stream
(``model.rng``): who gives up depends on what happened to them.

The order of the random draws here is part of the results: changing it changes every fixed-seed
run.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

import numpy as np

from marketplace_sim.config import Config
from marketplace_sim.market import delivery
from marketplace_sim.model.agents import Client, Freelancer
from marketplace_sim.model.contracts import deliver, record_feedback
from marketplace_sim.model.state import bump

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel

POPULATION_STREAM = 0x706F70  # spawn key that separates the population stream from the market's
PRIOR_HISTORY_STREAM = 1  # second spawn key of the warm-start history's stream


def population_rng(cfg: Config, *spawn_key: int) -> np.random.Generator:
    """The population stream of a world (with ``spawn_key``, a stream spawned from it)."""
    seq = np.random.SeedSequence(cfg.population_seed, spawn_key=(POPULATION_STREAM, *spawn_key))
    return np.random.Generator(np.random.PCG64(seq))


def niche_popularity(niches: int, skew: float) -> np.ndarray:
    """Share of jobs posted in each niche: Zipf with exponent ``skew``."""
    ranks = np.arange(1, niches + 1, dtype=np.float64)
    pop = ranks ** (-skew)
    return pop / pop.sum()


def populate(model: MarketplaceModel) -> None:
    """The market at week 0: the initial freelancers (with any prior history), then clients."""
    m = model.config.market
    add_freelancers(model, m.freelancers, 0)
    if m.prior_jobs_mean > 0:
        prior_history(model, np.arange(model.freelancers.n), m.prior_jobs_mean)
    add_clients(model, m.clients, 0)


def enter(model: MarketplaceModel, t: int) -> None:
    """Newcomers of week ``t``: Poisson numbers of freelancers, then of clients."""
    m, g = model.config.market, model.pop_rng
    add_freelancers(model, int(g.poisson(m.entry_rate)), t)
    add_clients(model, int(g.poisson(m.client_entry_rate)), t)


def add_freelancers(model: MarketplaceModel, n: int, step: int) -> None:
    """Draw ``n`` freelancers' traits, append their rows and create their Mesa agents."""
    if n <= 0:
        return
    f = model.config.freelancers
    g = model.pop_rng
    traits = {
        name: g.beta(getattr(f, name).a, getattr(f, name).b, n)
        for name in ("expertise", "communication", "reliability", "profile", "niche_focus")
    }
    home = g.choice(model.config.market.niches, n, p=model.niche_popularity)
    capacity = g.integers(1, f.capacity_max + 1, n)
    rate = f.rate_median * np.exp(f.rate_sigma * g.standard_normal(n))
    rows = model.freelancers.append(
        n,
        active=True,
        entry_step=step,
        last_work_step=step,
        expertise0=traits["expertise"],
        expertise=traits["expertise"],
        communication=traits["communication"],
        reliability=traits["reliability"],
        profile=traits["profile"],
        niche_focus=traits["niche_focus"],
        home_niche=home,
        capacity=capacity,
        rate=np.maximum(rate, f.rate_floor),
    )
    ids = make_agents(Freelancer, model, rows, model.freelancer_agents)
    model.freelancers.col("agent_id")[rows] = ids


def add_clients(model: MarketplaceModel, n: int, step: int) -> None:
    """Draw ``n`` clients' posting rates and choice weights, append rows, create agents."""
    if n <= 0:
        return
    j, c = model.config.jobs, model.config.clients
    g = model.pop_rng
    post_rate = g.gamma(j.post_rate_shape, j.post_rate / j.post_rate_shape, n)
    mult = np.exp(c.weight_sd * g.standard_normal((5, n)))
    rows = model.clients.append(
        n,
        active=True,
        entry_step=step,
        post_rate=post_rate,
        m_reputation=mult[0],
        m_price=mult[1],
        m_profile=mult[2],
        m_communication=mult[3],
        m_fit=mult[4],
    )
    model.clients.col("agent_id")[rows] = make_agents(Client, model, rows, model.client_agents)


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
    """Idle freelancers may leave (more likely the longer idle), then clients at a constant hazard.

    A client who leaves posts no more jobs but still pays for its open contracts; a freelancer
    leaves only without open contracts. Both keep their rows; their Mesa agents are removed.
    """
    fl, cl, rng = model.freelancers, model.clients, model.rng
    fe = model.config.freelancers
    idle_rows = np.flatnonzero(fl.active & (fl.load == 0))
    weeks_idle = t - fl.last_work_step[idle_rows]
    p = np.minimum(fe.exit_max, fe.exit_base + fe.exit_idle_slope * weeks_idle)
    leave = idle_rows[rng.random(idle_rows.size) < p]
    fl.active[leave] = False
    fl.exit_step[leave] = t
    _remove_agents(model.freelancer_agents, leave)

    act_rows = np.flatnonzero(cl.active)
    gone = act_rows[rng.random(act_rows.size) < model.config.clients.exit_hazard]
    cl.active[gone] = False
    cl.exit_step[gone] = t
    _remove_agents(model.client_agents, gone)


def _remove_agents(agents: list[Any], rows: np.ndarray) -> None:
    """Deregister the Mesa agents of ``rows`` and forget them (their rows stay)."""
    for r in rows.tolist():
        agents[r].remove()
        agents[r] = None


def make_agents(
    cls: type[Freelancer] | type[Client],
    model: MarketplaceModel,
    rows: np.ndarray,
    out: list[Any],
) -> np.ndarray:
    """Create one Mesa agent per row, append them to ``out``; returns their unique ids.

    Python's cyclic garbage collector is paused meanwhile: a million new agents would
    otherwise trigger thousands of collections, each traversing every live agent so far,
    about a third of the set-up time; none of these objects is garbage.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        agents = [cls(model, r) for r in rows.tolist()]
    finally:
        if was_enabled:
            gc.enable()
    out.extend(agents)
    return np.fromiter((a.unique_id for a in agents), dtype=np.int64, count=len(agents))
