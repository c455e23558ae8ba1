"""The classroom dashboard: a live marketplace in the browser (Mesa's SolaraViz).

NetLogo's classroom shape in Mesa's convention: the sidebar holds SolaraViz's controls (Reset =
setup, Step = go-once, ▶ = go, play interval = speed, render interval = draw every k weeks) and
the knobs a teacher turns; the main area shows the lesson's prompt, monitors and live views.

``page`` (module level) is what ``solara run marketplace_sim.app.dashboard:page`` serves; ``serve()``
starts Solara's server in-process for ``marketplace-sim app``. The starting config reaches the
page through the ``MARKETPLACE_SIM_APP_CONFIG`` environment variable. A lesson is a world config
``configs/lessons/NAME.toml`` with its prompt beside it in ``NAME.md``; the app offers every
lesson of that folder.

Charts are drawn in the browser by ECharts from plain dicts built by the functions below, so
the leaderboard, trajectories and charts are tested without a browser. ``serve()`` serves the
page's JavaScript, CSS and fonts from ``app/assets/``: nothing is fetched from the internet.
"""

from __future__ import annotations

import html
import os
import re
import socket
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pandas as pd
import solara
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from marketplace_sim import metrics
from marketplace_sim.config import Config, PlatformSection, load_config
from marketplace_sim.errors import ConfigError
from marketplace_sim.model.marketplace import CENTS, MarketplaceModel

CONFIG_ENV = "MARKETPLACE_SIM_APP_CONFIG"  # path of the starting config, set by serve()
from marketplace_sim import data as _data  # noqa: E402

REPO_CONFIGS = _data.configs_dir()
DEFAULT_CONFIG = REPO_CONFIGS / "classroom.toml"
PLAY_INTERVAL = 20  # ms between batches of weeks while playing
RENDER_INTERVAL = 2  # weeks per batch: the views are redrawn every this many weeks
LEADERBOARD_SIZE = 10
CHART_HEIGHT = "height: 360px;"
RANKINGS = list(get_args(PlatformSection.model_fields["ranking"].annotation))
FOLLOW_RULES = ["top earner", "most skilled", "median earner"]
# Okabe-Ito (colour-blind safe), as in plots.py
BLUE, ORANGE, GREEN, PINK, YELLOW, SKY, BLACK = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
)
EARNINGS_EDGES = (100.0, 1_000.0, 10_000.0, 100_000.0)  # USD, edges of the earnings brackets


# --------------------------------------------------------------------------------------------
# The model the dashboard drives


class ClassroomModel(MarketplaceModel):
    """MarketplaceModel as SolaraViz drives it.

    It takes the sliders' values as ``__`` overrides, treats a first-job share of 0 as no
    intervention, stops at ``run.steps``, and keeps each freelancer's earnings and rating week
    by week for the trajectory view.

    While playing, SolaraViz steps the model in one thread while the views are drawn in
    another: ``lock`` is held by ``step`` and by every view while it reads the model, so a view
    never sees (or caches into the model) a half-updated week.

    Args:
        config: the world; None uses the schema's defaults.
        rng: seed of the market stream (the seed slider).
        scenario: what SolaraViz's Reset passes (a Mesa Scenario); not used.
        **overrides: dotted keys with ``__`` for dots, e.g. ``clients__reputation_weight=2.0``.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        rng: int | None = None,
        scenario: Any = None,
        **overrides: Any,
    ) -> None:
        self.lock = threading.RLock()
        cfg = config if config is not None else load_config()
        share = overrides.get("interventions__first_job__share")
        if share is not None and share <= 0:
            overrides.pop("interventions__first_job__share")
            overrides.pop("interventions__first_job__at_step", None)
            cfg = cfg.with_overrides({"interventions.first_job": None}, "first-job slider")
        super().__init__(cfg, rng=rng, **overrides)
        self.history_earnings: list[np.ndarray] = []  # per week: cents, one entry per row
        self.history_rating: list[np.ndarray] = []  # per week: displayed rating per row
        self.history_weeks: list[int] = []
        self.collect()  # week 0, so that monitors and charts start at the beginning
        self._record_history()

    def step(self) -> None:
        """Advance one week; record the trajectories; stop after ``run.steps`` weeks."""
        with self.lock:
            super().step()
            self._record_history()
            if self.steps >= self.config.run.steps:
                self.running = False

    def _record_history(self) -> None:
        self.history_weeks.append(self.steps)
        self.history_earnings.append(self.freelancers.earnings.copy())
        self.history_rating.append(self.displayed_ratings().astype(np.float32))


# --------------------------------------------------------------------------------------------
# Lessons


@dataclass(frozen=True)
class Lesson:
    """A starting world for the dashboard and what to do with it.

    Attributes:
        name: the config file's stem, e.g. ``2-first-job``.
        title: the prompt's first ``# heading`` (or the name).
        config_path: the world config (TOML).
        prompt: the prompt in Markdown (``NAME.md`` beside the config; empty if none).
    """

    name: str
    title: str
    config_path: Path
    prompt: str

    def config(self) -> Config:
        """The lesson's world, validated."""
        return load_config(self.config_path)


