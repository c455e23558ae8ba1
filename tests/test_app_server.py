"""``marketplace-sim app``: port and host checks, the printed URL, and a real server on port 0.

Through ``cli.main(argv)`` with the serving step (``server.run``) replaced, so nothing blocks;
one test starts the real server in a subprocess on ``--port 0`` and connects to the port it
printed.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import solara.server.settings as server_settings
import solara.settings

from marketplace_sim.app import lessons, server
from marketplace_sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
URL_LINE = re.compile(r"^marketplace-sim dashboard on (http://\S+) \(Ctrl-C to stop\)$")
SOLARA_ENV = (
    lessons.CONFIG_ENV,
    "SOLARA_APP",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE",
    "SERVER_NAME",
    "SERVER_PORT",
)


@pytest.fixture
def served(monkeypatch) -> list[server.Listener]:
    """``main(["app", ...])`` runs up to serving; the listeners it would serve are collected.

    The environment and Solara settings that ``prepare`` sets are restored afterwards, so the
    headless page tests in this process see Solara as they would without it.
    """
    for name in SOLARA_ENV:
        monkeypatch.delenv(name, raising=False)
    for obj, attr in (
        (server_settings.main, "mode"),
        (server_settings.telemetry, "mixpanel_enable"),
        (server_settings.theme, "title"),
        (server_settings.theme, "show_banner"),
        (server_settings.assets, "extra_locations"),
        (server_settings.assets, "fontawesome_enabled"),
        (solara.settings.assets, "proxy"),
        (solara.settings.assets, "cdn"),
    ):
        monkeypatch.setattr(obj, attr, getattr(obj, attr))
    calls: list[server.Listener] = []

    def fake_run(listener: server.Listener) -> int:
        calls.append(listener)
        listener.sock.close()
        return 0

    monkeypatch.setattr(server, "run", fake_run)
    return calls


def url_of(out: str) -> str:
    """The URL of the one 'dashboard on' line of stdout."""
    (line,) = [ln for ln in out.splitlines() if ln.strip()]
    found = URL_LINE.match(line)
    assert found, line
    return found[1]


# --------------------------------------------------------------------------------------------
# Port


@pytest.mark.parametrize("port", ["-1", "65536", "70000"])
def test_a_port_outside_1_to_65535_is_one_line_and_exit_2(port, served, capsys):
    assert main(["app", "--port", port]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"marketplace-sim: error: --port {port}: must be 1-65535, or 0 for any free port\n"
    )
    assert served == []  # refused before anything was bound or started


def test_the_port_is_checked_before_the_config(tmp_path, served, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[market]\nfreelancers = -1\n")
    assert main(["app", str(bad), "--port", "99999"]) == 2
    assert "--port 99999" in capsys.readouterr().err


@pytest.mark.parametrize("port", [1, 8765, 65535, 0])
def test_check_port_accepts_the_valid_range_and_zero(port):
    assert server.check_port(port) == port


def test_port_0_prints_the_real_port(served, capsys):
    assert main(["app", "--port", "0"]) == 0
    (listener,) = served
    url = urlsplit(url_of(capsys.readouterr().out))
    assert url.hostname == "127.0.0.1"
    assert url.port == listener.port and 1024 <= listener.port <= 65535
    assert url.path == "/"


def test_the_printed_port_is_the_one_bound(served, capsys):
    """The socket handed to the server is listening on the port in the URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listener = server.prepare(None, "127.0.0.1", port)
    try:
        assert listener.sock.getsockname()[1] == port == listener.port
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # the kernel accepts on a listening socket even before uvicorn runs
    finally:
        listener.sock.close()


# --------------------------------------------------------------------------------------------
# Host and URL


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8765, "http://127.0.0.1:8765/"),
        ("localhost", 80, "http://localhost:80/"),
        ("::1", 8765, "http://[::1]:8765/"),
        ("[::1]", 8765, "http://[::1]:8765/"),
        ("::", 1, "http://[::]:1/"),
        ("fe80::1", 65535, "http://[fe80::1]:65535/"),
    ],
)
def test_dashboard_url_is_valid_for_ipv4_ipv6_and_names(host, port, url):
    assert server.dashboard_url(host, port) == url
    parts = urlsplit(url)
    assert parts.hostname == host.strip("[]") and parts.port == port


def test_an_ipv6_host_prints_a_bracketed_url(served, capsys):
    assert main(["app", "--host", "::1", "--port", "0"]) == 0
    (listener,) = served
    out = capsys.readouterr()
    assert url_of(out.out) == f"http://[::1]:{listener.port}/"
    assert listener.sock.family == socket.AF_INET6
    assert "warning" not in out.err  # ::1 is loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.5.6.7", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("no-such-host.invalid", False),
    ],
)
def test_is_loopback(host, loopback):
    assert server.is_loopback(host) is loopback


def test_a_host_beyond_loopback_warns_that_there_is_no_login(served, capsys):
    assert main(["app", "--host", "0.0.0.0", "--port", "0"]) == 0
    (listener,) = served
    out = capsys.readouterr()
    assert url_of(out.out) == f"http://0.0.0.0:{listener.port}/"
    warnings = [ln for ln in out.err.splitlines() if "warning" in ln]
    assert warnings == [
        f"marketplace-sim: warning: --host 0.0.0.0: the dashboard has no login; anyone who "
        f"can reach 0.0.0.0:{listener.port} can open it and use it (--host 127.0.0.1 keeps it "
        "to this machine)"
    ]


def test_the_loopback_default_does_not_warn(served, capsys):
    assert main(["app", "--port", "0"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_an_unknown_host_is_one_line_and_exit_2(served, capsys):
    assert main(["app", "--host", "no-such-host.invalid", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("marketplace-sim: error: --host: cannot listen on no-such-host.invalid")
    assert len(err.splitlines()) == 1
    assert served == []


def test_prepare_points_solara_at_the_page_and_the_bundled_assets(served):
    listener = server.prepare(None, "127.0.0.1", 0)
    listener.sock.close()
    assert os.environ["SOLARA_APP"] == server.APP_TARGET == "marketplace_sim.app.page:page"
    assert os.environ["SERVER_PORT"] == str(listener.port)
    assert lessons.CONFIG_ENV not in os.environ  # no config: the page's default
    assert solara.settings.assets.proxy is False  # nothing from the CDN
    assert listener.warnings == []


# --------------------------------------------------------------------------------------------
# A real server


def _read_lines(stream, lines: list[str]) -> None:
    for line in stream:
        lines.append(line.rstrip("\n"))


def test_port_0_serves_the_dashboard_on_the_printed_port():
    """The real server, on ``--port 0``: the port it prints answers HTTP with the page."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "marketplace_sim", "app", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        url = None
        while url is None:
            found = [m for ln in lines if (m := URL_LINE.match(ln))]
            if found:
                url = found[0][1]
            elif proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no URL printed (exit {proc.poll()}):\n" + "\n".join(lines))
            else:
                time.sleep(0.2)
        port = urlsplit(url).port
        assert port and port != 0
        while True:  # the socket listens at once; uvicorn answers once it has started
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    assert "Freelance marketplace" in response.read().decode("utf-8", "replace")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        reader.join(timeout=5)
