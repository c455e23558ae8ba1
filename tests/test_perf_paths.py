"""The optimised code paths give exactly what the plain implementations they replaced gave.

Each fast path (docs/performance.md) is checked against a reference: the straightforward numpy
or scipy code it replaced, kept here verbatim. Equality is exact (bits, order and dtype), as a
fixed-seed run must give the same tables before and after an optimisation.
"""

import gc
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from marketplace_sim import MarketplaceModel, load_config, metrics
from marketplace_sim.market import choice, discovery
from marketplace_sim.model.agents import Freelancer
from marketplace_sim.model.ranks import SortedRows

SMOKE = Path(__file__).resolve().parents[1] / "configs" / "smoke.toml"

# ------------------------------------------------------------------------------------------
# References: the implementations before the performance work


def ref_best_per_job(job, utility):
    order = np.lexsort((-utility, job))
    j_sorted = job[order]
    first = np.ones(j_sorted.size, dtype=bool)
    first[1:] = j_sorted[1:] != j_sorted[:-1]
    return order[first]


def ref_draw_applicants(rng, weight, niche_focus, home_niche, n_niches, job_niche, slots):
    n_jobs = job_niche.size
    if n_jobs == 0 or weight.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    w_home = weight
    w_cross = weight * (1.0 - niche_focus)
    order = np.argsort(home_niche, kind="stable")
    niche_sorted = home_niche[order]
    seg_start = np.searchsorted(niche_sorted, np.arange(n_niches), side="left")
    seg_end = np.searchsorted(niche_sorted, np.arange(n_niches), side="right")
    cum_home = np.cumsum(w_home[order])
    cum_home0 = np.concatenate(([0.0], cum_home))
    home_tot = cum_home0[seg_end] - cum_home0[seg_start]
    cum_cross = np.cumsum(w_cross[order])
    cum_cross0 = np.concatenate(([0.0], cum_cross))
    cross_in_niche = cum_cross0[seg_end] - cum_cross0[seg_start]
    cross_all = cum_cross0[-1]
    cross_tot = np.maximum(cross_all - cross_in_niche, 0.0)
    job = np.repeat(np.arange(n_jobs), slots)
    k = job_niche[job]
    total = home_tot[k] + cross_tot[k]
    ok = total > 0
    job, k = job[ok], k[ok]
    p_home = home_tot[k] / total[ok]
    from_home = rng.random(job.size) < p_home
    pos = np.empty(job.size, dtype=np.int64)
    h = np.flatnonzero(from_home)
    target = cum_home0[seg_start[k[h]]] + rng.random(h.size) * home_tot[k[h]]
    pos[h] = np.searchsorted(cum_home, target, side="right")
    pos[h] = np.minimum(pos[h], seg_end[k[h]] - 1)
    todo = np.flatnonzero(~from_home)
    last = cum_cross.size - 1
    for _ in range(64):
        if todo.size == 0:
            break
        target = rng.random(todo.size) * cross_all
        p = np.minimum(np.searchsorted(cum_cross, target, side="right"), last)
        pos[todo] = p
        todo = todo[niche_sorted[p] == k[todo]]
    keep = np.ones(job.size, dtype=bool)
    keep[todo] = False
    job, cand = job[keep], order[pos[keep]]
    n_cand = weight.size
    key = np.unique(job.astype(np.int64) * n_cand + cand)
    return key // n_cand, key % n_cand


def ref_gini(x):
    arr = np.asarray(x, dtype=np.float64)
    n = arr.size
    if n == 0 or not np.any(arr > 0):
        return float("nan")
    s = np.sort(arr)
    s = s / s[-1]
    k = np.arange(1, n, dtype=np.float64)
    return float(((k * (n - k)) * np.diff(s)).sum() / (n * s.sum()))  # no BLAS: see metrics


def ref_top_share(x, q):
    arr = np.asarray(x, dtype=np.float64)
    n = arr.size
    if n == 0 or not np.any(arr > 0):
        return float("nan")
    s = np.sort(arr)
    desc = (s / s[-1])[::-1]
    cum = np.concatenate(([0.0], np.cumsum(desc)))
    p = np.arange(n + 1, dtype=np.float64) / n
    return float(np.interp(q, p, cum / cum[-1]))


