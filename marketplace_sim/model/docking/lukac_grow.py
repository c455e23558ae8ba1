"""Lukac & Grow (2020), ported from their NetLogo model: one pure function per procedure.

Source of truth: ``LukacGrow_JCSS_NetLogoModel.nlogo`` in the public repository
``mblukac/reputation-olm-abm`` (NetLogo 6.0.4), the model of M. Lukac and A. Grow, "Reputation
systems and recruitment in online labor markets: insights from an agent-based model", Journal of
Computational Social Science (2020). Each function names the procedure it ports. The model class
that calls them in order is :class:`marketplace_sim.model.docking.lukac_grow_model.LukacGrowModel`.

How NetLogo's primitives are read here:

* ``random n`` is an integer in 0..n-1; ``random-normal m s`` a normal draw; ``random-exponential
  m`` an exponential draw of mean ``m``; ``standard-deviation`` the sample sd (n - 1);
* a prefix reporter takes its inputs before an infix operator applies, so ``random 9 + 2`` is
  2..10, ``floor random 99 + 1`` is 1..99, and the open-auction bid ``mean-bid + random-normal 1
  0.1 * (reputation - mean-reps)`` is ``mean-bid + N(1, 0.1) * (reputation - mean-reps)``
  (the reading that reproduces their BehaviorSpace table, see the reference data's README);
* ``ask`` visits agents in random order, so "one-of the applicants who have not bid yet, until
  none is left" is a uniformly random bidding order: the order in which applicants are drawn.

Two things NetLogo would stop on with a runtime error are given a value instead (neither
happens at their parameters): a zero standard deviation of talents or log prior jobs gives a
standardised value of 0, and a pool whose highest reputation is 0 gives every applicant a
reputation term of 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Their interface's defaults for the two experimental keys (the coef-strategy slider, the chooser).
DEFAULT_STRATEGY = 0.3
DEFAULT_AUCTION = "open"
#: Bids are kept within this share of the job's price on either side (price-job-min / -max).
BID_RANGE = 0.25
#: The starting-reputation bands of their reporters: < 33, 33-66, > 66.
BAND_NAMES = ("low", "mid", "high")


# --------------------------------------------------------------------------------------------
# setup


def draw_employees(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Talents and prior jobs of ``n`` employees (``setup``).

    ``talent``: ``floor random 99 + 1``, an integer uniform on 1..99. ``nr-jobs-received``:
    ``floor (random-exponential 2)``, jobs received before the run.
    """
    talent = rng.integers(0, 99, size=n) + 1
    prior_jobs = np.floor(rng.exponential(2.0, size=n)).astype(np.int64)
    return talent.astype(np.int64), prior_jobs


@dataclass(frozen=True)
class ReputationBasis:
    """What the reputation formula holds fixed over a run (computed once in ``setup``).

    Attributes:
        talent_std: each employee's talent, standardised over all employees.
        log_jobs_mean: mean of ``ln(prior jobs + 0.1)`` over employees.
        log_jobs_sd: its sample sd (their global ``nr-jobs-received-sd``).
        coef_talent: weight of standardised talent.
        coef_nr_jobs: weight of standardised log jobs.
    """

    talent_std: np.ndarray
    log_jobs_mean: float
    log_jobs_sd: float
    coef_talent: float
    coef_nr_jobs: float


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x, dtype=np.float64)


def reputation_basis(
    talent: np.ndarray, prior_jobs: np.ndarray, coef_talent: float, coef_nr_jobs: float
) -> ReputationBasis:
    """The fixed parts of the reputation formula: z(talent), and the mean and sd of log jobs."""
    log_start = np.log(prior_jobs + 0.1)
    sd = float(np.std(log_start, ddof=1)) if log_start.size > 1 else 0.0
    return ReputationBasis(
        talent_std=_standardise(talent.astype(np.float64)),
        log_jobs_mean=float(log_start.mean()),
        log_jobs_sd=sd,
        coef_talent=float(coef_talent),
        coef_nr_jobs=float(coef_nr_jobs),
    )


def reputation_argument(basis: ReputationBasis, jobs: np.ndarray) -> np.ndarray:
    """The logistic's argument of their formula: ``ct z(talent) + cn z(ln(jobs + 0.1))``."""
    sd = basis.log_jobs_sd
    jobs_std = (np.log(jobs + 0.1) - basis.log_jobs_mean) / sd if sd > 0 else np.zeros(jobs.size)
    return basis.coef_talent * basis.talent_std + basis.coef_nr_jobs * jobs_std


