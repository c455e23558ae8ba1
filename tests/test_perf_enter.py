"""The compiled entry draws (``kernels_enter.draw_week``) are numpy's, number for number.

numba's ``Generator`` methods are ports of numpy's C distributions; these tests are the proof
the kernel relies on: over many seeds and parameters (beta with both shapes below 1, one below
1, both above; gamma with shape below and above 1; Poisson means below and above 10, where
numpy switches algorithm; draws large enough to reach the normal's ziggurat tail), the kernel
writes exactly the values numpy's calls return, in ``population.enter``'s order, and leaves the
population stream in exactly numpy's state. Whole worlds with the compiled entry equal the numpy
ones, including the weeks where the free rows run out and numpy draws the rest.
"""

import numpy as np
import pandas as pd
import pytest
from test_perf_jit import CONFIGS

from marketplace_sim.config import load_config
from marketplace_sim.market import jit
from marketplace_sim.model import population, state
from marketplace_sim.model.marketplace import MarketplaceModel

pytest.importorskip("numba")

FL_DTYPES = [np.float64] * 6 + [np.int32, np.int16, np.float64, np.bool_, np.int32, np.int32]
CL_DTYPES = [np.float64, np.bool_, np.int32]


def _numpy_week(g, beta, cdf, par):
    """``population.enter``'s draws with numpy, as the kernel reports them."""
    n = int(g.poisson(par[0]))
    out = {"n": n}
    if n > 0:
        out["traits"] = [g.beta(a, b, n) for a, b in beta]
        out["home"] = cdf.searchsorted(g.random(n), side="right")
        out["capacity"] = g.integers(1, int(par[2]) + 1, n)
        out["rate"] = par[3] * g.standard_normal(n)
    m = int(g.poisson(par[1]))
    out["m"] = m
    if m > 0:
        out["post_rate"] = g.gamma(par[4], par[5], m)
        out["weights"] = par[6] * g.standard_normal((5, m))
    return out


def _columns(dtypes, rows):
    return tuple(np.zeros(rows, dtype=d) for d in dtypes)


def _kernel_week(g, beta, cdf, par, room, step=7, start=3):
    from marketplace_sim.market import kernels_enter

    fl, cl = _columns(FL_DTYPES, start + room), _columns(CL_DTYPES, start + room)
    at = jit.generator_addresses(g)
    n, m, z = kernels_enter.draw_week(at, beta, cdf, par, step, fl, start, room, cl, start, room)
    return n, m, z, fl, cl


def _case(seed):
    r = np.random.default_rng(seed)
    beta = np.array(
        [[r.choice([0.3, 0.9, 1.0, 2.5, 7.0]), r.choice([0.2, 0.8, 1.0, 3.0])] for _ in range(5)]
    )
    par = np.array(
        [
            r.choice([0.0, 0.4, 5.0, 10.0, 37.5]),  # entry_rate: mult method, then PTRS
            r.choice([0.0, 1.25, 2.5, 12.0]),  # client_entry_rate
            r.choice([1, 3, 7]),  # capacity_max
            r.choice([0.3, 0.6]),  # rate_sigma
            r.choice([0.3, 1.0, 2.0]),  # post_rate_shape: below 1, exponential, above 1
            r.choice([0.7, 1.3]) / 1.1,  # scale, a quotient as numpy's caller makes it
            0.25,  # weight_sd
        ]
    )
    p = r.random(r.integers(1, 12))
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return beta, cdf, par


@pytest.mark.parametrize("seed", range(120))
def test_the_kernel_draws_numpys_numbers_and_leaves_numpys_state(seed):
    beta, cdf, par = _case(seed)
    g_numpy, g_kernel = np.random.default_rng(seed + 10_000), np.random.default_rng(seed + 10_000)
    for week in range(4):
        want = _numpy_week(g_numpy, beta, cdf, par)
        n, m, z, fl, cl = _kernel_week(g_kernel, beta, cdf, par, room=200, step=week)
        assert (n, m) == (want["n"], want["m"])
        new = slice(3, 3 + n)
        if n > 0:
            e0, e, comm, rel, prof, focus, home, capacity, rate, active, entry, last = fl
            for got, expected in zip([e0, comm, rel, prof, focus], want["traits"], strict=True):
                np.testing.assert_array_equal(got[new], expected, strict=False)
            np.testing.assert_array_equal(e[new], want["traits"][0])
            np.testing.assert_array_equal(home[new], want["home"])
            np.testing.assert_array_equal(capacity[new], want["capacity"])
            np.testing.assert_array_equal(rate[new], want["rate"])
            assert active[new].all() and (entry[new] == week).all() and (last[new] == week).all()
            assert not active[:3].any() and not active[3 + n :].any()  # only the new rows
        if m > 0:
            np.testing.assert_array_equal(cl[0][3 : 3 + m], want["post_rate"])
            np.testing.assert_array_equal(z, want["weights"])
            assert cl[1][3 : 3 + m].all() and not cl[1][3 + m :].any()
        else:
            assert z.shape == (5, 0)
        assert g_kernel.bit_generator.state == g_numpy.bit_generator.state


