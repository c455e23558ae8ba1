"""The classroom dashboard without a browser: its model, data, lessons and widgets.

The browser itself is exercised by test_browser.py; here the pure parts are checked against
the model, and the page is rendered headless (solara.render) and driven through its widgets.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
import solara
from mesa.visualization.solara_viz import _build_model_init_kwargs, _check_model_params

from marketplace_sim.app import charts as app_charts
from marketplace_sim.app import lessons as app_lessons
from marketplace_sim.app import model as app_model
from marketplace_sim.app import page as app_page
from marketplace_sim.app import server as app_server
from marketplace_sim.app import views as app_views
from marketplace_sim.cli import main
from marketplace_sim.config import load_config
from marketplace_sim.errors import ConfigError
from marketplace_sim.model.marketplace import MarketplaceModel

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = ROOT / "configs" / "classroom.toml"
LESSONS = ROOT / "configs" / "lessons"
LESSON_NAMES = {  # in teaching order
    "1-rich-get-richer": "The rich get richer",
    "2-first-job": "The first job",
    "3-does-merit-win": "Does merit win?",
    "4-rating-inflation": "Rating inflation",
    "5-search-ranking": "The power of search ranking",
}
SMALL = {"market__freelancers": 120, "market__clients": 30}


def classroom_model(weeks: int = 0, **overrides) -> app_model.ClassroomModel:
    kwargs = app_model.initial_kwargs(app_model.model_params(load_config(CLASSROOM)))
    kwargs.update(SMALL)
    kwargs.update(overrides)
    model = app_model.ClassroomModel(**kwargs)
    if weeks:
        model.run_for(weeks)
    return model


@pytest.fixture(scope="module")
def played() -> app_model.ClassroomModel:
    """A small market after 60 weeks."""
    return classroom_model(60)


# --------------------------------------------------------------------------------------------
# The model the dashboard drives


def test_classroom_model_runs_the_same_market_as_marketplace_model():
    """Recording trajectories and the week-0 row change nothing in the market itself."""
    cfg = load_config(CLASSROOM)
    plain = MarketplaceModel(cfg, **SMALL)
    plain.run_for(30)
    dash = app_model.ClassroomModel(cfg, **SMALL)
    dash.run_for(30)
    expected = plain.steps_frame()
    got = dash.steps_frame().iloc[1:].reset_index(drop=True)  # without week 0
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(dash.freelancers_frame(), plain.freelancers_frame())


def test_reset_builds_the_model_as_solaraviz_does():
    """SolaraViz checks the params, then Reset calls the class with them (and a Scenario)."""
    params = app_model.model_params(load_config(CLASSROOM))
    model = app_model.ClassroomModel(**app_model.initial_kwargs(params))
    _check_model_params(model, params)
    chosen = {
        **app_model.initial_kwargs(params),
        "market__freelancers": 150,
        "rng": 7,
        "platform__ranking": "random",
        "clients__reputation_weight": 0.5,
    }
    kwargs = _build_model_init_kwargs(
        model, chosen, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    assert "scenario" in kwargs
    fresh = type(model)(**kwargs)
    assert fresh.config.market.freelancers == 150
    assert fresh.config.run.seed == 7
    assert fresh.config.platform.ranking == "random"
    assert fresh.config.clients.reputation_weight == 0.5
    assert fresh.metrics["freelancers_active"] == 150


def test_first_job_share_zero_means_no_intervention():
    """Share 0 drops the section (no control group marked); a positive share runs it."""
    off = classroom_model(
        30, interventions__first_job__share=0.0, interventions__first_job__at_step=10
    )
    assert off.config.interventions.first_job is None
    assert not off.freelancers.control.any() and not off.freelancers.treated.any()
    on = classroom_model(
        30, interventions__first_job__share=0.5, interventions__first_job__at_step=10
    )
    assert on.config.interventions.first_job.share == 0.5
    assert on.freelancers.treated.any() and on.freelancers.control.any()


def test_first_job_slider_switches_off_a_lesson_intervention():
    cfg = load_config(LESSONS / "2-first-job.toml")
    assert cfg.interventions.first_job is not None
    model = app_model.ClassroomModel(cfg, interventions__first_job__share=0.0, **SMALL)
    assert model.config.interventions.first_job is None


def test_model_stops_after_run_steps():
    model = classroom_model(0, run__steps=5)
    while model.running:
        model.step()
    assert model.steps == 5


def test_model_params_start_at_the_world_and_reproduce_it():
    """Every knob starts at the config's value, so Reset without touching them is that world."""
    for path in [CLASSROOM, *sorted(LESSONS.glob("*.toml"))]:
        cfg = load_config(path)
        params = app_model.model_params(cfg)
        kwargs = app_model.initial_kwargs(params)
        assert kwargs["market__freelancers"] == cfg.market.freelancers
        assert kwargs["platform__ranking"] in app_model.RANKINGS
        for p in params.values():
            if isinstance(p, app_model.Slider):
                assert p.min <= p.value <= p.max, p.label
        model = app_model.ClassroomModel(**kwargs)
        expected = cfg.with_overrides({"run.record_contracts": False})
        assert model.config == expected, path