def reputation_score(
    basis: ReputationBasis,
    jobs: np.ndarray,
    noise: np.ndarray,
    shift: np.ndarray | None = None,
) -> np.ndarray:
    """Their reputation formula, given the noise draws (``setup`` and ``set-reputation``).

    ``floor(100 * (logistic(ct * z(talent) + cn * z(ln(jobs + 0.1))) + noise)) + 1``, where
    ``z`` of log jobs uses the mean and sd of the *starting* log jobs and ``noise`` is
    ``random-normal 0 0.1`` (so about 10 points of sd on the 0-100 scale). Integer-valued,
    and it can fall below 1 or above 100. ``shift`` (not theirs: our badge, ``docking.ours``)
    is added to the logistic's argument.
    """
    x = reputation_argument(basis, jobs)
    if shift is not None:
        x = x + shift
    return (np.floor(100.0 * (np.exp(x) / (1.0 + np.exp(x)) + noise)) + 1).astype(np.int64)


def recompute_reputation(
    rng: np.random.Generator,
    basis: ReputationBasis,
    jobs: np.ndarray,
    reputation: np.ndarray,
    shift: np.ndarray | None = None,
) -> np.ndarray:
    """``set-reputation``: after every hire, everyone with a job so far gets a fresh score.

    Employees who have received at least one job (prior jobs included) are rescored with new
    noise; those with none keep the score they started with.
    """
    out = reputation.copy()
    rows = np.flatnonzero(jobs > 0)
    noise = rng.normal(0.0, 0.1, size=rows.size)
    sub = ReputationBasis(
        basis.talent_std[rows],
        basis.log_jobs_mean,
        basis.log_jobs_sd,
        basis.coef_talent,
        basis.coef_nr_jobs,
    )
    out[rows] = reputation_score(sub, jobs[rows], noise, None if shift is None else shift[rows])
    return out


# --------------------------------------------------------------------------------------------
# create-a-job


@dataclass(frozen=True)
class Job:
    """One job (``create-a-job``): complexity, offered price, employer and applicants.

    Attributes:
        complexity: ``floor random-normal 50 20`` kept within 1..100.
        price: ``abs(random-exponential 20 + abs(random-normal 0 5) * complexity)``.
        employer: the employer's row (``one-of employers``).
        applicants: rows of the 2-10 applicants (``n-of (random 9 + 2) employees``), in the
            order they bid.
    """

    complexity: int
    price: float
    employer: int
    applicants: np.ndarray


def create_job(
    rng: np.random.Generator,
    n_employers: int,
    n_employees: int,
    pool: tuple[int, int] = (2, 10),
    weights: np.ndarray | None = None,
) -> Job:
    """``create-a-job``: a job with its complexity, price, employer and applicants.

    ``pool`` is the range of the number of applicants, uniform and inclusive: their
    code's ``random 9 + 2`` is 2-10 (the default). ``weights`` (not theirs: our ranked
    search and exits, ``docking.ours``) draws the applicants without replacement with
    probabilities proportional to them (at most as many as have a positive weight); None
    draws them uniformly, as ``n-of``.
    """
    complexity = int(min(100, max(1, np.floor(rng.normal(50.0, 20.0)))))
    price = abs(rng.exponential(20.0) + abs(rng.normal(0.0, 5.0)) * complexity)
    employer = int(rng.integers(n_employers))
    k = int(rng.integers(pool[1] - pool[0] + 1)) + pool[0]
    if weights is None:
        applicants = rng.choice(n_employees, size=k, replace=False)
    else:
        k = min(k, int(np.count_nonzero(weights > 0)))
        p = weights / weights.sum()
        applicants = rng.choice(n_employees, size=k, replace=False, p=p)
    return Job(complexity, float(price), employer, applicants.astype(np.int64))


# --------------------------------------------------------------------------------------------
# bid-first, bid-others


def clip_bid(bid: float, price: float) -> float:
    """A bid kept within 75 %-125 % of the price (``price-job-min``, ``price-job-max``)."""
    return min(max(bid, price - BID_RANGE * price), price + BID_RANGE * price)


def first_bid(rng: np.random.Generator, price: float) -> float:
    """``bid-first``: the first applicant bids the price plus ``random-normal 0 10``, clipped."""
    return clip_bid(price + rng.normal(0.0, 10.0), price)


def open_bid(
    bids: np.ndarray,
    reputations: np.ndarray,
    own_reputation: float,
    price: float,
    draws: tuple[float, float, float],
) -> float:
    """``bid-others``, open auction: a bid from the earlier bids and reputations, given the draws.

    ``mean-bid = mean(earlier bids) + d0`` and ``mean-reps = mean(earlier reputations) + d1``
    (``d0``, ``d1`` each ``random-normal 1 0.1``); the bid is ``mean-bid + d2 * (own reputation
    - mean-reps)`` with ``d2 = random-normal 1 0.1``, clipped to 75 %-125 % of the price.
    """
    mean_bid = float(bids.mean()) + draws[0]
    mean_reps = float(reputations.mean()) + draws[1]
    return clip_bid(mean_bid + draws[2] * (own_reputation - mean_reps), price)


