"""The dashboard in a real browser: Debian's Chromium, driven by Playwright.

Starts ``marketplace-sim app --port 0`` (a free localhost port, read from what it prints), loads
the page, and checks that it loads without console errors or requests beyond localhost, that
moving a slider and pressing Reset starts a market of the new size, and that stepping moves the
week and the figures. It
saves a screenshot (``$DASHBOARD_SCREENSHOT``, default: the test's temporary folder);
``DASHBOARD_SCREENSHOT=docs/img/dashboard.png`` refreshes the README's.

Chromium is required, never skipped: ./test.sh installs it (``apt-get install chromium``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from marketplace_sim.data import lessons_dir

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
LESSON = lessons_dir() / "1-rich-get-richer.toml"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 90  # s for the server to answer
UI_TIMEOUT = 30_000  # ms for the page to react

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


URL_LINE = re.compile(r"^marketplace-sim dashboard on (http://\S+) ", re.M)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``marketplace-sim app --port 0`` (any free port, read from its output); always terminated."""
    log_path = tmp_path_factory.mktemp("app") / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "marketplace_sim", "app", str(LESSON), "--port", "0"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            url = None
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the app exited with {proc.returncode}:\n{log_path.read_text()}")
                found = URL_LINE.search(log_path.read_text())
                url = found[1] if found else None
                try:
                    if url is not None:
                        with urllib.request.urlopen(url, timeout=5) as r:
                            if r.status == 200:
                                break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the app did not answer within {START_TIMEOUT} s (URL {url})")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian Chromium; a clear failure if it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser test needs Debian's chromium "
            "(apt-get install chromium; ./test.sh installs it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _monitor(page, key: str) -> str:
    return page.locator(f"[data-monitor={key}] .ms-value").inner_text().strip()


def _wait_monitor(page, key: str, pred, what: str) -> str:
    deadline = time.monotonic() + UI_TIMEOUT / 1000
    while True:
        value = _monitor(page, key)
        if pred(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"monitor {key} = {value!r}, expected {what}")
        time.sleep(0.1)


def _percent(text: str) -> float:
    return float(text.replace("%", "").strip())


def _pause(page) -> None:
    """Click Mesa's pause button while the model plays, until the play button is back.

    SolaraViz re-renders its controls at every step, so on a busy machine the button found
    can be replaced before the click lands (Playwright then waits for it in vain), and a
    click that landed can take seconds to be served. Each try clicks the button there is now
    (no wait for it to stay put), then gives the server 30 s to show ▶ before clicking again
    (a second click served late would start the model again).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if page.get_by_role("button", name="▶").count():  # paused
            return
        try:
            page.get_by_role("button", name="❚❚").click(timeout=2000, force=True)
        except PlaywrightTimeout:
            continue
        try:
            page.get_by_role("button", name="▶").wait_for(timeout=30_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError("the dashboard did not pause within 120 s")


def test_dashboard_in_chromium(server: str, browser, tmp_path: Path) -> None:
    errors: list[str] = []
    foreign: list[str] = []
    host = urlparse(server).netloc
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.on(
        "console",
        lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url} {r.failure}"))
    page.on(
        "response",
        lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    page.on(
        "request",
        lambda r: (
            foreign.append(r.url)
            if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).netloc != host
            else None
        ),
    )

    page.goto(server)
    page.wait_for_selector("[data-monitor=week]", timeout=UI_TIMEOUT)

    # The lesson's prompt and every view are there; the market is at week 0.
    assert "The rich get richer" in page.locator("[data-view=lesson]").inner_text()
    assert _monitor(page, "week") == "0"
    assert _monitor(page, "share_never_hired") == "100 %"
    start_size = int(_monitor(page, "freelancers_active"))
    page.wait_for_function(
        "document.querySelectorAll('.solara-echarts canvas').length >= 7", timeout=UI_TIMEOUT
    )
    assert page.locator("[data-view=leaderboard] tr[data-freelancer]").count() == 10

    # Move the "Freelancers at start" slider 4 steps of 50 up, press Reset: a bigger market.
    slider = page.locator(".v-slider", has=page.get_by_text("Freelancers at start", exact=True))
    thumb = slider.locator("[role=slider]")
    assert int(thumb.get_attribute("aria-valuenow")) == start_size
    thumb.focus()
    for _ in range(4):
        thumb.press("ArrowRight")
    new_size = start_size + 4 * 50
    page.wait_for_function(
        f"el => el.getAttribute('aria-valuenow') == '{new_size}'",
        arg=thumb.element_handle(),
        timeout=UI_TIMEOUT,
    )
    page.get_by_role("button", name="Reset").click()
    _wait_monitor(page, "freelancers_active", lambda v: v == str(new_size), str(new_size))
    assert f"{new_size} freelancers" in page.locator(".ms-settings").inner_text()
    assert _monitor(page, "week") == "0"

    # Step: each click advances one batch of weeks; hiring, earnings and ratings appear.
    step = page.get_by_role("button", name="Step")
    weeks = [0]
    for _ in range(6):
        step.click()
        weeks.append(
            int(
                _wait_monitor(
                    page, "week", lambda v, w=weeks[-1]: int(v) > w, f"more than week {weeks[-1]}"
                )
            )
        )
    batch = weeks[1]
    assert batch >= 1 and weeks == [i * batch for i in range(7)], weeks
    _wait_monitor(page, "share_never_hired", lambda v: _percent(v) < 100, "below 100 %")
    assert re.fullmatch(r"0\.\d\d", _monitor(page, "gini_earnings"))
    assert re.fullmatch(r"[1-5]\.\d\d ★", _monitor(page, "mean_rating"))
    top = page.locator("[data-view=leaderboard] tr[data-freelancer]").first
    assert top.locator("td").nth(2).inner_text() != "$0"

    # Play to about two years for the screenshot, then pause.
    page.get_by_role("button", name="▶").click()
    _wait_monitor(page, "week", lambda v: int(v) >= 104, "week 104 or later")
    _pause(page)
    page.set_viewport_size({"width": 1600, "height": 2450})  # the page scrolls inside itself
    time.sleep(1.5)
    shot = Path(os.environ.get("DASHBOARD_SCREENSHOT") or tmp_path / "dashboard.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")

    assert not errors, "\n".join(errors)
    assert not foreign, f"requests beyond {host}: {foreign}"
    page.close()
