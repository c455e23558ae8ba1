"""Search and choice through the compiled kernels: the same draws, the same results, fewer calls.

Drop-in replacements of :func:`discovery.draw_applicants` and :func:`choice.match` for when
:func:`marketplace_sim.market.jit.enabled`: each takes the same arguments, draws the same random
numbers from ``rng`` in the same order and sizes (numpy draws them; the kernels of
:mod:`marketplace_sim.market.kernels` do the arithmetic between draws) and returns the same
arrays. Input the kernels do not cover (unsorted pairs, NaN utilities) goes to the numpy code.
"""

from __future__ import annotations

import numpy as np

from marketplace_sim.market import choice, discovery, kernels

_NONE = np.empty(0)  # "no array" for a kernel's optional argument


def draw_applicants(
    rng: np.random.Generator,
    weight: np.ndarray,
    niche_focus: np.ndarray,
    home_niche: np.ndarray,
    n_niches: int,
    job_niche: np.ndarray,
    slots: int,
    home_boost: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`discovery.draw_applicants`, compiled: the same pairs from the same draws."""
    n_jobs = job_niche.size
    if n_jobs == 0 or weight.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    (
        order,
        niche_sorted,
        seg_start,
        seg_end,
        cum_home,
        cum_cross,
        home_tot,
        cross_all,
        slot,
        k,
        p_home,
    ) = kernels.applicant_pools(
        weight,
        niche_focus,
        home_niche,
        _NONE if home_boost is None else home_boost,
        n_niches,
        job_niche,
        slots,
    )
    home, todo = kernels.split_home(rng.random(slot.size), p_home)
    pos = np.empty(slot.size, dtype=np.int64)
    kernels.home_positions(
        rng.random(home.size), home, k, cum_home, seg_start, seg_end, home_tot, pos
    )
    total = float(cross_all[0])
    guide = kernels.guide_table(cum_cross)
    for _ in range(discovery._MAX_REJECTION_ROUNDS):
        if todo.size == 0:
            break
        todo = kernels.cross_round(
            rng.random(todo.size), todo, k, cum_cross, total, niche_sorted, pos, guide
        )
    return kernels.distinct_pairs(slot, pos, order, todo, n_jobs, slots, weight.size)


def match(
    rng: np.random.Generator,
    job: np.ndarray,
    cand: np.ndarray,
    utility: np.ndarray,
    outside: np.ndarray,
    spare: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`choice.match`, compiled: the same hires and declines from the same draws."""
    pairs = job, cand, utility
    job, cand, utility, best, grouped = kernels.match_start(job, cand, utility, outside)
    if not grouped:  # pairs not grouped by job: the numpy code, which sorts them
        return choice.match(rng, *pairs, outside, spare)
    hired_jobs: list[np.ndarray] = []
    hired_cands: list[np.ndarray] = []
    declined: list[np.ndarray] = []
    for _ in range(choice.MAX_ROUNDS):
        if job.size == 0:
            break
        won_job, won_cand, no, job, cand, utility, best = kernels.match_round(
            job, cand, utility, best, rng.random(best.size), spare, outside.size
        )
        declined.append(no)
        hired_jobs.append(won_job)
        hired_cands.append(won_cand)
    if not hired_jobs:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    return np.concatenate(hired_jobs), np.concatenate(hired_cands), np.concatenate(declined)


def accept_within_capacity(
    rng: np.random.Generator, cand: np.ndarray, spare: np.ndarray
) -> np.ndarray:
    """:func:`choice.accept_within_capacity`, compiled (the same draw, the same mask)."""
    if cand.size == 0:
        return np.zeros(0, dtype=bool)
    return kernels.accept(cand, rng.random(cand.size), spare)
