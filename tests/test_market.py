"""Market mechanics (pure functions): hand cases, exact distributions and properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace_sim.market import choice, delivery, discovery, pricing, reviews


def exact_applicant_probs(weight, focus, home, k):
    """The niche-k reach distribution, built by brute force over all candidates."""
    reach = np.where(home == k, weight, weight * (1.0 - focus))
    return reach / reach.sum()


@pytest.mark.parametrize("k", [0, 1, 2])
def test_draw_applicants_follows_niche_reach_distribution(k):
    """Each slot draws candidate i with probability proportional to its reach for niche k."""
    rng = np.random.default_rng(3)
    n = 9
    weight = rng.uniform(0.2, 2.0, n)
    focus = rng.uniform(0.0, 1.0, n)
    home = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    jobs = np.full(40_000, k)
    job, cand = discovery.draw_applicants(
        np.random.default_rng(11), weight, focus, home, 3, jobs, slots=1
    )
    assert np.array_equal(job, np.arange(jobs.size))  # one slot: never a duplicate
    observed = np.bincount(cand, minlength=n) / cand.size
    expected = exact_applicant_probs(weight, focus, home, k)
    # 40k draws: the sd of a share p is sqrt(p(1-p)/40k) < 0.0025; allow 4 sd.
    assert np.max(np.abs(observed - expected)) < 0.01


def test_pure_specialists_never_reach_other_niches():
    """A candidate with niche_focus 1 never applies outside its home niche."""
    weight = np.ones(4)
    focus = np.array([1.0, 1.0, 0.0, 0.0])
    home = np.array([0, 1, 0, 1])
    job, cand = discovery.draw_applicants(
        np.random.default_rng(0), weight, focus, home, 2, np.zeros(500, int), slots=3
    )
    assert set(np.unique(cand)) <= {0, 2, 3}
    assert 1 not in cand


def test_unavailable_candidates_are_never_drawn_and_pairs_are_distinct():
    """Zero-weight candidates are never drawn and no job lists an applicant twice."""
    weight = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    focus = np.zeros(5)
    home = np.zeros(5, int)
    job, cand = discovery.draw_applicants(
        np.random.default_rng(1), weight, focus, home, 1, np.zeros(200, int), slots=10
    )
    assert set(np.unique(cand)) == {0, 2, 4}
    pairs = job * 5 + cand
    assert np.unique(pairs).size == pairs.size
    assert np.all(np.diff(job) >= 0)


def test_no_reachable_candidate_gives_no_applicant():
    """A job in a niche nobody can reach gets no applicants."""
    job, cand = discovery.draw_applicants(
        np.random.default_rng(1),
        np.ones(3),
        np.ones(3),
        np.zeros(3, int),
        2,
        np.array([1, 1]),
        slots=5,
    )
    assert job.size == 0 and cand.size == 0


def test_visibility_random_ignores_reputation_and_reputation_orders_by_it():
    """Under "reputation" a higher score means more visibility; under "random" it does not."""
    n = 6
    avail = np.ones(n, bool)
    profile = np.zeros(n)
    rep = np.arange(n, dtype=float)
    v = discovery.visibility(
        np.random.default_rng(0),
        "reputation",
        avail,
        profile,
        rep,
        np.zeros(n, bool),
        1.0,
        1.0,
        0.0,
    )
    # position 0 (the best score) gets 1/(1+0), the worst 1/(1+5)
    assert v[5] == pytest.approx(1.0) and v[0] == pytest.approx(1 / 6)
    assert np.all(np.diff(v) > 0)
    shares = np.zeros(n)
    for s in range(300):
        shares += discovery.visibility(
            np.random.default_rng(s),
            "random",
            avail,
            profile,
            rep,
            np.zeros(n, bool),
            1.0,
            1.0,
            0.0,
        )
    assert np.ptp(shares / 300) < 0.15  # every position equally likely for everyone


def test_newcomer_boost_lifts_the_never_hired():
    """The boost moves a never-hired freelancer above established ones."""
    avail = np.ones(3, bool)
    rep = np.array([0.0, 2.0, 1.0])
    never = np.array([True, False, False])
    v = discovery.visibility(
        np.random.default_rng(0),
        "newcomer_boost",
        avail,
        np.zeros(3),
        rep,
        never,
        1.0,
        1.0,
        5.0,
    )
    assert v[0] == v.max()


def test_unavailable_get_zero_visibility():
    """Freelancers without spare capacity are invisible."""
    avail = np.array([True, False, True])
    v = discovery.visibility(
        np.random.default_rng(0),
        "reputation",
        avail,
        np.zeros(3),
        np.zeros(3),
        np.zeros(3, bool),
        1.0,
        1.0,
        0.0,
    )
    assert v[1] == 0 and v[0] > 0 and v[2] > 0


def test_accept_within_capacity_hand_case():
    """Candidate 0 with spare 1 accepts one of its three offers; candidate 1 (spare 2) both."""
    cand = np.array([0, 0, 1, 0, 1])
    spare = np.array([1, 2])
    ok = choice.accept_within_capacity(np.random.default_rng(0), cand, spare)
    assert ok[cand == 0].sum() == 1
    assert ok[cand == 1].all()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    cand=st.lists(st.integers(0, 5), min_size=0, max_size=40),
    spare=st.lists(st.integers(0, 3), min_size=6, max_size=6),
    seed=st.integers(0, 1000),
)
def test_accept_within_capacity_never_exceeds_spare(cand, spare, seed):
    """Accepted offers per candidate = min(offers, spare)."""
    cand = np.array(cand, dtype=np.int64)
    spare = np.array(spare)
    ok = choice.accept_within_capacity(np.random.default_rng(seed), cand, spare)
    got = np.bincount(cand[ok], minlength=6)
    offers = np.bincount(cand, minlength=6)
    assert np.array_equal(got, np.minimum(offers, spare))


def test_match_picks_best_above_outside_and_reoffers_declined():
    """Job 0 and 1 both want candidate 7 (spare 1): one gets it, the other its second best."""
    job = np.array([0, 0, 1, 1, 2])
    cand = np.array([7, 8, 7, 9, 8])
    utility = np.array([5.0, 1.0, 4.0, 2.0, -3.0])
    outside = np.array([0.0, 0.0, 0.0])
    spare = np.zeros(10, dtype=np.int64)
    spare[[7, 8, 9]] = 1
    hj, hc, declined = choice.match(np.random.default_rng(0), job, cand, utility, outside, spare)
    hires = dict(zip(hj.tolist(), hc.tolist(), strict=True))
    assert 2 not in hires  # job 2's only applicant is worse than hiring no one
    assert sorted(hires) == [0, 1]
    assert hires[0] == 7 or hires[1] == 7
    assert (hires[0], hires[1]) in [(7, 9), (8, 7)]
    assert declined.tolist() == [7]
    assert spare[7] == 0


def test_gumbel_max_choice_reproduces_logit_shares():
    """Argmax of utility + Gumbel noise picks i with probability softmax(utility)."""
    rng = np.random.default_rng(5)
    base = np.array([0.0, 1.0, 2.0])
    n_jobs = 30_000
    job = np.repeat(np.arange(n_jobs), 3)
    util = np.tile(base, n_jobs) + rng.gumbel(size=job.size)
    best = choice.best_per_job(job, util)
    picked = np.tile(np.arange(3), n_jobs)[best]
    share = np.bincount(picked, minlength=3) / n_jobs
    expected = np.exp(base) / np.exp(base).sum()
    assert np.allclose(share, expected, atol=0.01)


def test_niche_fit_hand_cases():
    """Specialist: fit 1 at home, 0 away; generalist: g everywhere."""
    fit = delivery.niche_fit(
        np.array([True, False, True, False]), np.array([1.0, 1.0, 0.0, 0.0]), 0.6
    )
    assert fit.tolist() == pytest.approx([1.0, 0.0, 0.6, 0.6])


def test_specialist_quality_at_home_beats_generalist():
    """Same expertise: a specialist delivers higher quality in its niche than a generalist."""
    rng = np.random.default_rng(0)
    e = np.full(20_000, 0.6)
    spec = delivery.quality(
        rng, e, delivery.niche_fit(np.ones(e.size, bool), np.ones(e.size), 0.6), 0.1
    )
    gen = delivery.quality(
        rng, e, delivery.niche_fit(np.ones(e.size, bool), np.zeros(e.size), 0.6), 0.1
    )
    # closed form of the means: 0.6 * 1.0 vs 0.6 * 0.8 (clipping negligible)
    assert spec.mean() == pytest.approx(0.6, abs=0.005)
    assert gen.mean() == pytest.approx(0.48, abs=0.005)


def test_learning_by_doing_closed_form():
    """e0=0.5, gain 0.4, scale 10: after 10 jobs e = 0.5 + 0.5*0.4*(1-1/e)."""
    e = delivery.learned_expertise(np.array([0.5, 0.5]), np.array([0, 10]), 0.4, 10.0)
    assert e[0] == 0.5
    assert e[1] == pytest.approx(0.5 + 0.2 * (1 - np.exp(-1)))


def test_stars_cut_points_and_leniency():
    """Latent 0.1 -> 1 star, 0.5 -> 3, 0.9 -> 5; leniency 0.4 lifts 0.5 to 5 stars."""
    s = reviews.stars(np.random.default_rng(0), np.array([0.1, 0.3, 0.5, 0.7, 0.9]), 0.0, 0.0)
    assert s.tolist() == [1, 2, 3, 4, 5]
    assert reviews.stars(np.random.default_rng(0), np.array([0.5]), 0.4, 0.0).tolist() == [5]


def test_inflation_raises_leniency_with_the_rating_norm():
    """Leniency grows by `inflation` per star of the norm above 3; a norm of 3, no pressure."""
    assert reviews.leniency_now(0.3, 0.2, 3.0) == 0.3
    assert reviews.leniency_now(0.3, 0.2, 4.5) == pytest.approx(0.6)
    assert reviews.leniency_now(0.3, 0.0, 4.5) == 0.3


def test_rating_norm_is_an_exponential_average():
    """norm += (week mean - norm) / tau; a week without ratings leaves it unchanged."""
    assert reviews.update_norm(3.0, 5.0, 4.0) == 3.5
    assert reviews.update_norm(3.5, float("nan"), 4.0) == 3.5


def test_private_outcome_thresholds():
    """>= success: +1; < failure: -1; between: 0."""
    out = reviews.private_outcome(np.array([0.2, 0.3, 0.49, 0.5, 0.9]), 0.5, 0.3)
    assert out.tolist() == [-1, 0, 0, 1, 1]


def test_jss_and_display_rules():
    """JSS = max(0, (s - f) / n), hidden below the minimum; Bayesian average shrinks."""
    jss = reviews.job_success_score(
        np.array([2, 4, 10]), np.array([2, 4, 3]), np.array([0, 0, 5]), 3
    )
    assert np.isnan(jss[0]) and jss[1] == 1.0 and jss[2] == 0.0
    r = reviews.displayed_rating(np.array([5, 0]), np.array([1, 0]), "bayesian", 4.0, 4.0)
    assert r[0] == pytest.approx((4 * 4 + 5) / 5) and np.isnan(r[1])
    assert reviews.displayed_rating(np.array([9]), np.array([2]), "mean", 4, 4)[0] == 4.5


def test_rates_rise_with_demand_and_fall_when_idle():
    """In demand: x(1+s); idle: x(1-s), floored; both signals off: unchanged."""
    r = pricing.adjust_rates(
        np.array([20.0, 20.0, 20.0, 5.1]),
        np.array([True, False, False, False]),
        np.array([False, True, False, True]),
        np.array([False, False, False, False]),
        0.05,
        5.0,
    )
    assert r.tolist() == pytest.approx([21.0, 19.0, 20.0, 5.0])


# --------------------------------------------------------------------------------------------
# The optional mechanisms (issue 12): pure functions


def test_round_half_up_prints_as_a_platform_does():
    """Halves go up even where binary floats sit a hair below them (97 / 20 = 4.85 is stored
    as 4.8499999...); numpy's round would give 4.8 and 4.9 for 4.85 and 4.95."""
    x = np.array([97 / 20, 99 / 20, 4.94, 4.849, 5.0, 1.0, 4.05, np.nan])
    got = reviews.round_half_up(x, 1)
    assert np.array_equal(got[:-1], [4.9, 5.0, 4.9, 4.8, 5.0, 1.0, 4.1])
    assert np.isnan(got[-1])
    assert reviews.round_half_up(np.array([4.845, 4.8449]), 2).tolist() == [4.85, 4.84]
    assert reviews.round_half_up(np.array([4.5, 3.49]), 0).tolist() == [5.0, 3.0]


