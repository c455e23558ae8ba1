"""Delivery: niche fit, delivered quality, timeliness, satisfaction and learning by doing."""

from __future__ import annotations

import numpy as np


def niche_fit(home: np.ndarray, niche_focus: np.ndarray, generalist_fit: float) -> np.ndarray:
    """Fit of a freelancer for a job, in [0, 1].

    In the home niche fit = g + (1 - g) * focus (a pure specialist fits perfectly); elsewhere
    fit = g * (1 - focus) (a pure specialist does not fit at all). A pure generalist (focus 0)
    fits every niche at g: broad reach, lower fit.
    """
    return np.where(
        home,
        generalist_fit + (1.0 - generalist_fit) * niche_focus,
        generalist_fit * (1.0 - niche_focus),
    )


def quality(
    rng: np.random.Generator, expertise: np.ndarray, fit: np.ndarray, noise: float
) -> np.ndarray:
    """Delivered quality: expertise scaled by fit (half of it is fit-independent), plus noise.

    q = clip(expertise * (0.5 + 0.5 * fit) + N(0, noise), 0, 1).
    """
    q = expertise * (0.5 + 0.5 * fit) + rng.normal(0.0, noise, expertise.size)
    return np.clip(q, 0.0, 1.0)


def on_time(rng: np.random.Generator, reliability: np.ndarray) -> np.ndarray:
    """Delivered on time and as agreed, with probability ``reliability``."""
    return rng.random(reliability.size) < reliability


def satisfaction(
    rng: np.random.Generator,
    quality: np.ndarray,
    communication: np.ndarray,
    timely: np.ndarray,
    w_quality: float,
    w_communication: float,
    w_on_time: float,
    noise: float,
) -> np.ndarray:
    """Client satisfaction: weighted mean of quality, communication and timeliness, plus noise."""
    total = w_quality + w_communication + w_on_time
    if total <= 0:
        base = np.full(quality.size, 0.5)
    else:
        base = (
            w_quality * quality
            + w_communication * communication
            + w_on_time * timely.astype(np.float64)
        ) / total
    return base + rng.normal(0.0, noise, quality.size)


def learned_expertise(
    expertise0: np.ndarray, jobs_completed: np.ndarray, gain: float, scale: float
) -> np.ndarray:
    """Learning by doing with diminishing returns.

    e = e0 + (1 - e0) * gain * (1 - exp(-jobs / scale)): each job closes a shrinking part of the
    gap to perfect skill; in the limit a share ``gain`` of the gap is closed.
    """
    return expertise0 + (1.0 - expertise0) * gain * -np.expm1(-jobs_completed / scale)
