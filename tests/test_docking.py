"""Docking with Lukac & Grow (2020): each ported procedure on hand cases, the model's stopping rule
and bookkeeping, the runs against their BehaviorSpace table, the analysis, sweep and page."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from marketplace_sim.analysis import docking as dk
from marketplace_sim.config import load_config
from marketplace_sim.errors import ConfigError, DataError
from marketplace_sim.model.docking import LG_COLUMNS, LukacGrowModel
from marketplace_sim.model.docking import lukac_grow as lg
from marketplace_sim.model.observation import METRIC_COLUMNS
from marketplace_sim.model.simulate import build_model, run_tables, simulate


def world(**changes: object):
    return load_config("lukac-grow-2020").with_overrides(dict(changes))


def logistic(x: float) -> float:
    return math.exp(x) / (1 + math.exp(x))


# --------------------------------------------------------------------------------------------
# The procedures, on hand cases


def test_draw_employees_talent_is_1_to_99_and_prior_jobs_floor_exponential_2():
    talent, prior = lg.draw_employees(np.random.default_rng(0), 100_000)
    assert talent.min() == 1 and talent.max() == 99  # floor random 99 + 1
    # floor(Exp(mean 2)): P(0) = 1 - exp(-1/2) = 0.3935, mean = sum_k exp(-k/2) = 1.5415
    assert abs(np.mean(prior == 0) - 0.3935) < 0.005
    assert abs(prior.mean() - 1 / (math.exp(0.5) - 1)) < 0.02


def test_reputation_basis_uses_sample_sds_and_the_starting_log_jobs():
    basis = lg.reputation_basis(np.array([1, 99]), np.array([0, 1]), 0.5, 0.5)
    # two values a, b: z = -+ 1/sqrt(2) with the sample sd |a - b| / sqrt(2)
    assert np.allclose(basis.talent_std, [-1 / math.sqrt(2), 1 / math.sqrt(2)])
    logs = [math.log(0.1), math.log(1.1)]
    assert basis.log_jobs_mean == pytest.approx(sum(logs) / 2)
    assert basis.log_jobs_sd == pytest.approx(abs(logs[1] - logs[0]) / math.sqrt(2))


def test_reputation_formula_on_hand_values():
    basis = lg.ReputationBasis(np.array([0.0, 1.0, 0.0]), math.log(1.1), 1.0, 0.5, 0.5)
    jobs = np.array([1, 1, 1])  # ln(1.1) - mean = 0: only talent counts
    got = lg.reputation_score(basis, jobs, np.array([0.0, 0.0, -0.6]))
    # floor(100 * 0.5) + 1; floor(100 * logistic(0.5)) + 1 = floor(62.25) + 1; noise -0.6
    assert got.tolist() == [51, 63, math.floor(100 * (0.5 - 0.6)) + 1]
    assert got[2] == -9  # below 1: the formula is not clipped
    more = lg.reputation_score(basis, np.array([10, 10, 10]), np.zeros(3))
    x = 0.5 * (math.log(10.1) - math.log(1.1))
    assert more[0] == math.floor(100 * logistic(x)) + 1  # more jobs, higher reputation


def test_set_reputation_rescores_only_those_with_a_job():
    basis = lg.ReputationBasis(np.zeros(4), 0.0, 1.0, 0.5, 0.5)
    before = np.array([7, 7, 7, 7])
    after = lg.recompute_reputation(np.random.default_rng(3), basis, np.array([0, 2, 0, 5]), before)
    assert after[0] == 7 and after[2] == 7  # no job yet: the starting score stays
    assert after[1] != 7 and after[3] != 7  # rescored around 100 logistic(...) with noise


def test_create_job_ranges_and_applicant_pool():
    rng = np.random.default_rng(1)
    jobs = [lg.create_job(rng, 30, 120) for _ in range(5000)]
    sizes = {j.applicants.size for j in jobs}
    assert sizes == set(range(2, 11))  # random 9 + 2
    assert all(np.unique(j.applicants).size == j.applicants.size for j in jobs)
    assert all(1 <= j.complexity <= 100 and j.price > 0 for j in jobs)
    assert {j.employer for j in jobs} == set(range(30))
    # price = Exp(20) + |N(0, 5)| * complexity: mean about 20 + 5 sqrt(2/pi) * 50 = 219.5
    assert 205 < np.mean([j.price for j in jobs]) < 235
    small = {lg.create_job(rng, 3, 12, (1, 9)).applicants.size for _ in range(2000)}
    assert small == set(range(1, 10))


def test_bids_clip_open_and_sealed_on_hand_cases():
    assert lg.clip_bid(130.0, 100.0) == 125.0 and lg.clip_bid(70.0, 100.0) == 75.0
    assert lg.clip_bid(90.0, 100.0) == 90.0
    # mean-bid = 100 + 1, mean-reps = 50 + 1, bid = 101 + 1 * (70 - 51) = 120
    assert lg.open_bid(np.array([100.0]), np.array([50.0]), 70.0, 100.0, (1, 1, 1)) == 120.0
    # a low reputation bids below the mean, here below the floor: clipped to 75
    assert lg.open_bid(np.array([100.0]), np.array([50.0]), 20.0, 100.0, (1, 1, 1)) == 75.0
    # the multiplier is (random-normal 1 0.1), applied to the reputation gap
    assert lg.open_bid(np.array([90.0, 110.0]), np.array([40.0, 60.0]), 61, 120, (0, 0, 2)) == 122
    rng = np.random.default_rng(2)
    sealed = [lg.sealed_bid(rng, 20.0) for _ in range(2000)]  # N(0, 10) around 20, in 15..25
    assert min(sealed) >= 15.0 and max(sealed) <= 25.0 and min(sealed) < 15.5


def test_place_bids_first_bid_ignores_reputation():
    price = 1000.0  # wide range (750-1250), so nothing is clipped
    a = lg.place_bids(np.random.default_rng(5), price, np.array([1.0, 1.0]), "open")
    b = lg.place_bids(np.random.default_rng(5), price, np.array([99.0, 1.0]), "open")
    assert a[0] == b[0]  # the first bidder looks only at the price
    assert b[1] < a[1]  # the second bids below the mean when the first has more reputation
    assert len(lg.place_bids(np.random.default_rng(5), price, np.ones(6), "sealed")) == 6


def test_strategy_weight_and_selection_scores_on_hand_cases():
    assert lg.strategy_weight(50, 0.4) == 0.5
    assert lg.strategy_weight(100, 0.4) == pytest.approx(logistic(20.0))
    assert lg.strategy_weight(1, 0.001) == pytest.approx(logistic(-0.049))
    scores = lg.selection_scores(0.5, np.array([50.0, 100.0]), np.array([100.0, 125.0]))
    # 0.5 * 50/100 + 0.5 * (1 - 100/125) = 0.35; 0.5 * 1 + 0.5 * 0 = 0.5
    assert np.allclose(scores, [0.35, 0.5])
    price_only = lg.selection_scores(0.0, np.array([50.0, 100.0]), np.array([100.0, 125.0]))
    assert np.allclose(price_only, [0.2, 0.0])


def test_select_winner_breaks_ties_at_random_among_the_best():
    rng = np.random.default_rng(0)
    wins = [lg.select_winner(rng, np.array([0.7, 0.7, 0.2])) for _ in range(400)]
    assert set(wins) == {0, 1} and 150 < wins.count(0) < 250
    assert lg.select_winner(rng, np.array([0.1, 0.9, 0.2])) == 1


def test_outcome_measures_are_their_reporters():
    start = np.array([10, 40, 50, 80, 90])
    prior = np.array([0, 1, 2, 0, 3])
    jobs = np.array([0, 3, 2, 4, 3])
    earn = np.array([0.0, 300.0, 0.0, 500.0, 0.0])
    rep = np.array([5, 45, 55, 85, 60])
    out = lg.outcome_measures(start, prior, jobs, earn, rep)
    assert lg.reputation_band(np.array([32, 33, 66, 67])).tolist() == [0, 1, 1, 2]
    assert out["lg_jobs_low"] == 0 and out["lg_jobs_mid"] == 1.0 and out["lg_jobs_high"] == 2.0
    assert out["lg_earn_mid"] == 150.0 and out["lg_earn_high"] == 250.0
    assert out["lg_no_work"] == 3  # rows 0, 2, 4: no new job
    assert out["lg_meanrep_no_work"] == pytest.approx((5 + 55 + 60) / 3)


# --------------------------------------------------------------------------------------------
# The model


def test_run_ends_when_num_jobs_distinct_pairs_have_worked_together():
    model = simulate(world(**{"run.record_every": 1}))
    steps = model.steps_frame()
    assert isinstance(model, LukacGrowModel) and not model.running
    assert steps["lg_pairs"].iloc[-1] == 200 and steps["lg_pairs"].iloc[-2] == 199
    assert steps["step"].tolist() == list(range(1, len(steps) + 1))
    assert 200 <= steps["step"].iloc[-1] <= 250
    assert (steps["lg_step"] == steps["step"]).all()
    fl, contracts = model.freelancers_frame(), model.contracts_frame()
    assert fl["new_jobs"].sum() == len(contracts) == steps["step"].iloc[-1]  # one hire a job
    assert fl["earnings"].sum() == pytest.approx(contracts["value"].sum())
    assert (contracts["value"] >= 0.75 * contracts["price"] - 1e-9).all()
    assert (contracts["value"] <= 1.25 * contracts["price"] + 1e-9).all()
    assert contracts["rehire"].sum() == len(contracts) - 200  # repeat pairs add no link
    assert steps["lg_no_work"].iloc[-1] == (fl["new_jobs"] == 0).sum()


def test_time_limit_and_frames_have_the_metric_columns():
    model = simulate(world(**{"run.steps": 30, "run.record_every": 10}))
    steps = model.steps_frame()
    assert steps["step"].tolist() == [10, 20, 30]  # stopped by the time limit, before 200 pairs
    assert list(steps.columns) == ["step", *METRIC_COLUMNS, *LG_COLUMNS]
    assert steps["mean_rating"].isna().all() and (steps["fill_rate"] == 1.0).all()
    assert len(model.agents) == 150  # 30 employers and 120 employees, Mesa agents
    assert model.employees[0].jobs_received == model.jobs[0]


def test_same_seed_same_run_and_population_stream_apart():
    a = run_tables(simulate(world(**{"run.seed": 4})))
    b = run_tables(simulate(world(**{"run.seed": 4})))
    pd.testing.assert_frame_equal(a.steps, b.steps)
    c = run_tables(simulate(world(**{"run.seed": 5, "run.population_seed": 4})))
    assert (c.freelancers["talent"] == a.freelancers["talent"]).all()  # same people
    assert not c.contracts["value"].equals(a.contracts["value"])  # other luck


def test_docking_keys_are_refused_outside_a_docking_world():
    with pytest.raises(ConfigError, match="clients.strategy_coefficient"):
        load_config("smoke", {"clients.strategy_coefficient": 0.1})
    with pytest.raises(ConfigError, match="min_applicants"):
        world(**{"docking.min_applicants": 11})
    assert type(build_model(load_config("smoke"))).__name__ == "MarketplaceModel"


# --------------------------------------------------------------------------------------------
# Against their table (a test that can fail: the tolerances are stated)

REPLICATES = 30
VALUES = (0.001, 0.101, 0.396)


def _ours(values: tuple[float, ...], **changes: object) -> pd.DataFrame:
    rows = []
    for coef in values:
        for r in range(REPLICATES):
            cfg = world(**{"clients.strategy_coefficient": coef, "run.seed": 7000 + r}, **changes)
            last = simulate(cfg).steps_frame().iloc[-1]
            rows.append({"coef": coef, **{m.theirs: float(last[m.ours]) for m in dk.MEASURES}})
    return pd.DataFrame(rows)


def _within(ours: np.ndarray, theirs: np.ndarray, stat) -> bool:
    """Whether ``stat(ours)`` is inside the bootstrap 95 % interval of ``stat(theirs)``, widened
    on each side by two bootstrap standard errors of ``stat(ours)`` (our runs are a sample too).

    ``ours`` and ``theirs`` hold one row per run; rows are resampled whole.
    """
    rng = np.random.default_rng(0)

    def boot(x: np.ndarray) -> np.ndarray:
        return np.array([stat(x[rng.integers(len(x), size=len(x))]) for _ in range(2000)])

    lo, hi = np.quantile(boot(theirs), [0.025, 0.975])
    tol = 2 * boot(ours).std()
    return bool(lo - tol <= stat(ours) <= hi + tol)


def _mean(x: np.ndarray) -> float:
    return float(x.mean())


def _jobs_ratio(x: np.ndarray) -> float:
    """Mean new jobs of the high band over the low band's (rows: high, low)."""
    return float(x[:, 0].mean() / x[:, 1].mean())


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return dk.read_reference()


