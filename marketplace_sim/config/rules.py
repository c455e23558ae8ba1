"""Schema sections of the platform's rules and the mechanics.

The sections ``platform``, ``delivery``, ``reviews``, ``interventions``, and ``docking`` (a peer
model run instead of ours).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from marketplace_sim.config.types import NonNeg, Prob, _Section


class PlatformSection(_Section):
    """The platform's rules: search ranking, fee, JSS, badge, rating display."""

    ranking: Literal["reputation", "random", "newcomer_boost"] = Field(
        "reputation",
        description='search ranking: "reputation" (JSS, rating, reviews, badge), "random" '
        '(no reputation in search), "newcomer_boost" (reputation, plus a boost for the unhired)',
    )
    search_weight: NonNeg = Field(
        1.0, description="position bias: attention ~ (1 + position in search results) ** -this"
    )
    profile_visibility: Annotated[float, Field(ge=0.0, le=50.0)] = Field(
        1.0, description="strength of profile in search visibility"
    )
    newcomer_boost: NonNeg = Field(
        2.0, description='score bonus of never-hired freelancers under "newcomer_boost"'
    )
    rating_weight: NonNeg = Field(
        1.0, description="weight of the rating signal (r - 3) / 2 in the reputation index"
    )
    jss_weight: NonNeg = Field(
        2.0, description="weight of the JSS signal 2 * JSS - 1 in the reputation index"
    )
    exploration: Prob = Field(
        0.0, description="share of applicant slots filled ignoring reputation (exploration quota)"
    )
    niche_relevance: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        0.0,
        description="search relevance of specialists at home: reach in the home niche x "
        "exp(this * niche_focus) (0: a generalist is as visible there)",
    )
    fee: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.10, description="share of contract value the platform keeps"
    )
    rating_display: Literal["mean", "bayesian"] = Field(
        "mean", description='public rating shown: raw "mean" or "bayesian" average'
    )
    bayes_prior_mean: Annotated[float, Field(ge=1.0, le=5.0)] = Field(
        4.0, description="prior mean of the Bayesian average (stars)"
    )
    bayes_prior_weight: NonNeg = Field(
        5.0, description="prior weight of the Bayesian average (pseudo-reviews)"
    )
    rating_precision: int | None = Field(
        None,
        ge=0,
        le=6,
        description="decimals of the displayed rating, rounded half up (1: 4.95 shows 5.0); "
        "unset: the exact mean",
    )
    jss_window: int = Field(104, ge=1, description="rolling window of the JSS (weeks)")
    jss_min_contracts: int = Field(
        3, ge=1, description="contracts in the window before the JSS is shown"
    )
    top_rated_jss: Prob = Field(0.9, description="JSS needed for Top Rated")
    top_rated_earnings: NonNeg = Field(
        1000.0, description="earnings in the last 52 weeks needed for Top Rated (USD)"
    )
    top_rated_tenure: int = Field(13, ge=0, description="weeks on the platform needed (tenure)")
    # docking (Lukac & Grow 2020): read only by the [docking] model, an error elsewhere
    auction: Literal["open", "sealed"] | None = Field(
        None,
        description='docking worlds only: "open" (bidders see earlier bids and reputations) '
        'or "sealed" (absent: "open", their default)',
    )


class DeliverySection(_Section):
    """Quality, timeliness and satisfaction at delivery."""

    quality_noise: NonNeg = Field(0.1, description="sd of the noise on delivered quality")
    weight_quality: NonNeg = Field(0.5, description="weight of quality in satisfaction")
    weight_communication: NonNeg = Field(0.2, description="weight of communication in satisfaction")
    weight_on_time: NonNeg = Field(0.3, description="weight of on-time delivery in satisfaction")
    satisfaction_noise: NonNeg = Field(0.1, description="sd of the noise on satisfaction")


class ReviewsSection(_Section):
    """Public stars (lenient, may inflate) and private outcomes (candid, feed the JSS)."""

    prob: Prob = Field(0.8, description="chance a client leaves a public star rating")
    leniency: float = Field(
        0.35, description="shift added to satisfaction before mapping it to stars"
    )
    inflation: NonNeg = Field(
        0.0,
        description="social pressure: extra leniency per star of the rating norm above 3 "
        "(reputation inflation)",
    )
    norm_weeks: Annotated[float, Field(ge=1.0)] = Field(
        156.0, description="time constant of the rating norm raters expect (weeks)"
    )
    noise: NonNeg = Field(0.1, description="sd of the rater's noise on stars (latent scale)")
    success_threshold: Prob = Field(
        0.5, description="satisfaction at or above which the private outcome is a success"
    )
    failure_threshold: Prob = Field(
        0.3, description="satisfaction below which the private outcome is a failure"
    )

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> ReviewsSection:
        if self.failure_threshold > self.success_threshold:
            raise ValueError("failure_threshold must not exceed success_threshold")
        return self


