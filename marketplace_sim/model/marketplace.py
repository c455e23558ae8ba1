"""MarketplaceModel: the weekly cycle of a freelance marketplace, on Mesa.

One step is one week:

1. entry: new freelancers and clients arrive (traits from the population stream);
2. completion: contracts due this week are delivered, rated, paid; freelancers learn;
3. intervention: the first-job intervention and the early boost, in their weeks;
4. posting, rehiring, discovery and choice: clients post jobs, satisfied clients may rehire
   directly, the other jobs draw applicants through search and clients choose (or hire no one);
5. exit: idle freelancers (no open contract) may stop seeking work, more likely the longer
   they idle: they leave, or with ``freelancers.dormancy`` go dormant (still listed, rarely
   answering) and dormant profiles are deleted at a small hazard; clients leave at a constant
   hazard (their open contracts are still delivered and paid);
6. reputation: JSS, Top Rated badge, monthly rate reviews;
7. observation: metrics to Mesa's DataCollector.

State lives in numpy tables (``state.py``) and is updated by the pure functions of
``market/``; Mesa agents are handles onto table rows. Each phase is a module of its own:
``population`` (entry, warm start, exit), ``contracts`` (opening and completing contracts),
``interventions``, ``hiring`` (posting, rehire, search, choice), ``reputation`` (derived
ratings, windows, badge, rate reviews) and ``observation`` (metrics, DataCollector, tables,
invariants); this module holds the state they share and calls them in order.

Two random streams: ``model.rng`` (Mesa's, seeded by ``run.seed``) drives everything that
happens in the market, and a population stream seeded by ``run.population_seed`` draws who
enters, when, and with what traits, so that one population can be replayed in several worlds
that differ only in market luck.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim.config import Config, load_config
from marketplace_sim.errors import ConfigError
from marketplace_sim.market import jit
from marketplace_sim.model import (
    contracts,
    hiring,
    interventions,
    invariants,
    observation,
    population,
    reputation,
)
from marketplace_sim.model._mesa import mesa
from marketplace_sim.model.agents import Client, Freelancer
from marketplace_sim.model.observation import METRIC_COLUMNS, MarketDataCollector
from marketplace_sim.model.ranks import SortedRows
from marketplace_sim.model.state import client_table, contract_table, freelancer_table
from marketplace_sim.units import CENTS

__all__ = ["CENTS", "METRIC_COLUMNS", "MarketplaceModel", "fresh_seed"]


class MarketplaceModel(mesa.Model):
    """A freelance marketplace where reputation compounds.

    Which seed a model runs (``model.seed``, also ``model.config.run.seed``):

    * ``rng=N`` given: ``N``, whatever the config says (Mesa's convention);
    * else a ``config`` given: its ``run.seed`` (default 1), so a world file or a resolved
      config always reproduces its run;
    * else (no config, as ``mesa.batch_run`` and SolaraViz build models: ``MarketplaceModel()``,
      ``MarketplaceModel(rng=None, **overrides)``): ``run__seed`` if among the overrides,
      otherwise fresh entropy from the operating system, as ``mesa.Model(rng=None)`` draws
      (see :func:`fresh_seed`). The seed drawn is recorded in the config, so
      ``MarketplaceModel(model.config)`` or ``MarketplaceModel(rng=model.seed, **overrides)``
      replays the run exactly.

    The population stream follows ``run.seed`` unless ``run.population_seed`` is set. After
    ``run.steps`` weeks ``running`` turns False, so ``run_model()`` and ``mesa.batch_run``
    stop at the configured horizon.

    Args:
        config: the world; None uses the schema's defaults (and a fresh seed, above).
        rng: seed of the market stream (an int); overrides ``run.seed`` when given.
        **overrides: config overrides by dotted key with ``__`` for dots, e.g.
            ``market__freelancers=500`` (handy for Mesa's SolaraViz and batch_run).

    Example:
        >>> from marketplace_sim import MarketplaceModel, load_config
        >>> model = MarketplaceModel(load_config("configs/smoke.toml"))
        >>> model.run_for(10)
        >>> model.steps_frame()["gini_earnings"].iloc[-1]  # doctest: +SKIP
    """

    def __init__(
        self, config: Config | None = None, *, rng: int | None = None, **overrides: Any
    ) -> None:
        cfg = _resolve_config(config, rng, overrides)
        super().__init__(rng=cfg.run.seed)
        self.config = cfg
        #: whether the weekly phases run their compiled kernels (same results; market/jit.py)
        self.compiled = jit.use_for(cfg.market.freelancers * cfg.run.steps)
        self.pop_rng = population.population_rng(cfg)
        self.trait_streams = population.trait_streams(cfg)  # optional traits, when on
        self._init_state(cfg)
        population.populate(self)
        #: jobs each initial freelancer brought from before week 1, by row (warm start)
        self.prior_jobs = self.freelancers.hires.astype(np.int64)
        self.datacollector = MarketDataCollector(cfg.run.agent_every, cfg.run.steps)

    def _init_state(self, cfg: Config) -> None:
        """Empty tables sized for the run, and the market-wide state the phases share."""
        m, run = cfg.market, cfg.run
        self.freelancers = freelancer_table(int(m.freelancers + 2 * m.entry_rate * run.steps) + 16)
        self.clients = client_table(int(m.clients + 2 * m.client_entry_rate * run.steps) + 16)
        self.contracts = contract_table(
            int(m.clients * cfg.jobs.post_rate * cfg.jobs.duration_mean * 2) + 16
        )
        self.freelancer_agents: list[Freelancer | None] = []  # by row; None once gone
        self.client_agents: list[Client | None] = []
        self.niche_popularity = population.niche_popularity(m.niches, m.niche_skew)
        self.rate_ref = cfg.freelancers.rate_median
        self.platform_revenue = 0  # cents
        self.star_counts = np.zeros(6, dtype=np.int64)  # index = stars (0 unused)
        self.rating_norm = reputation.RATING_NORM_START  # raters' expectation, drives inflation
        self.next_contract_id = 0
        # (week, rows, amounts / outcomes): expire the 52-week earnings and the JSS window
        self.earnings_window: deque[tuple[int, np.ndarray, np.ndarray]] = deque()
        self.jss_window: deque[tuple[int, np.ndarray, np.ndarray]] = deque()
        self.contract_log: list[dict[str, np.ndarray]] = []
        self.week: dict[str, float] = {}  # this week's tallies (posted, filled, delivered)
        self.cache: dict[str, np.ndarray] = {}  # derived per-row values, within a phase
        self.metrics: dict[str, float] = {}
        self.sorted_rows = {  # orders kept across weeks for the rank-based metrics (ranks.py)
            "earnings": SortedRows(),
            "expertise0": SortedRows(fixed=True),  # a trait
            "early": SortedRows(fixed=True),  # first-year earnings, once the year is over
            "late": SortedRows(),
        }
        self.recorded_steps: list[int] = []

    @property
    def seed(self) -> int:
        """The seed of the market stream this model runs (``config.run.seed``)."""
        return self.config.run.seed

    # ----------------------------------------------------------------------------------------
    # The weekly cycle

    def step(self) -> None:
        """Advance the market by one week."""
        t = self.steps
        self.cache.clear()
        self.week = {}
        population.enter(self, t)
        reputation.expire_windows(self, t)
        contracts.complete_contracts(self, t)
        interventions.intervene(self, t)
        hiring.post_and_hire(self, t)
        population.exits(self, t)
        self.cache.clear()
        reputation.update_reputation(self, t)
        self.cache.clear()
        self._observe(t)
        if t >= self.config.run.steps:
            self.running = False

    def _observe(self, t: int) -> None:
        """Record week ``t`` if due (and always the last week), or a freelancer snapshot only."""
        run = self.config.run
        if t % run.record_every == 0 or t == run.steps:
            self.collect()
        elif self.datacollector.snapshot_due(t):
            self.datacollector.collect_agents(self)

    def collect(self) -> None:
        """Compute this week's metrics and hand them to the DataCollector."""
        if self.recorded_steps and self.recorded_steps[-1] == self.steps:
            return
        self.metrics = self.compute_metrics()
        self.datacollector.collect(self)
        self.recorded_steps.append(self.steps)

    # ----------------------------------------------------------------------------------------
    # Derived state (cached within a step): reputation.py

    def displayed_ratings(self) -> np.ndarray:
        """Public rating as displayed, per freelancer row (NaN without reviews)."""
        return reputation.displayed_ratings(self)

    def raw_ratings(self) -> np.ndarray:
        """Mean stars per freelancer row (NaN without reviews)."""
        return reputation.raw_ratings(self)

    def job_success_scores(self) -> np.ndarray:
        """Job success score per freelancer row (NaN while hidden)."""
        return reputation.job_success_scores(self)

    def reputation(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Reputation index per freelancer row (what clients and search see).

        With ``rows``, the index of those rows only, computed from their columns alone (the
        same values, without the work for everyone who ever left).
        """
        return reputation.reputation_index(self, rows)

    def market_mean_rating(self) -> float:
        """Mean of all public star ratings given so far (NaN before the first)."""
        return reputation.market_mean_rating(self)

    # ----------------------------------------------------------------------------------------
    # Metrics and results: observation.py

    def compute_metrics(self) -> dict[str, float]:
        """The metric columns for the current week."""
        return observation.compute_metrics(self)

    def steps_frame(self) -> pd.DataFrame:
        """One row per recorded week: ``step`` and the metric columns."""
        return observation.steps_frame(self)

    def freelancers_frame(self) -> pd.DataFrame:
        """One row per freelancer ever present (the contract's columns, then extras)."""
        return observation.freelancers_frame(self)

    def contracts_frame(self) -> pd.DataFrame:
        """One row per completed contract (empty when ``run.record_contracts`` is false)."""
        return observation.contracts_frame(self)

    def check_invariants(self) -> None:
        """Assert the model's accounting identities; raises AssertionError naming the one broken."""
        invariants.check_invariants(self)


def fresh_seed() -> int:
    """A seed from the operating system's entropy, drawn as ``mesa.Model(rng=None)`` draws its own.

    Mesa seeds a generator from OS entropy and draws the integer it records from it
    (``rng.integers(np.iinfo(np.int32).max)``); here that integer seeds the whole run, so
    the run can be replayed from it.
    """
    return int(np.random.default_rng().integers(np.iinfo(np.int32).max))


def _resolve_config(config: Config | None, rng: int | None, overrides: dict[str, Any]) -> Config:
    """The world a model runs: ``config`` (or the defaults), the overrides, the seed.

    See :class:`MarketplaceModel` for which seed: ``rng``, else the config's, else (no
    config) ``run__seed`` among the overrides or a :func:`fresh_seed`.
    """
    cfg = config if config is not None else load_config()
    changes = {k.replace("__", "."): v for k, v in overrides.items()}
    if rng is not None:
        changes["run.seed"] = int(rng)
    elif config is None and "run.seed" not in changes:
        changes["run.seed"] = fresh_seed()
    if not changes:
        return cfg
    try:
        return cfg.with_overrides(changes, "MarketplaceModel")
    except ConfigError as exc:  # name the keyword the caller wrote, not a dotted key
        keyword = exc.key
        if exc.key == "run.seed" and rng is not None:
            keyword = "rng"
        elif exc.key is not None:
            keyword = exc.key.replace(".", "__")
        message = re.sub(
            r"'([a-z_]+(?:\.[a-z_]+)+)'", lambda m: repr(m[1].replace(".", "__")), exc.message
        )  # "did you mean 'market__freelancers'?"
        raise ConfigError("MarketplaceModel", keyword, message) from None
