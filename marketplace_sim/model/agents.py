"""Mesa agents as handles onto the columnar state.

Every freelancer and client is a real Mesa agent (registered in ``model.agents``, removed when
it leaves), but its state lives in the model's numpy tables (``state.py``): an agent holds only
its row number. Reading ``agent.rating`` reads the array, so Mesa's AgentSet API (``select``,
``agg``, ``get``, ``groupby``) works on live values while the weekly market is cleared with array
operations and never calls into an agent.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from marketplace_sim.model._mesa import mesa

if TYPE_CHECKING:
    from marketplace_sim.model.marketplace import MarketplaceModel


def _column_property(table: str, column: str, doc: str, cast: type = float) -> property:
    def getter(self: _RowAgent) -> object:
        return cast(getattr(self.model, table).col(column)[self.row])

    return property(getter, doc=doc)


class _RowAgent(mesa.Agent):
    """A Mesa agent bound to one row of a model table."""

    model: MarketplaceModel

    def __init__(self, model: MarketplaceModel, row: int) -> None:
        super().__init__(model)
        self.row = int(row)


class Freelancer(_RowAgent):
    """A freelancer: traits (the six factors), rate, capacity, reputation and earnings."""

    expertise = _column_property("freelancers", "expertise0", "innate expertise in [0, 1]")
    expertise_now = _column_property(
        "freelancers", "expertise", "current expertise (grows with jobs done)"
    )
    communication = _column_property("freelancers", "communication", "communication in [0, 1]")
    reliability = _column_property("freelancers", "reliability", "on-time probability")
    profile = _column_property("freelancers", "profile", "profile strength in [0, 1]")
    niche_focus = _column_property("freelancers", "niche_focus", "specialisation in [0, 1]")
    home_niche = _column_property("freelancers", "home_niche", "home niche", int)
    rate = _column_property("freelancers", "rate", "hourly rate (USD/hour)")
    capacity = _column_property("freelancers", "capacity", "concurrent contracts at most", int)
    load = _column_property("freelancers", "load", "open contracts now", int)
    jobs_completed = _column_property("freelancers", "jobs_completed", "jobs completed", int)
    n_reviews = _column_property("freelancers", "n_reviews", "public reviews received", int)
    top_rated = _column_property("freelancers", "top_rated", "holds the Top Rated badge", bool)
    active = _column_property("freelancers", "active", "seeking work on the platform", bool)
    dormant = _column_property(
        "freelancers", "dormant", "listed but not seeking work (freelancers.dormancy)", bool
    )
    activity = _column_property(
        "freelancers", "activity", "how often it applies, 1 = full-time (occasional < 1)"
    )

    @property
    def earnings(self) -> float:
        """Cumulative net earnings (USD)."""
        return self.model.freelancers.col("earnings")[self.row] / 100.0

    @property
    def rating(self) -> float:
        """Public rating as displayed (NaN without reviews)."""
        return float(self.model.displayed_ratings()[self.row])

    @property
    def jss(self) -> float:
        """Job success score (NaN while hidden)."""
        return float(self.model.job_success_scores()[self.row])

    @property
    def never_hired(self) -> bool:
        """True if the freelancer has never been hired (no contract started)."""
        return self.model.freelancers.col("hires")[self.row] == 0

    def __repr__(self) -> str:
        r = self.rating
        shown = "-" if math.isnan(r) else f"{r:.2f}"
        return (
            f"Freelancer(id={self.unique_id}, expertise={self.expertise:.2f}, "
            f"jobs={self.jobs_completed}, rating={shown}, earnings={self.earnings:.0f})"
        )


class Client(_RowAgent):
    """A client: posts jobs, chooses among applicants, pays, reviews, may rehire."""

    post_rate = _column_property("clients", "post_rate", "jobs posted per week (mean)")
    open_contracts = _column_property("clients", "open_contracts", "open contracts", int)
    jobs_posted = _column_property("clients", "jobs_posted", "jobs posted so far", int)

    @property
    def spend(self) -> float:
        """Total paid for completed contracts (USD)."""
        return self.model.clients.col("spend")[self.row] / 100.0


# ----------------------------------------------------------------------------------------------
# Registering and removing many agents at once

#: The Mesa release whose ``Agent.__init__``, ``Agent.remove``, ``Model.register_agent`` and
#: ``Model.deregister_agent`` :func:`register` and :func:`deregister` were checked against
#: (their source in ``mesa/agent.py`` and ``mesa/model.py``). Another release: Mesa's calls.
MESA_CHECKED = "3.5."


def _registries(
    model: Any, cls: type[_RowAgent], signal: Any
) -> tuple[dict[Any, None], dict[Any, None] | None] | None:
    """Mesa's agent registries (all agents, ``cls``'s), when they may be written directly.

    They may when nothing would see the difference from Mesa's own per-agent calls: the Mesa
    release checked, the agent classes' and model's registration methods Mesa's own, no data
    set tracking ``cls``, no subscriber to ``signal`` and no signal batch open, and Mesa's
    debug log off (it logs each registration). Otherwise None: register one by one.
    """
    mm = mesa.model
    if (
        not mesa.__version__.startswith(MESA_CHECKED)
        or cls.__init__ is not _RowAgent.__init__
        or cls.remove is not mesa.Agent.remove
        or type(model).register_agent is not mesa.Model.register_agent
        or type(model).deregister_agent is not mesa.Model.deregister_agent
        or cls._datasets
        or model._batch_context is not None
        or model._has_subscribers("agents", signal)
        or mm._mesa_logger.isEnabledFor(logging.DEBUG)
        or type(model._all_agents) is not mm._HardKeyAgentSet
    ):
        return None
    of_type = model._agents_by_type.get(cls)
    if of_type is not None and type(of_type) is not mm._HardKeyAgentSet:
        return None
    return model._all_agents._agents, None if of_type is None else of_type._agents


def register(
    cls: type[_RowAgent], model: MarketplaceModel, rows: Sequence[int]
) -> tuple[list[Any], bool]:
    """One Mesa agent of class ``cls`` per row, registered with ``model``, in order.

    Returns the agents, and True if they were registered here: then their ids are
    consecutive, from ``model.agent_id_counter`` before the call.

    The same agents, ids and registries as ``[cls(model, r) for r in rows]``, which Mesa runs
    per agent (``Agent.__init__``, ``Model.register_agent`` and its signal, about 1.6 us an
    agent); here the agents' attributes are set and the registries extended at once (0.3 us),
    when nothing could tell the difference (:func:`_registries`).
    """
    reg = _registries(model, cls, mesa.model.ModelSignals.AGENT_ADDED)
    if reg is None:
        return [cls(model, r) for r in rows], False
    every, of_type = reg
    first = model.agent_id_counter
    new = cls.__new__
    agents = []
    for uid, r in enumerate(rows, first):
        agent = new(cls)
        # as Agent.__init__ (model, unique_id by register_agent, pos), then _RowAgent's row;
        # attribute by attribute (3x faster than __dict__.update, which materialises a dict)
        agent.model = model
        agent.unique_id = uid
        agent.pos = None
        agent.row = r
        agents.append(agent)
    model.agent_id_counter = first + len(agents)
    added = dict.fromkeys(agents)
    every.update(added)
    if of_type is None:
        model._agents_by_type[cls] = mesa.model._HardKeyAgentSet(agents, random=model.random)
    else:
        of_type.update(added)
    return agents, True


def deregister(model: MarketplaceModel, agents: list[Any]) -> None:
    """``agent.remove()`` for each of ``agents`` (all of one class), at once when it may be."""
    if not agents:
        return
    cls = type(agents[0])
    reg = _registries(model, cls, mesa.model.ModelSignals.AGENT_REMOVED)
    # one class: checked by a C-level pass (a generator in ``any`` costs more than the removal)
    if reg is None or reg[1] is None or (len(agents) > 1 and set(map(type, agents)) != {cls}):
        for a in agents:
            a.remove()
        return
    every, of_type = reg[0], reg[1]
    pop = of_type.pop
    for a in agents:  # Model.deregister_agent: its type's set, then all agents (if it was in)
        if pop(a, _ABSENT) is not _ABSENT:
            every.pop(a, None)


#: What ``dict.pop`` returns for an agent not in its type's set (the registries hold None).
_ABSENT = object()
