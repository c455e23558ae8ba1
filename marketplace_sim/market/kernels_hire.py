"""Compiled search-and-choice of a week, random draws included (numba).

One call does what ``hiring.search_and_choose`` does after the ranking sort: search weights,
applicant draws (with exploration slots), utilities, the outside option and matching. It draws
from the market's own generator (``rng_at``: :func:`jit.generator_addresses` of ``model.rng``,
the same stream, advanced in place), in the order and sizes of the numpy code, with numba's
replicas of numpy's algorithms (``random``, ``standard_normal``: bit for bit the same) and
:func:`gumbel`, numpy's ``random_gumbel``. See :mod:`marketplace_sim.market.jit`.
"""

from __future__ import annotations

import math

import numpy as np

from marketplace_sim.market import kernels, kernels_sort
from marketplace_sim.market.jit import helper, kernel
from marketplace_sim.market.jit_rng import generator
from marketplace_sim.market.kernels_guide import guide_bounds, guide_table, scan_bucket

PROPOSAL_NOISE = 0.1  # hiring.PROPOSAL_NOISE (sd of the noise on communication in a proposal)


@helper
def gumbel(rng: np.random.Generator) -> float:
    """One standard Gumbel draw, as numpy's ``random_gumbel(bitgen, 0.0, 1.0)``."""
    while True:
        u = 1.0 - rng.random()
        if u < 1.0:
            return 0.0 - 1.0 * math.log(-math.log(u))


@kernel
def uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    """``rng.random(n)``."""
    out = np.empty(n)
    for i in range(n):
        out[i] = rng.random()
    return out


