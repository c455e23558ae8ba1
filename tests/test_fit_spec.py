"""The fit's parts without the model: the fit file, the distance, and the ABC-SMC steps."""

from pathlib import Path

import numpy as np
import pytest

from marketplace_sim.analysis.compare import STATISTICS
from marketplace_sim.analysis.fit import smc
from marketplace_sim.analysis.fit.distance import MAD_TO_SD, from_table, scales
from marketplace_sim.analysis.fit.spec import load_fit_spec
from marketplace_sim.data import experiments_dir
from marketplace_sim.errors import ConfigError

GOOD = """
[fit]
budget = 40
particles = 10
batch = 20
[params]
"reviews.leniency" = [0.1, 0.6]
"freelancers.exit_idle_slope" = { range = [0.0001, 0.001], prior = "loguniform", truth = 0.0005 }
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "fit.toml"
    p.write_text(text, encoding="utf-8")
    return p


# ----------------------------------------------------------------------------- the fit file


def test_a_good_fit_file_is_read_with_its_priors(tmp_path):
    spec = load_fit_spec(write(tmp_path, GOOD))
    assert spec.keys == ["reviews.leniency", "freelancers.exit_idle_slope"]
    lin, log = spec.params
    assert (lin.lo, lin.hi, lin.prior, lin.truth) == (0.1, 0.6, "uniform", None)
    assert log.prior == "loguniform" and log.truth == 0.0005
    assert log.box == pytest.approx((np.log(0.0001), np.log(0.001)))
    assert log.from_internal(log.to_internal(0.0004)) == pytest.approx(0.0004)
    s = spec.settings
    assert (s.budget, s.particles, s.batch, s.first) == (40, 10, 20, 30)
    assert s.generations() == 0 and s.generations(70) == 2  # (70 - 30) // 20


def test_the_shipped_fit_file_is_valid_and_fits_numeric_keys_of_the_schema():
    spec = load_fit_spec(experiments_dir() / "fit-profiles.toml")
    assert len(spec.params) == 5
    assert spec.settings.budget == 1500 and spec.settings.generations() == 6


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        (
            '"reviews.lenency" = [0.1, 0.6]',
            "params.reviews.lenency",
            "did you mean 'reviews.leniency'",
        ),
        ('"reviews.prob" = []', "params.reviews.prob", "empty range"),
        ('"reviews.prob" = [0.5, 0.5]', "params.reviews.prob", "empty range: lo = hi = 0.5"),
        ('"reviews.prob" = [0.9, 0.3]', "params.reviews.prob", "lo must be below hi"),
        ('"reviews.prob" = [0.5, 1.5]', "params.reviews.prob", "range end 1.5"),
        ('"reviews.prob" = [0.5]', "params.reviews.prob", "two numbers"),
        ('"platform.ranking" = [0, 1]', "params.platform.ranking", "not a numeric key"),
        ('"run.seed" = [1, 5]', "params.run.seed", "cannot be fitted"),
        (
            '"reviews.prob" = { range = [0, 1], prior = "loguniform" }',
            "params.reviews.prob",
            "needs lo > 0",
        ),
        (
            '"reviews.prob" = { range = [0.2, 1], prior = "normal" }',
            "params.reviews.prob.prior",
            "must be one of",
        ),
        (
            '"reviews.prob" = { range = [0.2, 0.5], truth = 0.9 }',
            "params.reviews.prob.truth",
            "outside the range",
        ),
    ],
)
def test_a_bad_parameter_is_one_config_error_naming_file_and_key(tmp_path, body, key, message):
    p = write(tmp_path, f"[params]\n{body}\n")
    with pytest.raises(ConfigError) as info:
        load_fit_spec(p)
    assert info.value.key == key and info.value.path == str(p)
    assert message in info.value.message


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (
            '[params]\n"reviews.prob" = [0.3, 1.0]\n[fit]\nbudgte = 10\n',
            "fit.budgte",
            "did you mean 'fit.budget'",
        ),
        (
            '[params]\n"reviews.prob" = [0.3, 1.0]\n[fit]\nbudget = 100\n',
            "fit.budget",
            "at least particles + batch = 300",
        ),
        (
            '[params]\n"reviews.prob" = [0.3, 1.0]\n[fit]\nparticles = 1\n',
            "fit.particles",
            "at least 2",
        ),
        (
            '[params]\n"reviews.prob" = [0.3, 1.0]\n[fit]\nbatch = 2.5\n',
            "fit.batch",
            "whole number",
        ),
        (
            '[params]\n"reviews.prob" = [0.3, 1.0]\n[weights]\nmean_ratin = 1\n',
            "weights.mean_ratin",
            "did you mean 'mean_rating'",
        ),
        (
            '[params]\n"reviews.prob" = [0.3, 1.0]\n[weights]\nmean_rating = -1\n',
            "weights.mean_rating",
            ">= 0",
        ),
        ('[params]\n"reviews.prob" = [0.3, 1.0]\n[sweep]\nx = 1\n', "sweep", "unknown section"),
        ("[fit]\nbudget = 400\n", "params", "no parameters to fit"),
    ],
)
def test_bad_settings_sections_and_weights_are_refused(tmp_path, text, key, message):
    with pytest.raises(ConfigError) as info:
        load_fit_spec(write(tmp_path, text))
    assert info.value.key == key and message in info.value.message


# ----------------------------------------------------------------------------- the distance


def test_scales_are_the_mad_of_the_prior_predictive_and_unusable_statistics_say_why():
    names = ["a", "b", "c", "d", "e"]
    prior = [{"a": float(v), "b": 1.0, "c": np.nan, "d": float(v % 2)} for v in range(9)]
    prior.append(None)  # a failed simulation: ignored
    table = scales(prior, {"a": 4.0, "b": 1.0, "c": 0.5, "d": 0.0, "e": np.nan}, names, {"d": 0})
    t = table.set_index("statistic")
    # a = 0..8: median 4, absolute deviations 0,1,1,2,2,3,3,4,4 -> MAD 2
    assert t.loc["a", "scale"] == pytest.approx(2 * MAD_TO_SD)
    assert list(t["used"]) == [True, False, False, False, False]
    assert t.loc["b", "reason"] == "constant over the prior predictive"
    assert t.loc["c", "reason"] == "defined in 0% of the prior predictive"
    assert t.loc["d", "reason"] == "weight 0"
    assert t.loc["e", "reason"] == "not defined on the observed data"


def test_the_distance_is_a_weighted_rms_of_standardised_differences():
    import pandas as pd

    table = pd.DataFrame(
        {
            "statistic": ["a", "b", "c"],
            "observed": [1.0, 10.0, 0.0],
            "scale": [0.5, 2.0, 1.0],
            "weight": [1.0, 3.0, 0.0],
            "used": [True, True, False],
        }
    )
    dist = from_table(table)
    assert dist.names == ("a", "b")
    # z = (2 - 1) / 0.5 = 2 and (4 - 10) / 2 = -3: sqrt((1 * 4 + 3 * 9) / 4)
    assert dist({"a": 2.0, "b": 4.0, "c": 99.0}) == pytest.approx(np.sqrt(31 / 4))
    assert dist({"a": 1.0, "b": 10.0}) == 0.0
    assert dist({"a": np.nan, "b": 10.0}) == np.inf  # a used statistic undefined
    assert dist(None) == np.inf  # a failed simulation


def test_every_compare_statistic_can_be_weighted():
    assert set(STATISTICS) == set(scales([], {}, list(STATISTICS))["statistic"])


# ----------------------------------------------------------------------------- ABC-SMC steps


def _pop(u, w=None, d=None):
    u = np.asarray(u, dtype=float).reshape(len(u), -1)
    n = len(u)
    return smc.Population(
        tuple(f"p{i}" for i in range(n)),
        u,
        np.ones(n) if w is None else np.asarray(w, float),
        np.arange(n, dtype=float) if d is None else np.asarray(d, float),
    )


def test_the_proposal_density_is_normalised_on_the_box():
    """The truncated mixture integrates to 1 over the prior's box (so weights are exact)."""
    box = [(0.0, 1.0), (-2.0, 3.0)]
    pop = _pop([[0.05, -1.9], [0.5, 0.0], [0.97, 2.5]], w=[1.0, 2.0, 0.5])
    sd = np.array([0.2, 1.5])
    g0, g1 = np.meshgrid(np.linspace(0, 1, 401), np.linspace(-2, 3, 401), indexing="ij")
    q = smc.proposal_density(np.c_[g0.ravel(), g1.ravel()], pop, sd, box).reshape(g0.shape)
    mass = np.trapezoid(np.trapezoid(q, g1[0], axis=1), g0[:, 0])
    assert mass == pytest.approx(1.0, abs=2e-3)


