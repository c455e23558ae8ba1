"""`marketplace-sim analyze` and sweeps that keep freelancers tables: outputs, bad input,
resume, and identical parts whatever the number of workers.

The worlds are tiny (60 freelancers, 60 weeks: enough for a first-year cohort of 30+).
"""

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import one_error_line, sweep

from marketplace_sim.analysis.attribution import FACTORS
from marketplace_sim.cli import main
from marketplace_sim.experiments.sweep import FREELANCERS_PART, load_experiment

ROOT = Path(__file__).resolve().parents[1]
SMOKE = (ROOT / "configs" / "smoke.toml").as_posix()
TINY = """
[set]
"run.steps" = 60
"market.freelancers" = 60
"market.clients" = 15
"market.entry_rate" = 0.2
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Run from an empty folder, so a default results/ lands there."""
    monkeypatch.chdir(tmp_path)


def experiment(tmp_path: Path, keep: bool = True, name: str = "keep") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'base = "{SMOKE}"\n[experiment]\nreplications = 2\nroot_seed = 5\n'
        f"figures = false\nkeep_freelancers = {str(keep).lower()}\n"
        '[sweep]\n"clients.reputation_weight" = [0.0, 2.0]\n' + TINY
    )
    return path


def test_keep_freelancers_saves_each_runs_table_in_its_part(tmp_path):
    """With keep_freelancers, every part holds the run's freelancers table, with the prior
    track record and the final reputation index; `validate` says so."""
    exp = experiment(tmp_path)
    assert "keep_freelancers = true" in load_experiment(exp).describe()
    out = tmp_path / "s"
    assert sweep(exp, out, "--workers", "1") == 0
    runs = pd.read_parquet(out / "runs.parquet")
    for run_id in runs["run_id"]:
        fr = pd.read_parquet(out / "parts" / run_id / FREELANCERS_PART)
        assert {
            "freelancer_id",
            "expertise",
            "earnings",
            "earnings_first_year",
            "prior_jobs",
            "reputation",
        } <= set(fr.columns)
        assert (fr["prior_jobs"] == 0).all()  # a new platform (market.prior_jobs_mean = 0)
        assert fr["reputation"].notna().all()
        unseen = (fr["n_reviews"] == 0) & fr["jss"].isna() & ~fr["top_rated"]
        assert unseen.any() and (fr.loc[unseen, "reputation"] == 0).all()  # nothing shown yet
        assert (fr.loc[fr["n_reviews"] > 0, "reputation"] != 0).any()


def test_parts_are_identical_with_one_or_two_workers_and_after_resume(tmp_path):
    """Freelancers tables (and the sweep tables) are byte-identical with 1 and 2 workers; a part
    that lost its freelancers table is rerun by --resume and comes back identical."""
    exp = experiment(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    assert sweep(exp, a, "--workers", "1") == 0
    assert sweep(exp, b, "--workers", "2") == 0
    for name in ("runs", "steps", "conditions"):
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes()
    parts = sorted(p.name for p in (a / "parts").iterdir())
    for run_id in parts:
        assert (a / "parts" / run_id / FREELANCERS_PART).read_bytes() == (
            b / "parts" / run_id / FREELANCERS_PART
        ).read_bytes()
    lost = a / "parts" / parts[1] / FREELANCERS_PART
    before = lost.read_bytes()
    lost.unlink()
    assert sweep(exp, a, "--resume", "--workers", "1") == 0
    assert lost.read_bytes() == before
    man = json.loads((a / "manifest.json").read_text())
    assert man["runs_this_session"] == 1


def test_analyze_a_sweep_writes_attribution_per_regime(tmp_path, capsys):
    """`analyze SWEEP` uses the swept key as the regime: a summary row per regime and factor,
    a row per run and factor, a figure, and a readable summary per regime on stdout."""
    exp = experiment(tmp_path)
    out = tmp_path / "s"
    assert sweep(exp, out, "--workers", "1") == 0
    capsys.readouterr()
    assert main(["analyze", str(out)]) == 0
    text = capsys.readouterr().out
    assert "reputation_weight=0" in text and "reputation_weight=2" in text
    assert "top 10 % by earnings also top 10 % by expertise" in text
    d = out / "analysis"
    assert sorted(p.name for p in d.iterdir()) == [
        "attribution.parquet",
        "attribution.png",
        "attribution_runs.parquet",
    ]
    summary = pd.read_parquet(d / "attribution.parquet")
    assert len(summary) == 2 * len(FACTORS)
    assert set(summary["clients.reputation_weight"]) == {0.0, 2.0}
    assert (summary["replicates"] == 2).all()
    assert {
        "importance_mean",
        "importance_lo",
        "importance_hi",
        "importance_traits_mean",
        "r2_exposure_mean",
        "top10_merit_overlap_mean",
    } <= set(summary.columns)
    per_run = pd.read_parquet(d / "attribution_runs.parquet")
    assert len(per_run) == 4 * len(FACTORS)
    assert main(["analyze", str(out)]) == 0  # again: the analysis folder is replaced
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_analyze_a_run_folder_is_one_replicate(tmp_path, capsys):
    """`analyze RUN` says it is a single replicate and writes the same three files."""
    run = tmp_path / "r"
    assert (
        main(
            [
                "run",
                SMOKE,
                "--out",
                str(run),
                "--quiet",
                "--no-figures",
                "--steps",
                "60",
                "--set",
                "market.freelancers=60",
                "--set",
                "market.clients=15",
            ]
        )
        == 0
    )
    assert main(["analyze", str(run)]) == 0
    assert "one run (a single replicate" in capsys.readouterr().out
    assert (run / "analysis" / "attribution.parquet").is_file()


def test_analyze_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    """No such folder, a folder that is no result, a sweep without freelancers tables: exit 2,
    one line on stderr, nothing written."""
    assert main(["analyze", str(tmp_path / "nope")]) == 2
    assert "no such results folder" in one_error_line(capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["analyze", str(empty)]) == 2
    assert "not a run or sweep folder" in one_error_line(capsys)
    out = tmp_path / "s"
    assert sweep(experiment(tmp_path, keep=False, name="nokeep"), out, "--workers", "1") == 0
    capsys.readouterr()
    assert main(["analyze", str(out)]) == 2
    assert "keep_freelancers = true" in one_error_line(capsys)
    assert not (out / "analysis").exists()
