"""What the dashboard shows, as pure functions of a model: leaderboard, monitors, paths.

Nothing here draws: the page (:mod:`marketplace_sim.app.page`) turns these tables and strings
into widgets, and :mod:`marketplace_sim.app.charts` turns them into ECharts options, so all of
it is tested without a browser.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from marketplace_sim.app.model import ClassroomModel
from marketplace_sim.config import Config
from marketplace_sim.model.marketplace import MarketplaceModel
from marketplace_sim.units import CENTS

__all__ = [
    "EARNINGS_EDGES",
    "FOLLOW_RULES",
    "LEADERBOARD_SIZE",
    "MONITOR_LABELS",
    "active_earnings",
    "earnings_brackets",
    "leaderboard",
    "leaderboard_html",
    "monitors",
    "pick_freelancer",
    "settings_summary",
    "star_shares",
    "trajectory",
]

LEADERBOARD_SIZE = 10
FOLLOW_RULES = ["top earner", "most skilled", "median earner"]
EARNINGS_EDGES = (100.0, 1_000.0, 10_000.0, 100_000.0)  # USD, edges of the earnings brackets


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
