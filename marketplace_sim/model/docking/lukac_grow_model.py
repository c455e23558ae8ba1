"""LukacGrowModel: Lukac & Grow's (2020) NetLogo model of an online labour market, on Mesa.

One step is one pass of their ``go``: a job is created with its 2-10 applicants, the
applicants bid (first bidder, then the others, open or sealed), the employer scores them and
hires the best, the employer-employee link is made or strengthened, and every reputation is
recomputed. Their run stops when ``count links`` reaches ``num-jobs``: once that many distinct
employer-employee pairs have worked together (a repeat hire adds no link), which takes about
200-220 jobs at their parameters; BehaviorSpace also stops it after 250 ticks (here
``run.steps``). The procedures are the pure functions of :mod:`.lukac_grow`.

State lives in numpy arrays; employees and employers are Mesa agents that are handles onto
their rows (as in the main model). The frames have the main model's shapes: ``steps_frame``
(one row per step, the metric columns where their model defines them and NaN elsewhere, plus
their reporters as ``lg_*``), ``freelancers_frame`` and ``contracts_frame`` (one row per hire).

Two streams, as in the main model: ``model.rng`` (Mesa's, seeded by ``run.seed``) drives the
jobs, bids and reputation noise; a population stream seeded by ``run.population_seed`` draws
the employees' talents, prior jobs and first reputations.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from marketplace_sim import metrics
from marketplace_sim.config import Config, load_config
from marketplace_sim.errors import ConfigError
from marketplace_sim.model.docking import lukac_grow as lg
from marketplace_sim.model.docking import ours
from marketplace_sim.model.observation import CONTRACT_LOG_COLUMNS, METRIC_COLUMNS

#: Their reporters as columns of steps.parquet (the interface's seven, then extras: the mean
#: reputation of those without a new job, the jobs posted (their ``step``, also this table's
#: ``step``, repeated so that it reaches runs.parquet) and the distinct pairs (``count links``).
LG_COLUMNS: tuple[str, ...] = (
    "lg_no_work",
    "lg_jobs_low",
    "lg_jobs_mid",
    "lg_jobs_high",
    "lg_earn_low",
    "lg_earn_mid",
    "lg_earn_high",
    "lg_meanrep_no_work",
    "lg_step",
    "lg_pairs",
)
#: spawn key of the population stream (talents, prior jobs, first reputations)
POPULATION_STREAM = 2020
#: spawn key of our mechanisms' history stream (communication, reliability, prior jobs' reviews)
HISTORY_STREAM = (2020, 1)


class _Row(mesa.Agent):
    """A Mesa agent bound to one row of the model's arrays."""

    model: LukacGrowModel

    def __init__(self, model: LukacGrowModel, row: int) -> None:
        super().__init__(model)
        self.row = int(row)


class Employee(_Row):
    """A freelancer: talent, jobs received, reputation and earnings (their ``employees``)."""

    @property
    def talent(self) -> int:
        """Unobserved talent, 1-99."""
        return int(self.model.talent[self.row])

    @property
    def reputation(self) -> int:
        """Current reputation (recomputed after every hire)."""
        return int(self.model.reputation_now[self.row])

    @property
    def reputation_start(self) -> int:
        """Reputation at the start of the run."""
        return int(self.model.reputation_start[self.row])

    @property
    def jobs_received(self) -> int:
        """Jobs received, those from before the run included."""
        return int(self.model.jobs[self.row])

    @property
    def earnings(self) -> float:
        """Earnings since the start of the run (the sum of its winning bids)."""
        return float(self.model.earnings[self.row])


class Employer(_Row):
    """An employer: posts the jobs it is drawn for and hires one applicant each."""

    @property
    def hires(self) -> int:
        """Jobs it has filled so far."""
        return int(np.count_nonzero(self.model.hire_employer[: self.model.steps] == self.row))


