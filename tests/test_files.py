"""Every file is written under a temporary name and renamed: old or new, never half."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from marketplace_sim import files


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "table.txt"
    target.write_text("old")

    def half_then_fail(tmp):
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        files.atomic_write(target, half_then_fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.txt"]


def test_text_json_and_parquet_round_trip(tmp_path):
    files.write_text(tmp_path / "a.md", "héllo\n")
    files.write_json({"x": 1, "p": tmp_path}, tmp_path / "m.json")
    df = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, None]})
    files.write_parquet(df, tmp_path / "t.parquet")
    assert (tmp_path / "a.md").read_text(encoding="utf-8") == "héllo\n"
    assert '"p": "' + str(tmp_path) in (tmp_path / "m.json").read_text()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), df)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "m.json", "t.parquet"]


def test_save_figure_writes_a_png(tmp_path):
    from marketplace_sim.plots.style import new_figure

    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    files.save_figure(fig, tmp_path / "f.png", dpi=50)
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_temporary_names_are_recognised_and_only_they_are_removed(tmp_path):
    keep = [tmp_path / "notes.txt", tmp_path / ".hidden", tmp_path / "run.tmp-3"]
    for p in keep:
        p.write_text("x")
    tmp_file = files.temporary_name(tmp_path / "table.parquet")
    tmp_file.write_text("x")
    tmp_dir = files.temporary_name(tmp_path / "run", files.OLD_TAG)
    tmp_dir.mkdir()
    (tmp_dir / "inside").write_text("x")
    assert tmp_file.name == f".table.parquet.tmp-{os.getpid()}"
    assert files.is_temporary(tmp_file) and files.is_temporary(tmp_dir)
    assert not any(files.is_temporary(p) for p in keep)
    files.remove_temporaries(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in keep)


def test_atomic_dir_appears_complete_or_not_at_all(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError):
        with files.atomic_dir(out) as tmp:
            (tmp / "steps.parquet").write_text("partial")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with files.atomic_dir(out) as tmp:
        (tmp / "steps.parquet").write_text("done")
    assert [p.name for p in out.iterdir()] == ["steps.parquet"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_atomic_dir_does_not_replace_a_folder_that_appeared_unless_told(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(FileExistsError):
        with files.atomic_dir(out) as tmp:
            (tmp / "new").write_text("new")
            out.mkdir()
            (out / "theirs").write_text("theirs")
    assert [p.name for p in out.iterdir()] == ["theirs"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    with files.atomic_dir(out, replace=True) as tmp:
        (tmp / "new").write_text("new")
    assert [p.name for p in out.iterdir()] == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # the old one is gone, no trash


def test_tidy_dtypes_widens_without_changing_a_value():
    import numpy as np

    df = pd.DataFrame(
        {
            "count": np.array([1, 2, 3], dtype=np.int16),
            "exit": pd.array([None, 4, 5], dtype="Int32"),
            "share": np.array([0.5, 0.25, 1.0], dtype=np.float32),
            "first_year": pd.array([None, 1.5, 2.0], dtype="Float64"),
            "flag": [True, False, True],
            "name": ["a", "b", "c"],
        }
    )
    tidy = files.tidy_dtypes(df)
    assert {c: str(t) for c, t in tidy.dtypes.items()} == {
        "count": "int64",
        "exit": "Int64",
        "share": "float64",
        "first_year": "float64",
        "flag": "bool",
        "name": str(df["name"].dtype),
    }
    assert tidy["exit"].isna().tolist() == [True, False, False]
    assert np.isnan(tidy["first_year"].iloc[0]) and tidy["first_year"].iloc[1] == 1.5
    same = ["count", "exit", "share", "flag", "name"]  # NA in a float column becomes NaN
    pd.testing.assert_frame_equal(tidy[same], df[same], check_dtype=False)
    assert str(df["count"].dtype) == "int16"  # the input is not modified


def test_every_table_of_a_run_and_a_sweep_has_one_dtype_per_kind(tmp_path):
    from marketplace_sim.cli import main

    run = tmp_path / "run"
    assert main(["run", "smoke", "--steps", "8", "--out", str(run), "--quiet", "--no-figures"]) == 0
    sweep = tmp_path / "sweep"
    assert main(["sweep", "smoke", "--workers", "1", "--quiet", "--out", str(sweep)]) == 0
    allowed = {"int64", "Int64", "float64", "bool", "str", "object"}
    nullable = {}
    for path in [*run.glob("*.parquet"), *sweep.glob("*.parquet")]:
        dtypes = {c: str(t) for c, t in pd.read_parquet(path).dtypes.items()}
        assert set(dtypes.values()) <= allowed, (path.name, dtypes)
        nullable[path.name] = sorted(c for c, t in dtypes.items() if t == "Int64")
    # null means something only here: while active, without a review, a failed run's counts
    assert nullable["freelancers.parquet"] == ["exit_step"]
    assert nullable["contracts.parquet"] == ["stars"]
    assert "freelancers_active" in nullable["runs.parquet"]
