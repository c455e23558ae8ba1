"""From a finished search to its results: posterior, intervals, the fitted world and its check.

:func:`run_fit` is the whole fit (``driver.py``'s search, then this module); the tables it
returns are what the fit folder holds (``reports/fit.py`` writes them):

- ``posterior``: the final population, one row per particle: ``particle`` (rank by
  distance), ``candidate``, ``generation``, one column per parameter (its dotted key),
  ``weight`` (normalised importance weight), ``distance``;
- ``intervals``: one row per parameter: ``parameter``, ``prior``, ``lo``, ``hi``, the
  weighted ``mean``, ``sd``, ``median``, ``q05`` and ``q95`` (the 90 % interval), ``fitted``
  (the median to four significant digits: the value in ``fitted.toml``), ``truth`` and
  ``inside`` (for synthetic data with known values; else NaN and NA);
- ``simulations``: every simulation of the search: ``generation``, ``candidate``, ``seed``,
  the parameters, ``weight``, ``distance``, ``status``, ``error``, ``listed``, and every
  statistic;
- ``generations``: ``generation``, ``simulations``, ``epsilon``, ``acceptance``,
  ``kept_new``, ``ess``, ``failed``, ``kernel_sd:<key>``;
- ``statistics``: the distance's statistics, observed values, scales, weights and use;
- ``comparison``: the fitted world on fresh seeds against the data
  (:func:`marketplace_sim.analysis.compare.compare_profiles`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim.analysis.compare import STATISTICS, compare_profiles
from marketplace_sim.analysis.fit import smc
from marketplace_sim.analysis.fit.driver import (
    CHECK_KEY,
    FitInputs,
    Progress,
    Runner,
    Scale,
    Search,
    Simulator,
    candidate_config,
    make_spec,
    record_stats,
    round_significant,
    run_search,
    scaled_world,
    world_scale,
)
from marketplace_sim.analysis.fit.spec import Parameter
from marketplace_sim.config import Config, validate_config
from marketplace_sim.experiments.fitting import FitFolder
from marketplace_sim.experiments.seeds import derive_seed

QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class FitResult:
    """A finished fit: its inputs, the search and every table of the fit folder."""

    inputs: FitInputs
    search: Search
    posterior: pd.DataFrame
    intervals: pd.DataFrame
    simulations: pd.DataFrame
    fitted: Config
    fitted_scale: Scale  # the world-size scaling redone at the fitted values
    check_frames: tuple[pd.DataFrame, ...]
    comparison: pd.DataFrame
    ran: int  # simulations run in this session (the rest were read back)
    failed: tuple[str, ...]

    @property
    def generations(self) -> pd.DataFrame:
        """One row per generation (see the module docstring)."""
        return self.search.summary

    @property
    def statistics(self) -> pd.DataFrame:
        """The distance's statistics (see :func:`marketplace_sim.analysis.fit.distance.scales`)."""
        return self.search.statistics

    @property
    def fitted_values(self) -> dict[str, float | int]:
        """Parameter -> the value written to ``fitted.toml``."""
        return dict(zip(self.intervals["parameter"], self.intervals["fitted"], strict=True))


def run_fit(
    inputs: FitInputs, folder: FitFolder, runner: Runner, progress: Progress | None = None
) -> FitResult:
    """Run (or finish) a fit in an open folder and return its results (writes only records)."""
    sim = Simulator(folder, runner, progress)
    search = run_search(inputs, sim)
    params = inputs.spec.params
    post = posterior_frame(search, params)
    iv = intervals(post, params)
    values = iv["fitted"].to_list()
    rescaled = world_scale(inputs, sim, values, "refit", search.scale.factor)
    fitted = fitted_world(inputs, rescaled.factor, values, params)
    frames = check_fitted(inputs, sim, fitted)
    comparison = compare_profiles(list(frames), inputs.observed.frame)
    comparison.insert(0, "condition", "fitted")
    comparison.insert(0, "condition_id", "fitted")
    sims = simulations_frame(search, params)
    return FitResult(
        inputs,
        search,
        post,
        iv,
        sims,
        fitted,
        rescaled,
        frames,
        comparison,
        sim.ran,
        tuple(sim.failed),
    )


