"""The calibration search: a Latin hypercube, the best points replicated, the choice confirmed.

:func:`run_search`:

1. runs the Latin hypercube of the experiment file (its points and seeds, as
   ``marketplace-sim sweep`` would), one run per point;
2. replicates the ``top`` best points by loss, and the schema defaults of the searched keys
   (the incumbent), on ``replicates`` common seeds, and picks the candidate with the lowest
   mean loss, ties (within :data:`LOSS_TIE`) broken by closeness to the middle of the bands;
3. rounds the chosen values and confirms them on ``confirm`` fresh seeds, beside the
   incumbent on the same seeds;

and returns a :class:`SearchResult` (the three stage tables and what the docs need). It writes
nothing: the results folder, ``baseline.toml`` and the calibration page are written by
:mod:`marketplace_sim.reports.calibration` (``marketplace-sim calibrate search``).
:func:`score_config` runs any world over replicates (``marketplace-sim calibrate score``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marketplace_sim import metrics
from marketplace_sim.analysis.calibration.statistics import run_statistics, score_runs, summarize
from marketplace_sim.analysis.calibration.targets import TARGETS
from marketplace_sim.config import Config, get_dotted, load_config
from marketplace_sim.errors import ConfigError

STAGE2_KEY = 0x63616C32  # spawn key of the seeds that replicate the best points ("cal2")
STAGE3_KEY = 0x63616C33  # spawn key of the fresh seeds of the confirmation ("cal3")
LOSS_TIE = 0.05  # stage 2: mean losses within this of the best count as a tie
RECORD_EVERY = 4  # the statistics need the final week and a few rows a year

#: ``progress(stage, done, total)``: called after every run of a stage (and once at 0).
Progress = Callable[[str, int, int], None]


# --------------------------------------------------------------------------------------------
# Running many worlds


def run_point(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one world and return its statistics (top level: pool workers pickle it).

    ``spec`` holds ``config`` (a resolved config dict) and any labels, which are passed
    through. A run that raises returns ``error`` and no statistics.
    """
    from marketplace_sim.config import validate_config
    from marketplace_sim.model.simulate import simulate

    started = time.perf_counter()
    out: dict[str, Any] = {k: v for k, v in spec.items() if k != "config"}
    try:
        cfg = validate_config(spec["config"], str(spec.get("run_id", "calibration")))
        out["stats"] = run_statistics(simulate(cfg))
        out["error"] = None
    except Exception as exc:  # a failing point is data: it gets the NaN penalty
        out["stats"] = {}
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["wall_seconds"] = time.perf_counter() - started
    return out


def world(cfg: Config, seed: int) -> dict[str, Any]:
    """The config dict of one calibration run: ``cfg`` on ``seed``, no contracts table."""
    d = cfg.to_dict()
    d["run"].update(seed=int(seed), population_seed=int(seed), record_contracts=False)
    d["run"]["record_every"] = RECORD_EVERY
    return d


def _executor_map(
    fn: Callable[[Any], Any], specs: Sequence[Any], workers: int
) -> Iterator[tuple[Any, Any]]:
    """``(spec, fn(spec))`` in completion order, on ``workers`` local processes.

    The one place calibration uses the experiments' executor
    (``make_executor("local", workers, None).imap_unordered(fn, specs)``).
    """
    from marketplace_sim.experiments.executors import make_executor

    ex = make_executor("local", workers, None)
    try:
        yield from ex.imap_unordered(fn, specs, lost=_lost_point)
    finally:
        ex.close()


def _lost_point(spec: Mapping[str, Any], error: str) -> dict[str, Any]:
    """A point whose worker died: no statistics, the error (it gets the NaN penalty)."""
    labels = {k: v for k, v in spec.items() if k != "config"}
    return {**labels, "stats": {}, "error": error, "wall_seconds": 0.0}


