"""Our model's mechanisms in Lukac & Grow's world: one pure function per mechanism (the ladder).

``docking.ours`` switches them on in the docked world (``docs/docking.md``, "What our model
adds, mechanism by mechanism"); :class:`~.lukac_grow_model.LukacGrowModel` calls these in its
``go``. Each follows our model's formulas (``docs/ODD.md``) and reuses ``market/``:

* ``reviews``: every hire is delivered (:func:`deliver`: our quality, timeliness and
  satisfaction, expertise = talent / 100, fit 1: their world has no niches) and judged
  (:func:`review`: our private outcome and lenient stars); reputation is our index of the
  displayed rating, log(1 + reviews) and the JSS (:func:`reputation_index`), put on their
  0-100 scale by :func:`review_reputation` instead of their formula with fresh noise. Prior
  jobs are delivered and rated at setup, as our warm start (``market.prior_jobs_mean``) does;
* ``search``: applicants drawn with our position bias, ``(1 + rank by reputation) **
  -platform.search_weight`` (:func:`search_weights`), instead of uniformly;
* ``rehires``: an employer whose last hire was a private success gives the job to that
  employee directly with probability ``clients.rehire_prob`` (:func:`rehire_wanted`);
* ``entry_exit``: newcomers with no history arrive at our rate (:func:`entrants`), idle
  employees leave at our hazard (:func:`exit_probability`), once a week;
* ``top_rated``: our badge (:func:`top_rated`) adds one unit of our index to reputation.

Time: their world posts one job a tick; a week of ours is :func:`ticks_per_week` ticks, the
jobs their employees would get in a week at our baseline's jobs per freelancer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from marketplace_sim.config import Config
from marketplace_sim.market import delivery, discovery, reviews
from marketplace_sim.model import population
from marketplace_sim.model.docking import lukac_grow as lg


def ticks_per_week(cfg: Config) -> int:
    """Their ticks (jobs) in one week of ours: our jobs per freelancer-week x their employees.

    Our world posts ``jobs.post_rate * market.clients`` jobs a week for ``market.freelancers``
    freelancers (0.125 a freelancer at the defaults); 120 employees would get 15 of them a week.
    """
    assert cfg.docking is not None
    per_freelancer = cfg.jobs.post_rate * cfg.market.clients / cfg.market.freelancers
    return max(1, round(per_freelancer * cfg.docking.num_employees))


def draw_traits(rng: np.random.Generator, n: int, cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """Communication and reliability of ``n`` employees: our Beta draws (their model has none)."""
    fe = cfg.freelancers
    communication = rng.beta(fe.communication.a, fe.communication.b, n)
    reliability = rng.beta(fe.reliability.a, fe.reliability.b, n)
    return communication, reliability


@dataclass
class Record:
    """What reviews and private outcomes have given each employee (rows grow with entry).

    Attributes:
        stars_sum: sum of public stars; n_reviews: their count.
        jss_n, jss_succ, jss_fail: private outcomes: all, successes, failures (the JSS window,
            104 weeks, is longer than a run, so nothing expires).
    """

    stars_sum: np.ndarray
    n_reviews: np.ndarray
    jss_n: np.ndarray
    jss_succ: np.ndarray
    jss_fail: np.ndarray
    names: tuple[str, ...] = field(
        default=("stars_sum", "n_reviews", "jss_n", "jss_succ", "jss_fail"), repr=False
    )

    @classmethod
    def empty(cls, n: int) -> Record:
        """A record of ``n`` employees with no feedback."""
        z = [np.zeros(n, dtype=np.int64) for _ in range(5)]
        return cls(z[0], z[1], z[2], z[3], z[4])

    def grow(self, k: int) -> None:
        """Append ``k`` rows without feedback (newcomers)."""
        for name in self.names:
            setattr(self, name, np.concatenate([getattr(self, name), np.zeros(k, np.int64)]))

    def add(self, rows: np.ndarray, stars: np.ndarray, outcome: np.ndarray) -> None:
        """Add the feedback of jobs done by ``rows`` (``stars`` 0: no public review)."""
        reviewed = stars > 0
        np.add.at(self.stars_sum, rows[reviewed], stars[reviewed].astype(np.int64))
        np.add.at(self.n_reviews, rows[reviewed], 1)
        np.add.at(self.jss_n, rows, 1)
        np.add.at(self.jss_succ, rows[outcome == 1], 1)
        np.add.at(self.jss_fail, rows[outcome == -1], 1)


def deliver(
    rng: np.random.Generator,
    expertise: np.ndarray,
    communication: np.ndarray,
    reliability: np.ndarray,
    cfg: Config,
) -> np.ndarray:
    """Satisfaction with jobs delivered (ODD 7.10): quality, on time, then the weighted mean.

    Fit is 1 (their world has no niches), so quality is ``clip(expertise + N(0, noise), 0, 1)``.
    """
    d = cfg.delivery
    q = delivery.quality(rng, expertise, np.ones(expertise.size), d.quality_noise)
    timely = delivery.on_time(rng, reliability)
    return delivery.satisfaction(
        rng,
        q,
        communication,
        timely,
        d.weight_quality,
        d.weight_communication,
        d.weight_on_time,
        d.satisfaction_noise,
    )


def review(
    rng: np.random.Generator, satisfaction: np.ndarray, cfg: Config
) -> tuple[np.ndarray, np.ndarray]:
    """Private outcome (+1/0/-1) and public stars (0: no review left) of each job (ODD 7.11).

    Stars at the base leniency: rating inflation's norm starts at 3 and moves by 1 /
    ``reviews.norm_weeks`` a week, nothing over a run of a few weeks.
    """
    r = cfg.reviews
    outcome = reviews.private_outcome(satisfaction, r.success_threshold, r.failure_threshold)
    reviewed = rng.random(satisfaction.size) < r.prob
    stars = np.zeros(satisfaction.size, dtype=np.int8)
    stars[reviewed] = reviews.stars(rng, satisfaction[reviewed], r.leniency, r.noise)
    return stars, outcome


def prior_history(
    rng: np.random.Generator,
    prior_jobs: np.ndarray,
    expertise: np.ndarray,
    communication: np.ndarray,
    reliability: np.ndarray,
    cfg: Config,
) -> Record:
    """Their prior jobs, each delivered and judged as on the platform (our warm start)."""
    record = Record.empty(prior_jobs.size)
    rows = np.repeat(np.arange(prior_jobs.size), prior_jobs)
    if rows.size:
        sat = deliver(rng, expertise[rows], communication[rows], reliability[rows], cfg)
        record.add(rows, *review(rng, sat, cfg))
    return record


def reputation_index(record: Record, badge: np.ndarray, cfg: Config) -> np.ndarray:
    """Our reputation index (ODD 7.4): rating signal, log(1 + reviews), JSS signal, badge."""
    p = cfg.platform
    rating = reviews.displayed_rating(
        record.stars_sum,
        record.n_reviews,
        p.rating_display,
        p.bayes_prior_mean,
        p.bayes_prior_weight,
        p.rating_precision,
    )
    jss = reviews.job_success_score(
        record.jss_n, record.jss_succ, record.jss_fail, p.jss_min_contracts
    )
    return discovery.reputation_index(
        p.rating_weight * reviews.rating_signal(rating),
        record.n_reviews,
        p.jss_weight * reviews.jss_signal(jss),
        badge,
    )


@dataclass(frozen=True)
class IndexScale:
    """How one unit of our index maps onto their formula's logistic argument (fixed at setup).

    Attributes:
        mean, sd: mean and sd of our index over the employees at setup.
        spread: sd of their argument ``ct z(talent) + cn z(ln(jobs + 0.1))`` at setup.
    """

    mean: float
    sd: float
    spread: float

    @property
    def unit(self) -> float:
        """One unit of our index in units of their argument (``spread / sd``)."""
        return self.spread / self.sd if self.sd > 0 else 0.0


def index_scale(index: np.ndarray, their_argument: np.ndarray) -> IndexScale:
    """The scale of :func:`review_reputation`: our index standardised, spread as theirs."""
    return IndexScale(
        float(index.mean()), float(np.std(index, ddof=1)), float(np.std(their_argument, ddof=1))
    )


def review_reputation(index: np.ndarray, scale: IndexScale) -> np.ndarray:
    """Our index on their scale: ``floor(100 logistic(unit (index - mean))) + 1``, no noise.

    Their formula's shape (a logistic of standardised signals, times 100, plus 1), with our
    index in place of talent and jobs: the starting index standardised and given the spread of
    their argument, so the 0-100 scale and the bands mean what they mean in their world.
    """
    x = scale.unit * (index - scale.mean)
    return (np.floor(100.0 / (1.0 + np.exp(-x))) + 1).astype(np.int64)


def search_weights(
    rng: np.random.Generator, reputation: np.ndarray, available: np.ndarray, search_weight: float
) -> np.ndarray:
    """Our search visibility (ODD 7.5) by reputation: ``(1 + rank) ** -search_weight``.

    Their world has no profiles (``profile_visibility`` 0); ties are broken at random, as ours.
    """
    n = reputation.size
    return discovery.visibility(
        rng,
        "reputation",
        available,
        np.zeros(n),
        reputation.astype(np.float64),
        np.zeros(n, dtype=bool),
        0.0,
        search_weight,
        0.0,
    )


def rehire_wanted(
    rng: np.random.Generator, last: int, satisfied: bool, available: bool, rehire_prob: float
) -> bool:
    """Our direct rehire (ODD 7.8): the last employee, if a private success, with ``rehire_prob``.

    No draw without a candidate (as ours draws only for satisfied clients). Their employees
    keep no rate between jobs, so the price deterrent of ours (a rate risen since) is 1.
    """
    if last < 0 or not satisfied or not available:
        return False
    return bool(rng.random() < rehire_prob)


def exit_probability(weeks_idle: np.ndarray, cfg: Config) -> np.ndarray:
    """Our weekly exit hazard of an idle freelancer (ODD 7.1), capped at ``exit_max``."""
    return population.exit_probability(weeks_idle, cfg.freelancers)


def entrants(rng: np.random.Generator, cfg: Config) -> int:
    """Newcomers this week: Poisson, our entry per freelancer times their employees."""
    assert cfg.docking is not None
    rate = cfg.market.entry_rate / cfg.market.freelancers * cfg.docking.num_employees
    return int(rng.poisson(rate))


def newcomers(
    rng: np.random.Generator,
    k: int,
    basis: lg.ReputationBasis,
    talent_mean: float,
    talent_sd: float,
) -> tuple[np.ndarray, np.ndarray, lg.ReputationBasis]:
    """``k`` newcomers: talent (their draw), starting reputation, and the basis grown by them.

    Their setup's procedures for someone with no prior job: talent ``floor random 99 + 1``
    standardised by the setup's mean and sd, their formula at 0 jobs with fresh noise.
    """
    talent, _ = lg.draw_employees(rng, k)
    z = (talent - talent_mean) / talent_sd
    mine = lg.ReputationBasis(
        z, basis.log_jobs_mean, basis.log_jobs_sd, basis.coef_talent, basis.coef_nr_jobs
    )
    reputation = lg.reputation_score(mine, np.zeros(k, dtype=np.int64), rng.normal(0.0, 0.1, k))
    grown = lg.ReputationBasis(
        np.concatenate([basis.talent_std, z]),
        basis.log_jobs_mean,
        basis.log_jobs_sd,
        basis.coef_talent,
        basis.coef_nr_jobs,
    )
    return talent, reputation, grown


def top_rated(
    record: Record, earnings: np.ndarray, tenure_weeks: np.ndarray, cfg: Config
) -> np.ndarray:
    """Our Top Rated rule (ODD 7.13): JSS shown and >= the threshold, earnings, tenure.

    Earnings are those of the run (their prior jobs carried no money; a run is shorter than
    the 52-week window); their employees at setup are established (tenure ``inf``).
    """
    p = cfg.platform
    jss = reviews.job_success_score(
        record.jss_n, record.jss_succ, record.jss_fail, p.jss_min_contracts
    )
    with np.errstate(invalid="ignore"):
        return (
            (jss >= p.top_rated_jss)
            & (earnings >= p.top_rated_earnings)
            & (tenure_weeks >= p.top_rated_tenure)
        )
