"""Dormant profiles (freelancers.dormancy): who stops seeking work stays listed until deleted.

Through the model, seeded. Without dormancy a freelancer who stops is deleted at once (the
listing is the active); with it, a would-be exit becomes dormant, dormant profiles apply
rarely and come back when hired, and a separate hazard deletes them.
"""

import numpy as np
import pandas as pd
import pytest

from marketplace_sim import MarketplaceModel, load_config
from marketplace_sim.model import observation
from marketplace_sim.model.snapshot import profiles_snapshot

WORLD = {
    "market.freelancers": 300,
    "market.clients": 80,
    "market.entry_rate": 2.0,
    "market.client_entry_rate": 0.4,
    "freelancers.exit_base": 0.03,  # many stop early, so that dormancy has work to do
}
PEOPLE = ["freelancer_id", "expertise", "communication", "reliability", "profile"]
PEOPLE += ["niche_focus", "home_niche", "entry_step", "capacity"]


def model(weeks, **overrides):
    m = MarketplaceModel(load_config(None, {**WORLD, **overrides}))
    for _ in range(weeks):
        m.step()
        m.check_invariants()
    return m


def test_without_dormancy_who_stops_is_deleted_and_the_listing_is_the_active():
    """Default: a leaver's profile is deleted the week it leaves, so listed == active, no
    one is dormant, and freelancers.parquet keeps today's columns (no dormancy columns)."""
    m = model(40)
    fl = m.freelancers
    assert (~fl.active).sum() > 50  # people did leave
    assert np.array_equal(observation.listed(m), fl.active)
    assert not fl.dormant.any()
    gone = ~fl.active
    assert np.array_equal(fl.deleted_step[gone], fl.exit_step[gone])
    assert {"dormant", "dormant_step", "deleted_step"}.isdisjoint(m.freelancers_frame().columns)


def test_a_would_be_exit_becomes_dormant():
    """Week 1 has no dormant profile yet, so the market draws are the same with and without
    dormancy: exactly the freelancers who leave without it go dormant with it (same week),
    and they keep their Mesa agents."""
    off = model(1)
    on = model(1, **{"freelancers.dormancy": True})
    left = np.flatnonzero(~off.freelancers.active)
    assert left.size > 0
    assert np.array_equal(np.flatnonzero(on.freelancers.dormant), left)
    assert np.array_equal(on.freelancers.exit_step, off.freelancers.exit_step)
    assert np.all(on.freelancers.dormant_step[left] == 1)
    assert np.all(on.freelancers.deleted_step == -1)
    assert all(on.freelancer_agents[r] is not None for r in left)
    assert all(off.freelancer_agents[r] is None for r in left)


def test_dormant_profiles_stay_listed_and_in_the_output():
    """Without deletion every freelancer ever present is still listed after 60 weeks; the
    snapshot lists the dormant too, and the output table gains the dormancy columns."""
    m = model(60, **{"freelancers.dormancy": True, "freelancers.delete_rate": 0.0})
    fl = m.freelancers
    assert fl.dormant.sum() > 50
    assert observation.listed(m).all()
    assert np.array_equal(fl.dormant, ~fl.active)
    snap = profiles_snapshot(m)
    assert len(snap) == fl.n > fl.active.sum()
    fr = m.freelancers_frame()
    assert fr["dormant"].sum() == fl.dormant.sum()
    assert fr["deleted_step"].isna().all()
    assert (fr.loc[fr["dormant"], "dormant_step"] == fr.loc[fr["dormant"], "exit_step"]).all()


def test_the_population_is_the_same_with_or_without_dormancy():
    """Dormancy changes careers, not who enters: traits and entry weeks are equal."""
    a = model(60).freelancers_frame()[PEOPLE]
    b = model(60, **{"freelancers.dormancy": True}).freelancers_frame()[PEOPLE]
    pd.testing.assert_frame_equal(a, b)


