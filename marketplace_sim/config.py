"""The config schema: every key, its default, unit and range, in one place.

A world is described by a TOML file (``configs/*.toml``). This module loads it, follows its
``base = "other.toml"`` chain, applies ``--set KEY=VALUE`` overrides, and validates the result
against a typed pydantic schema. Every problem is raised as a :class:`ConfigError` that names the
file and the dotted key in one line, so the command line can print it and exit with code 2.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from marketplace_sim.data import resolve_world
from marketplace_sim.errors import ConfigError
from marketplace_sim.limits import BOUNDS, check_file_size

# --------------------------------------------------------------------------------------------
# Schema

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, validate_default=True, allow_inf_nan=False
    )


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


class Config(_Section):
    """A whole world: every key the model reads."""

    run: RunSection = RunSection()
    market: MarketSection = MarketSection()
    jobs: JobsSection = JobsSection()
    freelancers: FreelancersSection = FreelancersSection()
    clients: ClientsSection = ClientsSection()
    platform: PlatformSection = PlatformSection()
    delivery: DeliverySection = DeliverySection()
    reviews: ReviewsSection = ReviewsSection()
    interventions: InterventionsSection = InterventionsSection()

    @model_validator(mode="after")
    def _interventions_within_run(self) -> Config:
        for name in ("first_job", "early_boost"):
            section = getattr(self.interventions, name)
            if section is not None and section.at_step > self.run.steps:
                raise ValueError(
                    f"interventions.{name}.at_step: week {section.at_step} is after the last "
                    f"week (run.steps = {self.run.steps})"
                )
        return self

    @property
    def population_seed(self) -> int:
        """The seed of the population stream (``run.population_seed``, else ``run.seed``)."""
        ps = self.run.population_seed
        return self.run.seed if ps is None else ps

    def to_dict(self) -> dict[str, Any]:
        """Every key, resolved (population_seed filled in, None-valued sections dropped)."""
        d = self.model_dump(exclude_none=True)
        d["run"]["population_seed"] = self.population_seed
        return d

    def to_toml(self) -> str:
        """The resolved config as TOML text."""
        return tomli_w.dumps(self.to_dict())

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "--set") -> Config:
        """A new config with dotted-key overrides applied and validated."""
        data = self.model_dump(exclude_none=True)
        for key, value in overrides.items():
            set_dotted(data, key, value, source)
        return validate_config(data, source)


# --------------------------------------------------------------------------------------------
# Key catalogue (for suggestions and the README reference)


def _walk_schema(model: type[BaseModel], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for name, field in model.model_fields.items():
        dotted = f"{prefix}{name}"
        ann = field.annotation
        sub = _section_type(ann)
        if sub is not None:
            yield from _walk_schema(sub, dotted + ".")
        else:
            yield dotted, field


def _section_type(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def all_keys() -> list[str]:
    """Every dotted leaf key of the schema, in declaration order."""
    return [k for k, _ in _walk_schema(Config)]


def all_prefixes() -> set[str]:
    """Every dotted section name of the schema (e.g. ``freelancers.expertise``)."""
    out: set[str] = set()
    for key in all_keys():
        parts = key.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return out


def key_reference() -> list[dict[str, str]]:
    """One row per leaf key: key, default, description and range, for docs."""
    rows = []
    for key, field in _walk_schema(Config):
        default = _default_of(key)
        if default is None:
            default = field.default
        bounds = []
        for m in field.metadata:
            for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                v = getattr(m, attr, None)
                if v is not None:
                    bounds.append(f"{sym} {v}")
        ann = field.annotation
        if getattr(ann, "__origin__", None) is Literal:
            bounds.append(" | ".join(repr(a) for a in ann.__args__))
        rows.append(
            {
                "key": key,
                "default": "run.seed" if key == "run.population_seed" else _toml_value(default),
                "range": ", ".join(bounds),
                "description": field.description or "",
            }
        )
    return rows


def _toml_value(v: Any) -> str:
    if v is None:
        return "unset"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


def _default_of(key: str) -> Any:
    node: Any = Config().model_dump()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def suggest(key: str) -> str:
    """A ' (did you mean ...?)' suffix for an unknown dotted key, or ''."""
    candidates = all_keys() + sorted(all_prefixes())
    match = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    if not match:
        # Try the last part alone, for a right name in the wrong section.
        last = key.rsplit(".", 1)[-1]
        by_last = {k.rsplit(".", 1)[-1]: k for k in all_keys()}
        m2 = difflib.get_close_matches(last, list(by_last), n=1, cutoff=0.75)
        match = [by_last[m2[0]]] if m2 else []
    return f" (did you mean '{match[0]}'?)" if match else ""


# --------------------------------------------------------------------------------------------
# Loading


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse one TOML file; a missing file or a syntax error becomes a one-line ConfigError."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(p, None, "file not found")
    if p.is_dir():
        raise ConfigError(p, None, "is a folder, not a TOML file")
    check_file_size(p)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(p, None, f"cannot read: {exc}") from None
    if text.startswith("\ufeff"):
        raise ConfigError(
            p,
            None,
            "starts with a byte-order mark (BOM), which TOML does not allow; save it "
            "as UTF-8 without BOM",
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        if m:
            where = f"line {m.group(1)}, column {m.group(2)}"
            msg = msg[: m.start()].strip()
            raise ConfigError(p, where, f"TOML syntax error: {msg}") from None
        raise ConfigError(p, None, f"TOML syntax error: {msg}") from None


def read_with_base(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a TOML file and merge it over its ``base`` chain (paths relative to each file)."""
    p = Path(path)
    resolved = p.resolve()
    if resolved in _chain:
        cycle = " -> ".join(str(c.name) for c in (*_chain, resolved))
        raise ConfigError(_chain[-1], "base", f"circular base chain: {cycle}")
    data = read_toml(p)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(p, "base", f"must be a path string, got {type(base).__name__}")
    if not base.strip():
        raise ConfigError(p, "base", "is empty: give the path of a TOML file, or remove the line")
    base_path = resolved.parent / base  # relative to the file's real folder (symlinks followed)
    if not base_path.exists():
        raise ConfigError(p, "base", f"base file not found: {base_path}")
    parent = read_with_base(base_path, (*_chain, resolved))
    return deep_merge(parent, data)


