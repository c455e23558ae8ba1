"""Helpers shared by the command-line tests (imported by test modules, not collected)."""

from pathlib import Path

from marketplace_sim.cli import main


def one_error_line(capsys) -> str:
    """The single stderr line of a failed command (no traceback), asserting there is one."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def sweep(exp: Path, out: Path, *extra: str) -> int:
    """Run ``marketplace-sim sweep EXP --out OUT --quiet [extra]``; returns the exit code."""
    return main(["sweep", str(exp), "--out", str(out), "--quiet", *extra])
