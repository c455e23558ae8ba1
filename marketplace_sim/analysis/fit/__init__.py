"""Fitting the model to observed profiles: ABC-SMC against the compare statistics (issue 12).

``marketplace-sim fit OBSERVED --params FIT.toml`` estimates the named world keys by
simulation: candidate worlds are drawn from the priors, simulated, measured with the same
statistics as the data (``analysis/compare.py``), and kept by their distance to the data
(docs/fitting.md). Modules:

- ``spec``: the fit file (parameters, priors, sizes of the search), checked;
- ``distance``: the standardised, weighted Euclidean distance;
- ``smc``: the ABC-SMC steps (proposals, weights, thresholds) on fixed seeded batches;
- ``worker``: one simulation as a worker runs it;
- ``driver``: world scaling and the generations, each simulation saved at once;
- ``posterior``: the posterior, intervals, fitted world and its comparison (:func:`run_fit`).

Writing the fit folder is ``reports/fit.py``; its lifecycle (lock, records, resume) is
``experiments/fitting.py``.
"""

from marketplace_sim.analysis.fit.driver import FitInputs, prepare_fit
from marketplace_sim.analysis.fit.posterior import FitResult, run_fit
from marketplace_sim.analysis.fit.spec import FitSpec, Parameter, Settings, load_fit_spec

__all__ = [
    "FitInputs",
    "FitResult",
    "FitSpec",
    "Parameter",
    "Settings",
    "load_fit_spec",
    "prepare_fit",
    "run_fit",
]
