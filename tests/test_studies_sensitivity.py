"""The Morris screen of the study effects, scaled down: the page lists every effect with its
ranked parameters and links its figure; the per-run effects behave as the findings say."""

import pandas as pd
import pytest

from marketplace_sim.reports.findings import sensitivity

pytestmark = pytest.mark.slow


def test_quick_screen_writes_the_page_and_its_figure(tmp_path):
    """Quick mode (small worlds, one replicate per design point, 2 x 48 runs): every screened
    effect has a row per sampled parameter (7), the figure exists, and the treated earn more
    than their controls at most design points (the first-job effect is robust in sign)."""
    page = sensitivity.generate(tmp_path / "docs", tmp_path / "res", quick=True, workers=1)
    text = page.read_text(encoding="utf-8")
    for names in sensitivity.SCREENED.values():
        for name in names.values():
            assert name in text, name
    assert text.count("`jobs.post_rate`") >= 6  # one row per effect
    assert (tmp_path / "docs" / sensitivity.IMG / sensitivity.FIGURE).is_file()
    effects = [
        pd.read_parquet(p)
        for p in (tmp_path / "res" / "sensitivity-studies-pallais" / "parts").glob(
            "*/freelancers.parquet"
        )
    ]
    assert len(effects) == 48
    from marketplace_sim.analysis import studies

    ratios = [studies.run_effects(fr, 104)["pallais_log_ratio"] for fr in effects]
    assert sum(r > 0 for r in ratios) > 0.7 * len(ratios)
