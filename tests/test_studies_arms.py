"""The studies' new arms, scaled down and seeded: Pallais's detailed and coarse evaluations,
van de Rijt's boost of the never-hired in a young and an established market, and MusicLab's
shares within the starting cohort with profile evidence in both conditions."""

import numpy as np
import pandas as pd
import pytest

from marketplace_sim import MarketplaceModel, load_config
from marketplace_sim.analysis import studies
from marketplace_sim.model.simulate import run_tables, simulate

SMALL = {
    "market.freelancers": 400,
    "market.clients": 100,
    "market.entry_rate": 2.0,
    "market.client_entry_rate": 0.5,
    "run.record_contracts": False,
}


def first_job_run(evaluation, seed, steps=60):
    cfg = load_config(
        "configs/profiles.toml",
        {
            **SMALL,
            "run.seed": seed,
            "run.steps": steps,
            "interventions.first_job.share": 0.5,
            "interventions.first_job.at_step": 26,
            "interventions.first_job.evaluation": evaluation,
        },
    )
    return run_tables(simulate(cfg)).freelancers


def test_coarse_evaluation_shows_the_given_job_without_stars():
    """Treated whose only completed job is the given one: with an ordinary review about
    reviews.prob (80 %) of them have a star review; with a coarse evaluation none has, yet
    the job still counts as done."""
    for seed in (1, 2):
        review, coarse = first_job_run("review", seed), first_job_run("coarse", seed)
        for fr, expect in ((review, "some"), (coarse, "none")):
            only = fr["treated"] & (fr["jobs_completed"] == 1)
            assert only.sum() > 20
            reviewed = (fr.loc[only, "n_reviews"] > 0).mean()
            assert (reviewed > 0.6) if expect == "some" else (reviewed == 0.0), (seed, expect)


def test_detailed_evaluation_reveals_expertise_on_the_profile():
    """Detailed: once the given job is done, the treated's profile evidence is their
    expertise exactly (error 0); the controls' evidence still has its noise."""
    fr = first_job_run("detailed", 3)
    done = fr["treated"] & (fr["jobs_completed"] >= 1)
    gap = (fr["evidence"] - fr["expertise_now"]).abs()
    assert done.sum() > 20
    assert gap[done].max() == pytest.approx(0.0, abs=1e-12)
    assert gap[fr["control"]].mean() > 0.02


def test_detailed_beats_coarse_for_the_treated():
    """Over 4 seeded worlds each, the treated find more work after a detailed evaluation
    than after a coarse one (share hired beyond the given job), and in both arms more than
    their controls (Pallais's two results)."""
    d = [studies.first_job_effect(first_job_run("detailed", s, 91), 91) for s in range(4)]
    c = [studies.first_job_effect(first_job_run("coarse", s, 91), 91) for s in range(4)]
    again = lambda rs: np.mean([r["hired_again_treated"] for r in rs])  # noqa: E731
    assert again(d) > again(c)
    for rs in (d, c):
        assert np.mean([r["hired_again_treated"] - r["hired_control"] for r in rs]) > 0


def boost_run(seed, at_step, steps):
    cfg = load_config(
        "configs/baseline.toml",
        {
            **SMALL,
            "run.seed": seed,
            "run.steps": steps,
            "interventions.early_boost.share": 0.5,
            "interventions.early_boost.at_step": at_step,
            "interventions.early_boost.eligible": "unhired",
        },
    )
    return cfg


def test_only_the_never_hired_are_boosted():
    """With eligible = "unhired", every boosted or control freelancer had no hire at the
    boost (so each later hire came after it)."""
    model = MarketplaceModel(boost_run(5, 30, 40))
    model.run_for(29)
    before = model.freelancers.hires.copy()  # hires at the end of week 29
    model.run_for(1)  # week 30: entry, the boost, then that week's hiring
    fl = model.freelancers
    flagged = np.flatnonzero(fl.boosted | fl.boost_control)
    old = flagged[flagged < before.size]  # newcomers of week 30 had no hire either
    assert flagged.size > 20 and (before[old] == 0).all()


@pytest.mark.parametrize("at_step", [8, 60])
def test_the_boost_helps_in_a_young_and_an_established_market(at_step):
    """Boosted at week 8 or week 60 and followed for 60 weeks, the boosted are hired more
    often than their controls in every one of 3 seeded worlds."""
    for seed in range(3):
        fr = run_tables(simulate(boost_run(seed, at_step, at_step + 60))).freelancers
        e = studies.early_boost_effect(fr, at_step + 60)
        assert e["hired_boosted"] > e["hired_control"], (seed, e)


def test_cohort_earnings_keep_the_starting_freelancers_only():
    """Newcomers (later entry) are left out; shares' Gini counts the cohort's zeros."""
    fr = pd.DataFrame(
        {
            "freelancer_id": [3, 1, 2, 4],
            "entry_step": [0, 0, 0, 5],
            "earnings": [0.0, 30.0, 10.0, 99.0],
            "hires": [0, 2, 1, 7],
        }
    )
    c = studies.cohort_earnings(fr)
    assert c["freelancer_id"].tolist() == [1, 2, 3]
    # Gini of (30, 10, 0): sum |xi - xj| / (2 n^2 mean) = 2 * (20 + 30 + 10) / (2 * 9 * 40/3)
    assert studies.share_gini(c) == pytest.approx(120 / 240)


def salganik_worlds(ranking, rw, n=3):
    from marketplace_sim.config import load_config as lc

    out = []
    for w in range(n):
        cfg = lc(
            "configs/profiles.toml",
            {
                **SMALL,
                "run.seed": 100 + w,
                "run.population_seed": 7,
                "run.steps": 104,
                "platform.ranking": ranking,
                "clients.reputation_weight": rw,
            },
        )
        out.append(studies.cohort_earnings(run_tables(simulate(cfg)).freelancers))
    return out


def test_social_influence_raises_the_cohort_gini_and_u_with_evidence_in_both():
    """Profile evidence on in both conditions; full influence (reputation search, rw 1) gives
    a higher Gini of cohort shares in every world than independent worlds (random search,
    rw 0) and a higher U."""
    ind, full = salganik_worlds("random", 0.0), salganik_worlds("reputation", 1.0)
    g_ind = [studies.share_gini(w) for w in ind]
    g_full = [studies.share_gini(w) for w in full]
    assert min(g_full) > max(g_ind)
    assert studies.unpredictability_jackknife(full)[0] > studies.unpredictability_jackknife(ind)[0]
