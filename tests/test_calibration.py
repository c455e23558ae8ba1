"""Calibration: targets and loss on hand cases, statistics of a run, the search pipeline on a
tiny world (and `marketplace-sim calibrate`), and (slow) the calibrated baseline meeting its
targets over replicates."""

import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketplace_sim import MarketplaceModel, load_config
from marketplace_sim.analysis.calibration import (
    NAN_DISTANCE,
    TARGETS,
    Target,
    centrality,
    loss,
    round_value,
    run_search,
    run_statistics,
    statistics_from_frames,
    summarize,
    target_distances,
)
from marketplace_sim.cli import main
from marketplace_sim.experiments.sweep import load_experiment
from marketplace_sim.reports.calibration import baseline_text, calibration_markdown

ROOT = Path(__file__).resolve().parents[1]
BAND = Target("x", "x", 0.5, 0.9, 0.05, "fact", "test")
UPPER = Target("y", "y", None, 1.0, 0.1, "fact", "test")
LOWER = Target("z", "z", 0.7, None, 0.05, "fact", "test")


def inside_stats():
    """A statistic for every target, in the middle of its band (or just inside one end)."""
    out = {}
    for t in TARGETS:
        if t.lo is not None and t.hi is not None:
            out[t.stat] = (t.lo + t.hi) / 2
        else:
            out[t.stat] = t.lo + t.tol if t.lo is not None else t.hi - t.tol
    return out


# ------------------------------------------------------------------------------------------
# Targets and the loss


@pytest.mark.parametrize("value", [0.5, 0.7, 0.9])
def test_distance_is_zero_inside_the_band_ends_included(value):
    assert BAND.distance(value) == 0.0
    assert BAND.passes(value)


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [
        (BAND, 0.4, 2.0),  # 0.1 below 0.5, tolerance 0.05
        (BAND, 0.95, 1.0),  # 0.05 above 0.9
        (UPPER, 1.25, 2.5),  # one-sided: only above counts
        (UPPER, -5.0, 0.0),
        (LOWER, 0.6, 2.0),
        (LOWER, 123.0, 0.0),
    ],
)
def test_distance_outside_the_band_in_tolerances(target, value, expected):
    assert target.distance(value) == pytest.approx(expected)
    assert not target.passes(value) or expected == 0


def test_undefined_statistic_costs_the_nan_distance():
    assert BAND.distance(float("nan")) == NAN_DISTANCE
    assert BAND.distance(None) == NAN_DISTANCE
    assert loss({}, [BAND]) == pytest.approx(NAN_DISTANCE**2)


def test_loss_is_the_sum_of_squared_distances():
    targets = [BAND, UPPER, LOWER]
    assert loss({"x": 0.7, "y": 0.2, "z": 0.9}, targets) == 0.0
    # 2 tolerances out on x, 2.5 on y, inside on z: 4 + 6.25
    assert loss({"x": 0.4, "y": 1.25, "z": 0.9}, targets) == pytest.approx(10.25)
    assert target_distances({"x": 0.4, "y": 1.25, "z": 0.9}, targets) == pytest.approx(
        {"x": 2.0, "y": 2.5, "z": 0.0}
    )


def test_loss_of_the_real_targets_zero_inside_known_outside():
    stats = inside_stats()
    assert loss(stats) == 0.0
    for t in TARGETS:
        moved = dict(stats)
        moved[t.stat] = (t.hi + 3 * t.tol) if t.hi is not None else (t.lo - 3 * t.tol)
        assert loss(moved) == pytest.approx(9.0), t.stat


def test_centrality_is_zero_in_the_middle_and_one_at_an_edge():
    assert BAND.centrality(0.7) == 0.0
    assert BAND.centrality(0.9) == pytest.approx(1.0)
    assert UPPER.centrality(0.3) == 0.0  # one-sided bands have no middle
    assert centrality(inside_stats()) == pytest.approx(0.0)


def test_targets_are_well_formed():
    names = [t.stat for t in TARGETS]
    assert len(names) == len(set(names))
    for t in TARGETS:
        assert t.lo is not None or t.hi is not None
        assert t.lo is None or t.hi is None or t.lo < t.hi
        assert t.tol > 0 and t.kind in ("fact", "sanity") and t.source


# ------------------------------------------------------------------------------------------
# Statistics of a run


