"""Sizes checked before anything is allocated: hard bounds, the memory estimate, design and file
sizes (issue 10, item 2).
"""

import time
import tracemalloc
from pathlib import Path

import pytest
from cli_helpers import one_error_line

from marketplace_sim import limits
from marketplace_sim.cli import main
from marketplace_sim.columns import CONTRACT_METRICS
from marketplace_sim.config import load_config, validate_config
from marketplace_sim.errors import ConfigError
from marketplace_sim.model.marketplace import METRIC_COLUMNS
from marketplace_sim.model.simulate import run_tables, simulate

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "configs" / "smoke.toml"

HAND = {
    "run": {"steps": 10, "record_every": 2, "record_contracts": True},
    "market": {
        "freelancers": 100,
        "clients": 20,
        "entry_rate": 3.0,
        "client_entry_rate": 1.0,
        "prior_jobs_mean": 2.0,
    },
    "jobs": {"post_rate": 0.5, "duration_mean": 4.0, "applicants": 10},
}


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_memory_estimate_of_a_hand_computed_world():
    """Each component is rows x bytes per row, rows as the model allocates them."""
    est = limits.estimate_memory(validate_config(HAND, "hand"))
    parts = {p.what: p.bytes for p in est.parts}
    assert parts == {
        "freelancers": (100 + 2 * 3.0 * 10) * 1_000,  # 160 rows of room
        "clients": (20 + 2 * 1.0 * 10) * 600,  # 40 rows
        "open contracts": 20 * 0.5 * 4.0 * 2 * 100,  # twice the contracts open at once
        "contract log": 20 * 0.5 * 10 * 300,  # 100 contracts
        "prior history": 100 * 2.0 * 100,  # 200 jobs before week 1
        "applicants per week": (20 + 1.0 * 10) * 0.5 * 10 * 100,  # 150 slots
        "per-week metrics": 10 / 2 * 1_000,  # 5 rows
    }
    assert est.total == 262_000
    assert est.largest.key == "market.freelancers"
    no_log = validate_config({**HAND, "run": {**HAND["run"], "record_contracts": False}}, "h")
    assert limits.estimate_memory(no_log).total == 262_000 - 30_000
    entry = validate_config({**HAND, "market": {**HAND["market"], "entry_rate": 10.0}}, "h")
    assert limits.estimate_memory(entry).largest.key == "market.entry_rate"  # 200 > 100 rows


@pytest.mark.parametrize(
    "overrides",
    [
        {"market.freelancers": 5000, "market.clients": 1000, "run.steps": 52},
        {
            "market.freelancers": 500,
            "market.clients": 100,
            "run.steps": 104,
            "market.entry_rate": 100.0,
        },
    ],
    ids=["many-agents", "much-entry"],
)
def test_the_estimate_covers_what_a_run_allocates(overrides):
    """Peak traced memory of a real run <= the estimate <= 4x it (an estimate, not a guess)."""
    cfg = load_config(SMOKE, overrides)
    tracemalloc.start()
    try:
        run_tables(simulate(cfg))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    total = limits.estimate_memory(cfg).total
    assert peak <= total <= 4 * peak, (peak, total)


def test_available_memory_reads_meminfo_and_falls_back(tmp_path, monkeypatch):
    """MemAvailable (kB) of /proc/meminfo; without it, os.sysconf's free pages."""
    monkeypatch.setattr(limits, "_cgroup_room", lambda: None)
    info = tmp_path / "meminfo"
    info.write_text("MemTotal:  8000 kB\nMemFree:  100 kB\nMemAvailable:  2048 kB\n")
    assert limits.available_memory(info) == 2048 * 1024
    monkeypatch.setattr(limits.os, "sysconf", {"SC_AVPHYS_PAGES": 10, "SC_PAGE_SIZE": 4096}.get)
    assert limits.available_memory(tmp_path / "missing") == 40_960
    monkeypatch.setattr(limits, "_cgroup_room", lambda: 1000)  # a container's limit is lower
    assert limits.available_memory(info) == 1000


def test_cgroup_room_is_the_limit_less_the_use(tmp_path):
    (tmp_path / "memory.max").write_text("5000\n")
    (tmp_path / "memory.current").write_text("1200\n")
    assert limits._cgroup_room(tmp_path) == 3800
    (tmp_path / "memory.max").write_text("max\n")
    assert limits._cgroup_room(tmp_path) is None


@pytest.mark.parametrize(
    "key, value",
    [
        ("jobs.post_rate", "1e308"),
        ("market.entry_rate", "1e308"),
        ("market.client_entry_rate", "1e308"),
        ("market.prior_jobs_mean", "1e300"),
        ("jobs.duration_mean", "1e300"),
        ("market.freelancers", "10000000000000"),
        ("run.steps", "100000000000"),
    ],
)
def test_absurd_counts_and_rates_are_one_line_exit_2(tmp_path, capsys, key, value):
    """Values that used to end in an OverflowError or MemoryError traceback: one line, exit 2."""
    assert main(["run", str(SMOKE), "--set", f"{key}={value}", "--quiet"]) == 2
    line = one_error_line(capsys)
    assert f"--set: {key}: out of range: input should be less than or equal to" in line
    assert list(tmp_path.iterdir()) == []
    bad = tmp_path / "bad.toml"
    section, name = key.split(".")
    bad.write_text(f"[{section}]\n{name} = {value}\n")
    assert main(["validate", str(bad)]) == 2
    assert f"{bad}: {key}: out of range" in one_error_line(capsys)