def load_lesson(config_path: str | Path) -> Lesson:
    """The lesson of a world config: its prompt is the ``.md`` file of the same name.

    A config without one (e.g. ``configs/classroom.toml``) is free play: no prompt.
    """
    path = Path(config_path)
    md = path.with_suffix(".md")
    prompt = md.read_text(encoding="utf-8") if md.exists() else ""
    heading = re.search(r"^#\s+(.+?)\s*$", prompt, re.M)
    if heading:
        title = heading.group(1)
    elif prompt:
        title = path.stem.replace("-", " ").capitalize()
    else:
        title = f"Free play ({path.name})"
    return Lesson(name=path.stem, title=title, config_path=path, prompt=prompt)


def find_lessons(folder: str | Path) -> list[Lesson]:
    """Every lesson in a folder: the ``*.toml`` files that have a ``.md`` prompt, by name."""
    d = Path(folder)
    if not d.is_dir():
        return []
    return [load_lesson(p) for p in sorted(d.glob("*.toml")) if p.with_suffix(".md").exists()]


def lessons_folder(config_path: str | Path | None) -> Path:
    """Where to look for lessons.

    The config's own folder if it is a lesson, else its ``lessons/`` subfolder, else the
    repository's ``configs/lessons``.
    """
    if config_path is not None:
        p = Path(config_path).resolve()
        if p.with_suffix(".md").exists():
            return p.parent
        if (p.parent / "lessons").is_dir():
            return p.parent / "lessons"
    return _data.lessons_dir()


def start_config() -> str:
    """The starting config: ``$MARKETPLACE_SIM_APP_CONFIG``, else ``configs/classroom.toml``."""
    return os.environ.get(CONFIG_ENV) or str(DEFAULT_CONFIG)


def lesson_menu(config_path: str | Path) -> list[Lesson]:
    """The lessons the app offers: the starting config first, then its folder's lessons."""
    start = load_lesson(config_path)
    others = [
        lesson
        for lesson in find_lessons(lessons_folder(config_path))
        if lesson.config_path.resolve() != start.config_path.resolve()
    ]
    return [start, *others]


def prompt_html(markdown: str) -> str:
    """A lesson prompt as HTML.

    Supports the small Markdown the prompts use: ``#``/``##`` headings, ``-`` bullets,
    paragraphs, ``**bold**``, ``*italic*`` and ```code```. Everything else is shown as text
    (escaped), so nothing in a prompt can inject markup.
    """

    def inline(text: str) -> str:
        t = html.escape(text, quote=False)
        t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
        t = re.sub(r"\*(.+?)\*", r"<i>\1</i>", t)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", t)

    out: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        heading = re.match(r"^(#{1,3})\s+(.*)$", line)
        if not line:
            flush()
        elif heading:
            flush()
            level = len(heading.group(1)) + 2  # '#' -> h3, '##' -> h4
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif line.startswith(("- ", "* ")):
            if para:
                flush()
            items.append(line[2:])
        elif items and raw.startswith((" ", "\t")):
            items[-1] += " " + line  # continuation of a bullet
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# What SolaraViz shows in the sidebar


def model_params(cfg: Config) -> dict[str, Any]:
    """SolaraViz ``model_params`` for a world: the teacher's knobs, starting at its values.

    Keys are the model's ``__`` overrides, so Reset builds ``ClassroomModel(**params)``.
    """
    m, c, p, r = cfg.market, cfg.clients, cfg.platform, cfg.reviews
    fj = cfg.interventions.first_job
    return {
        "config": cfg,
        "run__record_contracts": False,  # the dashboard never reads the contract log
        "market__freelancers": Slider(
            "Freelancers at start", m.freelancers, 50, max(2000, m.freelancers), 50
        ),
        "market__clients": Slider("Clients at start", m.clients, 10, max(500, m.clients), 5),
        "clients__reputation_weight": Slider(
            "Weight on reputation",
            float(c.reputation_weight),
            0.0,
            max(3.0, c.reputation_weight),
            0.1,
        ),
        "clients__price_weight": Slider(
            "Weight on price", float(c.price_weight), 0.0, max(3.0, c.price_weight), 0.1
        ),
        "platform__ranking": {
            "type": "Select",
            "label": "Search ranking",
            "value": p.ranking,
            "values": RANKINGS,
        },
        "reviews__leniency": Slider(
            "Review leniency",
            float(r.leniency),
            min(-0.5, r.leniency),
            max(1.0, r.leniency),
            0.05,
        ),
        "reviews__inflation": Slider(
            "Rating inflation",
            float(r.inflation),
            0.0,
            max(1.0, r.inflation),
            0.05,
        ),
        "interventions__first_job__share": Slider(
            "First-job share (0 = off)",
            float(fj.share) if fj else 0.0,
            0.0,
            1.0,
            0.05,
        ),
        "interventions__first_job__at_step": Slider(
            "First-job week", fj.at_step if fj else 26, 0, max(104, fj.at_step if fj else 0), 1
        ),
        "rng": Slider("Random seed", cfg.run.seed, 0, max(100, cfg.run.seed), 1),
    }


