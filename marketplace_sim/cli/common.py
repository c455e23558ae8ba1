"""What every command shares: the program name, default folders, shipped names, the parser class."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path
from typing import NoReturn

from marketplace_sim.config import read_toml
from marketplace_sim.errors import (
    UsageError,
)

PROG = "marketplace-sim"
RESULTS_ROOT = Path("results")
BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a command whose reader went away
EXPERIMENT_SECTIONS = ("experiment", "sweep", "sample")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and an exception, not a multi-line exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}{self._did_you_mean(message)} (see '{self.prog} --help')")

    def _did_you_mean(self, message: str) -> str:
        """``(did you mean 'run'?)`` for a mistyped command, choice or option, else ``""``."""
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            typed, known = choice[1], re.findall(r"'([^']*)'", choice[2])
        else:
            unknown = re.search(r"unrecognized arguments: (-[^\s=]+)", message)
            if not unknown:
                return ""
            typed = unknown[1]
            known = [o for a in self._actions for o in a.option_strings]
            for a in self._actions:  # a subcommand's options, when the typo follows it
                if isinstance(a, argparse._SubParsersAction):
                    for sub in a.choices.values():
                        known += [o for b in sub._actions for o in b.option_strings]
        close = difflib.get_close_matches(typed, known, n=1)
        return f" (did you mean '{close[0]}'?)" if close else ""


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
