"""Axis labels, with units, of metric columns and swept config keys: one label per name.

Every figure shows a metric column as :func:`metric_label` and a config key as
:func:`key_label`, on axes, colorbars, legend titles and titles alike, so one quantity reads
the same everywhere. A key not in :data:`KEY_LABELS` is shown as the dotted key itself, the
exact name to look up in the config reference.
"""

from __future__ import annotations

__all__ = ["KEY_LABELS", "METRIC_LABELS", "key_label", "metric_label"]

#: Human-readable axis labels (with units) for the metric columns of the ``steps`` table.
METRIC_LABELS: dict[str, str] = {
    "freelancers_active": "active freelancers (count)",
    "gini_earnings": "Gini coefficient of earnings (0–1)",
    "top1_share": "top-1 % share of earnings",
    "top10_share": "top-10 % share of earnings",
    "share_never_hired": "share of freelancers never hired",
    "mean_rating": "mean public rating (stars, 1–5)",
    "share_five_star": "share of 5-star reviews",
    "merit_spearman": "Spearman ρ (merit vs. earnings)",
    "fill_rate": "fill rate (share of jobs filled)",
    "n_top_rated": "Top Rated freelancers (count)",
    "earnings": "cumulative earnings (USD)",
    "clients_active": "active clients (count)",
    "jobs_posted": "jobs posted this week (count)",
    "contracts_open": "open contracts (count)",
    "mean_quality": "mean delivered quality this week (0–1)",
    "mean_stars_week": "mean stars given this week (1–5)",
    "mean_rate": "mean hourly rate of active freelancers (USD/hour)",
    "share_top_rated": "share of active freelancers Top Rated",
    "early_late_spearman": "Spearman ρ (early vs. late earnings)",
    "platform_revenue": "cumulative platform revenue (USD)",
    # docking worlds (Lukac & Grow 2020): their reporters, by starting-reputation band
    "lg_no_work": "employees with no new job (count)",
    "lg_jobs_low": "new jobs, low starting reputation < 33 (mean)",
    "lg_jobs_mid": "new jobs, starting reputation 33-66 (mean)",
    "lg_jobs_high": "new jobs, high starting reputation > 66 (mean)",
    "lg_earn_low": "earnings, low starting reputation < 33 (mean, USD)",
    "lg_earn_mid": "earnings, starting reputation 33-66 (mean, USD)",
    "lg_earn_high": "earnings, high starting reputation > 66 (mean, USD)",
    "lg_meanrep_no_work": "mean reputation of those with no new job (0-100)",
    "lg_step": "jobs posted (count)",
    "lg_pairs": "distinct employer-employee pairs (count)",
}

#: Axis labels (with units) for the config keys experiments sweep, by dotted key.
KEY_LABELS: dict[str, str] = {
    "clients.reputation_weight": "clients' weight on reputation (choice weight)",
    "clients.price_weight": "clients' weight on price (choice weight)",
    "clients.profile_weight": "clients' weight on profile (choice weight)",
    "clients.communication_weight": "clients' weight on communication (choice weight)",
    "clients.fit_weight": "clients' weight on niche fit (choice weight)",
    "clients.expertise_signal_weight": "clients' weight on profile evidence of expertise",
    "clients.specialist_weight": "clients' weight on specialisation (choice weight)",
    "freelancers.evidence_noise": "noise of the profile evidence of expertise (sd)",
    "delivery.weight_quality": "weight of quality in satisfaction",
    "delivery.weight_communication": "weight of communication in satisfaction",
    "interventions.first_job.evaluation": "first job's public evaluation (arm)",
    "platform.ranking": "search ranking (rule)",
    "platform.search_weight": "position bias of search results (exponent)",
    "platform.top_rated_jss": "JSS needed for Top Rated (share, 0–1)",
    "platform.fee": "platform fee (share of contract value)",
    "platform.exploration": "exploration quota (share of applicant slots)",
    "platform.newcomer_boost": "newcomer boost (search score bonus)",
    "platform.rating_display": "public rating shown (rule)",
    "reviews.inflation": "rating inflation (leniency per star of norm above 3)",
    "reviews.leniency": "review leniency (satisfaction shift)",
    "reviews.norm_weeks": "time constant of the rating norm (weeks)",
    "reviews.success_threshold": "private success threshold (satisfaction, 0–1)",
    "reviews.failure_threshold": "private failure threshold (satisfaction, 0–1)",
    "reviews.prob": "chance of a public review (probability)",
    "interventions.first_job.share": "first job: share of the never-hired given one (0–1)",
    "interventions.first_job.at_step": "first job: week given (week)",
    "interventions.early_boost.share": "early boost: share of the never-reviewed boosted (0–1)",
    "interventions.early_boost.at_step": "early boost: week given (week)",
    "interventions.early_boost.reviews": "early boost: 5-star reviews given (count)",
    "market.freelancers": "freelancers at the start (count)",
    "market.clients": "clients at the start (count)",
    "market.entry_rate": "new freelancers per week (count/week)",
    "market.niche_skew": "skew of niche popularity (Zipf exponent)",
    "jobs.post_rate": "jobs a client posts (jobs/week)",
    "freelancers.exit_base": "weekly exit probability when idle (probability/week)",
    "freelancers.exit_idle_slope": "added exit probability per idle week (probability/week)",
    "freelancers.niche_focus.a": "niche focus, Beta shape a",
    "freelancers.niche_focus.b": "niche focus, Beta shape b",
    "run.steps": "length of the run (weeks)",
    "run.seed": "market seed",
    # docking worlds (Lukac & Grow 2020)
    "clients.strategy_coefficient": "coef-strategy, Lukac & Grow's tau (steepness)",
    "docking.ours": "our mechanisms switched on in their world",
}


def metric_label(metric: str) -> str:
    """Return a human-readable label (with units where known) for a metric column.

    Args:
        metric: Column name, e.g. ``"gini_earnings"``.

    Returns:
        The entry of :data:`METRIC_LABELS`, or the name with underscores replaced by spaces.
    """
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def key_label(key: str) -> str:
    """Return the one label of a swept config key (with its unit), or the dotted key itself.

    Args:
        key: Dotted config key, e.g. ``"clients.reputation_weight"`` (or any column name).

    Returns:
        The entry of :data:`KEY_LABELS`, else ``key`` unchanged, so an unlisted key is still
        the exact name to look up in the config reference.
    """
    return KEY_LABELS.get(key, key)
