"""Figures a reader can trust: nobody hidden on the $0 line, integer weeks, one label per key,
stable file names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from marketplace_sim.plots import labels, run, sweep, trajectories

N_WEEKS = 30


def zero_heavy_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """20 freelancers; 0..11 earn (more the lower the id), 12..19 never work.

    With ``n_top=10`` the top ten are 0..9, and the others are 10, 11 (earners) and 12..19:
    sampling 10 of those 10 draws all of them, so exactly 8 of the 10 random lines are at $0.
    """
    fid = np.repeat(np.arange(12), np.arange(12, 0, -1))  # freelancer i gets 12 - i jobs
    n = fid.size
    end = np.tile(np.arange(1, N_WEEKS, 2), n // 15 + 1)[:n]
    contracts = pd.DataFrame(
        {
            "freelancer_id": fid,
            "end_step": end,
            "value": np.full(n, 500.0),
            "fee": np.full(n, 50.0),
            "stars": pd.array(np.full(n, 5), dtype="Int8"),
        }
    )
    net = (contracts["value"] - contracts["fee"]).groupby(contracts["freelancer_id"]).sum()
    freelancers = pd.DataFrame(
        {
            "freelancer_id": np.arange(20),
            "earnings": net.reindex(np.arange(20), fill_value=0.0).to_numpy(),
            "entry_step": np.zeros(20, dtype=np.int64),
            "exit_step": pd.array([None] * 20, dtype="Int64"),
        }
    )
    return freelancers, contracts


def integer_ticks_in_view(ax) -> list[float]:
    """The x ticks matplotlib draws (inside the view), after a full draw."""
    ax.figure.canvas.draw()
    lo, hi = sorted(ax.get_xlim())
    return [t for t in ax.get_xticks() if lo - 1e-9 <= t <= hi + 1e-9]


# ----------------------------------------------------------------------------- $0 lines


@pytest.mark.parametrize("log_earnings", [False, True])
def test_trajectories_with_8_of_10_at_zero_draws_them_and_says_so(log_earnings):
    fl, contracts = zero_heavy_tables()
    fig = trajectories.plot_trajectories(
        fl, contracts, n_top=10, n_random=10, log_earnings=log_earnings
    )
    ax_e = fig.axes[0]
    random_lines = [ln for ln in ax_e.get_lines() if ln.get_gid().startswith("random-")]
    assert len(random_lines) == 10
    at_zero = [ln for ln in random_lines if np.all(np.asarray(ln.get_ydata()) == 0)]
    assert len(at_zero) == 8
    assert all(ln.get_visible() and ln.get_alpha() > 0 for ln in random_lines)
    assert "8 of the 10 random others earned nothing" in ax_e.get_title()
    # Drawn above the top earners, who also sit on $0 until their first contract ends.
    top_lines = [ln for ln in ax_e.get_lines() if ln.get_gid().startswith("top-")]
    assert min(ln.get_zorder() for ln in random_lines) > max(ln.get_zorder() for ln in top_lines)
    # The $0 line is inside the axes, clearly above the bottom spine (not drawn on it).
    fig.canvas.draw()
    bottom = ax_e.get_window_extent().y0
    zero_px = ax_e.transData.transform((0.0, 0.0))[1]
    assert ax_e.get_ylim()[0] < 0
    assert zero_px - bottom >= 3, (zero_px, bottom)


def test_trajectories_without_zero_earners_have_no_note():
    fl, contracts = zero_heavy_tables()
    fig = trajectories.plot_trajectories(fl, contracts, n_top=10, n_random=0)
    assert "earned nothing" not in fig.axes[0].get_title()
    # top 10 of 20 where only 12 earn: n_top=12 + 2 random from the zero group
    fig = trajectories.plot_trajectories(fl, contracts, n_top=12, n_random=2, seed=1)
    assert "2 of the 2 random others earned nothing" in fig.axes[0].get_title()


def test_the_run_figure_is_the_symlog_trajectories():
    fl, contracts = zero_heavy_tables()
    fig = run.RUN_FIGURES["trajectories"].draw(fl, contracts)
    assert fig.axes[0].get_yscale() == "symlog"
    assert "8 of the 10 random others earned nothing" in fig.axes[0].get_title()


# ----------------------------------------------------------------------------- weeks


def short_steps(weeks: int = 4) -> pd.DataFrame:
    """Few weeks: matplotlib's default locator would tick at 0.5 steps here."""
    t = np.arange(weeks)
    return pd.DataFrame(
        {
            "step": t,
            "gini_earnings": 0.2 + 0.1 * t,
            "top1_share": 0.01 * t,
            "top10_share": 0.1 + 0.05 * t,
            "run_id": 0,
            "condition_id": "c0",
        }
    )


def test_default_locator_would_give_fractional_weeks():
    """Guard of the tests below: without week_axis these figures had half weeks."""
    from marketplace_sim.plots.style import new_figure

    fig, ax = new_figure()
    ax.plot([0, 3], [0, 1])
    assert any(t != int(t) for t in integer_ticks_in_view(ax))


@pytest.mark.parametrize(
    "draw",
    [
        lambda: run.plot_concentration(short_steps()),
        lambda: sweep.plot_metric_over_time(short_steps(), "gini_earnings"),
        lambda: trajectories.plot_trajectories(*zero_heavy_tables_short()),
    ],
    ids=["concentration", "over_time", "trajectories"],
)
def test_week_axes_have_integer_ticks(draw):
    fig: Figure = draw()
    ax = fig.axes[-1]  # the lower panel holds the trajectories' week axis
    assert ax.get_xlabel() == "week"
    ticks = integer_ticks_in_view(ax)
    assert len(ticks) >= 2
    assert all(t == int(t) for t in ticks), ticks
    shown = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert all(s.lstrip("−-").isdigit() for s in shown), shown