# --------------------------------------------------------------------------------------------
# Data for the views


def test_leaderboard_is_the_top_earners_with_their_factors(played):
    board = app_views.leaderboard(played)
    frame = played.freelancers_frame()
    active = frame[frame["exit_step"].isna()]
    expected = active.sort_values(["earnings", "freelancer_id"], ascending=[False, True]).head(10)
    assert list(board["rank"]) == list(range(1, 11))
    assert list(board["freelancer_id"]) == list(expected["freelancer_id"])
    for col in (
        "earnings",
        "expertise",
        "communication",
        "reliability",
        "profile",
        "niche_focus",
        "top_rated",
    ):
        np.testing.assert_array_equal(board[col].to_numpy(), expected[col].to_numpy(), col)
    np.testing.assert_array_equal(board["reviews"], expected["n_reviews"])
    np.testing.assert_array_equal(board["rating"], expected["rating"])
    np.testing.assert_array_equal(board["jobs"], expected["jobs_completed"])
    assert board["earnings"].is_monotonic_decreasing


def test_leaderboard_html_shows_every_row_and_the_badge(played):
    board = app_views.leaderboard(played)
    html = app_views.leaderboard_html(board)
    assert html.count("data-freelancer=") == len(board)
    assert html.count("Top Rated</span>") == int(board["top_rated"].sum())
    assert "nobody on the platform" in app_views.leaderboard_html(board.iloc[:0])


def test_trajectory_follows_one_freelancer_week_by_week(played):
    fid = app_views.pick_freelancer(played, "top earner")
    path = app_views.trajectory(played, fid)
    assert list(path.columns) == ["week", "earnings", "rating"]
    assert path["week"].iloc[-1] == played.steps
    assert path["earnings"].is_monotonic_increasing
    now = app_views.leaderboard(played).iloc[0]
    assert path["earnings"].iloc[-1] == pytest.approx(now["earnings"])
    assert path["rating"].iloc[-1] == pytest.approx(now["rating"], rel=1e-6)
    assert np.isnan(path["rating"].iloc[0])  # week 0: no reviews yet
    with pytest.raises(KeyError):
        app_views.trajectory(played, 10**9)


def test_trajectory_of_a_late_entrant_starts_at_entry(played):
    fl = played.freelancers
    row = int(np.argmax(fl.entry_step))
    assert fl.entry_step[row] > 0
    path = app_views.trajectory(played, int(fl.agent_id[row]))
    assert path["week"].iloc[0] == fl.entry_step[row]


def test_pick_freelancer_rules(played):
    fl = played.freelancers
    act = fl.active
    assert (
        app_views.pick_freelancer(played, "top earner")
        == app_views.leaderboard(played, 1)["freelancer_id"].iloc[0]
    )
    skilled = app_views.pick_freelancer(played, "most skilled")
    assert fl.expertise0[fl.agent_id == skilled][0] == fl.expertise0[act].max()
    median = app_views.pick_freelancer(played, "median earner")
    e = fl.earnings[fl.agent_id == median][0]
    assert (fl.earnings[act] < e).sum() <= act.sum() // 2 <= (fl.earnings[act] <= e).sum()
    assert app_views.pick_freelancer(played, "id 3") == 3
    assert app_views.pick_freelancer(played, "id 999999") is None
    with pytest.raises(ValueError):
        app_views.pick_freelancer(played, "luckiest")


def test_earnings_brackets_by_hand():
    df = app_views.earnings_brackets(np.array([0, 0, 50, 100, 999.99, 1000, 99_999, 100_000, 2e6]))
    assert list(df["bracket"]) == ["$0", "<$100", "$100–$1k", "$1k–$10k", "$10k–$100k", "≥$100k"]
    assert list(df["freelancers"]) == [2, 1, 2, 1, 1, 2]


