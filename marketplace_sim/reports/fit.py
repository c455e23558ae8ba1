"""The fit folder: a fit run through an executor and written, resumably (``marketplace-sim fit``).

:func:`write_fit` checks every input (fit file, observed data, world, executor options, the
folder) before anything runs, opens the fit folder (``experiments/fitting.py``: lock,
``fit.json``, one record per simulation, saved at once), runs the fit (``analysis/fit/``) on
the executor the command line asked for, and writes the results, each file atomically:

| file | holds |
|---|---|
| ``posterior.parquet`` | the final population: one row per particle, its values and weight |
| ``intervals.parquet`` | per parameter: weighted mean, sd, median, 5 % and 95 % quantiles |
| ``fitted.toml`` | a world ``marketplace-sim run`` accepts: the scaled base + fitted values |
| ``comparison.parquet`` | the fitted world on fresh seeds against the data (as ``compare``) |
| ``generations.parquet`` | epsilon, acceptance, effective sample size per generation |
| ``simulations.parquet`` | every simulation of the search: values, distance, statistics |
| ``statistics.parquet`` | the distance's statistics: observed value, scale, weight, use |
| ``figures/`` | ``fit_marginals.png``, ``fit_epsilon.png``, ``fit_statistics.png`` |
| ``manifest.json`` | ``"kind": "fit"``, inputs, seeds, executor, timings; written last |
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from marketplace_sim import files
from marketplace_sim.analysis.compare import STATISTICS, profile_statistics
from marketplace_sim.analysis.fit import FitInputs, FitResult, load_fit_spec, prepare_fit, run_fit
from marketplace_sim.analysis.fit.worker import lost_candidate, simulate_candidate
from marketplace_sim.experiments.executors import check_executor, default_workers, make_executor
from marketplace_sim.experiments.fitting import (
    FitFolder,
    FitInterrupted,
    check_fit_out,
    open_fit_folder,
    sigterm_as_interrupt,
)
from marketplace_sim.experiments.outdir import input_files
from marketplace_sim.limits import check_fits
from marketplace_sim.plots.fit import draw_fit_figures
from marketplace_sim.provenance import manifest

KIND = "fit"
TABLES = ("posterior", "intervals", "generations", "simulations", "statistics", "comparison")


@dataclass(frozen=True)
class FitOptions:
    """How to run a fit (the command line's options)."""

    world: str | Path | None = None
    budget: int | None = None
    workers: int | None = None
    executor: str = "local"
    address: str | None = None
    resume: bool = False
    force: bool = False
    progress: bool = False
    command: Sequence[str] | None = None


@dataclass(frozen=True)
class FitReport:
    """What :func:`write_fit` did and wrote."""

    out: Path
    result: FitResult
    wall_seconds: float
    executor: str

    def text(self) -> str:
        """The printed summary: the intervals, the thresholds and the fitted world's distance."""
        return fit_text(self.result)


def write_fit(observed: str | Path, params: str | Path, out: Path, opts: FitOptions) -> FitReport:
    """Fit the parameters of ``params`` to ``observed`` and write the fit folder ``out``.

    Raises:
        ConfigError: a bad fit file, world or executor option (nothing is written).
        DataError: a bad observed file (nothing is written).
        OutputFolderError: ``out`` may not be written (see ``experiments/fitting.py``).
        FitInterrupted: Ctrl-C or SIGTERM (the simulations saved so far are kept).
        FaultError: the disk filled up or refused a write.
    """
    started = time.time()
    out = Path(out)
    inputs = prepare_fit(observed, load_fit_spec(params), opts.world, opts.budget)
    check_executor(opts.executor, opts.workers, opts.address)
    check_fits(inputs.world, inputs.world_source)
    world_files = (
        input_files(Path(inputs.world_source)) if Path(inputs.world_source).exists() else []
    )
    check_fit_out(out, [Path(observed), Path(params), *world_files])
    with (
        open_fit_folder(out, inputs.state(), resume=opts.resume, force=opts.force) as folder,
        sigterm_as_interrupt(),
    ):
        result, where = _run(inputs, folder, opts)
        _write_results(folder, result)
        _write_manifest(folder, result, opts, where, started)
    return FitReport(out, result, time.time() - started, where)


def _run(inputs: FitInputs, folder: FitFolder, opts: FitOptions) -> tuple[FitResult, str]:
    """Run the fit on the executor asked for, with a progress bar over simulations."""
    from tqdm import tqdm

    n = None if opts.address else max(1, opts.workers or default_workers())
    ex = make_executor(opts.executor, n, opts.address)
    bar = tqdm(
        total=inputs.total,
        unit="sim",
        desc="fit",
        file=sys.stderr,
        dynamic_ncols=True,
        disable=not opts.progress,
        smoothing=0.1,
        mininterval=0.5 if sys.stderr.isatty() else 30.0,
    )

    done = [0]  # simulations finished or read back (the bar does not count when disabled)

    def runner(specs: list[dict[str, Any]]) -> Any:
        return ex.imap_unordered(simulate_candidate, specs, lost_candidate)

    def progress(n: int) -> None:
        done[0] += n
        bar.update(n)

    try:
        return run_fit(inputs, folder, runner, progress), ex.description
    except KeyboardInterrupt:
        raise FitInterrupted(done[0], inputs.total) from None
    finally:
        bar.close()
        ex.close()


def _fitted_toml(result: FitResult) -> str:
    """``fitted.toml``: what it is, in comments, then every key of the fitted world."""
    inputs, scale = result.inputs, result.fitted_scale
    lines = [
        "# Fitted world, written by `marketplace-sim fit` (see manifest.json beside this file).",
        f"# Observed: {inputs.observed.path} ({scale.observed} listed profiles).",
        f"# Base world: {inputs.world_source}, size keys (market.freelancers, market.clients,",
        f"#   market.entry_rate, market.client_entry_rate) scaled by {scale.factor:g}, so that",
        "#   at the fitted values its listed profiles match the observed count (the search ran",
        f"#   at {result.search.scale.factor:g}: the count at the centre of the priors).",
        "# Fitted values (weighted posterior medians) and 90 % intervals:",
    ]
    for r in result.intervals.itertuples(index=False):
        lines.append(f"#   {r.parameter} = {r.fitted:g}   [{r.q05:.4g}, {r.q95:.4g}]")
    lines.append("# Every other key is the base world's, resolved.")
    return "\n".join(lines) + "\n\n" + result.fitted.to_toml()


def prior_predictive(result: FitResult) -> pd.DataFrame:
    """Generation 0's simulations (the prior predictive): one row each, every statistic."""
    sims = result.simulations
    return sims[sims["generation"] == 0].reset_index(drop=True)


def fitted_statistics(result: FitResult) -> pd.DataFrame:
    """The fitted world's replicates: one row each, every statistic."""
    rows = [profile_statistics(f) for f in result.check_frames]
    return pd.DataFrame(rows, columns=list(STATISTICS))


def _write_results(folder: FitFolder, result: FitResult) -> None:
    out = folder.out
    for name in TABLES:
        files.write_parquet(getattr(result, name), out / f"{name}.parquet")
    files.write_text(out / "fitted.toml", _fitted_toml(result))
    draw_fit_figures(
        out / "figures",
        result.posterior,
        result.intervals,
        result.generations,
        result.statistics,
        prior_predictive(result),
        fitted_statistics(result),
    )


def _write_manifest(
    folder: FitFolder, result: FitResult, opts: FitOptions, where: str, started: float
) -> None:
    """``manifest.json``, written last: the fit is complete."""
    inputs, search = result.inputs, result.search
    seconds = sum(
        float(r.get("wall_seconds") or 0.0) for g in search.generations for r in g.records.values()
    )
    info = manifest(
        KIND,
        opts.command,
        started,
        time.time() - started,
        observed=str(inputs.observed.path),
        observed_profiles=len(inputs.observed.frame),
        ignored_columns=list(inputs.observed.ignored),
        params=inputs.spec.to_json(),
        world=inputs.world_source,
        budget=inputs.budget,
        fingerprint=folder.state.get("fingerprint"),
        first_started_utc=folder.state.get("created_utc"),
        scale_factor=search.scale.factor,
        pilot_rounds=[list(r) for r in search.scale.rounds],
        fitted_scale_factor=result.fitted_scale.factor,
        fitted_pilot_rounds=[list(r) for r in result.fitted_scale.rounds],
        generations=len(search.generations),
        stopped_early=search.stopped_early,
        simulations=len(result.simulations),
        simulations_this_session=result.ran,
        resumed=folder.resumed,
        failed=list(result.failed),
        search_run_seconds=round(seconds, 3),
        executor=opts.executor,
        executor_description=where,
        workers=opts.workers,
        address=opts.address,
        fitted=result.fitted_values,
    )
    files.write_json(info, folder.out / "manifest.json")


def _num(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.4g}"


def fit_text(result: FitResult) -> str:
    """Intervals per parameter, the thresholds, and the fitted world's worst distances."""
    s, iv = result.search, result.intervals
    width = max(len("parameter"), *(len(p) for p in iv["parameter"]))
    head = f"{'parameter':<{width}}  {'fitted':>9}  {'mean':>9}  {'5%':>9}  {'95%':>9}  truth"
    lines = [
        f"observed: {result.inputs.observed.path} ({s.scale.observed} profiles); world "
        f"{result.inputs.world_source} scaled by {s.scale.factor:g} (fitted world: "
        f"{result.fitted_scale.factor:g})",
        f"{len(result.simulations)} simulations in {len(s.generations)} generations"
        + (" (stopped early: acceptance below fit.min_acceptance)" if s.stopped_early else ""),
        "epsilon: " + ", ".join(f"{e:.3g}" for e in s.summary["epsilon"]),
        "",
        head,
    ]
    for r in iv.itertuples(index=False):
        lines.append(
            f"{r.parameter:<{width}}  {_num(r.fitted):>9}  {_num(r.mean):>9}  "
            f"{_num(r.q05):>9}  {_num(r.q95):>9}  {_num(r.truth)}"
        )
    c = result.comparison.dropna(subset=["distance"]).sort_values("distance", ascending=False)
    worst = ", ".join(f"{r.statistic} {r.distance:.2g}" for r in c.head(3).itertuples())
    n = len(result.check_frames)
    listed = sum(len(f) for f in result.check_frames) / max(1, n)
    lines += [
        "",
        f"fitted world on {n} fresh seeds: {listed:.0f} listed profiles on average; "
        f"largest distances {worst}",
    ]
    if result.failed:
        lines.append(f"{len(result.failed)} simulations failed (first: {result.failed[0]})")
    return "\n".join(lines)
