"""Experiments: design expansion, seeds, worlds, executors, resume, failures and bad input.

Every sweep here is a tiny world (60 freelancers, 15 clients, 20 weeks): the rules under test
do not depend on market size, and the whole file must stay quick on a loaded 2-core machine.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import one_error_line, sweep

from marketplace_sim.cli import main
from marketplace_sim.errors import ConfigError
from marketplace_sim.experiments.design import POPULATION_KEY, derive_seed, load_experiment
from marketplace_sim.experiments.executors import FAIL_ENV, LocalExecutor, RunSpec, run_spec
from marketplace_sim.experiments.sweep import fingerprint

ROOT = Path(__file__).resolve().parents[1]
SMOKE = (ROOT / "configs" / "smoke.toml").as_posix()
TABLES = ("runs", "steps", "conditions")
TINY_SET = """
[set]
"run.steps" = 20
"market.freelancers" = 60
"market.clients" = 15
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Run from an empty folder (a default results/ lands there) with no injected failure."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(FAIL_ENV, raising=False)


def write(tmp_path: Path, name: str, body: str, tiny: bool = True) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'base = "{SMOKE}"\n{body}\n{TINY_SET if tiny else ""}')
    return path


def assert_same_tables(a: Path, b: Path) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet")
        )
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes(), name


GRID = """
[experiment]
replications = 2
root_seed = 11
figures = false
[sweep]
"clients.reputation_weight" = [0, 1, 2]
"platform.ranking" = ["reputation", "random"]
"""


# ----------------------------------------------------------------------------- design


def test_grid_is_the_full_product_first_axis_slowest(tmp_path):
    """Conditions are the product of the axes in file order; levels take the schema's type."""
    exp = load_experiment(write(tmp_path, "grid", GRID))
    assert exp.axes == ("clients.reputation_weight", "platform.ranking")
    assert exp.levels["clients.reputation_weight"] == [0.0, 1.0, 2.0]
    got = [tuple(c.values.values()) for c in exp.conditions]
    assert got == [
        (0.0, "reputation"),
        (0.0, "random"),
        (1.0, "reputation"),
        (1.0, "random"),
        (2.0, "reputation"),
        (2.0, "random"),
    ]
    assert [c.condition_id for c in exp.conditions] == [f"c00{i}" for i in range(6)]
    assert exp.conditions[3].config.platform.ranking == "random"
    assert exp.conditions[3].config.clients.reputation_weight == 1.0
    runs = exp.runs()
    assert len(runs) == 12 and [r.run_id for r in runs] == sorted(r.run_id for r in runs)
    assert runs[0].run_id == "c000-r00" and runs[-1].run_id == "c005-r01"
    assert exp.base.run.steps == 20 and exp.base.market.freelancers == 60
    assert exp.base.run.record_contracts is False  # sweeps keep summaries only


def test_scalars_in_sweep_are_fixed_and_nested_tables_are_dotted_keys(tmp_path):
    """A scalar in [sweep] is a fixed value; `[sweep.platform]` reads like quoted dotted keys."""
    exp = load_experiment(
        write(
            tmp_path,
            "nested",
            """
[sweep.platform]
ranking = ["reputation", "random"]
fee = 0.2
""",
        )
    )
    assert exp.axes == ("platform.ranking",)
    assert exp.fixed["platform.fee"] == 0.2
    assert all(c.config.platform.fee == 0.2 for c in exp.conditions)


def test_resolved_experiment_file_reproduces_the_same_runs(tmp_path):
    """The self-contained experiment.toml a sweep writes describes exactly the same runs."""
    exp = load_experiment(write(tmp_path, "grid", GRID))
    copy = tmp_path / "copy.toml"
    copy.write_text(exp.to_toml())
    assert fingerprint(load_experiment(copy)) == fingerprint(exp)


# ----------------------------------------------------------------------------- seeds


