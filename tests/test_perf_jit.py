"""The compiled kernels (numba) give exactly what the numpy code gives, and the policy that picks.

Whole fixed-seed runs are made twice, with the kernels and without (``jit.using``), over
worlds that switch on every branch the kernels replicate (rankings, exploration slots,
Bayesian and rounded ratings, inflation, interventions, a warm start, capacity 1, the
mechanisms of configs/profiles.toml); their tables must be equal to the last bit, and the
market stream must end in the same state (the kernels drew exactly the numbers numpy would
have). The building blocks that replicate numpy routines (pairwise sums, ``np.interp``,
``searchsorted`` through a guide table, the generator reached by address) are checked on
their own against numpy itself.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from marketplace_sim.config import load_config
from marketplace_sim.market import jit
from marketplace_sim.model.marketplace import MarketplaceModel
from marketplace_sim.model.observation import freelancers_with_prior_and_reputation

pytest.importorskip("numba")

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

WORLDS = {
    "baseline": ("baseline.toml", {"run.steps": 60, "market.freelancers": 1500}),
    "random": (
        "baseline.toml",
        {"run.steps": 40, "platform.ranking": "random", "run.seed": 5, "run.agent_every": 10},
    ),
    "mix": (
        "baseline.toml",
        {
            "run.steps": 70,
            "market.freelancers": 1200,
            "platform.ranking": "newcomer_boost",
            "platform.exploration": 0.3,
            "platform.rating_display": "bayesian",
            "platform.rating_precision": 1,
            "reviews.inflation": 0.3,
            "interventions.first_job": {"at_step": 20, "share": 0.5},
            "interventions.early_boost": {"at_step": 25, "share": 0.5, "reviews": 2},
            "market.prior_jobs_mean": 3.0,
            "freelancers.capacity_max": 1,
            "run.record_every": 3,
            "run.seed": 7,
        },
    ),
    "profiles": ("profiles.toml", {"run.steps": 60, "market.freelancers": 1500}),
    "large": (  # more members than ranks.SORT_BELOW: the kept orders' incremental path
        "baseline.toml",
        {
            "run.steps": 60,
            "market.freelancers": 12_000,
            "market.clients": 3000,
            "market.entry_rate": 60.0,
            "market.client_entry_rate": 15.0,
            "run.seed": 2,
        },
    ),  # fmt: skip
    "quiet": (  # the sweep's setting: no contract log (kernels_complete.complete_quiet)
        "baseline.toml",
        {
            "run.steps": 60,
            "market.freelancers": 1500,
            "run.record_every": 4,
            "run.record_contracts": False,
            "run.seed": 4,
        },
    ),
    "profiles_boost": (
        "profiles.toml",
        {
            "run.steps": 40,
            "platform.ranking": "newcomer_boost",
            "platform.exploration": 0.2,
            "platform.search_weight": 0.8,
            "run.seed": 3,
        },
    ),
}


def _run(name: str, compiled: bool) -> tuple[dict[str, pd.DataFrame], dict]:
    path, overrides = WORLDS[name]
    with jit.using(compiled):
        model = MarketplaceModel(load_config(CONFIGS / path, overrides))
        assert model.compiled is compiled
        for _ in range(model.config.run.steps):
            model.step()
    model.check_invariants()
    tables = {
        "steps": model.steps_frame(),
        "freelancers": freelancers_with_prior_and_reputation(model),
        "contracts": model.contracts_frame(),
        "agents": model.datacollector.get_agent_vars_dataframe(),
    }
    return tables, model.rng.bit_generator.state


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_compiled_run_equals_numpy_run(name):
    numpy_tables, numpy_state = _run(name, compiled=False)
    jit_tables, jit_state = _run(name, compiled=True)
    for table, expected in numpy_tables.items():
        pd.testing.assert_frame_equal(jit_tables[table], expected, check_exact=True, obj=table)
    assert jit_state == numpy_state  # the same numbers were drawn, no more, no fewer
    assert numpy_tables["freelancers"]["jobs_completed"].sum() > 100  # the worlds did trade
    if WORLDS[name][1].get("run.record_contracts", True):
        assert len(numpy_tables["contracts"]) > 100


def test_kept_orders_pass_between_compiled_and_numpy_weeks(monkeypatch):
    """Weeks computed by the numpy code and by the kernels in turn, each from the orders it
    kept weeks before (ranks.SortedRows, ranks.KeptOrders), give the numpy run's tables."""
    monkeypatch.setattr("marketplace_sim.model.ranks.SORT_BELOW", 0)  # numpy reads its state
    numpy_tables, _ = _run("mix", compiled=False)
    path, overrides = WORLDS["mix"]
    with jit.using(True):
        model = MarketplaceModel(load_config(CONFIGS / path, overrides))
        for week in range(model.config.run.steps):
            model.compiled = week % 7 < 4  # runs of four compiled weeks, three numpy ones
            model.step()
    pd.testing.assert_frame_equal(model.steps_frame(), numpy_tables["steps"], check_exact=True)


