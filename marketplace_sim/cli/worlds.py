"""Commands on worlds and experiments.

``run``, ``validate``, ``plot``, ``sweep``, ``app`` and ``init``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from marketplace_sim.cli.common import (
    PROG,
    RESULTS_ROOT,
    _default_out,
    _is_experiment,
    _notice_if_empty,
)
from marketplace_sim.config import Config, load_config, parse_overrides, read_toml
from marketplace_sim.errors import (
    ConfigError,
    DataError,
    FaultError,
    OutputFolderError,
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


def cmd_validate(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """``validate``: check a file (limits and memory included) and print its resolved values."""
    from marketplace_sim.limits import check_fits

    if "fit" in read_toml(args.file):  # a fit file (marketplace-sim fit --params)
        import json

        from marketplace_sim.analysis.fit import load_fit_spec

        spec = load_fit_spec(args.file)
        print(f"# {args.file}: valid fit file; {len(spec.params)} keys estimated")
        print(json.dumps(spec.to_json(), indent=1, default=str))
        return 0
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


def cmd_plot(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
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


def cmd_app(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
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


def cmd_init(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    """``init``: copy the shipped worlds, lessons and experiments into a new folder."""
    from marketplace_sim import data

    copied = data.copy_shipped(args.dir)
    tops = sorted({p.relative_to(args.dir).parts[0] for p in copied})
    print(
        f"wrote {args.dir} ({len(copied)} files in {', '.join(t + '/' for t in tops)}); "
        f"e.g. {PROG} run {args.dir / 'configs' / 'baseline.toml'}"
    )
    return 0