def initial_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments Reset would pass with every knob at its starting value."""
    out = {}
    for key, v in params.items():
        if isinstance(v, Slider):
            out[key] = v.value
        elif isinstance(v, dict) and "type" in v:
            out[key] = v["value"]
        else:
            out[key] = v
    return out


# --------------------------------------------------------------------------------------------
# Data for the views (pure functions of the model)


def _clean(values: Any, digits: int = 4) -> list[float | None]:
    """Floats for JSON: rounded, NaN and infinities as None (JSON has no NaN)."""
    arr = np.asarray(values, dtype=np.float64)
    return [round(float(v), digits) if np.isfinite(v) else None for v in arr]


def active_earnings(model: MarketplaceModel) -> np.ndarray:
    """Cumulative earnings (USD) of the active freelancers."""
    fl = model.freelancers
    return fl.earnings[fl.active] / CENTS


def _by_earnings(model: MarketplaceModel) -> np.ndarray:
    """Rows of the active freelancers, highest cumulative earnings first (ties: lower id)."""
    fl = model.freelancers
    rows = np.flatnonzero(fl.active)
    return rows[np.lexsort((fl.agent_id[rows], -fl.earnings[rows]))]


def leaderboard(model: MarketplaceModel, n: int = LEADERBOARD_SIZE) -> pd.DataFrame:
    """The top ``n`` active freelancers by cumulative earnings, with their six factors.

    Columns: ``rank``, ``freelancer_id``, ``earnings`` (USD), ``jobs``, the reputation
    (``rating``, ``reviews``, ``jss``, ``top_rated``) and the traits ``expertise``,
    ``communication``, ``reliability``, ``profile``, ``niche_focus``; ties broken by id.
    """
    fl = model.freelancers
    top = _by_earnings(model)[:n]
    return pd.DataFrame(
        {
            "rank": np.arange(1, top.size + 1),
            "freelancer_id": fl.agent_id[top],
            "earnings": fl.earnings[top] / CENTS,
            "jobs": fl.jobs_completed[top],
            "rating": model.displayed_ratings()[top],
            "reviews": fl.n_reviews[top],
            "jss": model.job_success_scores()[top],
            "top_rated": fl.top_rated[top],
            "expertise": fl.expertise0[top],
            "communication": fl.communication[top],
            "reliability": fl.reliability[top],
            "profile": fl.profile[top],
            "niche_focus": fl.niche_focus[top],
        }
    )


def pick_freelancer(model: MarketplaceModel, rule: str) -> int | None:
    """The id of the active freelancer a follow rule names, or None if there is none.

    Rules: ``"top earner"``, ``"most skilled"`` (highest innate expertise), ``"median
    earner"``, or ``"id N"`` for freelancer N (active or not, if it exists).
    """
    fl = model.freelancers
    if rule.startswith("id "):
        fid = int(rule[3:])
        return fid if np.any(fl.agent_id == fid) else None
    if rule not in FOLLOW_RULES:
        raise ValueError(f"unknown follow rule {rule!r}")
    ranked = _by_earnings(model)
    if ranked.size == 0:
        return None
    if rule == "top earner":
        row = ranked[0]
    elif rule == "most skilled":
        row = ranked[np.argmax(fl.expertise0[ranked])]
    else:
        row = ranked[(ranked.size - 1) // 2]
    return int(fl.agent_id[row])


def trajectory(model: ClassroomModel, freelancer_id: int) -> pd.DataFrame:
    """One freelancer's week-by-week path: ``week``, ``earnings`` (USD), ``rating``.

    Weeks before the freelancer entered are left out; the rating is NaN before the first
    review. Raises KeyError for an unknown id.
    """
    hit = np.flatnonzero(model.freelancers.agent_id == freelancer_id)
    if hit.size == 0:
        raise KeyError(f"no freelancer with id {freelancer_id}")
    row = int(hit[0])
    weeks, earn, rating = [], [], []
    for w, e, r in zip(
        model.history_weeks, model.history_earnings, model.history_rating, strict=True
    ):
        if row < e.size:
            weeks.append(w)
            earn.append(e[row] / CENTS)
            rating.append(float(r[row]))
    return pd.DataFrame({"week": weeks, "earnings": earn, "rating": rating})


def earnings_brackets(earnings: np.ndarray) -> pd.DataFrame:
    """Freelancers per earnings bracket: $0, under $100, then powers of ten up to $100k+.

    Each bracket includes its lower edge: $100 counts in "$100–$1k".
    """
    e = np.asarray(earnings, dtype=np.float64)
    edges = EARNINGS_EDGES
    labels = ["$0", f"<{_usd(edges[0])}"]
    labels += [f"{_usd(lo)}–{_usd(hi)}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    labels.append(f"≥{_usd(edges[-1])}")
    bracket = np.where(e > 0, 1 + np.searchsorted(edges, e, side="right"), 0)
    counts = np.bincount(bracket, minlength=len(labels))
    return pd.DataFrame({"bracket": labels, "freelancers": counts})


def _usd(x: float) -> str:
    return f"${x / 1000:g}k" if x >= 1000 else f"${x:g}"


def star_shares(model: MarketplaceModel) -> np.ndarray:
    """Share of all public reviews so far that gave 1, 2, 3, 4 and 5 stars (zeros if none)."""
    counts = model.star_counts[1:6].astype(np.float64)
    total = counts.sum()
    return counts / total if total else counts


def monitors(model: MarketplaceModel) -> dict[str, str]:
    """NetLogo-style monitors: the current week's figures, formatted for display."""
    m = model.metrics

    def pct(key: str) -> str:
        v = m.get(key, np.nan)
        return "–" if not np.isfinite(v) else f"{100 * v:.0f} %"

    rating = m.get("mean_rating", np.nan)
    gini = m.get("gini_earnings", np.nan)
    out = {
        "week": str(model.steps),
        "freelancers_active": str(int(m.get("freelancers_active", 0))),
        "share_never_hired": pct("share_never_hired"),
        "mean_rating": "–" if not np.isfinite(rating) else f"{rating:.2f} ★",
        "n_top_rated": str(int(m.get("n_top_rated", 0))),
        "gini_earnings": "–" if not np.isfinite(gini) else f"{gini:.2f}",
        "top10_share": pct("top10_share"),
    }
    fl = model.freelancers
    if fl.treated.any() or fl.control.any():
        # First-job experiment: hires after the intervention (the given job not counted),
        # averaged over everyone in each group, including those who have left since.
        out["first_job_treated"] = _mean_text(fl.hires[fl.treated] - 1)
        out["first_job_control"] = _mean_text(fl.hires[fl.control])
    return out