@pytest.mark.parametrize("a, b", [(0.4, 0.6), (0.5, 3.0), (2.0, 5.0)])
def test_large_draws_are_numpys_to_the_tails(a, b):
    """Tens of thousands of draws: the normal's and gamma's rare branches (the ziggurat's
    wedges and tail, the gamma's log test) are taken many times; still numpy's numbers."""
    beta = np.array([[a, b]] * 5)
    par = np.array([20_000.0, 8000.0, 30, 0.6, 0.45, 1.7, 0.25])
    g_numpy, g_kernel = np.random.default_rng(99), np.random.default_rng(99)
    want = _numpy_week(g_numpy, beta, np.array([0.5, 1.0]), par)
    n, m, z, fl, cl = _kernel_week(g_kernel, beta, np.array([0.5, 1.0]), par, room=25_000)
    assert n > 19_000 and m > 7500
    np.testing.assert_array_equal(fl[8][3 : 3 + n], want["rate"])
    np.testing.assert_array_equal(fl[2][3 : 3 + n], want["traits"][1])
    np.testing.assert_array_equal(cl[0][3 : 3 + m], want["post_rate"])
    np.testing.assert_array_equal(z, want["weights"])
    tail = 3.6541528853610088  # where numpy's ziggurat for the normal switches to its tail
    assert (np.abs(want["rate"] / 0.6) > tail).sum() + (np.abs(z / 0.25) > tail).sum() > 3
    assert g_kernel.bit_generator.state == g_numpy.bit_generator.state


def test_without_room_only_the_counts_are_drawn():
    """More entrants than free rows: the kernel stops after the count, numpy draws on."""
    beta, cdf, par = _case(1)
    par[0], par[1] = 20.0, 20.0
    g_numpy, g_kernel = np.random.default_rng(5), np.random.default_rng(5)
    n_numpy = int(g_numpy.poisson(par[0]))
    n, m, z, fl, _ = _kernel_week(g_kernel, beta, cdf, par, room=2)
    assert (n, m, z.size) == (n_numpy, -1, 0) and n > 2
    assert not fl[9].any()  # nothing written
    assert g_kernel.bit_generator.state == g_numpy.bit_generator.state
    # room for the freelancers, none for the clients: stops after the clients' count
    g_numpy, g_kernel = np.random.default_rng(6), np.random.default_rng(6)
    want = _numpy_week(g_numpy, beta, cdf, np.array([*par[:1], 0.0, *par[2:]]))
    m_numpy = int(g_numpy.poisson(par[1]))
    from marketplace_sim.market import kernels_enter

    fl, cl = _columns(FL_DTYPES, 200), _columns(CL_DTYPES, 5)
    n, m, z = kernels_enter.draw_week(
        jit.generator_addresses(g_kernel), beta, cdf, par, 1, fl, 0, 200, cl, 0, 2
    )
    assert (n, m, z.size) == (want["n"], m_numpy, 0) and m > 2
    np.testing.assert_array_equal(fl[8][:n], want["rate"])
    assert not cl[1].any()
    assert g_kernel.bit_generator.state == g_numpy.bit_generator.state


WORLDS = {
    "profiles": ("profiles.toml", {"run.steps": 50, "market.freelancers": 400}),
    "traits": (  # every optional trait on, capacity 1 for one-job freelancers
        "baseline.toml",
        {
            "run.steps": 50,
            "market.freelancers": 300,
            "market.entry_rate": 12.0,
            "market.client_entry_rate": 4.0,
            "freelancers.occasional_share": 0.2,
            "freelancers.part_time_share": 0.3,
            "freelancers.one_job_share": 0.1,
            "clients.expertise_signal_weight": 0.5,
            "run.seed": 4,
        },
    ),
}


def _run(name, compiled):
    path, overrides = WORLDS[name]
    with jit.using(compiled):
        model = MarketplaceModel(load_config(CONFIGS / path, overrides))
        assert model.compiled is compiled
        for _ in range(model.config.run.steps):
            model.step()
    model.check_invariants()
    tables = {
        "freelancers": pd.DataFrame(
            {c: model.freelancers.col(c) for c in model.freelancers.columns}
        ),
        "clients": pd.DataFrame({c: model.clients.col(c) for c in model.clients.columns}),
        "contracts": model.contracts_frame(),
    }
    agents = [(a.unique_id, type(a).__name__, a.row) for a in model.agents]
    return tables, agents, model.pop_rng.bit_generator.state, model.rng.bit_generator.state


@pytest.mark.parametrize("free", [None, 3, 12])
@pytest.mark.parametrize("name", sorted(WORLDS))
def test_compiled_entry_equals_numpy_entry(name, free, monkeypatch):
    """With few free rows (``free``) many weeks take numpy's way after the counts."""
    if free is not None:
        original = state.Table.free_rows
        monkeypatch.setattr(
            state.Table, "free_rows", lambda self, at_least=0: min(free, original(self, at_least))
        )
    expected = _run(name, compiled=False)
    calls = []
    numpy_way = population.add_freelancers
    monkeypatch.setattr(
        population, "add_freelancers", lambda *a: calls.append(a[1]) or numpy_way(*a)
    )
    got = _run(name, compiled=True)
    weeks = WORLDS[name][1]["run.steps"]
    if free is None:  # the initial freelancers only: every week's entrants by the kernel
        assert len(calls) == 1
    elif free == 3:  # the weeks with more than 3 freelancers entering
        assert weeks / 2 < len(calls) - 1 <= weeks
    for table, frame in expected[0].items():
        pd.testing.assert_frame_equal(got[0][table], frame, check_exact=True, obj=table)
    assert got[1:] == expected[1:]  # the same Mesa agents; both streams in the same state
    assert len(expected[0]["freelancers"]) > WORLDS[name][1]["market.freelancers"] + 100
