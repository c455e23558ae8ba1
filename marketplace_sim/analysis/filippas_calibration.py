"""Calibrate ``reviews.inflation`` on the private-vs-public datum (Filippas, Horton & Golden).

``python -m marketplace_sim.analysis.filippas_calibration [--workers N]`` runs the grid of
``experiments/filippas-pressure-calibration.toml`` with the contract log kept, computes per run
the share of dissatisfied employers who gave 4+ public stars in years 9-10
(:mod:`marketplace_sim.analysis.filippas`), interpolates the replicate means onto 24 % and
writes the result to ``experiments/filippas-pressure-calibration.json``. The value shipped in
``experiments/filippas-inflation.toml`` is that record's ``chosen`` (a test compares them).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from marketplace_sim.analysis import filippas

MODULE = "marketplace_sim.analysis.filippas_calibration"


def calibrate_pressure(
    experiment: Path = filippas.CALIBRATION_EXPERIMENT,
    record: Path = filippas.RECORD,
    workers: int = 2,
    command: Sequence[str] = (),
) -> filippas.Calibration:
    """Run the calibration grid, interpolate onto the target and write the record."""
    from marketplace_sim.experiments.sweep import load_experiment

    exp = load_experiment(experiment)
    per_run = filippas.run_statistics(exp, workers)
    cal = filippas.calibrate(per_run)
    chosen = filippas.rounded(cal.value, cal.low, cal.high)
    steps = int(exp.runs()[0].config_dict()["run"]["steps"])
    filippas.write_record(
        record,
        cal,
        chosen,
        {
            "experiment": experiment.name,
            "replications": exp.replications,
            "weeks": list(filippas.private_window(steps)),
            "command": " ".join(command),
        },
    )
    return cal


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m marketplace_sim.analysis.filippas_calibration [--workers N]``."""
    given = list(sys.argv[1:] if argv is None else argv)
    workers = int(given[given.index("--workers") + 1]) if "--workers" in given else 2
    cal = calibrate_pressure(workers=workers, command=("python", "-m", MODULE, *given))
    for x, m, lo, hi, n in cal.grid:
        print(f"inflation {x:5.3f}: {100 * m:5.1f} % [{100 * lo:5.1f}, {100 * hi:5.1f}] (n={n})")
    print(f"crosses {filippas.TARGET:.0%} at {cal.value:.4f} [{cal.low:.4f}, {cal.high:.4f}]")
    print(f"wrote {filippas.RECORD}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover - the entry point
    raise SystemExit(main())
