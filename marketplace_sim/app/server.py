"""Serving the dashboard: port and host checks, the URL, offline assets, Solara's server.

:func:`prepare` checks the port, binds the listening socket itself (so ``port = 0`` gets a free
port from the system and the URL names the real one, with no race between choosing and
binding) and points Solara at the page (``marketplace_sim.app.page:page``) and at the bundled
JavaScript, CSS and fonts in ``app/assets/``; :func:`run` hands the socket to uvicorn until
Ctrl-C. :func:`serve` does both. Nothing is fetched from the internet at run time: Solara's
telemetry and version check are off.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from marketplace_sim.app.lessons import CONFIG_ENV
from marketplace_sim.errors import UsageError

__all__ = [
    "APP_TARGET",
    "ASSETS_DIR",
    "Listener",
    "check_port",
    "dashboard_url",
    "host_warning",
    "is_loopback",
    "listen",
    "prepare",
    "run",
    "serve",
    "use_vendored_assets",
    "vendored_assets_fit",
]

APP_TARGET = "marketplace_sim.app.page:page"  # what `solara run` serves
ASSETS_DIR = Path(str(resources.files("marketplace_sim.app") / "assets"))
ASSETS_URL = "/static/assets/cdn"  # where Solara's page looks for ASSETS_DIR / "cdn"
BACKLOG = 2048  # uvicorn's default
MAX_PORT = 65535


# --------------------------------------------------------------------------------------------
# Port, host and URL


def check_port(port: int) -> int:
    """Return ``port`` if it is 1-65535, or 0 for any free port.

    Raises:
        UsageError: for anything else (exit code 2).
    """
    if 0 <= port <= MAX_PORT:
        return port
    raise UsageError(f"--port {port}: must be 1-{MAX_PORT}, or 0 for any free port")


def _bare(host: str) -> str:
    """The host without the brackets of an IPv6 literal (``[::1]`` -> ``::1``)."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _host_port(host: str, port: int) -> str:
    """``host:port``, with an IPv6 literal in brackets as URLs write it (RFC 3986)."""
    bare = _bare(host)
    return f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"


def dashboard_url(host: str, port: int) -> str:
    """The URL a browser opens, e.g. ``http://127.0.0.1:8765/`` or ``http://[::1]:8765/``."""
    return f"http://{_host_port(host, port)}/"


