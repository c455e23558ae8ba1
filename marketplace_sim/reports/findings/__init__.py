"""``docs/findings.md``, regenerated: the published results reproduced, the six factors measured.

``marketplace-sim findings`` (or :func:`generate`) reruns six experiments of ``experiments/``
(Pallais's first job, van de Rijt's early boost, Salganik's worlds, Filippas's reputation
inflation, Lukac & Grow's reputation vs price, and the six-factor attribution), reads their
sweep folders, and writes ``findings.md`` with its figures (``img/findings/*.png``): for each
study its own figure beside the model's (mean and 95 % interval across replicates), a plot, and
the command that made it. Nothing in the page is typed by hand: every number comes from the
sweeps of that invocation.

``quick = True`` runs scaled-down worlds with few replicates (seconds, for tests); its numbers
are a smoke check, not findings.

Modules: :mod:`~.plans` (the experiments and quick mode), :mod:`~.base` (what a section takes
and gives), :mod:`~.format` (shared formatting), one module per study (:mod:`~.pallais`,
:mod:`~.vanderijt`, :mod:`~.salganik`, :mod:`~.filippas`, :mod:`~.lukacgrow`,
:mod:`~.sixfactors`: compute, typed result, figure, text) and :mod:`~.page` (assembly).
"""

from marketplace_sim.reports.findings.base import FindingsError, Section, StudyInput, SummaryRow
from marketplace_sim.reports.findings.page import (
    DPI,
    EXPERIMENTS,
    FindingsReport,
    generate,
    page_text,
    write_page,
)
from marketplace_sim.reports.findings.plans import PLANS, QUICK_WORLD, Plan, derived_experiment

__all__ = [
    "DPI",
    "EXPERIMENTS",
    "PLANS",
    "QUICK_WORLD",
    "FindingsError",
    "FindingsReport",
    "Plan",
    "Section",
    "StudyInput",
    "SummaryRow",
    "derived_experiment",
    "generate",
    "page_text",
    "write_page",
]
