"""The findings' building blocks: formatting on hand cases, quick-mode experiment files, the
studies' verdicts on hand-made results, and a failing experiment stopping the page (exit 1)."""

import tomllib

import numpy as np
import pytest

from marketplace_sim.cli import main
from marketplace_sim.experiments.executors import FAIL_ENV
from marketplace_sim.reports.findings import PLANS, FindingsError, derived_experiment
from marketplace_sim.reports.findings.format import fmt, pct, table, times, usd, verdict
from marketplace_sim.reports.findings.lukacgrow import LukacGrowResult
from marketplace_sim.reports.findings.salganik import FULL, NONE, SalganikResult, WorldStats

NAN = (np.nan, np.nan, np.nan)


def test_intervals_are_written_with_brackets_only_when_there_is_spread():
    assert fmt((1.234, 1.234, 1.234)) == "1.23"  # one replicate: no interval
    assert fmt((1.0, 0.5, 1.5)) == "1.00 [0.50, 1.50]"
    assert fmt(NAN) == "n/a" and usd(NAN) == "n/a"
    assert pct((0.05, -0.02, 0.12)) == "5 % [0, 12]"  # clipped to 0-100 %
    assert pct((0.99, 0.95, 1.03)) == "99 % [95, 100]"
    assert usd((1234.4, 1000.0, 1500.0)) == "$1,234 [$1,000, $1,500]"
    assert times((2.94, 2.94, 2.94)) == "2.9x"
    assert verdict(True) == "yes" and verdict(False) == "**no**"
    assert table(["a", "b"], [["1", "2"]]) == "| a | b |\n|---|---|\n| 1 | 2 |"


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.key)
def test_quick_experiments_are_scaled_down_and_draw_no_sweep_figures(plan, tmp_path):
    src = tmp_path / plan.file
    src.write_text("")
    full = tomllib.loads(derived_experiment(src, plan, quick=False))
    quick = tomllib.loads(derived_experiment(src, plan, quick=True))
    assert full == {"base": src.resolve().as_posix(), "experiment": {"figures": False}}
    assert quick["experiment"] == {"figures": False, **plan.quick_experiment}
    assert quick.get("set", {}) == plan.quick_set and quick.get("sweep", {}) == plan.quick_sweep


def lukac(no_job, ratio):
    stats = {
        w: {"no_job": (a, a, a), "earnings_ratio": (b, b, b)}
        for w, a, b in zip((0.0, 1.0, 2.0), no_job, ratio, strict=True)
    }
    return LukacGrowResult(stats, dict.fromkeys(stats, 0), None, 4)


def test_lukac_grow_crossings_interpolate_the_mean_curve():
    """No job rises 20 -> 30 -> 40 % over weights 0, 1, 2: their 21-30 % is crossed at weights
    0.1-1.0, their 37-41 % from 1.7 on (the end clipped to the swept weights); the ratio is
    interpolated on a log scale."""
    r = lukac([0.2, 0.3, 0.4], [2.0, 4.0, 8.0])
    assert r.ok
    assert r.crossing("no_job", "price") == "rw 0.10-1.00"
    assert r.crossing("no_job", "reputation") == "rw 1.70-2.00"
    # log2 ratio is 1, 2, 3: 8x at weight 2, 2.6x at 1 + ... log2(2.6) - 1 = 0.38
    assert r.crossing("earnings_ratio", "price") == "rw 0.38-1.51"
    assert r.crossing("earnings_ratio", "reputation") == "rw 2.00-2.00"
    flat = lukac([0.2, 0.2, 0.3], [2.0, 1.0, 8.0])
    assert flat.crossing("no_job", "price") == "n/a (not monotone)"
    assert flat.crossing("earnings_ratio", "price") == "n/a (not monotone)"
    low = lukac([0.01, 0.02, 0.03], [1.0, 1.1, 1.2])
    assert low.crossing("no_job", "price") == "outside the swept weights"
    assert not lukac([0.3, 0.3, 0.2], [2.0, 3.0, 4.0]).ok


def test_salganik_direction_needs_both_gini_and_u_higher_with_influence():
    def world(g, u):
        return WorldStats((g, g, g), (u, u, u), NAN)

    up = SalganikResult({NONE: world(0.5, 1e-4), FULL: world(0.6, 3e-4)}, 4, 104)
    assert up.ok and up.ratio("gini") == pytest.approx(1.2) and up.ratio("u") == pytest.approx(3)
    assert not SalganikResult({NONE: world(0.5, 1e-4), FULL: world(0.6, 0.5e-4)}, 4, 104).ok
    missing = SalganikResult({NONE: world(0.5, 1e-4)}, 4, 104)
    assert not missing.ok and np.isnan(missing.ratio("u"))


def test_failed_runs_stop_the_page_with_exit_1_in_one_line(tmp_path, monkeypatch, capsys):
    """A run of the first experiment fails: exit 1, the sweep's line naming the run, then one
    error line that says how to retry; no page written (--results retries the failed run)."""
    monkeypatch.setenv(FAIL_ENV, "c000-r00")
    out, res = tmp_path / "docs", tmp_path / "res"
    args = ["findings", "--quick", "--out", str(out), "--results", str(res), "--workers", "1"]
    assert main([*args, "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert not any("Traceback" in ln for ln in err)
    assert err[0].startswith("run c000-r00 failed: RuntimeError: injected failure")
    assert err[-1].startswith("marketplace-sim: error: 1 runs of pallais-first-job failed")
    assert f"--results {res}" in err[-1] and len(err) == 2
    assert not out.exists()
    assert issubclass(FindingsError, RuntimeError) and FindingsError("x").exit_code == 1