def sealed_bid(rng: np.random.Generator, price: float) -> float:
    """``bid-others``, sealed auction: the price plus ``random-normal 0 10``, redrawn to fit.

    The bid is redrawn until it is within 75 %-125 % of the price: a truncated normal, where
    the first bid and open bids are clipped.
    """
    lo, hi = price - BID_RANGE * price, price + BID_RANGE * price
    while True:
        bid = price + rng.normal(0.0, 10.0)
        if lo <= bid <= hi:
            return float(bid)


def place_bids(
    rng: np.random.Generator, price: float, reputations: np.ndarray, auction: str
) -> np.ndarray:
    """Every applicant's bid, in bidding order (``bid-first``, then ``bid-others``).

    Args:
        rng: the market stream.
        price: the job's price.
        reputations: the applicants' current reputations, in bidding order.
        auction: ``"open"`` or ``"sealed"``.
    """
    bids = np.empty(reputations.size, dtype=np.float64)
    bids[0] = first_bid(rng, price)
    for i in range(1, reputations.size):
        if auction == "open":
            draws = rng.normal(1.0, 0.1, size=3)
            bids[i] = open_bid(
                bids[:i], reputations[:i], float(reputations[i]), price, tuple(draws)
            )
        else:
            bids[i] = sealed_bid(rng, price)
    return bids


# --------------------------------------------------------------------------------------------
# evaluate, select-employee


def strategy_weight(complexity: float, coef_strategy: float) -> float:
    """``prob-strategy``: reputation's weight, ``logistic(coef-strategy x (complexity - 50))``."""
    x = coef_strategy * (complexity - 50.0)
    return float(np.exp(x) / (1.0 + np.exp(x)))


def selection_scores(weight: float, reputations: np.ndarray, bids: np.ndarray) -> np.ndarray:
    """``evaluate``: each applicant's ``prob-select``.

    ``w * reputation / max reputation + (1 - w) * (1 - bid / max bid)``, the maxima over the
    job's applicants.
    """
    max_rep = float(reputations.max())
    rep_term = reputations / max_rep if max_rep != 0 else np.zeros(reputations.size)
    return weight * rep_term + (1.0 - weight) * (1.0 - bids / bids.max())


def select_winner(rng: np.random.Generator, scores: np.ndarray) -> int:
    """``select-employee``: the applicant with the highest score; ties broken at random."""
    best = np.flatnonzero(scores == scores.max())
    return int(best[0] if best.size == 1 else best[rng.integers(best.size)])


# --------------------------------------------------------------------------------------------
# Their reporters (BehaviorSpace metrics)


def reputation_band(reputation_start: np.ndarray) -> np.ndarray:
    """0, 1, 2 for starting reputation < 33, 33-66, > 66 (their ``rep0_30``, ``_70``, ``_100``)."""
    return np.where(reputation_start < 33, 0, np.where(reputation_start > 66, 2, 1))


def outcome_measures(
    reputation_start: np.ndarray,
    jobs_start: np.ndarray,
    jobs: np.ndarray,
    earnings: np.ndarray,
    reputation: np.ndarray,
) -> dict[str, float]:
    """Their eight reporters, keyed by this package's ``lg_*`` names.

    ``lg_earn_<band>`` (``earn-rep*``): mean earnings since the start, by starting-reputation
    band; ``lg_jobs_<band>`` (``jobs-rep*``): mean new jobs by band; ``lg_no_work``
    (``count-no-work``): employees with no new job; ``lg_meanrep_no_work``
    (``meanrep-no-work``): their mean current reputation. A band with nobody in it (NetLogo
    stops with an error) gives NaN.
    """
    band = reputation_band(reputation_start)
    new_jobs = jobs - jobs_start
    out: dict[str, float] = {}
    for what, values in (("earn", earnings), ("jobs", new_jobs)):
        for b, name in enumerate(BAND_NAMES):
            sel = values[band == b]
            out[f"lg_{what}_{name}"] = float(sel.mean()) if sel.size else float("nan")
    idle = new_jobs == 0
    out["lg_no_work"] = float(np.count_nonzero(idle))
    out["lg_meanrep_no_work"] = float(reputation[idle].mean()) if idle.any() else float("nan")
    return out