def settings_summary(cfg: Config) -> str:
    """The running market's knobs in one line (the sliders show only where they are)."""
    m, c, p, r = cfg.market, cfg.clients, cfg.platform, cfg.reviews
    fj = cfg.interventions.first_job
    first = f"{fj.share:.0%} of the never-hired in week {fj.at_step}" if fj else "off"
    return (
        f"This market: {m.freelancers} freelancers and {m.clients} clients at start · clients' "
        f"weight on reputation {c.reputation_weight:g}, on price {c.price_weight:g} · search "
        f"ranking: {p.ranking} · review leniency {r.leniency:g}, inflation {r.inflation:g} · "
        f"first job: {first} · seed {cfg.run.seed} · runs {cfg.run.steps} weeks"
    )


def _mean_text(x: np.ndarray) -> str:
    return f"{x.mean():.1f}" if x.size else "–"


MONITOR_LABELS = {
    "week": "Week",
    "freelancers_active": "Freelancers active",
    "share_never_hired": "Never hired",
    "mean_rating": "Mean rating",
    "n_top_rated": "Top Rated",
    "gini_earnings": "Gini",
    "top10_share": "Top 10 % hold",
    "first_job_treated": "Later hires, given a first job",
    "first_job_control": "Later hires, not given one",
}


# --------------------------------------------------------------------------------------------
# Chart options (ECharts, plain dicts)


def _base(title: str, subtitle: str = "") -> dict[str, Any]:
    return {
        "animation": False,
        "title": {
            "text": title,
            "subtext": subtitle,
            "left": 8,
            "top": 4,
            "textStyle": {"fontSize": 14},
            "subtextStyle": {"fontSize": 11},
        },
        "grid": {"left": 64, "right": 64, "top": 72, "bottom": 48},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 6, "right": 8, "itemWidth": 18},
    }


def _axis(name: str, kind: str = "value", right: bool = False, **extra: Any) -> dict[str, Any]:
    """An axis with its name beside it (rotated on y axes), as in the run figures."""
    return {
        "type": kind,
        "name": name,
        "nameLocation": "middle",
        "nameGap": 44 if right or kind == "value" else 30,
        **extra,
    }


def _week_axis(model: MarketplaceModel) -> dict[str, Any]:
    return _axis(
        "week",
        min=0,
        max=max(model.config.run.steps, model.steps),
        nameGap=26,
        axisLabel={"showMaxLabel": False},
    )