def test_seeds_come_from_the_root_seed_through_seedsequence(tmp_path):
    """Run (c, r) gets SeedSequence(root).spawn(C)[c].spawn(R)[r]; recorded in its config."""
    exp = load_experiment(write(tmp_path, "grid", GRID))
    runs = exp.runs()
    tree = [child.spawn(2) for child in np.random.SeedSequence(11).spawn(6)]
    for run in runs:
        ss = tree[run.condition.index][run.replicate]
        assert run.seed == int(ss.generate_state(1, np.uint64)[0]) >> 1
        assert run.population_seed == run.seed  # without worlds: its own population
        cfg = run.config_dict()["run"]
        assert (cfg["seed"], cfg["population_seed"]) == (run.seed, run.population_seed)
    assert len({r.seed for r in runs}) == len(runs)
    again = load_experiment(write(tmp_path, "grid2", GRID)).runs()
    assert [r.seed for r in again] == [r.seed for r in runs]  # stable
    # a pinned value: changing the derivation would silently change every published sweep
    assert derive_seed(0, 0, 0) == 1317536309490288386


def test_worlds_share_one_population_and_differ_in_market_seed(tmp_path):
    """worlds = true: every run (all conditions) has one population seed and its own seed."""
    exp = load_experiment(
        write(tmp_path, "w", GRID.replace("replications = 2", "replications = 3\nworlds = true"))
    )
    runs = exp.runs()
    assert {r.population_seed for r in runs} == {derive_seed(11, POPULATION_KEY)}
    assert len({r.seed for r in runs}) == len(runs)


def test_sampled_designs_have_the_documented_sizes_and_round_integer_keys(tmp_path):
    """Sobol: N(2D+2) points (N(D+2) without S2); Morris: N(D+1); LHS: n; ints rounded."""
    ranges = """
[sample.ranges]
"clients.reputation_weight" = [0.0, 3.0]
"market.freelancers" = [40, 80]
"reviews.leniency" = [0.0, 0.5]
"""
    cases = {
        'method = "sobol"\nn = 8': 8 * (2 * 3 + 2),
        'method = "sobol"\nn = 8\nsecond_order = false': 8 * (3 + 2),
        'method = "morris"\nn = 5': 5 * (3 + 1),
        'method = "lhs"\nn = 7': 7,
    }
    for i, (head, size) in enumerate(cases.items()):
        exp = load_experiment(write(tmp_path, f"s{i}", f"[sample]\n{head}\n{ranges}"))
        assert len(exp.conditions) == size, head
        for c in exp.conditions:
            f = c.values["market.freelancers"]
            assert isinstance(f, int) and 40 <= f <= 80
            assert c.config.market.freelancers == f
            assert 0.0 <= c.values["clients.reputation_weight"] <= 3.0


