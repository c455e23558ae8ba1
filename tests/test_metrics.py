"""Tests for marketplace_sim.metrics: hand-computed cases, closed forms, and properties.

Every test is deterministic: numpy generators are seeded and Hypothesis runs derandomized.
"""

import itertools

import numpy as np
import pytest
import scipy.stats
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from marketplace_sim.metrics import (
    ccdf,
    gini,
    lorenz,
    mean_ci,
    share_never,
    spearman,
    standardized_coefficients,
    top_share,
    unpredictability,
)

# Derandomized so the suite is reproducible; no deadline because CI machines vary in speed;
# no example database so runs leave no state behind.
PROPS = settings(derandomize=True, deadline=None, max_examples=100, database=None)

# Non-negative values, subnormals included to exercise the scaling inside the functions.
nonneg = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
nonneg_arrays = hnp.arrays(np.float64, st.integers(1, 60), elements=nonneg)
# Many ties and exact zeros are what simulation output looks like (job counts).
count_arrays = hnp.arrays(np.int64, st.integers(1, 60), elements=st.integers(0, 5))
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def gini_bruteforce(x):
    """Mean absolute difference over all ordered pairs / (2 * mean), O(n^2)."""
    x = np.asarray(x, dtype=float)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())


def unpredictability_bruteforce(m):
    """Salganik et al. U written literally as a loop over unordered pairs of worlds."""
    m = np.asarray(m, dtype=float)
    w = m.shape[0]
    pairs = list(itertools.combinations(range(w), 2))
    u_i = sum(np.abs(m[j] - m[k]) for j, k in pairs) / len(pairs)
    return float(np.mean(u_i))


# ---------------------------------------------------------------------------------------
# 1. Hand-computed small cases
# ---------------------------------------------------------------------------------------


def test_gini_one_to_five_is_four_fifteenths():
    """gini([1..5]) = 2*55/(5*15) - 6/5 = 110/75 - 90/75 = 4/15."""
    assert gini([1, 2, 3, 4, 5]) == pytest.approx(4 / 15, rel=1e-12)


def test_gini_one_holder_of_everything_is_one_minus_one_over_n():
    """gini([0,0,0,10]) = 2*(4*10)/(4*10) - 5/4 = 0.75 = 1 - 1/n."""
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75, rel=1e-12)


def test_gini_equal_values_is_zero():
    """Equal values have zero inequality, exactly (never a tiny negative)."""
    assert gini([0.1] * 7) == 0.0
    assert gini([3, 3, 3]) == 0.0


def test_gini_order_of_input_does_not_matter_hand_case():
    """gini sorts internally, so unsorted input gives the sorted-input value."""
    assert gini([5, 1, 4, 2, 3]) == pytest.approx(4 / 15, rel=1e-12)


def test_gini_undefined_cases_are_nan():
    """Empty input and an all-zero total have no defined Gini and return nan."""
    assert np.isnan(gini([]))
    assert np.isnan(gini([0, 0, 0]))


def test_gini_integer_input_does_not_overflow():
    """Large integer counts are converted to float before the weighted sum."""
    x = np.full(1000, 2**62, dtype=np.int64)
    x[0] = 0
    assert gini(x) == pytest.approx(gini(x.astype(float)), rel=1e-12)


