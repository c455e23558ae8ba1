"""Completing a week's contracts in one compiled call (numba).

``contracts.complete_contracts``: :func:`kernels_week.take_done`, :func:`kernels_week.deliver`
and :func:`kernels_week.settle` in one call, with the week's counters and the contract log's
derived columns (stars of every contract, the parties' Mesa ids, value and fee in USD), which
the numpy code computes with a dozen numpy calls. The same draws and arithmetic as those
kernels; see :mod:`marketplace_sim.market.jit`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from marketplace_sim.market import kernels_week
from marketplace_sim.market.jit import kernel
from marketplace_sim.market.kernels_metrics import pairwise_sum


@kernel
def _pool(b: tuple[np.ndarray, ...], n: int) -> tuple[np.ndarray, ...]:
    """The live rows of the pool's columns at full capacity ``b`` (as ``Table.arrays``)."""
    return (
        b[0][:n], b[1][:n], b[2][:n], b[3][:n], b[4][:n], b[5][:n], b[6][:n], b[7][:n],
        b[8][:n], b[9][:n], b[10][:n],
    )  # fmt: skip


@kernel
def _settle_week(
    rng_at: np.ndarray,
    t: int,
    c: tuple[np.ndarray, ...],
    delivery: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, float],
    settle: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray],
    learn: tuple[np.ndarray, float],
) -> tuple[Any, ...]:
    """``deliver`` and ``settle`` of the taken contracts ``c`` (at least one).

    Returns ``(outcome, net, fees, most, counters, q, timely, sat, reviewed, st)``.
    """
    fl, par, leniency = delivery
    q, timely, sat, outcome, reviewed, st = kernels_week.deliver(
        rng_at, c[1], c[9], fl, par, leniency
    )
    settle_fl, settle_cl, star_counts = settle
    net, fees, most = kernels_week.settle(
        t, c, outcome, reviewed, st, settle_fl, settle_cl, star_counts, learn
    )
    stars_sum = 0
    for i in range(st.size):
        stars_sum += st[i]
    counters = (pairwise_sum(q), stars_sum, st.size)
    return outcome, net, fees, most, counters, q, timely, sat, reviewed, st


@kernel
def complete_quiet(
    rng_at: np.ndarray,
    t: int,
    pool: tuple[np.ndarray, ...],
    n_pool: int,
    delivery: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, float],
    settle: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray],
    learn: tuple[np.ndarray, float],
) -> tuple[Any, ...]:
    """:func:`complete` without the contract log (``run.record_contracts`` false).

    Returns ``(kept, freelancer, outcome, net, fees, most, counters)`` as :func:`complete`:
    seven values, not fifteen (each returned array costs a conversion).
    """
    c, kept = kernels_week.take_done(_pool(pool, n_pool), t)
    f = c[1]
    if f.size == 0:
        return kept, f, np.empty(0, dtype=np.int8), np.empty(0, dtype=np.int64), 0, 0, (0.0, 0, 0)
    outcome, net, fees, most, counters, _, _, _, _, _ = _settle_week(
        rng_at, t, c, delivery, settle, learn
    )
    return kept, f, outcome, net, fees, most, counters


@kernel
def complete(
    rng_at: np.ndarray,
    t: int,
    pool: tuple[np.ndarray, ...],
    n_pool: int,
    delivery: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, float],
    settle: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray],
    learn: tuple[np.ndarray, float],
    ids: tuple[np.ndarray, np.ndarray],
) -> tuple[Any, ...]:
    """Deliver, rate and pay the contracts ending in week ``t``; compact the pool.

    ``pool``: the pool's columns at full capacity (``Table.buffer_tuple``), ``n_pool`` rows
    live (as ``take_done``); ``delivery``: the freelancer columns, parameters and leniency of
    ``deliver``; ``settle``: the freelancer and client columns and the star counts of
    ``settle``; ``learn`` as ``settle``; ``ids``: the Mesa ids of freelancer and client rows.

    Returns ``(kept, freelancer, outcome, net, fees, most, counters, log columns)``: the
    rows kept in the pool; the completed contracts' freelancer rows, private outcomes and
    net pay; the fees; the most jobs any of them has completed now; ``(quality sum, stars
    sum, stars given)``; and the contract log's columns (contract id, niche, start step, end
    step, rehire, quality, timeliness, satisfaction, stars per contract (0 without review),
    freelancer id, client id, value and fee in USD). Without the log:
    :func:`complete_quiet`. Nothing is drawn when no contract ends (``kept`` = pool size).
    """
    c, kept = kernels_week.take_done(_pool(pool, n_pool), t)
    f = c[1]
    n = f.size
    if n == 0:
        e_f, e_i, e_b = np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.bool_)
        e_8 = np.empty(0, dtype=np.int8)
        empty_log = (c[0], c[3], c[4], c[5], c[10], e_f, e_b, e_f, e_8, e_i, e_i, e_f, e_f)
        return kept, f, e_8, e_i, 0, 0, (0.0, 0, 0), empty_log
    outcome, net, fees, most, counters, q, timely, sat, reviewed, st = _settle_week(
        rng_at, t, c, delivery, settle, learn
    )
    stars_all = np.zeros(n, dtype=np.int8)
    fl_id = np.empty(n, dtype=np.int64)
    cl_id = np.empty(n, dtype=np.int64)
    value = np.empty(n)
    fee = np.empty(n)
    s = 0
    for i in range(n):
        if reviewed[i]:
            stars_all[i] = st[s]
            s += 1
        fl_id[i] = ids[0][f[i]]
        cl_id[i] = ids[1][c[2][i]]
        value[i] = c[6][i] / 100.0  # / CENTS
        fee[i] = c[7][i] / 100.0
    logged = (
        c[0], c[3], c[4], c[5], c[10], q, timely, sat, stars_all, fl_id, cl_id, value, fee,
    )  # fmt: skip
    return kept, f, outcome, net, fees, most, counters, logged