@kernel
def draw_pairs(
    rng: np.random.Generator,
    weight: np.ndarray,
    niche_focus: np.ndarray,
    home_niche: np.ndarray,
    home_boost: np.ndarray,
    n_niches: int,
    job_niche: np.ndarray,
    slots: int,
    rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``discovery.draw_applicants``, random draws included (``rows``: see ``niche_order``)."""
    pools = kernels.applicant_pools(
        weight, niche_focus, home_niche, home_boost, n_niches, job_niche, slots, rows
    )
    order, niche_sorted, seg_start, seg_end, cum_home, cum_cross, home_tot, cross_all = pools[:8]
    slot, k, p_home = pools[8], pools[9], pools[10]
    home, todo = split_home(rng, p_home)
    pos = np.empty(slot.size, dtype=np.int64)
    # a guide over the home sums pays for its O(rows) build when the home draws are many and
    # the sums too long for a binary search to stay in cache (at 2,000 freelancers, 1,200
    # rows, the build costs about what the guided search saves)
    many = 8 * home.size >= cum_home.size and cum_home.size >= 4096
    home_guide = guide_table(cum_home if many else cum_home[:0])
    kernels.home_positions(
        uniforms(rng, home.size), home, k, cum_home, seg_start, seg_end, home_tot, pos, home_guide
    )
    guide = guide_table(cum_cross)
    todo = cross_rounds(rng, todo, k, cum_cross, cross_all[0], niche_sorted, pos, guide)
    return kernels.distinct_pairs(slot, pos, order, todo, job_niche.size, slots, weight.size)


@kernel
def split_home(rng: np.random.Generator, p_home: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Draws from the home pool (``rng.random(n) < p_home``) and from the cross pool.

    Each uniform is drawn where it is used: the same draws in the same order as drawing
    ``rng.random(n)`` first, without the array.
    """
    n = p_home.size
    home = np.empty(n, dtype=np.int64)
    cross = np.empty(n, dtype=np.int64)
    a = 0
    b = 0
    for i in range(n):  # both written, one kept: no branch on a random outcome
        at_home = rng.random() < p_home[i]
        home[a] = i
        cross[b] = i
        a += 1 if at_home else 0
        b += 0 if at_home else 1
    return home[:a], cross[:b]


@kernel
def cross_rounds(
    rng: np.random.Generator,
    todo: np.ndarray,
    k: np.ndarray,
    cum_cross: np.ndarray,
    cross_all: float,
    niche_sorted: np.ndarray,
    pos: np.ndarray,
    guide: tuple[np.ndarray, float, float],
) -> np.ndarray:
    """Cross-pool rejection sampling: rounds of ``rng.random(todo.size)`` redraws.

    As ``discovery._draw_cross``: each round draws one uniform per draw still to place, in
    order, and keeps the draws that landed in their own niche for the next round (at most
    ``discovery._MAX_REJECTION_ROUNDS``, 64). ``todo`` is compacted in place (the kept draws
    never overtake the one read), and a round's targets and answers go to two arrays made once
    a call. Returns the draws still rejected after the last round.
    """
    last = cum_cross.size - 1
    table, step, scale = guide
    n = todo.size
    guided = table.size > 0
    target = np.empty(n)
    found = np.empty(n, dtype=np.int64)
    for _ in range(64):
        if n == 0:
            break
        # three passes, not one: the draws, then the searches, then the placing. The searches
        # of different draws do not wait on one another, so the processor keeps many of
        # their cache misses in flight; in one loop, behind each draw and a search's chain of
        # dependent reads, it kept few (benchmarks/kernel_loops.py, a call: 600,000 rows
        # 25-38 -> 14.5-18.3 ms; 1,264 rows 17-18 -> 12-13.5 us). Same draws, same answers.
        for i in range(n):
            target[i] = rng.random() * cross_all
        for i in range(n):  # the bucket's bounds, then the scan: see kernels_guide
            t = target[i]
            lo, hi = guide_bounds(t, table, step, scale) if guided else (-1, -1)
            p = scan_bucket(cum_cross, t, lo, hi)
            found[i] = p if p < last else last
        m = 0
        for i in range(n):
            t = todo[i]
            p = found[i]
            pos[t] = p
            todo[m] = t  # kept only if rejected: no branch on a random outcome
            m += 1 if niche_sorted[p] == k[t] else 0
        n = m
    return todo[:n]


@kernel
def merge_pairs(
    job_a: np.ndarray, cand_a: np.ndarray, job_b: np.ndarray, cand_b: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(concatenate([job_a * n + cand_a, job_b * n + cand_b]))`` as (job, cand).

    Both inputs are sorted by (job, cand) without repeats, as ``draw_pairs`` returns them.
    """
    job = np.empty(job_a.size + job_b.size, dtype=np.int64)
    cand = np.empty(job.size, dtype=np.int64)
    i = j = m = 0
    while i < job_a.size or j < job_b.size:
        if j == job_b.size:
            take_a = True
        elif i == job_a.size:
            take_a = False
        else:
            take_a = job_a[i] * n + cand_a[i] <= job_b[j] * n + cand_b[j]
        if take_a:
            key_j, key_c = job_a[i], cand_a[i]
            i += 1
        else:
            key_j, key_c = job_b[j], cand_b[j]
            j += 1
        if m == 0 or job[m - 1] != key_j or cand[m - 1] != key_c:
            job[m] = key_j
            cand[m] = key_c
            m += 1
    return job[:m], cand[:m]


@kernel
def utilities(
    rng: np.random.Generator,
    job: np.ndarray,
    cand: np.ndarray,
    jobs: tuple[np.ndarray, np.ndarray],
    rep: np.ndarray,
    fl: tuple[np.ndarray, ...],
    cl: tuple[np.ndarray, ...],
    par: np.ndarray,
) -> np.ndarray:
    """``hiring._utility``: the client's random utility of each applicant, draws included.

    ``job``: each pair's open job, whose niche and client row are in ``jobs`` (read per pair,
    not gathered into arrays first).
    ``fl``: home_niche, niche_focus, rate, communication, profile, expertise, evidence_z,
    jobs_completed (freelancer columns); ``cl``: m_reputation, m_price, m_profile,
    m_communication, m_fit (client columns); ``par``: see :func:`search_and_choose`.
    """
    home_niche, niche_focus, rate_col, communication, profile = fl[0], fl[1], fl[2], fl[3], fl[4]
    m_rep, m_price, m_prof, m_comm, m_fit = cl[0], cl[1], cl[2], cl[3], cl[4]
    gf, premium, rate_ref, rw, pw, prw, cw, fw = (
        par[0],
        par[1],
        par[2],
        par[3],
        par[4],
        par[5],
        par[6],
        par[7],
    )
    s, sw = par[8], par[9]
    n = cand.size
    z = np.empty(n)
    for i in range(n):
        z[i] = rng.standard_normal()
    # the choice noise drawn before the pass, in pair order as the pass would draw it: the
    # pass is then loads and arithmetic only, and the processor overlaps many applicants'
    # cache misses instead of waiting on each behind the draws' two logarithms
    g = np.empty(n)
    for i in range(n):
        g[i] = gumbel(rng)
    u = np.empty(n)
    jn, jk = jobs
    for i in range(n):
        c, j = cand[i], job[i]
        kk = jk[j]
        at_home = home_niche[c] == jn[j]
        focus = niche_focus[c]
        fit = gf + (1.0 - gf) * focus if at_home else gf * (1.0 - focus)
        rate = rate_col[c]
        if premium != 0:
            rate = rate * (1.0 + premium * focus * (1.0 if at_home else 0.0))
        proposal = communication[c] + PROPOSAL_NOISE * z[i]
        u[i] = (
            rw * m_rep[kk] * rep[c]
            - pw * m_price[kk] * (rate / rate_ref - 1.0)
            + prw * m_prof[kk] * profile[c]
            + cw * m_comm[kk] * proposal
            + fw * m_fit[kk] * fit
            + s * g[i]
        )
        if sw > 0:
            u[i] += sw * focus * (1.0 if at_home else 0.0)
    _add_evidence(u, cand, fl, par)
    return u


@kernel
def _add_evidence(
    u: np.ndarray, cand: np.ndarray, fl: tuple[np.ndarray, ...], par: np.ndarray
) -> None:
    """``u += we * expertise_evidence(...)`` when ``clients.expertise_signal_weight > 0``."""
    ew, noise = par[10], par[11]
    if ew > 0:
        expertise, evidence_z, jobs = fl[5], fl[6], fl[7]
        for i in range(cand.size):
            c = cand[i]
            u[i] += ew * (expertise[c] + noise * evidence_z[c] / math.sqrt(1.0 + jobs[c]))


@kernel
def search_and_choose(
    rng_at: np.ndarray,
    ranked: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int],
    appeal: np.ndarray,
    by_position: np.ndarray,
    applies: np.ndarray,
    explore: np.ndarray,
    home_boost: np.ndarray,
    jobs: tuple[np.ndarray, np.ndarray],
    sizes: tuple[int, int, int],
    rep: np.ndarray,
    fl: tuple[np.ndarray, ...],
    cl: tuple[np.ndarray, ...],
    par: np.ndarray,
    spare: np.ndarray,
    declined: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``hiring.search_and_choose`` after the ranking sort; returns (open job, freelancer row).

    ``ranked``: the available rows (ascending) and what ``kernels_sort.final_order`` needs to
    put them in search order; ``appeal``, ``by_position``, ``applies``: see
    :func:`kernels.weights_by_position`; ``explore``: exploration weights (empty: no
    exploration slots); ``jobs``: niche and client row of each open job; ``sizes``: niches,
    search slots, exploration slots; ``par``: generalist_fit, specialist_premium, rate_ref,
    reputation_weight, price_weight, profile_weight, communication_weight, fit_weight,
    choice_noise, specialist_weight, expertise_signal_weight, evidence_noise, outside_option.
    ``spare`` and ``declined`` are updated in place.
    """
    rng = generator(rng_at)
    rows = ranked[0]
    order = kernels_sort.final_order(rows, ranked[1], ranked[2], ranked[3], ranked[4])
    jn, jk = jobs
    n_niches, n_search, n_explore = sizes
    home_niche, niche_focus = fl[0], fl[1]
    vis = kernels.weights_by_position(appeal.size, order, appeal, by_position, applies)
    # only the available rows have weight: the pools list them from ``rows``, not every row
    job, cand = draw_pairs(
        rng, vis, niche_focus, home_niche, home_boost, n_niches, jn, n_search, rows
    )
    if n_explore:
        ej, ec = draw_pairs(
            rng, explore, niche_focus, home_niche, home_boost, n_niches, jn, n_explore, rows
        )
        job, cand = merge_pairs(job, cand, ej, ec, appeal.size)
    if job.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    u = utilities(rng, job, cand, jobs, rep, fl, cl, par)
    outside = np.empty(jn.size)
    for j in range(jn.size):
        outside[j] = par[12] + par[8] * gumbel(rng)
    return _match(rng, job, cand, u, outside, spare, declined)


@kernel
def _match(
    rng: np.random.Generator,
    job: np.ndarray,
    cand: np.ndarray,
    utility: np.ndarray,
    outside: np.ndarray,
    spare: np.ndarray,
    declined: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``choice.match`` (pairs grouped by job), draws included; bumps ``declined``."""
    job, cand, utility, best, _ = kernels.match_start(job, cand, utility, outside)
    hj = np.empty(outside.size, dtype=np.int64)
    hf = np.empty(outside.size, dtype=np.int64)
    m = 0
    for _ in range(4):  # choice.MAX_ROUNDS
        if job.size == 0:
            break
        won_job, won_cand, no, job, cand, utility, best = kernels.match_round(
            job, cand, utility, best, uniforms(rng, best.size), spare, outside.size
        )
        for i in range(won_job.size):
            hj[m] = won_job[i]
            hf[m] = won_cand[i]
            m += 1
        for i in range(no.size):
            declined[no[i]] += 1
    return hj[:m], hf[:m]


@kernel
def rank_keys(
    rng_at: np.ndarray,
    spare: np.ndarray,
    fl: tuple[np.ndarray, ...],
    log1p_reviews: np.ndarray,
    par: np.ndarray,
    cached_rep: np.ndarray,
) -> tuple[bool, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The reputation search and choice read, and the ranking sort's keys and tie-breaks.

    ``fl``: stars_sum, n_reviews, jss_n, jss_succ, jss_fail, top_rated, hires; ``par``:
    rating rule (0 mean, 1 bayesian), prior mean, prior weight, rounding scale (0: none),
    jss_min_contracts, rating_weight, jss_weight, ranking (0 reputation, 1 random,
    2 newcomer boost), newcomer_boost. ``cached_rep`` (empty: none) is this week's full index
    if already computed. Returns ``(ok, rep, rows, key, tie_break)``: False (and nothing
    drawn) if ``log1p_reviews`` is too short for some row; the index (of available rows, 0
    elsewhere), the available rows, ``-score[rows]`` and ``rng.random(rows.size)``.
    """
    n = spare.size
    rows = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):  # no branch on which rows have room: most rows have none
        rows[m] = i
        m += 1 if spare[i] > 0 else 0
    rows = rows[:m]
    if cached_rep.size:
        rep = cached_rep
    else:
        n_reviews = fl[1]
        for j in range(m):
            if n_reviews[rows[j]] >= log1p_reviews.size:  # table too short: no draw yet
                return False, np.empty(0), rows, np.empty(0), np.empty(0)
        rep = np.zeros(n)
        reputation_of(rows, fl, log1p_reviews, par, rep)
    tie_break = uniforms(generator(rng_at), m)
    key = np.empty(m)
    ranking, boost, hires = par[7], par[8], fl[6]
    for j in range(m):
        r = rows[j]
        if ranking == 1:
            key[j] = -0.0
        elif ranking == 2:
            key[j] = -(rep[r] + boost * (1.0 if hires[r] == 0 else 0.0))
        else:
            key[j] = -rep[r]
    return True, rep, rows, key, tie_break


@kernel
def reputation_of(
    rows: np.ndarray,
    fl: tuple[np.ndarray, ...],
    log1p_reviews: np.ndarray,
    par: np.ndarray,
    out: np.ndarray,
) -> None:
    """``reputation.reputation_index(model, rows)`` into ``out[rows]``.

    The displayed rating (``reviews.displayed_rating``), the JSS (``job_success_score``),
    their signals, ``log1p(n_reviews)`` from a table numpy computed, the badge.
    """
    stars_sum, n_reviews, jss_n, jss_succ, jss_fail, top_rated = (
        fl[0],
        fl[1],
        fl[2],
        fl[3],
        fl[4],
        fl[5],
    )
    bayes, prior_mean, prior_weight, scale = par[0] == 1, par[1], par[2], par[3]
    min_contracts, rating_w, jss_w = par[4], par[5], par[6]
    for j in range(rows.size):
        r = rows[j]
        n = float(n_reviews[r])
        rs = 0.0
        if n > 0:
            if bayes:
                rating = (prior_mean * prior_weight + float(stars_sum[r])) / (prior_weight + n)
            else:
                rating = float(stars_sum[r]) / n
            if scale > 0:
                rating = np.floor(rating * scale + (0.5 + 1e-9)) / scale
            rs = (rating - 3.0) / 2.0
        js = 0.0
        if jss_n[r] >= min_contracts:
            x = (jss_succ[r] - jss_fail[r]) / float(jss_n[r])
            jss = x if x >= 0.0 or x != x else 0.0
            js = 2.0 * jss - 1.0
            if jss != jss:
                js = 0.0
        out[r] = (
            rating_w * rs
            + log1p_reviews[n_reviews[r]]
            + jss_w * js
            + (1.0 if top_rated[r] else 0.0)
        )
