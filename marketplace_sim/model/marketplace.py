"""MarketplaceModel: the weekly cycle of a freelance marketplace, on Mesa.

One step is one week:

1. entry: new freelancers and clients arrive (traits from the population stream);
2. completion: contracts due this week are delivered, rated, paid; freelancers learn;
3. intervention: the first-job intervention, in its week;
4. posting, rehiring, discovery and choice: clients post jobs, satisfied clients may rehire
   directly, the other jobs draw applicants through search and clients choose (or hire no one);
5. exit: idle freelancers (no open contract) may leave, more likely the longer they idle;
   clients leave at a constant hazard (their open contracts are still delivered and paid);
6. reputation: JSS, Top Rated badge, monthly rate reviews;
7. data collection.

State lives in numpy tables (``state.py``) and is updated by the pure functions of
``market/``; Mesa agents are handles onto table rows. Two random streams: ``model.rng`` (Mesa's,
seeded by ``run.seed``) drives everything that happens in the market, and a population stream
seeded by ``run.population_seed`` draws who enters, when, and with what traits, so that one
population can be replayed in several worlds that differ only in market luck.
"""

from __future__ import annotations

import gc
from collections import deque
from typing import Any

import mesa
import numpy as np
import pandas as pd

from marketplace_sim import metrics
from marketplace_sim.config import Config, load_config
from marketplace_sim.market import choice, delivery, discovery, pricing, reviews
from marketplace_sim.model.agents import Client, Freelancer
from marketplace_sim.model.ranks import SortedRows
from marketplace_sim.model.state import client_table, contract_table, freelancer_table
from marketplace_sim.units import CENTS, WEEKS_PER_YEAR

POPULATION_STREAM = 0x706F70  # spawn key that separates the population stream from the market's
RATE_REVIEW_EVERY = 4  # weeks between freelancers' rate reviews
RATING_NORM_START = 3.0  # stars: no social pressure before any rating history
PROPOSAL_NOISE = 0.1  # sd of the noise on communication as seen in a proposal

#: Metric columns of steps.parquet (the interface contract's, then extras).
METRIC_COLUMNS: tuple[str, ...] = (
    "freelancers_active",
    "gini_earnings",
    "top1_share",
    "top10_share",
    "share_never_hired",
    "mean_rating",
    "share_five_star",
    "merit_spearman",
    "fill_rate",
    "n_top_rated",
    # extras
    "clients_active",
    "jobs_posted",
    "contracts_open",
    "mean_quality",
    "mean_stars_week",
    "mean_rate",
    "share_top_rated",
    "early_late_spearman",
    "platform_revenue",
)