def test_displayed_rating_at_a_precision_is_the_rounded_exact_rating():
    """With a precision the rule's value is rounded half up; without, it is exact."""
    s = np.array([0, 97, 99, 14, 23])
    n = np.array([0, 20, 20, 3, 5])
    exact = reviews.displayed_rating(s, n, "mean", 0.0, 0.0)
    shown = reviews.displayed_rating(s, n, "mean", 0.0, 0.0, 1)
    assert np.isnan(shown[0])
    assert np.array_equal(shown[1:], [4.9, 5.0, 4.7, 4.6])
    assert np.array_equal(shown[1:], reviews.round_half_up(exact, 1)[1:])
    bayes = reviews.displayed_rating(s, n, "bayesian", 4.0, 5.0, 1)
    assert np.array_equal(bayes[1:], reviews.round_half_up((20 + s[1:]) / (5.0 + n[1:]), 1))


def test_home_rate_charges_the_premium_at_home_only():
    """rate x (1 + premium x focus) in the home niche, the rate elsewhere; premium 0 returns
    the very array (no arithmetic, so results are unchanged bit for bit)."""
    rate = np.array([20.0, 20.0, 30.0])
    home = np.array([True, False, True])
    focus = np.array([1.0, 1.0, 0.5])
    assert np.allclose(pricing.home_rate(rate, home, focus, 0.3), [26.0, 20.0, 34.5])
    assert pricing.home_rate(rate, home, focus, 0.0) is rate


