"""Schema sections of the run, the market and its people.

The sections ``run``, ``market``, ``jobs``, ``freelancers`` and ``clients``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from marketplace_sim.config.types import NonNeg, Pos, Prob, _Section
from marketplace_sim.limits import BOUNDS


class BetaDist(_Section):
    """A Beta(a, b) distribution on [0, 1] for one freelancer trait."""

    a: Pos = Field(2.0, description="Beta shape a (mean = a / (a + b))")
    b: Pos = Field(2.0, description="Beta shape b")

    @property
    def mean(self) -> float:
        """The distribution's mean, a / (a + b)."""
        return self.a / (self.a + self.b)


class RunSection(_Section):
    """How long to run and which random streams to use."""

    steps: int = Field(
        520, ge=1, le=BOUNDS["run.steps"], description="weeks to simulate (one step = one week)"
    )
    seed: int = Field(1, ge=0, description="seed of market randomness (who applies, hires, ...)")
    population_seed: int | None = Field(
        None, ge=0, description="seed of agents' traits and entry times; defaults to run.seed"
    )
    record_every: int = Field(
        1, ge=1, le=BOUNDS["run.record_every"], description="weeks between rows of steps.parquet"
    )
    record_contracts: bool = Field(True, description="keep the contract log (contracts.parquet)")
    agent_every: int = Field(
        0,
        ge=0,
        description="weeks between freelancer snapshots in Mesa's DataCollector (agent vars; "
        "also the last week); 0: none",
    )


class MarketSection(_Section):
    """Size and shape of the market."""

    freelancers: int = Field(
        2000, ge=1, le=BOUNDS["market.freelancers"], description="freelancers at the start (agents)"
    )
    clients: int = Field(
        500, ge=1, le=BOUNDS["market.clients"], description="clients at the start (agents)"
    )
    niches: int = Field(12, ge=1, le=1000, description="job categories")
    niche_skew: NonNeg = Field(
        1.0, description="Zipf exponent of niche popularity (0: all niches equally popular)"
    )
    entry_rate: NonNeg = Field(
        10.0, le=BOUNDS["market.entry_rate"], description="new freelancers per week (Poisson mean)"
    )
    client_entry_rate: NonNeg = Field(
        2.5,
        le=BOUNDS["market.client_entry_rate"],
        description="new clients per week (Poisson mean)",
    )
    prior_jobs_mean: NonNeg = Field(
        0.0,
        le=BOUNDS["market.prior_jobs_mean"],
        description="mean jobs done before week 1 by the initial freelancers (floor of an "
        "exponential), rated as on the platform, without earnings (0: a new platform)",
    )


class JobsSection(_Section):
    """The jobs clients post."""

    post_rate: NonNeg = Field(
        0.5,
        le=BOUNDS["jobs.post_rate"],
        description="jobs a client posts per week (mean over clients)",
    )
    post_rate_shape: Pos = Field(
        2.0, description="gamma shape of clients' posting rates (lower: more unequal clients)"
    )
    budget_median: Annotated[float, Field(gt=0.0, le=1e7)] = Field(
        500.0, description="median job budget (USD, log-normal)"
    )
    budget_sigma: Annotated[float, Field(ge=0.0, le=5.0)] = Field(
        1.0, description="log-sd of job budgets"
    )
    duration_mean: Annotated[float, Field(ge=1.0)] = Field(
        3.0, le=BOUNDS["jobs.duration_mean"], description="mean contract length (weeks, geometric)"
    )
    applicants: int = Field(10, ge=1, le=200, description="applicants a job draws at most")