def test_proposals_stay_in_the_box_and_follow_the_density():
    box = [(0.0, 1.0)]
    pop = _pop([[0.02], [0.6]], w=[3.0, 1.0])
    sd = np.array([0.15])
    rng = np.random.default_rng(3)
    draws = np.array([smc.propose(pop, sd, box, rng)[0] for _ in range(20_000)])
    assert draws.min() >= 0 and draws.max() <= 1
    # share of draws below 0.3 against the density's integral there
    grid = np.linspace(0, 0.3, 601)
    expected = np.trapezoid(smc.proposal_density(grid[:, None], pop, sd, box), grid)
    assert np.mean(draws < 0.3) == pytest.approx(expected, abs=0.01)


def test_select_keeps_the_closest_ties_by_pool_order_and_nan_last():
    d = np.array([0.5, np.nan, 0.2, 0.5, 0.1])
    u = np.arange(5.0)[:, None]
    kept = smc.select(list("abcde"), u, np.ones(5), d, 3)
    assert kept.ids == ("e", "c", "a")  # 0.1, 0.2, then the first of the tied 0.5s
    assert kept.epsilon == 0.5
    assert smc.select(list("abcde"), u, np.ones(5), d, 5).ids[-1] == "b"
    assert smc.acceptance(np.array([0.1, 0.6, np.nan]), 0.5) == pytest.approx(1 / 3)


