"""Agents registered and removed in one go are exactly the agents Mesa's own calls make.

``agents.register`` and ``agents.deregister`` write Mesa's registries directly when nothing
could tell the difference (no subscriber to the agent signals, no data set, Mesa's debug log
off, the checked Mesa release); these tests compare them, agent by agent, with Mesa's own
per-agent path, and check that whoever could tell the difference gets Mesa's own path.
"""

import logging
from pathlib import Path

import numpy as np
import pytest

from marketplace_sim.config import load_config
from marketplace_sim.model import agents as agents_mod
from marketplace_sim.model._mesa import mesa
from marketplace_sim.model.agents import Client, Freelancer, deregister, register
from marketplace_sim.model.marketplace import MarketplaceModel

SMOKE = Path(__file__).resolve().parents[1] / "configs" / "smoke.toml"
ADDED = mesa.model.ModelSignals.AGENT_ADDED
REMOVED = mesa.model.ModelSignals.AGENT_REMOVED


def _state(model):
    """Everything registration touches: the registries in order, ids, the agents' attributes."""
    return (
        [(type(a).__name__, a.unique_id, vars(a)) for a in model.agents],
        {cls.__name__: [a.unique_id for a in s] for cls, s in model.agents_by_type.items()},
        model.agent_id_counter,
    )


def _scenario(model, mesa_path: bool):
    """Register freelancers and clients, remove some, register more (a type new to the model)."""

    class Late(Freelancer):  # a class the model has no agent set for yet
        pass

    def reg(cls, rows):
        if mesa_path:
            return [cls(model, r) for r in rows]
        agents, at_once = register(cls, model, rows)
        assert at_once  # the fast path itself is what is compared, not Mesa's fallback
        return agents

    def rm(agents):
        if mesa_path:
            for a in agents:
                a.remove()
        else:
            deregister(model, agents)

    f = reg(Freelancer, [7, 8, 9, 10])
    c = reg(Client, [0, 1])
    rm([f[1], f[3]])
    rm([c[0]])
    rm([f[1]])  # removed twice: as Mesa's remove(), nothing happens
    reg(Freelancer, [11])
    reg(Late, [12, 13])
    return _state(model)


def _empty_model():
    model = MarketplaceModel(load_config(SMOKE))
    model.remove_all_agents()
    return model


def test_registering_at_once_equals_mesas_own_calls():
    assert mesa.__version__.startswith(agents_mod.MESA_CHECKED)  # the fast path is in use
    fast, slow = _empty_model(), _empty_model()
    got, want = _scenario(fast, False), _scenario(slow, True)
    assert _without_model(got) == _without_model(want)  # classes compared by name
    assert all(a.model is fast for a in fast.agents)
    assert len(got[0]) == 6  # 4 + 1 freelancers and 2 Late registered, 2 removed; 1 client
    assert got[2] == want[2] == got[0][0][1] + 9  # 9 ids handed out, as by Mesa


def _without_model(state):
    """``_state`` without each agent's model (two models compared)."""
    rows = [(n, i, {k: v for k, v in d.items() if k != "model"}) for n, i, d in state[0]]
    return rows, *state[1:]


def test_whoever_listens_gets_mesas_signals():
    model = _empty_model()
    seen = []

    def added(signal):  # Mesa holds handlers by weak reference: kept alive here
        seen.append(("+", signal.additional_kwargs["args"][0].unique_id))

    def removed(signal):
        seen.append(("-", signal.additional_kwargs["args"][0].unique_id))

    model.observe("agents", ADDED, added)
    model.observe("agents", REMOVED, removed)
    made, fast = register(Freelancer, model, [1, 2])
    assert not fast
    deregister(model, made[:1])
    a, b = (x.unique_id for x in made)
    assert seen == [("+", a), ("+", b), ("-", a)]


def test_debug_log_and_data_sets_take_mesas_path(monkeypatch):
    model = _empty_model()
    logger = mesa.model._mesa_logger
    monkeypatch.setattr(logger, "isEnabledFor", lambda level: level == logging.DEBUG)
    assert agents_mod._registries(model, Freelancer, ADDED) is None
    monkeypatch.undo()
    assert agents_mod._registries(model, Freelancer, ADDED) is not None
    monkeypatch.setattr(Freelancer, "_datasets", {"tracked"})
    assert agents_mod._registries(model, Freelancer, ADDED) is None


@pytest.mark.parametrize("steps", [30])
def test_a_run_registers_every_live_agent(steps):
    """After a run the registries hold exactly the agents of the rows still listed."""
    model = MarketplaceModel(load_config(SMOKE, {"run.steps": steps}))
    model.run_for(steps)
    fl, cl = model.freelancers, model.clients
    live_f = [a for a in model.freelancer_agents if a is not None]
    live_c = [a for a in model.client_agents if a is not None]
    assert [a.row for a in live_f] == [int(r) for r in (fl.deleted_step == -1).nonzero()[0]]
    assert [a.row for a in live_c] == [int(r) for r in cl.active.nonzero()[0]]
    assert list(model.agents_by_type[Freelancer]) == live_f
    assert list(model.agents_by_type[Client]) == live_c
    assert list(model.agents) == sorted(live_f + live_c, key=lambda a: a.unique_id)
    assert model.agent_id_counter == 1 + fl.n + cl.n


@pytest.mark.parametrize("rows", [range(40, 43), np.arange(10, 10 + 300)])
def test_make_agents_pauses_the_collector_only_for_many(rows, monkeypatch):
    """``population.make_agents`` takes a range or an array of rows; from ``GC_PAUSE`` agents
    the cyclic collector is off while they are made (and on again after), below it stays on."""
    import gc

    from marketplace_sim.model import population

    seen = []
    original = agents_mod.register

    def spying(cls, model, rows_):
        seen.append(gc.isenabled())
        return original(cls, model, rows_)

    model = _empty_model()
    monkeypatch.setattr(population, "register", spying)
    first = model.agent_id_counter
    out: list = []
    assert gc.isenabled()
    ids = population.make_agents(Freelancer, model, rows, out)
    assert gc.isenabled()
    assert seen == [len(rows) < population.GC_PAUSE]
    assert ids.tolist() == list(range(first, first + len(rows)))
    assert [a.row for a in out] == list(rows) and [a.unique_id for a in out] == ids.tolist()
    assert len(model.agents) == len(rows)


def test_removing_unregistered_repeated_and_mixed_agents_equals_mesas_own_calls():
    """An agent listed twice, one removed before, and a list of two classes: as ``remove()``."""

    def scenario(model, fast):
        f = [Freelancer(model, r) for r in range(6)]
        c = [Client(model, r) for r in range(3)]
        f[4].remove()
        batches = [[f[0], f[0], f[2]], [f[4], f[5]], [c[1], f[1]], [c[1]]]
        for batch in batches:
            if fast:
                deregister(model, batch)
            else:
                for a in batch:
                    a.remove()
        return _state(model)

    got, want = scenario(_empty_model(), True), scenario(_empty_model(), False)
    assert _without_model(got) == _without_model(want)
    assert sorted(a["row"] for _, _, a in got[0]) == [0, 2, 3]  # freelancer 3, clients 0, 2