def test_docked_world_matches_their_table(reference: pd.DataFrame):
    """1-9 applicants (the variant docs/docking.md traces the difference to): at three values,
    the mean of count_no_work and the top-over-bottom ratio of mean jobs are within their 95 %
    interval plus two of our standard errors, and no KS test rejects at 0.05 after
    Benjamini-Hochberg over the 27 (value, measure) pairs."""
    ours = _ours(VALUES, **{"docking.min_applicants": 1, "docking.max_applicants": 9})
    pvalues = []
    for coef in VALUES:
        a, b = ours[ours["coef"] == coef], reference[reference["coef"] == coef]
        assert len(b) == 50
        assert _within(a["count_no_work"].to_numpy(), b["count_no_work"].to_numpy(), _mean), coef
        bands = ["jobs_rep70_100", "jobs_rep0_30"]
        assert _within(a[bands].to_numpy(), b[bands].to_numpy(), _jobs_ratio), coef
        for m in dk.MEASURES:
            pvalues.append(dk.two_sample(a[m.theirs].to_numpy(), b[m.theirs].to_numpy())["ks_p"])
    assert (dk.adjust_pvalues(np.array(pvalues), "bh") >= 0.05).all()


def test_published_code_is_too_concentrated_at_low_coef_strategy(reference: pd.DataFrame):
    """Their published code (2-10 applicants) at coef-strategy 0.001: more employees without a
    new job than their table allows (mean outside the same widened interval), as the page says."""
    ours = _ours((0.001,))
    theirs = reference.loc[reference["coef"] == 0.001, "count_no_work"].to_numpy()
    assert not _within(ours["count_no_work"].to_numpy(), theirs, _mean)
    assert ours["count_no_work"].mean() > theirs.mean() + 3


