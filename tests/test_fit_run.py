"""`marketplace-sim fit` on a tiny world: same results on 1 or 2 workers, resume, the folder,
and bad inputs refused in one line with nothing written."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import one_error_line

from marketplace_sim.analysis.observed import write_profiles
from marketplace_sim.cli import main
from marketplace_sim.config import load_config
from marketplace_sim.data import configs_dir
from marketplace_sim.experiments.fitting import FitFolder, FitInterrupted
from marketplace_sim.model.simulate import simulate
from marketplace_sim.model.snapshot import profiles_snapshot
from marketplace_sim.reports.fit import TABLES, FitOptions, write_fit

ROOT = Path(__file__).resolve().parents[1]
FIT = """
[fit]
root_seed = 7
budget = 50
particles = 10
batch = 20
check_replicates = 3
pilot_runs = 2

[params]
"reviews.leniency" = [0.1, 0.6]
"freelancers.exit_idle_slope" = { range = [0.0001, 0.001], prior = "loguniform" }
"""
#: pilot and refit 2 x 2 x 2, generation 0 30, generation 1 20, check 3
TOTAL = 8 + 30 + 20 + 3
OUTPUTS = [f"{t}.parquet" for t in TABLES] + [
    "fitted.toml",
    "figures/fit_marginals.png",
    "figures/fit_epsilon.png",
    "figures/fit_statistics.png",
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A tiny world (150 freelancers, two years), its observed profiles and a fit file."""
    d = tmp_path_factory.mktemp("fit-inputs")
    world = d / "tiny.toml"
    world.write_text(
        f'base = "{(configs_dir() / "baseline.toml").as_posix()}"\n'
        "[run]\nsteps = 104\n"
        "[market]\nfreelancers = 150\nclients = 40\nentry_rate = 0.8\nclient_entry_rate = 0.2\n",
        encoding="utf-8",
    )
    observed = write_profiles(
        profiles_snapshot(simulate(load_config(world, {"reviews.leniency": 0.25}))),
        d / "observed.csv",
    )
    fit = d / "fit.toml"
    fit.write_text(FIT, encoding="utf-8")
    return world, observed, fit


def fit_args(inputs, out, *extra):
    world, observed, fit = inputs
    return ["fit", str(observed), "--params", str(fit), "--config", str(world), "--out", str(out),
            "--quiet", *extra]  # fmt: skip


@pytest.fixture(scope="module")
def serial(inputs, tmp_path_factory):
    """The fit on one worker (in this process)."""
    out = tmp_path_factory.mktemp("fit") / "serial"
    assert main(fit_args(inputs, out, "--workers", "1")) == 0
    return out


def outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def test_the_fit_folder_holds_the_documented_files(serial):
    for name in OUTPUTS:
        assert (serial / name).is_file(), name
    man = json.loads((serial / "manifest.json").read_text())
    assert man["kind"] == "fit" and man["simulations"] == 50 and man["generations"] == 2
    assert man["simulations_this_session"] == TOTAL and man["resumed"] is False
    post = pd.read_parquet(serial / "posterior.parquet")
    assert len(post) == 10 and post["weight"].sum() == pytest.approx(1.0)
    assert list(post.columns[3:5]) == ["reviews.leniency", "freelancers.exit_idle_slope"]
    assert post["distance"].is_monotonic_increasing
    iv = pd.read_parquet(serial / "intervals.parquet").set_index("parameter")
    assert (iv["q05"] <= iv["median"]).all() and (iv["median"] <= iv["q95"]).all()
    assert (iv["lo"] <= iv["q05"]).all() and (iv["q95"] <= iv["hi"]).all()
    gens = pd.read_parquet(serial / "generations.parquet")
    assert list(gens["simulations"]) == [30, 20]
    assert gens["epsilon"].is_monotonic_decreasing  # pooling keeps the best: never worse
    sims = pd.read_parquet(serial / "simulations.parquet")
    assert len(sims) == 50 and sims["candidate"].is_unique
    comparison = pd.read_parquet(serial / "comparison.parquet")
    assert set(comparison["condition_id"]) == {"fitted"} and (comparison["replicates"] == 3).any()
    stats = pd.read_parquet(serial / "statistics.parquet")
    assert stats["used"].sum() >= 10


