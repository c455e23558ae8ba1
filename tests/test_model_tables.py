"""The freelancers table of sweep runs, built by the model layer itself."""

import numpy as np
import pandas as pd

from marketplace_sim import MarketplaceModel, load_config
from marketplace_sim.model.observation import freelancers_with_prior_and_reputation
from marketplace_sim.model.simulate import simulate

SMALL = {
    "market.freelancers": 150,
    "market.clients": 40,
    "market.entry_rate": 2.0,
    "market.client_entry_rate": 0.2,
    "run.steps": 30,
}


def reference_with_prior_and_reputation(model, start):
    """experiments/executors.py's with_prior_and_reputation before it moved here, verbatim:
    ``start`` is freelancers_frame()[["freelancer_id", "hires"]] taken before week 1."""
    fl = model.freelancers_frame()
    prior = dict(zip(start["freelancer_id"].tolist(), start["hires"].tolist(), strict=True))
    fl["prior_jobs"] = np.array(
        [prior.get(i, 0) for i in fl["freelancer_id"].tolist()], dtype=np.int64
    )
    fl["reputation"] = np.asarray(model.reputation(), dtype=np.float64)[: len(fl)]
    return fl.reset_index(drop=True)


def test_prior_jobs_and_reputation_as_the_sweep_built_them():
    """With a warm start and newcomers, the model's own helper gives exactly the frame the
    sweep worker assembled from a snapshot taken before week 1."""
    cfg = load_config(None, {**SMALL, "market.prior_jobs_mean": 2.0})
    model = MarketplaceModel(cfg)
    start = model.freelancers_frame()[["freelancer_id", "hires"]]
    simulate(model)
    got = freelancers_with_prior_and_reputation(model)
    want = reference_with_prior_and_reputation(model, start)
    pd.testing.assert_frame_equal(got, want)
    assert len(got) > 150  # newcomers entered, with no prior jobs
    assert got["prior_jobs"].iloc[150:].eq(0).all()
    assert got["prior_jobs"].iloc[:150].sum() > 0  # E floor(Exp(2)) ~ 1.5 each
    assert list(got.columns[-2:]) == ["prior_jobs", "reputation"]
    assert got["prior_jobs"].dtype == np.int64 and got["reputation"].dtype == np.float64


def test_prior_jobs_are_the_hires_before_week_one():
    """model.prior_jobs is the track record at construction; work in the market leaves it."""
    cold = MarketplaceModel(load_config(None, SMALL))
    assert cold.prior_jobs.dtype == np.int64 and not cold.prior_jobs.any()
    warm = MarketplaceModel(load_config(None, {**SMALL, "market.prior_jobs_mean": 3.0}))
    before = warm.freelancers.hires.copy()
    np.testing.assert_array_equal(warm.prior_jobs, before)
    warm.run_for(10)
    assert (warm.freelancers.hires[: before.size] > before).any()  # hired since
    np.testing.assert_array_equal(warm.prior_jobs, before)
