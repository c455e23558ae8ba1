"""Heterogeneous activity: occasional, part-time and full-time freelancers, and one-job ones.

The traits come from streams of their own (population seed), so switching them on leaves
everyone's other traits unchanged; activity scales capacity and how often one applies.
"""

import numpy as np
import pandas as pd
import pytest

from marketplace_sim import MarketplaceModel, load_config

WORLD = {
    "market.freelancers": 2000,
    "market.clients": 400,
    "market.entry_rate": 4.0,
    "market.client_entry_rate": 0.8,
}
MIX = {
    "freelancers.occasional_share": 0.3,
    "freelancers.part_time_share": 0.3,
    "freelancers.occasional_activity": 0.1,
    "freelancers.part_time_activity": 0.5,
}
TRAITS = ["expertise", "communication", "reliability", "profile", "niche_focus", "home_niche"]


def build(**overrides):
    return MarketplaceModel(load_config(None, {**WORLD, **overrides}))


def test_off_everyone_is_full_time():
    """Default: activity 1 for all, no one-job freelancer, capacities U{1..3}."""
    fl = build().freelancers
    assert np.all(fl.activity == 1.0) and not fl.one_job.any()
    assert set(np.unique(fl.capacity)) == {1, 2, 3}


def test_the_mixture_and_its_capacities():
    """2,000 initial freelancers: the type shares are within 4 binomial sd of 0.3 / 0.3 / 0.4;
    the same people (equal traits) with the mixture off had capacity c, and with it have
    ceil(c * activity): occasional and one-job freelancers 1, part-timers 1 or 2."""
    off, on = build().freelancers, build(**MIX).freelancers
    for name in TRAITS:
        assert np.array_equal(getattr(off, name), getattr(on, name)), name
    n = on.n
    sd = np.sqrt(0.3 * 0.7 / n)
    for level, share in ((0.1, 0.3), (0.5, 0.3), (1.0, 0.4)):
        assert abs(np.mean(on.activity == level) - share) < 4 * sd, level
    assert np.array_equal(on.capacity, np.ceil(off.capacity * on.activity).astype(int))
    one = build(**MIX, **{"freelancers.one_job_share": 0.25}).freelancers
    assert abs(one.one_job.mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)
    assert np.array_equal(one.activity, on.activity)  # a stream each: one trait, not the other
    assert np.all(one.capacity[one.one_job] == 1)
    assert np.array_equal(one.capacity[~one.one_job], on.capacity[~one.one_job])


def test_one_job_freelancers_take_one_job_and_stop():
    """Over 80 weeks a one-job freelancer holds at most one contract ever (an invariant
    checked every week), some do get it, and once it is done none is still active."""
    m = build(**{"freelancers.one_job_share": 0.3})
    for _ in range(80):
        m.step()
        m.check_invariants()
    fl = m.freelancers
    one = fl.one_job
    assert np.all(fl.hires[one] <= 1)
    done = one & (fl.hires == 1) & (fl.load == 0)
    assert done.sum() > 30
    assert not fl.active[done].any()


def test_the_mixture_and_one_job_change_no_one_when_off():
    """The type keys do nothing while both shares are 0: a run with other activity levels
    is identical, table for table (no draw is made, nothing is scaled)."""
    a = build(**{"run.steps": 30})
    b = build(**{"run.steps": 30, "freelancers.occasional_activity": 0.2})
    a.run_for(30)
    b.run_for(30)
    pd.testing.assert_frame_equal(a.freelancers_frame(), b.freelancers_frame())
    pd.testing.assert_frame_equal(a.steps_frame(), b.steps_frame())


@pytest.mark.slow
def test_the_less_active_do_less_work():
    """Over three seeded 260-week worlds, mean jobs per freelancer rise with activity:
    occasional < part-time < full-time in each world, and the occasional do less than a
    third of the full-timers' work (they apply a tenth as often and hold one contract)."""
    for seed in (1, 2, 3):
        m = build(**MIX, **{"run.seed": seed, "run.record_contracts": False})
        m.run_for(260)
        fl = m.freelancers
        jobs = {a: fl.jobs_completed[fl.activity == a].mean() for a in (0.1, 0.5, 1.0)}
        assert jobs[0.1] < jobs[0.5] < jobs[1.0], jobs
        assert jobs[0.1] < jobs[1.0] / 3, jobs


@pytest.mark.slow
def test_one_job_freelancers_lower_the_share_with_ten_jobs():
    """Among those ever hired, the share with 10+ jobs falls when half the newcomers take
    one job and stop: in each of three seeded worlds by more than 0.05 (one-job hires count
    in the denominator with 1 job each; the rest get a little more work, so the fall is
    less than their share of the hired)."""
    for seed in (1, 2, 3):
        share = []
        for one_job in (0.0, 0.5):
            m = build(
                **{
                    "run.seed": seed,
                    "run.record_contracts": False,
                    "freelancers.one_job_share": one_job,
                }
            )
            m.run_for(260)
            jobs = m.freelancers.jobs_completed
            share.append(np.mean(jobs[jobs > 0] >= 10))
        assert share[1] < share[0] - 0.05, (seed, share)
