"""``marketplace-sim --version`` and ``marketplace-sim init DIR`` through the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from marketplace_sim.cli import main
from marketplace_sim.version import __version__


def test_version_prints_the_single_sourced_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"marketplace-sim {__version__}"
    assert main(["-V"]) == 0


def test_init_writes_a_tree_that_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "study"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("wrote study (") and "configs/, experiments/" in out
    assert main(["validate", "study/experiments/smoke.toml"]) == 0
    assert (
        main(
            [
                "run",
                "study/configs/smoke.toml",
                "--steps",
                "3",
                "--no-figures",
                "--quiet",
                "--out",
                "r",
            ]
        )
        == 0
    )
    assert (tmp_path / "r" / "steps.parquet").is_file()


def test_init_refuses_a_folder_with_files_and_touches_nothing(tmp_path, capsys):
    dest = tmp_path / "notes"
    dest.mkdir()
    (dest / "paper.tex").write_text("draft")
    assert main(["init", str(dest)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not empty" in err[0] and str(dest) in err[0]
    assert [p.name for p in dest.iterdir()] == ["paper.tex"]


def test_init_into_a_missing_parent_is_refused_and_creates_nothing(tmp_path, capsys):
    assert main(["init", str(tmp_path / "no" / "such" / "place")]) == 2
    assert "parent folder does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_shipped_worlds_and_experiments_by_name_from_any_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "smoke"]) == 0
    assert "steps = 52" in capsys.readouterr().out
    assert main(["validate", "reputation-weight"]) == 0
    assert "= 40 runs" in capsys.readouterr().out
    assert main(["run", "smoke", "--steps", "2", "--no-figures", "--quiet"]) == 0
    (run_dir,) = (tmp_path / "results" / "smoke").iterdir()
    assert capsys.readouterr().out.strip() == f"wrote {Path('results') / 'smoke' / run_dir.name}"
    assert main(["sweep", "smoke", "--workers", "1", "--quiet", "--out", "s"]) == 0
    assert capsys.readouterr().out.strip() == "wrote s"  # --quiet keeps the result line
    assert len(pd.read_parquet(tmp_path / "s" / "runs.parquet")) == 4


def test_an_unknown_name_is_one_line_with_a_suggestion(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "basline"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "marketplace-sim: error: basline: no such file, and no shipped world of that name "
        "(did you mean 'baseline'?)"
    ]
    assert main(["sweep", "reputation-weigth"]) == 2
    assert "did you mean 'reputation-weight'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_mistyped_commands_choices_and_options_get_a_suggestion(capsys):
    cases = {
        ("rn", "smoke"): "(did you mean 'run'?)",
        ("run", "smoke", "--stpes", "3"): "(did you mean '--steps'?)",
        ("sweep", "smoke", "--executor", "dusk"): "(did you mean 'dask'?)",
    }
    for argv, hint in cases.items():
        assert main(list(argv)) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and hint in err[0], err
    assert main(["run", "smoke", "--zzzz"]) == 2
    assert "did you mean" not in capsys.readouterr().err  # nothing close: no guess


def test_validate_reads_a_fit_file_as_a_fit_file(tmp_path, capsys):
    assert main(["validate", "fit-profiles"]) == 0
    assert "valid fit file; 5 keys estimated" in capsys.readouterr().out
    bad = tmp_path / "fit.toml"
    bad.write_text('[fit]\nbudget = 1000\n[params]\n"reviews.leniencyy" = [0.1, 0.5]\n')
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "reviews.leniencyy" in err[0] and "did you mean" in err[0]
