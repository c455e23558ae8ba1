"""Reading results folders for analysis: missing or corrupt input is a one-line DataError
(exit 2), and `analyze` on runs too short for a first-year cohort says what it needs instead of
writing a grid of NaN."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import one_error_line

from marketplace_sim.analysis.results import analyze, result_runs
from marketplace_sim.cli import main
from marketplace_sim.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
SMOKE = (ROOT / "configs" / "smoke.toml").as_posix()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def run_folder(path: Path, n: int = 40, first_year: bool = True) -> Path:
    """A run folder holding only a freelancers table (what `analyze` reads)."""
    rng = np.random.default_rng(1)
    fr = pd.DataFrame(
        {t: rng.uniform(0, 1, n) for t in ("expertise", "communication", "reliability")}
    )
    fr["profile"], fr["niche_focus"] = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    fr["entry_step"] = rng.integers(0, 10, n)
    early = rng.uniform(0, 500, n)
    fr["earnings_first_year"] = early if first_year else np.nan
    fr["earnings"] = early + rng.uniform(0, 2000, n)
    path.mkdir()
    fr.to_parquet(path / "freelancers.parquet")
    return path


def test_missing_and_unsuitable_folders_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="no such results folder"):
        result_runs(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="not a run or sweep folder"):
        result_runs(tmp_path / "empty")


def test_corrupt_sweep_json_and_corrupt_table_are_data_errors(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "sweep.json").write_text("{not json")
    with pytest.raises(DataError, match="cannot read as JSON") as exc:
        result_runs(sweep)
    assert exc.value.exit_code == 2 and exc.value.path == str(sweep / "sweep.json")
    (sweep / "sweep.json").write_text(json.dumps([1, 2]))
    with pytest.raises(DataError, match="not a sweep description"):
        result_runs(sweep)
    run = tmp_path / "run"
    run.mkdir()
    (run / "freelancers.parquet").write_bytes(b"PAR1 this is not parquet")
    runs = result_runs(run)
    with pytest.raises(DataError, match="cannot read as Parquet"):
        list(runs.frames())


def test_analyze_without_a_first_year_cohort_says_what_it_needs(tmp_path):
    d = run_folder(tmp_path / "short", first_year=False)
    with pytest.raises(DataError) as exc:
        analyze(d)
    msg = str(exc.value)
    assert msg.startswith(str(d)) and "complete first year" in msg
    assert "runs longer than 52 weeks" in msg and "the most in one run here: 0" in msg
    small = run_folder(tmp_path / "small", n=20)
    with pytest.raises(DataError, match="the most in one run here: 20"):
        analyze(small)
    ok = analyze(run_folder(tmp_path / "ok", n=40))
    assert ok.per_run["r2_full"].notna().all() and len(ok.summary) == 6


@pytest.mark.filterwarnings("error")
def test_analyze_command_on_a_short_run_exits_2_in_one_line_and_writes_nothing(tmp_path, capsys):
    """A real 30-week run (no one has a first year yet): exit 2, one line naming the folder and
    what is needed, no analysis folder, and no numpy warning on the way."""
    run = tmp_path / "r"
    args = ["run", SMOKE, "--out", str(run), "--quiet", "--no-figures", "--steps", "30"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["analyze", str(run)]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"marketplace-sim: error: {run}: ")
    assert "complete first year" in line and "longer than 52 weeks" in line
    assert not (run / "analysis").exists()
    assert not [p for p in run.iterdir() if p.name.startswith(".")]


@pytest.mark.filterwarnings("error")
def test_analyze_prints_its_summary_and_one_wrote_line(tmp_path, capsys):
    d = run_folder(tmp_path / "ok", n=60)
    assert main(["analyze", str(d)]) == 0
    out = capsys.readouterr().out.splitlines()
    wrote = [ln for ln in out if ln.startswith("wrote ")]
    assert wrote == [f"wrote {d / 'analysis'}"] and out[-1] == wrote[0]
    assert sorted(p.name for p in (d / "analysis").iterdir()) == [
        "attribution.parquet",
        "attribution.png",
        "attribution_runs.parquet",
    ]
