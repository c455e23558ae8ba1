"""Tests for marketplace_sim.plots.run and .sweep on small hand-built tables."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from marketplace_sim import metrics
from marketplace_sim.plots import labels  # noqa: E402
from marketplace_sim.plots import run as run_figs  # noqa: E402
from marketplace_sim.plots import sweep as sweep_figs  # noqa: E402

N_FREELANCERS = 30
N_CONTRACTS = 200
N_WEEKS = 52
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RUN_PNGS = {"lorenz", "concentration", "earnings_ccdf", "ratings", "trajectories"}


# ----------------------------------------------------------------------------- fixtures


def make_contracts(rng: np.random.Generator, n: int = N_CONTRACTS) -> pd.DataFrame:
    # Freelancers 0..24 get work with skewed odds; 25..29 never do.
    weights = 1.0 / np.arange(1, 26) ** 1.1
    fid = rng.choice(25, size=n, p=weights / weights.sum())
    start = rng.integers(0, N_WEEKS - 4, size=n)
    end = start + rng.integers(1, 4, size=n)
    value = np.round(rng.lognormal(6.0, 0.8, size=n), 2)
    stars = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.04, 0.04, 0.1, 0.22, 0.6])
    no_review = rng.random(n) < 0.25
    return pd.DataFrame(
        {
            "contract_id": np.arange(n),
            "freelancer_id": fid,
            "client_id": rng.integers(0, 40, size=n),
            "niche": rng.choice(["web", "data", "design"], size=n),
            "start_step": start,
            "end_step": end,
            "value": value,
            "fee": np.round(0.1 * value, 2),
            "quality": rng.random(n),
            "on_time": rng.random(n) < 0.8,
            "satisfaction": rng.random(n),
            "stars": pd.array(np.where(no_review, None, stars), dtype="Int8"),
            "private_outcome": rng.choice([-1, 0, 1], size=n).astype(np.int8),
            "rehire": rng.random(n) < 0.3,
        }
    )


def make_freelancers(rng: np.random.Generator, contracts: pd.DataFrame) -> pd.DataFrame:
    ids = np.arange(N_FREELANCERS)
    net = (contracts["value"] - contracts["fee"]).groupby(contracts["freelancer_id"]).sum()
    earnings = net.reindex(ids, fill_value=0.0).to_numpy()
    jobs = contracts.groupby("freelancer_id").size().reindex(ids, fill_value=0).to_numpy()
    reviewed = contracts.dropna(subset=["stars"])
    rating = reviewed.groupby("freelancer_id")["stars"].mean().reindex(ids).to_numpy(float)
    n_reviews = reviewed.groupby("freelancer_id").size().reindex(ids, fill_value=0).to_numpy()
    exit_step = pd.array([None] * N_FREELANCERS, dtype="Int64")
    exit_step[[3, 12, 27]] = [N_WEEKS - 5, N_WEEKS - 2, 20]  # one top earner, two others
    return pd.DataFrame(
        {
            "freelancer_id": ids,
            "expertise": rng.random(N_FREELANCERS),
            "communication": rng.random(N_FREELANCERS),
            "reliability": rng.random(N_FREELANCERS),
            "profile": rng.choice(["novice", "expert"], size=N_FREELANCERS),
            "niche_focus": rng.random(N_FREELANCERS),
            "home_niche": rng.choice(["web", "data", "design"], size=N_FREELANCERS),
            "entry_step": np.zeros(N_FREELANCERS, dtype=np.int64),
            "exit_step": exit_step,
            "jobs_completed": jobs,
            "earnings": earnings,
            "rating": rating,
            "n_reviews": n_reviews,
            "jss": np.where(jobs >= 5, rng.random(N_FREELANCERS), np.nan),
            "top_rated": jobs >= 10,
            "treated": False,
            "control": False,
        }
    )


def make_steps(rng: np.random.Generator) -> pd.DataFrame:
    t = np.arange(N_WEEKS)
    gini_series = 0.3 + 0.4 * (1 - np.exp(-t / 15))
    mean_rating = np.where(t < 3, np.nan, 4.4 + 0.1 * rng.standard_normal(N_WEEKS))
    return pd.DataFrame(
        {
            "step": t,
            "freelancers_active": 30 - t // 20,
            "gini_earnings": gini_series,
            "top1_share": 0.05 + 0.1 * gini_series,
            "top10_share": 0.2 + 0.5 * gini_series,
            "share_never_hired": np.linspace(0.9, 0.2, N_WEEKS),
            "mean_rating": mean_rating,
            "share_five_star": np.full(N_WEEKS, 0.6),
            "merit_spearman": np.linspace(0.0, 0.5, N_WEEKS),
            "fill_rate": np.full(N_WEEKS, 0.8),
            "n_top_rated": t // 10,
        }
    )


@pytest.fixture(scope="module")
def run_tables() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(12345)
    contracts = make_contracts(rng)
    return {
        "steps": make_steps(rng),
        "freelancers": make_freelancers(rng, contracts),
        "contracts": contracts,
    }


@pytest.fixture(scope="module")
def conditions() -> pd.DataFrame:
    rows = []
    for fee in (0.05, 0.1, 0.2):
        for policy in ("none", "boost_new", "cap"):
            m = 0.4 + fee + (0.1 if policy == "cap" else 0.0)
            rows.append(
                {
                    "fee_rate": fee,
                    "policy": policy,
                    "gini_mean": m,
                    "gini_lo": m - 0.03,
                    "gini_hi": m + 0.04,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def sweep_steps() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frames = []
    run = 0
    for cond, n_runs in (("c0", 4), ("c1", 4)):
        for _ in range(n_runs):
            frames.append(
                pd.DataFrame(
                    {
                        "run_id": run,
                        "condition_id": cond,
                        "step": np.arange(20),
                        "gini_earnings": rng.random(20),
                    }
                )
            )
            run += 1
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(autouse=True)
def no_pyplot_leaks():
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before, "plots must not open pyplot figures"


def texts_of(fig: Figure) -> list[Text]:
    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def title_of(ax) -> str:
    return ax.get_title()


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


# ----------------------------------------------------------------------------- lorenz


@pytest.mark.parametrize("active_only", [True, False])
def test_lorenz_gini_legend_matches_metrics(run_tables, active_only):
    fl = run_tables["freelancers"]
    fig = run_figs.plot_lorenz(fl, active_only=active_only)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert "Lorenz" in ax.get_title()
    assert "share of freelancers" in ax.get_xlabel()
    assert "share of total earnings" in ax.get_ylabel()
    subset = fl[fl["exit_step"].isna()] if active_only else fl
    expected = metrics.gini(subset["earnings"].to_numpy())
    found = [re.search(r"Gini = (\d\.\d\d)", t) for t in legend_texts(ax)]
    values = [m.group(1) for m in found if m]
    assert values == [f"{expected:.2f}"]
    # The curve is the metrics.lorenz curve; the diagonal runs from (0, 0) to (1, 1).
    pop, cum = metrics.lorenz(subset["earnings"].to_numpy())
    curve = next(ln for ln in ax.get_lines() if "Gini" in ln.get_label())
    np.testing.assert_allclose(curve.get_xdata(), pop)
    np.testing.assert_allclose(curve.get_ydata(), cum)
    diag = next(ln for ln in ax.get_lines() if "equality" in ln.get_label())
    np.testing.assert_allclose(diag.get_xydata(), [[0, 0], [1, 1]])
    assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 1)


def test_lorenz_without_earnings_does_not_fail(run_tables):
    fl = run_tables["freelancers"].assign(earnings=0.0)
    fig = run_figs.plot_lorenz(fl)
    assert any("Gini = n/a" in t for t in legend_texts(fig.axes[0]))


# ----------------------------------------------------------------------------- concentration


def test_concentration_lines_and_axes(run_tables):
    steps = run_tables["steps"]
    fig = run_figs.plot_concentration(steps)
    (ax,) = fig.axes
    assert ax.get_title()
    assert ax.get_xlabel() == "week"
    assert ax.get_ylim() == (0, 1)
    lines = ax.get_lines()
    assert len(lines) == 3
    assert {ln.get_label() for ln in lines} == {
        "Gini coefficient",
        "top-1 % share",
        "top-10 % share",
    }
    assert len(legend_texts(ax)) == 3
    # distinguishable without colour: all line styles and markers differ
    assert len({ln.get_linestyle() for ln in lines}) == 3
    assert len({ln.get_marker() for ln in lines}) == 3
    gini_line = next(ln for ln in lines if ln.get_label() == "Gini coefficient")
    np.testing.assert_allclose(gini_line.get_xdata(), steps["step"])
    np.testing.assert_allclose(gini_line.get_ydata(), steps["gini_earnings"])


# ----------------------------------------------------------------------------- ccdf


def test_earnings_ccdf_log_axes_and_never_hired(run_tables):
    fl = run_tables["freelancers"]
    fig = run_figs.plot_earnings_ccdf(fl)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "USD" in ax.get_xlabel()
    assert "share of paid freelancers" in ax.get_ylabel()
    share = float((fl["earnings"] == 0).mean())
    assert share > 0  # fixture has never-hired freelancers
    pct = f"{100 * share:.1f} %"
    assert pct in ax.get_title()
    assert any(pct in t for t in legend_texts(ax))
    (line,) = ax.get_lines()
    values, prob = metrics.ccdf(fl["earnings"].to_numpy())
    np.testing.assert_allclose(line.get_xdata(), values)
    np.testing.assert_allclose(line.get_ydata(), prob)
    assert np.all(line.get_xdata() > 0)


def test_earnings_ccdf_nobody_hired(run_tables):
    fig = run_figs.plot_earnings_ccdf(run_tables["freelancers"].assign(earnings=0.0))
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    assert "100.0 %" in ax.get_title()
    fig.canvas.draw()  # must render without errors


# ----------------------------------------------------------------------------- ratings


def bar_heights(ax) -> np.ndarray:
    return np.array([p.get_height() for p in ax.patches if isinstance(p, Rectangle)])


def test_ratings_bars_are_review_shares(run_tables):
    contracts = run_tables["contracts"]
    fig = run_figs.plot_ratings(contracts)
    (ax,) = fig.axes
    stars = [int(s) for s in contracts["stars"] if s is not pd.NA]
    expected = [stars.count(k) / len(stars) for k in range(1, 6)]
    np.testing.assert_allclose(bar_heights(ax), expected)
    np.testing.assert_allclose([p.get_x() + p.get_width() / 2 for p in ax.patches], range(1, 6))
    assert f"{np.mean(stars):.2f}" in ax.get_title()
    assert ax.get_ylabel() == "share of reviews"
    assert "stars" in ax.get_xlabel()


def test_ratings_without_reviews(run_tables):
    contracts = run_tables["contracts"].assign(stars=pd.array([pd.NA] * N_CONTRACTS, "Int8"))
    fig = run_figs.plot_ratings(contracts)
    (ax,) = fig.axes
    np.testing.assert_array_equal(bar_heights(ax), np.zeros(5))
    assert "no reviews" in ax.get_title()
    fig.canvas.draw()
    empty = run_figs.plot_ratings(contracts.iloc[:0])
    assert "no reviews" in empty.axes[0].get_title()


# ----------------------------------------------------------------------------- trajectories


def test_trajectories_lines_and_endpoints(run_tables):
    fl, contracts = run_tables["freelancers"], run_tables["contracts"]
    n_top, n_random = 5, 7
    fig = run_figs.plot_trajectories(fl, contracts, n_top=n_top, n_random=n_random, seed=3)
    ax_e, ax_r = fig.axes
    assert ax_e.get_shared_x_axes().joined(ax_e, ax_r)
    assert fig.get_suptitle()
    assert ax_r.get_xlabel() == "week"
    assert ax_e.get_ylabel() == "cumulative net earnings (USD)"
    assert "rating" in ax_r.get_ylabel()

    lines = ax_e.get_lines()
    assert len(lines) == n_top + n_random
    top = fl.sort_values("earnings", ascending=False).head(n_top)
    top_lines = [ln for ln in lines if ln.get_gid().startswith("top-")]
    assert [ln.get_gid() for ln in top_lines] == [f"top-{i}" for i in top["freelancer_id"]]
    np.testing.assert_allclose([ln.get_ydata()[-1] for ln in top_lines], top["earnings"])
    assert {ln.get_linestyle() for ln in top_lines} == {"-"}
    random_lines = [ln for ln in lines if ln.get_gid().startswith("random-")]
    assert len(random_lines) == n_random
    assert {ln.get_linestyle() for ln in random_lines} == {"--"}
    random_ids = {int(ln.get_gid().split("-")[1]) for ln in random_lines}
    assert random_ids.isdisjoint(top["freelancer_id"])
    for ln in random_lines:  # also end at their own final earnings (0 if never hired)
        fid = int(ln.get_gid().split("-")[1])
        assert ln.get_ydata()[-1] == pytest.approx(fl.loc[fid, "earnings"])
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        f"top {n_top} by final earnings",
        f"{n_random} randomly sampled others",
    ]

    # A line stops at its freelancer's exit week, otherwise at the last week in the data.
    exited = dict(zip(fl["freelancer_id"], fl["exit_step"], strict=True))
    last = contracts["end_step"].max()
    for ln in lines:
        fid = int(ln.get_gid().split("-")[1])
        end = last if pd.isna(exited[fid]) else exited[fid]
        assert ln.get_xdata()[-1] == end

    # Rating panel: one line per selected freelancer with a review, ending at the mean stars.
    reviewed = contracts.dropna(subset=["stars"])
    mean_stars = reviewed.groupby("freelancer_id")["stars"].mean()
    r_lines = ax_r.get_lines()
    selected = {int(ln.get_gid().split("-")[1]) for ln in lines}
    assert len(r_lines) == len(selected & set(mean_stars.index))
    for ln in r_lines:
        fid = int(ln.get_gid().split("-")[1])
        assert ln.get_ydata()[-1] == pytest.approx(mean_stars[fid])
        assert np.all((ln.get_ydata() >= 1) & (ln.get_ydata() <= 5))


def test_trajectories_running_values_for_one_freelancer(run_tables):
    fl, contracts = run_tables["freelancers"], run_tables["contracts"]
    fig = run_figs.plot_trajectories(fl, contracts, n_top=1, n_random=0)
    (line,) = fig.axes[0].get_lines()
    fid = int(fl.loc[fl["earnings"].idxmax(), "freelancer_id"])
    mine = contracts[contracts["freelancer_id"] == fid]
    per_week = (mine["value"] - mine["fee"]).groupby(mine["end_step"]).sum().cumsum()
    x, y = line.get_xdata(), line.get_ydata()
    assert x[0] == 0 and y[0] == 0  # starts at entry with nothing earned
    np.testing.assert_allclose(x[1:-1], per_week.index)
    np.testing.assert_allclose(y[1:-1], per_week.to_numpy())
    assert line.get_drawstyle() == "steps-post"


def test_trajectories_log_earnings_keeps_data(run_tables):
    fl, contracts = run_tables["freelancers"], run_tables["contracts"]
    lin = run_figs.plot_trajectories(fl, contracts, n_top=4, n_random=4)
    log = run_figs.plot_trajectories(fl, contracts, n_top=4, n_random=4, log_earnings=True)
    assert lin.axes[0].get_yscale() == "linear"
    assert log.axes[0].get_yscale() == "symlog"
    for a, b in zip(lin.axes[0].get_lines(), log.axes[0].get_lines(), strict=True):
        np.testing.assert_array_equal(a.get_xydata(), b.get_xydata())


def test_trajectories_sample_is_seeded(run_tables):
    fl, contracts = run_tables["freelancers"], run_tables["contracts"]

    def sample(seed):
        fig = run_figs.plot_trajectories(fl, contracts, n_top=3, n_random=6, seed=seed)
        return [ln.get_gid() for ln in fig.axes[0].get_lines()]

    assert sample(1) == sample(1)
    assert {sample(s)[3:] != sample(1)[3:] for s in range(2, 6)} == {True}


def test_trajectories_more_requested_than_available(run_tables):
    fl, contracts = run_tables["freelancers"], run_tables["contracts"]
    fig = run_figs.plot_trajectories(fl, contracts, n_top=25, n_random=10)
    assert len(fig.axes[0].get_lines()) == N_FREELANCERS


# ----------------------------------------------------------------------------- sweeps


def test_sweep_metric_numeric_axis_with_hue(conditions):
    fig = sweep_figs.plot_sweep_metric(conditions, axis="fee_rate", metric="gini", hue="policy")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["none", "boost_new", "cap"]
    assert len({(ln.get_linestyle(), ln.get_marker()) for ln in lines}) == 3
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3
    cap = conditions[conditions["policy"] == "cap"].sort_values("fee_rate")
    np.testing.assert_allclose(lines[2].get_xdata(), cap["fee_rate"])
    np.testing.assert_allclose(lines[2].get_ydata(), cap["gini_mean"])
    assert ax.get_xlabel() == "fee_rate"  # not a known config key: shown as it is
    assert ax.get_legend().get_title().get_text() == "policy"
    assert "95 %" in ax.get_title()


def test_sweep_metric_string_axis(conditions):
    fig = sweep_figs.plot_sweep_metric(conditions, axis="policy", metric="gini", hue="fee_rate")
    (ax,) = fig.axes
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["none", "boost_new", "cap"]
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(containers) == 3
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]  # no bands
    assert len(legend_texts(ax)) == 3


def test_sweep_metric_single_series_no_hue(conditions):
    sub = conditions[conditions["policy"] == "none"]
    fig = sweep_figs.plot_sweep_metric(sub, axis="fee_rate", metric="gini")
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 1
    assert ax.get_legend() is None
    fig = sweep_figs.plot_sweep_metric(
        sub.assign(fee_rate=["low", "mid", "high"]), "fee_rate", "gini"
    )
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["low", "mid", "high"]


def test_sweep_metric_rejects_ambiguous_rows(conditions):
    with pytest.raises(ValueError, match="several rows"):
        sweep_figs.plot_sweep_metric(conditions, axis="fee_rate", metric="gini")
    with pytest.raises(KeyError):
        sweep_figs.plot_sweep_metric(conditions, axis="fee_rate", metric="nope", hue="policy")


def test_sweep_heatmap(conditions):
    fig = sweep_figs.plot_sweep_heatmap(conditions, x="policy", y="fee_rate", metric="gini")
    ax, cax = fig.axes  # heatmap and colorbar
    (image,) = [im for im in ax.get_images() if isinstance(im, AxesImage)]
    grid = np.ma.getdata(image.get_array())
    assert grid.shape == (3, 3)
    expected = conditions.pivot(index="fee_rate", columns="policy", values="gini_mean")
    expected = expected[["none", "boost_new", "cap"]].sort_index()
    np.testing.assert_allclose(grid, expected.to_numpy())
    assert len(ax.texts) == 9
    assert {t.get_text() for t in ax.texts} == {f"{v:.2f}" for v in expected.to_numpy().ravel()}
    assert ax.get_xlabel() == "policy" and ax.get_ylabel() == "fee_rate"
    assert cax.get_ylabel()
    assert ax.get_title()


def test_sweep_heatmap_missing_cells(conditions):
    fig = sweep_figs.plot_sweep_heatmap(
        conditions.iloc[:-1], x="policy", y="fee_rate", metric="gini"
    )
    ax = fig.axes[0]
    assert sum(t.get_text() == "–" for t in ax.texts) == 1
    fig.canvas.draw()


def test_metric_over_time_groups_and_bands(sweep_steps):
    fig = sweep_figs.plot_metric_over_time(sweep_steps, "gini_earnings")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["c0", "c1"]
    expected = sweep_steps[sweep_steps["condition_id"] == "c1"].groupby("step")["gini_earnings"]
    np.testing.assert_allclose(lines[1].get_ydata(), expected.mean())
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    assert ax.get_xlabel() == "week"
    assert ax.get_ylabel() == labels.METRIC_LABELS["gini_earnings"]
    assert "2.5" in ax.get_title()


def test_metric_over_time_no_band_below_three_runs(sweep_steps):
    two_runs = sweep_steps[sweep_steps["run_id"].isin([0, 1, 4, 5])]
    fig = sweep_figs.plot_metric_over_time(two_runs, "gini_earnings")
    assert not [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(fig.axes[0].get_lines()) == 2


def test_metric_over_time_single_run(run_tables):
    fig = sweep_figs.plot_metric_over_time(run_tables["steps"], "mean_rating", group=None)
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), run_tables["steps"]["mean_rating"])
    assert ax.get_legend() is None


# ----------------------------------------------------------------------------- all figures


def all_figures(run_tables, conditions, sweep_steps) -> list[Figure]:
    fl, contracts, steps = (run_tables[k] for k in ("freelancers", "contracts", "steps"))
    return [
        run_figs.plot_lorenz(fl),
        run_figs.plot_concentration(steps),
        run_figs.plot_earnings_ccdf(fl),
        run_figs.plot_ratings(contracts),
        run_figs.plot_trajectories(fl, contracts),
        sweep_figs.plot_sweep_metric(conditions, "fee_rate", "gini", hue="policy"),
        sweep_figs.plot_sweep_metric(conditions, "policy", "gini", hue="fee_rate"),
        sweep_figs.plot_sweep_heatmap(conditions, "policy", "fee_rate", "gini"),
        sweep_figs.plot_metric_over_time(sweep_steps, "gini_earnings"),
    ]


def test_every_figure_has_title_labels_and_readable_fonts(run_tables, conditions, sweep_steps):
    with matplotlib.rc_context({"font.size": 6, "xtick.labelsize": 5, "legend.fontsize": 5}):
        figures = all_figures(run_tables, conditions, sweep_steps)
    for fig in figures:
        assert isinstance(fig, Figure)
        main_axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        assert fig.get_suptitle() or all(ax.get_title() for ax in main_axes)
        assert main_axes[-1].get_xlabel()
        assert all(ax.get_ylabel() for ax in main_axes)
        small = [(t.get_text(), t.get_fontsize()) for t in texts_of(fig) if t.get_fontsize() < 10]
        assert not small, small


def test_inputs_are_not_modified(run_tables, conditions, sweep_steps):
    copies = {k: v.copy(deep=True) for k, v in run_tables.items()}
    cond_copy, sweep_copy = conditions.copy(deep=True), sweep_steps.copy(deep=True)
    all_figures(run_tables, conditions, sweep_steps)
    for k, v in run_tables.items():
        pd.testing.assert_frame_equal(v, copies[k])
    pd.testing.assert_frame_equal(conditions, cond_copy)
    pd.testing.assert_frame_equal(sweep_steps, sweep_copy)


# ----------------------------------------------------------------------------- run folder


def write_run(run_dir: Path, tables: dict[str, pd.DataFrame], skip: tuple[str, ...] = ()) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if name not in skip:
            df.to_parquet(run_dir / f"{name}.parquet")


def assert_pngs(paths: list[Path], folder: Path, names: set[str]) -> None:
    assert {p.stem for p in paths} == names
    assert len(paths) == len(names)
    assert {p.name for p in folder.iterdir()} == {f"{n}.png" for n in names}
    for p in paths:
        assert p.parent == folder
        data = p.read_bytes()
        assert len(data) > 1000
        assert data[:8] == PNG_MAGIC


def test_registry_names_match_files():
    assert set(run_figs.RUN_FIGURES) == RUN_PNGS


def test_draw_run_figures_writes_five_pngs(tmp_path, run_tables):
    run_dir = tmp_path / "run_000"
    write_run(run_dir, run_tables)
    paths = run_figs.draw_run_figures(run_dir)
    assert_pngs(paths, run_dir / "figures", RUN_PNGS)
    assert [p.stem for p in paths] == list(run_figs.RUN_FIGURES)
    # 150 dpi: the PNG header's width field is figure width (inches) * 150
    width = int.from_bytes((run_dir / "figures" / "ratings.png").read_bytes()[16:20], "big")
    assert width == 6 * 150


def test_draw_run_figures_without_contracts(tmp_path, run_tables):
    run_dir = tmp_path / "run_001"
    write_run(run_dir, run_tables, skip=("contracts",))
    paths = run_figs.draw_run_figures(str(run_dir))
    # ratings and trajectories both need the contracts table
    assert_pngs(paths, run_dir / "figures", RUN_PNGS - {"ratings", "trajectories"})
