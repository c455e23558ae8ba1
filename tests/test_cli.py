"""The command line: run/validate/plot outputs, exit codes, and one-line errors."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import one_error_line

from marketplace_sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "configs" / "smoke.toml"
TINY = ["--set", "market.freelancers=60", "--set", "market.clients=15", "--steps", "12"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Run every CLI test from an empty folder, so the default results/ lands there."""
    monkeypatch.chdir(tmp_path)


def test_run_writes_a_complete_run_folder(tmp_path, capsys):
    """`run` writes config, manifest, the three tables and five figures."""
    out = tmp_path / "r"
    assert main(["run", str(SMOKE), "--out", str(out), *TINY, "--quiet"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "config.toml",
        "contracts.parquet",
        "figures",
        "freelancers.parquet",
        "manifest.json",
        "steps.parquet",
    ]
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert figs == [
        "concentration.png",
        "earnings_ccdf.png",
        "lorenz.png",
        "ratings.png",
        "trajectories.png",
    ]
    cfg = tomllib.loads((out / "config.toml").read_text())
    assert cfg["market"]["freelancers"] == 60 and cfg["run"]["steps"] == 12
    assert cfg["run"]["population_seed"] == 1  # resolved, every key
    man = json.loads((out / "manifest.json").read_text())
    assert man["seed"] == 1 and man["population_seed"] == 1
    assert man["versions"]["mesa"].startswith("3.")
    assert man["command"][:2] == ["marketplace-sim", "run"]
    assert len(pd.read_parquet(out / "steps.parquet")) == 12
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left over


def test_run_default_out_is_results_name_timestamp(tmp_path):
    """Without --out, results go to results/<config name>/<UTC timestamp>/."""
    assert main(["run", str(SMOKE), *TINY, "--quiet", "--no-figures"]) == 0
    runs = list((tmp_path / "results" / "smoke").iterdir())
    assert len(runs) == 1 and runs[0].name.endswith("Z")


def test_seed_flag_and_set_override(tmp_path):
    """--seed sets run.seed; --set takes TOML and bare words."""
    out = tmp_path / "r"
    argv = [
        "run",
        str(SMOKE),
        "--out",
        str(out),
        *TINY,
        "--seed",
        "5",
        "--quiet",
        "--no-figures",
        "--set",
        "platform.ranking=random",
    ]
    assert main(argv) == 0
    cfg = tomllib.loads((out / "config.toml").read_text())
    assert cfg["run"]["seed"] == 5 and cfg["platform"]["ranking"] == "random"


def test_existing_out_is_refused_unless_force(tmp_path, capsys):
    """A non-empty --out is refused with exit 2 and kept intact; --force replaces a run folder."""
    out = tmp_path / "r"
    assert main(["run", str(SMOKE), "--out", str(out), *TINY, "--quiet", "--no-figures"]) == 0
    (out / "keep.txt").write_text("mine")
    assert main(["run", str(SMOKE), "--out", str(out), *TINY, "--quiet"]) == 2
    assert "results folder exists" in one_error_line(capsys)
    assert (out / "keep.txt").read_text() == "mine"
    assert (
        main(["run", str(SMOKE), "--out", str(out), *TINY, "--quiet", "--force", "--no-figures"])
        == 0
    )
    assert not (out / "keep.txt").exists() and (out / "steps.parquet").exists()


BAD = {
    "unknown-key": ("[market]\nfreelancer = 5\n", "market.freelancer", "did you mean"),
    "wrong-type": ('[run]\nsteps = "ten"\n', "run.steps", "wrong type"),
    "negative-count": ("[market]\nclients = -1\n", "market.clients", "out of range"),
    "probability": ("[reviews]\nprob = 2.0\n", "reviews.prob", "out of range"),
    "syntax": ("[run\nsteps = 3\n", "line 1", "TOML syntax error"),
    "missing-base": ('base = "nowhere.toml"\n', "base", "not found"),
    "bad-choice": ('[platform]\nranking = "best"\n', "platform.ranking", "reputation"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_config_one_line_exit_2_nothing_written(tmp_path, capsys, case):
    """Bad configs: exit 2, one stderr line naming file and key, no results folder."""
    text, key, needle = BAD[case]
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out), "--quiet"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("marketplace-sim: error: ")
    assert str(bad) in line and key in line and needle in line
    assert not out.exists() and not (tmp_path / "results").exists()
    assert main(["validate", str(bad)]) == 2
    assert str(bad) in one_error_line(capsys)


def test_circular_base(tmp_path, capsys):
    """A circular base chain is one line, exit 2."""
    (tmp_path / "a.toml").write_text('base = "b.toml"\n')
    (tmp_path / "b.toml").write_text('base = "a.toml"\n')
    assert main(["validate", str(tmp_path / "a.toml")]) == 2
    assert "circular base chain" in one_error_line(capsys)


def test_missing_file_and_bad_set_and_usage(tmp_path, capsys):
    """Missing file, malformed --set, unknown --set key and a bad flag: exit 2, one line."""
    assert main(["run", str(tmp_path / "none.toml")]) == 2
    assert "none.toml: file not found" in one_error_line(capsys)
    assert main(["run", str(SMOKE), "--set", "run.steps"]) == 2
    assert "--set: run.steps: expected KEY=VALUE" in one_error_line(capsys)
    assert main(["run", str(SMOKE), "--set", "market.freelancerz=3"]) == 2
    assert "did you mean 'market.freelancers'" in one_error_line(capsys)
    assert main(["run", str(SMOKE), "--steps", "many"]) == 2
    assert "invalid int value" in one_error_line(capsys)
    assert main(["frobnicate"]) == 2
    one_error_line(capsys)
    assert not (tmp_path / "results").exists()


def test_validate_prints_every_resolved_key(capsys):
    """`validate` prints the resolved config (every key) and writes nothing."""
    assert main(["validate", str(SMOKE)]) == 0
    text = capsys.readouterr().out
    body = tomllib.loads(text)
    assert body["market"]["freelancers"] == 200 and body["run"]["population_seed"] == 1
    assert "exit_idle_slope" in body["freelancers"]


def test_plot_redraws_a_run_folder(tmp_path, capsys):
    """`plot` regenerates the five figures of a run folder."""
    out = tmp_path / "r"
    assert main(["run", str(SMOKE), "--out", str(out), *TINY, "--quiet", "--no-figures"]) == 0
    assert not (out / "figures").exists()
    capsys.readouterr()
    assert main(["plot", str(out)]) == 0
    assert len(list((out / "figures").glob("*.png"))) == 5
    assert main(["plot", str(tmp_path / "nothing")]) == 2


def test_console_script_end_to_end(tmp_path):
    """The installed module entry point runs as a process and exits 0 / 2."""
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "marketplace_sim",
            "run",
            str(SMOKE),
            "--out",
            str(tmp_path / "r"),
            *TINY,
            "--quiet",
            "--no-figures",
        ],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "marketplace_sim", "validate", str(tmp_path / "x.toml")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "x.toml: file not found" in bad.stderr


def test_out_that_is_or_encloses_the_current_folder_is_refused(tmp_path, capsys):
    """--out . --force would replace the folder we stand in: refused, nothing touched."""
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["run", str(SMOKE), "--out", ".", "--force", *TINY, "--quiet"]) == 2
    assert "encloses it" in one_error_line(capsys)
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert main(["run", str(SMOKE), "--out", "..", "--force", *TINY, "--quiet"]) == 2
    one_error_line(capsys)


def test_out_that_cannot_be_created_fails_before_simulating(tmp_path, capsys):
    """An --out below a file is one line, exit 2, and nothing is simulated or written."""
    (tmp_path / "afile").write_text("x")
    assert main(["run", str(SMOKE), "--out", "afile/sub", *TINY, "--quiet"]) == 2
    assert "cannot create its parent folder" in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