def run_many(
    specs: Sequence[Mapping[str, Any]],
    workers: int,
    stage: str = "",
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """:func:`run_point` every spec on ``workers`` processes; results in spec order."""
    indexed = [{**s, "_i": i} for i, s in enumerate(specs)]
    results: list[dict[str, Any]] = [{} for _ in specs]
    if progress is not None:
        progress(stage, 0, len(specs))
    for n, (spec, res) in enumerate(_executor_map(run_point, indexed, workers), 1):
        if "stats" not in res:  # the executor's summary of a run lost with its worker
            labels = {k: v for k, v in spec.items() if k != "config"}
            res = {**labels, "stats": {}, "error": res.get("error"), "wall_seconds": 0.0}
        res.pop("_i", None)
        results[spec["_i"]] = res
        if progress is not None:
            progress(stage, n, len(specs))
    return results


# --------------------------------------------------------------------------------------------
# The search


def search_keys(exp: Any) -> list[str]:
    """The sampled keys of a calibration experiment."""
    if exp.sample is None or exp.design != "lhs":
        raise ConfigError(
            exp.path, "sample.method", 'calibration needs a [sample] with method = "lhs"'
        )
    return list(exp.sample.keys)


def round_value(key: str, value: float) -> float | int:
    """A chosen value rounded for the config file (2 significant digits; ints stay ints)."""
    if isinstance(get_dotted(Config().to_dict(), key), int):
        return int(round(value))
    if value == 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(abs(value))))
    return float(round(value, digits))