class LukacGrowModel(mesa.Model):
    """Lukac & Grow's (2020) model: reputation and price in the recruitment of freelancers.

    Args:
        config: a docking world (``[docking] model = "lukac-grow-2020"``); None uses the
            shipped ``lukac-grow-2020`` world with a fresh seed.
        rng: seed of the market stream (an int); overrides ``run.seed`` when given.
        **overrides: config overrides by dotted key with ``__`` for dots, e.g.
            ``clients__strategy_coefficient=0.1``.

    Example:
        >>> from marketplace_sim.config import load_config
        >>> model = LukacGrowModel(load_config("lukac-grow-2020"))
        >>> model.run_to_end()
        >>> model.steps_frame()["lg_no_work"].iloc[-1]  # doctest: +SKIP
    """

    def __init__(
        self, config: Config | None = None, *, rng: int | None = None, **overrides: Any
    ) -> None:
        cfg = _resolve_config(config, rng, overrides)
        super().__init__(rng=cfg.run.seed)
        self.config = cfg
        d = cfg.docking
        assert d is not None  # _resolve_config refuses a world without [docking]
        strategy = cfg.clients.strategy_coefficient
        self.coef_strategy = lg.DEFAULT_STRATEGY if strategy is None else float(strategy)
        self.auction = cfg.platform.auction or lg.DEFAULT_AUCTION
        self.num_jobs = d.num_jobs
        pop = np.random.Generator(
            np.random.PCG64(
                np.random.SeedSequence(cfg.population_seed, spawn_key=(POPULATION_STREAM,))
            )
        )
        self.talent, self.jobs_start = lg.draw_employees(pop, d.num_employees)
        self.basis = lg.reputation_basis(
            self.talent, self.jobs_start, d.coef_talent, d.coef_nr_jobs
        )
        noise = pop.normal(0.0, 0.1, size=d.num_employees)
        self.reputation_start = lg.reputation_score(self.basis, self.jobs_start, noise)
        self.reputation_now = self.reputation_start.copy()
        self.jobs = self.jobs_start.copy()
        self.earnings = np.zeros(d.num_employees, dtype=np.float64)
        self.pairs: dict[int, int] = {}  # employer * 2**32 + employee -> hires (their link weight)
        horizon = cfg.run.steps
        self.hire_employer = np.full(horizon, -1, dtype=np.int64)
        self.hire_employee = np.full(horizon, -1, dtype=np.int64)
        self.hire_bid = np.zeros(horizon, dtype=np.float64)
        self.hire_info = np.zeros((horizon, 4), dtype=np.float64)  # complexity, price, k, w
        self.hire_repeat = np.zeros(horizon, dtype=bool)
        # employers first, as their setup creates them (unique_id - 1 = their who number)
        self.employers = [Employer(self, j) for j in range(d.num_employers)]
        self.employees = [Employee(self, i) for i in range(d.num_employees)]
        self.rows: list[dict[str, float]] = []
        self.running = self.num_jobs > 0
        self._setup_ours(pop)

    @property
    def seed(self) -> int:
        """The seed of the market stream (``config.run.seed``)."""
        return self.config.run.seed

    # ----------------------------------------------------------------------------------------
    # go

    def step(self) -> None:
        """One job, from posting to the recomputed reputations (their ``go``)."""
        d = self.config.docking
        assert d is not None
        t = self.steps - 1  # Mesa counts this step already: t is the job's index, from 0
        job = lg.create_job(
            self.rng,
            d.num_employers,
            self.talent.size,
            (d.min_applicants, d.max_applicants),
            self._applicant_weights(),
        )
        weight = lg.strategy_weight(job.complexity, self.coef_strategy)
        rehire = "rehires" in self.ours and ours.rehire_wanted(
            self.rng,
            int(self.last_employee[job.employer]),
            bool(self.last_satisfied[job.employer]),
            bool(self.active[max(0, self.last_employee[job.employer])]),
            self.config.clients.rehire_prob,
        )
        if rehire:  # ours: straight to the last employee, who bids as a lone (first) bidder
            winner, bid, k = (
                int(self.last_employee[job.employer]),
                lg.first_bid(self.rng, job.price),
                1,
            )
        else:
            reps = self.reputation_now[job.applicants].astype(np.float64)
            bids = lg.place_bids(self.rng, job.price, reps, self.auction)
            i = lg.select_winner(self.rng, lg.selection_scores(weight, reps, bids))
            winner, bid, k = int(job.applicants[i]), float(bids[i]), job.applicants.size
        self.jobs[winner] += 1
        self.earnings[winner] += bid
        pair = job.employer * (1 << 32) + winner
        self.hire_repeat[t] = pair in self.pairs
        self.pairs[pair] = self.pairs.get(pair, 0) + 1
        self.hire_employer[t], self.hire_employee[t], self.hire_bid[t] = job.employer, winner, bid
        self.hire_info[t] = (job.complexity, job.price, k, weight)
        if self.delivers:
            self._deliver(winner, job.employer)
        self.last_work[winner] = self.steps
        self.reputation_now = self._reputation()
        if self.ours and self.steps % self.ticks_per_week == 0:
            self._week()
        done = len(self.pairs) >= self.num_jobs or self.steps >= self.config.run.steps
        if self.steps % self.config.run.record_every == 0 or done:
            self.rows.append(self.compute_metrics())
        if done:
            self.running = False

    # ----------------------------------------------------------------------------------------
    # Our mechanisms (docking.ours; :mod:`.ours`): nothing here draws or changes while it is off

    def _setup_ours(self, pop: np.random.Generator) -> None:
        """State of our mechanisms; with ``reviews``, reputations from the prior jobs' reviews.

        The starting reputation that defines their bands (``reputation_start``) stays their
        formula's in every rung: the measures group the same employees whatever is switched on.
        """
        cfg, n = self.config, self.talent.size
        assert cfg.docking is not None
        self.ours = cfg.docking.mechanisms
        self.pop = pop  # newcomers are drawn from the population stream, after setup's draws
        self.ticks_per_week = ours.ticks_per_week(cfg)
        self.active = np.ones(n, dtype=bool)
        self.entry_tick = np.zeros(n, dtype=np.int64)
        self.exit_tick = np.full(n, -1, dtype=np.int64)
        self.last_work = np.zeros(n, dtype=np.int64)
        self.badge = np.zeros(n, dtype=bool)
        self.last_employee = np.full(cfg.docking.num_employers, -1, dtype=np.int64)
        self.last_satisfied = np.zeros(cfg.docking.num_employers, dtype=bool)
        self.talent_mean = float(self.talent.mean())
        self.talent_sd = float(np.std(self.talent, ddof=1))
        self.delivers = bool(self.ours & {"reviews", "rehires", "top_rated"})
        if not self.delivers:
            return
        self.history = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(cfg.population_seed, spawn_key=HISTORY_STREAM))
        )
        self.communication, self.reliability = ours.draw_traits(self.history, n, cfg)
        self.record = ours.prior_history(
            self.history,
            self.jobs_start,
            self.talent / 100.0,
            self.communication,
            self.reliability,
            cfg,
        )
        their = lg.reputation_argument(self.basis, self.jobs_start)
        self.scale = ours.index_scale(ours.reputation_index(self.record, self.badge, cfg), their)
        if "reviews" in self.ours:  # employers see ours; the bands stay their formula's
            self.reputation_now = self._reputation()

    def _applicant_weights(self) -> np.ndarray | None:
        """Who can apply, and how likely: None (uniform, theirs) unless search or exits are on."""
        if "search" in self.ours:
            return ours.search_weights(
                self.rng, self.reputation_now, self.active, self.config.platform.search_weight
            )
        if "entry_exit" in self.ours:
            return self.active.astype(np.float64)
        return None

    def _deliver(self, winner: int, employer: int) -> None:
        """Ours: the job is delivered and judged; the employer remembers the outcome."""
        rows = np.array([winner])
        sat = ours.deliver(
            self.rng,
            self.talent[rows] / 100.0,
            self.communication[rows],
            self.reliability[rows],
            self.config,
        )
        stars, outcome = ours.review(self.rng, sat, self.config)
        self.record.add(rows, stars, outcome)
        self.last_employee[employer] = winner
        self.last_satisfied[employer] = outcome[0] == 1

    def _reputation(self) -> np.ndarray:
        """Reputations after a hire: theirs (with our badge's unit, if on), or our index's."""
        if "reviews" in self.ours:
            index = ours.reputation_index(self.record, self.badge, self.config)
            return ours.review_reputation(index, self.scale)
        shift = self.badge * self.scale.unit if "top_rated" in self.ours else None
        return lg.recompute_reputation(self.rng, self.basis, self.jobs, self.reputation_now, shift)

    def _week(self) -> None:
        """End of one of our weeks: exits, badges, then the next week's newcomers."""
        cfg = self.config
        if "entry_exit" in self.ours:
            idle = np.flatnonzero(self.active)
            weeks = (self.steps - self.last_work[idle]) / self.ticks_per_week
            leave = idle[self.rng.random(idle.size) < ours.exit_probability(weeks, cfg)]
            self.active[leave] = False
            self.exit_tick[leave] = self.steps
            for row in leave:
                self.employees[row].remove()
        if "top_rated" in self.ours:
            tenure = np.where(self.entry_tick > 0, self.steps - self.entry_tick, np.inf)
            self.badge = self.active & ours.top_rated(
                self.record, self.earnings, tenure / self.ticks_per_week, cfg
            )
        if "entry_exit" in self.ours:
            self._enter(ours.entrants(self.pop, cfg))

    def _enter(self, k: int) -> None:
        """Ours: ``k`` newcomers with no history (their talent draw, their formula at 0 jobs)."""
        if k == 0:
            return
        talent, rep, self.basis = ours.newcomers(
            self.pop, k, self.basis, self.talent_mean, self.talent_sd
        )
        zeros = np.zeros(k, dtype=np.int64)
        if self.delivers:
            comm, rel = ours.draw_traits(self.history, k, self.config)
            self.communication = np.concatenate([self.communication, comm])
            self.reliability = np.concatenate([self.reliability, rel])
            self.record.grow(k)
        grow = {
            "talent": talent,
            "jobs_start": zeros,
            "jobs": zeros,
            "earnings": np.zeros(k),
            "reputation_start": rep,
            "reputation_now": rep,
            "active": np.ones(k, dtype=bool),
            "entry_tick": np.full(k, self.steps),
            "exit_tick": np.full(k, -1),
            "last_work": np.full(k, self.steps),
            "badge": np.zeros(k, dtype=bool),
        }
        for name, values in grow.items():
            setattr(self, name, np.concatenate([getattr(self, name), values]))
        if "reviews" in self.ours:  # their formula gave the starting score; ours replaces it
            index = ours.reputation_index(self.record, self.badge, self.config)
            self.reputation_now[-k:] = ours.review_reputation(index[-k:], self.scale)
        n = len(self.employees)
        self.employees += [Employee(self, n + j) for j in range(k)]

    def run_to_end(self) -> None:
        """Step until their stopping rule (or the ``run.steps`` time limit) ends the run."""
        while self.running:
            self.step()

    # ----------------------------------------------------------------------------------------
    # Observation

    def compute_metrics(self) -> dict[str, float]:
        """``step``, the metric columns (NaN where their model has no such thing), ``lg_*``.

        Over the employees present (all of them unless our exits are on, as our metrics are
        over active freelancers).
        """
        a = self.active
        earn = self.earnings[a]
        ordered = np.sort(earn)
        positive = ordered[-1] > 0
        top1, top10 = (
            metrics.top_shares_sorted(ordered, (0.01, 0.10)) if positive else (np.nan,) * 2
        )
        row: dict[str, float] = dict.fromkeys(METRIC_COLUMNS, np.nan)
        row.update(
            freelancers_active=float(earn.size),
            gini_earnings=metrics.gini_sorted(ordered) if positive else np.nan,
            top1_share=top1,
            top10_share=top10,
            share_never_hired=float(np.count_nonzero(self.jobs[a] == 0)) / earn.size,
            merit_spearman=metrics.spearman(self.talent[a], earn),
            fill_rate=1.0,  # one job a step, always filled
            clients_active=float(len(self.employers)),
            jobs_posted=1.0,
            contracts_open=0.0,  # a job is done when it is awarded
            platform_revenue=0.0,  # no fee
        )
        row.update(
            lg.outcome_measures(
                self.reputation_start[a],
                self.jobs_start[a],
                self.jobs[a],
                earn,
                self.reputation_now[a],
            )
        )
        row["lg_step"] = float(self.steps)  # their `step`: jobs so far (as runs.parquet's column)
        row["lg_pairs"] = float(len(self.pairs))
        return {"step": float(self.steps), **row}

    def steps_frame(self) -> pd.DataFrame:
        """One row per recorded step (``run.record_every``, and always the last)."""
        columns = ["step", *METRIC_COLUMNS, *LG_COLUMNS]
        df = pd.DataFrame(self.rows, columns=columns)
        for name in ("step", "freelancers_active", "clients_active", "jobs_posted"):
            df[name] = df[name].astype(np.int32 if name == "step" else np.int64)
        for name in ("lg_no_work", "lg_step", "lg_pairs"):
            df[name] = df[name].astype(np.int64)
        return df

    def reputation(self) -> np.ndarray:
        """Current reputation per employee row (as the main model's reputation index)."""
        return self.reputation_now.astype(np.float64)

    def freelancers_frame(self) -> pd.DataFrame:
        """One row per employee: the main model's columns (NaN where undefined), then theirs."""
        n = self.talent.size
        nan = np.full(n, np.nan)
        return pd.DataFrame(
            {
                "freelancer_id": np.array([a.unique_id for a in self.employees], dtype=np.int64),
                "expertise": self.talent / 100.0,
                "communication": nan,
                "reliability": nan,
                "profile": nan,
                "niche_focus": nan,
                "home_niche": np.zeros(n, dtype=np.int64),
                "entry_step": self.entry_tick.copy(),
                "exit_step": pd.array(
                    [int(x) if x >= 0 else pd.NA for x in self.exit_tick], dtype="Int32"
                ),
                "jobs_completed": self.jobs.copy(),
                "earnings": self.earnings.copy(),
                "rating": nan,
                "n_reviews": np.zeros(n, dtype=np.int64),
                "jss": nan,
                "top_rated": np.zeros(n, dtype=bool),
                "treated": np.zeros(n, dtype=bool),
                "control": np.zeros(n, dtype=bool),
                "hires": self.jobs.copy(),
                "talent": self.talent.copy(),
                "prior_jobs": self.jobs_start.copy(),
                "new_jobs": self.jobs - self.jobs_start,
                "reputation_start": self.reputation_start.copy(),
                "reputation": self.reputation_now.copy(),
                "band": np.array(lg.BAND_NAMES)[lg.reputation_band(self.reputation_start)],
            }
        )

    def contracts_frame(self) -> pd.DataFrame:
        """One row per hire: the main model's contract columns, then the job's own."""
        t = int(self.steps)
        if not self.config.run.record_contracts:
            t = 0
        ids = np.array([a.unique_id for a in self.employees], dtype=np.int64)
        emp_ids = np.array([a.unique_id for a in self.employers], dtype=np.int64)
        nan = np.full(t, np.nan)
        info = self.hire_info[:t]
        df = pd.DataFrame(
            {
                "contract_id": np.arange(t, dtype=np.int64),
                "freelancer_id": ids[self.hire_employee[:t]],
                "client_id": emp_ids[self.hire_employer[:t]],
                "niche": np.zeros(t, dtype=np.int64),
                "start_step": np.arange(1, t + 1, dtype=np.int64),
                "end_step": np.arange(1, t + 1, dtype=np.int64),
                "value": self.hire_bid[:t].copy(),
                "fee": np.zeros(t),
                "quality": nan,
                "on_time": nan,
                "satisfaction": nan,
                "stars": pd.array([pd.NA] * t, dtype="Int8"),
                "private_outcome": nan,
                "rehire": self.hire_repeat[:t].copy(),
                "complexity": info[:, 0].astype(np.int64),
                "price": info[:, 1],
                "applicants": info[:, 2].astype(np.int64),
                "reputation_weight": info[:, 3],
            }
        )
        return df[[*CONTRACT_LOG_COLUMNS, "complexity", "price", "applicants", "reputation_weight"]]


def _resolve_config(config: Config | None, rng: int | None, overrides: dict[str, Any]) -> Config:
    """The docking world a model runs: ``config`` (or the shipped one), overrides, the seed."""
    cfg = config if config is not None else load_config("lukac-grow-2020")
    changes = {k.replace("__", "."): v for k, v in overrides.items()}
    if rng is not None:
        changes["run.seed"] = int(rng)
    elif config is None and "run.seed" not in changes:
        changes["run.seed"] = int(np.random.default_rng().integers(np.iinfo(np.int32).max))
    if changes:
        cfg = cfg.with_overrides(changes)
    if cfg.docking is None:
        raise ConfigError("<config>", "docking", "LukacGrowModel needs a docking world")
    return cfg