def is_loopback(host: str) -> bool:
    """True if ``host`` is only reachable from this machine (127.0.0.0/8, ::1, localhost).

    A name counts as loopback when every address it resolves to is; a name that does not
    resolve does not.
    """
    bare = _bare(host)
    if bare.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(bare, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    addresses = {str(info[4][0]).split("%")[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def host_warning(host: str, port: int) -> str | None:
    """The warning for a host beyond loopback (the dashboard has no login), else None."""
    if is_loopback(host):
        return None
    return (
        f"--host {host}: the dashboard has no login; anyone who can reach "
        f"{_host_port(host, port)} can open it and use it (--host 127.0.0.1 keeps it to this "
        "machine)"
    )


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host`` and ``port`` (0: a free port the system picks).

    Raises:
        UsageError: if the host does not resolve or the port cannot be bound (taken, or
            privileged), as one line naming ``--host`` or ``--port``.
    """
    bare = _bare(host)
    try:
        infos = socket.getaddrinfo(
            bare, check_port(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise UsageError(f"--host: cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        # as uvicorn does: a restart may reuse a port in TIME_WAIT, never a port in use
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        msg = f"--port: cannot listen on {_host_port(host, port)}: {exc.strerror}"
        raise UsageError(msg) from None
    return sock


@dataclass
class Listener:
    """A bound socket ready for :func:`run`, with what to tell the person who started it.

    Attributes:
        sock: the listening socket.
        host: the host as given.
        port: the real port (the system's pick when 0 was asked for).
        warnings: lines to print before serving (open host, assets not bundled).
    """

    sock: socket.socket
    host: str
    port: int
    warnings: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The URL to open."""
        return dashboard_url(self.host, self.port)


# --------------------------------------------------------------------------------------------
# Solara


def vendored_assets_fit() -> bool:
    """True if ``app/assets/cdn`` holds the app bundle the installed Solara's page asks for.

    Solara's page loads ``@widgetti/solara-vuetify3-app@VERSION`` (with ipyvuetify 3) from a
    CDN; the version is read from Solara's own page template, so an upgraded Solara that needs
    another bundle is noticed rather than served a wrong one.
    """
    import solara.server.server as solara_server

    template = Path(solara_server.__file__).parent / "templates" / "solara.html.j2"
    found = re.search(r"@widgetti/solara-vuetify3-app@([\w.+-]+)/", template.read_text("utf-8"))
    return bool(
        found
        and solara_server.vue3
        and (ASSETS_DIR / "cdn" / "@widgetti" / f"solara-vuetify3-app@{found.group(1)}").is_dir()
    )


def use_vendored_assets() -> bool:
    """Point Solara at ``app/assets/`` instead of its CDN proxy; False if they do not fit.

    Must run before ``solara.server.starlette`` is imported (it mounts the proxy on import).
    """
    import solara.server.settings as server_settings
    import solara.settings

    if not vendored_assets_fit():
        return False
    solara.settings.assets.proxy = False
    solara.settings.assets.cdn = ASSETS_URL
    server_settings.assets.extra_locations = [str(ASSETS_DIR)]
    server_settings.assets.fontawesome_enabled = False  # nothing here uses Font Awesome
    return True


def _configure_solara(config: str | Path | None, host: str, port: int) -> bool:
    """Set Solara up for the page (environment and settings); False if assets are not bundled."""
    if config is not None:
        os.environ[CONFIG_ENV] = str(Path(config).resolve())
    else:
        os.environ.pop(CONFIG_ENV, None)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    os.environ["SOLARA_APP"] = APP_TARGET
    os.environ["SERVER_NAME"] = _bare(host)  # the CGI variables `solara run` sets too
    os.environ["SERVER_PORT"] = str(port)

    import solara.server.settings as server_settings

    server_settings.telemetry.mixpanel_enable = False
    server_settings.main.mode = "production"  # no hot reload, no check that calls home
    server_settings.theme.title = "Freelance marketplace"
    server_settings.theme.show_banner = False  # the "runs on Solara" badge covers the table
    return use_vendored_assets()


def prepare(config: str | Path | None, host: str = "127.0.0.1", port: int = 8765) -> Listener:
    """Check the port, bind the socket and set Solara up; nothing is served yet.

    Args:
        config: the starting world (TOML), or None for the shipped ``classroom.toml``.
        host: the address to listen on; anything beyond loopback gets a warning.
        port: 1-65535, or 0 for a free port.

    Raises:
        UsageError: bad port, unknown host, or a port that cannot be bound (exit code 2).
    """
    sock = listen(host, port)
    listener = Listener(sock, host, int(sock.getsockname()[1]))
    warning = host_warning(host, listener.port)
    if warning:
        listener.warnings.append(warning)
    if not _configure_solara(config, host, listener.port):
        listener.warnings.append(
            "marketplace_sim/app/assets does not match the installed Solara: the browser will "
            "load Solara's JavaScript from the internet (see docs/dashboard.md)"
        )
    return listener


def run(listener: Listener) -> int:
    """Serve on the prepared socket with uvicorn until Ctrl-C; returns the exit code (0)."""
    import uvicorn
    from solara.__main__ import LOGGING_CONFIG

    server = uvicorn.Server(
        uvicorn.Config(
            "solara.server.starlette:app",
            host=_bare(listener.host),
            port=listener.port,
            log_config=LOGGING_CONFIG,
            log_level="warning",
            access_log=False,
        )
    )
    try:
        server.run(sockets=[listener.sock])
    finally:
        listener.sock.close()
    return 0


def serve(config: str | Path | None, host: str = "127.0.0.1", port: int = 8765) -> int:
    """Prepare, print the URL (and any warning) and serve until Ctrl-C; returns the exit code.

    Raises:
        UsageError: as :func:`prepare`.
    """
    listener = prepare(config, host, port)
    for warning in listener.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"dashboard on {listener.url} (Ctrl-C to stop)", flush=True)
    return run(listener)
