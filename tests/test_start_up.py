"""What a run's process imports (issue 14, the whole process): only what a run uses.

Each check runs in a fresh interpreter, since this test process has imported everything.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Imported by a run without figures only if something regressed: figures, the fit's
#: inference, the compiled kernels (a single small run does not load them), Mesa's spaces and
#: batch runner (and, through them, networkx, tqdm, asyncio).
NOT_FOR_A_RUN = (
    "matplotlib",
    "scipy",
    "numba",
    "networkx",
    "tqdm",
    "asyncio",
    "mesa.space",
    "mesa.discrete_space",
    "mesa.batchrunner",
)


def _in_fresh_python(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_run_without_figures_imports_no_plotting_inference_or_mesa_spaces(tmp_path):
    """`marketplace-sim run --no-figures` of the smoke world, then the modules it loaded."""
    got = _in_fresh_python(
        "import json, sys, types\n"
        "from marketplace_sim.cli import main\n"
        f"main(['run', 'configs/smoke.toml', '--out', r'{tmp_path / 'run'}', '--quiet',"
        " '--no-figures'])\n"
        "real = {n for n, m in sys.modules.items() if type(m) is types.ModuleType}\n"
        f"print(json.dumps(sorted(n for n in {NOT_FOR_A_RUN!r} if n in real)))\n"
    )
    assert got == []
    assert (tmp_path / "run" / "steps.parquet").is_file()


def test_deferred_mesa_parts_still_work_and_the_logger_keeps_its_name():
    """Stand-ins import the real module on use: mesa.batch_run, grids, and `from ... import`.

    ``mesa.model``'s logger is named from its frame (``inspect.stack``, asked for no source
    lines while Mesa is imported): the name must be the one Mesa gives it.
    """
    got = _in_fresh_python(
        "import json, logging, sys, warnings\n"
        "import marketplace_sim.model\n"
        "import mesa\n"
        "from marketplace_sim import MarketplaceModel\n"
        "before = 'tqdm' in sys.modules\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('ignore')\n"
        "    rows = mesa.batch_run(MarketplaceModel, parameters={'market__freelancers': 40,"
        " 'market__clients': 10, 'run__steps': 2}, iterations=2, number_processes=1,"
        " max_steps=5, display_progress=False)\n"
        "from mesa.discrete_space import OrthogonalMooreGrid\n"
        "from mesa.space import MultiGrid\n"
        "print(json.dumps({'tqdm_before': before, 'rows': len(rows),"
        " 'steps': sorted({r['Step'] for r in rows}),"
        " 'grid': OrthogonalMooreGrid.__name__, 'multigrid': MultiGrid.__name__,"
        " 'batchrunner_real': hasattr(sys.modules['mesa.batchrunner'], '__file__'),"
        " 'loggers': sorted(n for n in logging.root.manager.loggerDict"
        " if n.startswith('MESA.'))}))\n"
    )
    assert got["tqdm_before"] is False
    assert got["rows"] == 2 and got["steps"] == [2]
    assert got["grid"] == "OrthogonalMooreGrid" and got["multigrid"] == "MultiGrid"
    assert got["batchrunner_real"] is True
    assert "MESA.mesa.model" in got["loggers"]