def posterior_frame(search: Search, params: Sequence[Parameter]) -> pd.DataFrame:
    """The final population as a table (values in the world's units)."""
    pop = search.population
    gen = {i: g.t for g in search.generations for i in g.ids}
    df = pd.DataFrame(
        {
            "particle": np.arange(len(pop.ids), dtype=np.int64),
            "candidate": list(pop.ids),
            "generation": np.array([gen[i] for i in pop.ids], dtype=np.int64),
        }
    )
    for k, p in enumerate(params):
        df[p.key] = [p.from_internal(x) for x in pop.u[:, k]]
    df["weight"] = pop.normalised
    df["distance"] = pop.distances
    return df


def intervals(post: pd.DataFrame, params: Sequence[Parameter]) -> pd.DataFrame:
    """Weighted mean, sd, median and 90 % interval of each parameter (module docstring)."""
    w = post["weight"].to_numpy(dtype=np.float64)
    rows = []
    for p in params:
        x = post[p.key].to_numpy(dtype=np.float64)
        q05, med, q95 = smc.weighted_quantiles(x, w, QUANTILES)
        mean = float(w @ x / w.sum())
        sd = float(np.sqrt(w @ (x - mean) ** 2 / w.sum()))
        fitted = round_significant(float(med))
        truth = float("nan") if p.truth is None else p.truth
        rows.append(
            {
                "parameter": p.key,
                "prior": p.prior,
                "lo": p.lo,
                "hi": p.hi,
                "mean": mean,
                "sd": sd,
                "median": float(med),
                "q05": float(q05),
                "q95": float(q95),
                "fitted": int(round(fitted)) if p.integer else fitted,
                "truth": truth,
                "inside": pd.NA if p.truth is None else bool(q05 <= p.truth <= q95),
            }
        )
    df = pd.DataFrame(rows)
    return df.astype({"inside": "boolean", "fitted": "float64"})


def fitted_world(
    inputs: FitInputs, factor: float, values: Sequence[float], params: Sequence[Parameter]
) -> Config:
    """The world scaled by ``factor`` with the fitted values, on the base world's own seeds."""
    base = scaled_world(inputs.world, factor)
    d = candidate_config(base, params, values, factor, inputs.world.run.seed)
    d["run"].update(
        population_seed=inputs.world.population_seed,
        record_contracts=inputs.world.run.record_contracts,
    )
    return validate_config(d, "fitted.toml")


def check_fitted(inputs: FitInputs, sim: Simulator, fitted: Config) -> tuple[pd.DataFrame, ...]:
    """The fitted world's profile snapshots on ``check_replicates`` fresh seeds."""
    s = inputs.spec.settings
    specs = []
    for r in range(s.check_replicates):
        d = fitted.to_dict()
        seed = derive_seed(s.root_seed, CHECK_KEY, r)
        d["run"].update(seed=seed, population_seed=seed, record_contracts=False)
        specs.append(make_spec("check", f"r{r:02d}", d, keep=True))
    recs = sim.run(specs, frames=True)
    return tuple(recs[x["id"]]["profiles"] for x in specs if recs[x["id"]]["status"] == "ok")


def simulations_frame(search: Search, params: Sequence[Parameter]) -> pd.DataFrame:
    """Every simulation of the search, one row each (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    for g in search.generations:
        for k, cid in enumerate(g.ids):
            rec = g.records[cid]
            row: dict[str, Any] = {"generation": g.t, "candidate": cid, "seed": g.seeds[k]}
            for j, p in enumerate(params):
                row[p.key] = p.from_internal(g.u[k, j])
            row["weight"] = float(g.weights[k])
            row["distance"] = float(g.distances[k])
            row["status"] = rec.get("status")
            row["error"] = rec.get("error") or ""
            row["listed"] = int(rec.get("listed") or 0)
            stats = record_stats(rec) or {}
            for name in STATISTICS:
                row[name] = stats.get(name, float("nan"))
            rows.append(row)
    return pd.DataFrame(rows).astype({"seed": "int64", "listed": "int64"})