def zero_heavy_tables_short() -> tuple[pd.DataFrame, pd.DataFrame]:
    fl, contracts = zero_heavy_tables()
    contracts = contracts.assign(end_step=contracts["end_step"] % 3 + 1)
    return fl.assign(exit_step=pd.array([3] * 20, dtype="Int64")), contracts


# ----------------------------------------------------------------------------- labels


@pytest.fixture
def dotted_conditions() -> pd.DataFrame:
    rows = []
    for w in (0.0, 1.0, 2.0):
        for ranking in ("random", "reputation"):
            m = 0.3 + 0.1 * w + (0.05 if ranking == "reputation" else 0.0)
            rows.append(
                {
                    "clients.reputation_weight": w,
                    "platform.ranking": ranking,
                    "market.unlisted_key": w,
                    "gini_earnings_mean": m,
                    "gini_earnings_lo": m - 0.02,
                    "gini_earnings_hi": m + 0.02,
                }
            )
    return pd.DataFrame(rows)


def test_swept_keys_read_the_same_on_every_figure(dotted_conditions):
    w_label = labels.KEY_LABELS["clients.reputation_weight"]
    r_label = labels.KEY_LABELS["platform.ranking"]
    assert "(" in w_label and "(" in r_label  # with a unit or kind
    by_w = sweep.plot_sweep_metric(
        dotted_conditions, "clients.reputation_weight", "gini_earnings", "platform.ranking"
    ).axes[0]
    by_r = sweep.plot_sweep_metric(
        dotted_conditions, "platform.ranking", "gini_earnings", "clients.reputation_weight"
    ).axes[0]
    heat = sweep.plot_sweep_heatmap(
        dotted_conditions, "clients.reputation_weight", "platform.ranking", "gini_earnings"
    ).axes[0]
    assert by_w.get_xlabel() == w_label == by_r.get_legend().get_title().get_text()
    assert by_r.get_xlabel() == r_label == by_w.get_legend().get_title().get_text()
    assert heat.get_xlabel() == w_label and heat.get_ylabel() == r_label
    for ax in (by_w, by_r, heat):
        assert labels.metric_label("gini_earnings") in ax.get_title()
    assert w_label in by_w.get_title() and w_label in heat.get_title()
    # swept values as ticks: 0, 1, 2 (not 0.0, 1.0, 2.0)
    assert [t.get_text() for t in by_w.get_xticklabels()] == ["0", "1", "2"]


def test_an_unlisted_key_is_shown_as_the_dotted_key(dotted_conditions):
    sub = dotted_conditions[dotted_conditions["platform.ranking"] == "random"]
    ax = sweep.plot_sweep_metric(sub, "market.unlisted_key", "gini_earnings").axes[0]
    assert ax.get_xlabel() == "market.unlisted_key"
    assert labels.key_label("market.unlisted_key") == "market.unlisted_key"


def test_every_swept_key_of_the_shipped_experiments_has_a_label():
    import tomllib

    from marketplace_sim.data import experiments_dir

    keys: set[str] = set()
    for path in sorted(experiments_dir().glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        for section in ("sweep", "sample"):
            table = dict(doc.get(section, {}))
            table.update(table.pop("ranges", {}) if isinstance(table.get("ranges"), dict) else {})
            keys |= {k for k, v in table.items() if "." in k and isinstance(v, list)}
    assert keys, "no swept keys found"
    assert sorted(keys - set(labels.KEY_LABELS)) == []


def test_metric_labels_cover_every_metric_column():
    from marketplace_sim.model.marketplace import METRIC_COLUMNS

    assert sorted(set(METRIC_COLUMNS) - set(labels.METRIC_LABELS)) == []


# ----------------------------------------------------------------------------- file names


def test_run_figure_files_are_the_documented_stable_names():
    assert run.RUN_FIGURE_FILES == (
        "lorenz.png",
        "concentration.png",
        "earnings_ccdf.png",
        "ratings.png",
        "trajectories.png",
    )
    for name in run.RUN_FIGURE_FILES:
        assert f"``figures/{name}``" in (run.__doc__ or ""), name


def test_sweep_figure_patterns_give_the_names_sweeps_write():
    files = sweep.SWEEP_FIGURE_FILES
    fields = {"metric": "gini_earnings", "axis": "clients.reputation_weight"}
    names = {kind: pattern.format(**fields) for kind, pattern in files.items()}
    assert names == {  # as the experiments layer writes them (tests/test_experiment.py)
        "by_axis": "gini_earnings_by_clients.reputation_weight.png",
        "heatmap": "heatmap_gini_earnings.png",
        "unpredictability": "unpredictability_by_clients.reputation_weight.png",
        "over_time": "gini_earnings_over_time.png",
        "sensitivity": "sensitivity_gini_earnings.png",
    }
    for pattern in files.values():
        assert f"``{pattern}``" in (sweep.__doc__ or ""), pattern


def test_the_public_figures_are_importable_from_the_package():
    import marketplace_sim.plots as plots

    assert plots.draw_run_figures is run.draw_run_figures
    assert plots.plot_sweep_metric is sweep.plot_sweep_metric
    assert plots.metric_label is labels.metric_label is sweep.metric_label
    assert set(plots.__all__) <= set(dir(run)) | set(dir(sweep)) | set(dir(labels)) | {
        "plot_trajectories"
    }
    with pytest.raises(AttributeError):
        plots.plot_nothing  # noqa: B018