@dataclass(frozen=True)
class SearchResult:
    """A finished search: its settings, the three stage tables and the choice.

    ``stage1`` (one run per hypercube point), ``stage2`` (the best points and the incumbent,
    replicated) and ``stage3`` (the rounded choice and the incumbent on fresh seeds) hold one
    row per run: labels, every statistic, ``loss`` and ``centrality``. :meth:`to_json` is
    everything else (``calibration.json``).
    """

    experiment: str
    keys: list[str]
    bounds: dict[str, list[float]]
    root_seed: int
    points: int
    world: dict[str, int]
    top: int
    replicates: int
    confirm: int
    incumbent: dict[str, Any]
    candidates: dict[str, dict[str, Any]]
    candidate_table: list[dict[str, Any]]
    chosen_point: str
    chosen_raw: dict[str, Any]
    chosen: dict[str, Any]
    src: dict[str, dict[str, float]]
    seconds: dict[str, float]
    runs: dict[str, int]
    cpu_run_seconds: float
    workers: int
    stage1_zero_loss: int
    git_commit: str | None
    started_utc: str
    stage1: pd.DataFrame = field(repr=False, compare=False)
    stage2: pd.DataFrame = field(repr=False, compare=False)
    stage3: pd.DataFrame = field(repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """Everything but the stage tables, as ``calibration.json`` holds it."""
        skip = {"stage1", "stage2", "stage3"}
        return {k: v for k, v in self.__dict__.items() if k not in skip}

    def point_runs(self, stage: int, point: str) -> pd.DataFrame:
        """The runs of one point (``chosen``, ``defaults``, ``s012`` ...) in a stage."""
        table = (self.stage1, self.stage2, self.stage3)[stage - 1]
        return table[table["point"] == point]

    def feasible(self) -> dict[str, tuple[float, float]]:
        """Each key's range over the stage-1 points that met every target (two or more)."""
        return feasible_ranges(self.stage1, self.keys)


def feasible_ranges(stage1: pd.DataFrame, keys: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Each key's (min, max) over the points with loss 0; empty with fewer than two."""
    ok = stage1[stage1["loss"] == 0]
    if len(ok) < 2:
        return {}
    return {k: (float(ok[k].min()), float(ok[k].max())) for k in keys}


def _stage1_specs(exp: Any, points: int | None) -> list[dict[str, Any]]:
    """The hypercube's runs (the experiment's own seeds), the first ``points`` of them."""
    return [
        {
            "run_id": r.run_id,
            "point": r.condition_id,
            "stage": 1,
            "replicate": 0,
            "seed": r.seed,
            **r.condition.values,
            "config": world(r.condition.config, r.seed),
        }
        for r in exp.runs()[: points or None]
    ]


def _replicate_specs(
    exp: Any,
    cands: Mapping[str, Mapping[str, Any]],
    seeds: Sequence[int],
    stage: int,
    tag: str,
    with_values: bool,
) -> list[dict[str, Any]]:
    """Each candidate's values on every seed (run ids ``<point>-<tag><replicate>``)."""
    specs = []
    for p, vals in cands.items():
        cfg = exp.base.with_overrides(dict(vals))
        for r, s in enumerate(seeds):
            spec = {"run_id": f"{p}-{tag}{r:02d}", "point": p, "stage": stage, "replicate": r}
            spec["seed"] = s
            if with_values:
                spec.update(vals)
            spec["config"] = world(cfg, s)
            specs.append(spec)
    return specs


def candidate_table(stage2: pd.DataFrame) -> pd.DataFrame:
    """Per candidate of stage 2: mean and worst loss, mean centrality, replicates at 0."""
    return (
        stage2.groupby("point", sort=False)
        .agg(
            loss=("loss", "mean"),
            loss_max=("loss", "max"),
            centrality=("centrality", "mean"),
            all_pass=("loss", lambda x: int((x == 0).sum())),
        )
        .reset_index()
    )


def choose(table: pd.DataFrame) -> str:
    """The candidate with the lowest mean loss; ties within :data:`LOSS_TIE` by centrality."""
    tied = table[table["loss"] <= table["loss"].min() + LOSS_TIE]
    return str(tied.sort_values("centrality").iloc[0]["point"])


def sensitivity(stage1: pd.DataFrame, keys: Sequence[str]) -> dict[str, dict[str, float]]:
    """Standardised regression coefficients of each target statistic on the searched keys."""
    X = stage1[list(keys)].to_numpy(dtype=np.float64)
    src = {}
    for t in TARGETS:
        y = stage1[t.stat].to_numpy(dtype=np.float64)
        fin = np.isfinite(y)
        coefs = metrics.standardized_coefficients(X[fin], y[fin]).tolist()
        src[t.stat] = dict(zip(keys, coefs, strict=True))
    return src


@dataclass(frozen=True)
class SearchSettings:
    """How large the search is (see :func:`run_search`)."""

    workers: int = 2
    top: int = 6
    replicates: int = 5
    confirm: int = 10
    points: int | None = None


@dataclass(frozen=True)
class _Stages:
    """The three stage tables, the candidates and the choice, with their wall times."""

    stage1: pd.DataFrame
    stage2: pd.DataFrame
    stage3: pd.DataFrame
    cands: dict[str, dict[str, Any]]
    table: pd.DataFrame
    chosen_point: str
    chosen: dict[str, Any]
    seconds: dict[str, float]


def _run_stages(
    exp: Any,
    keys: list[str],
    incumbent: dict[str, Any],
    settings: SearchSettings,
    progress: Progress | None,
) -> _Stages:
    from marketplace_sim.experiments.sweep import derive_seed

    top, replicates, confirm = settings.top, settings.replicates, settings.confirm
    points, workers = settings.points, settings.workers
    root = exp.settings.root_seed
    t0 = time.time()
    stage1 = score_runs(
        run_many(_stage1_specs(exp, points), workers, "stage 1 (Latin hypercube)", progress)
    )
    t1 = time.time()
    best = stage1.sort_values(["loss", "centrality"]).head(top)
    cands = {
        p: {k: float(row[k]) for k in keys}
        for p, row in zip(best["point"], best.to_dict("records"), strict=True)
    }
    cands["defaults"] = incumbent
    seeds2 = [derive_seed(root, STAGE2_KEY, r) for r in range(replicates)]
    specs2 = _replicate_specs(exp, cands, seeds2, 2, "x", with_values=True)
    stage2 = score_runs(run_many(specs2, workers, "stage 2 (replicates of the best)", progress))
    t2 = time.time()
    table = candidate_table(stage2)
    chosen_point = choose(table)
    chosen = {k: round_value(k, v) for k, v in cands[chosen_point].items()}
    # Stage 3: the rounded choice (what baseline.toml will say) and the incumbent, fresh seeds.
    seeds3 = [derive_seed(root, STAGE3_KEY, r) for r in range(confirm)]
    pair = {"chosen": chosen, "defaults": incumbent}
    specs3 = _replicate_specs(exp, pair, seeds3, 3, "c", with_values=False)
    stage3 = score_runs(run_many(specs3, workers, "stage 3 (confirmation)", progress))
    secs = {"stage1": t1 - t0, "stage2": t2 - t1, "stage3": time.time() - t2}
    return _Stages(stage1, stage2, stage3, cands, table, chosen_point, chosen, secs)


def run_search(
    experiment: str | Path,
    *,
    workers: int = 2,
    top: int = 6,
    replicates: int = 5,
    confirm: int = 10,
    points: int | None = None,
    progress: Progress | None = None,
) -> SearchResult:
    """Run the whole search (see the module docstring); writes nothing.

    Args:
        experiment: a calibration experiment file (``[sample] method = "lhs"``).
        workers: worker processes.
        top: best stage-1 points replicated in stage 2.
        replicates: replicates per candidate in stage 2.
        confirm: replicates of the confirmation (stage 3).
        points: run only the first ``points`` hypercube points (a try-out); None: all.
        progress: called after every run (see :data:`Progress`).

    Raises:
        ConfigError: the experiment file is invalid or not an ``lhs`` design.
    """
    from marketplace_sim.experiments.sweep import load_experiment

    started = time.time()
    exp = load_experiment(experiment)
    keys = search_keys(exp)
    incumbent = {k: get_dotted(Config().to_dict(), k) for k in keys}
    settings = SearchSettings(workers, top, replicates, confirm, points)
    st = _run_stages(exp, keys, incumbent, settings, progress)
    return _result(exp, str(Path(experiment)), keys, incumbent, st, settings, started)


def _result(
    exp: Any,
    experiment: str,
    keys: list[str],
    incumbent: dict[str, Any],
    st: _Stages,
    settings: SearchSettings,
    started: float,
) -> SearchResult:
    """The :class:`SearchResult` of finished stages."""
    from marketplace_sim.provenance import git_commit

    every = pd.concat([st.stage1, st.stage2, st.stage3])
    return SearchResult(
        experiment=experiment,
        keys=keys,
        bounds={k: list(b) for k, b in zip(keys, exp.sample.bounds, strict=True)},
        root_seed=exp.settings.root_seed,
        points=len(st.stage1),
        world={
            "freelancers": exp.base.market.freelancers,
            "clients": exp.base.market.clients,
            "steps": exp.base.run.steps,
        },
        top=settings.top,
        replicates=settings.replicates,
        confirm=settings.confirm,
        incumbent=incumbent,
        candidates=st.cands,
        candidate_table=st.table.to_dict("records"),
        chosen_point=st.chosen_point,
        chosen_raw=st.cands[st.chosen_point],
        chosen=st.chosen,
        src=sensitivity(st.stage1, keys),
        seconds={**st.seconds, "total": time.time() - started},
        runs={"stage1": len(st.stage1), "stage2": len(st.stage2), "stage3": len(st.stage3)},
        cpu_run_seconds=float(every["wall_seconds"].sum()),
        workers=settings.workers,
        stage1_zero_loss=int((st.stage1["loss"] == 0).sum()),
        git_commit=git_commit(),
        started_utc=datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M UTC"),
        stage1=st.stage1,
        stage2=st.stage2,
        stage3=st.stage3,
    )


def score_config(
    config: str | Path,
    replicates: int,
    workers: int,
    root_seed: int,
    overrides: Sequence[str] = (),
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Run a world ``replicates`` times (the confirmation's seeds) and :func:`summarize` it."""
    from marketplace_sim.experiments.sweep import derive_seed

    cfg = load_config(config, list(overrides))
    seeds = [derive_seed(root_seed, STAGE3_KEY, r) for r in range(replicates)]
    specs = [
        {
            "run_id": f"r{r:02d}",
            "point": "score",
            "replicate": r,
            "seed": s,
            "config": world(cfg, s),
        }
        for r, s in enumerate(seeds)
    ]
    return summarize(score_runs(run_many(specs, workers, "score", progress)))
