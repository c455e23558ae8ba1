"""The compiled entry of a week: ``population.enter`` with the draws taken by a kernel.

``kernels_enter.draw_week`` draws the week's entrants from the population stream as
``population.enter`` does (see :mod:`marketplace_sim.market.kernels_enter`) and writes their
traits into the free rows after the live ones of the tables (``Table.free_rows``), which are then
added (``Table.add``); what is left (numpy's ``exp`` of the rates and choice weights, the
optional traits, the Mesa agents) is done here as ``population`` does it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from marketplace_sim.model import population
from marketplace_sim.model.agents import Client, Freelancer

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel
    from marketplace_sim.model.state import Table


def enter(model: MarketplaceModel, t: int) -> None:
    """``population.enter`` with the draws taken by a kernel (``kernels_enter.draw_week``).

    The kernel writes the entrants' traits into the free rows after the live ones
    (``Table.free_rows``), which are then added; the same draws in the same order as
    ``add_freelancers`` and ``add_clients``, whose numpy code draws the rest in
    the rare week with more entrants than free rows. The rates and choice weights are
    numpy's ``exp`` of the kernel's scaled normals, as there.
    """
    e = _entry(model)
    fl, cl = model.freelancers, model.clients
    n, m, z = e.draw_week(
        e.at,
        e.beta,
        population.niche_cdf(model),
        e.par,
        t,
        e.columns(fl, _FL_DRAWN),
        fl.n,
        fl.free_rows(e.fl_rows),
        e.columns(cl, _CL_DRAWN),
        cl.n,
        cl.free_rows(e.cl_rows),
    )
    if m < 0:  # more freelancers than free rows: only their number drawn
        population.add_freelancers(model, n, t)
        population.add_clients(model, int(model.pop_rng.poisson(e.client_entry_rate)), t)
        return
    if n > 0:
        start = fl.n
        fl.add(n)
        rate = fl.rate[start:]  # rate_sigma * the normals
        x = np.exp(rate)
        np.maximum(np.multiply(e.rate_median, x, out=x), e.rate_floor, out=rate)
        if model.trait_streams:
            for name, v in population.optional_traits(model, n, fl.capacity[start:]).items():
                fl.col(name)[start:] = v
        ids = population.make_agents(
            Freelancer, model, range(start, start + n), model.freelancer_agents
        )
        fl.col("agent_id")[start:] = ids
    if m > 0 and z.size == 0:  # more clients than free rows: only their number drawn
        population.add_clients(model, m, t)
    elif m > 0:
        start = cl.n
        data, _ = cl.add(m)
        mult = np.exp(z)
        end = start + m
        for i, name in enumerate(_CL_WEIGHTS):
            data[name][start:end] = mult[i]
        ids = population.make_agents(Client, model, range(start, end), model.client_agents)
        cl.col("agent_id")[start:] = ids


# the columns the entry kernel writes, in its order (the traits as population.BETA_TRAITS)
_FL_DRAWN = (
    "expertise0",
    "expertise",
    "communication",
    "reliability",
    "profile",
    "niche_focus",
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
    """What the entry kernel needs of one model, made once per population stream and config."""

    def __init__(self, model: MarketplaceModel) -> None:
        from marketplace_sim.market import jit, kernels_enter  # imports numba

        cfg = model.config
        f, j, m = cfg.freelancers, cfg.jobs, cfg.market
        self.rng, self.config = model.pop_rng, cfg
        self.draw_week = kernels_enter.draw_week
        self.at = jit.generator_addresses(model.pop_rng)
        self.beta = np.array([[getattr(f, k).a, getattr(f, k).b] for k in population.BETA_TRAITS])
        self.par = np.array(
            [
                m.entry_rate,
                m.client_entry_rate,
                f.capacity_max,
                f.rate_sigma,
                j.post_rate_shape,
                j.post_rate / j.post_rate_shape,  # as add_clients computes it
                cfg.clients.weight_sd,
            ]
        )
        self.client_entry_rate = m.client_entry_rate
        # free rows to have for a week's entrants: more than a Poisson count ever reaches
        # but in a week in millions (the rest: numpy's draws, in add_freelancers/add_clients)
        self.fl_rows = int(3 * m.entry_rate) + 16
        self.cl_rows = int(3 * m.client_entry_rate) + 16
        self.rate_median, self.rate_floor = f.rate_median, f.rate_floor
        self._columns: dict[tuple[str, ...], tuple[np.ndarray, ...]] = {}

    def columns(self, table: Table, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
        """``names``' columns of ``table`` at full capacity (kept while it keeps its arrays)."""
        cols = self._columns.get(names)
        data = table.buffers
        if cols is None or cols[0] is not data[names[0]]:
            cols = self._columns[names] = tuple(data[name] for name in names)
        return cols


def _entry(model: MarketplaceModel) -> _Entry:
    """The model's :class:`_Entry` (made again for another population stream or config)."""
    e: _Entry | None = model.__dict__.get("_entry")
    if e is None or e.rng is not model.pop_rng or e.config is not model.config:
        e = model._entry = _Entry(model)
    return e
