"""The dashboard page: Solara components around Mesa's SolaraViz, and the module-level ``page``.

``solara run marketplace_sim.app.page:page`` serves it (``marketplace-sim app`` does the same
through :func:`marketplace_sim.app.server.serve`, with the offline assets). NetLogo's classroom
shape in Mesa's convention: the sidebar holds SolaraViz's controls (Reset = setup, Step =
go-once, ▶ = go, play interval = speed, render interval = draw every k weeks) and the knobs a
teacher turns; the main area shows the lesson's prompt, monitors and live views. In Jupyter,
``Dashboard(path)`` as the last expression of a cell shows the same (docs/dashboard.md).
"""

from __future__ import annotations

import html
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from marketplace_sim.app.charts import (
    concentration_option,
    earnings_option,
    lorenz_option,
    merit_option,
    reviews_option,
    stars_option,
    trajectory_option,
)
from marketplace_sim.app.lessons import Lesson, lesson_menu, load_lesson, prompt_html, start_config
from marketplace_sim.app.model import ClassroomModel, initial_kwargs, model_params
from marketplace_sim.app.views import (
    FOLLOW_RULES,
    LEADERBOARD_SIZE,
    MONITOR_LABELS,
    leaderboard,
    leaderboard_html,
    monitors,
    pick_freelancer,
    settings_summary,
)
from marketplace_sim.plots.style import COLORS

__all__ = ["PLAY_INTERVAL", "RENDER_INTERVAL", "Dashboard", "Monitors", "Page", "Views", "page"]

PLAY_INTERVAL = 100  # ms between batches of weeks while playing
RENDER_INTERVAL = 2  # weeks per batch: the views are redrawn every this many weeks
CHART_HEIGHT = "height: 360px;"

CSS = """
.ms-monitors { display: flex; flex-wrap: wrap; gap: 8px; margin: 4px 0 8px 0; }
.ms-monitor { border: 1px solid #bbb; border-radius: 6px; padding: 4px 12px; min-width: 110px; }
.ms-monitor .ms-label { font-size: 12px; color: #555; }
.ms-monitor .ms-value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.ms-leaderboard { border-collapse: collapse; font-size: 12px; width: 100%;
  font-variant-numeric: tabular-nums; }
.ms-leaderboard th, .ms-leaderboard td { padding: 2px 5px; text-align: right;
  border-bottom: 1px solid #ddd; white-space: nowrap; }
.ms-leaderboard th { color: #444; }
.ms-badge { background: BADGE; color: white; border-radius: 8px; padding: 0 6px;
  font-size: 11px; }
.ms-settings { font-size: 12px; color: #555; margin: 0 0 8px 2px; display: block; }
.ms-views { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr));
  grid-auto-flow: dense; gap: 10px; }
.ms-card { border: 1px solid #ddd; border-radius: 6px; padding: 4px; min-width: 0; }
.ms-wide { grid-column: 1 / -1; }
.ms-title { font-size: 14px; font-weight: 600; margin: 4px 8px; }
.ms-prompt h3 { margin: 0 0 4px 0; } .ms-prompt h4 { margin: 8px 0 2px 0; }
.ms-prompt p, .ms-prompt ul { margin: 0 0 4px 0; }
""".replace("BADGE", COLORS[0])

lesson_path = solara.reactive("")  # per browser session; "" = the starting config
follow = solara.reactive(FOLLOW_RULES[0])  # per browser session


def _chart(option: dict[str, Any], height: str = CHART_HEIGHT) -> Any:
    return solara.FigureEcharts(option=option, attributes={"style": height}, responsive=True)


def LeaderboardView(model: ClassroomModel) -> Any:
    """The top freelancers, their six factors, badges and earnings."""
    title = (
        f"<div class='ms-title'>Leaderboard: the top {LEADERBOARD_SIZE} active freelancers "
        "by earnings, with their six factors</div>"
    )
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=title + leaderboard_html(leaderboard(model)),
        attributes={"data-view": "leaderboard"},
    )


@solara.component
def TrajectoryView(model: ClassroomModel) -> None:
    """Follow one freelancer's earnings and rating (by rule or by leaderboard id)."""
    update_counter.get()  # a component of its own: redrawn with the others
    with model.lock:
        top = leaderboard(model)["freelancer_id"].tolist()
        option = trajectory_option(model, pick_freelancer(model, follow.value))
    choices = FOLLOW_RULES + [f"id {i}" for i in top]
    if follow.value not in choices:
        choices.append(follow.value)
    with solara.Column(gap="0px"):
        solara.Select(
            "Follow",
            values=choices,
            value=follow,
            dense=True,
            style="max-width: 220px; margin: 0 8px;",
        )
        _chart(option, "height: 320px;")


