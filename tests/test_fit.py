"""The fit recovers the truth: profiles made by the model with known values, fitted back.

The observed file is the shipped synthetic example (``synthetic-fit-truth.csv``: made by
``synthetic-fit-truth.toml``, a 400-freelancer world over four years with five known values),
regenerated here and checked byte for byte. It is fitted with the shipped parameter set
(``experiments/fit-profiles.toml``) on a small budget; the 90 % intervals must cover the true
value of at least three parameters while being clearly narrower than the prior's (a prior's
own 90 % range would cover any truth: that test could not fail).
"""

import math
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from marketplace_sim.analysis.observed import write_profiles
from marketplace_sim.config import get_dotted, load_config
from marketplace_sim.data import experiments_dir
from marketplace_sim.data import root as data_root
from marketplace_sim.model.simulate import simulate
from marketplace_sim.model.snapshot import profiles_snapshot
from marketplace_sim.reports.fit import FitOptions, write_fit

OBSERVED = data_root() / "observed"
TRUTH_WORLD = OBSERVED / "synthetic-fit-truth.toml"
TRUTH_CSV = OBSERVED / "synthetic-fit-truth.csv"
TRUTH_PARAMS = OBSERVED / "synthetic-fit-truth-params.toml"
#: The test's budget: 180 draws from the prior, then 5 generations of 120 (and 12 more runs).
SMALL = {"particles": 60, "batch": 120, "budget": 780, "check_replicates": 4, "pilot_runs": 2}
NARROW = 0.7  # an informative interval is at most this share of the prior's 90 % range


def test_the_shipped_truth_example_is_what_its_world_makes(tmp_path):
    """synthetic-fit-truth.csv is the snapshot of its world at week 208 (its README's command)."""
    again = write_profiles(
        profiles_snapshot(simulate(load_config(TRUTH_WORLD))), tmp_path / "a.csv"
    )
    assert again.read_bytes() == TRUTH_CSV.read_bytes(), (
        "the model changed: regenerate marketplace_sim/data/observed/synthetic-fit-truth.csv "
        "with the command in its README.md (and redo the recovery numbers in docs/fitting.md)"
    )
    readme = (OBSERVED / "README.md").read_text(encoding="utf-8")
    assert "synthetic-fit-truth.csv" in readme and "SYNTHETIC" in readme


def truths() -> dict[str, float]:
    """The true values: those the truth world sets for the shipped parameter set's keys."""
    cfg = load_config(TRUTH_WORLD).to_dict()
    fit = tomllib.loads((experiments_dir() / "fit-profiles.toml").read_text(encoding="utf-8"))
    return {key: float(get_dotted(cfg, key)) for key in fit["params"]}


def small_fit_file(tmp_path: Path) -> Path:
    """The shipped parameter set with the truths marked and a small budget."""
    fit = tomllib.loads((experiments_dir() / "fit-profiles.toml").read_text(encoding="utf-8"))
    lines = ["[fit]", f"root_seed = {fit['fit']['root_seed']}"]
    lines += [f"{k} = {v}" for k, v in SMALL.items()]
    lines.append("[params]")
    truth = truths()
    for key, value in fit["params"].items():
        spec = value if isinstance(value, dict) else {"range": value}
        lo, hi = spec["range"]
        prior = spec.get("prior", "uniform")
        lines.append(
            f'"{key}" = {{ range = [{lo}, {hi}], prior = "{prior}", truth = {truth[key]} }}'
        )
    p = tmp_path / "fit-small.toml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_the_truth_parameter_file_is_the_shipped_set_with_the_true_values():
    """synthetic-fit-truth-params.toml = fit-profiles.toml + truths (so they cannot drift)."""
    from marketplace_sim.analysis.fit import load_fit_spec

    shipped = load_fit_spec(experiments_dir() / "fit-profiles.toml")
    marked = load_fit_spec(TRUTH_PARAMS)
    assert marked.settings == shipped.settings and marked.weights == shipped.weights
    assert [(p.key, p.lo, p.hi, p.prior) for p in marked.params] == [
        (p.key, p.lo, p.hi, p.prior) for p in shipped.params
    ]
    assert {p.key: p.truth for p in marked.params} == truths()


def relative_width(row: pd.Series) -> float:
    """The 90 % interval's width over the prior's 90 % range, in the prior's coordinate."""
    if row["prior"] == "loguniform":
        return math.log(row["q95"] / row["q05"]) / (0.9 * math.log(row["hi"] / row["lo"]))
    return (row["q95"] - row["q05"]) / (0.9 * (row["hi"] - row["lo"]))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_fit_recovers_known_values(tmp_path):
    assert set(truths()) == {
        "reviews.leniency",
        "reviews.prob",
        "platform.search_weight",
        "clients.reputation_weight",
        "freelancers.exit_idle_slope",
    }
    out = tmp_path / "fit"
    report = write_fit(TRUTH_CSV, small_fit_file(tmp_path), out, FitOptions(TRUTH_WORLD, workers=2))
    iv = report.result.intervals.set_index("parameter")
    iv["width"] = iv.apply(relative_width, axis=1)
    print(iv[["truth", "q05", "median", "q95", "width", "inside"]].to_string())
    recovered = iv[iv["inside"].astype(bool) & (iv["width"] <= NARROW)]
    assert len(recovered) >= 3, iv
    eps = report.result.generations["epsilon"].to_numpy()
    assert eps[-1] < 0.7 * eps[0]  # the search narrowed in on the data
    comparison = report.result.comparison
    assert comparison["distance"].median() < 1.5  # the fitted world is within the noise
