"""Mesa semantics: seeds as mesa.Model draws them, the horizon, DataCollector agent vars."""

import mesa
import numpy as np
import pandas as pd
import pytest

from marketplace_sim import MarketplaceModel, load_config
from marketplace_sim.errors import ConfigError
from marketplace_sim.model.agents import Freelancer
from marketplace_sim.model.marketplace import fresh_seed
from marketplace_sim.model.observation import AGENT_REPORTERS

# A tiny world, as mesa.batch_run and SolaraViz pass it: keyword overrides, no config.
TINY = {
    "market__freelancers": 120,
    "market__clients": 30,
    "market__entry_rate": 1.0,
    "market__client_entry_rate": 0.25,
    "run__steps": 15,
}


def run(model):
    model.run_model()
    return model.steps_frame(), model.freelancers_frame()


def assert_same_run(a, b):
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)


def test_without_config_or_seed_every_model_draws_its_own_seed_and_records_it():
    """No config, rng=None: fresh entropy, so two models differ; the seed drawn is
    model.seed and the config's run.seed (the population follows it), and passing it back,
    as rng or through the resolved config, replays the run exactly."""
    a, b = MarketplaceModel(**TINY), MarketplaceModel(rng=None, **TINY)
    assert a.seed != b.seed  # equal with probability 2**-31
    assert a.config.run.seed == a.seed and a.config.population_seed == a.seed
    assert 0 <= a.seed < np.iinfo(np.int32).max
    run_a, run_b = run(a), run(b)
    assert not run_a[1]["expertise"].equals(run_b[1]["expertise"])  # other people
    assert not run_a[0]["gini_earnings"].equals(run_b[0]["gini_earnings"])  # other luck
    assert_same_run(run(MarketplaceModel(rng=a.seed, **TINY)), run_a)
    assert_same_run(run(MarketplaceModel(a.config)), run_a)


def test_fresh_seed_is_drawn_as_mesa_model_draws_its_seed(monkeypatch):
    """With the OS entropy pinned, fresh_seed() is the seed mesa.Model(rng=None) records."""
    real = np.random.default_rng

    def pinned(seed=None):
        return real(12345 if seed is None else seed)

    monkeypatch.setattr(np.random, "default_rng", pinned)
    assert fresh_seed() == mesa.Model(rng=None)._seed == int(real(12345).integers(2**31 - 1))
    assert MarketplaceModel(**TINY).seed == fresh_seed()


def test_explicit_seeds_stay_reproducible():
    """rng=N, run__seed=N and a config (its run.seed, even the default 1) fix the run."""
    seven = run(MarketplaceModel(rng=7, **TINY))
    assert_same_run(run(MarketplaceModel(rng=7, **TINY)), seven)
    assert_same_run(run(MarketplaceModel(run__seed=7, **TINY)), seven)
    cfg = load_config(None, {k.replace("__", "."): v for k, v in TINY.items()})
    assert cfg.run.seed == 1
    with_config = MarketplaceModel(cfg)
    assert with_config.seed == 1
    assert_same_run(run(MarketplaceModel(cfg)), run(with_config))
    assert MarketplaceModel(cfg, rng=7).seed == 7


def test_running_turns_false_at_the_horizon_and_run_model_stops_there():
    """run_model() stops after run.steps weeks; with record_every=4 the DataCollector itself
    holds the last week (as mesa.batch_run reads it), and steps_frame is unchanged."""
    model = MarketplaceModel(rng=3, **{**TINY, "run__steps": 10, "run__record_every": 4})
    for _ in range(9):
        model.step()
    assert model.running
    model.step()
    assert not model.running and model.steps == 10
    model.run_model()  # nothing left to do
    assert model.steps == 10
    assert model.datacollector.model_vars["step"] == [4, 8, 10]
    assert model.steps_frame()["step"].tolist() == [4, 8, 10]
    again = MarketplaceModel(rng=3, **{**TINY, "run__steps": 10, "run__record_every": 4})
    again.run_model()
    assert again.steps == 10


def test_agent_snapshots_are_off_by_default():
    """run.agent_every defaults to 0: no agent rows, an empty frame with the columns."""
    model = MarketplaceModel(rng=1, **TINY)
    assert model.config.run.agent_every == 0
    model.run_model()
    frame = model.datacollector.get_agent_vars_dataframe()
    assert frame.empty and list(frame.columns) == list(AGENT_REPORTERS)
    assert list(frame.index.names) == ["Step", "AgentID"]


def test_agent_vars_every_n_weeks_and_the_last_week():
    """agent_every=4 over 10 weeks (record_every=3): snapshots in weeks 4, 8 and 10, one row
    per freelancer present that week; the last equals freelancers_frame of the active."""
    model = MarketplaceModel(
        rng=5, **{**TINY, "run__steps": 10, "run__record_every": 3, "run__agent_every": 4}
    )
    present = {}
    while model.running:
        model.step()
        present[model.steps] = model.freelancers.agent_id[model.freelancers.active].tolist()
    frame = model.datacollector.get_agent_vars_dataframe()
    assert list(frame.columns) == ["earnings", "jobs", "rating", "n_reviews", "jss", "top_rated"]
    steps = frame.index.get_level_values("Step")
    assert sorted(set(steps)) == [4.0, 8.0, 10.0]
    for week in (4, 8, 10):
        assert frame.loc[float(week)].index.tolist() == present[week]
    assert model.datacollector.model_vars["step"] == [3, 6, 9, 10]

    last = frame.loc[10.0]
    fl = model.freelancers_frame()
    fl = fl[fl["exit_step"].isna()].set_index("freelancer_id")
    pd.testing.assert_index_equal(last.index, fl.index, check_names=False)
    assert (last["earnings"] > 0).any() and last["rating"].notna().any()
    want = fl.rename(columns={"jobs_completed": "jobs"})[list(AGENT_REPORTERS)]
    pd.testing.assert_frame_equal(last, want, check_names=False, check_dtype=False)


def test_agent_records_equal_mesa_reporters_asking_each_agent():
    """The column-built snapshot holds what Mesa's attribute reporters read from each agent."""
    model = MarketplaceModel(rng=2, **{**TINY, "run__agent_every": 5})
    model.run_for(10)
    frame = model.datacollector.get_agent_vars_dataframe().loc[10.0]
    agents = list(model.agents_by_type[Freelancer])
    assert frame.index.tolist() == [a.unique_id for a in agents]
    for name, attr in AGENT_REPORTERS.items():
        expected = [getattr(a, attr) for a in agents]
        np.testing.assert_array_equal(frame[name].to_numpy(), np.array(expected), err_msg=name)


@pytest.mark.parametrize("every", [1, 7])
def test_agent_snapshots_leave_the_run_unchanged(every):
    """Snapshots only read: the tables of a run are the same with them on."""
    off = run(MarketplaceModel(rng=4, **TINY))
    on = MarketplaceModel(rng=4, **{**TINY, "run__agent_every": every})
    assert_same_run(run(on), off)
    assert len(on.datacollector.get_agent_vars_dataframe()) > 0


def test_keyword_errors_name_the_keyword_not_a_flag():
    with pytest.raises(ConfigError) as bad:
        MarketplaceModel(market__freelancer=3)
    assert str(bad.value) == (
        "MarketplaceModel: market__freelancer: unknown key (did you mean 'market__freelancers'?)"
    )
    with pytest.raises(ConfigError, match=r"^MarketplaceModel: market__freelancers: out of range"):
        MarketplaceModel(market__freelancers=10**9)
    with pytest.raises(ConfigError, match=r"^MarketplaceModel: rng: out of range"):
        MarketplaceModel(rng=-1)