def test_statistics_from_hand_made_frames():
    steps = pd.DataFrame(
        {
            "step": [4, 8, 16],
            "freelancers_active": [100, 80, 90],
            "jobs_posted": [10, 30, 10],
            "fill_rate": [1.0, 0.5, 1.0],
            "mean_rating": [4.0, 4.5, 4.6],
            "share_top_rated": [0.0, 0.05, 0.1],
            "gini_earnings": [0.5, 0.6, 0.8],
            "top10_share": [0.3, 0.4, 0.6],
            "mean_rate": [25.0, 26.0, 27.0],
            "share_never_hired": [0.5, 0.4, 0.3],
            "top1_share": [0.1, 0.1, 0.2],
            "merit_spearman": [0.1, 0.2, 0.3],
        }
    )
    fl = pd.DataFrame(
        {
            "jobs_completed": [0, 0, 0, 12, 1],
            "exit_step": pd.array([None, 3, None, None, None], dtype="Int32"),
            "rate": [10.0, 99.0, 20.0, 30.0, 40.0],
        }
    )
    s = statistics_from_frames(steps, fl, [0, 0, 0, 1, 2, 7], initial_freelancers=120)
    assert s["mean_rating"] == 4.6 and s["gini_earnings"] == 0.8
    assert s["share_five_star"] == pytest.approx(0.7)
    assert s["stars_4_over_5"] == pytest.approx(2 / 7)
    assert s["stars_3_over_4"] == pytest.approx(0.5)
    assert s["share_never_worked"] == pytest.approx(0.6)
    assert s["share_ten_plus"] == pytest.approx(0.2)
    assert s["ten_plus_among_hired"] == pytest.approx(0.5)
    assert s["share_rarely_worked"] == pytest.approx(0.8)
    assert s["fill_rate"] == pytest.approx((10 + 15 + 10) / 50)  # weighted by jobs posted
    assert s["active_growth"] == pytest.approx(90 / 80)  # mid-run = week 8
    assert s["active_vs_start"] == pytest.approx(0.75)
    assert s["median_rate"] == pytest.approx(25.0)  # the one who left is not counted
    # five counts (no unused index 0) work the same
    s5 = statistics_from_frames(steps, fl, [0, 0, 1, 2, 7], 120)
    assert s5["share_five_star"] == pytest.approx(0.7)


def test_run_statistics_of_a_small_model_are_finite():
    cfg = load_config(ROOT / "configs" / "smoke.toml", {"run.record_contracts": False})
    model = MarketplaceModel(cfg)
    model.run_for(cfg.run.steps)
    s = run_statistics(model)
    for t in TARGETS:
        assert math.isfinite(s[t.stat]), t.stat
    counts = model.star_counts[1:]
    assert s["share_five_star"] == pytest.approx(counts[4] / counts.sum())
    assert s["n_ever"] == model.freelancers.n


def test_a_calibration_run_goes_through_the_one_run_loop(monkeypatch):
    """run_point simulates with model.simulate.simulate (counted here) and returns the same
    statistics as running the model by hand; a bad config is data (an error, no stats)."""
    import marketplace_sim.model.simulate as sim
    from marketplace_sim.analysis.calibration import run_point, world

    calls = []
    real = sim.simulate

    def counting(cfg, progress=None):
        calls.append(cfg.run.seed)
        return real(cfg, progress)

    monkeypatch.setattr(sim, "simulate", counting)
    cfg = load_config(ROOT / "configs" / "smoke.toml", {"run.steps": 20})
    out = run_point({"run_id": "a", "point": "p", "config": world(cfg, 3)})
    assert calls == [3] and out["error"] is None and out["point"] == "p"
    same = {"run.seed": 3, "run.population_seed": 3, "run.record_every": 4}
    by_hand = MarketplaceModel(cfg.with_overrides({**same, "run.record_contracts": False}))
    by_hand.run_for(20)
    expected = run_statistics(by_hand)
    assert out["stats"].keys() == expected.keys()
    for k, v in expected.items():
        got = out["stats"][k]
        assert got == v or (math.isnan(got) and math.isnan(v)), k  # the same run, exactly
    bad = run_point({"run_id": "b", "config": {"run": {"steps": -1}}})
    assert bad["stats"] == {} and bad["error"].startswith("ConfigError")