def _series(name: str, data: list[Any], color: str, **extra: Any) -> dict[str, Any]:
    line = {"width": 2, **extra.pop("lineStyle", {})}
    return {
        "name": name,
        "type": "line",
        "data": data,
        "showSymbol": False,
        "color": color,
        "lineStyle": line,
        **extra,
    }


def _pairs(x: Any, y: Any, digits: int = 4) -> list[list[Any]]:
    """[[x, y], ...] for ECharts, y cleaned for JSON."""
    return [list(p) for p in zip(list(x), _clean(y, digits), strict=True)]


def concentration_option(model: MarketplaceModel) -> dict[str, Any]:
    """Gini and top-10 % share of earnings over the weeks recorded so far."""
    mv = model.datacollector.model_vars
    opt = _base("Concentration of earnings", "among active freelancers, week by week")
    opt["xAxis"] = _week_axis(model)
    opt["yAxis"] = _axis("Gini / share of earnings", min=0, max=1)
    opt["series"] = [
        _series("Gini", _pairs(mv["step"], mv["gini_earnings"]), BLUE),
        _series(
            "top-10 % share",
            _pairs(mv["step"], mv["top10_share"]),
            ORANGE,
            lineStyle={"type": "dashed"},
        ),
    ]
    return opt


def lorenz_points(earnings: np.ndarray, max_points: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve on at most ``max_points`` evenly spaced population shares.

    Interpolated between the exact points, so the curve keeps its ends and is cheap to send.
    """
    p, L = metrics.lorenz(earnings)
    if p.size <= max_points:
        return p, L
    grid = np.linspace(0.0, 1.0, max_points)
    return grid, np.interp(grid, p, L)


def lorenz_option(model: MarketplaceModel) -> dict[str, Any]:
    """The Lorenz curve of active freelancers' earnings with the equality line."""
    p, L = lorenz_points(active_earnings(model))
    g = model.metrics.get("gini_earnings", np.nan)
    opt = _base("Lorenz curve", f"Gini = {g:.2f}" if np.isfinite(g) else "no earnings yet")
    opt["xAxis"] = _axis("share of freelancers (lowest earners first)", min=0, max=1, nameGap=26)
    opt["yAxis"] = _axis("share of earnings", min=0, max=1)
    opt["series"] = [
        _series("equality", [[0, 0], [1, 1]], BLACK, lineStyle={"type": "dashed", "width": 1}),
        _series("earnings", _pairs(_clean(p), L), BLUE, areaStyle={"opacity": 0.12}),
    ]
    return opt


def earnings_option(model: MarketplaceModel) -> dict[str, Any]:
    """How many active freelancers have earned how much (brackets by powers of ten)."""
    df = earnings_brackets(active_earnings(model))
    opt = _base("Earnings so far", "active freelancers per bracket of cumulative earnings")
    opt["legend"] = {"show": False}
    opt["xAxis"] = _axis(
        "cumulative earnings (USD)",
        "category",
        data=df["bracket"].tolist(),
        axisLabel={"interval": 0},
        nameGap=26,
    )
    opt["yAxis"] = _axis("freelancers", minInterval=1)
    opt["series"] = [
        {
            "type": "bar",
            "data": df["freelancers"].tolist(),
            "color": BLUE,
            "label": {"show": True, "position": "top"},
        }
    ]
    return opt


def stars_option(model: MarketplaceModel) -> dict[str, Any]:
    """Distribution of all public star ratings given so far."""
    n = int(model.star_counts.sum())
    opt = _base("Star ratings", f"all {n} public reviews so far")
    opt["legend"] = {"show": False}
    opt["xAxis"] = _axis("stars", "category", data=["1★", "2★", "3★", "4★", "5★"], nameGap=26)
    opt["yAxis"] = _axis("% of reviews", min=0, max=100)
    opt["series"] = [
        {
            "type": "bar",
            "data": _clean(100 * star_shares(model), 1),
            "color": YELLOW,
            "label": {"show": True, "position": "top", "formatter": "{c} %"},
        }
    ]
    return opt


def merit_option(model: MarketplaceModel) -> dict[str, Any]:
    """Innate expertise against cumulative earnings, Top Rated freelancers marked."""
    fl = model.freelancers
    act = fl.active
    x, y, badge = fl.expertise0[act], fl.earnings[act] / CENTS / 1000, fl.top_rated[act]
    rho = model.metrics.get("merit_spearman", np.nan)
    opt = _base(
        "Does merit win?",
        f"Spearman ρ(expertise, earnings) = {rho:.2f}" if np.isfinite(rho) else "",
    )
    opt["tooltip"] = {"trigger": "item"}
    opt["xAxis"] = _axis("expertise (true quality)", min=0, max=1, nameGap=26)
    opt["yAxis"] = _axis("earnings (thousand USD)", min=0)
    opt["series"] = [
        {
            "name": "freelancer",
            "type": "scatter",
            "data": _pairs(_clean(x[~badge], 3), y[~badge], 2),
            "symbolSize": 5,
            "color": SKY,
        },
        {
            "name": "Top Rated",
            "type": "scatter",
            "data": _pairs(_clean(x[badge], 3), y[badge], 2),
            "symbolSize": 8,
            "symbol": "diamond",
            "color": ORANGE,
        },
    ]
    return opt


def reviews_option(model: MarketplaceModel) -> dict[str, Any]:
    """Newcomers and reviews over time: share never hired, share of 5-star reviews, mean rating."""
    mv = model.datacollector.model_vars
    weeks = mv["step"]
    opt = _base("Newcomers and ratings over time")
    opt["xAxis"] = _week_axis(model)
    opt["yAxis"] = [
        _axis("share", min=0, max=1),
        _axis("mean rating (stars)", right=True, min=1, max=5, splitLine={"show": False}),
    ]
    opt["series"] = [
        _series("never hired", _pairs(weeks, mv["share_never_hired"]), GREEN),
        _series(
            "5★ reviews", _pairs(weeks, mv["share_five_star"]), YELLOW, lineStyle={"type": "dashed"}
        ),
        _series(
            "mean rating (right)",
            _pairs(weeks, mv["mean_rating"]),
            PINK,
            yAxisIndex=1,
            lineStyle={"type": "dotted"},
        ),
    ]
    return opt


def trajectory_option(model: ClassroomModel, freelancer_id: int | None) -> dict[str, Any]:
    """One freelancer's earnings (left axis) and public rating (right axis) week by week."""
    if freelancer_id is None:
        opt = _base("Follow a freelancer", "nobody to follow")
        opt["series"] = []
        return opt
    df = trajectory(model, freelancer_id)
    fl = model.freelancers
    row = int(np.flatnonzero(fl.agent_id == freelancer_id)[0])
    sub = f"expertise {fl.expertise0[row]:.2f} · entered week {fl.entry_step[row]}" + (
        "" if fl.active[row] else f" · left week {fl.exit_step[row]}"
    )
    opt = _base(f"Freelancer {freelancer_id}", sub)
    opt["xAxis"] = _week_axis(model)
    opt["yAxis"] = [
        _axis("earnings (thousand USD)", min=0),
        _axis("rating (stars)", right=True, min=1, max=5, splitLine={"show": False}),
    ]
    opt["series"] = [
        _series("earnings", _pairs(df["week"], df["earnings"] / 1000, 3), BLUE),
        _series(
            "rating (right)",
            _pairs(df["week"], df["rating"], 2),
            ORANGE,
            yAxisIndex=1,
            lineStyle={"type": "dashed"},
        ),
    ]
    return opt


def leaderboard_html(df: pd.DataFrame) -> str:
    """The leaderboard as an HTML table (numbers only: nothing to escape)."""

    def num(v: float, fmt: str) -> str:
        return "–" if not np.isfinite(v) else format(v, fmt)

    head = (
        "<tr><th>#</th><th>id</th><th>earnings</th><th>jobs</th><th>rating</th>"
        "<th>JSS</th><th>badge</th><th title='expertise'>exp.</th>"
        "<th title='communication'>comm.</th><th title='reliability'>rel.</th>"
        "<th title='profile'>prof.</th><th title='niche focus'>niche</th></tr>"
    )
    body = []
    for r in df.itertuples(index=False):
        rating = "–" if not np.isfinite(r.rating) else f"{r.rating:.2f}★ ({r.reviews})"
        badge = "<span class='ms-badge'>Top Rated</span>" if r.top_rated else ""
        body.append(
            f"<tr data-freelancer='{int(r.freelancer_id)}'><td>{r.rank}</td>"
            f"<td>{int(r.freelancer_id)}</td><td>${r.earnings:,.0f}</td><td>{r.jobs}</td>"
            f"<td>{rating}</td><td>{num(100 * r.jss, '.0f')}{'' if np.isnan(r.jss) else ' %'}"
            f"</td><td>{badge}</td>"
            + "".join(
                f"<td>{getattr(r, t):.2f}</td>"
                for t in ("expertise", "communication", "reliability", "profile", "niche_focus")
            )
            + "</tr>"
        )
    if not body:
        body.append("<tr><td colspan='12'>nobody on the platform</td></tr>")
    return f"<table class='ms-leaderboard'>{head}{''.join(body)}</table>"


# --------------------------------------------------------------------------------------------
# Components

CSS = """
.ms-monitors { display: flex; flex-wrap: wrap; gap: 8px; margin: 4px 0 8px 0; }
.ms-monitor { border: 1px solid #bbb; border-radius: 6px; padding: 4px 12px; min-width: 110px; }
.ms-monitor .ms-label { font-size: 12px; color: #555; }
.ms-monitor .ms-value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.ms-leaderboard { border-collapse: collapse; font-size: 12px; width: 100%;
  font-variant-numeric: tabular-nums; }
.ms-leaderboard th, .ms-leaderboard td { padding: 2px 5px; text-align: right;
  border-bottom: 1px solid #ddd; white-space: nowrap; }
.ms-leaderboard th { color: #444; }
.ms-badge { background: #0072B2; color: white; border-radius: 8px; padding: 0 6px;
  font-size: 11px; }
.ms-settings { font-size: 12px; color: #555; margin: 0 0 8px 2px; display: block; }
.ms-views { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr));
  grid-auto-flow: dense; gap: 10px; }
.ms-card { border: 1px solid #ddd; border-radius: 6px; padding: 4px; min-width: 0; }
.ms-wide { grid-column: 1 / -1; }
.ms-title { font-size: 14px; font-weight: 600; margin: 4px 8px; }
.ms-prompt h3 { margin: 0 0 4px 0; } .ms-prompt h4 { margin: 8px 0 2px 0; }
.ms-prompt p, .ms-prompt ul { margin: 0 0 4px 0; }
"""

lesson_path = solara.reactive("")  # per browser session; "" = the starting config
follow = solara.reactive(FOLLOW_RULES[0])  # per browser session


def _chart(option: dict[str, Any], height: str = CHART_HEIGHT) -> Any:
    return solara.FigureEcharts(option=option, attributes={"style": height}, responsive=True)


def LeaderboardView(model: ClassroomModel) -> Any:
    """The top freelancers, their six factors, badges and earnings."""
    title = (
        f"<div class='ms-title'>Leaderboard: the top {LEADERBOARD_SIZE} active freelancers "
        "by earnings, with their six factors</div>"
    )
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=title + leaderboard_html(leaderboard(model)),
        attributes={"data-view": "leaderboard"},
    )


