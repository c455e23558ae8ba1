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
from collections.abc import Callable, Sequence

from marketplace_sim.cli.common import BROKEN_PIPE, PROG, RESULTS_ROOT, _resolve_names
from marketplace_sim.cli.parser import build_parser
from marketplace_sim.cli.studies import (
    cmd_analyze,
    cmd_calibrate,
    cmd_compare,
    cmd_docking,
    cmd_findings,
    cmd_fit,
    cmd_sensitivity,
)
from marketplace_sim.cli.worlds import cmd_app, cmd_init, cmd_plot, cmd_run, cmd_sweep, cmd_validate
from marketplace_sim.errors import MarketplaceSimError

#: command -> its function, each taking (args, argv)
COMMANDS: dict[str, Callable[[argparse.Namespace, Sequence[str]], int]] = {
    "run": cmd_run,
    "validate": cmd_validate,
    "plot": cmd_plot,
    "sweep": cmd_sweep,
    "analyze": cmd_analyze,
    "findings": cmd_findings,
    "sensitivity": cmd_sensitivity,
    "calibrate": cmd_calibrate,
    "app": cmd_app,
    "init": cmd_init,
    "compare": cmd_compare,
    "docking": cmd_docking,
    "fit": cmd_fit,
}

__all__ = ["COMMANDS", "PROG", "RESULTS_ROOT", "build_parser", "main"]


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
        return COMMANDS[args.command](args, argv)
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