def test_fitted_toml_is_a_world_run_accepts_with_the_fitted_values(serial, tmp_path):
    iv = pd.read_parquet(serial / "intervals.parquet").set_index("parameter")
    cfg = load_config(serial / "fitted.toml")
    assert cfg.reviews.leniency == iv.loc["reviews.leniency", "fitted"]
    assert cfg.freelancers.exit_idle_slope == iv.loc["freelancers.exit_idle_slope", "fitted"]
    man = json.loads((serial / "manifest.json").read_text())
    assert cfg.market.freelancers == round(150 * man["fitted_scale_factor"])
    out = tmp_path / "run"
    assert main(["run", str(serial / "fitted.toml"), "--out", str(out), "--steps", "3",
                 "--no-figures", "--quiet"]) == 0  # fmt: skip


def test_same_seed_same_posterior_on_two_workers(inputs, serial, tmp_path):
    out = tmp_path / "two"
    assert main(fit_args(inputs, out, "--workers", "2")) == 0
    assert outputs(out) == outputs(serial)
    # one pool for the whole fit: its 7 rounds of simulations (pilots, 2 generations, refit
    # pilots, check) ran on the same 2 worker processes, not on 2 fresh ones per round
    workers = {json.loads(p.read_text())["worker"] for p in (out / "sims").glob("*/*.json")}
    # (at most 2: one worker may happen to take every short task of a round)
    assert 1 <= len(workers) <= 2 and f":{os.getpid()}" not in " ".join(workers)


def test_a_fit_interrupted_and_resumed_gives_the_same_results(
    inputs, serial, tmp_path, monkeypatch
):
    world, observed, fit = inputs
    out = tmp_path / "interrupted"
    save, saved = FitFolder.save, []

    def stop_at_25th(self, group, name, record):
        if len(saved) == 24:  # Ctrl-C as the 25th simulation (in generation 0) comes in
            raise KeyboardInterrupt
        save(self, group, name, record)
        saved.append(name)

    monkeypatch.setattr(FitFolder, "save", stop_at_25th)
    opts = FitOptions(world=world, workers=1)
    with pytest.raises(FitInterrupted, match="after 24 of at most 61 "):
        write_fit(observed, fit, out, opts)
    monkeypatch.undo()
    assert not (out / "manifest.json").exists() and len(list(out.glob("sims/*/*.json"))) == 24
    with pytest.raises(Exception, match="not empty"):  # neither --resume nor --force
        write_fit(observed, fit, out, opts)
    report = write_fit(observed, fit, out, FitOptions(world=world, workers=2, resume=True))
    assert report.result.ran == TOTAL - 24
    assert outputs(out) == outputs(serial)
    again = write_fit(observed, fit, out, FitOptions(world=world, workers=1, resume=True))
    assert again.result.ran == 0 and outputs(out) == outputs(serial)


def test_a_killed_fit_resumes_to_the_same_results(inputs, serial, tmp_path):
    """SIGKILL mid-fit (a real process, workers included), then --resume: identical output."""
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "marketplace_sim", *fit_args(inputs, out, "--workers", "2")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(list(out.glob("sims/g00/*.json"))) < 5 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(list(out.glob("sims/*/*.json")))
    assert 0 < done < TOTAL and not (out / "manifest.json").exists()
    assert main(fit_args(inputs, out, "--resume", "--workers", "1")) == 0
    man = json.loads((out / "manifest.json").read_text())
    assert man["resumed"] is True and man["simulations_this_session"] == TOTAL - done
    assert outputs(out) == outputs(serial)


def test_force_replaces_a_fit_folder_finished_or_not(inputs, serial, tmp_path):
    out = tmp_path / "forced"
    out.mkdir()
    (out / "fit.json").write_text("{}")  # an unfinished fit's state file
    assert main(fit_args(inputs, out, "--force", "--workers", "1")) == 0
    assert outputs(out) == outputs(serial)


