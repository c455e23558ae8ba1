"""The findings page: run the experiments, write each study's section, assemble and write.

:func:`generate` (``marketplace-sim findings``) reruns the experiments of :data:`PLANS` into a
results folder, hands each study module an immutable :class:`StudyInput`, and writes
``findings.md``, ``img/findings/*.png`` (the figures folder replaced as a whole, the page
atomically) and ``findings-numbers.json`` (the headline numbers other documents quote).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketplace_sim import data, files
from marketplace_sim.errors import ConfigError, OutputFolderError
from marketplace_sim.experiments.executors import session
from marketplace_sim.reports.findings import (
    filippas,
    lukacgrow,
    numbers,
    pallais,
    salganik,
    sixfactors,
    vanderijt,
)
from marketplace_sim.reports.findings.base import IMG, FindingsError, Section, StudyInput
from marketplace_sim.reports.findings.format import table
from marketplace_sim.reports.findings.plans import PLANS, Plan, derived_experiment

EXPERIMENTS = data.experiments_dir()
DPI = 120
#: The sections of the page, in order, by study key.
#: A section may read several experiments (its keys, in order).
SECTIONS: tuple[tuple[tuple[str, ...], Callable[..., Section]], ...] = (
    (("pallais",), pallais.section),
    (("vanderijt", "vanderijt_late"), vanderijt.section),
    (("salganik",), salganik.section),
    (("filippas",), filippas.section),
    (("lukacgrow",), lukacgrow.section),
    (("sixfactors", "sixfactors_profiles"), sixfactors.section),
)


@dataclass(frozen=True)
class FindingsReport:
    """What :func:`generate` wrote."""

    markdown: Path
    figures: tuple[Path, ...]
    results: Path
    wall_seconds: float
    seconds: dict[str, float]


@dataclass(frozen=True)
class Settings:
    """How the page was made, for its head."""

    quick: bool
    command: Sequence[str] | None
    workers: int | None


def _check_folders(out: Path, results: Path, experiments: Path) -> None:
    if not experiments.is_dir():
        raise ConfigError(
            experiments, None, "experiments folder not found (findings runs from a source checkout)"
        )
    for folder in (results, out):
        if folder.exists() and not folder.is_dir():
            raise OutputFolderError(folder, None, "exists and is not a folder")


def run_study(
    plan: Plan,
    results: Path,
    experiments: Path,
    settings: Settings,
    progress: Callable[[str], None] | None,
) -> StudyInput:
    """Derive a plan's experiment into ``results`` and run (or resume) its sweep there.

    Raises:
        ConfigError: the experiment file is missing or invalid.
        FindingsError: runs of the experiment failed.
    """
    from marketplace_sim.experiments.sweep import load_experiment, run_sweep

    t0 = time.time()
    src = experiments / plan.file
    if not src.exists():
        raise ConfigError(src, None, "experiment file not found")
    derived = files.write_text(results / plan.file, derived_experiment(src, plan, settings.quick))
    exp = load_experiment(derived)
    sweep_dir = results / exp.name
    if progress is not None:
        progress(f"{exp.name}: {len(exp.runs())} runs -> {sweep_dir}")
    report = run_sweep(
        exp,
        sweep_dir,
        workers=settings.workers,
        resume=(sweep_dir / "sweep.json").exists(),
        progress=False,
        quiet=True,
        command=settings.command,
    )
    if report.n_failed:
        raise FindingsError(
            f"{report.n_failed} runs of {exp.name} failed (errors in "
            f"{sweep_dir / 'runs.parquet'}); rerun with --results {results} "
            "to retry them"
        )
    return StudyInput(plan.key, exp, sweep_dir, time.time() - t0)


def generate(
    out: str | Path,
    results: str | Path,
    *,
    quick: bool = False,
    workers: int | None = None,
    progress: bool = True,
    command: Sequence[str] | None = None,
    experiments: str | Path = EXPERIMENTS,
) -> FindingsReport:
    """Run the experiments and write ``out/findings.md`` and ``out/img/findings/*.png``.

    Args:
        out: the docs folder.
        results: where the sweep folders go (one per experiment, named by it). A folder that
            already holds a sweep of the same experiment is resumed (only missing runs are
            run).
        quick: scaled-down worlds and few replicates (a check, not the findings).
        workers: worker processes per sweep (default: every core).
        progress: one line per experiment on stderr.
        command: the command line, quoted in the page.
        experiments: the folder holding the experiment files.

    Raises:
        ConfigError: an experiment file is missing or invalid, or a results folder holds a
            different sweep.
        OutputFolderError: ``out`` or ``results`` exists and is not a folder.
        FindingsError: runs of an experiment failed (their errors are in its runs.parquet).
    """
    started = time.time()
    out, res, exp_dir = Path(out), Path(results), Path(experiments)
    _check_folders(out, res, exp_dir)
    res.mkdir(parents=True, exist_ok=True)
    settings = Settings(quick, command, workers)
    inputs = []
    with session():  # one worker pool for every study's sweep, not one each
        for i, plan in enumerate(PLANS, 1):

            def say(line: str, i: int = i) -> None:
                print(f"findings [{i}/{len(PLANS)}] {line}", file=sys.stderr, flush=True)

            inputs.append(run_study(plan, res, exp_dir, settings, say if progress else None))
    seconds = {inp.key: inp.seconds for inp in inputs}
    by_key = {inp.key: inp for inp in inputs}
    t0 = time.time()
    sections = [write(*(by_key[k] for k in keys if k in by_key)) for keys, write in SECTIONS]
    seconds["analysis"] = time.time() - t0
    wall = time.time() - started
    text = page_text(sections, seconds, wall, settings)
    written = write_page(out, text, [f for s in sections for f in s.figures])
    numbers.write_numbers(out, numbers.numbers(sections, quick))
    if progress:
        print(f"findings: {wall:.0f} s", file=sys.stderr)
    return FindingsReport(out / "findings.md", written, res, wall, seconds)


def write_page(out: Path, text: str, figures: Sequence[tuple[str, Any]]) -> tuple[Path, ...]:
    """Write the figures folder (replaced as a whole) and the page, each atomically."""
    out.mkdir(parents=True, exist_ok=True)
    final = out / IMG
    final.parent.mkdir(parents=True, exist_ok=True)
    with files.atomic_dir(final, replace=True) as tmp:
        for name, fig in figures:
            files.save_figure(fig, tmp / name, dpi=DPI)
            fig.clear()
    files.write_text(out / "findings.md", text)
    return tuple(final / name for name, _ in figures)


def page_text(
    sections: Sequence[Section], seconds: dict[str, float], wall: float, settings: Settings
) -> str:
    """The whole page: head, summary table and the sections."""
    from marketplace_sim.experiments.executors import default_workers
    from marketplace_sim.provenance import git_commit

    cmd = " ".join(settings.command) if settings.command else "marketplace-sim findings"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = git_commit() or "unknown"
    n_workers = settings.workers or default_workers()
    times = ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items())
    quick = (
        "\n> **Quick mode**: scaled-down worlds and few replicates. These numbers check "
        "that the pipeline runs; they are not the findings.\n"
        if settings.quick
        else ""
    )
    summary = table(
        ["result", "measure", "paper", "model (mean [95 % CI] over replicates)", "verdict"],
        [row.cells() for s in sections for row in s.summary],
    )
    return f"""# Findings: published results reproduced, and the six factors measured

<!-- Generated by `{cmd}` ({now}, git {commit}). Do not edit by hand: rerun the command. -->

This page is written by one command, which reruns every experiment behind it:

```bash
marketplace-sim findings     # about {wall / 60:.0f} min here; sweeps in results/findings/<UTC>/
```

It took {wall:.0f} s on this machine ({os.cpu_count()} cores, {n_workers} workers; {times}).
Every number below is a mean over replicates with its 95 % Student-t interval in brackets
(`metrics.mean_ci`), unless said otherwise. Each section names its experiment and the command
that runs it alone. The studies' figures are theirs (`../shared/design/stylized-facts.md`); the
model is stylised, not fitted to any platform, so directions and rough sizes are what can
agree, not levels. The worlds are those of `configs/` at the commit above: if the baseline is
recalibrated, rerun this command.

**Verdicts** follow one rule for every row (`reports.findings.format.judge`): **yes** when the
paper's number (or any value of its range) lies inside our 95 % interval; **direction only**
when it does not but our whole interval lies on the paper's side of no effect; **no**
otherwise. Rows without a published number have no verdict.
{quick}
{summary}

{chr(10).join(s.text for s in sections)}
"""