@solara.component
def TrajectoryView(model: ClassroomModel) -> None:
    """Follow one freelancer's earnings and rating (by rule or by leaderboard id)."""
    update_counter.get()  # a component of its own: redrawn with the others
    with model.lock:
        top = leaderboard(model)["freelancer_id"].tolist()
        option = trajectory_option(model, pick_freelancer(model, follow.value))
    choices = FOLLOW_RULES + [f"id {i}" for i in top]
    if follow.value not in choices:
        choices.append(follow.value)
    with solara.Column(gap="0px"):
        solara.Select(
            "Follow",
            values=choices,
            value=follow,
            dense=True,
            style="max-width: 220px; margin: 0 8px;",
        )
        _chart(option, "height: 320px;")


#: The live views, in display order: Mesa-style components (functions of the model), each with
#: whether it spans the whole row.
VIEWS: list[tuple[Any, bool]] = [
    (lambda model: _chart(concentration_option(model)), False),
    (lambda model: _chart(lorenz_option(model)), False),
    (LeaderboardView, True),
    (TrajectoryView, False),
    (lambda model: _chart(merit_option(model)), False),
    (lambda model: _chart(earnings_option(model)), False),
    (lambda model: _chart(stars_option(model)), False),
    (lambda model: _chart(reviews_option(model)), True),
]