def test_a_review_table_too_short_is_extended_before_any_draw(monkeypatch):
    """The ranking keys read ``log1p(reviews)`` from a table; one too short for some row
    makes the kernel return before drawing anything (rehires included), and the call is
    repeated with a longer table: the run is still the numpy run."""
    from marketplace_sim.model import fastpaths

    original = fastpaths.FastTables.log1p_reviews
    asked = []

    def starting_short(self, at_least):
        asked.append(at_least)
        if at_least == 0 and self._log1p.size == 0:
            return np.log1p(np.arange(3, dtype=np.int32))  # too short from 3 reviews on
        return original(self, at_least)

    monkeypatch.setattr(fastpaths.FastTables, "log1p_reviews", starting_short)
    numpy_tables, numpy_state = _run("baseline", compiled=False)
    jit_tables, jit_state = _run("baseline", compiled=True)
    assert asked[0] == 0 and any(a >= 3 for a in asked)  # short at first, then extended
    for table, expected in numpy_tables.items():
        pd.testing.assert_frame_equal(jit_tables[table], expected, check_exact=True, obj=table)
    assert jit_state == numpy_state


# ------------------------------------------------------------------------------------------
# Building blocks against numpy


@pytest.mark.parametrize("seed", range(6))
def test_offers_are_accepted_as_by_the_full_sort(seed):
    """``kernels.accept`` sorts only the offers to candidates with more offers than room;
    the answer is the one of ranking every candidate's offers by (priority, position)."""
    from marketplace_sim.market import kernels

    rng = np.random.default_rng(seed)
    for size, crowd in ((0, 1), (1, 1), (5, 1), (50, 1), (2000, 1), (2000, 200), (300, 100)):
        # crowd: offers per candidate about 1 + seed, or far more (groups sorted whole)
        n_rows = max(1, size // ((1 + seed) * crowd))
        cand = rng.integers(0, n_rows, size)
        prio = rng.integers(0, 4, size) / 4.0 if seed % 2 else rng.random(size)  # ties or not
        spare = rng.integers(-1, 4, n_rows)
        order = np.lexsort((prio, cand))  # by candidate, then priority, then position
        want = np.empty(size, dtype=bool)
        rank = 0
        for j, i in enumerate(order):
            first = j == 0 or cand[order[j - 1]] != cand[i]
            rank = 0 if first else rank + 1
            want[i] = rank < spare[cand[i]]
        np.testing.assert_array_equal(kernels.accept(cand, prio, spare), want)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 700, 7000, 70_000])