def test_summarize_counts_replicates_in_band():
    runs = pd.DataFrame([{**inside_stats(), "mean_rating": r} for r in (4.6, 4.7, 5.0)])
    row = summarize(runs).set_index("stat").loc["mean_rating"]
    assert row["mean"] == pytest.approx(4.7667, abs=1e-4)
    assert row["in_band"] == 2 and row["n"] == 3 and row["passes"]
    assert row["ci_lo"] < row["mean"] < row["ci_hi"]


# ------------------------------------------------------------------------------------------
# Writing the baseline


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("reviews.leniency", 0.37123, 0.37),
        ("freelancers.exit_idle_slope", 0.000347, 0.00035),
        ("market.entry_rate", 12.37, 12.0),
        ("market.freelancers", 1999.6, 2000),
        ("freelancers.exit_base", 0.0, 0.0),
    ],
)
def test_round_value(key, value, expected):
    out = round_value(key, value)
    assert out == pytest.approx(expected)
    assert type(out) is type(expected)


def test_baseline_text_sets_the_chosen_keys_with_comments_and_keeps_the_rest():
    current = tomllib.loads((ROOT / "configs" / "baseline.toml").read_text())
    chosen = {"reviews.leniency": 0.4, "market.entry_rate": 12.0, "jobs.post_rate": 0.55}
    text = baseline_text(current, chosen, {k: v * 1.001 for k, v in chosen.items()})
    data = tomllib.loads(text)
    assert data["reviews"]["leniency"] == 0.4 and data["market"]["entry_rate"] == 12.0
    assert data["market"]["freelancers"] == current["market"]["freelancers"]
    assert data["clients"]["reputation_weight"] == current["clients"]["reputation_weight"]
    for name in ("leniency", "entry_rate", "post_rate"):
        assert comment_above(text, name).startswith("calibrated"), name
    assert "before rounding" in comment_above(text, "leniency")
    with_span = baseline_text(current, chosen, chosen, {"reviews.leniency": (0.3, 0.5)})
    assert "0.3 to 0.5" in comment_above(with_span, "leniency")
    assert "before rounding" not in comment_above(with_span, "leniency")


def comment_above(text, name):
    """The comment block just above the line that sets ``name``, without the '#'s."""
    lines = text.splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.startswith(f"{name} ="))
    block = []
    while i > 0 and lines[i - 1].startswith("#"):
        i -= 1
        block.insert(0, lines[i].lstrip("# ").strip())
    return " ".join(block)


def test_baseline_sets_every_searched_key_with_a_calibrated_comment():
    """configs/baseline.toml is the search's output: every searched key is set there."""
    exp = load_experiment(ROOT / "experiments" / "calibration.toml")
    text = (ROOT / "configs" / "baseline.toml").read_text()
    data = tomllib.loads(text)
    for key in exp.sample.keys:
        section, name = key.split(".", 1)
        assert name in data.get(section, {}), key
        assert comment_above(text, name).startswith("calibrated"), key
        lo, hi = exp.sample.bounds[exp.sample.keys.index(key)]
        assert lo <= data[section][name] <= hi, key
    load_config(ROOT / "configs" / "baseline.toml")  # and it validates


# ------------------------------------------------------------------------------------------
# The pipeline, on a tiny world


TINY_SEARCH = """
base = "{smoke}"
[experiment]
replications = 1
root_seed = 7
[set]
"run.steps" = 30
"market.freelancers" = 60
"market.clients" = 20
[sample]
method = "lhs"
n = 3
[sample.ranges]
"reviews.leniency" = [0.2, 0.5]
"market.entry_rate" = [0.5, 2.0]
"""


def tiny_search(tmp_path):
    exp_file = tmp_path / "cal.toml"
    exp_file.write_text(TINY_SEARCH.format(smoke=(ROOT / "configs" / "smoke.toml").as_posix()))
    return exp_file