def test_a_world_larger_than_the_memory_is_refused_naming_the_key(tmp_path, capsys, monkeypatch):
    """validate and run compare the estimate with the memory available: one line, exit 2."""
    monkeypatch.setattr(limits, "available_memory", lambda: 50 * 2**20)  # 50 MB free
    world = tmp_path / "big.toml"
    world.write_text(f'base = "{SMOKE.as_posix()}"\n[market]\nfreelancers = 100000\n')
    assert main(["validate", str(world)]) == 2
    line = one_error_line(capsys)
    assert f"{world}: market.freelancers: this world needs about " in line
    assert "more than the 50.0 MB available" in line
    assert main(["run", str(world), "--out", "r", "--quiet"]) == 2
    assert "market.freelancers: this world needs about" in one_error_line(capsys)
    assert main(["run", str(SMOKE), "--set", "market.clients=100000", "--quiet"]) == 2
    assert "--set: market.clients: this world needs" in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.toml"]


def test_a_sweep_whose_largest_world_does_not_fit_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 50 * 2**20)
    exp = tmp_path / "exp.toml"
    exp.write_text(f'base = "{SMOKE.as_posix()}"\n[sweep]\n"market.freelancers" = [100, 100000]\n')
    assert main(["validate", str(exp)]) == 2
    assert "market.freelancers: condition c001 needs about" in one_error_line(capsys)
    assert main(["sweep", str(exp), "--quiet"]) == 2
    assert "condition c001 needs about" in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.toml"]


def write_values(path: Path, body: str) -> Path:
    path.write_text(f'base = "{SMOKE.as_posix()}"\n{body}\n')
    return path


def timed_validate(path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    code = main(["validate", str(path)])
    return code, time.perf_counter() - started


def test_huge_designs_are_answered_within_a_second_without_expanding(tmp_path, capsys):
    """10**9 replications, 10**9 conditions, a 10**6-value axis: refused at once; 10**6 runs
    (the maximum) validated at once, its run count printed."""
    billion = write_values(
        tmp_path / "billion.toml",
        '[experiment]\nreplications = 1000000000\n[sweep]\n"platform.fee" = [0.1, 0.2]',
    )
    code, seconds = timed_validate(billion)
    assert code == 2 and seconds < 1.0
    assert (
        "2 conditions x 1,000,000,000 replications = 2,000,000,000 runs, more than the "
        "1,000,000 a sweep may have" in one_error_line(capsys)
    )
    values = ", ".join(str(i / 1000) for i in range(1000))
    cube = write_values(
        tmp_path / "cube.toml",
        "[sweep]\n"
        + "\n".join(
            f'"{k}" = [{values}]'
            for k in ("clients.reputation_weight", "clients.price_weight", "platform.search_weight")
        ),
    )
    code, seconds = timed_validate(cube)
    assert code == 2 and seconds < 1.0
    assert "sweep: 1,000,000,000 conditions, more than the 100,000" in one_error_line(capsys)
    axis = write_values(
        tmp_path / "axis.toml",
        '[sweep]\n"clients.reputation_weight" = [' + ", ".join(str(i) for i in range(10**6)) + "]",
    )
    code, seconds = timed_validate(axis)
    assert code == 2 and seconds < 1.0
    assert "more than the 1.0 MB a config or experiment may have" in one_error_line(capsys)
    most = write_values(
        tmp_path / "most.toml",
        '[experiment]\nreplications = 500000\n[sweep]\n"platform.fee" = [0.1, 0.2]',
    )
    code, seconds = timed_validate(most)
    assert code == 0 and seconds < 1.0
    out = capsys.readouterr().out
    assert "2 conditions x 500000 replications = 1000000 runs" in out
    assert "... and 999990 more" in out


def test_design_size_is_checked_on_counts(tmp_path):
    assert limits.check_design_size("e.toml", 1000, 1000) == 10**6
    with pytest.raises(ConfigError, match="sample: 100,001 conditions"):
        limits.check_design_size("e.toml", 100_001, 1, "sample")
    with pytest.raises(ConfigError, match="1,000,001 runs"):
        limits.check_design_size("e.toml", 1, 1_000_001)


def test_a_sampled_design_is_counted_before_it_is_sampled(tmp_path, capsys):
    """A Sobol design of 2**20 base points would be 8 million conditions: refused unsampled."""
    exp = write_values(
        tmp_path / "sobol.toml",
        '[sample]\nmethod = "sobol"\nn = 1048576\n[sample.ranges]\n'
        '"platform.fee" = [0.0, 0.5]\n"clients.price_weight" = [0.0, 2.0]\n'
        '"clients.reputation_weight" = [0.0, 3.0]',
    )
    code, seconds = timed_validate(exp)
    assert code == 2 and seconds < 1.0
    assert "sample: 8,388,608 conditions, more than the 100,000" in one_error_line(capsys)


def test_contract_metrics_are_the_models_first_ten():
    """The spelled-out contract list (no model import when reading experiments) matches."""
    assert CONTRACT_METRICS == METRIC_COLUMNS[:10]


def test_human_bytes():
    assert [limits.human_bytes(n) for n in (512, 1536, 5 * 2**30, 3 * 2**50)] == [
        "512 B",
        "1.5 kB",
        "5.0 GB",
        "3.0 PB",
    ]