def key_sources(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Which file of a ``base`` chain sets each dotted key (and table), the child winning."""
    p = Path(path)
    if p.resolve() in _chain or not p.exists():
        return {}
    data = read_toml(p)
    base = data.pop("base", None)
    out = (
        key_sources(p.resolve().parent / base, (*_chain, p.resolve()))
        if isinstance(base, str) and base.strip()
        else {}
    )

    def walk(table: Mapping[str, Any], prefix: str) -> None:
        for k, v in table.items():
            out[prefix + k] = p
            if isinstance(v, Mapping):
                walk(v, f"{prefix}{k}.")

    walk(data, "")
    return out


def owner_of(sources: Mapping[str, Path], key: str) -> Path | None:
    """The file that set ``key`` or its nearest enclosing table, if any file did."""
    parts = key.split(".")
    for i in range(len(parts), 0, -1):
        hit = sources.get(".".join(parts[:i]))
        if hit is not None:
            return hit
    return None


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``over`` into a copy of ``base``; tables merge key by key, other values replace."""
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def parse_value(text: str) -> Any:
    """Parse a --set value as a TOML value; a bare word that is not TOML is taken as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(items: Iterable[str], source: str = "--set") -> dict[str, Any]:
    """Turn ``["a.b=1", ...]`` into ``{"a.b": 1}``; a malformed item is a ConfigError."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(source, item, "expected KEY=VALUE, e.g. run.steps=52")
        out[key] = parse_value(value.strip())
    return out


def get_dotted(data: Mapping[str, Any], key: str) -> Any:
    """The value of a dotted key (``"clients.reputation_weight"``) in nested mappings."""
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    """Set a dotted key in nested dicts, creating tables on the way (checked by the schema)."""
    parts = key.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            raise ConfigError(source, ".".join(parts[: i + 1]), "is a value, not a table")
        node = nxt
    node[parts[-1]] = value


def validate_config(data: Mapping[str, Any], source: str | Path) -> Config:
    """Validate a merged dict against the schema; the first problem becomes a ConfigError."""
    try:
        return Config.model_validate(dict(data))
    except ValidationError as exc:
        raise to_config_error(exc, source) from None


def to_config_error(exc: ValidationError, source: str | Path) -> ConfigError:
    """The first problem of a pydantic ValidationError as a one-line ConfigError."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"] if not str(p).startswith("function-after")]
    key = ".".join(loc) or None
    etype = err["type"]
    got = err.get("input")
    if etype == "extra_forbidden":
        return ConfigError(source, key, f"unknown key{suggest(key or '')}")
    if etype == "model_type" or etype == "model_attributes_type":
        return ConfigError(source, key, f"must be a table, got {_show(got)}")
    if etype == "literal_error":
        return ConfigError(source, key, f"{err['msg'].lower()}, got {_show(got)}")
    if etype.endswith("_type") or etype.endswith("_parsing"):
        return ConfigError(source, key, f"wrong type: {err['msg'].lower()}, got {_show(got)}")
    msg = err["msg"]
    msg = msg.removeprefix("Value error, ")
    if etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return ConfigError(source, key, f"out of range: {msg.lower()}, got {_show(got)}")
    return ConfigError(source, key, msg)


def _show(v: Any) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, dict):
        return "a table"
    return f"{v!r} ({type(v).__name__})"


def load_config(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Config:
    """Load and validate a world config.

    Args:
        path: a TOML file (may start with ``base = "..."``), or the name of a shipped world
            (``"baseline"``, ``"smoke"``: see :func:`marketplace_sim.data.world_names`);
            None gives the defaults.
        overrides: dotted-key overrides, as a mapping or as ``"KEY=VALUE"`` strings.

    Returns:
        The validated, frozen :class:`Config`.

    Raises:
        ConfigError: one line naming the file and dotted key of the first problem.
    """
    if path is not None:
        path = resolve_world(path)
    source: str | Path = path if path is not None else "<defaults>"
    data: dict[str, Any] = read_with_base(path) if path is not None else {}
    for section in ("experiment", "sweep", "set", "sample"):
        if section in data:
            raise ConfigError(
                source, section, "is an experiment section: use 'marketplace-sim sweep'"
            )
    try:
        cfg = validate_config(data, source)
    except ConfigError as exc:
        # Name the file of the chain that set the bad key, not the child that inherited it.
        if path is None or not exc.key:
            raise
        owner = owner_of(key_sources(path), exc.key)
        if owner is not None and owner.resolve() != Path(path).resolve():
            raise ConfigError(owner, exc.key, exc.message) from None
        raise
    if overrides:
        ov = dict(overrides) if isinstance(overrides, Mapping) else parse_overrides(list(overrides))
        cfg = cfg.with_overrides(ov, "--set")
    return cfg


def dump_config(cfg: Config, path: str | Path) -> None:
    """Write the resolved config (every key) as TOML."""
    Path(path).write_text(cfg.to_toml(), encoding="utf-8")


def reference_markdown() -> str:
    """The config reference as a Markdown table (the README's copy is checked against it)."""
    lines = ["| key | default | range | meaning (unit) |", "|---|---|---|---|"]
    for row in key_reference():
        rng = row["range"].replace("|", "\\|")
        lines.append(f"| `{row['key']}` | `{row['default']}` | {rng} | {row['description']} |")
    return "\n".join(lines) + "\n"
