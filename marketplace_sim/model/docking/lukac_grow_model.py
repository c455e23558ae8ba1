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
        self.pairs: dict[int, int] = {}  # employer * num_employees + employee -> hires (weight)
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
            self.rng, d.num_employers, d.num_employees, (d.min_applicants, d.max_applicants)
        )
        reps = self.reputation_now[job.applicants].astype(np.float64)
        bids = lg.place_bids(self.rng, job.price, reps, self.auction)
        weight = lg.strategy_weight(job.complexity, self.coef_strategy)
        scores = lg.selection_scores(weight, reps, bids)
        i = lg.select_winner(self.rng, scores)
        winner = int(job.applicants[i])
        self.jobs[winner] += 1
        self.earnings[winner] += bids[i]
        pair = job.employer * d.num_employees + winner
        self.hire_repeat[t] = pair in self.pairs
        self.pairs[pair] = self.pairs.get(pair, 0) + 1
        self.hire_employer[t], self.hire_employee[t], self.hire_bid[t] = (
            job.employer,
            winner,
            bids[i],
        )
        self.hire_info[t] = (job.complexity, job.price, job.applicants.size, weight)
        self.reputation_now = lg.recompute_reputation(
            self.rng, self.basis, self.jobs, self.reputation_now
        )
        done = len(self.pairs) >= self.num_jobs or self.steps >= self.config.run.steps
        if self.steps % self.config.run.record_every == 0 or done:
            self.rows.append(self.compute_metrics())
        if done:
            self.running = False

    def run_to_end(self) -> None:
        """Step until their stopping rule (or the ``run.steps`` time limit) ends the run."""
        while self.running:
            self.step()

    # ----------------------------------------------------------------------------------------
    # Observation

    def compute_metrics(self) -> dict[str, float]:
        """``step``, the metric columns (NaN where their model has no such thing), ``lg_*``."""
        earn = self.earnings
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
            share_never_hired=float(np.count_nonzero(self.jobs == 0)) / earn.size,
            merit_spearman=metrics.spearman(self.talent, earn),
            fill_rate=1.0,  # one job a step, always filled
            clients_active=float(len(self.employers)),
            jobs_posted=1.0,
            contracts_open=0.0,  # a job is done when it is awarded
            platform_revenue=0.0,  # no fee
        )
        row.update(
            lg.outcome_measures(
                self.reputation_start, self.jobs_start, self.jobs, earn, self.reputation_now
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
                "entry_step": np.zeros(n, dtype=np.int64),
                "exit_step": pd.array([pd.NA] * n, dtype="Int32"),
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