def ref_spearman(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    ra = scipy.stats.rankdata(a)
    rb = scipy.stats.rankdata(b)
    ra -= ra.mean()
    rb -= rb.mean()
    r = (ra * rb).sum() / np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float(np.clip(r, -1.0, 1.0))


def same_float(a, b):
    return (np.isnan(a) and np.isnan(b)) or a == b


def assert_same_arrays(got, want):
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


# ------------------------------------------------------------------------------------------
# Discovery and choice


def random_candidates(g, n, n_niches, zero_share):
    w = np.exp(g.normal(0, 2, n)) / (1 + g.permutation(n))
    w[g.random(n) < zero_share] = 0.0
    focus = g.beta(1.5, 1.5, n)
    focus[g.random(n) < 0.02] = 1.0  # pure specialists: no cross weight at all
    popularity = 1.0 / np.arange(1, n_niches + 1)
    home = g.choice(n_niches, n, p=popularity / popularity.sum()).astype(np.int32)
    return w, focus, home


@pytest.mark.parametrize("seed", range(40))
def test_draw_applicants_matches_reference(seed):
    g = np.random.default_rng(seed)
    n = int(g.integers(1, 3000))
    n_niches = int(g.choice([1, 3, 12, 200]))
    w, focus, home = random_candidates(g, n, n_niches, zero_share=float(g.choice([0, 0.4, 0.95])))
    jobs = g.integers(0, n_niches, int(g.integers(0, 700)))
    slots = int(g.choice([1, 3, 10, 25]))
    got = discovery.draw_applicants(
        np.random.default_rng(seed), w, focus, home, n_niches, jobs, slots
    )
    want = ref_draw_applicants(np.random.default_rng(seed), w, focus, home, n_niches, jobs, slots)
    assert_same_arrays(got, want)


def test_draw_applicants_without_anyone_available():
    w = np.zeros(50)
    args = (np.full(50, 0.5), np.zeros(50, np.int32), 3, np.array([0, 1, 2]), 10)
    rng_a, rng_b = np.random.default_rng(0), np.random.default_rng(0)
    assert_same_arrays(
        discovery.draw_applicants(rng_a, w, *args), ref_draw_applicants(rng_b, w, *args)
    )
    assert rng_a.random() == rng_b.random()  # the same draws were consumed


@pytest.mark.parametrize("kind", ["uniform", "sparse", "heavy-tailed", "flat", "power"])
def test_guided_search_is_searchsorted(kind):
    g = np.random.default_rng(len(kind))
    for _ in range(50):
        n = int(g.integers(2, 5000))
        if kind == "uniform":
            w = g.random(n)
        elif kind == "sparse":
            w = g.random(n) * (g.random(n) < 0.2)
        elif kind == "heavy-tailed":
            w = np.exp(g.normal(0, 12, n))
        elif kind == "flat":
            w = np.ones(n)
        else:
            w = 1.0 / (1 + g.permutation(n)) ** 2
        cum = np.cumsum(w)
        if cum[-1] == 0:
            continue
        t = g.random(3000) * cum[-1]
        edge = [0.0, cum[-1], np.nextafter(cum[-1], 0), np.nextafter(cum[-1], np.inf)]
        t = np.concatenate([t, cum[g.integers(0, n, 100)], edge])
        guide = discovery._guide_table(cum, t.size)
        assert guide is not None
        np.testing.assert_array_equal(guide[1], np.searchsorted(cum, guide[0], side="right"))
        np.testing.assert_array_equal(
            discovery._search_right(cum, t, guide), np.searchsorted(cum, t, side="right")
        )


def test_order_by_is_lexsort():
    g = np.random.default_rng(3)
    for trial in range(300):
        n = int(g.integers(0, 400))
        key = g.integers(-3, 3, n).astype(np.float64)
        key[g.random(n) < 0.1] = -0.0
        tie = g.random(n)
        if trial % 3 == 0 and n > 1:
            tie[g.integers(0, n, n // 2)] = tie[0]  # repeated tie-breaks: the exact fallback
        got = discovery._order_by(key, tie, False)
        np.testing.assert_array_equal(got, np.lexsort((tie, key)))
        zero = np.zeros(n)
        np.testing.assert_array_equal(discovery._order_by(zero, tie, True), np.lexsort((tie, zero)))


@pytest.mark.parametrize("n", [0, 1, 2, 17, 6000, 65535, 65536, 200_000])
def test_argsort_of_uniform_draws(n):
    g = np.random.default_rng(n)
    u = g.random(n)
    np.testing.assert_array_equal(discovery._argsort_uniform(u), np.argsort(u))
    lumpy = np.round(u * 7) / 8  # not uniform, with ties: still sorted
    assert np.all(np.diff(lumpy[discovery._argsort_uniform(lumpy)]) >= 0)


def test_distinct_pairs_is_unique_of_keys():
    g = np.random.default_rng(4)
    for _ in range(200):
        n_jobs, slots, n_cand = (
            int(g.integers(1, 50)),
            int(g.integers(1, 12)),
            int(g.integers(1, 30)),
        )
        slot = np.flatnonzero(g.random(n_jobs * slots) < 0.8)
        cand = g.integers(0, n_cand, slot.size)
        job, c = discovery._distinct_pairs(slot, cand, n_jobs, slots, n_cand)
        key = np.unique((slot // slots) * n_cand + cand)
        np.testing.assert_array_equal(job, key // n_cand)
        np.testing.assert_array_equal(c, key % n_cand)


def test_best_per_job_matches_reference():
    g = np.random.default_rng(5)
    for trial in range(2000):
        n = int(g.integers(0, 80))
        job = np.sort(g.integers(0, int(g.integers(1, 20)), n))
        if trial % 4 == 0:
            job = g.permutation(job)  # not grouped: the sorting path
        u = g.integers(-3, 3, n).astype(float) if trial % 2 else g.standard_normal(n)
        if n and trial % 5 == 0:
            u[g.integers(0, n)] = -0.0
        if n and trial % 7 == 0:
            u[g.integers(0, n)] = np.nan
        got, want = choice.best_per_job(job, u), ref_best_per_job(job, u)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------------------------------
# Metrics


def samples(g, n):
    return [
        g.random(n),
        g.integers(0, 5, n).astype(float),
        np.round(g.exponential(3, n)) * (g.random(n) < 0.5),
        np.zeros(n),
        np.full(n, 2.5),
    ]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 257, 5000])
def test_sorted_metrics_match_reference(n):
    g = np.random.default_rng(n)
    for x in samples(g, n):
        s = np.sort(x)
        assert same_float(metrics.gini(x), ref_gini(x))
        assert same_float(metrics.gini_sorted(s), ref_gini(x))
        tops = metrics.top_shares_sorted(s, (0.01, 0.1, 0.5, 1.0))
        for q, got in zip((0.01, 0.1, 0.5, 1.0), tops, strict=True):
            assert same_float(got, ref_top_share(x, q))
            assert same_float(metrics.top_share(x, q), ref_top_share(x, q))
        for y in samples(g, n):
            assert same_float(metrics.spearman(x, y), ref_spearman(x, y))
        if n:
            np.testing.assert_array_equal(metrics.average_ranks(x), scipy.stats.rankdata(x))


@pytest.mark.parametrize("sort_below", [0, 50, 4096], ids=["kept", "mixed", "afresh"])
def test_sorted_rows_track_sorting_from_scratch(sort_below, monkeypatch):
    """Rows appended, members coming and going, values changing (ties too): the kept order
    always gives np.sort's values and scipy's average ranks."""
    monkeypatch.setattr("marketplace_sim.model.ranks.SORT_BELOW", sort_below)
    g = np.random.default_rng(6)
    tracker = SortedRows()
    values = np.zeros(0)
    member = np.zeros(0, dtype=bool)
    for week in range(120):
        new = int(g.integers(0, 30))
        values = np.concatenate([values, np.round(g.random(new) * 20) / 4])
        member = np.concatenate([member, g.random(new) < 0.9])
        if values.size:
            change = g.random(values.size) < 0.15
            values[change] += np.round(g.random(change.sum()) * 8) / 4
            flip = g.random(values.size) < 0.05
            member[flip] = ~member[flip]
        rows = np.flatnonzero(member)
        ranks, srt = tracker.ranks(rows, values[rows], values.size)
        np.testing.assert_array_equal(srt, np.sort(values[rows]))
        if rows.size:
            np.testing.assert_array_equal(ranks, scipy.stats.rankdata(values[rows]))
        if week == 60:  # a dtype change starts over
            ranks, srt = tracker.ranks(rows, values[rows].astype(np.float32), values.size)
            np.testing.assert_array_equal(srt, np.sort(values[rows].astype(np.float32)))


def test_sorted_rows_with_fixed_values():
    """A trait-like column: rows join (and leave) membership, values never change."""
    g = np.random.default_rng(7)
    tracker = SortedRows(fixed=True)
    values = np.zeros(0)
    member = np.zeros(0, dtype=bool)
    for _ in range(100):
        new = int(g.integers(0, 40))
        values = np.concatenate([values, np.round(g.random(new) * 30) / 3])
        member = np.concatenate([member, g.random(new) < 0.5])
        join = (g.random(values.size) < 0.1) & ~member
        member[join] = True
        leave = g.random(values.size) < 0.05
        member[leave] = False
        rows = np.flatnonzero(member)
        ranks, srt = tracker.ranks(rows, values[rows], values.size)
        np.testing.assert_array_equal(srt, np.sort(values[rows]))
        if rows.size:
            np.testing.assert_array_equal(ranks, scipy.stats.rankdata(values[rows]))


# ------------------------------------------------------------------------------------------
# The model


@pytest.mark.parametrize("sort_below", [0, 4096], ids=["kept", "afresh"])
def test_model_metrics_equal_the_plain_measures(sort_below, monkeypatch):
    """The weekly metrics (kept orders, one sort) equal metrics.gini / top_share / spearman on
    the active freelancers, week after week."""
    monkeypatch.setattr("marketplace_sim.model.ranks.SORT_BELOW", sort_below)
    cfg = load_config(
        None,
        {
            "market.freelancers": 300,
            "market.clients": 80,
            "market.entry_rate": 2.0,
            "market.client_entry_rate": 0.5,
            "freelancers.exit_base": 0.02,
        },
    )
    model = MarketplaceModel(cfg)
    for _ in range(70):
        model.step()
        fl = model.freelancers
        act = fl.active
        earn = fl.earnings[act] / 100
        m = model.metrics
        assert same_float(m["gini_earnings"], ref_gini(earn))
        assert same_float(m["top1_share"], ref_top_share(earn, 0.01))
        assert same_float(m["top10_share"], ref_top_share(earn, 0.10))
        assert same_float(m["merit_spearman"], ref_spearman(fl.expertise0[act], earn))
        early = fl.earnings_early[act]
        has = early >= 0
        want = (
            ref_spearman(early[has], (fl.earnings[act] - early)[has])
            if has.sum() >= 10
            else float("nan")
        )
        assert same_float(m["early_late_spearman"], want)
        ratings = model.displayed_ratings()[act]
        rated = ~np.isnan(ratings)
        want = float(ratings[rated].mean()) if rated.any() else float("nan")
        assert same_float(m["mean_rating"], want)


def test_agents_are_created_with_the_collector_restored():
    assert gc.isenabled()
    model = MarketplaceModel(load_config(SMOKE))
    assert gc.isenabled()
    fl = model.freelancers
    agents = list(model.agents_by_type[Freelancer])
    assert [a.row for a in agents] == list(range(fl.n))
    np.testing.assert_array_equal(fl.agent_id, [a.unique_id for a in agents])
    gc.disable()
    try:
        MarketplaceModel(load_config(SMOKE))
        assert not gc.isenabled()  # a caller's choice is left alone
    finally:
        gc.enable()
