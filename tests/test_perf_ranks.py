"""The weekly metrics of large tables from packed-key sorts equal the numpy code's to the last bit.

``ranks.packed_metrics`` (with ``market/kernels_ranks.py``) computes the metrics of tables above
``observation.COMPILED_METRICS_ROWS`` rows from sorts of ``value << b | member`` keys. Here the
limit is lowered so that small seeded worlds take that path, and every week's metrics are
compared with the numpy code's (``_concentration``, ``_ratings``, ``_activity``), past week 52
so that the first-year/later Spearman runs too; the building blocks are checked against
``metrics.average_ranks`` and ``metrics.rank_correlation`` on ties, float keys that collide in
their packed part, negative and signed-zero values, and the fallback when keys do not fit.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketplace_sim import metrics
from marketplace_sim.columns import METRIC_COLUMNS
from marketplace_sim.config import load_config
from marketplace_sim.market import jit
from marketplace_sim.model import fastpaths, observation
from marketplace_sim.model.marketplace import MarketplaceModel

pytest.importorskip("numba")

from marketplace_sim.market import kernels_ranks as kr  # noqa: E402  (imports numba)

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _numpy_metrics(model):
    act = np.flatnonzero(model.freelancers.active)
    return {
        **observation._concentration(model, act),
        **observation._ratings(model, act),
        **observation._activity(model, act),
    }


def _packed_metrics(model):
    computed = fastpaths.weekly_metrics(model, True)
    assert computed is not None
    return observation._compiled_metrics(model, computed)


def _assert_same(a, b):
    for name in METRIC_COLUMNS:
        x, y = a[name], b[name]
        assert x == y or (np.isnan(x) and np.isnan(y)), (name, x, y)


def _world(overrides):
    return MarketplaceModel(load_config(CONFIGS / "baseline.toml", overrides))


@pytest.mark.parametrize(
    "overrides",
    [
        {"run.steps": 70, "market.freelancers": 1500, "run.seed": 3},
        {"run.steps": 60, "market.freelancers": 800, "run.seed": 8, "platform.ranking": "random"},
        {
            "run.steps": 58,
            "market.freelancers": 600,
            "run.seed": 4,
            "platform.rating_display": "bayesian",
            "platform.rating_precision": 1,
        },
    ],
)
def test_packed_metrics_equal_numpy_every_week(overrides):
    """Each week of a compiled world: the packed path's 19 columns are the numpy code's."""
    with jit.using(True):
        model = _world(overrides)
        early_late = []
        for _ in range(model.config.run.steps):
            model.step()
            packed, ref = _packed_metrics(model), _numpy_metrics(model)
            _assert_same(packed, ref)
            early_late.append(ref["early_late_spearman"])
    assert np.isfinite(early_late[-1])  # the first-year Spearman was compared too
    assert np.isfinite(packed["merit_spearman"]) and packed["freelancers_active"] > 100


def test_a_run_over_the_limit_records_the_numpy_runs_tables(monkeypatch):
    """With the row limit crossed mid-run (observe, then packed), steps equal the numpy run's."""
    overrides = {"run.steps": 56, "market.freelancers": 1000, "run.seed": 11}
    frames, rows = [], []
    for compiled in (False, True):
        monkeypatch.setattr(observation, "COMPILED_METRICS_ROWS", 1100)
        with jit.using(compiled):
            model = _world(overrides)
            while model.running:
                model.step()
                rows.append(model.freelancers.n)
        frames.append(model.steps_frame())
    assert min(rows) <= 1100 < max(rows)
    pd.testing.assert_frame_equal(frames[1], frames[0], check_exact=True)


