"""The trajectories figure of a run: top earners beside randomly sampled others.

Drawn for every run as ``figures/trajectories.png`` (see
:data:`marketplace_sim.plots.run.RUN_FIGURES`). The earnings panel keeps the $0 line inside the
axes, and its title says how many of the drawn freelancers earned nothing: their lines overlap
there and would otherwise look missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from marketplace_sim.plots.style import (
    OTHER_COLOR,
    TOP_COLOR,
    as_float,
    empty_note,
    finish_axes,
    new_figure,
    require_columns,
    styled,
    week_axis,
)

__all__ = ["SYMLOG_LINTHRESH", "plot_trajectories"]

#: Earnings (USD) below which the symlog earnings axis is linear.
SYMLOG_LINTHRESH = 100.0


def _usd_formatter() -> FuncFormatter:
    """Tick labels for USD amounts: thousands separators, no scientific offset.

    A new formatter per axis: a formatter remembers the axis it is attached to.
    """
    return FuncFormatter(lambda value, _pos=None: f"{value:,.0f}")


def _trajectory(
    rows: pd.DataFrame | None, start: float, end: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step-function points of cumulative net earnings and running mean rating.

    Args:
        rows: The freelancer's contracts with columns ``t`` (end step), ``net`` and ``stars``
            (float, NaN without review), or None if there are none.
        start: First week of the earnings line (entry step).
        end: Last week of both lines (exit step, or last week of the run).

    Returns:
        ``(x_earn, y_earn, x_rating, y_rating)``; the rating arrays are empty without reviews.
    """
    if rows is None or rows.empty:
        return np.array([start, end]), np.zeros(2), np.empty(0), np.empty(0)
    per_step = rows.groupby("t", sort=True).agg(
        net=("net", "sum"), star_sum=("stars", "sum"), n_stars=("stars", "count")
    )
    t = per_step.index.to_numpy(dtype=float)
    start = min(start, t[0])
    end = max(end, t[-1])
    cum = per_step["net"].cumsum().to_numpy()
    x_earn = np.concatenate([[start], t, [end]])
    y_earn = np.concatenate([[0.0], cum, [cum[-1]]])

    n_stars = per_step["n_stars"].cumsum().to_numpy(dtype=float)
    star_sum = per_step["star_sum"].cumsum().to_numpy(dtype=float)
    reviewed = n_stars > 0
    if not reviewed.any():
        return x_earn, y_earn, np.empty(0), np.empty(0)
    running = star_sum[reviewed] / n_stars[reviewed]
    x_rating = np.concatenate([t[reviewed], [end]])
    y_rating = np.concatenate([running, [running[-1]]])
    return x_earn, y_earn, x_rating, y_rating


class _RowsByFid:
    """A freelancer's contracts on demand (the rows of ``groupby("fid")``'s group, in order).

    Only the few dozen freelancers drawn are looked up: splitting all contracts into one
    frame per freelancer (``dict(tuple(c.groupby("fid")))``: some 7,000 frames for a baseline
    run) took a tenth of a second, more than the lookups of the drawn ones.
    """

    def __init__(self, c: pd.DataFrame) -> None:
        self.c = c
        fid = c["fid"].to_numpy()
        self.order = np.argsort(fid, kind="stable")  # stable: each group's rows keep their order
        self.sorted = fid[self.order]

    def get(self, fid: Any) -> pd.DataFrame | None:
        """The contracts of ``fid`` (None if it has none)."""
        lo = int(np.searchsorted(self.sorted, fid, side="left"))
        hi = int(np.searchsorted(self.sorted, fid, side="right"))
        return self.c.iloc[self.order[lo:hi]] if hi > lo else None


@dataclass(frozen=True)
class _Paths:
    """What the trajectories are drawn from: contracts per freelancer and their spans."""

    by_fid: _RowsByFid
    entry: dict[Any, float]
    exits: dict[Any, float]
    last_week: float
    no_contracts: bool

    def span(self, fid: Any) -> tuple[float, float]:
        """Entry week (0 if unknown) and exit week (the last week seen if still active)."""
        start = self.entry.get(fid, np.nan)
        end = self.exits.get(fid, np.nan)
        return (
            start if np.isfinite(start) else 0.0,
            end if np.isfinite(end) else self.last_week,
        )