# ----------------------------------------------------------------------------- bad inputs


def _bad_fit(tmp_path, text):
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing-observed", "no such file"),
        ("unknown-key", "params.reviews.lenency: unknown key (did you mean 'reviews.leniency'?)"),
        ("empty-range", "params.reviews.prob: empty range"),
        ("lo-equals-hi", "params.reviews.prob: empty range: lo = hi = 0.5"),
        ("lo-above-hi", "params.reviews.prob: lo must be below hi"),
        ("small-budget", "--budget: must be at least particles + batch = 30"),
        ("resume-and-force", "--resume: cannot be combined with --force"),
        ("foreign-folder", "is not a results folder made by marketplace-sim"),
    ],
)
def test_bad_inputs_exit_2_in_one_line_and_write_nothing(inputs, tmp_path, capsys, case, expected):
    world, observed, fit = inputs
    out = tmp_path / "out"
    args = fit_args(inputs, out)
    params = {
        "unknown-key": '[params]\n"reviews.lenency" = [0.1, 0.6]\n',
        "empty-range": '[params]\n"reviews.prob" = []\n',
        "lo-equals-hi": '[params]\n"reviews.prob" = [0.5, 0.5]\n',
        "lo-above-hi": '[params]\n"reviews.prob" = [0.9, 0.3]\n',
    }
    if case == "missing-observed":
        args[1] = str(tmp_path / "nothing.csv")
    elif case in params:
        args[3] = str(_bad_fit(tmp_path, params[case]))
    elif case == "small-budget":
        args += ["--budget", "29"]
    elif case == "resume-and-force":
        args += ["--resume", "--force"]
    elif case == "foreign-folder":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
        args.append("--force")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(args) == 2
    line = one_error_line(capsys)
    assert line.startswith("marketplace-sim: error: ") and expected in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    if case == "foreign-folder":
        assert [p.name for p in out.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_same_seed_same_posterior_on_a_dask_cluster(inputs, serial, tmp_path):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "dask"
    assert main(fit_args(inputs, out, "--executor", "dask", "--workers", "2")) == 0
    assert outputs(out) == outputs(serial)
    man = json.loads((out / "manifest.json").read_text())
    assert man["executor_description"].startswith("Dask local cluster")


def test_a_simulation_lost_with_its_worker_is_run_again(inputs, serial, tmp_path, monkeypatch):
    """A lost simulation never enters the results: retried at once; if it stays lost, the fit
    stops (exit 1) with the others saved, and a resume gives the same results."""
    import marketplace_sim.reports.fit as report_fit
    from marketplace_sim.analysis.fit.worker import lost_candidate, simulate_candidate
    from marketplace_sim.errors import FaultError

    world, observed, fit = inputs
    calls: dict[str, int] = {}

    def flaky(times):
        def run(spec):
            calls[spec["id"]] = calls.get(spec["id"], 0) + 1
            if spec["id"] == "g01-c00003" and calls[spec["id"]] <= times:
                return lost_candidate(spec, "worker process died")
            return simulate_candidate(spec)

        return run

    monkeypatch.setattr(report_fit, "simulate_candidate", flaky(2))
    out = tmp_path / "lost-twice"
    report = write_fit(observed, fit, out, FitOptions(world=world, workers=1))
    assert calls["g01-c00003"] == 3 and report.result.failed == ()
    assert outputs(out) == outputs(serial)

    calls.clear()
    monkeypatch.setattr(report_fit, "simulate_candidate", flaky(99))
    out = tmp_path / "lost-always"
    with pytest.raises(FaultError, match="1 simulations were lost") as info:
        write_fit(observed, fit, out, FitOptions(world=world, workers=1))
    assert info.value.exit_code == 1 and not (out / "sims/g01/c00003.json").exists()
    monkeypatch.undo()
    write_fit(observed, fit, out, FitOptions(world=world, workers=1, resume=True))
    assert outputs(out) == outputs(serial)