# --------------------------------------------------------------------------------------------
# The analysis, the sweep, the page


def test_adjust_pvalues_holm_and_bh_on_hand_cases():
    p = np.array([0.01, 0.04, 0.03, np.nan])
    # Holm: sorted 0.01, 0.03, 0.04 -> 3 x 0.01, max(0.03, 2 x 0.03), max(0.06, 1 x 0.04)
    assert np.allclose(dk.adjust_pvalues(p, "holm")[:3], [0.03, 0.06, 0.06])
    # BH: 0.04 x 3/3, 0.03 x 3/2 = 0.045 -> min from above 0.04; 0.01 x 3 = 0.03
    assert np.allclose(dk.adjust_pvalues(p, "bh")[:3], [0.03, 0.04, 0.04])
    assert np.isnan(dk.adjust_pvalues(p, "bh")[3])


def test_two_sample_effect_sizes_and_ranges():
    out = dk.two_sample(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]))
    assert out["smd"] == pytest.approx(-1.0) and out["ratio"] == pytest.approx(2 / 3)
    same = dk.two_sample(np.full(5, 3.0), np.full(5, 3.0))
    assert same["mw_p"] == 1.0 and same["smd"] == 0.0
    assert dk.ranges([0.001, 0.006, 0.011, 0.101, 0.2, 0.205]) == "0.001-0.011, 0.101, 0.2-0.205"