def test_edge_cases_no_members_all_zero_earnings_ties():
    with jit.using(True):
        model = _world({"run.steps": 20, "market.freelancers": 400, "run.seed": 2})
        for _ in range(8):
            model.step()
        fl = model.freelancers
        earnings = fl.earnings.copy()
        fl.earnings[:] = 0  # all zero: Gini NaN, merit Spearman NaN
        _assert_same(_packed_metrics(model), _numpy_metrics(model))
        assert np.isnan(_packed_metrics(model)["gini_earnings"])
        fl.earnings[:] = (earnings // 50_000) * 50_000  # a few values, many ties
        _assert_same(_packed_metrics(model), _numpy_metrics(model))
        # ties in expertise too (against spearman from scratch: the numpy code's kept order
        # of expertise trusts it never to change)
        fl.expertise0[: fl.n] = np.round(fl.expertise0[: fl.n], 1)
        act = np.flatnonzero(fl.active)
        merit = metrics.spearman(fl.expertise0[act], fl.earnings[act] / 100.0)
        assert _packed_metrics(model)["merit_spearman"] == merit and np.isfinite(merit)
        fl.active[:] = False  # no members
        out = _packed_metrics(model)
        _assert_same(out, _numpy_metrics(model))
        assert out["freelancers_active"] == 0 and np.isnan(out["mean_rate"])


def test_earnings_too_large_for_the_keys_fall_back_to_numpy():
    with jit.using(True):
        model = _world({"run.steps": 10, "market.freelancers": 300, "run.seed": 6})
        for _ in range(5):
            model.step()
        row = int(np.flatnonzero(model.freelancers.active)[0])
        model.freelancers.earnings[row] = kr.INT_LIMIT  # 88 billion USD: does not fit
        assert fastpaths.weekly_metrics(model, True) is None
        expected = _numpy_metrics(model)
        _assert_same(observation.compute_metrics(model), expected)


def _ranks_of_floats(values):
    keys = np.empty(values.size, dtype=np.uint64)
    kr.pack_floats(values, keys)
    keys.sort()
    out = np.full(values.size, -1.0)
    kr.ranks_from_keys(keys, values, out)
    return out


def test_float_ranks_equal_average_ranks_with_collisions_ties_signs():
    """Floats that differ only in the bits the keys drop, in runs short and long (> 16)."""
    rng = np.random.default_rng(1)
    base = rng.normal(size=3000)
    tiny = 1.0 + np.arange(40) * 2.0**-52  # one packed part: a run of 40, all distinct
    near = np.repeat(rng.normal(size=50), 3) * (1 + rng.integers(0, 3, 150) * 2.0**-50)
    signs = np.array([0.0, -0.0, -0.0, 0.0, -1e-300, 1e-300, -np.inf, np.inf])
    values = rng.permutation(np.concatenate((base, tiny, near, signs, np.round(base[:500], 1))))
    np.testing.assert_array_equal(_ranks_of_floats(values), metrics.average_ranks(values))
    assert np.array_equal(_ranks_of_floats(np.zeros(5)), np.full(5, 3.0))  # one tie of all
    assert _ranks_of_floats(np.array([2.5])).tolist() == [1.0]


def test_int_keys_ranks_values_and_misfit():
    rng = np.random.default_rng(2)
    a = rng.integers(-(10**6), 10**9, 5000)
    a[::7] = 0  # ties
    rows = np.flatnonzero(rng.random(a.size) < 0.6)
    keys = np.empty(rows.size, dtype=np.uint64)
    lo = kr.pack_ints(a, np.empty(0, dtype=np.int64), rows, keys)
    assert lo == a[rows].min()
    keys.sort()
    values = np.empty(rows.size)
    kr.cents_sorted(keys, lo, values)
    np.testing.assert_array_equal(values, np.sort(a[rows] / 100.0))
    ranks = np.empty(rows.size)
    kr.ranks_from_keys(keys, np.empty(0), ranks)
    np.testing.assert_array_equal(ranks, metrics.average_ranks(a[rows]))
    less = rng.integers(0, 10**6, a.size)  # a - less, as later earnings
    kr.pack_ints(a, less, rows, keys)
    keys.sort()
    kr.ranks_from_keys(keys, np.empty(0), ranks)
    np.testing.assert_array_equal(ranks, metrics.average_ranks((a - less)[rows]))
    big = np.array([0, kr.INT_LIMIT], dtype=np.int64)
    assert kr.pack_ints(big, np.empty(0, dtype=np.int64), np.arange(2), keys[:2]) < -kr.INT_LIMIT


def test_rank_correlation_in_is_numpys_to_the_last_bit():
    """Over 300,000 members (sums no longer exact in float64): numpy's pairwise order."""
    rng = np.random.default_rng(3)
    ra = metrics.average_ranks(rng.integers(0, 1000, 300_001))
    rb = metrics.average_ranks(ra + rng.normal(scale=4e4, size=ra.size))
    expected = metrics.rank_correlation(ra, rb)
    got = kr.rank_correlation_in(ra.copy(), rb.copy(), np.empty(ra.size), np.empty(256))
    assert got == expected and 0.5 < got < 1.0