def test_star_shares(played):
    shares = app_views.star_shares(played)
    assert shares.shape == (5,) and shares.sum() == pytest.approx(1.0)
    assert app_views.star_shares(classroom_model(0)).sum() == 0


def test_lorenz_points_are_few_and_exact_at_the_ends():
    rng = np.random.default_rng(1)
    x = rng.pareto(1.5, 5000)
    p, L = app_charts.lorenz_points(x, max_points=101)
    assert p.size == L.size == 101
    assert (p[0], L[0], p[-1], L[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(L) >= 0) and np.all(L <= p + 1e-12)
    small = np.array([0.0, 1.0, 3.0])
    np.testing.assert_array_equal(app_charts.lorenz_points(small)[1], [0, 0, 0.25, 1])


def test_monitors_at_the_start_and_later(played):
    start = app_views.monitors(classroom_model(0))
    assert start == {
        "week": "0",
        "freelancers_active": "120",
        "share_never_hired": "100 %",
        "mean_rating": "–",
        "n_top_rated": "0",
        "gini_earnings": "–",
        "top10_share": "–",
    }
    later = app_views.monitors(played)
    assert later["week"] == "60"
    assert re.fullmatch(r"[1-5]\.\d\d ★", later["mean_rating"])
    assert later["gini_earnings"] == f"{played.metrics['gini_earnings']:.2f}"
    assert "first_job_treated" not in later


def test_monitors_compare_the_first_job_groups():
    model = classroom_model(
        40, interventions__first_job__share=0.5, interventions__first_job__at_step=10
    )
    m = app_views.monitors(model)
    fl = model.freelancers
    assert m["first_job_treated"] == f"{(fl.hires[fl.treated] - 1).mean():.1f}"
    assert m["first_job_control"] == f"{fl.hires[fl.control].mean():.1f}"
    assert set(m) <= set(app_views.MONITOR_LABELS)


@pytest.mark.parametrize("weeks", [0, 40])
def test_chart_options_are_strict_json(weeks):
    """The browser parses widget state as JSON: no NaN may reach it, at week 0 or later."""
    model = classroom_model(weeks)
    fid = app_views.pick_freelancer(model, "top earner")
    options = [
        app_charts.concentration_option(model),
        app_charts.lorenz_option(model),
        app_charts.earnings_option(model),
        app_charts.stars_option(model),
        app_charts.merit_option(model),
        app_charts.reviews_option(model),
        app_charts.trajectory_option(model, fid),
        app_charts.trajectory_option(model, None),
    ]
    for opt in options:
        json.dumps(opt, allow_nan=False)
        assert opt["animation"] is False


def test_settings_summary_names_the_knobs():
    cfg = load_config(LESSONS / "2-first-job.toml")
    text = app_views.settings_summary(cfg)
    assert f"{cfg.market.freelancers} freelancers" in text
    assert "first job: 50% of the never-hired in week 26" in text
    assert "first job: off" in app_views.settings_summary(load_config(CLASSROOM))


# --------------------------------------------------------------------------------------------
# Lessons


def test_every_lesson_is_a_valid_world_on_the_classroom_base():
    lessons = app_lessons.find_lessons(LESSONS)
    assert {lesson.name: lesson.title for lesson in lessons} == LESSON_NAMES
    for lesson in lessons:
        text = lesson.config_path.read_text()
        assert re.search(r'^base = "\.\./classroom\.toml"$', text, re.M), lesson.name
        assert main(["validate", str(lesson.config_path)]) == 0
        for section in ("## Predict", "## Try", "## Notice"):
            assert section in lesson.prompt, (lesson.name, section)


def test_each_lesson_changes_its_world(capsys):
    """A lesson sets what it is about, and the sidebar has a knob for it."""
    base = load_config(CLASSROOM)
    fj = load_config(LESSONS / "2-first-job.toml").interventions.first_job
    assert base.interventions.first_job is None and fj.share == 0.5 and fj.at_step == 26
    assert load_config(LESSONS / "4-rating-inflation.toml").reviews.inflation > 0
    assert load_config(LESSONS / "3-does-merit-win.toml").run.population_seed == 1
    params = app_model.model_params(base)
    for key in (
        "interventions__first_job__share",
        "reviews__inflation",
        "platform__ranking",
        "clients__reputation_weight",
        "rng",
    ):
        assert key in params


def test_lesson_menu_puts_the_starting_config_first():
    free = app_lessons.lesson_menu(CLASSROOM)
    assert free[0].title == "Free play (classroom.toml)" and free[0].prompt == ""
    assert [lesson.title for lesson in free[1:]] == list(LESSON_NAMES.values())
    first = app_lessons.lesson_menu(LESSONS / "2-first-job.toml")
    assert [lesson.name for lesson in first] == [
        "2-first-job",
        "1-rich-get-richer",
        "3-does-merit-win",
        "4-rating-inflation",
        "5-search-ranking",
    ]
    assert app_lessons.lessons_folder(LESSONS / "2-first-job.toml") == LESSONS.resolve()
    assert app_lessons.lessons_folder(CLASSROOM) == LESSONS.resolve()


def test_a_bad_lesson_config_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'base = "{CLASSROOM.as_posix()}"\n[platform]\nranking = "alphabetical"\n')
    (tmp_path / "bad.md").write_text("# Bad\n")
    lesson = app_lessons.load_lesson(bad)
    assert lesson.title == "Bad"
    with pytest.raises(ConfigError, match="platform.ranking"):
        lesson.config()