class MarketplaceModel(mesa.Model):
    """A freelance marketplace where reputation compounds.

    Args:
        config: the world; None uses the schema's defaults.
        rng: seed of the market stream; overrides ``run.seed`` when given (Mesa convention).
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
        cfg = config if config is not None else load_config()
        changes = {k.replace("__", "."): v for k, v in overrides.items()}
        if rng is not None:
            changes["run.seed"] = int(rng)
        if changes:
            cfg = cfg.with_overrides(changes)
        super().__init__(rng=cfg.run.seed)
        self.config = cfg
        self.pop_rng = np.random.Generator(
            np.random.PCG64(
                np.random.SeedSequence(cfg.population_seed, spawn_key=(POPULATION_STREAM,))
            )
        )
        m = cfg.market
        expected = int(m.freelancers + 2 * m.entry_rate * cfg.run.steps) + 16
        self.freelancers = freelancer_table(expected)
        self.clients = client_table(int(m.clients + 2 * m.client_entry_rate * cfg.run.steps) + 16)
        self.contracts = contract_table(
            int(m.clients * cfg.jobs.post_rate * cfg.jobs.duration_mean * 2) + 16
        )
        self._fl_agents: list[Freelancer | None] = []
        self._cl_agents: list[Client | None] = []
        ranks = np.arange(1, m.niches + 1, dtype=np.float64)
        pop = ranks ** (-m.niche_skew)
        self.niche_popularity = pop / pop.sum()
        self.rate_ref = cfg.freelancers.rate_median
        self.platform_revenue = 0  # cents
        self.star_counts = np.zeros(6, dtype=np.int64)  # index = stars (0 unused)
        self.rating_norm = RATING_NORM_START  # raters' expectation, drives inflation
        self._next_contract_id = 0
        self._earn_window: deque[tuple[int, np.ndarray, np.ndarray]] = deque()
        self._jss_window: deque[tuple[int, np.ndarray, np.ndarray]] = deque()
        self._contract_log: list[dict[str, np.ndarray]] = []
        self._week: dict[str, float] = {}
        self._cache: dict[str, np.ndarray] = {}
        self.metrics: dict[str, float] = {}
        self._sorted = {  # orders kept across weeks for the rank-based metrics (ranks.py)
            "earnings": SortedRows(),
            "expertise0": SortedRows(fixed=True),  # a trait
            "early": SortedRows(fixed=True),  # first-year earnings, once the year is over
            "late": SortedRows(),
        }
        self._recorded_steps: list[int] = []

        self._add_freelancers(m.freelancers, 0)
        if m.prior_jobs_mean > 0:
            self._prior_history(np.arange(self.freelancers.n), m.prior_jobs_mean)
        self._add_clients(m.clients, 0)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "step": lambda mod: mod.steps,
                **{name: _reporter(name) for name in METRIC_COLUMNS},
            }
        )

    # ----------------------------------------------------------------------------------------
    # Entry

    def _add_freelancers(self, n: int, step: int) -> None:
        if n <= 0:
            return
        f = self.config.freelancers
        g = self.pop_rng
        traits = {
            name: g.beta(getattr(f, name).a, getattr(f, name).b, n)
            for name in ("expertise", "communication", "reliability", "profile", "niche_focus")
        }
        home = g.choice(self.config.market.niches, n, p=self.niche_popularity)
        capacity = g.integers(1, f.capacity_max + 1, n)
        rate = f.rate_median * np.exp(f.rate_sigma * g.standard_normal(n))
        rows = self.freelancers.append(
            n,
            active=True,
            entry_step=step,
            last_work_step=step,
            expertise0=traits["expertise"],
            expertise=traits["expertise"],
            communication=traits["communication"],
            reliability=traits["reliability"],
            profile=traits["profile"],
            niche_focus=traits["niche_focus"],
            home_niche=home,
            capacity=capacity,
            rate=np.maximum(rate, f.rate_floor),
        )
        ids = _make_agents(Freelancer, self, rows, self._fl_agents)
        self.freelancers.col("agent_id")[rows] = ids

    def _prior_history(self, rows: np.ndarray, mean_jobs: float) -> None:
        """Give the initial freelancers a track record from before week 1 (Lukac & Grow 2020).

        floor(Exponential(mean)) jobs each, in the home niche, delivered, privately judged and
        publicly rated as on the platform (a stream of its own spawned from the population
        seed: history is part of who the people are). No money moves: those earnings were
        made before the simulated period.
        """
        cfg, fl = self.config, self.freelancers
        # Its own stream, spawned from the population seed: how many draws a history takes
        # depends on world settings (review probability), which must not shift who enters.
        g = np.random.Generator(
            np.random.PCG64(
                np.random.SeedSequence(cfg.population_seed, spawn_key=(POPULATION_STREAM, 1))
            )
        )
        k = np.floor(g.exponential(mean_jobs, rows.size)).astype(np.int64)
        f = np.repeat(rows, k)
        if f.size == 0:
            return
        fit = delivery.niche_fit(
            np.ones(f.size, bool), fl.niche_focus[f], cfg.freelancers.generalist_fit
        )
        _, _, _, outcome, reviewed, st = self._deliver(g, f, fit, cfg.reviews.leniency)
        self._record_feedback(0, f, outcome, reviewed, st)
        _bump(np.add, fl.jobs_completed, f)
        _bump(np.add, fl.hires, f)
        fe = cfg.freelancers
        fl.expertise[rows] = delivery.learned_expertise(
            fl.expertise0[rows], fl.jobs_completed[rows], fe.learning_gain, fe.learning_scale
        )

    def _deliver(
        self, rng: np.random.Generator, f: np.ndarray, fit: np.ndarray, leniency: float
    ) -> tuple[np.ndarray, ...]:
        """Deliver the jobs of freelancer rows ``f`` and draw their feedback.

        Returns quality, timeliness, satisfaction, private outcome, which are publicly
        reviewed, and their stars (random draws in that order).
        """
        cfg, fl = self.config, self.freelancers
        d, r = cfg.delivery, cfg.reviews
        q = delivery.quality(rng, fl.expertise[f], fit, d.quality_noise)
        timely = delivery.on_time(rng, fl.reliability[f])
        sat = delivery.satisfaction(
            rng,
            q,
            fl.communication[f],
            timely,
            d.weight_quality,
            d.weight_communication,
            d.weight_on_time,
            d.satisfaction_noise,
        )
        outcome = reviews.private_outcome(sat, r.success_threshold, r.failure_threshold)
        reviewed = rng.random(f.size) < r.prob
        st = reviews.stars(rng, sat[reviewed], leniency, r.noise)
        return q, timely, sat, outcome, reviewed, st

    def _record_feedback(
        self, t: int, f: np.ndarray, outcome: np.ndarray, reviewed: np.ndarray, st: np.ndarray
    ) -> None:
        """Add public stars and private outcomes (JSS window entry of week ``t``) to ``f``."""
        fl = self.freelancers
        np.add.at(fl.stars_sum, f[reviewed], st.astype(np.int64))
        _bump(np.add, fl.n_reviews, f[reviewed])
        self.star_counts += np.bincount(st, minlength=6)[:6]
        _bump(np.add, fl.jss_n, f)
        np.add.at(fl.jss_succ, f, (outcome == 1).astype(np.int32))
        np.add.at(fl.jss_fail, f, (outcome == -1).astype(np.int32))
        self._jss_window.append((t, f, outcome))

    def _add_clients(self, n: int, step: int) -> None:
        if n <= 0:
            return
        j, c = self.config.jobs, self.config.clients
        g = self.pop_rng
        post_rate = g.gamma(j.post_rate_shape, j.post_rate / j.post_rate_shape, n)
        mult = np.exp(c.weight_sd * g.standard_normal((5, n)))
        rows = self.clients.append(
            n,
            active=True,
            entry_step=step,
            post_rate=post_rate,
            m_reputation=mult[0],
            m_price=mult[1],
            m_profile=mult[2],
            m_communication=mult[3],
            m_fit=mult[4],
        )
        self.clients.col("agent_id")[rows] = _make_agents(Client, self, rows, self._cl_agents)

    # ----------------------------------------------------------------------------------------
    # The weekly cycle

    def step(self) -> None:
        """Advance the market by one week."""
        t = self.steps
        self._cache.clear()
        self._week = {}
        m = self.config.market
        self._add_freelancers(int(self.pop_rng.poisson(m.entry_rate)), t)
        self._add_clients(int(self.pop_rng.poisson(m.client_entry_rate)), t)
        self._expire_windows(t)
        self._complete_contracts(t)
        fj = self.config.interventions.first_job
        if fj is not None and fj.at_step == t:
            self._first_job(t, fj.share)
        eb = self.config.interventions.early_boost
        if eb is not None and eb.at_step == t:
            self._early_boost(eb.share, eb.reviews)
        self._post_and_hire(t)
        self._exits(t)
        self._cache.clear()
        self._update_reputation(t)
        self._cache.clear()
        if t % self.config.run.record_every == 0:
            self.collect()

    def collect(self) -> None:
        """Compute this week's metrics and hand them to the DataCollector."""
        if self._recorded_steps and self._recorded_steps[-1] == self.steps:
            return
        self.metrics = self.compute_metrics()
        self.datacollector.collect(self)
        self._recorded_steps.append(self.steps)

    def _expire_windows(self, t: int) -> None:
        """Drop payments and outcomes that left the rolling windows (exited rows stay frozen)."""
        fl = self.freelancers
        while self._earn_window and self._earn_window[0][0] <= t - WEEKS_PER_YEAR:
            _, rows, net = self._earn_window.popleft()
            live = fl.active[rows]
            np.subtract.at(fl.earnings_year, rows[live], net[live])
        window = self.config.platform.jss_window
        while self._jss_window and self._jss_window[0][0] <= t - window:
            _, rows, outcome = self._jss_window.popleft()
            live = fl.active[rows]
            rows, outcome = rows[live], outcome[live]
            _bump(np.subtract, fl.jss_n, rows)
            np.subtract.at(fl.jss_succ, rows, (outcome == 1).astype(np.int32))
            np.subtract.at(fl.jss_fail, rows, (outcome == -1).astype(np.int32))

    def _complete_contracts(self, t: int) -> None:
        pool = self.contracts
        done = pool.end_step == t
        if not done.any():
            return
        c = pool.take(np.flatnonzero(done))
        pool.keep(~done)
        cfg, rng, fl, cl = self.config, self.rng, self.freelancers, self.clients
        f, k = c["freelancer"], c["client"]
        n = f.size

        r = cfg.reviews
        lenient = reviews.leniency_now(r.leniency, r.inflation, self.rating_norm)
        q, timely, sat, outcome, reviewed, st = self._deliver(rng, f, c["fit"], lenient)
        stars_all = np.zeros(n, dtype=np.int8)
        stars_all[reviewed] = st
        if st.size:
            self.rating_norm = reviews.update_norm(self.rating_norm, float(st.mean()), r.norm_weeks)

        # Payment: the client pays the contract value, the platform keeps the fee.
        net = c["value"] - c["fee"]
        np.add.at(fl.earnings, f, net)
        np.add.at(fl.earnings_year, f, net)
        np.add.at(cl.spend, k, c["value"])
        self.platform_revenue += int(c["fee"].sum())
        self._earn_window.append((t, f, net))

        self._record_feedback(t, f, outcome, reviewed, st)

        # Work done: capacity freed, experience gained.
        _bump(np.add, fl.jobs_completed, f)
        _bump(np.subtract, fl.load, f)
        fl.last_work_step[f] = t
        fe = cfg.freelancers
        fl.expertise[f] = delivery.learned_expertise(
            fl.expertise0[f], fl.jobs_completed[f], fe.learning_gain, fe.learning_scale
        )
        _bump(np.subtract, cl.open_contracts, k)
        cl.last_freelancer[k] = f
        cl.last_satisfied[k] = outcome == 1
        cl.last_rate[k] = c["rate"]

        self._week["quality_sum"] = float(q.sum())
        self._week["completed"] = n
        self._week["stars_sum"] = float(st.sum())
        self._week["stars_n"] = st.size
        if cfg.run.record_contracts:
            self._contract_log.append(
                {
                    "contract_id": c["contract_id"],
                    "freelancer_id": fl.agent_id[f],
                    "client_id": cl.agent_id[k],
                    "niche": c["niche"],
                    "start_step": c["start_step"],
                    "end_step": c["end_step"],
                    "value": c["value"] / CENTS,
                    "fee": c["fee"] / CENTS,
                    "quality": q,
                    "on_time": timely,
                    "satisfaction": sat,
                    "stars": stars_all,
                    "private_outcome": outcome,
                    "rehire": c["rehire"],
                }
            )

    def _draw_jobs(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Niche, budget (USD) and duration (weeks) of ``n`` new jobs."""
        j, rng = self.config.jobs, self.rng
        niche = rng.choice(self.config.market.niches, n, p=self.niche_popularity)
        budget = j.budget_median * np.exp(j.budget_sigma * rng.standard_normal(n))
        duration = rng.geometric(1.0 / j.duration_mean, n)
        return niche, budget, duration

    def _start_contracts(
        self,
        t: int,
        f: np.ndarray,
        k: np.ndarray,
        niche: np.ndarray,
        budget: np.ndarray,
        duration: np.ndarray,
        rehire: bool,
    ) -> None:
        """Open contracts: value = budget x rate / reference rate (the job's hours at the rate)."""
        if f.size == 0:
            return
        fl, cl = self.freelancers, self.clients
        value = np.maximum(np.rint(budget * fl.rate[f] / self.rate_ref * CENTS), 1).astype(np.int64)
        fee = np.rint(value * self.config.platform.fee).astype(np.int64)
        fit = delivery.niche_fit(
            fl.home_niche[f] == niche, fl.niche_focus[f], self.config.freelancers.generalist_fit
        )
        ids = np.arange(self._next_contract_id, self._next_contract_id + f.size)
        self._next_contract_id += f.size
        self.contracts.append(
            f.size,
            contract_id=ids,
            freelancer=f,
            client=k,
            niche=niche,
            start_step=t,
            end_step=t + duration,
            value=value,
            fee=fee,
            rate=fl.rate[f],
            fit=fit,
            rehire=rehire,
        )
        _bump(np.add, fl.load, f)
        _bump(np.add, fl.hires, f)
        fl.last_work_step[f] = t
        _bump(np.add, cl.open_contracts, k)

    def _assign(
        self, eligible: np.ndarray, share: float, treated: np.ndarray, control: np.ndarray
    ) -> np.ndarray:
        """Flag a random ``share`` of ``eligible`` rows treated and the rest control.

        Returns the treated rows.
        """
        perm = self.rng.permutation(eligible)
        n_treat = int(round(share * eligible.size))
        treated[perm[:n_treat]] = True
        control[perm[n_treat:]] = True
        return perm[:n_treat]

    def _first_job(self, t: int, share: float) -> None:
        """Pallais (2014): one ordinary contract for a random share of the never-hired."""
        fl, rng = self.freelancers, self.rng
        eligible = np.flatnonzero(fl.active & (fl.hires == 0))
        active_clients = np.flatnonzero(self.clients.active)
        if eligible.size == 0 or active_clients.size == 0:
            return
        treated = self._assign(eligible, share, fl.treated, fl.control)
        k = rng.choice(active_clients, treated.size)
        _, budget, duration = self._draw_jobs(treated.size)
        self._start_contracts(t, treated, k, fl.home_niche[treated], budget, duration, False)

    def _early_boost(self, share: float, n_reviews: int) -> None:
        """Early boost (van de Rijt et al. 2014): random never-reviewed freelancers get 5 stars.

        The boost is a public signal only (no work, no earnings, no private outcome, so the
        JSS is untouched); the untreated eligible freelancers of that week are the controls.
        """
        fl = self.freelancers
        eligible = np.flatnonzero(fl.active & (fl.n_reviews == 0))
        if eligible.size == 0:
            return
        boosted = self._assign(eligible, share, fl.boosted, fl.boost_control)
        fl.stars_sum[boosted] += 5 * n_reviews
        fl.n_reviews[boosted] += n_reviews
        self.star_counts[5] += n_reviews * boosted.size
        self._cache.clear()

    def _post_and_hire(self, t: int) -> None:
        cfg, rng, fl, cl = self.config, self.rng, self.freelancers, self.clients
        active_c = np.flatnonzero(cl.active)
        n_posts = rng.poisson(cl.post_rate[active_c])
        job_client = np.repeat(active_c, n_posts)
        n_jobs = job_client.size
        self._week["jobs_posted"] = n_jobs
        self._week["jobs_filled"] = 0
        if n_jobs == 0:
            return
        _bump(np.add, cl.jobs_posted, job_client)
        niche, budget, duration = self._draw_jobs(n_jobs)
        spare = np.where(fl.active, fl.capacity.astype(np.int64) - fl.load, 0)
        filled = np.zeros(n_jobs, dtype=bool)

        # Direct rehire of a freelancer the client was satisfied with last time.
        last = cl.last_freelancer[job_client]
        rj = np.flatnonzero((last >= 0) & cl.last_satisfied[job_client])
        if rj.size:
            # A rate risen since the last contract deters a direct rehire, as price does in choice.
            k, rf = job_client[rj], last[rj]
            rise = np.maximum(0.0, fl.rate[rf] / cl.last_rate[k] - 1.0)
            p_rehire = cfg.clients.rehire_prob * np.exp(
                -cfg.clients.price_weight * cl.m_price[k] * rise
            )
            want = (rng.random(rj.size) < p_rehire) & fl.active[rf]
            rj, rf = rj[want], rf[want]
            ok = spare[rf] > 0
            _bump(np.add, fl.declined, rf[~ok])
            rj, rf = rj[ok], rf[ok]
            acc = choice.accept_within_capacity(rng, rf, spare)
            _bump(np.add, fl.declined, rf[~acc])
            rj, rf = rj[acc], rf[acc]
            _bump(np.subtract, spare, rf)
            filled[rj] = True
            self._start_contracts(t, rf, job_client[rj], niche[rj], budget[rj], duration[rj], True)

        # Open jobs: discovery through search, then the client's choice.
        open_jobs = np.flatnonzero(~filled)
        if open_jobs.size:
            hj, hf = self._search_and_choose(open_jobs, job_client, niche, spare)
            filled[hj] = True
            self._start_contracts(t, hf, job_client[hj], niche[hj], budget[hj], duration[hj], False)
        self._week["jobs_filled"] = int(filled.sum())

    def _search_and_choose(
        self,
        open_jobs: np.ndarray,
        job_client: np.ndarray,
        niche: np.ndarray,
        spare: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw applicants for the open jobs and let clients choose; returns (jobs, rows)."""
        cfg, rng, fl, cl = self.config, self.rng, self.freelancers, self.clients
        p, c = cfg.platform, cfg.clients
        available = spare > 0
        # Search and choice read the reputation of available freelancers only.
        if "rep" in self._cache:
            rep = self._cache["rep"]
        else:
            rep = np.zeros(fl.n)
            av = np.flatnonzero(available)
            rep[av] = self.reputation(av)
        vis = discovery.visibility(
            rng,
            p.ranking,
            available,
            fl.profile,
            rep,
            fl.hires == 0,
            p.profile_visibility,
            p.search_weight,
            p.newcomer_boost,
        )
        slots = cfg.jobs.applicants
        n_explore = int(round(slots * p.exploration))
        jn = niche[open_jobs]
        n_niches = cfg.market.niches
        job, cand = discovery.draw_applicants(
            rng, vis, fl.niche_focus, fl.home_niche, n_niches, jn, slots - n_explore
        )
        if n_explore:
            ej, ec = discovery.draw_uniform_applicants(
                rng, available, fl.niche_focus, fl.home_niche, n_niches, jn, n_explore
            )
            n = fl.n
            key = np.unique(np.concatenate([job * n + cand, ej * n + ec]))
            job, cand = key // n, key % n
        if job.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)

        # Multinomial logit over applicants (Gumbel-max) against an outside option.
        k = job_client[open_jobs[job]]
        fit = delivery.niche_fit(
            fl.home_niche[cand] == jn[job], fl.niche_focus[cand], cfg.freelancers.generalist_fit
        )
        proposal = fl.communication[cand] + PROPOSAL_NOISE * rng.standard_normal(cand.size)
        utility = (
            c.reputation_weight * cl.m_reputation[k] * rep[cand]
            - c.price_weight * cl.m_price[k] * (fl.rate[cand] / self.rate_ref - 1.0)
            + c.profile_weight * cl.m_profile[k] * fl.profile[cand]
            + c.communication_weight * cl.m_communication[k] * proposal
            + c.fit_weight * cl.m_fit[k] * fit
            + c.choice_noise * rng.gumbel(size=cand.size)
        )
        outside = c.outside_option + c.choice_noise * rng.gumbel(size=open_jobs.size)
        hj, hf, declined = choice.match(rng, job, cand, utility, outside, spare)
        _bump(np.add, fl.declined, declined)
        return open_jobs[hj], hf

    def _exits(self, t: int) -> None:
        fl, cl, rng = self.freelancers, self.clients, self.rng
        fe = self.config.freelancers
        idle_rows = np.flatnonzero(fl.active & (fl.load == 0))
        weeks_idle = t - fl.last_work_step[idle_rows]
        p = np.minimum(fe.exit_max, fe.exit_base + fe.exit_idle_slope * weeks_idle)
        leave = idle_rows[rng.random(idle_rows.size) < p]
        fl.active[leave] = False
        fl.exit_step[leave] = t
        for r in leave.tolist():
            self._fl_agents[r].remove()  # type: ignore[union-attr]
            self._fl_agents[r] = None

        # A client who leaves posts no more jobs but still pays for its open contracts.
        act_rows = np.flatnonzero(cl.active)
        gone = act_rows[rng.random(act_rows.size) < self.config.clients.exit_hazard]
        cl.active[gone] = False
        cl.exit_step[gone] = t
        for r in gone.tolist():
            self._cl_agents[r].remove()  # type: ignore[union-attr]
            self._cl_agents[r] = None

    def _update_reputation(self, t: int) -> None:
        fl, p = self.freelancers, self.config.platform
        jss = self.job_success_scores()
        tenure = t - fl.entry_step
        was = fl.top_rated.copy()
        with np.errstate(invalid="ignore"):
            badge = (
                fl.active
                & (jss >= p.top_rated_jss)
                & (fl.earnings_year >= p.top_rated_earnings * CENTS)
                & (tenure >= p.top_rated_tenure)
            )
        fl.top_rated[:] = badge
        fl.badge_gained[badge & ~was] = True
        # Earnings in the first year on the platform, fixed when the year is over.
        lo, hi = np.searchsorted(fl.entry_step, [t - WEEKS_PER_YEAR, t - WEEKS_PER_YEAR + 1])
        fl.earnings_early[lo:hi] = fl.earnings[lo:hi]
        if t % RATE_REVIEW_EVERY == 0:
            fe = self.config.freelancers
            act = np.flatnonzero(fl.active)
            in_demand = fl.declined[act] > 0
            idle = (fl.load[act] == 0) & (t - fl.last_work_step[act] >= fe.idle_weeks_cut)
            fl.rate[act] = pricing.adjust_rates(
                fl.rate[act], in_demand, idle, fl.badge_gained[act], fe.rate_step, fe.rate_floor
            )
            fl.declined[:] = 0
            fl.badge_gained[:] = False

    # ----------------------------------------------------------------------------------------
    # Derived state (cached within a step)

    def displayed_ratings(self) -> np.ndarray:
        """Public rating as displayed, per freelancer row (NaN without reviews)."""
        if "rating" not in self._cache:
            p, fl = self.config.platform, self.freelancers
            self._cache["rating"] = reviews.displayed_rating(
                fl.stars_sum,
                fl.n_reviews,
                p.rating_display,
                p.bayes_prior_mean,
                p.bayes_prior_weight,
            )
        return self._cache["rating"]

    def raw_ratings(self) -> np.ndarray:
        """Mean stars per freelancer row (NaN without reviews)."""
        fl = self.freelancers
        return reviews.displayed_rating(fl.stars_sum, fl.n_reviews, "mean", 0.0, 0.0)

    def job_success_scores(self) -> np.ndarray:
        """Job success score per freelancer row (NaN while hidden)."""
        if "jss" not in self._cache:
            fl = self.freelancers
            self._cache["jss"] = reviews.job_success_score(
                fl.jss_n, fl.jss_succ, fl.jss_fail, self.config.platform.jss_min_contracts
            )
        return self._cache["jss"]

    def reputation(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Reputation index per freelancer row (what clients and search see).

        With ``rows``, the index of those rows only, computed from their columns alone (the
        same values, without the work for everyone who ever left).
        """
        fl, p = self.freelancers, self.config.platform
        if rows is not None:
            return discovery.reputation_index(
                p.rating_weight
                * reviews.rating_signal(
                    reviews.displayed_rating(
                        fl.stars_sum[rows],
                        fl.n_reviews[rows],
                        p.rating_display,
                        p.bayes_prior_mean,
                        p.bayes_prior_weight,
                    )
                ),
                fl.n_reviews[rows],
                p.jss_weight
                * reviews.jss_signal(
                    reviews.job_success_score(
                        fl.jss_n[rows], fl.jss_succ[rows], fl.jss_fail[rows], p.jss_min_contracts
                    )
                ),
                fl.top_rated[rows],
            )
        if "rep" not in self._cache:
            self._cache["rep"] = discovery.reputation_index(
                p.rating_weight * reviews.rating_signal(self.displayed_ratings()),
                fl.n_reviews,
                p.jss_weight * reviews.jss_signal(self.job_success_scores()),
                fl.top_rated,
            )
        return self._cache["rep"]

    def market_mean_rating(self) -> float:
        """Mean of all public star ratings given so far (NaN before the first)."""
        n = self.star_counts.sum()
        return float((self.star_counts * np.arange(6)).sum() / n) if n else float("nan")

    # ----------------------------------------------------------------------------------------
    # Metrics and results

    def compute_metrics(self) -> dict[str, float]:
        """The metric columns for the current week."""
        fl, p = self.freelancers, self.config.platform
        act = np.flatnonzero(fl.active)  # rows, not a mask: the table also holds everyone gone
        n_act = act.size
        ratings = reviews.displayed_rating(
            fl.stars_sum[act],
            fl.n_reviews[act],
            p.rating_display,
            p.bayes_prior_mean,
            p.bayes_prior_weight,
        )  # = self.displayed_ratings()[act]
        rated = ~np.isnan(ratings)
        total_reviews = int(self.star_counts.sum())
        w = self._week
        posted = w.get("jobs_posted", 0)
        # Rank-based measures from orders kept across weeks (ranks.py): the same numbers as
        # metrics.gini / top_share / spearman on the active rows, without sorting every week.
        n_rows = fl.n
        earn_rank, earn_sorted = self._sorted["earnings"].ranks(
            act, fl.earnings[act] / CENTS, n_rows
        )
        top1, top10 = metrics.top_shares_sorted(earn_sorted, (0.01, 0.10))
        early_cents = fl.earnings_early[act]
        with_early = act[early_cents >= 0]
        top_rated = fl.top_rated[act]
        return {
            "freelancers_active": n_act,
            "gini_earnings": metrics.gini_sorted(earn_sorted),
            "top1_share": top1,
            "top10_share": top10,
            "share_never_hired": (
                np.count_nonzero(fl.jobs_completed[act] == 0) / n_act if n_act else np.nan
            ),
            "mean_rating": _mean(ratings[rated]) if rated.any() else np.nan,
            "share_five_star": self.star_counts[5] / total_reviews if total_reviews else np.nan,
            "merit_spearman": self._rank_corr(
                "expertise0", act, fl.expertise0[act], earn_rank, earn_sorted
            ),
            "fill_rate": w.get("jobs_filled", 0) / posted if posted else np.nan,
            "n_top_rated": np.count_nonzero(top_rated),
            "clients_active": int(self.clients.active.sum()),
            "jobs_posted": posted,
            "contracts_open": self.contracts.n,
            "mean_quality": w["quality_sum"] / w["completed"] if w.get("completed") else np.nan,
            "mean_stars_week": w["stars_sum"] / w["stars_n"] if w.get("stars_n") else np.nan,
            "mean_rate": _mean(fl.rate[act]) if n_act else np.nan,
            "share_top_rated": np.count_nonzero(top_rated) / n_act if n_act else np.nan,
            "early_late_spearman": (
                self._early_late_spearman(with_early) if with_early.size >= 10 else np.nan
            ),
            "platform_revenue": self.platform_revenue / CENTS,
        }

    def _rank_corr(
        self,
        name: str,
        rows: np.ndarray,
        values: np.ndarray,
        other_rank: np.ndarray,
        other_sorted: np.ndarray,
    ) -> float:
        """``metrics.spearman(values, other)`` for the given rows, knowing the other's ranks."""
        rank, srt = self._sorted[name].ranks(rows, values, self.freelancers.n)
        if srt.size < 3 or srt[0] == srt[-1] or other_sorted[0] == other_sorted[-1]:
            return float("nan")  # as spearman: too few, or a constant side
        return metrics.rank_correlation(rank, other_rank)

    def _early_late_spearman(self, rows: np.ndarray) -> float:
        """Rank correlation of first-year and later earnings (rows with a first year)."""
        fl = self.freelancers
        early = fl.earnings_early[rows]
        late = (fl.earnings[rows] - early).astype(np.float64)
        late_rank, late_sorted = self._sorted["late"].ranks(rows, late, fl.n)
        return self._rank_corr("early", rows, early.astype(np.float64), late_rank, late_sorted)

    def steps_frame(self) -> pd.DataFrame:
        """One row per recorded week: ``step`` and the metric columns."""
        if self.steps and (not self._recorded_steps or self._recorded_steps[-1] != self.steps):
            self.collect()  # always include the final week
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        if df.empty:
            return pd.DataFrame(columns=["step", *METRIC_COLUMNS])
        df["step"] = df["step"].astype(np.int32)
        return df

    def freelancers_frame(self) -> pd.DataFrame:
        """One row per freelancer ever present (the contract's columns, then extras)."""
        fl = self.freelancers
        exit_step = pd.array(np.where(fl.exit_step >= 0, fl.exit_step, 0), dtype="Int32")
        exit_step[fl.exit_step < 0] = pd.NA
        early = pd.array(fl.earnings_early / CENTS, dtype="Float64")
        early[fl.earnings_early < 0] = pd.NA
        return pd.DataFrame(
            {
                "freelancer_id": fl.agent_id.copy(),
                "expertise": fl.expertise0.copy(),
                "communication": fl.communication.copy(),
                "reliability": fl.reliability.copy(),
                "profile": fl.profile.copy(),
                "niche_focus": fl.niche_focus.copy(),
                "home_niche": fl.home_niche.copy(),
                "entry_step": fl.entry_step.copy(),
                "exit_step": exit_step,
                "jobs_completed": fl.jobs_completed.copy(),
                "earnings": fl.earnings / CENTS,
                "rating": self.displayed_ratings().copy(),
                "n_reviews": fl.n_reviews.copy(),
                "jss": self.job_success_scores().copy(),
                "top_rated": fl.top_rated.copy(),
                "treated": fl.treated.copy(),
                "control": fl.control.copy(),
                "expertise_now": fl.expertise.copy(),
                "capacity": fl.capacity.copy(),
                "rate": fl.rate.copy(),
                "hires": fl.hires.copy(),
                "boosted": fl.boosted.copy(),
                "boost_control": fl.boost_control.copy(),
                "earnings_first_year": early,
                "earnings_last_year": fl.earnings_year / CENTS,
            }
        )

    def contracts_frame(self) -> pd.DataFrame:
        """One row per completed contract (empty when ``run.record_contracts`` is false)."""
        cols = [
            "contract_id",
            "freelancer_id",
            "client_id",
            "niche",
            "start_step",
            "end_step",
            "value",
            "fee",
            "quality",
            "on_time",
            "satisfaction",
            "stars",
            "private_outcome",
            "rehire",
        ]
        if not self._contract_log:
            return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
        data = {c: np.concatenate([part[c] for part in self._contract_log]) for c in cols}
        df = pd.DataFrame(data)
        stars = pd.array(df["stars"].to_numpy(), dtype="Int8")
        stars[df["stars"].to_numpy() == 0] = pd.NA
        df["stars"] = stars
        return df

    def check_invariants(self) -> None:
        """Assert the model's accounting identities; raises AssertionError naming the one broken.

        Money is conserved exactly (clients' spend = freelancers' earnings + fees), stars are in
        1..5, no freelancer is over capacity, open-contract counts agree with the contract pool,
        and the Mesa agents agree with the arrays.
        """
        fl, cl, pool = self.freelancers, self.clients, self.contracts
        spend, earned = int(cl.spend.sum()), int(fl.earnings.sum())
        assert spend == earned + self.platform_revenue, (
            f"money not conserved: spend {spend} != earnings {earned} + fees "
            f"{self.platform_revenue}"
        )
        assert self.star_counts[0] == 0, "a rating outside 1..5"
        assert int(self.star_counts.sum()) == int(fl.n_reviews.sum()), "review counts disagree"
        assert np.all(fl.stars_sum >= fl.n_reviews) and np.all(
            fl.stars_sum <= 5 * fl.n_reviews.astype(np.int64)
        ), "mean rating outside 1..5"
        assert np.all(fl.load >= 0) and np.all(fl.load <= fl.capacity), "over capacity"
        load = np.bincount(pool.freelancer, minlength=fl.n)
        assert np.array_equal(load, fl.load), "freelancer load != open contracts"
        open_c = np.bincount(pool.client, minlength=cl.n)
        assert np.array_equal(open_c, cl.open_contracts), "client open contracts disagree"
        assert np.all(fl.load[~fl.active] == 0), "an exited freelancer has open contracts"
        assert np.all(fl.jss_succ + fl.jss_fail <= fl.jss_n), "JSS window counts"
        n_fl = len(self.agents_by_type.get(Freelancer, []))
        n_cl = len(self.agents_by_type.get(Client, []))
        assert n_fl == int(fl.active.sum()), f"{n_fl} freelancer agents, {fl.active.sum()} rows"
        assert n_cl == int(cl.active.sum()), f"{n_cl} client agents, {cl.active.sum()} rows"


def _make_agents(
    cls: type[Freelancer] | type[Client],
    model: MarketplaceModel,
    rows: np.ndarray,
    out: list[Any],
) -> np.ndarray:
    """Create one Mesa agent per row, append them to ``out``; returns their unique ids.

    Python's cyclic garbage collector is paused meanwhile: a million new agents would
    otherwise trigger thousands of collections, each traversing every live agent so far,
    about a third of the set-up time; none of these objects is garbage.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        agents = [cls(model, r) for r in rows.tolist()]
    finally:
        if was_enabled:
            gc.enable()
    out.extend(agents)
    return np.fromiter((a.unique_id for a in agents), dtype=np.int64, count=len(agents))


def _mean(x: np.ndarray) -> float:
    """``float(x.mean())`` (the same pairwise sum and division) without ``mean``'s overhead."""
    return float(x.sum() / x.size)


def _bump(ufunc: np.ufunc, column: np.ndarray, rows: np.ndarray, by: int = 1) -> None:
    """``ufunc.at(column, rows, by)`` with ``by`` of the column's dtype.

    numpy takes its fast path only when the dtypes match: a Python int on an int32 column is
    about 40x slower.
    """
    ufunc.at(column, rows, column.dtype.type(by))


def _reporter(name: str) -> Any:
    def report(model: MarketplaceModel) -> float:
        return model.metrics[name]

    report.__name__ = f"report_{name}"
    return report