def test_niche_relevance_boosts_specialists_at_home_in_the_applicant_draw():
    """With home boost exp(rho * focus), slot shares follow the boosted reach exactly: a
    home member's weight is w * boost, a cross one's w * (1 - focus) (40k draws, 4 sd)."""
    rng = np.random.default_rng(5)
    n = 9
    weight = rng.uniform(0.2, 2.0, n)
    focus = rng.uniform(0.0, 1.0, n)
    home = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    boost = discovery.niche_relevance(focus, 2.0)
    assert discovery.niche_relevance(focus, 0.0) is None
    assert np.allclose(boost, np.exp(2.0 * focus))
    job, cand = discovery.draw_applicants(
        np.random.default_rng(11), weight, focus, home, 3, np.full(40_000, 1), 1, boost
    )
    reach = np.where(home == 1, weight * boost, weight * (1.0 - focus))
    observed = np.bincount(cand, minlength=n) / cand.size
    assert np.max(np.abs(observed - reach / reach.sum())) < 0.01


def test_expertise_evidence_shrinks_with_jobs_done():
    """evidence = expertise + noise * error / sqrt(1 + jobs): exact at noise 0, the error
    halves by 3 jobs and is a tenth by 99."""
    e = np.array([0.5, 0.5, 0.5])
    z = np.array([1.0, 1.0, -2.0])
    jobs = np.array([0, 3, 99])
    ev = choice.expertise_evidence(e, z, jobs, 0.4)
    assert np.allclose(ev - e, [0.4, 0.2, -0.08])
    assert np.array_equal(choice.expertise_evidence(e, z, jobs, 0.0), e)
