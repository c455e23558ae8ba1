"""The ``marketplace-sim`` command: parse, call the library, map known errors to exit codes.

Exit codes: 0 success; 2 bad input (usage, config, missing file, a results folder that may not be
written), with one line on stderr naming the file and the dotted key and no traceback; 1 a fault
of the machine (disk full, a refused write; one line) or anything unexpected; 130 interrupted;
141 the reader of stdout went away (``| head``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from marketplace_sim.config import Config, load_config, parse_overrides, read_toml
from marketplace_sim.errors import (
    ConfigError,
    DataError,
    FaultError,
    MarketplaceSimError,
    OutputFolderError,
    UsageError,
)

PROG = "marketplace-sim"
RESULTS_ROOT = Path("results")
BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a command whose reader went away
EXPERIMENT_SECTIONS = ("experiment", "sweep", "sample")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and an exception, not a multi-line exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = _Parser(prog=PROG, description="An agent-based model of a freelance marketplace.")
    p.add_argument("-V", "--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="one simulation; writes a run folder")
    r.add_argument("config", type=Path, help="a world config (TOML)")
    r.add_argument("--out", type=Path, help="results folder (default results/<name>/<UTC>/)")
    r.add_argument("--seed", type=int, help="market seed (run.seed)")
    r.add_argument("--steps", type=int, help="weeks to simulate (run.steps)")
    r.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key by its dotted name (repeatable)",
    )
    r.add_argument("--force", action="store_true", help="replace an existing --out folder")
    r.add_argument("--no-figures", action="store_true", help="skip drawing figures")
    r.add_argument("--quiet", action="store_true", help="no progress bar")

    s = sub.add_parser("sweep", help="an experiment: every condition x replication")
    s.add_argument("experiment", type=Path, help="an experiment file (TOML)")
    s.add_argument("--out", type=Path, help="results folder (default results/<name>/<UTC>/)")
    s.add_argument("--workers", type=int, help="parallel workers (default: all cores)")
    s.add_argument("--executor", choices=("local", "dask"), default="local")
    s.add_argument("--address", help="Dask scheduler address, e.g. tcp://host:8786")
    s.add_argument("--resume", action="store_true", help="finish an interrupted sweep")
    s.add_argument("--force", action="store_true", help="replace an existing --out folder")
    s.add_argument("--quiet", action="store_true", help="no progress bar")

    v = sub.add_parser("validate", help="check a config or experiment; print resolved values")
    v.add_argument("file", type=Path)

    pl = sub.add_parser("plot", help="(re)draw the figures of a run or sweep folder")
    pl.add_argument("result_dir", type=Path)

    _add_analyze(sub)
    _add_findings(sub)
    _add_calibrate(sub)

    _add_app(sub)
    i = sub.add_parser("init", help="copy the shipped worlds, lessons and experiments to edit")
    i.add_argument("dir", type=Path, help="a new (or empty) folder")
    _add_compare(sub)
    _add_docking(sub)
    _add_fit(sub)
    return p


def _add_app(sub: Any) -> None:
    """``app [CONFIG] [--port N] [--host H]``."""
    a = sub.add_parser("app", help="the classroom dashboard in the browser")
    a.add_argument("config", type=Path, nargs="?", help="starting config (TOML)")
    a.add_argument("--port", type=int, default=8765, help="1-65535, or 0 for any free port")
    a.add_argument("--host", default="127.0.0.1", help="default: this machine only (no login)")


def _add_analyze(sub: Any) -> None:
    """``analyze RESULT_DIR [--seed N]``."""
    an = sub.add_parser(
        "analyze",
        help="attribute final success to the six factors "
        "(run folder, or sweep saved with keep_freelancers)",
    )
    an.add_argument("result_dir", type=Path)
    an.add_argument("--seed", type=int, default=0, help="seed of the permutation shuffles")


def _add_findings(sub: Any) -> None:
    """``findings [--out DIR] [--results DIR] [--quick] [--workers N] [--quiet]``."""
    f = sub.add_parser(
        "findings",
        help="rerun the published-results experiments and write docs/findings.md with its figures",
    )
    f.add_argument(
        "--out",
        type=Path,
        help="docs folder: writes OUT/findings.md and OUT/img/findings/ (default "
        "docs; with --quick, RESULTS/docs, so the real page is never overwritten)",
    )
    f.add_argument(
        "--results", type=Path, help="where the sweeps go (default results/findings/<UTC>/)"
    )
    f.add_argument(
        "--quick",
        action="store_true",
        help="scaled-down worlds and few replicates: a check, not the findings",
    )
    f.add_argument("--workers", type=int, help="parallel workers (default: all cores)")
    f.add_argument("--quiet", action="store_true", help="no progress lines")


def _add_calibrate(sub: Any) -> None:
    """``calibrate search`` and ``calibrate score``: the baseline against the stylized facts."""
    c = sub.add_parser(
        "calibrate", help="calibrate a world against the stylized facts (search or score)"
    )
    cs = c.add_subparsers(
        dest="calibrate_command", metavar="{search,score}", required=True, parser_class=_Parser
    )
    s = cs.add_parser("search", help="Latin hypercube, replicate the best, confirm, write")
    s.add_argument("experiment", type=Path, help="e.g. experiments/calibration.toml")
    s.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    s.add_argument("--top", type=int, default=6, help="best points replicated (stage 2)")
    s.add_argument("--replicates", type=int, default=5, help="replicates per candidate")
    s.add_argument("--confirm", type=int, default=10, help="replicates of the confirmation")
    s.add_argument("--points", type=int, help="run only the first N points (for a try-out)")
    s.add_argument("--out", type=Path, help="results folder (default results/calibration/<UTC>)")
    s.add_argument("--force", action="store_true", help="replace an existing --out folder")
    s.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="write the chosen values as a world config here (e.g. configs/baseline.toml)",
    )
    s.add_argument(
        "--write-doc",
        type=Path,
        metavar="FILE",
        help="write the calibration page here (e.g. docs/calibration.md)",
    )
    s.add_argument("--quiet", action="store_true", help="no progress lines")
    sc = cs.add_parser("score", help="the targets table of a world over replicates")
    sc.add_argument("config", type=Path, help="a world config (TOML)")
    sc.add_argument("--replicates", type=int, default=5, help="runs of the world (default 5)")
    sc.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    sc.add_argument(
        "--root-seed",
        type=int,
        default=20240601,
        help="seeds as the confirmation derives them (default 20240601, the search's)",
    )
    sc.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key by its dotted name (repeatable)",
    )
    sc.add_argument("--quiet", action="store_true", help="no progress lines")


def _add_compare(sub: argparse._SubParsersAction) -> None:
    """The ``compare`` subcommand (issue 12)."""
    c = sub.add_parser(
        "compare",
        help="compare a run or sweep folder with observed profiles (CSV or Parquet)",
    )
    c.add_argument("result_dir", type=Path, help="a run folder, or a sweep kept with freelancers")
    c.add_argument("observed", type=Path, help="observed profiles (.csv or .parquet)")
    c.add_argument("--out", type=Path, help="comparison folder (default RESULT_DIR/compare/)")


def _add_docking(sub: Any) -> None:
    """``docking SWEEP_DIR [--variant DIR] [--reference CSV] [--out DIR]`` (issue 13)."""
    d = sub.add_parser(
        "docking",
        help="compare a Lukac & Grow (2020) docking sweep with their BehaviorSpace output; "
        "writes docs/docking.md",
    )
    d.add_argument("sweep_dir", type=Path, help="a sweep of experiments/lukac-grow-2020-docking")
    d.add_argument("--variant", type=Path, help="a second sweep (a variant) compared the same way")
    d.add_argument("--reference", type=Path, help="their CSV (default: the packaged copy)")
    d.add_argument(
        "--out",
        type=Path,
        default=Path("docs"),
        help="docs folder (default docs): OUT/docking.md and OUT/img/docking/",
    )


def _resolve_names(args: argparse.Namespace) -> None:
    """Shipped worlds and experiments by name: ``run baseline``, ``sweep reputation-weight``.

    A path (or an existing file of that name) is kept as given; ``validate NAME`` looks for a
    world first, then an experiment.
    """
    from marketplace_sim import data

    if args.command in ("run", "app") and args.config is not None:
        args.config = data.resolve_world(args.config)
    elif args.command == "sweep":
        args.experiment = data.resolve_experiment(args.experiment)
    elif args.command == "validate":
        name = str(args.file)
        if name in data.experiment_names() and name not in data.world_names():
            args.file = data.resolve_experiment(args.file)
        else:
            args.file = data.resolve_world(args.file)


def _is_experiment(path: Path) -> bool:
    data = read_toml(path)
    return any(k in data for k in EXPERIMENT_SECTIONS)


def _default_out(name: str) -> Path:
    """The default results folder of a run or sweep: ``results/<name>/<UTC timestamp>/``."""
    from marketplace_sim.provenance import utc_stamp

    return RESULTS_ROOT / name / utc_stamp()


def _notice_if_empty(path: Path) -> None:
    """An empty config is the default world: say so, since it is more often a slip."""
    if not read_toml(path):
        print(
            f"note: {path} is empty: every key takes its default (the default world)",
            file=sys.stderr,
        )


def _run_config(args: argparse.Namespace) -> Config:
    """The world of ``run``: the file, then ``--set``, ``--seed`` and ``--steps`` together.

    The flags are applied with the ``--set`` values before the result is checked, so
    ``--steps 100 --set interventions.first_job.at_step=80`` is valid over a 52-week file.
    Its limits and memory are checked too, naming the flag that gave a bad value.
    """
    from marketplace_sim.limits import check_fits

    overrides = parse_overrides(args.set)
    given = dict.fromkeys(overrides, "--set")  # key -> the flag that set it
    for flag, key, value in (
        ("--seed", "run.seed", args.seed),
        ("--steps", "run.steps", args.steps),
    ):
        if value is not None:
            overrides[key] = value  # a flag wins over --set of the same key
            given[key] = flag
    cfg = load_config(args.config)
    try:
        cfg = cfg.with_overrides(overrides, "--set")
        check_fits(cfg, args.config, prefer=given)
    except ConfigError as exc:
        if exc.key in given:  # name the flag that gave the bad value
            raise ConfigError(given[exc.key], exc.key, exc.message) from None
        raise
    return cfg


def cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``run``: one simulation into a run folder."""
    from marketplace_sim.experiments.outdir import input_files
    from marketplace_sim.experiments.run_folder import write_run

    _notice_if_empty(args.config)
    cfg = _run_config(args)
    out = args.out or _default_out(args.config.stem)
    show = not args.quiet and sys.stderr.isatty()
    write_run(
        cfg,
        out,
        command=[PROG, *argv],
        source=str(args.config),
        force=args.force,
        show_progress=show,
        figures=not args.no_figures,
        inputs=input_files(args.config),
    )
    print(f"wrote {out}")  # --quiet silences progress only
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``validate``: check a file (limits and memory included) and print its resolved values."""
    from marketplace_sim.limits import check_fits

    if _is_experiment(args.file):
        from marketplace_sim.experiments.design import check_sweep_fits, load_experiment

        exp = load_experiment(args.file)
        check_sweep_fits(exp)
        print(exp.describe())
        return 0
    _notice_if_empty(args.file)
    cfg = load_config(args.file)
    check_fits(cfg, args.file)
    print(f"# {args.file}: valid; every key, resolved")
    print(cfg.to_toml(), end="")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """``plot``: redraw figures of a run or sweep folder."""
    d: Path = args.result_dir
    if not d.is_dir():
        raise DataError(d, None, "no such results folder")
    if (d / "runs.parquet").exists():
        from marketplace_sim.experiments.figures import draw_sweep_figures

        paths = draw_sweep_figures(d)
    elif (d / "steps.parquet").exists() and (d / "freelancers.parquet").exists():
        from marketplace_sim.plots.run import draw_run_figures

        paths = draw_run_figures(d)
    else:
        raise DataError(d, None, "not a run or sweep folder (no steps.parquet or runs.parquet)")
    print(f"wrote {d / 'figures'} ({len(paths)} figures)")  # as analyze prints its folder
    return 0


def _sweep_out(args: argparse.Namespace, name: str) -> Path:
    """``--out``, else the latest sweep to resume, else ``results/<name>/<UTC>/``."""
    from marketplace_sim.experiments.sweep import latest_sweep

    if args.out is not None:
        return Path(args.out)
    if not args.resume:
        return _default_out(name)
    out = latest_sweep(RESULTS_ROOT / name)
    if out is None:
        raise OutputFolderError(
            args.experiment, None, f"nothing to resume under {RESULTS_ROOT / name} (give --out)"
        )
    return out


def cmd_sweep(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``sweep``: run an experiment; exit 1 if runs failed."""
    from marketplace_sim.experiments.design import load_experiment
    from marketplace_sim.experiments.sweep import SweepInterrupted, run_sweep

    exp = load_experiment(args.experiment)
    out = _sweep_out(args, exp.name)
    resume = f"{PROG} sweep {args.experiment} --out {out} --resume"
    try:
        report = run_sweep(
            exp,
            out,
            workers=args.workers,
            executor=args.executor,
            address=args.address,
            resume=args.resume,
            force=args.force,
            progress=not args.quiet,
            quiet=args.quiet,
            command=[PROG, *argv],
        )
    except SweepInterrupted as exc:
        print(f"{exc}; finish with: {resume}", file=sys.stderr)
        raise
    except FaultError as exc:  # disk full, a refused write: the parts written are kept
        raise FaultError(exc.path, exc.key, f"{exc.message}; then finish with: {resume}") from None
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    if report.n_failed:
        where = f"errors in {out / 'runs.parquet'}, column 'error'"
        if report.n_failed == report.n_runs - report.n_skipped:  # every run tried failed
            tail = "fix the cause first: a resume would run them the same way"
            print(
                f"{PROG}: error: all {report.n_failed} runs failed ({where}); {tail}",
                file=sys.stderr,
            )
        else:
            print(
                f"{PROG}: error: {report.n_failed} of {report.n_runs} runs failed ({where}); "
                f"retry them with: {resume}",
                file=sys.stderr,
            )
        return 1
    print(f"wrote {out}")  # --quiet silences progress only
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
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