def test_ranking_sort_is_lexsort(n):
    """``kernels_sort.order_by`` is ``np.lexsort((tie_break, key))`` (distinct tie-breaks):
    ties of the key in many forms (+-0.0, NaN, infinities, subnormals, values one ulp apart),
    tie-breaks whose high bits agree, and equal tie-breaks (the plain sort is used)."""
    from marketplace_sim.market import discovery, kernels_sort

    rng = np.random.default_rng(n)
    odd = np.array([0.0, -0.0, 1.5, np.nan, -2.0, np.inf, -np.inf, np.nextafter(1.5, 2), 5e-324])
    keys = [rng.choice(odd, n), rng.standard_normal(n), np.round(rng.standard_normal(n), 1)]
    for key in keys:
        for close in (False, True):
            tie = rng.random(n)
            if close and n > 3:  # half of them within 2 ** -40 of 0.5: equal high bits
                tie[: n // 2] = 0.5 + rng.integers(0, 2**12, n // 2) * 2.0**-52
                tie = np.unique(tie) if np.unique(tie).size == n else rng.permutation(tie)
            if np.unique(tie).size < n:
                continue
            want = np.lexsort((tie, key))
            np.testing.assert_array_equal(kernels_sort.order_by(key, tie, False), want)
            np.testing.assert_array_equal(kernels_sort.order_by(key, tie, True), np.argsort(tie))
            np.testing.assert_array_equal(discovery._order_by(key, tie, False), want)
    if n > 3:
        tie = rng.random(n)
        tie[1] = tie[0]  # two equal draws: np.lexsort decides
        key = rng.choice(odd[:3], n)
        np.testing.assert_array_equal(
            kernels_sort.order_by(key, tie, False), np.lexsort((tie, key))
        )


def test_pairwise_sum_is_numpys_sum():
    from marketplace_sim.market.kernels_metrics import pairwise_sum

    rng = np.random.default_rng(0)
    # lengths around every branch of numpy's pairwise summation (8, 128, the halving, > 8192)
    for n in [*range(0, 300), 1000, 1023, 8191, 8192, 8193, 65_537, 1_000_003]:
        a = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 6, n)
        assert pairwise_sum(a) == a.sum(), n


def test_interp_and_top_shares_are_numpys():
    from marketplace_sim import metrics
    from marketplace_sim.market.kernels_metrics import gini_and_top_shares

    rng = np.random.default_rng(1)
    for n in (1, 2, 7, 100, 101, 1000, 4321):
        s = np.sort(np.round(rng.exponential(3.0, n) * (rng.random(n) < 0.7), 2))
        s[-1] = max(s[-1], 0.5)  # something earned, or both sides are NaN only
        gini, *tops = gini_and_top_shares(s, 0.01, 0.10, np.empty(3 * n), np.empty(256))
        # exact, NaN where numpy gives NaN (nothing earned)
        np.testing.assert_array_equal(tops, metrics.top_shares_sorted(s, (0.01, 0.1)))
        np.testing.assert_array_equal(gini, metrics.gini_sorted(s))
    for n in (1, 3, 10, 200):  # q on a grid point p = j / n, and q = 1: no interpolation
        s = np.sort(rng.exponential(1.0, n))
        for q in (1.0 / n, 0.5, 1.0):
            assert gini_and_top_shares(s, q, 1.0, np.empty(3 * n), np.empty(256))[1:] == tuple(
                metrics.top_shares_sorted(s, (q, 1.0))
            )
    assert np.isnan(gini_and_top_shares(np.zeros(5), 0.01, 0.1, np.empty(15), np.empty(256))).all()


def test_guide_bounds_then_scan_is_searchsorted():
    """A guide table's bounds, then the scan within them: ``np.searchsorted`` exactly."""
    from marketplace_sim.market import kernels_guide as kg

    rng = np.random.default_rng(2)
    for n in (2, 3, 50, 5000):
        cum = np.cumsum(rng.random(n) * (rng.random(n) < 0.8))  # flat steps (zero weights) too
        guide, step, scale = kg.guide_table(cum)
        edges = np.arange(n + 1) * (cum[-1] / n)  # discovery._guide_table's edges
        assert step == cum[-1] / n and scale == n / cum[-1]
        assert guide.dtype == np.int32
        np.testing.assert_array_equal(guide[:n], np.searchsorted(cum, edges[:n], side="right"))
        assert guide[n] == n  # e_n = inf
        # random targets, the sums themselves, every bucket edge and its neighbours one ulp
        # away (where the computed edge b * step decides the bucket), both ends, below 0
        at_edges = np.concatenate(
            [edges[:n], np.nextafter(edges[:n], -1), np.nextafter(edges[:n], 2)]
        )
        targets = np.concatenate(
            [
                rng.random(3000) * cum[-1],
                cum[:50],
                at_edges[:3000],
                [0.0, cum[-1], -1.0, 2 * cum[-1]],
            ]
        )
        bounds = [kg.guide_bounds(t, guide, step, scale) for t in targets]
        got = [kg.scan_bucket(cum, t, lo, hi) for t, (lo, hi) in zip(targets, bounds, strict=True)]
        assert got == np.searchsorted(cum, targets, side="right").tolist()
        # the table bounds every target from 0 up (only those below it search everywhere),
        # and the scan moves past the bucket's first entry for some
        assert all((b == (-1, -1)) == (t < 0) for t, b in zip(targets, bounds, strict=True))
        assert any(p > lo for p, (lo, _) in zip(got, bounds, strict=True))


