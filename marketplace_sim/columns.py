"""The metric columns of ``steps.parquet``: names only, so any layer can use them cheaply.

The first ten are the interface contract's (``../shared/design/interface.md``); the rest are
extras. :mod:`marketplace_sim.model.observation` computes them; experiments read the names
without importing the model (Mesa, pandas: about a second).
"""

#: Metric columns of steps.parquet (the interface contract's, then extras).
METRIC_COLUMNS: tuple[str, ...] = (
    "freelancers_active",
    "gini_earnings",
    "top1_share",
    "top10_share",
    "share_never_hired",
    "mean_rating",
    "share_five_star",
    "merit_spearman",
    "fill_rate",
    "n_top_rated",
    # extras
    "clients_active",
    "jobs_posted",
    "contracts_open",
    "mean_quality",
    "mean_stars_week",
    "mean_rate",
    "share_top_rated",
    "early_late_spearman",
    "platform_revenue",
)

#: The interface contract's metrics: the default for sweep figures and sensitivity indices.
CONTRACT_METRICS: tuple[str, ...] = METRIC_COLUMNS[:10]
