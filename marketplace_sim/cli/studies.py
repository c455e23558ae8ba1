"""Commands of the analyses.

``analyze``, ``findings``, ``sensitivity``, ``calibrate``, ``compare``, ``docking`` and ``fit``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from marketplace_sim.cli.common import (
    PROG,
    RESULTS_ROOT,
    _default_out,
)
from marketplace_sim.config import parse_overrides
from marketplace_sim.errors import (
    DataError,
    OutputFolderError,
    UsageError,
)


def cmd_analyze(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """``analyze``: six-factor attribution of a run or sweep folder into ``analysis/``."""
    from marketplace_sim.reports.attribution import analyze_results

    report = analyze_results(args.result_dir, seed=args.seed)
    print(report.text())
    print(f"wrote {report.folder}")
    return 0


def cmd_findings(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``findings``: rerun the experiments and regenerate docs/findings.md."""
    from marketplace_sim.reports.findings import generate

    results = args.results or _default_out("findings-quick" if args.quick else "findings")
    # the page goes to docs/; a quick check never overwrites it
    out = args.out or (results / "docs" if args.quick else Path("docs"))
    report = generate(
        out,
        results,
        quick=args.quick,
        workers=args.workers,
        progress=not args.quiet,
        command=[PROG, *argv],
    )
    if not args.quiet:
        print(
            f"wrote {report.markdown} ({len(report.figures)} figures; sweeps in "
            f"{report.results}; {report.wall_seconds:.0f} s)"
        )
    return 0


def cmd_sensitivity(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``sensitivity``: run (or resume) the Morris screens and write docs/sensitivity.md."""
    from marketplace_sim.reports.findings.sensitivity import generate

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    name = "sensitivity-studies-quick" if args.quick else "sensitivity-studies"
    results = args.results or RESULTS_ROOT / name
    # the page goes to docs/; a quick check never overwrites it
    out = args.out or (results / "docs" if args.quick else Path("docs"))
    started = time.time()
    page = generate(
        out,
        results,
        quick=args.quick,
        workers=args.workers,
        command=[PROG, *argv],
        progress=None if args.quiet else lambda line: print(line, file=sys.stderr, flush=True),
    )
    if not args.quiet:
        print(f"wrote {page} (sweeps in {results}; {time.time() - started:.0f} s)")
    return 0


class _StageProgress:
    """Progress of the calibration's stages on stderr: live on a terminal, one line per stage."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.started = time.time()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if done == 0:
            self.started = time.time()
        elif done == total:
            end = "\r" if self.live else ""
            secs = time.time() - self.started
            print(f"{end}{stage}: {total} runs in {secs:.0f} s", file=sys.stderr, flush=True)
        elif self.live:
            print(f"\r{stage}: {done}/{total} runs", end="", file=sys.stderr, flush=True)


def cmd_calibrate(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """``calibrate search|score``: the calibration search, or any world against the targets."""
    from marketplace_sim.analysis.calibration import run_search, score_config, summarize
    from marketplace_sim.reports.calibration import (
        targets_table,
        write_baseline,
        write_doc,
        write_search_folder,
    )

    progress = None if args.quiet else _StageProgress()
    if args.calibrate_command == "score":
        parse_overrides(args.set)  # fail early on a malformed --set
        table = score_config(
            args.config, args.replicates, args.workers, args.root_seed, args.set, progress
        )
        print(targets_table(table))
        return 0
    from marketplace_sim.experiments.outdir import check_out

    out = args.out or _default_out("calibration")
    check_out(out, force=args.force)
    result = run_search(
        args.experiment,
        workers=args.workers,
        top=args.top,
        replicates=args.replicates,
        confirm=args.confirm,
        points=args.points,
        progress=progress,
    )
    write_search_folder(result, out, replace=args.force, command=[PROG, *sys.argv[1:]])
    print(f"chosen {result.chosen_point}: {result.chosen}")
    print(targets_table(summarize(result.point_runs(3, "chosen"))))
    print(f"{result.seconds['total']:.0f} s; wrote {out}")
    if args.write_baseline is not None:
        print(f"wrote {write_baseline(result, args.write_baseline)}")
    if args.write_doc is not None:
        print(f"wrote {write_doc(result, args.write_doc)}")
    return 0


def cmd_compare(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``compare``: model statistics beside observed ones, into ``RESULT_DIR/compare/``."""
    from marketplace_sim.reports.compare import write_comparison

    out = args.out or args.result_dir / "compare"
    report = write_comparison(args.result_dir, args.observed, out, command=[PROG, *argv])
    notice = report.observed.notice()
    if notice:
        print(notice, file=sys.stderr)
    print(report.text())
    print(f"wrote {report.out}")
    return 0


def cmd_docking(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``docking``: test the docking sweep(s) against their table and write the page."""
    from marketplace_sim.reports.docking import write_docking

    report = write_docking(
        args.sweep_dir,
        args.out,
        variant=args.variant,
        reference=args.reference,
        ladder=args.ladder,
        command=[PROG, *argv],
    )
    print(f"wrote {report.markdown} ({len(report.figures)} figures)")
    return 0


def cmd_fit(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``fit``: ABC-SMC of the fit file's keys against observed profiles, into a fit folder."""
    from marketplace_sim.data import resolve_experiment
    from marketplace_sim.experiments.fitting import FitInterrupted, latest_fit
    from marketplace_sim.reports.fit import FitOptions, write_fit

    params = resolve_experiment(args.params)
    if not args.observed.exists():  # before anything else: the usual first mistake
        raise DataError(args.observed, None, "no such file")
    folder = RESULTS_ROOT / f"fit-{args.observed.stem}"
    out = args.out
    if out is None and args.resume:
        out = latest_fit(folder)
        if out is None:
            raise OutputFolderError(folder, None, "nothing to resume here (give --out)")
    out = out or _default_out(f"fit-{args.observed.stem}")
    opts = FitOptions(
        world=args.config,
        budget=args.budget,
        workers=args.workers,
        executor=args.executor,
        address=args.address,
        resume=args.resume,
        force=args.force,
        progress=not args.quiet,
        command=[PROG, *argv],
    )
    try:
        report = write_fit(args.observed, params, out, opts)
    except FitInterrupted as exc:
        again = [f"{PROG} fit {args.observed} --params {args.params}"]
        again += [f"--config {args.config}"] if args.config else []
        again += [f"--budget {args.budget}"] if args.budget is not None else []
        print(f"{exc}; finish with: {' '.join(again)} --out {out} --resume", file=sys.stderr)
        raise
    print(report.text())
    print(f"wrote {out}")
    return 0