def test_cross_rounds_with_and_without_a_guide_agree():
    """The rejection rounds give the same draws, leftovers and generator state whether the
    searches go through a guide table or search the whole sums (the branch for sums with no
    positive total), and each kept position is in another niche than the slot's."""
    from marketplace_sim.market import kernels_guide as kg
    from marketplace_sim.market import kernels_hire

    rng = np.random.default_rng(8)
    rows, slots = 3000, 4000
    niche = np.sort(rng.integers(0, 5, rows)).astype(np.int16)
    cum = np.cumsum(rng.random(rows) * (rng.random(rows) < 0.8))
    k = rng.integers(0, 5, slots).astype(np.int64)
    todo = np.sort(rng.choice(slots, 1500, replace=False)).astype(np.int64)
    results = []
    for guide in (kg.guide_table(cum), kg.guide_table(cum[:0])):
        g = np.random.default_rng(3)
        pos = np.full(slots, -1)
        left = kernels_hire.cross_rounds(g, todo.copy(), k, cum, cum[-1], niche, pos, guide)
        results.append((pos, left, g.bit_generator.state))
    (pos, left, state), (pos2, left2, state2) = results
    np.testing.assert_array_equal(pos, pos2)
    np.testing.assert_array_equal(left, left2)
    assert state == state2
    placed = np.setdiff1d(todo, left)
    assert placed.size > 0 and (niche[pos[placed]] != k[placed]).all()
    assert (pos[np.setdiff1d(np.arange(slots), todo)] == -1).all()  # only the slots to draw


def test_home_positions_with_and_without_a_guide_are_discoverys():
    """Both searches give ``discovery._draw_home``'s positions (a whole-array search, clipped
    to the niche's segment), zero-weight rows and empty niches included."""
    from marketplace_sim.market import kernels
    from marketplace_sim.market import kernels_guide as kg

    rng = np.random.default_rng(5)
    n, n_niches = 3000, 7
    w = rng.random(n) * (rng.random(n) < 0.8)
    niche = np.sort(rng.integers(0, n_niches - 1, n))  # the last niche is empty
    cum = np.cumsum(w)
    seg_start = np.searchsorted(niche, np.arange(n_niches))
    seg_end = np.searchsorted(niche, np.arange(n_niches), side="right")
    cum0 = np.concatenate([[0.0], cum])
    home_tot = cum0[seg_end] - cum0[seg_start]
    k = rng.integers(0, n_niches - 1, 5000)
    h = np.flatnonzero(rng.random(k.size) < 0.5)
    u = rng.random(h.size)
    target = cum0[seg_start[k[h]]] + u * home_tot[k[h]]
    want = np.minimum(np.searchsorted(cum, target, side="right"), seg_end[k[h]] - 1)
    for guide in (kg.guide_table(cum), kg.guide_table(cum[:0])):
        pos = np.full(k.size, -1)
        kernels.home_positions(u, h, k, cum, seg_start, seg_end, home_tot, pos, guide)
        np.testing.assert_array_equal(pos[h], want)
    assert kg.guide_table(cum)[0].size  # the guided search was the one tested first


def test_kernels_draw_from_the_models_generator():
    import numba

    from marketplace_sim.market.jit_rng import generator
    from marketplace_sim.market.kernels_hire import uniforms

    @numba.njit
    def draws(at, n):
        rng = generator(at)
        return uniforms(rng, n), rng.standard_normal()

    a, b = np.random.default_rng(11), np.random.default_rng(11)
    got, z = draws(jit.generator_addresses(a), 1000)
    assert np.array_equal(got, b.random(1000))
    assert z == b.standard_normal()
    assert a.random() == b.random()  # a advanced exactly as numpy advanced b


def test_gumbel_is_numpys():
    import numba

    from marketplace_sim.market.jit_rng import generator
    from marketplace_sim.market.kernels_hire import gumbel

    @numba.njit
    def draws(at, n):
        rng = generator(at)
        out = np.empty(n)
        for i in range(n):
            out[i] = gumbel(rng)
        return out

    a, b = np.random.default_rng(12), np.random.default_rng(12)
    assert np.array_equal(draws(jit.generator_addresses(a), 100_000), b.gumbel(size=100_000))