# ----------------------------------------------------------------------------- execution


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_one_worker_two_workers_and_dask_give_identical_tables(tmp_path):
    """The same experiment gives byte-identical tables in-process, in a pool and on Dask."""
    exp = write(
        tmp_path,
        "worlds",
        """
[experiment]
replications = 2
worlds = true
figures = false
[sweep]
"clients.reputation_weight" = [0.0, 2.0]
""",
    )
    assert sweep(exp, tmp_path / "one", "--workers", "1") == 0
    assert sweep(exp, tmp_path / "two", "--workers", "2") == 0
    assert sweep(exp, tmp_path / "dask", "--executor", "dask", "--workers", "2") == 0
    assert_same_tables(tmp_path / "one", tmp_path / "two")
    assert_same_tables(tmp_path / "one", tmp_path / "dask")
    cond = pd.read_parquet(tmp_path / "one" / "conditions.parquet")
    assert cond["unpredictability"].between(0, 1).all()
    runs = pd.read_parquet(tmp_path / "one" / "runs.parquet")
    assert runs["population_seed"].nunique() == 1 and runs["seed"].nunique() == 4
    man = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert man["executor"] == "dask" and man["runs"] == 4 and man["root_seed"] == 0


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_sweep_killed_with_sigkill_resumes_to_the_same_tables(tmp_path):
    """SIGKILL mid-sweep, then --resume: only missing runs are done, tables as uninterrupted."""
    exp = tmp_path / "kill.toml"
    exp.write_text(
        f'base = "{SMOKE}"\n'
        + """
[experiment]
replications = 6
figures = false
[sweep]
"clients.reputation_weight" = [0.0, 1.0, 2.0, 3.0]
[set]
"run.steps" = 40
"market.freelancers" = 100
"market.clients" = 25
"""
    )
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "marketplace_sim",
            "sweep",
            str(exp),
            "--out",
            str(out),
            "--workers",
            "2",
            "--quiet",
        ],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 120
        while len(list((out / "parts").glob("c*"))) < 2:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.time() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, mid-write or not
        proc.wait()
    done = len(list((out / "parts").glob("c*")))
    assert 2 <= done < 24 and not (out / "runs.parquet").exists()
    assert sweep(exp, out, "--resume", "--workers", "1") == 0
    man = json.loads((out / "manifest.json").read_text())
    assert man["runs_this_session"] == 24 - done and man["resumed"] is True
    assert sweep(exp, tmp_path / "straight", "--workers", "1") == 0
    assert_same_tables(out, tmp_path / "straight")
    assert not [p for p in out.rglob(".*")]  # no temporary left over


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_pool_pulls_runs_lazily_and_returns_failures_as_data():
    """At most two runs per worker are in flight (memory stays flat); a bad run is a summary."""
    pulled = []

    def specs():
        for i in range(10):
            pulled.append(i)
            yield RunSpec(run_id=f"r{i}", config={"run": {"steps": "many"}})

    results = LocalExecutor(2).imap_unordered(run_spec, specs())
    spec, first = next(results)
    assert len(pulled) == 4  # 2 workers x 2 in flight, not all 10
    rest = list(results)
    assert sorted(s.run_id for s, _ in [(spec, first), *rest]) == sorted(f"r{i}" for i in range(10))
    for _, summary in [(spec, first), *rest]:
        assert summary.status == "failed" and summary.steps is None
        assert "run.steps: wrong type" in summary.error


def test_a_failing_run_is_recorded_the_rest_finish_and_resume_retries_it(
    tmp_path, monkeypatch, capsys
):
    """A run that raises: recorded with its error, others done, exit 1; --resume reruns it."""
    exp = write(
        tmp_path,
        "fail",
        """
[experiment]
replications = 2
record_every = 5
figures = false
[sweep]
"clients.reputation_weight" = [0.0, 2.0]
""",
    )
    out = tmp_path / "out"
    monkeypatch.setenv(FAIL_ENV, "c001-r00")
    assert sweep(exp, out, "--workers", "1") == 1
    err = capsys.readouterr().err
    assert "run c001-r00 failed: RuntimeError: injected failure" in err
    assert "1 of 4 runs failed" in err and "--resume" in err
    runs = pd.read_parquet(out / "runs.parquet")
    bad = runs.set_index("run_id").loc["c001-r00"]
    assert bad["status"] == "failed" and "injected failure" in bad["error"]
    assert pd.isna(bad["gini_earnings"])
    assert (runs["status"] == "ok").sum() == 3
    cond = pd.read_parquet(out / "conditions.parquet").set_index("condition_id")
    assert cond.loc["c001", "n_runs"] == 1 and cond.loc["c001", "n_failed"] == 1
    steps = pd.read_parquet(out / "steps.parquet")
    assert sorted(steps["run_id"].unique()) == ["c000-r00", "c000-r01", "c001-r01"]
    assert steps.groupby("run_id")["step"].apply(list).map(tuple).unique().tolist() == [
        (5, 10, 15, 20)
    ]  # record_every = 5, final week included
    monkeypatch.delenv(FAIL_ENV)
    assert sweep(exp, out, "--resume", "--workers", "1") == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs["status"] == "ok").all() and runs["error"].isna().all()
    assert json.loads((out / "manifest.json").read_text())["runs_this_session"] == 1


