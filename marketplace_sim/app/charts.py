"""The dashboard's charts as ECharts options: plain dicts, drawn by the browser.

The server sends these small JSON specs and the browser draws them (a Matplotlib redraw would
cost the server far more per frame). Colours are the figures' palette,
:data:`marketplace_sim.plots.style.COLORS`. Values are cleaned for strict JSON (no NaN).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from marketplace_sim import metrics
from marketplace_sim.app.model import ClassroomModel
from marketplace_sim.app.views import (
    active_earnings,
    earnings_brackets,
    star_shares,
    trajectory,
)
from marketplace_sim.model.marketplace import MarketplaceModel
from marketplace_sim.plots.style import COLORS
from marketplace_sim.units import CENTS

__all__ = [
    "concentration_option",
    "earnings_option",
    "lorenz_option",
    "lorenz_points",
    "merit_option",
    "reviews_option",
    "stars_option",
    "trajectory_option",
]

# Okabe-Ito, by name, in the order of the palette
BLUE, ORANGE, GREEN, PINK, YELLOW, SKY, BLACK = COLORS


def _clean(values: Any, digits: int = 4) -> list[float | None]:
    """Floats for JSON: rounded, NaN and infinities as None (JSON has no NaN)."""
    arr = np.asarray(values, dtype=np.float64)
    return [round(float(v), digits) if np.isfinite(v) else None for v in arr]


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