def test_poisson_draws_below_ten_are_numpys():
    """``kernels_post.poisson_mult`` (the multiplication method, libm's ``exp``) draws what
    ``Generator.poisson`` draws for rates in [0, 10): the same values, the same uniforms
    used (the generators end in the same state). Rates near 0, one ulp below 10, and the
    gamma-distributed client rates of the model."""
    import numba

    from marketplace_sim.market.jit_rng import generator
    from marketplace_sim.market.kernels_post import poisson_mult

    @numba.njit
    def draws(at, lam):
        rng = generator(at)
        out = np.empty(lam.size, dtype=np.int64)
        for i in range(lam.size):
            out[i] = poisson_mult(rng, lam[i])
        return out

    rng = np.random.default_rng(13)
    edge = np.array([0.0, 5e-324, 1e-12, 0.5, 1.0, 2.5, np.nextafter(10.0, 0.0)])
    for lam in (np.repeat(edge, 2000), rng.gamma(0.5, 1.0, 50_000).clip(0, 9.99), rng.random(9)):
        a, b = np.random.default_rng(14), np.random.default_rng(14)
        assert np.array_equal(draws(jit.generator_addresses(a), lam), b.poisson(lam))
        assert a.bit_generator.state == b.bit_generator.state


def test_high_posting_rates_fall_back_on_numpys_poisson():
    """Clients posting 10 or more jobs a week are drawn by numpy's other method: the
    compiled posting lets numpy draw that week (a rate of 10 exactly, and above), and the run
    is still the numpy run."""
    overrides = {"run.steps": 12, "market.freelancers": 300, "market.clients": 60,
                 "jobs.post_rate": 4.0, "jobs.post_rate_shape": 0.3, "run.seed": 4}  # fmt: skip
    runs = []
    for compiled in (False, True):
        with jit.using(compiled):
            model = MarketplaceModel(load_config(CONFIGS / "baseline.toml", overrides))
            model.clients.post_rate[:2] = 10.0  # numpy's PTRS method from 10 on
            for _ in range(model.config.run.steps):
                model.step()
        assert (model.clients.post_rate[2:] >= 10).any()  # gamma's tail too
        runs.append((model.steps_frame(), model.contracts_frame(), model.rng.bit_generator.state))
    pd.testing.assert_frame_equal(runs[1][0], runs[0][0], check_exact=True)
    pd.testing.assert_frame_equal(runs[1][1], runs[0][1], check_exact=True)
    assert runs[1][2] == runs[0][2]


def test_kept_orders_sort_like_numpy():
    """keep_order (in place, merged from the back) and ranks_into: np.sort and scipy's ranks,
    week after week, members coming and going, values changing, ties (unpaid at 0)."""
    from marketplace_sim.market.kernels_metrics import keep_order, ranks_into

    rng = np.random.default_rng(3)
    cap = 3000
    earn = (np.empty(cap, dtype=np.int64), np.empty(cap))  # slot 0: earnings, cents / 100
    trait = (np.empty(cap, dtype=np.int64), np.empty(cap))  # slot 1: expertise0, fixed
    size = fixed_size = 0
    expertise = np.round(rng.random(cap) * 50) / 5  # ties among fixed values too
    cents = np.zeros(cap, dtype=np.int64)
    for week in range(30):
        n_rows = 1000 + 60 * week
        member = rng.random(n_rows) < 0.8
        rows = np.flatnonzero(member)
        n = rows.size
        paid = rows[rng.random(n) < 0.1]
        cents[paid] += np.round(rng.exponential(1e4, paid.size)).astype(np.int64)
        fl = (member, cents[:n_rows], cents[:n_rows], expertise[:n_rows])
        index = np.full(n_rows, -1, dtype=np.int64)
        index[rows] = np.arange(n)
        candidates = np.arange(n_rows)  # every row: the members are those with index >= 0
        scratch = (np.zeros(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n))
        size = keep_order(earn, size, 0, fl, candidates, index, n, scratch)
        fixed_size = keep_order(trait, fixed_size, 1, fl, candidates, index, n, scratch)
        assert size == fixed_size == n
        assert not scratch[0].any()  # left all false for the next call
        vals = cents[rows] / 100
        assert np.array_equal(earn[1][:n], np.sort(vals))
        assert np.array_equal(cents[earn[0][:n]] / 100, earn[1][:n])
        assert np.array_equal(np.sort(earn[0][:n]), rows)  # each member once
        assert np.array_equal(trait[1][:n], np.sort(expertise[rows]))
        assert np.array_equal(expertise[trait[0][:n]], trait[1][:n])
        ranks = np.full(n, -1.0)
        ranks_into(earn[0], earn[1], n, index, ranks)
        assert np.array_equal(ranks, scipy.stats.rankdata(vals))
        ranks_into(trait[0], trait[1], n, index, ranks)
        assert np.array_equal(ranks, scipy.stats.rankdata(expertise[rows]))


