"""Choice: clients pick among applicants by multinomial logit, within freelancers' capacity.

Utility of applicant i for job j (client c):

    U_ij = rw_c * R_i - pw_c * (rate_ij / rate_ref - 1) + pr_c * profile_i
           + cw_c * (communication_i + e_ij) + fw_c * fit_ij
           + ws * focus_i * [home_i = niche_j] + we * evidence_i + s * G_ij

with G_ij standard Gumbel (so the argmax is a multinomial-logit draw, the Gumbel-max trick) and
the outside option "hire no one" worth ``outside + s * G_j0``. The price term is the bid
relative to the budget (bid / budget = rate / reference rate, as a job's budget is its hours at
the reference rate), minus 1; ``rate_ij`` includes the specialist premium in the home niche
(``pricing.home_rate``). ``ws`` (``clients.specialist_weight``) is what clients value in a
specialist beyond fit, ``we`` (``clients.expertise_signal_weight``) the weight of the profile
evidence of expertise (:func:`expertise_evidence`); both 0 by default. Several clients may
pick the same freelancer in one week: offers beyond the freelancer's spare capacity are
declined in random order, and the declined clients turn to their next-best applicant, for a
few rounds.
"""

from __future__ import annotations

import numpy as np

MAX_ROUNDS = 4  # rounds of declined offers re-offered to the next-best applicant


def expertise_evidence(
    expertise: np.ndarray, error: np.ndarray, jobs_completed: np.ndarray, noise: float
) -> np.ndarray:
    """What a profile shows of a freelancer's expertise (portfolio, tests, work history).

    ``expertise + noise * error / sqrt(1 + jobs_completed)``: ``error`` is the profile's own
    standard-normal error (the same for every client), and each completed job adds evidence,
    so the error shrinks like a mean over ``1 + jobs`` observations.
    """
    return expertise + noise * error / np.sqrt(1.0 + jobs_completed)


def accept_within_capacity(
    rng: np.random.Generator, cand: np.ndarray, spare: np.ndarray
) -> np.ndarray:
    """Which offers are accepted when each candidate takes at most ``spare[cand]`` of them.

    Args:
        rng: random generator (offers to one candidate are accepted in random order).
        cand: candidate of each offer.
        spare: spare capacity of every candidate.

    Returns:
        Boolean mask over offers.
    """
    if cand.size == 0:
        return np.zeros(0, dtype=bool)
    prio = rng.random(cand.size)
    order = np.lexsort((prio, cand))
    c_sorted = cand[order]
    first = np.ones(c_sorted.size, dtype=bool)
    first[1:] = c_sorted[1:] != c_sorted[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(c_sorted.size), 0))
    rank = np.arange(c_sorted.size) - group_start
    ok_sorted = rank < spare[c_sorted]
    ok = np.empty(cand.size, dtype=bool)
    ok[order] = ok_sorted
    return ok


def best_per_job(job: np.ndarray, utility: np.ndarray) -> np.ndarray:
    """Index (into the pair arrays) of the highest-utility pair of each job present.

    Ordered by job; of equal utilities the first pair wins. Pairs grouped by job (``job``
    non-decreasing, as :func:`match` receives them from discovery) take a linear-time path
    (a maximum per segment); other input is sorted, with the same result.
    """
    if job.size and np.all(job[1:] >= job[:-1]) and not np.isnan(utility).any():
        first = np.empty(job.size, dtype=bool)
        first[0] = True
        first[1:] = job[1:] != job[:-1]
        start = np.flatnonzero(first)
        seg = np.cumsum(first) - 1
        top = np.maximum.reduceat(utility, start)
        at_top = np.flatnonzero(utility == top[seg])
        s = seg[at_top]
        lead = np.empty(s.size, dtype=bool)
        lead[0] = True
        lead[1:] = s[1:] != s[:-1]
        return at_top[lead]
    order = np.lexsort((-utility, job))
    j_sorted = job[order]
    first = np.ones(j_sorted.size, dtype=bool)
    first[1:] = j_sorted[1:] != j_sorted[:-1]
    return order[first]


def match(
    rng: np.random.Generator,
    job: np.ndarray,
    cand: np.ndarray,
    utility: np.ndarray,
    outside: np.ndarray,
    spare: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match jobs to applicants.

    Args:
        rng: random generator.
        job: job index of each (job, applicant) pair.
        cand: applicant (candidate index) of each pair.
        utility: the client's utility of each pair, noise included.
        outside: utility of hiring no one, per job (indexed by job number).
        spare: spare capacity per candidate; decremented in place by the hires.

    Returns:
        ``(jobs, cands, declined)``: the hires made, at most one per job, within capacity, and
        the candidate of every offer declined for lack of capacity (excess demand).
    """
    hired_jobs: list[np.ndarray] = []
    hired_cands: list[np.ndarray] = []
    declined: list[np.ndarray] = []
    live = utility > outside[job]  # only applicants preferred to hiring no one
    job, cand, utility = job[live], cand[live], utility[live]
    for _ in range(MAX_ROUNDS):
        if job.size == 0:
            break
        best = best_per_job(job, utility)
        ok = accept_within_capacity(rng, cand[best], spare)
        won = best[ok]
        declined.append(cand[best[~ok]])
        hired_jobs.append(job[won])
        hired_cands.append(cand[won])
        np.subtract.at(spare, cand[won], 1)
        # Drop filled jobs, pairs already offered, and candidates now full.
        filled = np.zeros(outside.size, dtype=bool)
        filled[job[won]] = True
        tried = np.zeros(job.size, dtype=bool)
        tried[best] = True
        keep = ~filled[job] & ~tried & (spare[cand] > 0)
        job, cand, utility = job[keep], cand[keep], utility[keep]
    if not hired_jobs:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    return np.concatenate(hired_jobs), np.concatenate(hired_cands), np.concatenate(declined)
