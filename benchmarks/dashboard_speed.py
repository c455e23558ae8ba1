"""How fast the classroom dashboard plays: weeks per second with 500 freelancers.

Two measurements:

* default: outside the browser. One week of the model (``ClassroomModel.step``) and one redraw
  of every view and monitor (rendered with ``solara.render``, as the server does on each
  update, without a browser), then the speed the app's play loop would reach with its default
  play interval and render interval: ``k / (play_interval + k * step + redraw)``.
* ``--browser``: the real thing. Starts ``marketplace-sim app`` on a free localhost port with a
  500-freelancer world, presses play in headless Chromium and reads the week monitor for
  ``--seconds`` seconds.

Usage:
    .venv/bin/python benchmarks/dashboard_speed.py [--freelancers 500] [--weeks 260]
    .venv/bin/python benchmarks/dashboard_speed.py --browser [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from marketplace_sim.data import configs_dir

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = configs_dir() / "classroom.toml"


def outside_browser(freelancers: int, weeks: int) -> None:
    import solara
    from mesa.visualization.utils import force_update

    from marketplace_sim import load_config
    from marketplace_sim.app.model import ClassroomModel, initial_kwargs, model_params
    from marketplace_sim.app.page import PLAY_INTERVAL, RENDER_INTERVAL, Monitors, Views

    params = model_params(load_config(CLASSROOM))
    kwargs = initial_kwargs(params)
    kwargs["market__freelancers"] = freelancers
    kwargs["market__clients"] = freelancers // 4
    model = ClassroomModel(**kwargs)

    @solara.component
    def Root() -> None:
        Monitors(model)
        Views(model)

    _, rc = solara.render(Root(), handle_error=False)
    step_s = redraw_s = 0.0
    redraws = 0
    for week in range(1, weeks + 1):
        t = time.perf_counter()
        model.step()
        step_s += time.perf_counter() - t
        if week % RENDER_INTERVAL == 0:
            t = time.perf_counter()
            force_update()  # what SolaraViz does after each batch of weeks
            redraw_s += time.perf_counter() - t
            redraws += 1
    rc.close()
    step, redraw = step_s / weeks, redraw_s / redraws
    k, pause = RENDER_INTERVAL, PLAY_INTERVAL / 1000
    print(f"{freelancers} freelancers, {weeks} weeks (outside the browser)")
    print(f"  model step          {1000 * step:6.2f} ms/week")
    print(f"  redraw of all views {1000 * redraw:6.2f} ms/redraw")
    print(
        f"  play loop (pause {1000 * pause:.0f} ms, redraw every {k} weeks): "
        f"{k / (pause + k * step + redraw):.1f} weeks/s"
    )
    for k2 in (1, 5):
        print(f"    with redraw every {k2} weeks: {k2 / (pause + k2 * step + redraw):.1f} weeks/s")


def in_browser(freelancers: int, seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "speed.toml"
        world.write_text(
            f'base = "{CLASSROOM.as_posix()}"\n[run]\nsteps = 1040\n'
            f"[market]\nfreelancers = {freelancers}\nclients = {freelancers // 4}\n"
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "marketplace_sim", "app", str(world), "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(180):
                try:
                    urllib.request.urlopen(url, timeout=5).close()
                    break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
                )
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.goto(url)
                page.wait_for_selector("[data-monitor=week]", timeout=60_000)

                def week() -> int:
                    return int(page.locator("[data-monitor=week] .ms-value").inner_text())

                page.get_by_role("button", name="▶").click()
                page.wait_for_function(
                    "document.querySelector('[data-monitor=week] .ms-value').innerText != '0'"
                )
                w0, t0 = week(), time.perf_counter()
                time.sleep(seconds)
                w1, t1 = week(), time.perf_counter()
                page.get_by_role("button", name="❚❚").click()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    print(
        f"{freelancers} freelancers in Chromium, every view redrawn while playing: "
        f"{(w1 - w0) / (t1 - t0):.1f} weeks/s (weeks {w0}..{w1} in {t1 - t0:.1f} s)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--freelancers", type=int, default=500)
    ap.add_argument("--weeks", type=int, default=260)
    ap.add_argument("--browser", action="store_true", help="measure in headless Chromium")
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    os.chdir(ROOT)
    if args.browser:
        in_browser(args.freelancers, args.seconds)
    else:
        outside_browser(args.freelancers, args.weeks)


if __name__ == "__main__":
    main()
