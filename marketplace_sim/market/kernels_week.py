"""Compiled contract phases of a week (numba): completing contracts, opening contracts.

Replicas of ``contracts.complete_contracts`` and ``contracts.start_contracts`` (see
:mod:`marketplace_sim.market.jit`): the same draws from the market stream (``rng_at``, see
``jit.generator``) in the same order and sizes, the same arithmetic in the same order, integer
tallies (exact in any order) in place. Learning by doing reads ``-expm1(-jobs / scale)`` from a
table numpy computed.
"""

from __future__ import annotations

import numpy as np

from marketplace_sim.market.jit import kernel
from marketplace_sim.market.jit_rng import generator
from marketplace_sim.market.kernels import accept

STAR_CUTS = (0.2, 0.4, 0.6, 0.8)  # reviews.STAR_CUTS


@kernel
def take_done(pool: tuple[np.ndarray, ...], t: int) -> tuple[tuple[np.ndarray, ...], int]:
    """``pool.take(rows ending in week t)`` and ``pool.keep(the others)``, in one pass.

    ``pool``: the open-contract columns contract_id, freelancer, client, niche, start_step,
    end_step, value, fee, rate, fit, rehire (live rows). Returns copies of the ending rows
    and the number of rows kept (compacted in place at the front, order kept).
    """
    end = pool[5]
    n = end.size
    rows = np.empty(n, dtype=np.int64)
    d = 0
    for i in range(n):  # listed without a branch on which contracts end (a random pattern)
        rows[d] = i
        d += 1 if end[i] == t else 0
    rows = rows[:d]
    taken = (
        pool[0][rows],
        pool[1][rows],
        pool[2][rows],
        pool[3][rows],
        pool[4][rows],
        pool[5][rows],
        pool[6][rows],
        pool[7][rows],
        pool[8][rows],
        pool[9][rows],
        pool[10][rows],
    )
    kept = 0
    for i in range(n):  # every row copied down (onto itself while none ended), no branch
        pool[0][kept] = pool[0][i]
        pool[1][kept] = pool[1][i]
        pool[2][kept] = pool[2][i]
        pool[3][kept] = pool[3][i]
        pool[4][kept] = pool[4][i]
        pool[5][kept] = pool[5][i]
        pool[6][kept] = pool[6][i]
        pool[7][kept] = pool[7][i]
        pool[8][kept] = pool[8][i]
        pool[9][kept] = pool[9][i]
        pool[10][kept] = pool[10][i]
        kept += 1 if end[i] != t else 0
    return taken, kept