@solara.component
def Views(model: ClassroomModel) -> None:
    """All live views in a responsive grid, redrawn whenever SolaraViz renders.

    SolaraViz's own component grid needs a Vue 2 library that fails under ipyvuetify 3, so the
    views are laid out here (a CSS grid) and SolaraViz gets no components.
    """
    update_counter.get()
    with model.lock:  # the views' data, all from the same week
        elements = [(view(model), wide) for view, wide in VIEWS]
    with solara.Div(classes=["ms-views"]):
        for element, wide in elements:
            solara.Div(classes=["ms-card", "ms-wide"] if wide else ["ms-card"], children=[element])


@solara.component
def Monitors(model: ClassroomModel) -> None:
    """The monitors row (redrawn with the views)."""
    update_counter.get()
    with model.lock:
        values = monitors(model)
    cells = "".join(
        f"<div class='ms-monitor' data-monitor='{key}'><div class='ms-label'>"
        f"{MONITOR_LABELS[key]}</div><div class='ms-value'>{html.escape(value)}</div></div>"
        for key, value in values.items()
    )
    solara.HTML(tag="div", unsafe_innerHTML=cells, classes=["ms-monitors"])
    solara.Text(settings_summary(model.config), classes=["ms-settings"])


@solara.component
def LessonPanel(menu: list[Lesson], lesson: Lesson) -> None:
    """The lesson picker and its prompt (NetLogo's info tab, where students see it)."""
    titles = [item.title for item in menu]

    def choose(title: str) -> None:
        for item in menu:
            if item.title == title:
                lesson_path.set(str(item.config_path))

    with solara.Card(style="margin: 0 0 8px 0;"):
        with solara.Row(style="align-items: center;"):
            solara.Select(
                "Lesson",
                values=titles,
                value=lesson.title,
                on_value=choose,
                dense=True,
                style="max-width: 360px;",
            )
            solara.Text(
                "Move the sliders, press RESET to start a new market with them, then "
                "STEP (one batch of weeks) or ▶ (play).",
                style="color: #555; font-size: 13px;",
            )
        if lesson.prompt:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=prompt_html(lesson.prompt),
                classes=["ms-prompt"],
                attributes={"data-view": "lesson"},
            )