def test_lorenz_hand_case_one_to_four():
    """Lorenz of [4,1,3,2]: p = k/4 and L = cumulative sorted shares 0, .1, .3, .6, 1."""
    p, L = lorenz([4, 1, 3, 2])
    np.testing.assert_allclose(p, [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(L, [0, 0.1, 0.3, 0.6, 1.0])


def test_lorenz_endpoints_are_exactly_zero_and_one():
    """Both Lorenz arrays have length n+1, start at exactly 0.0 and end at exactly 1.0."""
    x = np.random.default_rng(1).lognormal(size=101)
    p, L = lorenz(x)
    assert p.shape == L.shape == (102,)
    assert p[0] == L[0] == 0.0
    assert p[-1] == L[-1] == 1.0


def test_lorenz_zero_total_is_equality_line():
    """With total 0 the Lorenz curve is the equality line L = p."""
    p, L = lorenz([0, 0, 0])
    np.testing.assert_array_equal(p, [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_array_equal(L, p)


def test_lorenz_empty_is_two_point_equality_line():
    """Empty input gives the two-point equality line ([0, 1], [0, 1])."""
    p, L = lorenz([])
    np.testing.assert_array_equal(p, [0.0, 1.0])
    np.testing.assert_array_equal(L, [0.0, 1.0])


def test_top_share_equal_values_is_exactly_q():
    """For equal values the top q hold exactly the fraction q."""
    assert top_share([1, 1, 1, 1], 0.25) == 0.25
    assert top_share([2.0] * 10, 0.3) == pytest.approx(0.3, rel=1e-15)


def test_top_share_single_holder_at_head_count_boundary():
    """One holder of everything among 4: the top 25% (exactly one holder) hold 1.0."""
    assert top_share([0, 0, 0, 10], 0.25) == 1.0


def test_top_share_single_holder_fractional_head_count():
    """Top 10% of 4 holders is 0.4 of the richest one: L(0.9) = (0.9-0.75)/0.25 = 0.6,
    so 1 - L(0.9) = 0.4 = min(1, q*n)."""
    assert top_share([0, 0, 0, 10], 0.1) == pytest.approx(0.4, rel=1e-12)


def test_top_share_hand_case_interpolates_between_holders():
    """[1,2,3,4]: top 25% = 4/10; top 50% = 7/10; top 37.5% = (4 + 0.5*3)/10 = 0.55."""
    x = [3, 1, 4, 2]
    assert top_share(x, 0.25) == pytest.approx(0.4, rel=1e-12)
    assert top_share(x, 0.5) == pytest.approx(0.7, rel=1e-12)
    assert top_share(x, 0.375) == pytest.approx(0.55, rel=1e-12)
    assert top_share(x, 1.0) == 1.0


def test_top_share_equals_one_minus_interpolated_lorenz():
    """top_share(x, q) = 1 - L(1-q) with L the linearly interpolated Lorenz curve."""
    x = np.random.default_rng(2).pareto(1.5, size=37)
    p, L = lorenz(x)
    for q in (0.01, 0.1, 0.2, 0.5, 0.9):
        assert top_share(x, q) == pytest.approx(1 - np.interp(1 - q, p, L), abs=1e-12)


def test_top_share_undefined_cases_are_nan():
    """Empty input and a zero total give nan."""
    assert np.isnan(top_share([], 0.1))
    assert np.isnan(top_share([0, 0], 0.1))


def test_spearman_monotone_transform_is_one():
    """A strictly increasing transform preserves ranks exactly, so rho = 1."""
    x = np.random.default_rng(3).normal(size=200)
    assert spearman(x, np.exp(3 * x)) == 1.0


def test_spearman_reversed_is_minus_one():
    """A strictly decreasing transform reverses ranks, so rho = -1."""
    x = np.random.default_rng(4).normal(size=200)
    assert spearman(x, -(x**3)) == -1.0


def test_spearman_ties_use_average_ranks_hand_case():
    """x=[1,2,2,3] ranks to [1,2.5,2.5,4]; against y=1..4 rho = 4.5/sqrt(4.5*5) = sqrt(0.9)."""
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(np.sqrt(0.9), rel=1e-12)


def test_spearman_undefined_cases_are_nan():
    """Fewer than 3 pairs, or a constant side, give nan."""
    assert np.isnan(spearman([1, 2], [2, 1]))
    assert np.isnan(spearman([], []))
    assert np.isnan(spearman([1, 1, 1, 1], [1, 2, 3, 4]))
    assert np.isnan(spearman([1, 2, 3, 4], [0.1] * 4))


def test_spearman_matches_scipy_with_many_ties():
    """On tied integer data the result equals scipy.stats.spearmanr."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 10, size=500)
    y = x + rng.integers(0, 10, size=500)
    assert spearman(x, y) == pytest.approx(scipy.stats.spearmanr(x, y)[0], rel=1e-12)


def test_spearman_handles_a_million_values():
    """One million pairs are handled (O(n log n)) and agree with scipy."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=1_000_000)
    y = x + rng.normal(size=x.size)
    assert spearman(x, y) == pytest.approx(scipy.stats.spearmanr(x, y)[0], rel=1e-9)


def test_unpredictability_identical_worlds_is_zero():
    """If every world produces the same shares, U = 0."""
    row = np.array([0.5, 0.3, 0.2])
    assert unpredictability(np.tile(row, (5, 1))) == 0.0


def test_unpredictability_two_worlds_two_items_hand_case():
    """Worlds [.7,.3] and [.4,.6]: each item differs by .3 over the single pair, so U = .3."""
    assert unpredictability([[0.7, 0.3], [0.4, 0.6]]) == pytest.approx(0.3, rel=1e-12)


def test_unpredictability_three_worlds_hand_case():
    """Item 1 shares .5,.2,1: pair diffs .3+.5+.8 = 1.6 over C(3,2)=3 pairs; item 2 the same."""
    m = [[0.5, 0.5], [0.2, 0.8], [1.0, 0.0]]
    assert unpredictability(m) == pytest.approx(1.6 / 3, rel=1e-12)


def test_unpredictability_no_items_is_nan():
    """With zero items the mean over items is undefined: nan."""
    assert np.isnan(unpredictability(np.empty((3, 0))))


def test_ccdf_small_sample():
    """[0,1,1,2,5]: zeros dropped; P(X>=1)=1, P(X>=2)=2/4, P(X>=5)=1/4."""
    v, p = ccdf([0, 1, 1, 2, 5])
    np.testing.assert_array_equal(v, [1, 2, 5])
    np.testing.assert_allclose(p, [1.0, 0.5, 0.25])


def test_ccdf_without_positive_values_is_empty():
    """No positive values means nothing to plot: two empty arrays."""
    v, p = ccdf([0, 0])
    assert v.size == 0 and p.size == 0


def test_share_never_counts_zeros():
    """share_never is the fraction of exact zeros; nan for empty input."""
    assert share_never([0, 3, 0, 1]) == 0.5
    assert share_never([1, 2]) == 0.0
    assert np.isnan(share_never([]))


def test_mean_ci_three_values_hand_case():
    """[1,2,3]: mean 2, s = 1; for df=2 the t quantile is (2p-1)/sqrt(2p(1-p)), p=.975."""
    t = 0.95 / np.sqrt(2 * 0.975 * 0.025)
    half = t * 1.0 / np.sqrt(3)
    m, lo, hi = mean_ci([1, 2, 3])
    assert m == pytest.approx(2.0)
    assert lo == pytest.approx(2 - half, rel=1e-10)
    assert hi == pytest.approx(2 + half, rel=1e-10)


def test_mean_ci_ignores_nan_and_degenerate_sizes():
    """NaN are dropped; one value gives lo = hi = mean; none gives all nan."""
    assert mean_ci([np.nan, 4.0, np.nan]) == (4.0, 4.0, 4.0)
    assert all(np.isnan(v) for v in mean_ci([np.nan, np.nan]))
    assert all(np.isnan(v) for v in mean_ci([]))
    assert mean_ci([1, 2, 3, np.nan]) == mean_ci([1, 2, 3])


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(2, 400),
    level=st.floats(0.01, 0.999),
    seed=st.integers(0, 2**32 - 1),
)
def test_mean_ci_is_the_student_t_interval_of_scipy_stats(n, level, seed):
    """The interval is mean -/+ scipy.stats.t.ppf((1+level)/2, n-1) s/sqrt(n), to the bit.

    mean_ci takes the quantile from scipy.special (lighter to import); the sweep tables
    must not move by it.
    """
    vals = np.random.default_rng(seed).normal(size=n)
    m, lo, hi = mean_ci(vals, level=level)
    half = float(scipy.stats.t.ppf(0.5 + level / 2.0, df=n - 1) * vals.std(ddof=1) / np.sqrt(n))
    assert (m, lo, hi) == (float(vals.mean()), m - half, m + half)


def test_mean_ci_wider_at_higher_level():
    """A 99% interval contains the 90% interval."""
    vals = np.random.default_rng(7).normal(size=20)
    _, lo90, hi90 = mean_ci(vals, level=0.90)
    _, lo99, hi99 = mean_ci(vals, level=0.99)
    assert lo99 < lo90 < hi90 < hi99


def test_standardized_coefficients_orthogonal_hand_case():
    """y = 3*x1 + 4*x2 with orthogonal unit-sd columns: sd(y) = 5, so coefs = .6 and .8."""
    x1 = np.array([1, -1, 1, -1], dtype=float)
    x2 = np.array([1, 1, -1, -1], dtype=float)
    coef = standardized_coefficients(np.column_stack([x1, x2]), 3 * x1 + 4 * x2 + 10)
    np.testing.assert_allclose(coef, [0.6, 0.8], atol=1e-12)


def test_standardized_coefficients_constant_column_gets_zero():
    """A zero-variance predictor (even 0.1 repeated, whose mean is inexact) gets exactly 0."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=50)
    X = np.column_stack([np.full(50, 0.1), x])
    coef = standardized_coefficients(X, 2 * x)
    assert coef[0] == 0.0
    assert coef[1] == pytest.approx(1.0)


def test_standardized_coefficients_equal_raw_ols_times_sd_ratio():
    """SRC_j = b_j * sd(x_j) / sd(y), where b is OLS with intercept on the raw data."""
    rng = np.random.default_rng(9)
    X = rng.normal(size=(200, 3)) * [1.0, 10.0, 0.01]
    y = X @ [2.0, -0.3, 50.0] + rng.normal(size=200)
    design = np.column_stack([np.ones(200), X])
    b = np.linalg.lstsq(design, y, rcond=None)[0][1:]
    expected = b * X.std(axis=0) / y.std()
    np.testing.assert_allclose(standardized_coefficients(X, y), expected, rtol=1e-10)


def test_standardized_coefficients_constant_y_is_nan():
    """A constant response cannot be standardised: every coefficient is nan."""
    coef = standardized_coefficients(np.arange(6.0).reshape(3, 2), [1.0, 1.0, 1.0])
    assert coef.shape == (2,) and np.all(np.isnan(coef))


# ---------------------------------------------------------------------------------------
# 2. Closed forms on large seeded samples
#
# Tolerances: over 300 seeds at n = 200_000 the Gini estimator's standard deviation was
# about 8.4e-4 (Pareto a=3), 5.7e-4 (uniform) and 6.5e-4 (exponential), with the largest of
# the 300 deviations 3.0e-3, 2.0e-3 and 2.0e-3; the plug-in estimator's bias (-G/n) is
# ~1e-6. We allow ~6 SD: 5e-3 for the heavy-tailed Pareto (infinite third moment, so the
# sampling distribution is skewed) and 4e-3 for the light-tailed cases. The Pareto top-10%
# share had SD 7.7e-4 (max deviation 2.4e-3), so it also gets 5e-3. These pass for
# essentially any seed, and still catch a wrong normalisation or a sign/sort-order error;
# O(1/n) slips such as an off-by-one in the ranks are the hand cases' job.
# ---------------------------------------------------------------------------------------

N_LARGE = 200_000


def test_gini_pareto_matches_closed_form():
    """Pareto(x_m=1, a=3) has Gini 1/(2a-1) = 0.2."""
    a = 3.0
    x = np.random.default_rng(10).pareto(a, size=N_LARGE) + 1.0
    assert gini(x) == pytest.approx(1 / (2 * a - 1), abs=5e-3)


def test_gini_uniform_matches_closed_form():
    """Uniform(0, 1) has Gini 1/3."""
    x = np.random.default_rng(11).uniform(0.0, 1.0, size=N_LARGE)
    assert gini(x) == pytest.approx(1 / 3, abs=4e-3)


def test_gini_exponential_matches_closed_form():
    """Exponential has Gini 1/2 for any rate."""
    x = np.random.default_rng(12).exponential(2.5, size=N_LARGE)
    assert gini(x) == pytest.approx(0.5, abs=4e-3)


def test_top_share_pareto_matches_closed_form():
    """For Pareto(a) the top-q share is q^(1 - 1/a); with a=3, q=0.1 that is 0.1^(2/3)."""
    a = 3.0
    x = np.random.default_rng(13).pareto(a, size=N_LARGE) + 1.0
    assert top_share(x, 0.1) == pytest.approx(0.1 ** (1 - 1 / a), abs=5e-3)


# ---------------------------------------------------------------------------------------
# 3. Properties (Hypothesis, derandomized)
# ---------------------------------------------------------------------------------------


@PROPS
@given(nonneg_arrays)
def test_gini_in_unit_interval_when_total_positive(x):
    """0 <= gini < 1 (indeed <= 1 - 1/n) for non-negative values with a positive total."""
    assume(x.sum() > 0)
    g = gini(x)
    assert 0.0 <= g < 1.0
    assert g <= 1 - 1 / x.size + 1e-12


@PROPS
@given(nonneg_arrays)
def test_gini_equals_mean_absolute_difference_form(x):
    """The sorted O(n log n) formula equals the O(n^2) pairwise definition."""
    assume(x.max() > 1e-300)  # keep the brute-force reference itself out of underflow
    assert gini(x) == pytest.approx(gini_bruteforce(x / x.max()), rel=1e-9, abs=1e-12)


@PROPS
@given(nonneg_arrays, st.floats(min_value=1e-3, max_value=1e3))
def test_gini_scale_invariant(x, c):
    """gini(c * x) = gini(x) for c > 0."""
    assume(x.max() > 1e-300)
    assert gini(c * x) == pytest.approx(gini(x), rel=1e-9, abs=1e-12)


@PROPS
@given(count_arrays, st.integers(0, 2**32 - 1))
def test_gini_permutation_invariant(x, seed):
    """Reordering the holders does not change the Gini coefficient."""
    perm = np.random.default_rng(seed).permutation(x)
    np.testing.assert_equal(gini(perm), gini(x))


@PROPS
@given(nonneg_arrays, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_top_share_monotone_in_q_and_whole_is_one(x, q1, q2):
    """top_share is non-decreasing in q, is at least q, and top_share(x, 1) = 1."""
    assume(x.sum() > 0)
    assume(q1 > 0 and q2 > 0)
    lo, hi = sorted((q1, q2))
    assert top_share(x, lo) <= top_share(x, hi) + 1e-12
    assert top_share(x, lo) >= lo - 1e-12
    assert top_share(x, 1.0) == 1.0


@PROPS
@given(st.integers(1, 500), st.floats(1e-6, 1.0), st.floats(1e-3, 1e6))
def test_top_share_single_holder_is_min_one_qn(n, q, amount):
    """If one of n holders has everything, the top-q share is min(1, q * n)."""
    x = np.zeros(n)
    x[n // 2] = amount
    assert top_share(x, q) == pytest.approx(min(1.0, q * n), rel=1e-9, abs=1e-12)


@PROPS
@given(st.one_of(nonneg_arrays, count_arrays))
def test_lorenz_nondecreasing_convex_below_diagonal(x):
    """L is non-decreasing, convex (increments non-decreasing) and never above p = L."""
    p, L = lorenz(x)
    assert p.size == L.size == x.size + 1
    assert L[0] == 0.0 and L[-1] == 1.0
    dL = np.diff(L)
    assert np.all(dL >= 0)
    assert np.all(np.diff(dL) >= -1e-12)
    assert np.all(L <= p + 1e-12)


@PROPS
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=8),
        elements=st.floats(0.0, 1.0),
    ),
    st.integers(0, 2**32 - 1),
)
def test_unpredictability_nonnegative_symmetric_and_matches_pairwise(m, seed):
    """U >= 0, is unchanged by permuting worlds, and equals the O(W^2) pairwise definition."""
    u = unpredictability(m)
    assert u >= 0.0
    shuffled = m[np.random.default_rng(seed).permutation(m.shape[0])]
    assert unpredictability(shuffled) == u
    assert u == pytest.approx(unpredictability_bruteforce(m), rel=1e-9, abs=1e-12)


@PROPS
@given(
    st.integers(3, 40).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, n, elements=finite),
            hnp.arrays(np.float64, n, elements=st.integers(-3, 3).map(float)),
        )
    )
)
def test_spearman_bounded_symmetric_and_matches_scipy(xy):
    """spearman is in [-1, 1], symmetric in its arguments, and agrees with scipy."""
    x, y = xy
    r = spearman(x, y)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        assert np.isnan(r)
        return
    assert -1.0 <= r <= 1.0
    assert spearman(y, x) == pytest.approx(r, abs=1e-12)
    assert r == pytest.approx(scipy.stats.spearmanr(x, y)[0], abs=1e-9)


@PROPS
@given(nonneg_arrays)
def test_ccdf_starts_at_one_and_strictly_decreases(x):
    """The CCDF over positive values starts at 1, strictly decreases, over increasing v."""
    v, p = ccdf(x)
    assert v.size == p.size == np.unique(x[x > 0]).size
    if v.size:
        assert p[0] == 1.0
        assert np.all(np.diff(v) > 0)
        assert np.all(np.diff(p) < 0)
        assert np.all(p > 0)


@PROPS
@given(hnp.arrays(np.float64, st.integers(2, 30), elements=finite))
def test_mean_ci_brackets_mean(vals):
    """lo <= mean <= hi for any sample of at least two values."""
    m, lo, hi = mean_ci(vals)
    assert lo <= m <= hi


# ---------------------------------------------------------------------------------------
# Error cases: malformed input raises ValueError
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [gini, lorenz, ccdf, share_never])
@pytest.mark.parametrize("bad", [[1.0, -0.5, 2.0], [1.0, np.nan], [np.inf, 1.0]])
def test_distribution_functions_reject_negative_nan_inf(func, bad):
    """Negative, NaN or infinite values raise ValueError."""
    with pytest.raises(ValueError):
        func(bad)


def test_distribution_functions_reject_2d_input():
    """A 2-D array is rejected rather than silently flattened."""
    with pytest.raises(ValueError, match="1-D"):
        gini(np.ones((2, 2)))


def test_top_share_rejects_negative_values_and_bad_q():
    """top_share needs non-negative x and 0 < q <= 1."""
    with pytest.raises(ValueError):
        top_share([1, -1], 0.5)
    for q in (0.0, -0.1, 1.5, np.nan):
        with pytest.raises(ValueError):
            top_share([1, 2], q)


def test_unpredictability_rejects_fewer_than_two_worlds():
    """W < 2 leaves no pair of worlds to compare: ValueError."""
    with pytest.raises(ValueError, match="2 worlds"):
        unpredictability([[0.5, 0.5]])
    with pytest.raises(ValueError):
        unpredictability([0.5, 0.5])  # 1-D is ambiguous


def test_unpredictability_rejects_nan():
    """NaN shares raise ValueError."""
    with pytest.raises(ValueError):
        unpredictability([[0.5, np.nan], [0.5, 0.5]])


def test_spearman_rejects_mismatched_lengths_and_nan():
    """x and y must be equally long and NaN-free."""
    with pytest.raises(ValueError):
        spearman([1, 2, 3], [1, 2])
    with pytest.raises(ValueError):
        spearman([1, 2, np.nan], [1, 2, 3])


def test_mean_ci_rejects_bad_level():
    """level must be strictly between 0 and 1."""
    for level in (0.0, 1.0, 95):
        with pytest.raises(ValueError):
            mean_ci([1, 2, 3], level=level)


def test_standardized_coefficients_rejects_bad_shapes_and_nan():
    """Row-count mismatch or NaN raise ValueError."""
    with pytest.raises(ValueError):
        standardized_coefficients(np.ones((3, 2)), [1, 2])
    with pytest.raises(ValueError):
        standardized_coefficients([[1.0], [np.nan], [2.0]], [1, 2, 3])
