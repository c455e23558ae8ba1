"""The command-line parser: one ``_add_*`` function per command group."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from marketplace_sim.cli.common import (
    PROG,
    _Parser,
)


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
    _add_sensitivity(sub)
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


def _add_sensitivity(sub: Any) -> None:
    """``sensitivity [--out DIR] [--results DIR] [--quick] [--workers N] [--quiet]``."""
    f = sub.add_parser(
        "sensitivity",
        help="Morris screen of the study effects (Pallais, boost, niche, concentration, "
        "MusicLab); writes docs/sensitivity.md with its figure",
    )
    f.add_argument(
        "--out",
        type=Path,
        help="docs folder: writes OUT/sensitivity.md and OUT/img/sensitivity/ (default "
        "docs; with --quick, RESULTS/docs, so the real page is never overwritten)",
    )
    f.add_argument(
        "--results",
        type=Path,
        help="where the sweeps go; an existing one is resumed (default "
        "results/sensitivity-studies, with --quick results/sensitivity-studies-quick)",
    )
    f.add_argument(
        "--quick",
        action="store_true",
        help="small worlds and 2 Morris trajectories: a check, not the screen",
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
    """``docking SWEEP_DIR [--variant DIR] [--reference CSV] [--ladder DIR] [--out DIR]``."""
    d = sub.add_parser(
        "docking",
        help="compare a Lukac & Grow (2020) docking sweep with their BehaviorSpace output; "
        "writes docs/docking.md",
    )
    d.add_argument("sweep_dir", type=Path, help="a sweep of experiments/lukac-grow-2020-docking")
    d.add_argument("--variant", type=Path, help="a second sweep (a variant) compared the same way")
    d.add_argument("--reference", type=Path, help="their CSV (default: the packaged copy)")
    d.add_argument(
        "--ladder",
        type=Path,
        help="a sweep of experiments/lukac-grow-2020-ladder: the section on what each of our "
        "mechanisms adds",
    )
    d.add_argument(
        "--out",
        type=Path,
        default=Path("docs"),
        help="docs folder (default docs): OUT/docking.md and OUT/img/docking/",
    )


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
