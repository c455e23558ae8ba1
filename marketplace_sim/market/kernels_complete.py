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
def complete(
    rng_at: np.ndarray,
    t: int,
    pool: tuple[np.ndarray, ...],
    delivery: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, float],
    settle: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray],
    learn: tuple[np.ndarray, float],
    ids: tuple[np.ndarray, np.ndarray],
    log: bool,
) -> tuple[Any, ...]:
    """Deliver, rate and pay the contracts ending in week ``t``; compact the pool.

    ``pool``: the pool's live columns (as ``take_done``); ``delivery``: the freelancer
    columns, parameters and leniency of ``deliver``; ``settle``: the freelancer and client
    columns and the star counts of ``settle``; ``learn`` as ``settle``; ``ids``: the Mesa ids
    of freelancer and client rows; ``log``: whether the contract log's columns are wanted.

    Returns ``(kept, freelancer, outcome, net, fees, most, counters, log columns)``: the
    rows kept in the pool; the completed contracts' freelancer rows, private outcomes and
    net pay; the fees; the most jobs any of them has completed now; ``(quality sum, stars
    sum, stars given)``; and, with ``log``, (contract id, niche, start step, end step,
    rehire, quality, timeliness, satisfaction, stars per contract (0 without review),
    freelancer id, client id, value and fee in USD), empty arrays without (only the arrays
    the caller reads are returned: each costs a conversion). Nothing is drawn when no
    contract ends (``kept`` = pool size).
    """
    c, kept = kernels_week.take_done(pool, t)
    f = c[1]
    n = f.size
    if n == 0:
        e_f, e_i, e_b = np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.bool_)
        e_8 = np.empty(0, dtype=np.int8)
        empty_log = (c[0], c[3], c[4], c[5], c[10], e_f, e_b, e_f, e_8, e_i, e_i, e_f, e_f)
        return kept, f, e_8, e_i, 0, 0, (0.0, 0, 0), empty_log
    fl, par, leniency = delivery
    q, timely, sat, outcome, reviewed, st = kernels_week.deliver(rng_at, f, c[9], fl, par, leniency)
    settle_fl, settle_cl, star_counts = settle
    net, fees, most = kernels_week.settle(
        t, c, outcome, reviewed, st, settle_fl, settle_cl, star_counts, learn
    )
    stars_sum = 0
    for i in range(st.size):
        stars_sum += st[i]
    counters = (pairwise_sum(q), stars_sum, st.size)
    m = n if log else 0
    stars_all = np.zeros(m, dtype=np.int8)
    fl_id = np.empty(m, dtype=np.int64)
    cl_id = np.empty(m, dtype=np.int64)
    value = np.empty(m)
    fee = np.empty(m)
    s = 0
    for i in range(m):
        if reviewed[i]:
            stars_all[i] = st[s]
            s += 1
        fl_id[i] = ids[0][f[i]]
        cl_id[i] = ids[1][c[2][i]]
        value[i] = c[6][i] / 100.0  # / CENTS
        fee[i] = c[7][i] / 100.0
    logged = (
        c[0][:m], c[3][:m], c[4][:m], c[5][:m], c[10][:m], q[:m], timely[:m], sat[:m],
        stars_all, fl_id, cl_id, value, fee,
    )  # fmt: skip
    return kept, f, outcome, net, fees, most, counters, logged
