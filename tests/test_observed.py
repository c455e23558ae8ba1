"""Observed profiles in: the documented dtypes, one-line errors naming file, column and row."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketplace_sim.analysis.observed import (
    example_profiles_path,
    read_observed,
    read_profiles,
    write_profiles,
)
from marketplace_sim.errors import DataError
from marketplace_sim.model.snapshot import PROFILE_COLUMNS, profiles_from_run_folder

ROOT = Path(__file__).resolve().parents[1]
HEADER = "reviews,rating,tenure_weeks,hourly_rate,repeat_hire,jobs,earnings,jss,top_rated"
GOOD_ROWS = [
    "3,4.7,104,25.5,0.25,4,1200.5,92,true",
    "0,,10,40,,0,0,,false",
    "12,5.0,520.5,,1,15,18000,100,TRUE",
]


def _csv(tmp_path: Path, lines: list[str], name: str = "p.csv") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_a_good_csv_reads_into_the_documented_dtypes(tmp_path):
    """Every column comes back with its documented dtype; empty cells are NaN."""
    df = read_profiles(_csv(tmp_path, [HEADER, *GOOD_ROWS]))
    assert list(df.columns) == list(PROFILE_COLUMNS)
    assert df.dtypes.astype(str).to_dict() == PROFILE_COLUMNS
    assert df["reviews"].tolist() == [3, 0, 12]
    assert np.isnan(df["rating"].iloc[1]) and df["rating"].iloc[2] == 5.0
    assert df["tenure_weeks"].tolist() == [104.0, 10.0, 520.5]
    assert np.isnan(df["hourly_rate"].iloc[2]) and np.isnan(df["jss"].iloc[1])
    assert df["top_rated"].tolist() == [True, False, True]


def test_only_reviews_is_required_and_columns_keep_the_documented_order(tmp_path):
    """A file with reviews alone is valid; present columns follow PROFILE_COLUMNS order."""
    assert read_profiles(_csv(tmp_path, ["reviews", "0", "4"]))["reviews"].tolist() == [0, 4]
    df = read_profiles(_csv(tmp_path, ["tenure_weeks,reviews", "5,1"], "b.csv"))
    assert list(df.columns) == ["reviews", "tenure_weeks"]


def test_csv_and_parquet_read_identically(tmp_path):
    """The same profiles as CSV, as typed Parquet and as all-text Parquet read the same."""
    csv = _csv(tmp_path, [HEADER, *GOOD_ROWS])
    from_csv = read_profiles(csv)
    typed = tmp_path / "p.parquet"
    from_csv.to_parquet(typed, index=False)
    text = tmp_path / "t.pq"
    pd.read_csv(csv, dtype=str, keep_default_na=False).to_parquet(text, index=False)
    pd.testing.assert_frame_equal(read_profiles(typed), from_csv)
    pd.testing.assert_frame_equal(read_profiles(text), from_csv)


def test_extra_columns_are_ignored_with_one_notice(tmp_path):
    """Unknown columns are dropped and named in a single notice line."""
    obs = read_observed(_csv(tmp_path, ["profile_id,reviews,country", "a,1,NL", "b,0,DE"]))
    assert list(obs.frame.columns) == ["reviews"]
    assert obs.ignored == ("profile_id", "country")
    assert obs.notice() == f"notice: ignored columns profile_id, country of {obs.path}"
    assert read_observed(_csv(tmp_path, ["reviews", "1"], "c.csv")).notice() is None


BAD_CELLS = [
    # (header, rows, column, data row, words in the message)
    ("reviews,rating", ["1,4", "0,", "abc,3"], "reviews", 3, "not a number: 'abc'"),
    ("reviews", ["1", "-2"], "reviews", 2, "below 0"),
    ("reviews", ["2.5"], "reviews", 1, "not a whole number"),
    ("reviews,jobs", ["1,3", ",2"], "reviews", 2, "empty cell"),
    ("reviews,rating", ["1,4.5", "2,5.5"], "rating", 2, "above 5"),
    ("reviews,rating", ["1,-0.5"], "rating", 1, "below 0"),
    ("reviews,rating", ["1,4", "0,4.0"], "rating", 2, "0 reviews"),
    ("reviews,jobs", ["1,1", "1,1", "1,-1"], "jobs", 3, "below 0"),
    ("reviews,tenure_weeks", ["1,3", "1,-5"], "tenure_weeks", 2, "below 0"),
    ("reviews,hourly_rate", ["1,inf"], "hourly_rate", 1, "not a number"),
    ("reviews,repeat_hire", ["1,0.5", "1,1.2"], "repeat_hire", 2, "above 1"),
    ("reviews,jss", ["1,101"], "jss", 1, "above 100"),
    ("reviews,earnings", ["1,ten"], "earnings", 1, "not a number"),
    ("reviews,top_rated", ["1,yes", "1,maybe"], "top_rated", 2, "not true or false"),
    ("reviews,top_rated", ["1,"], "top_rated", 1, "empty cell"),
]


@pytest.mark.parametrize(("header", "rows", "column", "row", "words"), BAD_CELLS)
def test_a_bad_cell_names_file_column_and_first_bad_row(tmp_path, header, rows, column, row, words):
    """Bad values: one line 'FILE: COLUMN: what (data row N)', N the first bad data row."""
    p = _csv(tmp_path, [header, *rows])
    with pytest.raises(DataError) as err:
        read_profiles(p)
    msg = str(err.value)
    assert msg.startswith(f"{p}: {column}: ") and words in msg, msg
    assert f"(data row {row}" in msg and "\n" not in msg


def test_the_count_of_bad_rows_is_given_when_there_are_several(tmp_path):
    """The first bad row is named, and how many there are in all."""
    with pytest.raises(DataError, match=r"\(data row 2; 2 bad rows in all\)"):
        read_profiles(_csv(tmp_path, ["reviews", "1", "-1", "-3"]))


def test_a_bad_cell_in_parquet_is_found_too(tmp_path):
    """A Parquet column written as text is checked like CSV, with the same row count."""
    p = tmp_path / "p.parquet"
    pd.DataFrame({"reviews": ["1", "2", "x"]}).to_parquet(p)
    with pytest.raises(DataError, match=r"p\.parquet: reviews: not a number: 'x' \(data row 3\)"):
        read_profiles(p)
    pd.DataFrame({"reviews": [1, 2], "rating": [4.0, 7.0]}).to_parquet(p)
    with pytest.raises(DataError, match=r"rating: above 5: 7\.0 \(data row 2\)"):
        read_profiles(p)


def _corrupt(tmp_path: Path) -> Path:
    p = tmp_path / "c.parquet"
    p.write_bytes(b"PAR1 not really parquet at all")
    return p


FILE_CASES = {
    "missing reviews": (lambda t: _csv(t, ["rating", "4.5"]), "reviews: required column missing"),
    "case hint": (lambda t: _csv(t, ["Reviews", "4"]), "found 'Reviews'"),
    "semicolons": (lambda t: _csv(t, ["reviews;rating", "4;5"]), "must be comma-separated"),
    "empty file": (lambda t: _csv(t, []).write_bytes(b"") or t / "p.csv", "empty file"),
    "header only": (lambda t: _csv(t, ["reviews,rating"]), "no data rows"),
    "unknown extension": (lambda t: _csv(t, ["reviews", "1"], "p.xlsx"), "unknown extension"),
    "no such file": (lambda t: t / "nope.csv", "no such file"),
    "a folder": (lambda t: (t / "d.csv").mkdir() or t / "d.csv", "is a folder"),
    "corrupt parquet": (_corrupt, "not a readable Parquet file"),
    "not utf-8": (
        lambda t: (t / "l.csv").write_bytes(b"reviews,name\n1,Andr\xe9\n") and t / "l.csv",
        "not UTF-8",
    ),
    "ragged csv": (lambda t: _csv(t, ["reviews", "1,2,3"]), "more cells than the header"),
    "ragged later": (lambda t: _csv(t, ["reviews,x", "1,2", "3,4,5"]), "not a readable CSV"),
}


@pytest.mark.parametrize("case", FILE_CASES)
def test_a_bad_file_is_one_data_error_naming_it(tmp_path, case):
    """Unreadable, empty or wrong files: a DataError that starts with the file's path."""
    make, words = FILE_CASES[case]
    p = make(tmp_path)
    with pytest.raises(DataError) as err:
        read_profiles(p)
    assert str(err.value).startswith(str(p)) and words in str(err.value), str(err.value)
    assert err.value.exit_code == 2


