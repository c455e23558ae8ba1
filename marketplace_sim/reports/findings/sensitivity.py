"""``docs/sensitivity.md``: a Morris screen of the study effects themselves.

The findings measure each study's effect at one setting of the world. How much do those
effects move with the settings nobody measured? Sampled experiments (``[sample] method =
"morris"``, replicates per design point) vary the supply/demand ratio (``jobs.post_rate``),
the intervention's week (or, for MusicLab, the study window), the satisfaction weights and
the new mechanisms' keys in the profiles world:

- ``sensitivity-studies-pallais.toml`` and ``-boost.toml``: each run's effects
  (:func:`marketplace_sim.analysis.studies.run_effects`: Pallais's log earnings ratio and
  employment gap, the boost gap, the niche-focus coefficient, the cohort Gini; and the run's
  ``top10_share``), averaged over a point's replicates;
- ``sensitivity-studies-musiclab-influence.toml`` and ``-independent.toml``: the same design
  points in both conditions, several worlds each; the effects are MusicLab's Gini and U,
  influence minus independent (:mod:`marketplace_sim.analysis.musiclab_screen`).

Each effect is screened with SALib's Morris method through the sweep's own
:func:`~marketplace_sim.experiments.sensitivity.sensitivity_table`. The command is
``marketplace-sim sensitivity`` (:func:`generate`); the page's text is in
:mod:`marketplace_sim.reports.findings.sensitivity_page`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from marketplace_sim import data, files
from marketplace_sim.analysis import musiclab_screen, studies
from marketplace_sim.analysis.results import read_table, result_runs
from marketplace_sim.errors import ConfigError, OutputFolderError
from marketplace_sim.reports.findings.base import StudyInput
from marketplace_sim.reports.findings.plans import QUICK_WORLD, Plan
from marketplace_sim.reports.findings.sensitivity_page import (
    FIGURE,
    IMG,
    SCREENED,
    U_SCALE,
    Screened,
    page,
    ranked,
)

__all__ = ["FIGURE", "IMG", "PLANS", "SCREENED", "generate", "main"]

_QUICK = {**QUICK_WORLD, "run.steps": 104}


def _plan(key: str, file: str, musiclab: bool = False) -> Plan:
    """A screen's experiment and how quick mode scales it down.

    Quick mode: small worlds, 2 Morris trajectories, and the fewest worlds each effect needs
    (U compares 2 worlds per condition).
    """
    if musiclab:  # the study window is sampled: quick mode shortens its range
        sample = {"n": 2, "ranges": {"run.steps": [52, 104]}}
        return Plan(key, file, {"replications": 2}, dict(QUICK_WORLD), quick_sample=sample)
    return Plan(key, file, {"replications": 1}, dict(_QUICK), quick_sample={"n": 2})


PLANS = (
    _plan("pallais", "sensitivity-studies-pallais.toml"),
    _plan("boost", "sensitivity-studies-boost.toml"),
    _plan("musiclab_influence", "sensitivity-studies-musiclab-influence.toml", True),
    _plan("musiclab_independent", "sensitivity-studies-musiclab-independent.toml", True),
)
DEFAULT_COMMAND = ("marketplace-sim", "sensitivity", "--workers", "2")


@dataclass(frozen=True)
class _Screen:
    """What :func:`sensitivity_table` reads of an experiment, with the effects as metrics."""

    sample: Any
    conditions: Any
    metrics: tuple[str, ...]


def effects(inp: StudyInput) -> pd.DataFrame:
    """Per run: ``run_id``, ``condition_id``, ``status`` and every study effect."""
    weeks = inp.experiment.base.run.steps
    runs = read_table(inp.folder / "runs.parquet")
    rows = [
        {"run_id": labels["run_id"], **studies.run_effects(fr, weeks)}
        for labels, fr in result_runs(inp.folder).frames()
    ]
    eff = pd.DataFrame(rows)
    keep = ["run_id", "condition_id", "status", "top10_share"]
    return runs[keep].merge(eff, on="run_id", how="left")


def _indices(exp: Any, values: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    from marketplace_sim.experiments.sensitivity import sensitivity_table

    fake = _Screen(exp.sample, exp.conditions, tuple(names))
    indices, _ = sensitivity_table(fake, values)  # type: ignore[arg-type]
    return indices


def screen(inp: StudyInput, names: dict[str, str]) -> Screened:
    """The Morris indices of each per-run effect of one experiment, and the per-run effects."""
    per_run = effects(inp)
    return Screened(inp.key, names, "runs", _indices(inp.experiment, per_run, names), per_run)


def musiclab(influence: StudyInput, independent: StudyInput, names: dict[str, str]) -> Screened:
    """The Morris indices of MusicLab's differences, from the paired sweeps' design points.

    Raises:
        ConfigError: the two sweeps do not run the same design points.
    """
    musiclab_screen.check_paired(influence.experiment, independent.experiment)
    per_point = musiclab_screen.paired_effects(influence.folder, independent.folder)
    for col in ("u_influence", "u_independent", "musiclab_u_diff"):
        per_point[col] = per_point[col] * U_SCALE  # shown in units of 10^-4
    indices = _indices(influence.experiment, per_point, names)
    return Screened("musiclab", names, "design points", indices, per_point)


def _check_folders(out: Path, results: Path) -> None:
    for folder in (results, out):
        if folder.exists() and not folder.is_dir():
            raise OutputFolderError(folder, None, "exists and is not a folder")


def _figure(screens: Sequence[Screened]) -> Any:
    from marketplace_sim.plots.findings import morris_figure

    panels = []
    for s in screens:
        for effect, name in s.names.items():
            r = ranked(s.indices, effect)
            if not r.empty:
                mu, sigma = r["mu_star"].to_numpy(float), r["sigma"].to_numpy(float)
                panels.append((name, list(r.index), mu, sigma))
    return morris_figure(panels)


def generate(
    out: str | Path = "docs",
    results: str | Path = "results/sensitivity-studies",
    *,
    quick: bool = False,
    workers: int | None = None,
    command: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Run (or resume) every screen's sweeps and write ``out/sensitivity.md`` and its figure.

    Args:
        out: the docs folder (the page, and ``img/sensitivity/`` beside it).
        results: where the sweeps go, one folder per experiment; a folder that already holds
            the same sweep is resumed (only missing runs are run).
        quick: small worlds and 2 trajectories: a check, not the screen.
        workers: worker processes per sweep (default: every core).
        command: the command line quoted in the page (default :data:`DEFAULT_COMMAND`).
        progress: called with one line per experiment.

    Raises:
        ConfigError: an experiment is invalid, a results folder holds a different sweep, or
            the MusicLab conditions do not share their design points.
        OutputFolderError: ``out`` or ``results`` exists and is not a folder.
        FindingsError: runs failed (their errors are in the sweep's ``runs.parquet``).
    """
    from marketplace_sim.experiments.design import load_experiment
    from marketplace_sim.experiments.executors import session
    from marketplace_sim.reports.findings.page import Settings, run_study

    t0 = time.time()
    out, res = Path(out), Path(results)
    _check_folders(out, res)
    src = data.experiments_dir()
    if workers is not None and workers < 1:
        raise ConfigError("--workers", None, f"must be at least 1, got {workers}")
    # before any run: the MusicLab pair must share its design points
    musiclab_screen.check_paired(*(load_experiment(src / p.file) for p in PLANS[2:]))
    res.mkdir(parents=True, exist_ok=True)
    settings = Settings(quick, command, workers)
    with session():  # one worker pool for every screen's sweeps
        inps = {p.key: run_study(p, res, src, settings, progress) for p in PLANS}
    screens = [
        screen(inps["pallais"], SCREENED["pallais"]),
        screen(inps["boost"], SCREENED["boost"]),
        musiclab(inps["musiclab_influence"], inps["musiclab_independent"], SCREENED["musiclab"]),
    ]
    (out / IMG).mkdir(parents=True, exist_ok=True)
    files.save_figure(_figure(screens), out / IMG / FIGURE, dpi=120)
    shown = list(command) if command else list(DEFAULT_COMMAND)
    text = page(screens, list(inps.values()), time.time() - t0, quick, shown)
    return files.write_text(out / "sensitivity.md", text)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m marketplace_sim.reports.findings.sensitivity [--quick] [DOCS [RESULTS]]``.

    Kept for old notes; ``marketplace-sim sensitivity`` is the command (it maps errors to
    one line and exit code 2). Quick mode's sweeps default to their own folder, as the
    command's do, so they never meet the real screen's.
    """
    given = list(sys.argv[1:] if argv is None else argv)
    quick = "--quick" in given
    args = [a for a in given if a != "--quick"]
    out = args[0] if args else "docs"
    results = args[1] if len(args) > 1 else f"results/sensitivity-studies{'-quick' * quick}"
    command = ("python", "-m", __name__, *given)
    done = generate(out, results, quick=quick, workers=2, command=command)
    print(f"wrote {done}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover - the old entry point
    raise SystemExit(main())
