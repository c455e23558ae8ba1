"""Compiled upkeep of a week (numba): exits and the rolling windows' expiry.

Replicas of ``population.exits`` (the idle freelancers' and the clients' exit draws) and
``reputation.expire_windows`` (see :mod:`marketplace_sim.market.jit`): the same draws from the
market stream (``rng_at``) in the same order and sizes, the same arithmetic in the same order,
integer tallies (exact in any order) in place.
"""

from __future__ import annotations

import numpy as np

from marketplace_sim.market.jit import helper, kernel
from marketplace_sim.market.jit_rng import generator


@helper
def _mark_left(rows: np.ndarray, active: np.ndarray, exit_step: np.ndarray, t: int) -> np.ndarray:
    """Rows ``rows`` leave in week ``t`` (``active`` false, ``exit_step = t``); returns them."""
    for i in range(rows.size):
        active[rows[i]] = False
        exit_step[rows[i]] = t
    return rows


@kernel
def idle_exits(
    rng_at: np.ndarray,
    t: int,
    fl: tuple[np.ndarray, ...],
    par: np.ndarray,
    one_job_on: bool,
) -> np.ndarray:
    """``population.exits``' idle freelancers who stop seeking work, marked inactive.

    ``fl``: active, load, last_work_step, one_job, hires, exit_step; ``par``: exit_max,
    exit_base, exit_idle_slope. Draws ``rng.random(idle rows)``; the rows that stop get
    ``active = False`` and ``exit_step = t``; returns them.
    """
    active, load, last_work, one_job, hires, exit_step = fl
    exit_max, exit_base, slope = par[0], par[1], par[2]
    rng = generator(rng_at)
    idle = np.empty(active.size, dtype=np.int64)
    n_idle = 0
    for r in range(active.size):  # listed without a branch on the row (a random pattern)
        idle[n_idle] = r
        n_idle += 1 if active[r] & (load[r] == 0) else 0
    leave = np.empty(n_idle, dtype=np.int64)
    m = 0
    for j in range(n_idle):
        r = idle[j]
        weeks_idle = np.int32(t - last_work[r])  # int32, as the column's arithmetic
        p = exit_base + slope * float(weeks_idle)
        if exit_max < p:  # np.minimum(exit_max, p)
            p = exit_max
        stop = rng.random() < p
        if one_job_on and one_job[r] and hires[r] > 0:
            stop = True
        if stop:
            leave[m] = r
            m += 1
    return _mark_left(leave[:m], active, exit_step, t)


@kernel
def client_exits(
    rng_at: np.ndarray, t: int, active: np.ndarray, exit_step: np.ndarray, hazard: float
) -> np.ndarray:
    """``population.exits``' clients who leave: ``rng.random(active rows) < hazard``."""
    rng = generator(rng_at)
    rows = np.empty(active.size, dtype=np.int64)
    n_active = 0
    for r in range(active.size):  # listed without a branch on the row (a random pattern)
        rows[n_active] = r
        n_active += 1 if active[r] else 0
    gone = np.empty(n_active, dtype=np.int64)
    m = 0
    for j in range(n_active):
        if rng.random() < hazard:
            gone[m] = rows[j]
            m += 1
    return _mark_left(gone[:m], active, exit_step, t)


@kernel
def exits_without_dormancy(
    rng_at: np.ndarray,
    t: int,
    fl: tuple[np.ndarray, ...],
    par: np.ndarray,
    one_job_on: bool,
    deleted_step: np.ndarray,
    cl: tuple[np.ndarray, np.ndarray],
    hazard: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``population.exits`` without dormancy: :func:`idle_exits`, then :func:`client_exits`.

    Without dormancy nothing is drawn between the two (``_delete_dormant`` draws with
    dormancy only); the freelancers who stop are deleted (``deleted_step = t``). ``cl``:
    the clients' active, exit_step. Returns (freelancer rows, client rows) who left.
    """
    leave = idle_exits(rng_at, t, fl, par, one_job_on)
    for i in range(leave.size):
        deleted_step[leave[i]] = t
    return leave, client_exits(rng_at, t, cl[0], cl[1], hazard)


@kernel
def expire_both(
    earn: tuple[np.ndarray, np.ndarray],
    jss_entry: tuple[np.ndarray, np.ndarray],
    listed: tuple[np.ndarray, np.ndarray, bool],
    earnings_year: np.ndarray,
    jss: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """:func:`expire_earnings` of one window entry and :func:`expire_outcomes` of another.

    ``earn``: rows and net pay; ``jss_entry``: rows and outcomes; ``listed``: active,
    dormant, dormancy on. The two touch different columns: their order does not matter.
    """
    active, dormant, dormancy = listed
    expire_earnings(earn[0], earn[1], active, dormant, dormancy, earnings_year)
    expire_outcomes(jss_entry[0], jss_entry[1], active, dormant, dormancy, jss)


@kernel
def expire_earnings(
    rows: np.ndarray,
    net: np.ndarray,
    active: np.ndarray,
    dormant: np.ndarray,
    dormancy: bool,
    earnings_year: np.ndarray,
) -> None:
    """``earnings_year[rows] -= net`` for the rows still listed (``expire_windows``)."""
    for i in range(rows.size):
        r = rows[i]
        if active[r] or (dormancy and dormant[r]):
            earnings_year[r] -= net[i]


@kernel
def expire_outcomes(
    rows: np.ndarray,
    outcome: np.ndarray,
    active: np.ndarray,
    dormant: np.ndarray,
    dormancy: bool,
    jss: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """The JSS window's counts less ``outcome`` for the rows still listed (``expire_windows``).

    ``jss``: jss_n, jss_succ, jss_fail.
    """
    jss_n, jss_succ, jss_fail = jss
    for i in range(rows.size):
        r = rows[i]
        if active[r] or (dormancy and dormant[r]):
            jss_n[r] -= 1
            if outcome[i] == 1:
                jss_succ[r] -= 1
            elif outcome[i] == -1:
                jss_fail[r] -= 1


@kernel
def freeze_first_year(
    week: int, entry_step: np.ndarray, earnings: np.ndarray, earnings_early: np.ndarray
) -> None:
    """``earnings_early[lo:hi] = earnings[lo:hi]`` for the rows that entered in ``week``.

    ``lo, hi = np.searchsorted(entry_step, [week, week + 1])`` (``entry_step`` ascending:
    rows are appended week by week), as ``reputation.update_reputation``.
    """
    lo = _left(entry_step, week)
    hi = _left(entry_step, week + 1)
    for r in range(lo, hi):
        earnings_early[r] = earnings[r]


@kernel
def _left(a: np.ndarray, x: int) -> int:
    """``np.searchsorted(a, x, side="left")``."""
    lo, hi = 0, a.size
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo
