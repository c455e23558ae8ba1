"""The ``marketplace-sim`` command: parse, call the library, map known errors to exit codes.

Exit codes: 0 success; 2 bad input (usage, config, missing file), with one line on stderr naming
the file and the dotted key and no traceback; 1 anything unexpected.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from marketplace_sim.config import load_config, parse_overrides, read_toml
from marketplace_sim.errors import ConfigError, MarketplaceSimError, UsageError

PROG = "marketplace-sim"
RESULTS_ROOT = Path("results")
EXPERIMENT_SECTIONS = ("experiment", "sweep", "sample")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and an exception, not a multi-line exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = _Parser(prog=PROG, description="An agent-based model of a freelance marketplace.")
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

    an = sub.add_parser(
        "analyze",
        help="attribute final success to the six factors "
        "(run folder, or sweep saved with keep_freelancers)",
    )
    an.add_argument("result_dir", type=Path)
    an.add_argument("--seed", type=int, default=0, help="seed of the permutation shuffles")

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

    a = sub.add_parser("app", help="the classroom dashboard in the browser")
    a.add_argument("config", type=Path, nargs="?", help="starting config (TOML)")
    a.add_argument("--port", type=int, default=8765, help="1-65535, or 0 for any free port")
    a.add_argument("--host", default="127.0.0.1", help="default: this machine only (no login)")
    return p


def _is_experiment(path: Path) -> bool:
    data = read_toml(path)
    return any(k in data for k in EXPERIMENT_SECTIONS)


def cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``run``: one simulation into a run folder."""
    from marketplace_sim.experiments.run_folder import default_out, write_run

    cfg = load_config(args.config, parse_overrides(args.set))
    for flag, key, value in (
        ("--seed", "run.seed", args.seed),
        ("--steps", "run.steps", args.steps),
    ):
        if value is not None:
            cfg = cfg.with_overrides({key: value}, source=flag)
    out = args.out or default_out(RESULTS_ROOT, args.config.stem)
    show = not args.quiet and sys.stderr.isatty()
    write_run(
        cfg,
        out,
        command=[PROG, *argv],
        source=str(args.config),
        force=args.force,
        show_progress=show,
        figures=not args.no_figures,
    )
    if not args.quiet:
        print(f"wrote {out}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``validate``: check a file and print its resolved values."""
    if _is_experiment(args.file):
        from marketplace_sim.experiments.sweep import load_experiment

        exp = load_experiment(args.file)
        print(exp.describe())
        return 0
    cfg = load_config(args.file)
    print(f"# {args.file}: valid; every key, resolved")
    print(cfg.to_toml(), end="")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """``plot``: redraw figures of a run or sweep folder."""
    d: Path = args.result_dir
    if not d.is_dir():
        raise ConfigError(d, None, "no such results folder")
    if (d / "runs.parquet").exists():
        from marketplace_sim.experiments.sweep import draw_sweep_figures

        paths = draw_sweep_figures(d)
    elif (d / "steps.parquet").exists() and (d / "freelancers.parquet").exists():
        from marketplace_sim.plots.figures import draw_run_figures

        paths = draw_run_figures(d)
    else:
        raise ConfigError(d, None, "not a run or sweep folder (no steps.parquet or runs.parquet)")
    for p in paths:
        print(p)
    return 0


def cmd_sweep(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``sweep``: run an experiment."""
    from marketplace_sim.experiments.sweep import run_sweep_command

    return run_sweep_command(args, [PROG, *argv])


def cmd_analyze(args: argparse.Namespace) -> int:
    """``analyze``: six-factor attribution of a run or sweep folder into ``analysis/``."""
    from marketplace_sim.analysis.attribution import analyze_results

    report = analyze_results(args.result_dir, seed=args.seed)
    print(report.text())
    for p in report.written:
        print(f"wrote {p}")
    return 0


def cmd_findings(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``findings``: rerun the experiments and regenerate docs/findings.md."""
    from marketplace_sim.experiments.run_folder import default_out
    from marketplace_sim.reports.findings import FindingsError, generate

    results = args.results or default_out(
        RESULTS_ROOT, "findings-quick" if args.quick else "findings"
    )
    out = args.out or (results / "docs" if args.quick else Path("docs"))
    try:
        report = generate(
            out,
            results,
            quick=args.quick,
            workers=args.workers,
            progress=not args.quiet,
            command=[PROG, *argv],
        )
    except FindingsError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(
            f"wrote {report.markdown} ({len(report.figures)} figures; sweeps in "
            f"{report.results}; {report.wall_seconds:.0f} s)"
        )
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
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
        if args.command == "docking":
            return cmd_docking(args, argv)
        if args.command == "app":
            return cmd_app(args)
    except MarketplaceSimError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 1  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
