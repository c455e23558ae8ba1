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
from marketplace_sim.model import fastpaths
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
        _enter_compiled(model, t)
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


def _enter_compiled(model: MarketplaceModel, t: int) -> None:
    """:func:`enter` with the traits drawn by kernels into the new rows (``kernels_enter``).

    The same draws in the same order: the number of freelancers and their traits, then the
    number of clients and theirs; the rates and choice weights are numpy's ``exp`` of the
    kernels' scaled normals, as in :func:`add_freelancers` and :func:`add_clients`.
    """
    e = _entry(model)
    g = model.pop_rng
    n = int(g.poisson(e.entry_rate))
    if n > 0:
        fl = model.freelancers
        data, start = fl.add(n)
        cols = e.columns(data, _FL_DRAWN)
        e.draw_freelancers(e.at, e.beta, niche_cdf(model), e.fl_par, t, start, n, cols)
        rate = fl.rate[start:]  # rate_sigma * the normals
        x = np.exp(rate)
        np.maximum(np.multiply(e.rate_median, x, out=x), e.rate_floor, out=rate)
        if model.trait_streams:
            for name, v in optional_traits(model, n, fl.capacity[start:]).items():
                fl.col(name)[start:] = v
        ids = make_agents(Freelancer, model, np.arange(start, start + n), model.freelancer_agents)
        fl.col("agent_id")[start:] = ids
    n = int(g.poisson(e.client_entry_rate))
    if n > 0:
        cl = model.clients
        data, start = cl.add(n)
        mult = np.exp(e.draw_clients(e.at, e.cl_par, t, start, n, e.columns(data, _CL_DRAWN)))
        end = start + n
        for i, name in enumerate(_CL_WEIGHTS):
            data[name][start:end] = mult[i]
        ids = make_agents(Client, model, np.arange(start, end), model.client_agents)
        cl.col("agent_id")[start:] = ids


# the columns the entry kernels write, in their order
_FL_DRAWN = (
    "expertise0",
    *BETA_TRAITS,
    "home_niche",
    "capacity",
    "rate",
    "active",
    "entry_step",
    "last_work_step",
)
_CL_DRAWN = ("post_rate", "active", "entry_step")
_CL_WEIGHTS = ("m_reputation", "m_price", "m_profile", "m_communication", "m_fit")


class _Entry:
    """What the entry kernels need of one model, made once per population stream and config."""

    def __init__(self, model: MarketplaceModel) -> None:
        from marketplace_sim.market import jit, kernels_enter  # imports numba

        cfg = model.config
        f, j, m = cfg.freelancers, cfg.jobs, cfg.market
        self.rng, self.config = model.pop_rng, cfg
        self.draw_freelancers = kernels_enter.draw_freelancers
        self.draw_clients = kernels_enter.draw_clients
        self.at = jit.generator_addresses(model.pop_rng)
        self.beta = np.array([[getattr(f, k).a, getattr(f, k).b] for k in BETA_TRAITS])
        self.fl_par = np.array([f.capacity_max, f.rate_sigma])
        # post_rate / post_rate_shape as add_clients computes it
        self.cl_par = np.array(
            [j.post_rate_shape, j.post_rate / j.post_rate_shape, cfg.clients.weight_sd]
        )
        self.entry_rate, self.client_entry_rate = m.entry_rate, m.client_entry_rate
        self.rate_median, self.rate_floor = f.rate_median, f.rate_floor
        self._columns: dict[tuple[str, ...], tuple[np.ndarray, ...]] = {}

    def columns(
        self, data: dict[str, np.ndarray], names: tuple[str, ...]
    ) -> tuple[np.ndarray, ...]:
        """``names``' columns of ``data`` (kept while the table keeps its arrays)."""
        cols = self._columns.get(names)
        if cols is None or cols[0] is not data[names[0]]:
            cols = self._columns[names] = tuple(data[name] for name in names)
        return cols


def _entry(model: MarketplaceModel) -> _Entry:
    e: _Entry | None = model.__dict__.get("_entry")
    if e is None or e.rng is not model.pop_rng or e.config is not model.config:
        e = model._entry = _Entry(model)
    return e


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
        leave = kernels.upkeep.idle_exits(
            kernels.rng_at,
            t,
            (fl.active, fl.load, fl.last_work_step, fl.one_job, fl.hires, fl.exit_step),
            np.array([fe.exit_max, fe.exit_base, fe.exit_idle_slope]),
            fe.one_job_share > 0,
        )
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
    rows: np.ndarray,
    out: list[Any],
) -> np.ndarray:
    """Create one Mesa agent per row, append them to ``out``; returns their unique ids.

    The agents are registered in one go when Mesa's per-agent calls would make no
    difference (``agents.register``). Python's cyclic garbage collector is paused meanwhile:
    a million new agents would otherwise trigger thousands of collections, each traversing
    every live agent so far, about a third of the set-up time; none of these objects is
    garbage.
    """
    first = model.agent_id_counter
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        agents, consecutive = register(cls, model, rows.tolist())
    finally:
        if was_enabled:
            gc.enable()
    out.extend(agents)
    if consecutive:
        return np.arange(first, first + len(agents), dtype=np.int64)
    return np.fromiter((a.unique_id for a in agents), dtype=np.int64, count=len(agents))


def exit_probability(weeks_idle: np.ndarray, fe: FreelancersSection) -> np.ndarray:
    """The weekly exit hazard of an idle freelancer (ODD 7.1), capped at ``exit_max``."""
    return np.minimum(fe.exit_max, fe.exit_base + fe.exit_idle_slope * weeks_idle)