class FreelancersSection(_Section):
    """Traits of freelancers (drawn at entry from the population stream) and their behaviour."""

    expertise: BetaDist = Field(BetaDist(a=2.0, b=2.0), description="true skill, Beta(a, b)")
    communication: BetaDist = Field(BetaDist(a=2.0, b=2.0), description="communication, Beta")
    reliability: BetaDist = Field(
        BetaDist(a=6.0, b=1.5), description="probability of delivering on time, Beta"
    )
    profile: BetaDist = Field(BetaDist(a=2.0, b=2.0), description="profile strength, Beta")
    niche_focus: BetaDist = Field(
        BetaDist(a=1.5, b=1.5), description="specialisation (1: home niche only), Beta"
    )
    capacity_max: int = Field(
        3, ge=1, le=50, description="concurrent contracts at most (capacity ~ U{1..max})"
    )
    rate_median: Annotated[float, Field(gt=0.0, le=1e4)] = Field(
        25.0, description="median starting hourly rate (USD/hour)"
    )
    rate_sigma: Annotated[float, Field(ge=0.0, le=3.0)] = Field(
        0.3, description="log-sd of starting rates"
    )
    rate_step: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.05, description="fractional rate change per review of the rate"
    )
    rate_floor: Pos = Field(5.0, description="lowest hourly rate (USD/hour)")
    idle_weeks_cut: int = Field(
        8, ge=1, description="weeks without a contract after which a freelancer cuts its rate"
    )
    learning_gain: Prob = Field(
        0.3, description="share of the gap to expertise 1 closed by experience in the limit"
    )
    learning_scale: Pos = Field(
        25.0, description="jobs over which learning by doing saturates (e-folding, jobs)"
    )
    generalist_fit: Prob = Field(
        0.6, description="fit of a pure generalist in any niche (a specialist's home fit is 1)"
    )
    exit_base: Prob = Field(
        0.002,
        description="weekly probability an idle freelancer stops seeking work (leaves, or goes "
        "dormant with dormancy; busy ones stay)",
    )
    exit_idle_slope: Prob = Field(
        0.0003, description="added weekly exit probability per week without work"
    )
    exit_max: Prob = Field(0.1, description="cap on the weekly exit probability")
    dormancy: bool = Field(
        False,
        description="a freelancer who stops seeking work goes dormant (stays listed and in "
        "search, rarely applies) instead of leaving; false: it leaves, its profile deleted",
    )
    delete_rate: Prob = Field(
        0.002, description="weekly probability a dormant profile is deleted (with dormancy)"
    )
    dormant_response: Prob = Field(
        0.05,
        description="how often a dormant profile applies, relative to an active one in its "
        "place in search (hired: active again; with dormancy)",
    )
    occasional_share: Prob = Field(
        0.0, description="share of occasional freelancers (activity occasional_activity)"
    )
    part_time_share: Prob = Field(
        0.0,
        description="share of part-time freelancers (activity part_time_activity); the "
        "rest are full-time (activity 1)",
    )
    occasional_activity: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.1,
        description="activity of an occasional freelancer: scales how often it applies "
        "and its capacity (ceil)",
    )
    part_time_activity: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.5, description="activity of a part-time freelancer (as occasional_activity)"
    )
    one_job_share: Prob = Field(
        0.0, description="share of freelancers who take one job and then stop seeking work"
    )
    specialist_premium: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        0.0,
        description="rate premium in the home niche, times niche_focus (0.3: a pure "
        "specialist charges 30 % more there)",
    )
    evidence_noise: NonNeg = Field(
        0.3,
        description="sd of the profile evidence of expertise clients see, divided by "
        "sqrt(1 + jobs completed) (with clients.expertise_signal_weight)",
    )

    @model_validator(mode="after")
    def _activity_shares(self) -> FreelancersSection:
        if self.occasional_share + self.part_time_share > 1.0:
            raise ValueError("occasional_share + part_time_share must not exceed 1")
        return self


class ClientsSection(_Section):
    """How clients choose (multinomial logit over applicants and an outside option)."""

    reputation_weight: NonNeg = Field(
        1.0, description="weight of rating, log(1 + reviews), JSS and badge in choice"
    )
    price_weight: NonNeg = Field(
        1.0, description="weight of the bid relative to the budget (rate / reference rate - 1)"
    )
    profile_weight: NonNeg = Field(1.0, description="weight of profile strength in choice")
    communication_weight: NonNeg = Field(
        1.0, description="weight of the proposal's clarity (communication + noise)"
    )
    fit_weight: NonNeg = Field(1.0, description="weight of niche fit in choice")
    weight_sd: NonNeg = Field(
        0.3, description="log-sd of client-to-client variation of the weights above"
    )
    outside_option: float = Field(
        -1.0, description="utility of hiring no one (higher: more jobs go unfilled)"
    )
    choice_noise: Pos = Field(1.0, description="scale of the Gumbel noise in choice")
    rehire_prob: Prob = Field(
        0.5, description="chance a client satisfied last time rehires that freelancer directly"
    )
    exit_hazard: Prob = Field(0.005, description="weekly probability a client leaves")
    specialist_weight: NonNeg = Field(
        0.0,
        description="weight in choice of a specialist's niche_focus in its home niche "
        "(clients valuing specialisation beyond fit)",
    )
    expertise_signal_weight: NonNeg = Field(
        0.0,
        description="weight in choice of the profile evidence of expertise (expertise + "
        "noise shrinking with jobs done; 0: expertise unseen)",
    )
    # docking (Lukac & Grow 2020): read only by the [docking] model, an error elsewhere
    strategy_coefficient: Annotated[float, Field(ge=0.0, le=1.0)] | None = Field(
        None,
        description="docking worlds only (0-1): their coef-strategy, steepness of the reputation "
        "weight logistic(tau x (complexity - 50)) (absent: 0.3, their default)",
    )