def test_write_profiles_round_trips_at_display_precision(tmp_path):
    """Written profiles read back equal, money rounded to cents, for CSV and Parquet."""
    df = read_profiles(_csv(tmp_path, [HEADER, *GOOD_ROWS]))
    df.loc[0, "hourly_rate"] = 25.123456
    for name in ("w.csv", "w.parquet"):
        back = read_profiles(write_profiles(df, tmp_path / name))
        assert back["hourly_rate"].iloc[0] == 25.12
        pd.testing.assert_frame_equal(
            back.drop(columns="hourly_rate"), df.drop(columns="hourly_rate")
        )
    with pytest.raises(DataError, match="unknown extension"):
        write_profiles(df, tmp_path / "w.txt")


def test_the_shipped_example_is_the_documented_baseline_snapshot(tmp_path):
    """synthetic-profiles.csv is exactly what its README's commands make (baseline, seed 1)."""
    from marketplace_sim.cli import main

    shipped = example_profiles_path()
    obs = read_observed(shipped)
    assert obs.ignored == () and list(obs.frame.columns) == list(PROFILE_COLUMNS)
    assert len(obs.frame) == 1518
    assert "SYNTHETIC" in (shipped.parent / "README.md").read_text()
    run = tmp_path / "baseline-example"
    assert (
        main(
            [
                "run",
                str(ROOT / "configs" / "baseline.toml"),
                "--out",
                str(run),
                "--no-figures",
                "--quiet",
            ]
        )
        == 0
    )
    again = write_profiles(profiles_from_run_folder(run), tmp_path / "again.csv")
    assert again.read_bytes() == shipped.read_bytes(), (
        "the model changed: regenerate marketplace_sim/data/observed/synthetic-profiles.csv "
        "with the commands in its README.md"
    )
    shutil.rmtree(run)