def test_prompt_html_renders_the_small_markdown_and_escapes_the_rest():
    md = (
        "# Title\n\nSome *text* and **bold** `code`.\n\n## Try\n- one\n- two\n  more\n\n"
        "<script>alert(1)</script>"
    )
    html = app_lessons.prompt_html(md)
    assert "<h3>Title</h3>" in html and "<h4>Try</h4>" in html
    assert "<i>text</i>" in html and "<b>bold</b>" in html and "<code>code</code>" in html
    assert "<ul><li>one</li><li>two more</li></ul>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


# --------------------------------------------------------------------------------------------
# The page, rendered without a browser


def _monitor(rc, key: str) -> str:
    html = rc.find(solara.widgets.HTML, attributes={"class": "ms-monitors"}).widget
    return re.search(rf"data-monitor='{key}'.*?ms-value'>([^<]*)<", html.unsafe_innerHTML)[1]


@pytest.fixture
def page(monkeypatch):
    """The whole page (SolaraViz's sidebar included), started on the classroom world."""
    monkeypatch.setenv(app_lessons.CONFIG_ENV, str(CLASSROOM))
    app_page.lesson_path.set("")  # outside a server, Solara's state is global: start afresh
    box, rc = solara.render(solara.AppLayout(children=[app_page.Page()]), handle_error=False)
    yield rc
    rc.close()
    app_page.lesson_path.set("")


def test_page_steps_and_resets_with_a_slider(page):
    rc = page
    assert _monitor(rc, "week") == "0"
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert _monitor(rc, "week") == str(app_page.RENDER_INTERVAL)
    slider = rc.find(v.Slider, label="Freelancers at start").widget
    slider.v_model = 150
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _monitor(rc, "week") == "0"
    assert _monitor(rc, "freelancers_active") == "150"


def test_page_switches_lessons(page):
    rc = page
    select = rc.find(v.Select, label="Lesson").widget
    assert select.v_model == "Free play (classroom.toml)"
    select.v_model = "The first job"
    prompt = rc.find(
        solara.widgets.HTML, attributes={"data-view": "lesson", "class": "ms-prompt"}
    ).widget
    assert "<h3>The first job</h3>" in prompt.unsafe_innerHTML
    summary = rc.find(v.Html, class_="ms-settings").widget.children[0]
    assert "first job: 50% of the never-hired in week 26" in summary


# --------------------------------------------------------------------------------------------
# Serving


def test_vendored_assets_fit_the_installed_solara():
    """app_assets/ holds the page bundle this Solara asks for (else the page needs a CDN)."""
    assert app_server.vendored_assets_fit()
    cdn = app_server.ASSETS_DIR / "cdn"
    for rel in ("requirejs@2.3.6/require.js", "echarts@5.4.0/dist/echarts.js"):
        assert (cdn / rel).is_file(), rel


def test_app_on_a_busy_port_is_one_line_and_exit_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["app", str(CLASSROOM), "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("marketplace-sim: error: --port: cannot listen on 127.0.0.1:")
    assert len(err.splitlines()) == 1


def test_app_with_a_bad_config_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[market]\nfreelancers = -1\n")
    assert main(["app", str(bad)]) == 2
    assert "market.freelancers" in capsys.readouterr().err
