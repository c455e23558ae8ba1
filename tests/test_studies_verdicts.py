"""The one verdict rule of the findings, the six claims' judgement and the one set of numbers,
on hand-made cases whose answers are worked out in each test's docstring."""

import pandas as pd
import pytest

from marketplace_sim.reports.findings.base import Section, SummaryRow
from marketplace_sim.reports.findings.claims import CLAIMS, judge_claims
from marketplace_sim.reports.findings.format import DIRECTION, NO, YES, judge
from marketplace_sim.reports.findings.numbers import (
    check_quotes,
    model_numbers,
    paper_numbers,
    stale_quotes,
)


@pytest.mark.parametrize(
    ("paper", "ours", "sign", "null", "expected"),
    [
        (3.0, (3.3, 2.0, 4.6), +1, 1.0, YES),  # 3 inside [2.0, 4.6]
        (3.0, (6.6, 4.8, 8.5), +1, 1.0, DIRECTION),  # above 3, but the whole interval > 1
        (3.0, (0.6, 0.4, 0.8), +1, 1.0, NO),  # the wrong side of no effect
        (3.0, (1.5, 0.7, 2.3), +1, 1.0, NO),  # 3 outside, and the interval includes 1
        ((0.09, 0.31), (0.43, 0.41, 0.45), +1, 0.0, DIRECTION),  # van de Rijt, too strong
        ((0.09, 0.31), (0.33, 0.12, 0.53), +1, 0.0, YES),  # the range meets the interval
        ((0.20, 0.26), (0.60, 0.59, 0.61), 0, 0.0, NO),  # a level, no sign to fall back on
        ((1 / 3, 1.0), (0.77, 0.70, 0.84), +1, 0.0, YES),  # "at least a third"
        (None, (0.2, 0.1, 0.3), +1, 0.0, DIRECTION),  # the paper gives a direction only
        (None, (0.2, -0.1, 0.3), +1, 0.0, NO),
        (-0.5, (-0.2, -0.3, -0.1), -1, 0.0, DIRECTION),  # an expected fall, smaller
        (-0.5, (0.2, 0.1, 0.3), -1, 0.0, NO),
        (3.0, (float("nan"),) * 3, +1, 1.0, NO),  # no estimate
        (3.0, (3.0, 3.0, 3.0), +1, 1.0, YES),  # one replicate, exactly the paper
    ],
)
def test_judge_on_hand_cases(paper, ours, sign, null, expected):
    """Yes when the paper's number (or a value of its range) is inside our interval;
    direction only when our whole interval is on the paper's side of no effect; no
    otherwise."""
    assert judge(paper, ours, sign, null) == expected


def _summary(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "regime",
            "factor",
            "coef_mean",
            "coef_lo",
            "coef_hi",
            "importance_mean",
            "importance_traits_mean",
        ],
    )


def test_claims_supported_contradicted_mixed_and_not_shown():
    """Two regimes: expertise positive in both (supports; importance 0.03, not small), niche
    focus negative in one (contradicts), reliability positive in one and negative in the
    other (mixed), communication straddling 0 in both (not shown)."""
    rows = []
    for regime, signs in (
        ("ranking=reputation, rw=1", {"expertise": 1, "niche_focus": -1, "reliability": 1}),
        ("ranking=random, rw=0", {"expertise": 1, "niche_focus": 0, "reliability": -1}),
    ):
        for _, factor, _ in CLAIMS:
            s = signs.get(factor, 0)
            m = 0.3 * s
            rows.append(
                (regime, factor, m, m - 0.1 - 0.5 * (s == 0), m + 0.1 + 0.5 * (s == 0), 0.02, 0.03)
            )
    verdicts = {v.claim: v for v in judge_claims({"w": _summary(rows)})}
    assert verdicts["experience & expertise"].verdict == "supports"
    assert verdicts["niche specialisation"].verdict == "**contradicts**"
    assert verdicts["niche specialisation"].contradicted == ("ranking=reputation, rw=1",)
    assert verdicts["consistency & reliability"].verdict == "mixed"
    assert verdicts["communication"].verdict == "not shown"
    # the quoted coefficient is the reference regime's (platform defaults)
    assert verdicts["experience & expertise"].coef == pytest.approx((0.3, 0.2, 0.4))
    # the same signs with importance 0.005 everywhere: a clear sign, a small weight
    small = _summary([(*r[:5], 0.005, 0.005) for r in rows])
    assert {v.claim: v.verdict for v in judge_claims({"w": small})}["experience & expertise"] == (
        "supports (small)"
    )


def test_quotes_are_checked_against_the_numbers():
    """A marked quote equal to the JSON passes; a different one, or an unknown key, is
    reported; a known stale variant of a paper's figure is found."""
    rows = (
        SummaryRow("Pallais 2014", "about 3x", "3.3x [2.0, 4.6]", YES, "ratio", "pallais.ratio"),
    )
    doc = {"paper": paper_numbers(), "model": model_numbers([Section("", (), rows)])}
    ok = "price: <!-- n:paper.lukacgrow.price.no_job -->21-30 %<!-- /n -->, ours "
    ok += "<!-- n:model.pallais.ratio.ours -->3.3x [2.0, 4.6]<!-- /n -->"
    assert check_quotes(ok, doc) == []
    bad = "<!-- n:paper.lukacgrow.price.no_job -->20-28 %<!-- /n --> <!-- n:nope -->1<!-- /n -->"
    assert len(check_quotes(bad, doc)) == 2
    assert stale_quotes("on price, 20-28 %") == ["paper.lukacgrow.price.no_job: '20-28 %'"]
    assert doc["model"]["model.pallais.ratio"]["verdict"] == "yes"