def test_search_pipeline_on_a_tiny_world(tmp_path):
    exp_file = tiny_search(tmp_path)
    result = run_search(exp_file, workers=1, top=2, replicates=2, confirm=2)
    assert result.runs == {"stage1": 3, "stage2": 6, "stage3": 4}
    assert result.chosen_point in {*result.candidates}
    s1 = result.stage1
    assert list(s1["point"]) == ["s000", "s001", "s002"]
    assert np.all(s1["loss"] >= 0) and s1["error"].isna().all()
    # stage 1 runs the experiment's points with its seeds
    exp = load_experiment(exp_file)
    assert list(s1["seed"]) == [r.seed for r in exp.runs()]
    assert len(result.stage2) == 6 and set(result.stage3["point"]) == {"chosen", "defaults"}
    md = calibration_markdown(result)
    assert "| `mean_rating` |" in md and "## The search" in md
    assert "marketplace-sim calibrate search experiments/calibration.toml" in md
    assert "python -m" not in md
    text = baseline_text({"run": {"steps": 30}}, result.chosen, result.chosen_raw)
    assert tomllib.loads(text)["reviews"]["leniency"] == result.chosen["reviews.leniency"]
    assert "python -m" not in text and "marketplace-sim calibrate search" in text


def test_calibrate_search_writes_the_folder_and_only_the_files_it_is_told(tmp_path, capsys):
    """`calibrate search` writes its results folder; the baseline and the page only where
    --write-baseline and --write-doc name them (both parse and validate); a second search
    into the same folder is refused without --force."""
    exp_file = tiny_search(tmp_path)
    out, base, doc = tmp_path / "out", tmp_path / "b.toml", tmp_path / "cal.md"
    args = ["calibrate", "search", str(exp_file), "--workers", "1", "--top", "1"]
    args += ["--replicates", "1", "--confirm", "1", "--out", str(out), "--quiet"]
    assert main([*args, "--write-baseline", str(base), "--write-doc", str(doc)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and f"wrote {base}" in printed and f"wrote {doc}" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "calibration.json",
        "manifest.json",
        "stage1.parquet",
        "stage2.parquet",
        "stage3.parquet",
    ]
    info = json.loads((out / "calibration.json").read_text())
    assert info["runs"] == {"stage1": 3, "stage2": 2, "stage3": 2}
    assert "stage1" not in info  # the tables are the Parquet files
    assert pd.read_parquet(out / "stage3.parquet")["loss"].notna().all()
    cfg = load_config(base)  # a valid world with the chosen values
    for key, value in info["chosen"].items():
        section, name = key.split(".", 1)
        assert getattr(getattr(cfg, section), name) == pytest.approx(value)
    assert doc.read_text().startswith("# Calibration of the baseline world")
    assert main(args) == 2  # the folder is not empty now
    assert "not empty" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_score_command_prints_the_targets_table(capsys):
    code = main(
        [
            "calibrate",
            "score",
            str(ROOT / "configs" / "smoke.toml"),
            "--replicates",
            "1",
            "--workers",
            "1",
            "--set",
            "run.steps=20",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    for t in TARGETS:
        assert t.stat in out


def test_score_command_refuses_a_malformed_set_in_one_line(capsys):
    code = main(["calibrate", "score", str(ROOT / "configs" / "smoke.toml"), "--set", "oops"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "expected KEY=VALUE" in err[0]


# ------------------------------------------------------------------------------------------
# The calibrated baseline (slow: three full baseline runs, ~5-10 s)


@pytest.mark.slow
def test_calibrated_baseline_meets_its_targets_over_replicates():
    """The baseline world as shipped, three seeds: the mean of every target statistic is in its
    band (J-shaped ratings, most never work, a thin Top Rated tier, concentrated earnings, a
    plausible market), and the J-shape and concentration hold in every replicate."""
    runs = []
    for seed in (11, 12, 13):
        cfg = load_config(
            ROOT / "configs" / "baseline.toml",
            {"run.seed": seed, "run.record_contracts": False, "run.record_every": 4},
        )
        model = MarketplaceModel(cfg)
        model.run_for(cfg.run.steps)
        runs.append(run_statistics(model))
    df = pd.DataFrame(runs)
    mean = df.mean().to_dict()
    missed = {t.stat: round(mean[t.stat], 3) for t in TARGETS if not t.passes(mean[t.stat])}
    assert not missed, f"targets missed on the mean of 3 replicates: {missed}"
    by = {t.stat: t for t in TARGETS}
    for stat in (
        "mean_rating",
        "share_five_star",
        "stars_4_over_5",
        "stars_3_over_4",
        "gini_earnings",
        "top10_share",
        "share_never_worked",
    ):
        assert all(by[stat].passes(v) for v in df[stat]), (stat, list(df[stat]))