#: The live views, in display order: Mesa-style components (functions of the model), each with
#: whether it spans the whole row.
VIEWS: list[tuple[Any, bool]] = [
    (lambda model: _chart(concentration_option(model)), False),
    (lambda model: _chart(lorenz_option(model)), False),
    (LeaderboardView, True),
    (TrajectoryView, False),
    (lambda model: _chart(merit_option(model)), False),
    (lambda model: _chart(earnings_option(model)), False),
    (lambda model: _chart(stars_option(model)), False),
    (lambda model: _chart(reviews_option(model)), True),
]


@solara.component
def Views(model: ClassroomModel) -> None:
    """All live views in a responsive grid, redrawn whenever SolaraViz renders.

    SolaraViz's own component grid needs a Vue 2 library that fails under ipyvuetify 3, so the
    views are laid out here (a CSS grid) and SolaraViz gets no components.
    """
    update_counter.get()
    with model.lock:  # the views' data, all from the same week
        elements = [(view(model), wide) for view, wide in VIEWS]
    with solara.Div(classes=["ms-views"]):
        for element, wide in elements:
            solara.Div(classes=["ms-card", "ms-wide"] if wide else ["ms-card"], children=[element])


@solara.component
def Monitors(model: ClassroomModel) -> None:
    """The monitors row (redrawn with the views)."""
    update_counter.get()
    with model.lock:
        values = monitors(model)
    cells = "".join(
        f"<div class='ms-monitor' data-monitor='{key}'><div class='ms-label'>"
        f"{MONITOR_LABELS[key]}</div><div class='ms-value'>{html.escape(value)}</div></div>"
        for key, value in values.items()
    )
    solara.HTML(tag="div", unsafe_innerHTML=cells, classes=["ms-monitors"])
    solara.Text(settings_summary(model.config), classes=["ms-settings"])


@solara.component
def LessonPanel(menu: list[Lesson], lesson: Lesson) -> None:
    """The lesson picker and its prompt (NetLogo's info tab, where students see it)."""
    titles = [item.title for item in menu]

    def choose(title: str) -> None:
        for item in menu:
            if item.title == title:
                lesson_path.set(str(item.config_path))

    with solara.Card(style="margin: 0 0 8px 0;"):
        with solara.Row(style="align-items: center;"):
            solara.Select(
                "Lesson",
                values=titles,
                value=lesson.title,
                on_value=choose,
                dense=True,
                style="max-width: 360px;",
            )
            solara.Text(
                "Move the sliders, press RESET to start a new market with them, then "
                "STEP (one batch of weeks) or ▶ (play).",
                style="color: #555; font-size: 13px;",
            )
        if lesson.prompt:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=prompt_html(lesson.prompt),
                classes=["ms-prompt"],
                attributes={"data-view": "lesson"},
            )


@solara.component
def Dashboard(config_path: str) -> None:
    """One lesson's dashboard: prompt, monitors and SolaraViz with the views."""
    lesson = solara.use_memo(lambda: load_lesson(config_path), [config_path])
    menu = solara.use_memo(lambda: lesson_menu(start_config()), [])
    params = solara.use_memo(lambda: model_params(lesson.config()), [config_path])
    first: ClassroomModel = solara.use_memo(
        lambda: ClassroomModel(**initial_kwargs(params)), [config_path]
    )
    model: solara.Reactive[ClassroomModel] = solara.use_reactive(first)
    solara.Style(CSS)
    with solara.Column(gap="0px"):
        LessonPanel(menu, lesson)
        Monitors(model.value)
        Views(model.value)
        SolaraViz(
            model,
            components=[],
            model_params=params,
            play_interval=PLAY_INTERVAL,
            render_interval=RENDER_INTERVAL,
            name="Freelance marketplace: how reputation compounds",
        )


@solara.component
def Page() -> None:
    """The app: a fresh dashboard per lesson (and per browser session)."""
    solara.Title("Freelance marketplace")
    path = lesson_path.value or start_config()
    Dashboard(path).key(path)


page = Page