def test_dormant_profiles_come_back_only_if_they_apply():
    """dormant_response 0: a dormant profile never applies, so never works again (all who
    went dormant are still inactive, their hires frozen). dormant_response 1: dormant
    profiles apply like active ones, and some are hired and active again (exit_step cleared,
    dormant_step kept as history)."""
    never = model(80, **{"freelancers.dormancy": True, "freelancers.dormant_response": 0.0})
    fl = never.freelancers
    went = fl.dormant_step >= 0
    assert went.sum() > 50 and not fl.active[went].any()
    back = model(80, **{"freelancers.dormancy": True, "freelancers.dormant_response": 1.0})
    fl = back.freelancers
    again = (fl.dormant_step >= 0) & fl.active
    assert again.sum() >= 5
    assert np.all(fl.exit_step[again] == -1) and np.all(fl.hires[again] > 0)


def test_dormant_profiles_are_deleted_at_their_hazard():
    """delete_rate 0.02 a week: over the weeks each profile spent dormant (at risk from the
    week after it went dormant), deletions ~ Binomial(exposure, 0.02); within 4 sd."""
    weeks, rate = 100, 0.02
    m = model(
        weeks,
        **{
            "freelancers.dormancy": True,
            "freelancers.delete_rate": rate,
            "freelancers.dormant_response": 0.0,  # no comebacks: dormant until deleted
        },
    )
    fl = m.freelancers
    went = fl.dormant_step >= 0
    deleted = fl.deleted_step >= 0
    end = np.where(deleted, fl.deleted_step, weeks)
    exposure = int((end - fl.dormant_step)[went].sum())
    n_del = int(deleted.sum())
    expected = rate * exposure
    assert expected > 100
    assert abs(n_del - expected) < 4 * np.sqrt(expected * (1 - rate)), (n_del, expected)
    assert len(m.agents_by_type[type(m.freelancer_agents[0])]) == int((~deleted).sum())


def _make_a_busy_one_dormant(fl):
    r = np.flatnonzero(fl.load > 0)[0]
    fl.active[r], fl.dormant[r], fl.exit_step[r], fl.dormant_step[r] = False, True, 5, 5


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda fl: fl.dormant.__setitem__(np.flatnonzero(fl.active)[0], True), "both dormant"),
        (lambda fl: fl.deleted_step.__setitem__(np.flatnonzero(fl.dormant)[0], 5), "deleted"),
        (_make_a_busy_one_dormant, "exited freelancer has open contracts"),
    ],
    ids=["dormant-and-active", "deleted-but-listed", "dormant-with-contract"],
)
def test_invariants_catch_a_broken_listing(corrupt, message):
    """check_invariants fails, naming the listing rule, when the state breaks it."""
    m = model(20, **{"freelancers.dormancy": True})
    corrupt(m.freelancers)
    with pytest.raises(AssertionError, match=message):
        m.check_invariants()


@pytest.mark.slow
def test_dormancy_makes_the_listing_silent_and_tenure_a_weak_predictor():
    """Stylized fact "listed profiles are mostly silent": keeping who stops listed raises the
    share of listed profiles without a review and weakens the rank correlation of tenure with
    reviews, in each of three seeds, by margins far beyond seed noise (baseline-like world,
    260 weeks: about 0.45 -> 0.68 and 0.87 -> 0.53; the margins asked are half of that)."""
    out = {}
    for dormancy in (False, True):
        rows = []
        for seed in (1, 2, 3):
            m = MarketplaceModel(
                load_config(
                    None,
                    {
                        "market.freelancers": 800,
                        "market.clients": 200,
                        "market.entry_rate": 4.0,
                        "market.client_entry_rate": 1.0,
                        "run.steps": 260,
                        "run.record_contracts": False,
                        "run.seed": seed,
                        "freelancers.dormancy": dormancy,
                    },
                )
            )
            m.run_for(260)
            listed = observation.listed(m)
            reviews = m.freelancers.n_reviews[listed]
            tenure = m.steps - m.freelancers.entry_step[listed]
            rows.append(
                ((reviews == 0).mean(), pd.Series(tenure).corr(pd.Series(reviews), "spearman"))
            )
        out[dormancy] = np.array(rows)
    zero_off, zero_on = out[False][:, 0], out[True][:, 0]
    rho_off, rho_on = out[False][:, 1], out[True][:, 1]
    assert np.all(zero_on > zero_off + 0.1), (zero_off, zero_on)
    assert np.all(rho_on < rho_off - 0.15), (rho_off, rho_on)