def _paths(freelancers: pd.DataFrame, contracts: pd.DataFrame) -> _Paths:
    """Group the contracts by freelancer (net = value - fee) and find each line's span."""
    c = pd.DataFrame(
        {
            "fid": contracts["freelancer_id"].to_numpy(),
            "t": as_float(contracts["end_step"]),
            "net": as_float(contracts["value"]) - as_float(contracts["fee"]),
            "stars": as_float(contracts["stars"]),
        }
    )
    ids = freelancers["freelancer_id"].to_numpy()

    def by_id(column: str) -> dict[Any, float]:
        if column not in freelancers.columns:
            return {}
        return dict(zip(ids, as_float(freelancers[column]), strict=True))

    entry, exits = by_id("entry_step"), by_id("exit_step")
    known = np.concatenate(
        [c["t"].to_numpy(), np.fromiter(entry.values(), float), np.fromiter(exits.values(), float)]
    )
    return _Paths(
        by_fid=_RowsByFid(c),
        entry=entry,
        exits=exits,
        last_week=float(np.nanmax(known)) if np.isfinite(known).any() else 0.0,
        no_contracts=c.empty,
    )


def _pick(
    freelancers: pd.DataFrame, n_top: int, n_random: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``n_top`` by earnings (ties: lower id) and a seeded sample of the others."""
    ranking = pd.DataFrame(
        {
            "fid": freelancers["freelancer_id"].to_numpy(),
            "earnings": as_float(freelancers["earnings"]),
        }
    ).sort_values(["earnings", "fid"], ascending=[False, True], na_position="last", kind="stable")
    top_ids = ranking["fid"].to_numpy()[:n_top]
    others = np.sort(ranking["fid"].to_numpy()[n_top:])
    k = min(n_random, others.size)
    random_ids = (
        np.random.default_rng(seed).choice(others, size=k, replace=False) if k else others[:0]
    )
    return top_ids, random_ids


def _draw_group(
    axes: tuple[Axes, Axes], kind: str, chosen: np.ndarray, label: str, paths: _Paths
) -> int:
    """Add one group's earnings and rating lines; return how many of them end at $0."""
    ax_e, ax_r = axes
    top = kind == "top"
    style: dict[str, Any] = {
        "color": TOP_COLOR if top else OTHER_COLOR,
        "linestyle": "-" if top else "--",
        "linewidth": 1.8 if top else 1.3,
        "alpha": 0.9 if top else 0.8,
        # top earners are added first (``get_lines()[:n_top]``) but drawn below the dashed
        # others, so that others on the $0 line are not hidden by top earners not yet hired
        "zorder": 2 if top else 3,
    }
    at_zero = 0
    for j, fid in enumerate(chosen):
        xe, ye, xr, yr = _trajectory(paths.by_fid.get(fid), *paths.span(fid))
        at_zero += int(ye[-1] == 0)
        name = label if j == 0 else "_nolegend_"
        ax_e.add_line(
            Line2D(xe, ye, drawstyle="steps-post", gid=f"{kind}-{fid}", label=name, **style)
        )
        if xr.size:
            ax_r.add_line(Line2D(xr, yr, drawstyle="steps-post", gid=f"{kind}-{fid}", **style))
    return at_zero


def _zero_note(n_top: int, top_zero: int, n_random: int, random_zero: int) -> str:
    """Say how many drawn lines lie on the $0 line, where they hide one another."""
    parts = []
    if top_zero:
        parts.append(f"{top_zero} of the top {n_top}")
    if random_zero:
        parts.append(f"{random_zero} of the {n_random} random others")
    if not parts:
        return ""
    return f"\n{' and '.join(parts)} earned nothing: their lines overlap on $0"


def _earnings_limits(ax: Axes, log_earnings: bool) -> None:
    """Set y limits that keep the $0 lines inside the axes, above the bottom spine."""
    y_max = max(
        (float(np.max(np.asarray(ln.get_ydata(), dtype=float))) for ln in ax.get_lines()),
        default=0.0,
    )
    if log_earnings:
        ax.set_yscale("symlog", linthresh=SYMLOG_LINTHRESH, linscale=0.5)
        top = 1.6 * y_max if y_max > 0 else SYMLOG_LINTHRESH
        ax.set_ylim(-0.25 * SYMLOG_LINTHRESH, top)
    else:
        top = 1.05 * y_max if y_max > 0 else 1.0
        ax.set_ylim(-0.03 * top, top)
    ax.yaxis.set_major_formatter(_usd_formatter())


def _finish(
    fig: Figure, axes: tuple[Axes, Axes], paths: _Paths, log_earnings: bool, nobody: bool
) -> None:
    """Limits, labels, notes and the figure legend of the two trajectory panels."""
    ax_e, ax_r = axes
    ax_e.autoscale_view()
    ax_r.autoscale_view()
    if nobody:
        empty_note(ax_e, "no freelancers")
    elif paths.no_contracts:
        empty_note(ax_e, "no completed contracts")
    if not ax_r.get_lines():
        empty_note(ax_r, "no reviews")
    _earnings_limits(ax_e, log_earnings)
    ax_r.set_ylim(0.8, 5.2)
    ax_r.set_yticks([1, 2, 3, 4, 5])
    ax_e.set_xlim(0, max(paths.last_week, 1.0))
    ax_r.set_title("running mean of public star ratings")
    ax_e.set_ylabel("cumulative net earnings (USD)")
    ax_r.set_ylabel("mean public rating (stars)")
    week_axis(ax_r)
    handles, labels = ax_e.get_legend_handles_labels()
    if handles:  # figure legend below the panels, so that it never hides a trajectory
        fig.legend(handles, labels, loc="outside lower center", ncols=len(handles))
    finish_axes(ax_e)
    finish_axes(ax_r)


@styled
def plot_trajectories(
    freelancers: pd.DataFrame,
    contracts: pd.DataFrame,
    n_top: int = 10,
    n_random: int = 10,
    seed: int = 0,
    *,
    log_earnings: bool = False,
) -> Figure:
    """Plot earnings and rating trajectories of the top earners beside random others.

    The eventual top ``n_top`` freelancers by final ``earnings`` (ties broken by lower
    ``freelancer_id``) are drawn as solid dark lines; ``n_random`` freelancers sampled without
    replacement from all the others with ``numpy.random.default_rng(seed)`` are drawn dashed
    and lighter. Trajectories are reconstructed from the contract table: cumulative sum of
    ``value - fee`` by ``end_step``, and the running mean of non-null ``stars`` by
    ``end_step``. Lines run from ``entry_step`` to ``exit_step`` (or the last week seen in the
    data) as step functions. Freelancers who earned nothing all lie on the $0 line (kept
    inside the axes, above the spine); the earnings panel's title says how many they are.

    Args:
        freelancers: Freelancer table with ``freelancer_id`` and ``earnings``; ``entry_step``
            and ``exit_step`` are used when present.
        contracts: Contract table with ``freelancer_id``, ``end_step``, ``value``, ``fee`` and
            ``stars``.
        n_top: Number of top earners to show.
        n_random: Number of other freelancers to sample.
        seed: Seed of the random sample.
        log_earnings: Draw the earnings axis on a symmetric-log scale (linear below 100 USD),
            which keeps the sampled others visible when top earners are far ahead.

    Returns:
        A figure with two axes sharing x. The upper (cumulative net earnings) has exactly one
        line per selected freelancer, top earners first; the lower (running mean public
        rating) has one line per selected freelancer with at least one review. Each line's
        ``gid`` is ``"top-<freelancer_id>"`` or ``"random-<freelancer_id>"``. The legend (two
        entries) is a figure legend, ``fig.legends[0]``.

    Raises:
        KeyError: If a required column is missing.
        ValueError: If ``n_top`` or ``n_random`` is negative.
    """
    require_columns(freelancers, ["freelancer_id", "earnings"], "freelancers")
    require_columns(contracts, ["freelancer_id", "end_step", "value", "fee", "stars"], "contracts")
    if n_top < 0 or n_random < 0:
        raise ValueError("n_top and n_random must be non-negative")
    top_ids, random_ids = _pick(freelancers, n_top, n_random, seed)
    paths = _paths(freelancers, contracts)

    fig, (ax_e, ax_r) = new_figure(2, 1, figsize=(8.0, 7.0), sharex=True)
    n_t, n_r = len(top_ids), len(random_ids)
    top_zero = _draw_group((ax_e, ax_r), "top", top_ids, f"top {n_t} by final earnings", paths)
    random_zero = _draw_group(
        (ax_e, ax_r), "random", random_ids, f"{n_r} randomly sampled others", paths
    )
    _finish(fig, (ax_e, ax_r), paths, log_earnings, nobody=not n_t and not n_r)
    fig.suptitle(f"Trajectories: top {n_t} earners (solid) vs. {n_r} random others (dashed)")
    ax_e.set_title(
        "cumulative net earnings (value − fee)" + _zero_note(n_t, top_zero, n_r, random_zero)
    )
    return fig