def cmd_calibrate(args: argparse.Namespace) -> int:
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


def cmd_app(args: argparse.Namespace) -> int:
    """``app``: serve the classroom dashboard until Ctrl-C."""
    from marketplace_sim.app import server

    server.check_port(args.port)  # a bad port or config is refused before anything starts
    if args.config is not None:
        load_config(args.config)
    listener = server.prepare(args.config, host=args.host, port=args.port)
    for warning in listener.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    print(f"{PROG} dashboard on {listener.url} (Ctrl-C to stop)", flush=True)
    return server.run(listener)


def cmd_init(args: argparse.Namespace) -> int:
    """``init``: copy the shipped worlds, lessons and experiments into a new folder."""
    from marketplace_sim import data

    copied = data.copy_shipped(args.dir)
    tops = sorted({p.relative_to(args.dir).parts[0] for p in copied})
    print(
        f"wrote {args.dir} ({len(copied)} files in {', '.join(t + '/' for t in tops)}); "
        f"e.g. {PROG} run {args.dir / 'configs' / 'baseline.toml'}"
    )
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
        command=[PROG, *argv],
    )
    print(f"wrote {report.markdown} ({len(report.figures)} figures)")
    return 0


def _add_fit(sub: Any) -> None:
    """``fit OBSERVED [--params FIT.toml] [--config WORLD] [--budget N] ...`` (issue 12)."""
    f = sub.add_parser(
        "fit", help="estimate world keys from observed profiles (ABC-SMC); writes a fit folder"
    )
    f.add_argument("observed", type=Path, help="observed profiles (.csv or .parquet)")
    f.add_argument(
        "--params",
        type=Path,
        default=Path("fit-profiles"),
        help="the fit file: keys, priors, sizes (default: the shipped fit-profiles)",
    )
    f.add_argument("--config", type=Path, help="the base world (default: baseline)")
    f.add_argument("--budget", type=int, help="simulations at most (default: the fit file's)")
    f.add_argument("--workers", type=int, help="parallel workers (default: all cores)")
    f.add_argument("--executor", choices=("local", "dask"), default="local")
    f.add_argument("--address", help="Dask scheduler address, e.g. tcp://host:8786")
    f.add_argument("--out", type=Path, help="fit folder (default results/fit-<observed>/<UTC>/)")
    f.add_argument("--resume", action="store_true", help="finish an interrupted fit")
    f.add_argument("--force", action="store_true", help="replace an existing --out folder")
    f.add_argument("--quiet", action="store_true", help="no progress bar")


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # line by line, so that a closed pipe (``| head``) shows while main still runs
    getattr(sys.stdout, "reconfigure", lambda **_: None)(line_buffering=True)
    if argv[:1] in (["--version"], ["-V"]):
        from marketplace_sim.version import __version__

        print(f"{PROG} {__version__}")
        return 0
    try:
        args = build_parser().parse_args(argv)
        _resolve_names(args)
        if args.command == "run":
            return cmd_run(args, argv)
        if args.command == "validate":
            return cmd_validate(args)
        if args.command == "plot":
            return cmd_plot(args)
        if args.command == "sweep":
            return cmd_sweep(args, argv)
        if args.command == "analyze":
            return cmd_analyze(args)
        if args.command == "findings":
            return cmd_findings(args, argv)
        if args.command == "calibrate":
            return cmd_calibrate(args)
        if args.command == "app":
            return cmd_app(args)
        if args.command == "init":
            return cmd_init(args)
        if args.command == "compare":
            return cmd_compare(args, argv)
        if args.command == "docking":
            return cmd_docking(args, argv)
        if args.command == "fit":
            return cmd_fit(args, argv)
    except MarketplaceSimError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. ``head -1``) has what it wanted: no traceback, and no second
        # error when Python flushes stdout at exit
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
    return 1  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