@solara.component
def Dashboard(config_path: str) -> None:
    """One lesson's dashboard: prompt, monitors and SolaraViz with the views."""
    lesson = solara.use_memo(lambda: load_lesson(config_path), [config_path])
    menu = solara.use_memo(lambda: lesson_menu(start_config()), [])
    params = solara.use_memo(lambda: model_params(lesson.config()), [config_path])
    first = solara.use_memo(lambda: ClassroomModel(**initial_kwargs(params)), [config_path])
    model = solara.use_reactive(first)
    solara.Style(CSS)
    with solara.Column(gap="0px"):
        LessonPanel(menu, lesson)
        Monitors(model.value)
        Views(model.value)
        SolaraViz(
            model,
            components=[],
            model_params=params,
            play_interval=PLAY_INTERVAL,
            render_interval=RENDER_INTERVAL,
            name="Freelance marketplace: how reputation compounds",
        )


@solara.component
def Page() -> None:
    """The app: a fresh dashboard per lesson (and per browser session)."""
    solara.Title("Freelance marketplace")
    path = lesson_path.value or start_config()
    Dashboard(path).key(path)


page = Page


# --------------------------------------------------------------------------------------------
# Server


ASSETS_DIR = Path(
    str(resources.files("marketplace_sim.app") / "assets")
)  # served as /static/assets/cdn
ASSETS_URL = "/static/assets/cdn"


def vendored_assets_fit() -> bool:
    """True if ``app/assets/cdn`` holds the app bundle the installed Solara's page asks for.

    Solara's page loads ``@widgetti/solara-vuetify3-app@VERSION`` (with ipyvuetify 3) from a
    CDN; the version is read from Solara's own page template, so an upgraded Solara that needs
    another bundle is noticed rather than served a wrong one.
    """
    import solara.server.server as solara_server

    template = Path(solara_server.__file__).parent / "templates" / "solara.html.j2"
    found = re.search(r"@widgetti/solara-vuetify3-app@([\w.+-]+)/", template.read_text("utf-8"))
    return bool(
        found
        and solara_server.vue3
        and (ASSETS_DIR / "cdn" / "@widgetti" / f"solara-vuetify3-app@{found.group(1)}").is_dir()
    )


def use_vendored_assets() -> bool:
    """Point Solara at ``app/assets/`` instead of its CDN proxy; False if they do not fit.

    Must run before ``solara.server.starlette`` is imported (it mounts the proxy on import).
    """
    import solara.server.settings as server_settings
    import solara.settings

    if not vendored_assets_fit():
        return False
    solara.settings.assets.proxy = False
    solara.settings.assets.cdn = ASSETS_URL
    server_settings.assets.extra_locations = [str(ASSETS_DIR)]
    server_settings.assets.fontawesome_enabled = False  # nothing here uses Font Awesome
    return True


def serve(config: str | Path | None, host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the dashboard with Solara's server until Ctrl-C; returns the exit code.

    Nothing is fetched from the internet at run time: Solara's telemetry and version check
    are off, and the page's JavaScript, CSS and fonts are served from ``app/assets/``.

    Raises:
        ConfigError: if the port is taken (the CLI turns it into exit code 2).
    """
    if config is not None:
        os.environ[CONFIG_ENV] = str(Path(config).resolve())
    else:
        os.environ.pop(CONFIG_ENV, None)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    os.environ["SOLARA_APP"] = "marketplace_sim.app.dashboard:page"
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            msg = f"cannot listen on {host}:{port}: {exc.strerror}"
            raise ConfigError(None, "--port", msg) from None

    import solara.server.settings as server_settings
    import uvicorn
    from solara.__main__ import LOGGING_CONFIG

    server_settings.telemetry.mixpanel_enable = False
    server_settings.main.mode = "production"  # no hot reload, no check that calls home
    server_settings.theme.title = "Freelance marketplace"
    server_settings.theme.show_banner = False  # the "runs on Solara" badge covers the table
    if not use_vendored_assets():
        print(
            "warning: marketplace_sim/app/assets does not match the installed Solara: the "
            "browser will load Solara's JavaScript from the internet (see docs/dashboard.md)"
        )
    print(f"marketplace-sim dashboard on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(
            "solara.server.starlette:app",
            host=host,
            port=port,
            log_config=LOGGING_CONFIG,
            log_level="warning",
            access_log=False,
        )
    )
    server.run()
    return 0
