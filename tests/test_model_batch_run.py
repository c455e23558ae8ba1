"""mesa.batch_run over MarketplaceModel: replicates differ, stop at the horizon, replay.

In a file of its own: mesa.batch_run sets the multiprocessing start method to spawn for the
whole process; the fixture puts the previous one back.
"""

import multiprocessing
import warnings

import mesa
import pandas as pd
import pytest

from marketplace_sim import MarketplaceModel

# A tiny world (smaller than configs/smoke.toml): each run takes a few milliseconds.
PARAMETERS = {
    "market__freelancers": 100,
    "market__clients": 25,
    "market__entry_rate": 1.0,
    "market__client_entry_rate": 0.25,
    "clients__reputation_weight": [0.0, 2.0],
    "run__steps": 10,
    "run__agent_every": 5,
}


@pytest.fixture
def restore_start_method():
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


@pytest.mark.parametrize("processes", [1, 2])
def test_batch_run_gives_different_replicates_that_stop_at_the_horizon(
    processes, restore_start_method
):
    """iterations=3 gives three different runs per condition, each stopped after run.steps
    weeks (not max_steps), each replayable from the seed in its rows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # iterations: Mesa prefers rng=
        rows = mesa.batch_run(
            MarketplaceModel,
            parameters=PARAMETERS,
            iterations=3,
            number_processes=processes,
            max_steps=1000,
            display_progress=False,
        )
    df = pd.DataFrame(rows)
    assert set(df["Step"]) == {10.0}  # the horizon, not max_steps
    runs = df.drop_duplicates("RunId")
    assert len(runs) == 6
    for _, cond in runs.groupby("clients__reputation_weight"):
        assert cond["seed"].nunique() == 3
        assert cond["gini_earnings"].nunique() == 3  # three different histories
    # agent rows: one per freelancer present at the end of each run
    one = runs.iloc[0]
    model = MarketplaceModel(
        rng=int(one["seed"]),
        **{**PARAMETERS, "clients__reputation_weight": one["clients__reputation_weight"]},
    )
    model.run_model()
    final = model.steps_frame().iloc[-1]
    assert final["gini_earnings"] == one["gini_earnings"]
    mine = df[df["RunId"] == one["RunId"]]
    assert len(mine) == final["freelancers_active"]
    assert sorted(mine["AgentID"]) == sorted(
        model.freelancers_frame().query("exit_step.isna()")["freelancer_id"]
    )
