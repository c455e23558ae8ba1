"""The Filippas pressure calibration: the private-vs-public statistic, the interpolation onto
24 %, and one source for the value the shipped experiment uses."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from marketplace_sim.analysis import filippas
from marketplace_sim.experiments.sweep import load_experiment

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "marketplace_sim" / "data" / "experiments"


def _log(rows):
    df = pd.DataFrame(rows, columns=["end_step", "stars", "private_outcome"])
    df["stars"] = pd.array(df["stars"], dtype="Int8")
    return df


def test_private_window_is_the_last_fifth_of_the_run():
    assert filippas.private_window(520) == (417, 520)  # years 9-10 of the decade
    assert filippas.private_window(156) == (126, 156)  # 31 weeks: round(156 / 5)
    assert filippas.private_window(1) == (1, 1)
    with pytest.raises(ValueError):
        filippas.private_window(0)


def test_the_statistic_on_a_hand_made_log():
    """Counted: failures (-1) with public stars ending inside the window; 4 and 5 count as 4+."""
    log = _log(
        [
            (10, 5, -1),  # in, failure, 5 stars: high
            (11, 4, -1),  # in, failure, 4 stars: high
            (12, 3, -1),  # in, failure, 3 stars
            (12, 1, -1),  # in, failure, 1 star
            (13, None, -1),  # in, failure, no public stars: not counted
            (12, 5, 0),  # neutral: not counted
            (12, 5, 1),  # success: not counted
            (9, 5, -1),  # before the window
            (21, 5, -1),  # after it
        ]
    )
    assert filippas.dissatisfied_counts(log, 10, 20) == (4, 2)
    assert filippas.dissatisfied_high_share(log, 10, 20) == pytest.approx(0.5)
    assert filippas.dissatisfied_counts(log, 9, 21) == (6, 4)  # the window's ends are inclusive
    assert np.isnan(filippas.dissatisfied_high_share(log, 30, 40))  # nobody dissatisfied


def test_crossing_interpolates_linearly_between_grid_points():
    x = [0.0, 1.0, 2.0]
    assert filippas.crossing(x, [0.0, 0.2, 0.6], 0.4) == pytest.approx(1.5)
    assert filippas.crossing(x, [0.0, 0.2, 0.6], 0.2) == 1.0  # on a grid point
    assert filippas.crossing(x, [0.6, 0.2, 0.0], 0.5) == pytest.approx(0.25)  # falling
    assert np.isnan(filippas.crossing(x, [0.0, 0.2, 0.3], 0.4))  # never reached


def test_calibrate_on_a_hand_case():
    """Three replicates per grid point, means 0.1 and 0.4, sd 0.01: the value is where the line
    through the means meets 0.24, the interval where the lines through the 95 % t-bounds do."""
    per_run = pd.DataFrame(
        {
            filippas.INFLATION: [0.0] * 3 + [1.0] * 3,
            "share": [0.09, 0.10, 0.11, 0.39, 0.40, 0.41],
        }
    )
    half = stats.t.ppf(0.975, 2) * 0.01 / np.sqrt(3)
    cal = filippas.calibrate(per_run)
    assert cal.value == pytest.approx((0.24 - 0.1) / 0.3)
    assert cal.low == pytest.approx((0.24 - 0.1 - half) / 0.3)  # the upper bound meets it first
    assert cal.high == pytest.approx((0.24 - 0.1 + half) / 0.3)
    assert [g[4] for g in cal.grid] == [3, 3]


def test_rounded_keeps_the_value_inside_its_interval():
    assert filippas.rounded(0.15902, 0.1562, 0.1628) == 0.16
    assert filippas.rounded(0.1541, 0.1520, 0.1580) == 0.155  # 0.15 is outside: steps of 0.005
    assert filippas.rounded(0.1583, 0.1573, 0.1594) == 0.1583  # neither step fits: as found


def test_the_shipped_pressure_is_the_calibrations_recorded_value():
    """One source: filippas-inflation.toml's pressured condition is the record's ``chosen``, the
    record's crossing follows from its own grid, and ``chosen`` lies in the interval."""
    rec = filippas.read_record()
    exp = load_experiment(EXPERIMENTS / "filippas-inflation.toml")
    levels = sorted({c.values[filippas.INFLATION] for c in exp.conditions})
    assert levels == [0.0, rec["chosen"]]
    grid = rec["grid"]
    xs = [g["inflation"] for g in grid]
    assert rec["value"] == pytest.approx(filippas.crossing(xs, [g["mean"] for g in grid], 0.24))
    assert rec["low"] <= rec["chosen"] <= rec["high"]
    assert rec["chosen"] == filippas.rounded(rec["value"], rec["low"], rec["high"])
    assert rec["target"] == filippas.TARGET == 0.24


def test_the_calibration_runs_the_same_world_as_the_experiment_it_sets():
    """Same world and settings (filippas-inflation is its base), its own grid and seeds."""
    cal = load_experiment(filippas.CALIBRATION_EXPERIMENT)
    exp = load_experiment(EXPERIMENTS / "filippas-inflation.toml")
    assert cal.settings.root_seed != exp.settings.root_seed
    grid = [c.values[filippas.INFLATION] for c in cal.conditions]
    assert grid[0] == 0.0 and grid[-1] == 0.6 and grid == sorted(grid)
    assert len(grid) == len(filippas.read_record()["grid"])

    def world(e):
        d = e.runs()[0].config_dict()
        for k in ("seed", "population_seed", "record_every"):
            d["run"].pop(k)
        d["reviews"].pop("inflation")
        return d

    assert world(cal) == world(exp)


def test_run_statistics_keeps_the_run_and_rises_with_the_pressure(tmp_path):
    """Re-simulating with the contract log reproduces the sweep's weekly rows exactly, and
    more pressure puts more of the dissatisfied at 4+ stars (two small worlds each)."""
    from marketplace_sim.config import validate_config
    from marketplace_sim.experiments.sweep import run_sweep
    from marketplace_sim.model.simulate import simulate

    smoke = (ROOT / "configs" / "smoke.toml").resolve().as_posix()
    toml = tmp_path / "p.toml"
    toml.write_text(
        f'base = "{smoke}"\n[experiment]\nname = "p"\nreplications = 2\nroot_seed = 5\n'
        '[sweep]\n"reviews.inflation" = [0.0, 0.4]\n[set]\n"reviews.leniency" = 0.05\n'
        '"run.steps" = 104\n"reviews.norm_weeks" = 26.0\n',
        encoding="utf-8",
    )
    exp = load_experiment(toml)
    per_run = filippas.run_statistics(exp, workers=1)
    assert list(per_run["run_id"]) == [r.run_id for r in exp.runs()]
    assert (per_run["dissatisfied"] > 0).all()
    calm = per_run[per_run[filippas.INFLATION] == 0.0]["share"]
    pressed = per_run[per_run[filippas.INFLATION] == 0.4]["share"]
    assert pressed.min() > calm.max() + 0.2, per_run

    run_sweep(exp, tmp_path / "out", workers=1, progress=False, quiet=True)
    steps = pd.read_parquet(tmp_path / "out" / "steps.parquet")
    first = exp.runs()[0]
    cfg = first.config_dict()
    cfg["run"]["record_contracts"] = True
    again = simulate(validate_config(cfg, first.run_id)).steps_frame()
    mine = steps[steps["run_id"] == first.run_id].reset_index(drop=True)
    for col in ("mean_stars_week", "mean_quality", "jobs_posted"):
        assert np.array_equal(mine[col].to_numpy(), again[col].to_numpy(), equal_nan=True), col
