"""The attribution figure and text of `marketplace-sim analyze`: the title and legend stay on
the canvas and off the bars, one replicate draws no error bars, and undefined values draw and
print without numpy warnings."""

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.patches import Rectangle

from marketplace_sim.analysis.attribution import FACTORS
from marketplace_sim.analysis.results import ResultRuns
from marketplace_sim.reports.attribution import plot_attribution, summary_text

KEY = "platform.ranking"
LONG = ("reputation-and-search-ranked", "random", "reputation", "x-very-long-rule-name")


def summary(regimes, replicates=3, seed=0, nan=False):
    """A summary table like attribution_table's: early success dominant (the longest bars sit at
    the bottom right, where a legend drawn inside the axes would cover them)."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in regimes:
        for f in FACTORS:
            m = 0.6 if f == "early_success" else rng.uniform(0.0, 0.1)
            half = 0.0 if replicates <= 1 else 0.05
            row = {KEY: g, "factor": f, "replicates": replicates}
            for col in ("importance", "importance_traits", "coef", "r2_exposure", "r2_traits"):
                row[f"{col}_mean"], row[f"{col}_lo"], row[f"{col}_hi"] = m, m - half, m + half
            for col in ("r2_early_increment", "r2_full", "unexplained", "top10_merit_overlap"):
                row[f"{col}_mean"], row[f"{col}_lo"], row[f"{col}_hi"] = 0.3, 0.2, 0.4
            if nan:
                row.update({k: np.nan for k in row if k.endswith(("_mean", "_lo", "_hi"))})
            rows.append(row)
    return pd.DataFrame(rows)


def boxes(fig):
    """Rendered window extents: the canvas, the title, the legends and every drawn bar."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    bars = [
        p.get_window_extent(r)
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_width() != 0 and p.get_height() != 0
    ]
    legends = [lg.get_window_extent(r) for lg in [*fig.legends, ax.get_legend()] if lg]
    titles = [t.get_window_extent(r) for t in (fig._suptitle, ax.title) if t and t.get_text()]
    return fig.bbox, titles, legends, bars


def inside(box, canvas, slack=1.0):
    return (
        box.x0 >= canvas.x0 - slack
        and box.y0 >= canvas.y0 - slack
        and box.x1 <= canvas.x1 + slack
        and box.y1 <= canvas.y1 + slack
    )


@pytest.mark.parametrize("n_regimes", [1, 2, 3, 4])
def test_title_and_legend_stay_on_the_canvas_and_off_the_bars(n_regimes):
    fig = plot_attribution(summary(LONG[:n_regimes]), KEY)
    canvas, titles, legends, bars = boxes(fig)
    assert titles and len(bars) == n_regimes * len(FACTORS)
    assert len(legends) == (1 if n_regimes > 1 else 0)  # one regime needs no legend
    for box in [*titles, *legends]:
        assert inside(box, canvas), (box, canvas)
        assert not any(box.overlaps(b) for b in bars)
    ticks = [t.get_window_extent() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert ticks and all(inside(t, canvas) for t in ticks)  # long factor names too


def test_heatmap_for_many_regimes_keeps_its_title_on_the_canvas():
    regimes = [f"rule-{i}" for i in range(6)]
    fig = plot_attribution(summary(regimes), KEY)
    canvas, titles, _, _ = boxes(fig)
    assert titles and all(inside(t, canvas) for t in titles)
    ax = fig.axes[0]
    assert len(ax.images) == 1 and len(ax.texts) == len(regimes) * len(FACTORS)


def test_one_replicate_draws_no_error_bars_and_replicates_do():
    one = plot_attribution(summary(LONG[:2], replicates=1), KEY)
    containers = [c for c in one.axes[0].containers if isinstance(c, BarContainer)]
    assert len(containers) == 2 and all(c.errorbar is None for c in containers)
    assert "one replicate: no interval" in one._suptitle.get_text().replace("\n", " ")
    three = plot_attribution(summary(LONG[:2], replicates=3), KEY)
    containers = [c for c in three.axes[0].containers if isinstance(c, BarContainer)]
    assert all(c.errorbar is not None for c in containers)


@pytest.mark.parametrize("n_regimes", [2, 6])
def test_undefined_values_draw_and_print_without_warnings(n_regimes, tmp_path):
    """A regime whose attribution is NaN (too few freelancers) raises no numpy warning."""
    s = summary([f"r{i}" for i in range(n_regimes)], nan=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_attribution(s, KEY)
        fig.canvas.draw()
        text = summary_text(s, ResultRuns(tmp_path, "sweep", (KEY,), ()))
    assert "n/a" in text


def test_summary_text_per_regime_sorted_by_importance(tmp_path):
    s = summary(["random", "reputation"], replicates=3)
    text = summary_text(s, ResultRuns(tmp_path, "sweep", (KEY,), (), n_failed=2))
    assert "(2 failed runs left out)" in text and "regime = platform.ranking" in text
    blocks = text.split("\n== ")[1:]
    assert [b.split(" (")[0] for b in blocks] == ["ranking=random", "ranking=reputation"]
    for b in blocks:
        assert "(3 replicates)" in b
        factor_lines = b.splitlines()[7:]
        assert factor_lines[0].lstrip().startswith("reputation & feedback")  # largest first
        assert "0.60 [0.55, 0.65]" in factor_lines[0]