def test_weighted_quantiles_with_equal_weights_are_hazen_quantiles():
    x = np.random.default_rng(0).normal(size=101)
    qs = [0.05, 0.5, 0.95]
    assert smc.weighted_quantiles(x, np.ones(101), qs) == pytest.approx(
        np.quantile(x, qs, method="hazen")
    )
    # doubling a value's weight is counting it twice
    y = np.array([1.0, 2.0, 3.0])
    assert smc.weighted_quantiles(y, np.array([1.0, 2.0, 1.0]), [0.5]) == pytest.approx(
        np.quantile([1.0, 2.0, 2.0, 3.0], 0.5, method="hazen")
    )


def test_the_steps_recover_a_known_posterior():
    """ABC-SMC with these steps on a normal mean: the posterior N(xbar, 1/n) is recovered.

    Model: 25 draws from N(theta, 1), theta ~ U(-5, 5), the mean as statistic; observed mean
    0.7. The exact posterior is (nearly) N(0.7, 0.2^2): the ABC one, at a small threshold,
    must have its mean within 0.05 and its sd within 25 % of it.
    """
    n, xbar, box = 25, 0.7, [(-5.0, 5.0)]
    rng = np.random.default_rng(11)

    def dist(u):
        return np.abs(rng.normal(u[:, 0], 1 / np.sqrt(n)) - xbar)

    u = np.array([smc.prior_draw(box, rng) for _ in range(600)])
    pop = smc.select([f"0-{i}" for i in range(600)], u, np.ones(600), dist(u), 200)
    for t in range(1, 9):
        sd = smc.kernel_sd(pop, box)
        new = np.array([smc.propose(pop, sd, box, rng) for _ in range(400)])
        w = smc.importance_weights(new, pop, sd, box)
        pop = smc.select(
            [*pop.ids, *(f"{t}-{i}" for i in range(400))],
            np.vstack([pop.u, new]),
            np.r_[pop.weights, w],
            np.r_[pop.distances, dist(new)],
            200,
        )
    x, W = pop.u[:, 0], pop.normalised
    mean = W @ x
    assert mean == pytest.approx(xbar, abs=0.05)
    assert np.sqrt(W @ (x - mean) ** 2) == pytest.approx(0.2, rel=0.25)
    assert pop.epsilon < 0.05


def test_importance_weights_turn_proposals_into_prior_draws():
    """E_q[prior / q] = 1 and E_q[w f] = E_prior[f]: the weights undo the proposal exactly.

    So generation 0's particles (weight 1, drawn from the prior) and later ones can be pooled.
    """
    box = [(-5.0, 5.0), (0.0, 1.0)]
    rng = np.random.default_rng(5)
    pop = _pop(np.c_[rng.normal(0.7, 1.5, 50), rng.uniform(0.2, 0.8, 50)])
    sd = smc.kernel_sd(pop, box)
    new = np.array([smc.propose(pop, sd, box, rng) for _ in range(40_000)])
    w = smc.importance_weights(new, pop, sd, box)
    assert w.mean() == pytest.approx(1.0, abs=0.03)
    below = new[:, 0] < -2  # the prior puts 30 % there; the proposal about half as much
    assert np.mean(below) < 0.2
    assert np.sum(w * below) / np.sum(w) == pytest.approx(0.3, abs=0.04)
    assert np.sum(w * (new[:, 1] < 0.25)) / np.sum(w) == pytest.approx(0.25, abs=0.04)
