"""Small input rules (issue 10, item 6): flags before --set checks, symlinked configs, BOM,
empty base, empty config, and the message of an all-failed sweep."""

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import one_error_line, sweep

from marketplace_sim.cli import main
from marketplace_sim.experiments.executors import FAIL_ENV

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "configs" / "smoke.toml"  # 52 weeks
BASELINE = ROOT / "configs" / "baseline.toml"  # 520 weeks
SMALL = ["--set", "market.freelancers=60", "--set", "market.clients=15"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(FAIL_ENV, raising=False)


def steps_of(out: Path) -> int:
    return tomllib.loads((out / "config.toml").read_text())["run"]["steps"]


def test_steps_is_applied_before_set_values_are_checked_against_it(tmp_path, capsys):
    """--steps 100 makes week 80 valid over a 52-week file (refused before); --steps 10 over
    the 520-week baseline with an intervention at week 8 passes."""
    argv = ["run", str(SMOKE), "--out", "a", *SMALL, "--quiet", "--no-figures"]
    assert main([*argv, "--steps", "100", "--set", "interventions.first_job.at_step=80"]) == 0
    assert steps_of(tmp_path / "a") == 100
    argv = ["run", str(BASELINE), "--out", "b", *SMALL, "--quiet", "--no-figures"]
    assert main([*argv, "--steps", "10", "--set", "interventions.first_job.at_step=8"]) == 0
    assert steps_of(tmp_path / "b") == 10
    argv = ["run", str(SMOKE), "--out", "c", "--quiet", "--steps", "10"]
    assert main([*argv, "--set", "interventions.first_job.at_step=20"]) == 2
    line = one_error_line(capsys)
    assert (
        "interventions.first_job.at_step: week 20 is after the last week (run.steps = 10)" in line
    )
    assert not (tmp_path / "c").exists()


def test_flags_win_over_set_and_are_named_when_bad(tmp_path, capsys):
    """--steps and --seed override --set of the same key; a bad flag value names the flag."""
    argv = ["run", str(SMOKE), "--out", "r", *SMALL, "--quiet", "--no-figures"]
    assert main([*argv, "--set", "run.steps=30", "--steps", "12", "--seed", "4"]) == 0
    cfg = tomllib.loads((tmp_path / "r" / "config.toml").read_text())["run"]
    assert (cfg["steps"], cfg["seed"]) == (12, 4)
    assert main(["run", str(SMOKE), "--seed", "-1", "--quiet"]) == 2
    assert "--seed: run.seed: out of range" in one_error_line(capsys)


def test_a_symlinked_config_resolves_its_base_from_its_real_folder(tmp_path, capsys):
    """link.toml -> ../worlds/mine.toml with base = "base.toml": the base beside mine.toml."""
    worlds = tmp_path / "worlds"
    worlds.mkdir()
    (worlds / "base.toml").write_text(f'base = "{SMOKE.as_posix()}"\n[market]\nclients = 17\n')
    (worlds / "mine.toml").write_text('base = "base.toml"\n[market]\nfreelancers = 61\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "link.toml").symlink_to(Path("..") / "worlds" / "mine.toml")
    assert main(["validate", str(elsewhere / "link.toml")]) == 0
    body = tomllib.loads(capsys.readouterr().out)
    assert (body["market"]["freelancers"], body["market"]["clients"]) == (61, 17)
    argv = ["run", str(elsewhere / "link.toml"), "--out", "r", "--steps", "4", "--quiet"]
    assert main([*argv, "--no-figures"]) == 0
    assert len(pd.read_parquet(tmp_path / "r" / "steps.parquet")) == 4


def test_a_byte_order_mark_has_its_own_message(tmp_path, capsys):
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf[market]\nfreelancers = 60\n")
    assert main(["validate", str(bom)]) == 2
    line = one_error_line(capsys)
    assert f"{bom}: starts with a byte-order mark (BOM)" in line and "without BOM" in line
    exp = tmp_path / "exp.toml"
    exp.write_bytes(b'\xef\xbb\xbf[sweep]\n"platform.fee" = [0.1]\n')
    assert sweep(exp, tmp_path / "out") == 2
    assert "byte-order mark" in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bom.toml", "exp.toml"]


@pytest.mark.parametrize("base", ['""', '"   "'])
def test_an_empty_base_has_its_own_message(tmp_path, capsys, base):
    """base = "" used to read the config's own folder ('is a folder'): now named as empty."""
    cfg = tmp_path / "my.toml"
    cfg.write_text(f"base = {base}\n[market]\nfreelancers = 60\n")
    assert main(["validate", str(cfg)]) == 2
    line = one_error_line(capsys)
    assert f"{cfg}: base: is empty: give the path of a TOML file, or remove the line" in line
    assert main(["run", str(cfg), "--quiet"]) == 2
    assert "base: is empty" in one_error_line(capsys)


@pytest.mark.parametrize(
    "text", ["", "\n\n", "# nothing here yet\n"], ids=["0", "blank", "comment"]
)
def test_an_empty_config_is_the_default_world_with_a_notice(tmp_path, capsys, text):
    """Decision: an empty file is a valid config (every key has a default), run or validated
    as the default world, with a one-line notice on stderr since it is often a slip."""
    cfg = tmp_path / "empty.toml"
    cfg.write_text(text)
    assert main(["validate", str(cfg)]) == 0
    got = capsys.readouterr()
    assert got.err == f"note: {cfg} is empty: every key takes its default (the default world)\n"
    body = tomllib.loads(got.out)
    assert (body["market"]["freelancers"], body["run"]["steps"]) == (2000, 520)
    argv = ["run", str(cfg), "--out", "r", *SMALL, "--steps", "3", "--quiet", "--no-figures"]
    assert main(argv) == 0
    assert "is empty" in capsys.readouterr().err
    assert steps_of(tmp_path / "r") == 3


def test_an_all_failed_sweep_does_not_suggest_resume(tmp_path, capsys, monkeypatch):
    """Every run failed: exit 1 and one closing line without --resume (it would fail alike)."""
    exp = tmp_path / "exp.toml"
    exp.write_text(
        f'base = "{SMOKE.as_posix()}"\n[experiment]\nreplications = 2\nfigures = false\n'
        '[sweep]\n"platform.fee" = [0.1]\n[set]\n"run.steps" = 5\n'
    )
    monkeypatch.setenv(FAIL_ENV, "c000-r00,c000-r01")
    out = tmp_path / "out"
    assert sweep(exp, out, "--workers", "1") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[:2] == [
        "run c000-r00 failed: RuntimeError: injected failure (MARKETPLACE_SIM_FAIL_RUN)",
        "run c000-r01 failed: RuntimeError: injected failure (MARKETPLACE_SIM_FAIL_RUN)",
    ]
    assert err[2] == (
        f"marketplace-sim: error: all 2 runs failed (errors in {out / 'runs.parquet'}, column "
        "'error'); fix the cause first: a resume would run them the same way"
    )
    assert len(err) == 3 and "--resume" not in "\n".join(err)
    assert (pd.read_parquet(out / "runs.parquet")["status"] == "failed").all()