@kernel
def _quality_and_timeliness(
    rng: np.random.Generator,
    f: np.ndarray,
    fit: np.ndarray,
    expertise: np.ndarray,
    reliability: np.ndarray,
    noise: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``delivery.quality`` (all its draws), then ``delivery.on_time`` (all of its own)."""
    # each pass's draws first, in order, then the reads of the freelancers' rows: those reads
    # then overlap one another instead of each waiting behind a draw (as in
    # kernels_hire.cross_rounds)
    n = f.size
    drawn = np.empty(n)
    for i in range(n):
        drawn[i] = rng.normal(0.0, noise)
    q = np.empty(n)
    for i in range(n):
        x = expertise[f[i]] * (0.5 + 0.5 * fit[i]) + drawn[i]
        q[i] = 0.0 if x < 0.0 else 1.0 if x > 1.0 else x  # np.clip(x, 0, 1)
    for i in range(n):
        drawn[i] = rng.random()
    timely = np.empty(n, dtype=np.bool_)
    for i in range(n):
        timely[i] = drawn[i] < reliability[f[i]]
    return q, timely


@kernel
def _satisfaction(
    rng: np.random.Generator,
    f: np.ndarray,
    q: np.ndarray,
    timely: np.ndarray,
    communication: np.ndarray,
    par: np.ndarray,
) -> np.ndarray:
    """``delivery.satisfaction``: the weighted mean plus noise (its draws, in order)."""
    wq, wc, wt, noise = par[1], par[2], par[3], par[4]
    total = wq + wc + wt
    sat = np.empty(f.size)
    for i in range(f.size):  # the draws first, as in _quality_and_timeliness
        sat[i] = rng.normal(0.0, noise)
    for i in range(f.size):
        if total <= 0:
            base = 0.5
        else:
            on = 1.0 if timely[i] else 0.0
            base = (wq * q[i] + wc * communication[f[i]] + wt * on) / total
        sat[i] = base + sat[i]
    return sat


@kernel
def deliver(
    rng_at: np.ndarray,
    f: np.ndarray,
    fit: np.ndarray,
    fl: tuple[np.ndarray, np.ndarray, np.ndarray],
    par: np.ndarray,
    leniency: float,
) -> tuple[np.ndarray, ...]:
    """``contracts.deliver``: quality, timeliness, satisfaction, outcome, reviewed, stars.

    ``fl``: expertise, reliability, communication; ``par``: quality_noise, weight_quality,
    weight_communication, weight_on_time, satisfaction_noise, success_threshold,
    failure_threshold, review prob, review noise.
    """
    rng = generator(rng_at)
    expertise, reliability, communication = fl
    q, timely = _quality_and_timeliness(rng, f, fit, expertise, reliability, par[0])
    sat = _satisfaction(rng, f, q, timely, communication, par)
    succ, fail, prob, noise = par[5], par[6], par[7], par[8]
    n = f.size
    outcome = np.zeros(n, dtype=np.int8)
    for i in range(n):
        if sat[i] < fail:
            outcome[i] = -1
        elif sat[i] >= succ:
            outcome[i] = 1
    reviewed = np.empty(n, dtype=np.bool_)
    n_rev = 0
    for i in range(n):
        reviewed[i] = rng.random() < prob
        n_rev += reviewed[i]
    stars = np.empty(n_rev, dtype=np.int8)
    m = 0
    for i in range(n):
        if reviewed[i]:
            latent = sat[i] + leniency + rng.normal(0.0, noise)
            s = 1
            for cut in STAR_CUTS:
                s += latent >= cut
            stars[m] = s
            m += 1
    return q, timely, sat, outcome, reviewed, stars


@kernel
def settle(
    t: int,
    c: tuple[np.ndarray, ...],
    outcome: np.ndarray,
    reviewed: np.ndarray,
    stars: np.ndarray,
    fl: tuple[np.ndarray, ...],
    cl: tuple[np.ndarray, ...],
    star_counts: np.ndarray,
    learn: tuple[np.ndarray, float],
) -> tuple[np.ndarray, int, int]:
    """``_pay``, ``record_feedback`` and ``_finish_work`` of ``complete_contracts``.

    ``c``: the completed contracts' columns (as :func:`take_done`); ``fl``: earnings,
    earnings_year, stars_sum, n_reviews, jss_n, jss_succ, jss_fail, jobs_completed, load,
    last_work_step, expertise, expertise0; ``cl``: spend, open_contracts, last_freelancer,
    last_satisfied, last_rate; ``learn``: the table ``-expm1(-jobs / scale)`` by jobs
    completed, and ``learning_gain``. Returns the net pay per contract, the platform's fees
    and the most jobs any of these freelancers has completed now.
    """
    f, k, value, fee = c[1], c[2], c[6], c[7]
    earnings, earnings_year, stars_sum, n_reviews, jss_n, jss_succ, jss_fail = (
        fl[0],
        fl[1],
        fl[2],
        fl[3],
        fl[4],
        fl[5],
        fl[6],
    )
    spend = cl[0]
    net = np.empty(f.size, dtype=np.int64)
    fees = 0
    m = 0
    for i in range(f.size):
        r = f[i]
        net[i] = value[i] - fee[i]
        earnings[r] += net[i]
        earnings_year[r] += net[i]
        spend[k[i]] += value[i]
        fees += fee[i]
        if reviewed[i]:
            stars_sum[r] += stars[m]
            n_reviews[r] += 1
            star_counts[stars[m]] += 1
            m += 1
        jss_n[r] += 1
        jss_succ[r] += outcome[i] == 1
        jss_fail[r] += outcome[i] == -1
    return net, fees, _finish_work(t, c, outcome, fl, cl, learn)


@kernel
def _finish_work(
    t: int,
    c: tuple[np.ndarray, ...],
    outcome: np.ndarray,
    fl: tuple[np.ndarray, ...],
    cl: tuple[np.ndarray, ...],
    learn: tuple[np.ndarray, float],
) -> int:
    """``contracts._finish_work``; returns the most jobs any of these has completed now."""
    f, k, rate = c[1], c[2], c[8]
    jobs, load, last_work, expertise, expertise0 = fl[7], fl[8], fl[9], fl[10], fl[11]
    open_c, last_fl, last_sat, last_rate = cl[1], cl[2], cl[3], cl[4]
    table, gain = learn
    for i in range(f.size):
        r = f[i]
        jobs[r] += 1
        load[r] -= 1
        last_work[r] = t
        open_c[k[i]] -= 1
        last_fl[k[i]] = r
        last_sat[k[i]] = outcome[i] == 1
        last_rate[k[i]] = rate[i]
    most = 0
    for i in range(f.size):  # from the final counts, as the numpy code (one value per freelancer)
        r = f[i]
        e0 = expertise0[r]
        expertise[r] = e0 + (1.0 - e0) * gain * table[jobs[r]]
        most = max(most, jobs[r])
    return most


@kernel
def open_contracts(
    t: int,
    f: np.ndarray,
    k: np.ndarray,
    niche: np.ndarray,
    budget: np.ndarray,
    duration: np.ndarray,
    rehire: bool,
    first_id: int,
    pool: tuple[np.ndarray, ...],
    at: int,
    fl: tuple[np.ndarray, ...],
    open_c: np.ndarray,
    par: np.ndarray,
) -> None:
    """``contracts.start_contracts``: new rows of the pool, and the load they add.

    Writes rows ``at ..`` of the pool's columns (capacity reserved by the caller) and counts
    the new load, hires and open contracts.

    ``pool``: the columns as :func:`take_done`, at full capacity; ``fl``: home_niche,
    niche_focus, rate, load, hires, last_work_step; ``par``: specialist_premium,
    generalist_fit, rate_ref, platform fee.
    """
    home_niche, niche_focus, rate_col, load, hires, last_work = fl
    premium, gf, rate_ref, fee_rate = par[0], par[1], par[2], par[3]
    for i in range(f.size):
        r = f[i]
        at_home = home_niche[r] == niche[i]
        focus = niche_focus[r]
        rate = rate_col[r]
        if premium != 0:
            rate = rate * (1.0 + premium * focus * (1.0 if at_home else 0.0))
        v = np.rint(budget[i] * rate / rate_ref * 100.0)
        value = np.int64(v if v > 1.0 else 1.0)
        j = at + i
        pool[0][j] = first_id + i
        pool[1][j] = r
        pool[2][j] = k[i]
        pool[3][j] = niche[i]
        pool[4][j] = t
        pool[5][j] = t + duration[i]
        pool[6][j] = value
        pool[7][j] = np.int64(np.rint(value * fee_rate))
        pool[8][j] = rate
        pool[9][j] = gf + (1.0 - gf) * focus if at_home else gf * (1.0 - focus)
        pool[10][j] = rehire
        load[r] += 1
        hires[r] += 1
        last_work[r] = t
        open_c[k[i]] += 1


# ----------------------------------------------------------------------------------------------
# Direct rehires (hiring._rehire)


@kernel
def rehire_candidates(
    job_client: np.ndarray,
    job_niche: np.ndarray,
    cl: tuple[np.ndarray, ...],
    fl: tuple[np.ndarray, np.ndarray, np.ndarray],
    premium: float,
    price_weight: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Jobs whose client was satisfied last time: (job, freelancer row, exponent of deterrence).

    ``cl``: last_freelancer, last_satisfied, last_rate, m_price; ``fl``: rate, home_niche,
    niche_focus. The exponent is ``-price_weight * m_price * rise`` (the caller takes numpy's
    ``exp`` of it), ``rise`` the rate's rise since the last contract, at least 0.
    """
    last_fl, last_sat, last_rate, m_price = cl
    rate_col, home_niche, niche_focus = fl
    n = job_client.size
    rj = np.empty(n, dtype=np.int64)
    m = 0
    for j in range(n):
        c = job_client[j]
        if last_fl[c] >= 0 and last_sat[c]:
            rj[m] = j
            m += 1
    rj = rj[:m]
    rf = np.empty(m, dtype=np.int64)
    x = np.empty(m)
    for i in range(m):
        j = rj[i]
        c = job_client[j]
        r = last_fl[c]
        rf[i] = r
        rate = rate_col[r]
        if premium != 0:
            at_home = 1.0 if home_niche[r] == job_niche[j] else 0.0
            rate = rate * (1.0 + premium * niche_focus[r] * at_home)
        rise = rate / last_rate[c] - 1.0
        x[i] = -price_weight * m_price[c] * (rise if rise > 0.0 else 0.0)
    return rj, rf, x


@kernel
def rehire_accept(
    rng_at: np.ndarray,
    rj: np.ndarray,
    rf: np.ndarray,
    p_rehire: np.ndarray,
    active: np.ndarray,
    spare: np.ndarray,
    declined: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Who wants to rehire, and who accepts within capacity: (jobs, rows) rehired.

    ``spare`` and ``declined`` are updated in place, as ``hiring._rehire`` does.
    """
    rng = generator(rng_at)
    keep = np.empty(rj.size, dtype=np.int64)
    u = np.empty(rj.size)
    for i in range(rj.size):  # the draws first (see _quality_and_timeliness)
        u[i] = rng.random()
    m = 0
    for i in range(rj.size):
        want = u[i] < p_rehire[i]
        if want and active[rf[i]]:
            if spare[rf[i]] > 0:
                keep[m] = i
                m += 1
            else:
                declined[rf[i]] += 1
    keep = keep[:m]
    if m == 0:
        return rj[keep], rf[keep]
    cand = rf[keep]
    prio = np.empty(m)
    for i in range(m):
        prio[i] = rng.random()
    ok = accept(cand, prio, spare)
    n_ok = 0
    for i in range(m):
        n_ok += ok[i]
    out_j = np.empty(n_ok, dtype=np.int64)
    out_f = np.empty(n_ok, dtype=np.int64)
    a = 0
    for i in range(m):
        if ok[i]:
            out_j[a] = rj[keep[i]]
            out_f[a] = cand[i]
            a += 1
        else:
            declined[cand[i]] += 1
    for i in range(n_ok):
        spare[out_f[i]] -= 1
    return out_j, out_f


# ----------------------------------------------------------------------------------------------
# Weekly reputation upkeep (reputation.award_badges, reputation.review_rates)


@kernel
def badges_and_rates(
    t: int,
    fl: tuple[np.ndarray, ...],
    par: np.ndarray,
    raise_by: np.ndarray,
    review: bool,
) -> None:
    """Top Rated badges of everyone; with ``review``, the monthly rate review of the active.

    ``fl``: active, jss_n, jss_succ, jss_fail, earnings_year, entry_step, top_rated,
    badge_gained, declined, load, last_work_step, rate; ``par``: jss_min_contracts,
    top_rated_jss, top_rated_earnings (cents), top_rated_tenure, idle_weeks_cut, rate_step,
    rate_floor; ``raise_by``: ``(1 + rate_step) ** [0, 1, 2]`` as numpy computed it.
    """
    active, jss_n, jss_succ, jss_fail, earnings_year, entry_step = (
        fl[0],
        fl[1],
        fl[2],
        fl[3],
        fl[4],
        fl[5],
    )
    top_rated, gained, declined, load, last_work, rate = fl[6], fl[7], fl[8], fl[9], fl[10], fl[11]
    min_c, top_jss, top_earn, top_tenure, idle_cut, step, floor = (
        par[0],
        par[1],
        par[2],
        par[3],
        par[4],
        par[5],
        par[6],
    )
    for r in range(active.size):
        # computed for every row, kept for the active with enough contracts: no branch on
        # which rows are active (a random pattern; error_model="numpy": no division raises)
        x = (jss_succ[r] - jss_fail[r]) / float(jss_n[r])
        jss = x if x > 0.0 or x != x else 0.0  # np.maximum(0, x) keeps a NaN
        badge = (
            active[r]
            & (jss_n[r] >= min_c)
            & (jss >= top_jss)
            & (earnings_year[r] >= top_earn)
            & (t - entry_step[r] >= top_tenure)
        )
        if badge and not top_rated[r]:
            gained[r] = True
        top_rated[r] = badge
    if not review:
        return
    for r in range(active.size):
        if active[r]:
            up = (1 if declined[r] > 0 else 0) + (1 if gained[r] else 0)
            idle = load[r] == 0 and t - last_work[r] >= idle_cut
            x = rate[r] * (raise_by[up] * ((1.0 - step) if idle else 1.0))
            rate[r] = x if x >= floor else floor
        declined[r] = 0
        gained[r] = False