def test_read_reference_refuses_another_table(tmp_path):
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="not their BehaviorSpace table"):
        dk.read_reference(bad)


def test_small_sweep_carries_lg_columns_and_the_page_is_written(tmp_path, reference):
    from marketplace_sim.data import configs_dir
    from marketplace_sim.experiments.sweep import load_experiment, run_sweep
    from marketplace_sim.reports.docking import write_docking

    exp = tmp_path / "dock.toml"
    exp.write_text(
        f'base = "{(configs_dir() / "lukac-grow-2020.toml").as_posix()}"\n'
        '[experiment]\nname = "dock"\nreplications = 4\nmetrics = ["lg_no_work"]\n'
        '[set]\n"run.record_every" = 250\n'
        '[sweep]\n"clients.strategy_coefficient" = [0.001, 0.396]\n'
    )
    run_sweep(load_experiment(exp), tmp_path / "sweep", workers=1, quiet=True)
    runs = pd.read_parquet(tmp_path / "sweep" / "runs.parquet")
    assert set(LG_COLUMNS) <= set(runs.columns) and (runs["status"] == "ok").all()
    assert runs["lg_step"].between(200, 250).all()
    report = write_docking(tmp_path / "sweep", tmp_path / "docs")
    text = report.markdown.read_text()
    assert "| employees with no new job (`count_no_work`) |" in text
    assert all(p.exists() for p in report.figures) and len(report.figures) == 2
    assert report.verdict["values"].tolist() == [2] * len(dk.MEASURES)
