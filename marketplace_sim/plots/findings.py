"""The figures of docs/findings.md: each study's figure beside the model's.

Every function takes plain numbers (``(mean, lo, hi)`` triples, arrays, labels) and returns a
:class:`~matplotlib.figure.Figure` in the house style (:mod:`marketplace_sim.plots.style`);
what the numbers mean is computed by ``marketplace_sim.reports.findings``. An interval whose
ends equal its mean (a single replicate) draws no error bar.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from marketplace_sim.plots.attribution import annotate_cells
from marketplace_sim.plots.style import COLORS, DIAGONAL_COLOR, finish_axes, new_figure, styled

CI = tuple[float, float, float]  # (mean, lo, hi)
BLUE, ORANGE, GREEN, PURPLE = COLORS[:4]
NEUTRAL = DIAGONAL_COLOR  # controls, "no influence" and reference lines


def _axes(ncols: int, width: float, height: float = 4.2) -> tuple[Figure, list[Axes]]:
    """A row of ``ncols`` finished axes, each ``width`` x ``height`` inches."""
    fig, axes = new_figure(1, ncols, figsize=(width * ncols, height))
    axes = list(np.atleast_1d(axes))
    for ax in axes:
        finish_axes(ax)
    return fig, axes


def _err(stats: Sequence[CI]) -> np.ndarray | None:
    """Error-bar lengths below and above each mean; None when no interval is known."""
    err = np.nan_to_num(np.array([[s[0] - s[1] for s in stats], [s[2] - s[0] for s in stats]]))
    return err if np.any(err != 0) else None


def bars(
    ax: Axes, labels: Sequence[str], stats: Sequence[CI], colors: Sequence[str], ylabel: str
) -> None:
    """Vertical bars of means with their 95 % intervals."""
    m = np.array([s[0] for s in stats])
    ax.bar(range(len(m)), m, yerr=_err(stats), color=colors, capsize=4, edgecolor="white")
    ax.set_xticks(range(len(m)), list(labels))
    ax.set_ylabel(ylabel)


def _scaled(t: CI, k: float) -> CI:
    """A ``(mean, lo, hi)`` triple times ``k``."""
    return (t[0] * k, t[1] * k, t[2] * k)


@styled
def pallais_figure(
    hired: Sequence[CI],
    later: Sequence[CI],
    ratio: float,
    at_step: int,
    later_year: int | str,
    n_worlds: int,
) -> Figure:
    """Treated vs control: share hired after the intervention (%) and later earnings (USD).

    Args:
        hired: (treated hired again, control ever hired), shares in percent.
        later: (treated, control) mean net earnings in the final year.
        ratio: the mean over worlds of treated / control later earnings.
        at_step: week of the intervention.
        later_year: the year the later earnings are from (or the window, in words).
        n_worlds: replicates.
    """
    fig, (a1, a2) = _axes(2, 4.6)
    colors = [BLUE, NEUTRAL]
    bars(
        a1,
        ["treated:\nhired again", "control:\never hired"],
        hired,
        colors,
        "share of the group (%)",
    )
    a1.set_title(f"Hired after week {at_step}")
    window = later_year if isinstance(later_year, str) else f"year {later_year}"
    ylabel = f"mean net earnings in {window} (USD)"
    bars(a2, ["treated", "control"], later, colors, ylabel)
    a2.set_title(
        f"Later earnings: treated / control = {ratio:.1f}x\n(Pallais: relative "
        "income nearly tripled)"
    )
    fig.suptitle(
        f"A first job at week {at_step} for half the never-hired (model, "
        f"{n_worlds} worlds; bars: 95 % CI)"
    )
    return fig


@styled
def vanderijt_figure(
    study: Sequence[tuple[str, float, float]],
    boosted: CI,
    control: CI,
    at_step: int,
    n_worlds: int,
) -> Figure:
    """The studies' success rates (boosted vs control, %) beside the model's share ever hired.

    Args:
        study: (platform, boosted %, control %) per platform of the study.
        boosted: the model's share ever hired among the boosted (0-1).
        control: the same among the controls.
        at_step: week of the boost.
        n_worlds: replicates.
    """
    fig, (ax,) = _axes(1, 8.0)
    n_st = len(study)
    x = np.arange(n_st + 1)
    w = 0.38
    for dx, col, color, label in (
        (-w / 2, 1, BLUE, "study: boosted"),
        (w / 2, 2, NEUTRAL, "study: control"),
    ):
        heights = [float(p[col]) for p in study]
        ax.bar(
            x[:n_st] + dx,
            heights,
            w,
            color=color,
            alpha=0.55,
            hatch="//",
            edgecolor="white",
            label=label,
        )
    for dx, t, color, label in (
        (-w / 2, boosted, BLUE, "model: boosted"),
        (w / 2, control, NEUTRAL, "model: control"),
    ):
        s = _scaled(t, 100.0)
        ax.bar([x[n_st] + dx], [s[0]], w, yerr=_err([s]), color=color, capsize=4, label=label)
    ax.set_xticks(x, [p[0] for p in study] + ["model:\never hired"])
    ax.axvline(n_st - 0.5, color="black", linewidth=0.8)
    ax.set_ylabel("success rate (%)")
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    ax.legend(loc="upper center", ncols=4)
    ax.set_title(
        f"A random early boost: van de Rijt et al. (four platforms) and the model\n"
        f"(one free 5-star review at week {at_step}; {n_worlds} worlds, 95 % CI)"
    )
    return fig


@styled
def salganik_figure(
    labels: Sequence[str],
    gini: Sequence[CI],
    u: Sequence[CI],
    bands: Mapping[str, tuple[float, float]],
) -> Figure:
    """Gini and unpredictability U (x 1e-4) by condition, with MusicLab's Gini ranges.

    Args:
        labels: one per condition, in the order no influence, clients only, search only, full.
        gini: Gini of earnings per condition.
        u: U per condition (raw; drawn x 1e4).
        bands: MusicLab's Gini ranges, ``independent`` and ``influence``.
    """
    colors = [NEUTRAL, GREEN, PURPLE, ORANGE][: len(labels)]
    fig, (a1, a2) = _axes(2, 5.0)
    bars(a1, labels, gini, colors, "Gini of earnings")
    a1.axhspan(*bands["independent"], color=NEUTRAL, alpha=0.25, label="MusicLab, independent")
    a1.axhspan(*bands["influence"], color=ORANGE, alpha=0.15, label="MusicLab, social influence")
    a1.set_ylim(0, 1)
    a1.legend(loc="upper left")
    a1.set_title("Inequality (bars: 95 % CI over worlds)")
    bars(a2, labels, [_scaled(t, 1e4) for t in u], colors, "unpredictability U (x 10⁻⁴)")
    a2.set_title("Unpredictability across worlds (jackknife 95 % CI)")
    fig.suptitle(
        "Social influence: search ranking x clients' reputation weight (rw), same "
        "people in every world"
    )
    return fig


@dataclass(frozen=True)
class YearlyLine:
    """One condition of the inflation experiment, by year: mean and 95 % band per column."""

    label: str
    pressure: bool  # social pressure on raters (inflation > 0)
    years: np.ndarray
    stars: tuple[np.ndarray, np.ndarray, np.ndarray]
    quality: tuple[np.ndarray, np.ndarray, np.ndarray]


@styled
def filippas_figure(
    lines: Sequence[YearlyLine], endpoints: Mapping[str, float], replications: int
) -> Figure:
    """Mean public rating and delivered quality by year per condition, with the study's drift.

    Args:
        lines: one per condition.
        endpoints: the study's ``start`` and ``end`` ratings over ``years`` years.
        replications: replicates per line.
    """
    fig, (a1, a2) = _axes(2, 5.2)
    for i, line in enumerate(lines):
        color = [BLUE, ORANGE, GREEN, PURPLE][i % 4] if line.pressure else NEUTRAL
        style = "-" if line.pressure else ":"
        for ax, (m, lo, hi) in ((a1, line.stars), (a2, line.quality)):
            ax.plot(line.years, m, style, color=color, marker="o", ms=3, label=line.label)
            ax.fill_between(line.years, lo, hi, color=color, alpha=0.15)
    a1.plot(
        [1, endpoints["years"]],
        [endpoints["start"], endpoints["end"]],
        "k--",
        marker="s",
        label="Filippas et al.: 3.7 -> 4.8 (endpoints)",
    )
    a1.set_xlabel("year")
    a1.set_ylabel("mean public rating given (stars)")
    a1.set_ylim(3.0, 5.05)
    a1.legend(loc="lower right")
    a1.set_title("Public ratings drift up under social pressure")
    a2.set_xlabel("year")
    a2.set_ylabel("mean delivered quality (0-1)")
    a2.set_title("Delivered quality does not")
    # a fixed 0.4-wide window, so that small drifts look small, placed to show every mean
    means = [float(np.nanmin(ln.quality[0])) for ln in lines if np.isfinite(ln.quality[0]).any()]
    bottom = min([0.35, *(m - 0.1 for m in means)])
    a2.set_ylim(bottom, bottom + 0.4)
    fig.suptitle(f"Reputation inflation ({replications} replicates per line; bands: 95 % CI)")
    return fig


@styled
def lukacgrow_figure(
    weights: Sequence[float],
    no_job: Sequence[CI],
    ratio: Sequence[CI],
    ranges: Mapping[str, Mapping[str, tuple[float, float]]],
    replications: int,
) -> Figure:
    """Share with no job (%) and the top/bottom tercile earnings ratio by reputation weight.

    Args:
        weights: the swept reputation weights.
        no_job: share with no job per weight (0-1).
        ratio: earnings ratio per weight.
        ranges: Lukac & Grow's ranges, ``reputation`` and ``price`` regimes, per outcome.
        replications: runs per weight.
    """
    fig, (a1, a2) = _axes(2, 5.0)
    x = np.asarray(weights, dtype=float)
    for ax, stats, scale, key, ylabel in (
        (a1, no_job, 100.0, "no_job", "freelancers with no job in the run (%)"),
        (a2, ratio, 1.0, "earnings_ratio", "earnings, top / bottom reputation tercile"),
    ):
        m, lo, hi = (np.array([s[j] for s in stats]) * scale for j in range(3))
        ax.plot(x, m, "o-", color=BLUE, label="model (mean, 95 % CI)")
        ax.fill_between(x, lo, hi, color=BLUE, alpha=0.2)
        for regime, color, label in (
            ("reputation", ORANGE, "Lukac & Grow: reputation dominates"),
            ("price", GREEN, "Lukac & Grow: price weighs in"),
        ):
            a, b = ranges[regime][key]
            ax.axhspan(a * scale, b * scale, color=color, alpha=0.2, label=label)
        ax.set_xlabel("clients' reputation weight (price weight 1)")
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper left")
    if np.all(np.array([s[0] for s in ratio]) > 0):
        a2.set_yscale("log")
    a1.set_title("Share never hired")
    a2.set_title("Top-to-bottom tercile earnings ratio")
    fig.suptitle(
        f"Lukac & Grow's world: 120 freelancers, 30 employers, about 200 jobs "
        f"({replications} runs per point)"
    )
    return fig


@styled
def decomposition_figure(regimes: Sequence[str], parts: Mapping[str, np.ndarray]) -> Figure:
    """Stacked shares of the variance of later log earnings (R²) per regime.

    Args:
        regimes: one label per regime.
        parts: ``exposure``, ``traits``, ``early`` and ``unexplained`` shares per regime.
    """
    fig, (ax,) = _axes(1, 8.5, 1.5 + 0.45 * len(regimes))
    left = np.zeros(len(regimes))
    yy = np.arange(len(regimes))
    for key, name, color, alpha in (
        ("exposure", "entry week (exposure)", NEUTRAL, 1.0),
        ("traits", "the five traits", BLUE, 1.0),
        ("early", "early success (first-year earnings)", ORANGE, 1.0),
        ("unexplained", "unexplained (later luck, ...)", NEUTRAL, 0.3),
    ):
        vals = np.asarray(parts[key], dtype=float)
        ax.barh(yy, vals, left=left, color=color, alpha=alpha, label=name, edgecolor="white")
        left = left + np.nan_to_num(vals)
    ax.set_yticks(yy, list(regimes))
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the variance of later log earnings (R²)")
    ax.set_title("What explains later success: traits, early luck, the rest (mean over replicates)")
    fig.legend(loc="outside lower center", ncols=2, frameon=False)  # never over a bar
    return fig


@styled
def importance_heatmap(regimes: Sequence[str], factors: Sequence[str], mat: np.ndarray) -> Figure:
    """Each factor's permutation importance by regime, annotated cells.

    Args:
        regimes: row labels.
        factors: column labels (wrapped to fit).
        mat: importance, shape (regimes, factors).
    """
    fig, (ax,) = _axes(1, 9.5, 1.6 + 0.42 * len(regimes))
    im = ax.imshow(mat, cmap="viridis", aspect="auto")
    annotate_cells(ax, mat, "{:.3f}")
    labels = [textwrap.fill(f, 13, break_long_words=False) for f in factors]
    ax.set_xticks(range(len(factors)), labels)
    ax.set_yticks(range(len(regimes)), list(regimes))
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="importance (drop in R²)")
    ax.set_title(
        "Each factor's importance: traits in the traits-only model, early success in the full model"
    )
    return fig


@styled
def merit_figure(regimes: Sequence[str], overlap: Sequence[CI]) -> Figure:
    """Top 10 % by earnings who are top 10 % by expertise (%) per regime, with chance and merit.

    Args:
        regimes: one label per regime.
        overlap: the share (0-1) per regime.
    """
    fig, (ax,) = _axes(1, 8.5, 1.3 + 0.45 * len(regimes))
    yy = np.arange(len(regimes))
    stats = [_scaled(t, 100.0) for t in overlap]
    err = _err(stats)
    ax.barh(yy, [s[0] for s in stats], xerr=err, color=GREEN, capsize=3)
    ax.axvline(
        10, color="black", linestyle="--", label="chance (no link between skill and success): 10 %"
    )
    ax.axvline(100, color=NEUTRAL, linestyle=":", label="pure merit: 100 %")
    ax.set_yticks(yy, list(regimes))
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel("top 10 % by earnings who are in the top 10 % by innate expertise (%)")
    ax.set_title("Merit vs luck at the top, by platform rules (95 % CI)")
    fig.legend(loc="outside lower center", ncols=2, frameon=False)  # never over a bar
    return fig


@styled
def morris_figure(
    panels: Sequence[tuple[str, Sequence[str], np.ndarray, np.ndarray]],
) -> Figure:
    """A Morris screen of several effects: per effect, mu* (bars) and sigma (dots).

    Args:
        panels: per effect, its name, the parameters (ranked by mu*), mu* and sigma, each in
            the effect's own units.
    """
    n = max(len(panels), 1)
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows))
    flat = list(np.atleast_1d(axes).ravel())
    for ax, (name, params, mu_star, sigma) in zip(flat, panels, strict=False):
        finish_axes(ax)
        yy = np.arange(len(params))
        ax.barh(yy, mu_star, color=BLUE, label="mu* (mean |elementary effect|)")
        ax.plot(sigma, yy, "o", color=ORANGE, label="sigma (interaction / non-linearity)")
        ax.set_yticks(yy, [p.rsplit(".", 1)[-1] for p in params])
        ax.invert_yaxis()
        ax.set_title("\n".join(textwrap.wrap(name, 34)))
    for ax in flat[len(panels) :]:
        ax.set_visible(False)
    if panels:
        handles, labels = flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    return fig
