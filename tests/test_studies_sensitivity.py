"""``marketplace-sim sensitivity``: the Morris screen of the study effects, scaled down.

One quick screen (small worlds, 2 Morris trajectories; 16 + 16 + 2 x 32 runs) serves the
end-to-end tests: the page lists every effect with its ranked parameters and links its
figure; the MusicLab conditions ran the same design points; a second call resumes the sweeps
instead of rerunning them. Bad input is one line and exit code 2, before anything runs.
"""

import pandas as pd
import pytest
from cli_helpers import one_error_line

from marketplace_sim.analysis import musiclab_screen, studies
from marketplace_sim.cli import main
from marketplace_sim.reports.findings import sensitivity

SAMPLED = [
    "jobs.post_rate",
    "run.steps",
    "delivery.weight_quality",
    "delivery.weight_communication",
    "clients.expertise_signal_weight",
    "freelancers.evidence_noise",
    "clients.specialist_weight",
]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """The quick screen, run once through the command: (exit code, docs folder, results)."""
    root = tmp_path_factory.mktemp("sens")
    docs, res = root / "docs", root / "res"
    argv = ["sensitivity", "--quick", "--workers", "1", "--quiet"]
    code = main([*argv, "--results", str(res), "--out", str(docs)])
    return code, docs, res


@pytest.mark.slow
def test_quick_command_writes_the_page_and_its_figure(quick):
    """Exit 0; every screened effect has its row; one parameter row per sampled key (7) for
    each of the 8 effects; the figure exists; the page quotes the command that made it."""
    code, docs, res = quick
    assert code == 0
    text = (docs / "sensitivity.md").read_text(encoding="utf-8")
    for names in sensitivity.SCREENED.values():
        for name in names.values():
            assert name in text, name
    assert text.count("`jobs.post_rate`") >= 8  # a row in each effect's block
    assert text.count("`clients.specialist_weight`") >= 8
    assert "Quick mode" in text
    assert f"marketplace-sim sensitivity --quick --workers 1 --quiet --results {res}" in text
    assert "**MusicLab.** Over the 16 design points" in text
    assert (docs / sensitivity.IMG / sensitivity.FIGURE).stat().st_size > 10_000


@pytest.mark.slow
def test_musiclab_conditions_ran_the_same_design_points(quick):
    """Runs of both conditions, point by point: the same sampled values and one population
    (the same freelancers); they differ in the social-influence keys only, and every point
    has 2 worlds per condition, so every point has both differences."""
    _, _, res = quick
    a = pd.read_parquet(res / "sensitivity-studies-musiclab-influence" / "runs.parquet")
    b = pd.read_parquet(res / "sensitivity-studies-musiclab-independent" / "runs.parquet")
    assert len(a) == len(b) == 32
    cols = ["run_id", "condition_id", *SAMPLED]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert a["population_seed"].nunique() == 1
    assert a["population_seed"].iloc[0] == b["population_seed"].iloc[0]
    assert set(a["run.steps"]) <= set(range(52, 105))  # quick mode's shorter window
    e = musiclab_screen.paired_effects(
        res / "sensitivity-studies-musiclab-influence",
        res / "sensitivity-studies-musiclab-independent",
    )
    assert len(e) == 16 and (e["status"] == "ok").all()
    assert e[list(musiclab_screen.COLUMNS)].notna().all().all()


@pytest.mark.slow
def test_quick_effects_keep_their_published_signs(quick):
    """Directional checks over the design points: the treated earn more than their controls
    at most points (Pallais), and influence raises the cohort's Gini at most points
    (MusicLab's direction, as in docs/findings.md)."""
    _, _, res = quick
    parts = (res / "sensitivity-studies-pallais" / "parts").glob("*/freelancers.parquet")
    effects = [pd.read_parquet(p) for p in parts]
    assert len(effects) == 16
    ratios = [studies.run_effects(fr, 104)["pallais_log_ratio"] for fr in effects]
    assert sum(r > 0 for r in ratios) > 0.7 * len(ratios)
    e = musiclab_screen.paired_effects(
        res / "sensitivity-studies-musiclab-influence",
        res / "sensitivity-studies-musiclab-independent",
    )
    assert (e["musiclab_gini_diff"] > 0).mean() > 0.7


@pytest.mark.slow
def test_second_call_resumes_and_the_module_entry_still_works(quick, tmp_path):
    """The old entry point (``python -m ...sensitivity --quick DOCS RESULTS``) on the same
    results folder: no run is redone (the parts are untouched) and a page is written."""
    _, _, res = quick
    runs = sorted(res.glob("*/parts/*/run.json"))
    before = [p.stat().st_mtime_ns for p in runs]
    assert sensitivity.main(["--quick", str(tmp_path / "docs"), str(res)]) == 0
    assert [p.stat().st_mtime_ns for p in runs] == before
    assert len(runs) == 16 + 16 + 32 + 32
    assert "Sensitivity of the study effects" in (tmp_path / "docs" / "sensitivity.md").read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1, got 0"),
        (["--workers", "two"], "invalid int value: 'two'"),
        (["--results"], "expected one argument"),
        (["--quik"], "did you mean '--quick'?"),
    ],
)
def test_bad_options_one_line_exit_2(tmp_path, capsys, extra, message):
    """A bad option value, a missing one or a typo: one line naming it, exit 2, nothing run."""
    argv = ["sensitivity", "--out", str(tmp_path / "docs")]
    if extra != ["--results"]:
        argv += ["--results", str(tmp_path / "res")]
    assert main([*argv, *extra]) == 2
    assert message in one_error_line(capsys)
    assert not (tmp_path / "res").exists() and not (tmp_path / "docs").exists()


@pytest.mark.parametrize("which", ["--results", "--out"])
def test_a_file_where_a_folder_goes_is_refused(tmp_path, capsys, which):
    """--results or --out naming a file: one line naming it, exit 2, nothing run or written."""
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder", encoding="utf-8")
    other = "--out" if which == "--results" else "--results"
    argv = ["sensitivity", "--quick", which, str(blocker), other, str(tmp_path / "other")]
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert str(blocker) in line and "not a folder" in line
    assert blocker.read_text(encoding="utf-8") == "not a folder"
    assert not (tmp_path / "other").exists()