def test_figures_and_the_plot_command(tmp_path, capsys):
    """Figures per metric x axis, a heatmap, metric over time; `plot` redraws the same set."""
    exp = write(
        tmp_path,
        "fig",
        GRID.replace("figures = false", 'metrics = ["gini_earnings"]')
        .replace("[0, 1, 2]", "[0, 2]")
        .replace("replications = 2", "replications = 1"),
    )
    out = tmp_path / "out"
    assert sweep(exp, out, "--workers", "1") == 0
    names = sorted(p.name for p in (out / "figures").iterdir())
    assert names == [
        "gini_earnings_by_clients.reputation_weight.png",
        "gini_earnings_by_platform.ranking.png",
        "gini_earnings_over_time.png",
        "heatmap_gini_earnings.png",
    ]
    capsys.readouterr()
    assert main(["plot", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out / 'figures'} (4 figures)"
    assert sorted(p.name for p in (out / "figures").iterdir()) == names


def test_morris_design_runs_end_to_end_and_writes_indices(tmp_path):
    """A Morris design on a tiny world writes sensitivity.parquet with intervals and figures."""
    exp = write(
        tmp_path,
        "morris",
        """
[experiment]
metrics = ["gini_earnings", "share_never_hired"]
[sample]
method = "morris"
n = 3
[sample.ranges]
"clients.reputation_weight" = [0.0, 3.0]
"platform.search_weight" = [0.0, 2.0]
""",
    )
    out = tmp_path / "out"
    assert sweep(exp, out, "--workers", "1") == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 3 * (2 + 1)
    assert runs["clients.reputation_weight"].between(0, 3).all()
    sens = pd.read_parquet(out / "sensitivity.parquet")
    assert list(sens.columns) == [
        "method",
        "metric",
        "parameter",
        "parameter_2",
        "index",
        "value",
        "conf",
    ]
    mu_star = sens[sens["index"] == "mu_star"]
    assert set(mu_star["parameter"]) == {"clients.reputation_weight", "platform.search_weight"}
    assert (mu_star["value"] >= 0).all() and mu_star["conf"].notna().all()
    assert (out / "figures" / "sensitivity_gini_earnings.png").exists()


def test_validate_describes_an_experiment(tmp_path, capsys):
    """`validate` of an experiment prints its design, seeds and world; writes nothing."""
    exp = write(tmp_path, "grid", GRID)
    assert main(["validate", str(exp)]) == 0
    out = capsys.readouterr().out
    assert "6 conditions x 2 replications = 12 runs" in out
    assert "c005  clients.reputation_weight=2, platform.ranking=random" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.toml"]


# ----------------------------------------------------------------------------- bad input

BAD = {
    "empty axis": (
        '[sweep]\n"clients.reputation_weight" = []',
        "sweep.clients.reputation_weight: empty axis",
    ),
    "unknown key": (
        '[sweep]\n"clients.reputation_weigth" = [1.0]',
        "sweep.clients.reputation_weigth: unknown key (did you mean 'clients.reputation_weight'?)",
    ),
    "wrong type on an axis": (
        '[sweep]\n"clients.reputation_weight" = [1.0, "high"]',
        "sweep.clients.reputation_weight[1]: wrong type",
    ),
    "replications < 1": (
        '[experiment]\nreplications = 0\n[sweep]\n"platform.fee" = [0.1]',
        "experiment.replications: out of range",
    ),
    "seed in [set]": ('[experiment]\n[set]\n"run.seed" = 3', "set.run.seed: seeds are derived"),
    "not an experiment": ("[market]\nfreelancers = 100", "not an experiment"),
    "sobol n": (
        '[sample]\nmethod = "sobol"\nn = 6\n[sample.ranges]\n"platform.fee" = [0, 0.5]',
        "sample.n: Sobol designs need a power of 2",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, case):
    """Each bad input: exit 2, one stderr line naming file and key, no folder created."""
    body, expected = BAD[case]
    exp = tmp_path / "bad.toml"
    exp.write_text(f'base = "{SMOKE}"\n{body}\n')
    assert sweep(exp, tmp_path / "out") == 2
    line = one_error_line(capsys)
    assert f"{exp}: {expected}" in line
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()


def test_missing_base_is_one_line_exit_2(tmp_path, capsys):
    """A base that does not exist: the file and the key `base` are named."""
    exp = tmp_path / "nobase.toml"
    exp.write_text('base = "../nowhere/world.toml"\n[sweep]\n"platform.fee" = [0.1]\n')
    assert sweep(exp, tmp_path / "out") == 2
    assert f"{exp}: base: base file not found" in one_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_existing_folder_is_refused_and_resume_checks_the_experiment(tmp_path, capsys):
    """A non-empty --out needs --resume or --force; --resume refuses another experiment."""
    exp = write(
        tmp_path,
        "grid",
        GRID.replace("[0, 1, 2]", "[0]").replace("replications = 2", "replications = 1"),
    )
    out = tmp_path / "out"
    assert sweep(exp, out, "--workers", "1") == 0
    assert sweep(exp, out) == 2
    assert "--resume" in one_error_line(capsys)
    other = write(tmp_path, "other", GRID.replace("[0, 1, 2]", "[1]"))
    assert sweep(other, out, "--resume") == 2
    assert "different experiment" in one_error_line(capsys)
    assert sweep(exp, out, "--resume") == 0  # complete already: only reassembles
    (out / "mine.txt").write_text("old")
    assert sweep(exp, out, "--force", "--workers", "1") == 0
    assert not (out / "mine.txt").exists()  # replaced, and the old folder is cleaned up
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.old")]


def test_force_keeps_the_old_sweep_until_the_new_one_is_complete(tmp_path, monkeypatch):
    """--force moves the old folder aside; if the new sweep dies, the old results survive."""
    exp = write(
        tmp_path,
        "grid",
        GRID.replace("[0, 1, 2]", "[0]").replace("replications = 2", "replications = 1"),
    )
    out = tmp_path / "out"
    assert sweep(exp, out, "--workers", "1") == 0
    import marketplace_sim.experiments.sweep as experiment

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiment, "_execute", boom)
    with pytest.raises(KeyboardInterrupt):
        experiment.run_sweep(load_experiment(exp), out, workers=1, force=True, quiet=True)
    kept = [p for p in tmp_path.iterdir() if p.name.startswith(".out.old")]
    assert len(kept) == 1 and (kept[0] / "runs.parquet").exists()


def test_sweep_into_the_current_folder_is_refused(tmp_path, capsys):
    """--out . --force would delete the experiment file itself: refused, nothing touched."""
    exp = write(tmp_path, "grid", GRID)
    assert sweep(exp, Path("."), "--force") == 2
    assert "encloses it" in one_error_line(capsys)
    assert exp.exists()


def test_missing_dask_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    """--executor dask without the extra: a one-line error, exit 2, nothing written."""
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import raises ImportError
    exp = write(tmp_path, "grid", GRID)
    assert sweep(exp, tmp_path / "out", "--executor", "dask") == 2
    assert "pip install 'marketplace-sim[dask]'" in one_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_experiment_errors_are_config_errors(tmp_path):
    """The library raises ConfigError (the CLI maps it to exit 2)."""
    with pytest.raises(ConfigError, match="worlds = true needs at least 2 replications"):
        load_experiment(write(tmp_path, "w", "[experiment]\nworlds = true\n"))
