"""The source article's six claims, judged by the six-factor attribution of one or more worlds.

The article claims that six things matter for top-rated success: experience and expertise,
communication, reputation and feedback, a strong profile, niche specialisation, and
consistency and reliability. Each maps to one factor of the attribution
(:mod:`marketplace_sim.analysis.attribution`): five innate traits, and early success (the
reputation and feedback earned in the first year). A claim is *supported* in a regime when
the factor's standardized coefficient in the full model has its whole 95 % interval above
0, *contradicted* when below 0, and *not shown* otherwise; its size is its permutation
importance (traits: in the traits-only model, their whole effect; early success: in the full
model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from marketplace_sim.analysis.attribution import EARLY
from marketplace_sim.reports.findings.format import fmt, table

#: The article's six claims, in its order, and the factor that measures each.
CLAIMS: tuple[tuple[str, str, str], ...] = (
    (
        "experience & expertise",
        "expertise",
        "quality = expertise x fit drives satisfaction, stars and the JSS; expertise grows "
        "with jobs done; with profile evidence clients also see it directly",
    ),
    (
        "communication",
        "communication",
        "enters satisfaction (weight_communication) and the proposal's clarity in choice",
    ),
    (
        "reputation & feedback",
        EARLY,
        "first-year earnings stand for the reviews, JSS and badge earned early, which "
        "search and clients' reputation weight read",
    ),
    ("strong profile", "profile", "profile strength enters choice (clients.profile_weight)"),
    (
        "niche specialisation",
        "niche_focus",
        "fit at home is higher, elsewhere lower (generalist_fit); the profiles world adds a "
        "specialist premium, clients valuing focus and niche relevance in search",
    ),
    (
        "consistency & reliability",
        "reliability",
        "the chance of delivering on time, which enters satisfaction (weight_on_time)",
    ),
)


@dataclass(frozen=True)
class ClaimVerdict:
    """One claim in one world: where the model supports or contradicts it, and its size."""

    claim: str
    world: str
    supported: tuple[str, ...]
    contradicted: tuple[str, ...]
    coef: tuple[float, float, float]  # in the reference regime: mean, lo, hi
    coef_range: tuple[float, float]  # min and max of the regimes' mean coefficients
    importance: tuple[float, float]  # min and max over regimes
    reference: str  # the reference regime

    @property
    def verdict(self) -> str:
        """``supports``, ``contradicts``, ``mixed`` or ``not shown``, over all regimes.

        A supported or contradicted claim whose importance stays below :data:`SMALL` in
        every regime is qualified ``(small)``: its sign is clear, its weight is not.
        """
        small = " (small)" if self.importance[1] < SMALL else ""
        if self.supported and self.contradicted:
            return "mixed"
        if self.supported:
            return "supports" + small
        if self.contradicted:
            return "**contradicts**" + small
        return "not shown"


#: The platform's default rules (search by reputation, reputation weight 1), whose
#: coefficient is quoted with its interval.
REFERENCE = "ranking=reputation, rw=1"
#: Below this importance (share of R² lost when the factor is shuffled) an effect is small.
SMALL = 0.01


def judge_claims(summaries: Mapping[str, pd.DataFrame]) -> list[ClaimVerdict]:
    """Judge each claim in each world from its attribution summary.

    Args:
        summaries: world name -> attribution summary with a ``regime`` label column
            (``factor``, ``coef_mean``, ``coef_lo``, ``coef_hi``, ``importance_mean``,
            ``importance_traits_mean``).
    """
    out = []
    for claim, factor, _ in CLAIMS:
        for world, summ in summaries.items():
            rows = summ[summ["factor"] == factor]
            imp = rows["importance_mean" if factor == EARLY else "importance_traits_mean"]
            ref = rows[rows["regime"] == REFERENCE]
            ref = ref if len(ref) else rows.iloc[:1]
            out.append(
                ClaimVerdict(
                    claim,
                    world,
                    tuple(rows.loc[rows["coef_lo"] > 0, "regime"]),
                    tuple(rows.loc[rows["coef_hi"] < 0, "regime"]),
                    tuple(float(ref[f"coef_{k}"].iloc[0]) for k in ("mean", "lo", "hi")),  # type: ignore[arg-type]
                    (float(rows["coef_mean"].min()), float(rows["coef_mean"].max())),
                    (float(imp.min()), float(imp.max())),
                    str(ref["regime"].iloc[0]),
                )
            )
    return out


def _where(v: ClaimVerdict, n_regimes: int) -> str:
    def say(regimes: Sequence[str]) -> str:
        return "every regime" if len(regimes) == n_regimes else "; ".join(regimes)

    parts = []
    if v.supported:
        parts.append(f"positive in {say(v.supported)}")
    if v.contradicted:
        parts.append(f"negative in {say(v.contradicted)}")
    return ", ".join(parts) or "interval includes 0 in every regime"


def claims_table(verdicts: Sequence[ClaimVerdict], n_regimes: Mapping[str, int]) -> str:
    """The six claims: verdict per world, coefficient range, importance, where, mechanism."""
    mech = {c: m for c, _, m in CLAIMS}
    rows = [
        [
            v.claim,
            v.world,
            v.verdict,
            f"{fmt(v.coef, '+.2f')} at {v.reference}; "
            f"{v.coef_range[0]:+.2f} to {v.coef_range[1]:+.2f} over regimes",
            f"{v.importance[0]:.3f}-{v.importance[1]:.3f}",
            _where(v, n_regimes[v.world]),
            mech[v.claim],
        ]
        for v in verdicts
    ]
    head = [
        "claim",
        "world",
        "model",
        "coefficient (z-scores)",
        "importance",
        "where",
        "mechanism in the model",
    ]
    return table(head, rows)


def claims_summary(verdicts: Sequence[ClaimVerdict]) -> str:
    """One sentence per verdict class: which claims the model supports, contradicts, not."""
    by: dict[str, list[str]] = {}
    for v in verdicts:
        by.setdefault(v.verdict.replace("*", ""), []).append(f"{v.claim} ({v.world})")
    order = (
        "supports",
        "supports (small)",
        "contradicts",
        "contradicts (small)",
        "mixed",
        "not shown",
    )
    names = {
        "supports": "The model supports",
        "supports (small)": f"It supports, with a small effect (importance below {SMALL:g})",
        "contradicts": "It contradicts",
        "contradicts (small)": "It contradicts, with a small effect",
        "mixed": "Mixed (positive under some rules, negative under others)",
        "not shown": "It does not show an effect of",
    }
    return " ".join(f"{names[k]}: {', '.join(by[k])}." for k in order if k in by)
