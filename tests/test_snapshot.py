"""The model as a visitor sees it: listed profiles in the observed format, from model state."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketplace_sim.config import load_config
from marketplace_sim.errors import DataError
from marketplace_sim.model.simulate import simulate
from marketplace_sim.model.snapshot import (
    PROFILE_COLUMNS,
    display_round,
    listed_mask,
    profiles_from_run_folder,
    profiles_snapshot,
)

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "configs" / "smoke.toml"


def test_snapshot_has_the_observed_columns_and_dtypes(smoke_model):
    """Column names, order and dtypes are exactly the observed-profile format."""
    snap = profiles_snapshot(smoke_model)
    assert snap.dtypes.astype(str).to_dict() == PROFILE_COLUMNS
    assert list(snap.columns) == list(PROFILE_COLUMNS)


def test_snapshot_values_match_the_freelancers_table(smoke_model):
    """One row per listed freelancer; every value is freelancers_frame's, as displayed."""
    fl = smoke_model.freelancers_frame()
    listed = fl[fl["exit_step"].isna()].reset_index(drop=True)
    assert 0 < len(listed) < len(fl)  # the smoke run has exits, so the mask matters
    snap = profiles_snapshot(smoke_model)
    assert len(snap) == len(listed)
    assert (snap["reviews"] == listed["n_reviews"]).all()
    assert (snap["jobs"] == listed["jobs_completed"]).all()
    assert (snap["tenure_weeks"] == 52 - listed["entry_step"]).all()
    np.testing.assert_array_equal(snap["hourly_rate"], listed["rate"])
    np.testing.assert_array_equal(snap["earnings"], listed["earnings"])
    np.testing.assert_array_equal(snap["top_rated"], listed["top_rated"])
    # Displayed: one decimal, half up; a whole percent; NaN exactly where there is nothing.
    np.testing.assert_array_equal(snap["rating"], np.floor(listed["rating"] * 10 + 0.5 + 1e-9) / 10)
    np.testing.assert_array_equal(snap["jss"], np.floor(listed["jss"] * 100 + 0.5 + 1e-9))
    assert (snap["rating"].isna() == (listed["n_reviews"] == 0)).all()
    assert ((snap["rating"] * 10) % 1 == 0).where(snap["rating"].notna(), True).all()


def test_repeat_hire_is_the_share_of_logged_contracts_that_were_rehires(smoke_model):
    """repeat_hire per profile = rehires / completed contracts in the log; NaN without any."""
    fl = smoke_model.freelancers_frame()
    listed = fl[fl["exit_step"].isna()].reset_index(drop=True)
    log = smoke_model.contracts_frame()
    snap = profiles_snapshot(smoke_model)
    counted = 0
    for i, fid in enumerate(listed["freelancer_id"]):
        mine = log[log["freelancer_id"] == fid]
        if mine.empty:
            assert np.isnan(snap["repeat_hire"].iloc[i])
        else:
            assert snap["repeat_hire"].iloc[i] == mine["rehire"].sum() / len(mine)
            counted += 1
    assert counted > 10 and snap["repeat_hire"].max() > 0  # rehires happen in the smoke world


def test_without_the_contract_log_repeat_hire_is_nan():
    """run.record_contracts = false keeps no log: repeat_hire is NaN for everyone."""
    cfg = load_config(SMOKE).with_overrides({"run.record_contracts": False, "run.steps": 20})
    snap = profiles_snapshot(simulate(cfg))
    assert len(snap) > 0 and snap["repeat_hire"].isna().all()


def test_snapshot_at_an_intermediate_week():
    """Tenure counts from the model's current week, whatever it is."""
    from marketplace_sim import MarketplaceModel

    model = MarketplaceModel(load_config(SMOKE))
    model.run_for(10)
    snap = profiles_snapshot(model)
    entry = model.freelancers_frame().query("exit_step.isna()")["entry_step"].to_numpy()
    np.testing.assert_array_equal(snap["tenure_weeks"], 10 - entry)
    assert snap["tenure_weeks"].max() == 10


def test_display_round_is_half_up_and_keeps_nan():
    """4.85 shows as 4.9 (np.round would give 4.8), 97/20 too; NaN stays NaN."""
    got = display_round(np.array([4.85, 97 / 20, 4.95, 4.94, 4.449, np.nan, 5.0]), 1)
    np.testing.assert_array_equal(got, [4.9, 4.9, 5.0, 4.9, 4.4, np.nan, 5.0])
    np.testing.assert_array_equal(display_round(np.array([92.5, 0.4]), 0), [93.0, 0.0])


def test_listed_mask_is_the_profiles_without_an_exit():
    """Listed today means not exited (the one place a later dormant state will change)."""
    fl = pd.DataFrame({"exit_step": pd.array([None, 3, None], dtype="Int32")})
    assert listed_mask(fl).tolist() == [True, False, True]


def test_run_folder_snapshot_equals_the_model_snapshot(tmp_path, smoke_model, smoke_run):
    """The run folder of the same seeded world gives the very same profiles."""
    out = tmp_path / "run"
    shutil.copytree(smoke_run, out)  # a copy: the contract log is removed below
    pd.testing.assert_frame_equal(profiles_from_run_folder(out), profiles_snapshot(smoke_model))
    (out / "contracts.parquet").unlink()  # without the log: everything else unchanged
    again = profiles_from_run_folder(out)
    assert again["repeat_hire"].isna().all()
    pd.testing.assert_frame_equal(
        again.drop(columns="repeat_hire"),
        profiles_snapshot(smoke_model).drop(columns="repeat_hire"),
    )


def test_run_folder_problems_are_data_errors(tmp_path):
    """No freelancers table, a missing column, no steps table: one DataError naming it."""
    with pytest.raises(DataError, match="no freelancers.parquet"):
        profiles_from_run_folder(tmp_path)
    pd.DataFrame({"n_reviews": [1]}).to_parquet(tmp_path / "freelancers.parquet")
    with pytest.raises(DataError, match=r"freelancers\.parquet: freelancer_id: column missing"):
        profiles_from_run_folder(tmp_path)
    (tmp_path / "freelancers.parquet").write_bytes(b"garbage")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        profiles_from_run_folder(tmp_path)