@pytest.mark.parametrize("exact_below", [0, 10**9], ids=["laid-out", "one-pass"])
def test_spearman_of_kept_orders_is_numpys(exact_below):
    """Both ways of spearman_kept (rank vectors summed as numpy does; one exact pass) give
    metrics.spearman to the last bit: ties, a constant side, members in any row order."""
    from marketplace_sim import metrics
    from marketplace_sim.market.kernels_metrics import spearman_kept

    rng = np.random.default_rng(4)
    for n in (2, 3, 10, 129, 1000, 5000):
        n_rows = 2 * n
        rows = np.sort(rng.choice(n_rows, n, replace=False))
        index = np.full(n_rows, -1, dtype=np.int64)
        index[rows] = np.arange(n)
        for ties in (1, 5, 1000):
            x = np.round(rng.normal(size=n) * ties) / ties
            y = np.round(x + rng.exponential(2.0, n) * ties) / ties
            if ties == 5:
                y[:] = 1.5  # constant: NaN
            sides = []
            for v in (x, y):
                by = np.argsort(v, kind="stable")
                sides.append((rows[by], v[by]))
            got = spearman_kept(sides[0], sides[1], n, index, exact_below, np.empty(2 * n))
            np.testing.assert_array_equal(got, metrics.spearman(x, y))


# ------------------------------------------------------------------------------------------
# The policy: when a world runs compiled


def test_policy_follows_the_environment(monkeypatch):
    monkeypatch.setattr(jit, "_warm", [False])
    monkeypatch.setenv(jit.ENV, "0")
    assert not jit.use_for(10**9)
    monkeypatch.setenv(jit.ENV, "1")
    assert jit.use_for(1)
    monkeypatch.setenv(jit.ENV, "auto")
    monkeypatch.delitem(sys.modules, "numba")  # as in a process that has not loaded it
    assert not jit.use_for(jit.AUTO_WORK - 1)
    assert jit.use_for(jit.AUTO_WORK)


def test_warm_processes_run_every_world_compiled(monkeypatch):
    monkeypatch.setattr(jit, "_warm", [False])
    monkeypatch.setenv(jit.ENV, "auto")
    jit.warm_up()
    assert jit.use_for(1)
    model = MarketplaceModel(load_config(CONFIGS / "smoke.toml"))
    assert model.compiled


def test_stale_kernel_cache_is_dropped_when_any_kernel_source_changes(tmp_path):
    """numba keys a cache on the defining file only; a change in any kernel file drops all.

    A cached kernel whose own file is unchanged would otherwise keep the old machine code of
    a kernel it inlines from another file. Only numba's files of the kernel modules go.
    """
    from marketplace_sim.market import jit

    a, b = tmp_path / "kernels.py", tmp_path / "kernels_week.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    stale = [cache / "kernels.f-10.py313.nbi", cache / "kernels_week.g-3.py313.1.nbc"]
    other = cache / "kernels.cpython-313.pyc"
    for f in [*stale, other]:
        f.write_bytes(b"old")
    assert jit.drop_stale_cache([a, b]) == 2  # no stamp yet: the cache cannot be trusted
    assert not any(f.exists() for f in stale) and other.exists()
    stale[0].write_bytes(b"new")  # compiled from the current sources
    assert jit.drop_stale_cache([a, b]) == 0 and stale[0].exists()
    b.write_text("y = 3\n")  # the other file changes
    assert jit.drop_stale_cache([a, b]) == 1 and not stale[0].exists()