class FirstJobSection(_Section):
    """Pallais (2014): give a random share of never-hired freelancers one ordinary contract."""

    share: Prob = Field(0.5, description="share of never-hired active freelancers treated")
    at_step: int = Field(26, ge=1, description="week of the intervention (weeks start at 1)")
    evaluation: Literal["review", "detailed", "coarse"] = Field(
        "review",
        description='the given job\'s public evaluation: "review" (an ordinary review), '
        '"detailed" (the review plus the worker\'s expertise revealed on the profile, '
        'Pallais\'s detailed arm) or "coarse" (no stars: the job only shows as done)',
    )


class EarlyBoostSection(_Section):
    """Early boost (van de Rijt et al. 2014): a random early success signal, no work behind it."""

    share: Prob = Field(0.5, description="share of never-reviewed active freelancers boosted")
    at_step: int = Field(8, ge=1, description="week of the boost (weeks start at 1)")
    reviews: int = Field(1, ge=1, le=100, description="five-star public reviews given to each")
    eligible: Literal["unreviewed", "unhired"] = Field(
        "unreviewed",
        description='who may be boosted: "unreviewed" (no public review yet) or "unhired" '
        "(never hired, so every later hire is one after the boost)",
    )


class InterventionsSection(_Section):
    """Optional counterfactual interventions (absent: none)."""

    first_job: FirstJobSection | None = Field(None, description="the first-job intervention")
    early_boost: EarlyBoostSection | None = Field(None, description="the early-boost intervention")


# --------------------------------------------------------------------------------------------
# Docking: a peer model run instead of ours (model/docking/), for side-by-side replication


#: Our model's mechanisms that ``docking.ours`` can switch on in a docking world (the ladder of
#: docs/docking.md): reputation from reviews, ranked search, direct rehires, entry and exit,
#: the Top Rated badge.
OUR_MECHANISMS = ("reviews", "search", "rehires", "entry_exit", "top_rated")


class DockingSection(_Section):
    """A peer model ported to this package, run instead of ours (Axtell et al. 1996 docking).

    With ``[docking]`` set, ``run.steps`` is the peer's time limit (their BehaviorSpace's
    250 ticks), ``run.seed`` / ``run.population_seed`` seed its two random streams, and
    ``clients.strategy_coefficient`` and ``platform.auction`` are its two experimental keys;
    every other section is ignored.
    """

    model: Literal["lukac-grow-2020"] = Field(
        "lukac-grow-2020", description="the peer model: Lukac & Grow (2020), from their NetLogo"
    )
    num_employees: int = Field(120, ge=10, le=100_000, description="freelancers (their employees)")
    num_employers: int = Field(30, ge=1, le=100_000, description="employers")
    num_jobs: int = Field(
        200,
        ge=0,
        description="jobs are posted until this many distinct employer-freelancer pairs have "
        "worked together (their stopping rule, count links < num-jobs)",
    )
    coef_talent: NonNeg = Field(0.5, description="weight of standardised talent in reputation")
    coef_nr_jobs: NonNeg = Field(
        0.5, description="weight of standardised log jobs received in reputation"
    )
    coef_feedback: NonNeg = Field(
        0.75, description="their coef-feedback (recorded; their code never reads it)"
    )
    min_applicants: int = Field(
        2, ge=1, le=1000, description="fewest applicants a job draws (their code: random 9 + 2)"
    )
    max_applicants: int = Field(10, ge=1, le=1000, description="most applicants a job draws")
    ours: str = Field(
        "none",
        description="our model's mechanisms switched on in their world, joined by '+' "
        "(" + ", ".join(OUR_MECHANISMS) + ', or "all"); "none": their model (docs/docking.md)',
    )

    @property
    def mechanisms(self) -> frozenset[str]:
        """The mechanisms of ``ours``, as a set (empty for ``"none"``)."""
        if self.ours == "none":
            return frozenset()
        if self.ours == "all":
            return frozenset(OUR_MECHANISMS)
        return frozenset(self.ours.split("+"))

    @field_validator("ours")
    @classmethod
    def _known_mechanisms(cls, value: str) -> str:
        if value in ("none", "all"):
            return value
        parts = value.split("+")
        if any(m not in OUR_MECHANISMS for m in parts) or len(set(parts)) != len(parts):
            raise ValueError(
                f"{value!r} is not 'none', 'all' or distinct names of "
                f"{', '.join(OUR_MECHANISMS)} joined by '+'"
            )
        return value

    @model_validator(mode="after")
    def _applicants_ordered(self) -> DockingSection:
        if self.min_applicants > self.max_applicants:
            raise ValueError("docking.min_applicants must not exceed docking.max_applicants")
        if self.max_applicants > self.num_employees:
            raise ValueError("docking.max_applicants must not exceed docking.num_employees")
        return self
