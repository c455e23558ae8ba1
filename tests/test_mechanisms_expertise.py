"""Expertise seen through noisy profile evidence, and expertise driving stars.

Clients read ``expertise + evidence_noise x error / sqrt(1 + jobs)`` with weight
``clients.expertise_signal_weight``; delivered quality is expertise x fit, and how much of it
reaches satisfaction (and so stars) is ``delivery.weight_quality`` against communication and
timeliness. Directional checks over seeded replicates.
"""

import numpy as np
import pandas as pd
import pytest

from marketplace_sim import MarketplaceModel, load_config

WORLD = {
    "market.freelancers": 800,
    "market.clients": 200,
    "market.entry_rate": 4.0,
    "market.client_entry_rate": 1.0,
    "run.steps": 260,
    "run.record_contracts": False,
}
QUALITY_CHANNEL = {
    "delivery.weight_quality": 0.7,
    "delivery.weight_communication": 0.15,
    "delivery.weight_on_time": 0.15,
}
PEOPLE = ["expertise", "communication", "reliability", "profile", "niche_focus", "home_niche"]


def runs(seeds=(1, 2, 3), **overrides):
    out = []
    for seed in seeds:
        m = MarketplaceModel(load_config(None, {**WORLD, **overrides, "run.seed": seed}))
        m.run_for(260)
        out.append(m)
    return out


def clearly_higher(hi, lo):
    """Mean gap above twice its standard error across replicates, and higher in each."""
    hi, lo = np.asarray(hi), np.asarray(lo)
    se = np.sqrt(hi.var(ddof=1) / hi.size + lo.var(ddof=1) / lo.size)
    return hi.mean() - lo.mean() > 2 * se and np.all(hi > lo)


def stars_correlation(m, trait):
    """Spearman correlation of a freelancer's mean stars with a trait (3+ reviews)."""
    fl = m.freelancers
    ok = fl.n_reviews >= 3
    mean_stars = pd.Series(fl.stars_sum[ok] / fl.n_reviews[ok])
    return mean_stars.corr(pd.Series(fl.col(trait)[ok]), "spearman")


def test_evidence_is_a_trait_of_its_own_stream():
    """The evidence error is drawn (standard normal) only when clients read the evidence,
    from a stream of its own: the other traits are those of the run without it."""
    off = MarketplaceModel(load_config(None, WORLD))
    on = MarketplaceModel(load_config(None, {**WORLD, "clients.expertise_signal_weight": 1.0}))
    assert np.all(off.freelancers.evidence_z == 0.0)
    z = on.freelancers.evidence_z
    assert abs(z.mean()) < 4 / np.sqrt(z.size) and abs(z.std() - 1) < 0.05
    for name in PEOPLE:
        assert np.array_equal(getattr(off.freelancers, name), getattr(on.freelancers, name))
    fr = on.freelancers_frame()
    assert np.allclose(fr["evidence"], on.freelancers.expertise + 0.3 * z)  # no job done yet


@pytest.mark.slow
def test_clients_who_see_expertise_reward_merit():
    """With the profile evidence weighted 2 (noise 0.3), the final rank correlation of innate
    expertise with earnings (merit_spearman) is clearly higher than without (about 0.27 ->
    0.38 in these worlds)."""
    off = [m.steps_frame()["merit_spearman"].iloc[-1] for m in runs()]
    on = [
        m.steps_frame()["merit_spearman"].iloc[-1]
        for m in runs(**{"clients.expertise_signal_weight": 2.0})
    ]
    assert clearly_higher(on, off), (off, on)


@pytest.mark.slow
def test_the_quality_channel_makes_stars_track_expertise():
    """Quality weighing 0.7 of satisfaction (communication and timeliness 0.15 each, instead
    of 0.5 / 0.2 / 0.3): mean stars follow innate expertise more (Spearman about 0.53 ->
    0.76) and reliability less (about 0.43 -> 0.17), in each of three worlds."""
    base, quality = runs(), runs(**QUALITY_CHANNEL)
    e_base = [stars_correlation(m, "expertise0") for m in base]
    e_quality = [stars_correlation(m, "expertise0") for m in quality]
    r_base = [stars_correlation(m, "reliability") for m in base]
    r_quality = [stars_correlation(m, "reliability") for m in quality]
    assert clearly_higher(e_quality, e_base), (e_base, e_quality)
    assert clearly_higher(r_base, r_quality), (r_base, r_quality)
    assert min(e_quality) > max(r_quality)  # expertise is then the main driver of stars
