"""A wheel that works anywhere: built, installed (not editable) into a fresh virtual
environment, then used from an empty folder outside the checkout.

``marketplace-sim --version``, ``init DIR``, ``run smoke`` and ``run baseline`` (shipped worlds
by name), ``sweep smoke`` (a shipped experiment by name), ``validate reputation-weight`` and
``app`` (the page answers, its assets are served from the installed package) are run exactly as
a user would. Slow (it installs the dependencies into the new environment; pip's cache makes a
second run quick), so marked ``slow``; CI runs it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace_sim.version import __version__

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``bin/`` folder of a fresh venv with the wheel installed."""
    work = tmp_path_factory.mktemp("wheel")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(work / "dist"), str(ROOT)],
        cwd=work,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    wheels = list((work / "dist").glob("marketplace_sim-*.whl"))
    assert len(wheels) == 1, wheels
    venv.create(work / "env", with_pip=True)
    bin_dir = work / "env" / "bin"
    inst = _run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "-c",
            str(ROOT / "constraints.txt"),
            str(wheels[0]),
        ],
        cwd=work,
        timeout=1500,
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    yield bin_dir


@pytest.fixture()
def elsewhere(tmp_path: Path) -> Path:
    """An empty folder that is not the checkout."""
    d = tmp_path / "elsewhere"
    d.mkdir()
    return d


def test_the_wheel_holds_the_package_data_not_the_checkout(installed):
    where = _run(
        [
            str(installed / "python"),
            "-c",
            "import marketplace_sim, sys; print(marketplace_sim.__file__)",
        ],
        cwd=installed,
    )
    assert "site-packages" in where.stdout and str(ROOT) not in where.stdout


def test_version(installed, elsewhere):
    out = _run([str(installed / "marketplace-sim"), "--version"], cwd=elsewhere)
    assert out.returncode == 0 and out.stdout.strip() == f"marketplace-sim {__version__}"


def test_run_shipped_worlds_by_name(installed, elsewhere):
    out = _run([str(installed / "marketplace-sim"), "run", "smoke", "--quiet"], cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    runs = list((elsewhere / "results" / "smoke").iterdir())
    assert len(runs) == 1
    names = sorted(p.name for p in runs[0].iterdir())
    assert {"config.toml", "manifest.json", "steps.parquet", "figures"} <= set(names)
    base = _run(
        [
            str(installed / "marketplace-sim"),
            "run",
            "baseline",
            "--quiet",
            "--steps",
            "26",
            "--no-figures",
            "--out",
            "b",
        ],
        cwd=elsewhere,
    )
    assert base.returncode == 0, base.stderr
    assert (elsewhere / "b" / "steps.parquet").is_file()


def test_sweep_and_validate_shipped_experiments_by_name(installed, elsewhere):
    val = _run([str(installed / "marketplace-sim"), "validate", "reputation-weight"], cwd=elsewhere)
    assert val.returncode == 0, val.stderr
    assert re.search(r"\b40 runs\b", val.stdout), val.stdout
    sw = _run(
        [
            str(installed / "marketplace-sim"),
            "sweep",
            "smoke",
            "--workers",
            "2",
            "--quiet",
            "--out",
            "s",
        ],
        cwd=elsewhere,
    )
    assert sw.returncode == 0, sw.stderr
    assert {"runs.parquet", "conditions.parquet", "manifest.json"} <= {
        p.name for p in (elsewhere / "s").iterdir()
    }


def test_init_copies_everything_to_edit_and_the_copy_runs(installed, elsewhere):
    out = _run([str(installed / "marketplace-sim"), "init", "mine"], cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    assert (elsewhere / "mine" / "configs" / "baseline.toml").is_file()
    assert (elsewhere / "mine" / "configs" / "lessons" / "2-first-job.md").is_file()
    again = _run([str(installed / "marketplace-sim"), "init", "mine"], cwd=elsewhere)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    val = _run(
        [str(installed / "marketplace-sim"), "validate", "mine/experiments/reputation-weight.toml"],
        cwd=elsewhere,
    )
    assert val.returncode == 0, val.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_app_serves_from_the_installed_package(installed, elsewhere):
    port = _free_port()
    proc = subprocess.Popen(
        [str(installed / "marketplace-sim"), "app", "--port", str(port)],
        cwd=elsewhere,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    try:
        deadline = time.monotonic() + 90
        page = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    page = r.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert page, "the app did not answer"
        assets = re.findall(r'(/static/assets/cdn/[^"\']+\.js)', page)
        assert assets, "the page names no locally served bundle"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{assets[0]}", timeout=10) as r:
            assert r.status == 200 and len(r.read()) > 1000
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
