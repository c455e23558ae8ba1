"""Hard limits and a memory estimate: refuse a world or a design before anything is allocated.

Three kinds of limit, all checked before a model is built or a folder created:

- :data:`BOUNDS`: upper bounds on the config keys that drive counts and rates (agents, weeks,
  jobs). Without them ``--set jobs.post_rate=1e308`` ends in an ``OverflowError`` traceback deep
  in numpy; with them it is one line naming the key. The schema (``config.py``) applies them
  as ``le=`` constraints, so every way of building a world (files, ``--set``, the Python API,
  the dashboard, calibration) is held to them.
- :func:`estimate_memory`: the bytes a world will hold at its largest, from its config alone
  (agents ever present, open contracts, the contract log, prior history, the weekly applicant
  pool), compared by :func:`check_fits` with the memory the machine has available
  (:func:`available_memory`).
- :data:`MAX_FILE_BYTES`, :data:`MAX_CONDITIONS`, :data:`MAX_RUNS`: the size of a config or
  experiment file and of an experiment's design, checked by counting, without expanding the
  design.

This is a ground module: it reads configs by attribute and imports nothing of the package but
``errors``, so that ``config.py`` may call it too.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketplace_sim.errors import ConfigError

#: Largest config or experiment file read (bytes): parsing alone of a bigger TOML file takes
#: seconds, and no world or design needs one (a 10**6-value axis is 7 MB or more).
MAX_FILE_BYTES = 1 << 20
#: Most conditions a design may have: each is a validated config (about 12 kB) held in memory.
MAX_CONDITIONS = 100_000
#: Most runs (conditions x replications) an experiment may have: ``sweep.json`` lists every run
#: and the sweep's fingerprint hashes every run's config (about 0.2 ms each).
MAX_RUNS = 1_000_000

#: Upper bounds of the keys that size a world (counts of agents, weeks, rates).
BOUNDS: dict[str, float] = {
    "run.steps": 100_000,  # weeks (about 1,900 years)
    "run.record_every": 100_000,  # weeks
    "market.freelancers": 10_000_000,  # agents at the start
    "market.clients": 10_000_000,  # agents at the start
    "market.entry_rate": 100_000.0,  # new freelancers per week
    "market.client_entry_rate": 100_000.0,  # new clients per week
    "market.prior_jobs_mean": 10_000.0,  # jobs per initial freelancer before week 1
    "jobs.post_rate": 1_000.0,  # jobs per client per week
    "jobs.duration_mean": 100_000.0,  # weeks per contract
}

# Bytes per row, measured on Linux (peak RSS over worlds of 10**4 to 10**6 rows) and rounded
# up: the numpy columns (tables grow by doubling), the Mesa agent handles, and the final
# tables built from them.
BYTES_PER_FREELANCER = 1_000
BYTES_PER_CLIENT = 600
BYTES_PER_OPEN_CONTRACT = 100  # the open-contracts table (columns only)
BYTES_PER_LOGGED_CONTRACT = 300  # the contract log and contracts.parquet's frame
BYTES_PER_PRIOR_JOB = 100  # history drawn before week 1 (market.prior_jobs_mean)
BYTES_PER_APPLICANT = 100  # one applicant slot of one week's jobs
BYTES_PER_RECORDED_STEP = 1_000  # one row of the per-week metrics


@dataclass(frozen=True)
class MemoryPart:
    """One component of a world's memory: what it is, its bytes, the keys that drive it.

    ``keys`` come in order of blame: the first is the one that drives this world's size most.
    """

    what: str
    bytes: float
    keys: tuple[str, ...]

    @property
    def key(self) -> str:
        """The key that drives this component most."""
        return self.keys[0]

    def blame(self, prefer: Collection[str] = ()) -> str:
        """The key to name: the first of ``prefer`` that drives this component, else :attr:`key`.

        Args:
            prefer: keys the user gave (e.g. by ``--set``), named first if they are to blame.
        """
        return next((k for k in self.keys if k in prefer), self.key)


@dataclass(frozen=True)
class MemoryEstimate:
    """A world's estimated memory at its largest, by component."""

    parts: tuple[MemoryPart, ...]

    @property
    def total(self) -> float:
        """Bytes, all components together."""
        return float(sum(p.bytes for p in self.parts))

    @property
    def largest(self) -> MemoryPart:
        """The component that needs the most memory."""
        return max(self.parts, key=lambda p: p.bytes)


def estimate_memory(cfg: Any) -> MemoryEstimate:
    """The bytes a world holds at its largest, from its config (a pure function).

    Rows are sized as the model allocates them: the agent tables are created with room for
    twice the expected entry over the run, the open-contracts table with room for twice the
    contracts open at once (``clients * post_rate * duration_mean``); the contract log holds
    about ``clients * post_rate * steps`` rows when ``run.record_contracts`` is true; a week's
    jobs draw up to ``applicants`` applicants each.

    Args:
        cfg: a validated ``Config`` (read by attribute).
    """
    r, m, j = cfg.run, cfg.market, cfg.jobs
    entering = 2 * m.entry_rate * r.steps
    clients_entering = 2 * m.client_entry_rate * r.steps
    clients_max = m.clients + m.client_entry_rate * r.steps
    logged = m.clients * j.post_rate * r.steps if r.record_contracts else 0.0
    f_keys = ("market.freelancers", "market.entry_rate", "run.steps")
    c_keys = ("market.clients", "market.client_entry_rate", "run.steps")
    parts = (
        MemoryPart(
            "freelancers",
            (m.freelancers + entering) * BYTES_PER_FREELANCER,
            _by_size(f_keys, entering > m.freelancers),
        ),
        MemoryPart(
            "clients",
            (m.clients + clients_entering) * BYTES_PER_CLIENT,
            _by_size(c_keys, clients_entering > m.clients),
        ),
        MemoryPart(
            "open contracts",
            m.clients * j.post_rate * j.duration_mean * 2 * BYTES_PER_OPEN_CONTRACT,
            ("jobs.duration_mean", "jobs.post_rate", "market.clients"),
        ),
        MemoryPart(
            "contract log",
            logged * BYTES_PER_LOGGED_CONTRACT,
            ("jobs.post_rate", "market.clients", "run.steps", "run.record_contracts"),
        ),
        MemoryPart(
            "prior history",
            m.freelancers * m.prior_jobs_mean * BYTES_PER_PRIOR_JOB,
            ("market.prior_jobs_mean", "market.freelancers"),
        ),
        MemoryPart(
            "applicants per week",
            clients_max * j.post_rate * j.applicants * BYTES_PER_APPLICANT,
            ("jobs.applicants", "jobs.post_rate", "market.clients", "market.client_entry_rate"),
        ),
        MemoryPart(
            "per-week metrics",
            r.steps / r.record_every * BYTES_PER_RECORDED_STEP,
            ("run.steps", "run.record_every"),
        ),
    )
    return MemoryEstimate(parts)


def _by_size(keys: tuple[str, str, str], entry_dominates: bool) -> tuple[str, ...]:
    """(count, entry rate, steps): the entry rate first when entry outweighs the start."""
    count, rate, steps = keys
    return (rate, steps, count) if entry_dominates else keys


def available_memory(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """Bytes of memory this process could still use, or None if the machine does not say.

    Linux: ``MemAvailable`` of ``/proc/meminfo`` (free memory plus reclaimable caches), lowered
    to the room left under a cgroup v2 limit (containers). Elsewhere: free pages from
    ``os.sysconf``.
    """
    avail: int | None = None
    try:
        for line in meminfo.read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024  # the value is in kB
                break
    except (OSError, ValueError, IndexError):
        avail = None
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            return None
    room = _cgroup_room()
    return avail if room is None else min(avail, room)


def _cgroup_room(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """Bytes left under this process's cgroup v2 memory limit (None without a limit)."""
    try:
        limit = (root / "memory.max").read_text(encoding="ascii").strip()
        if limit == "max":
            return None
        used = int((root / "memory.current").read_text(encoding="ascii").strip())
        return max(0, int(limit) - used)
    except (OSError, ValueError):
        return None


def check_fits(
    cfg: Any,
    source: str | Path,
    available: int | None = None,
    what: str = "this world",
    prefer: Collection[str] = (),
) -> MemoryEstimate:
    """Refuse a world whose estimated memory exceeds the memory available.

    Args:
        cfg: a validated ``Config``.
        source: the file named in the error.
        available: bytes available (default: :func:`available_memory`).
        what: how the error names the world (e.g. ``"condition c003"``).
        prefer: keys to name first if they drive the largest component (e.g. those given on
            the command line).

    Returns:
        The estimate.

    Raises:
        ConfigError: one line naming the key that drives the largest component and the sizes.
    """
    est = estimate_memory(cfg)
    avail = available_memory() if available is None else available
    if avail is not None and est.total > avail:
        big = est.largest
        raise ConfigError(
            source,
            big.blame(prefer),
            f"{what} needs about {human_bytes(est.total)} of memory ({big.what}: "
            f"{human_bytes(big.bytes)}), more than the {human_bytes(avail)} available",
        )
    return est


def check_design_size(
    source: str | Path, conditions: int, replications: int, section: str = "sweep"
) -> int:
    """Refuse a design above :data:`MAX_CONDITIONS` or :data:`MAX_RUNS`; return its run count.

    Counts are plain integers (``math.prod`` of axis lengths, a sample size), so a design of
    10**9 runs is refused without building any of it.

    Args:
        source: the experiment file named in the error.
        conditions: conditions (points) of the design.
        replications: runs per condition.
        section: the section that makes the conditions (``"sweep"`` or ``"sample"``).
    """
    if conditions > MAX_CONDITIONS:
        raise ConfigError(
            source,
            section,
            f"{conditions:,} conditions, more than the {MAX_CONDITIONS:,} a sweep may have "
            "(use fewer values" + (", or a [sample] design)" if section == "sweep" else ")"),
        )
    runs = conditions * replications
    if runs > MAX_RUNS:
        raise ConfigError(
            source,
            "experiment.replications",
            f"{conditions:,} conditions x {replications:,} replications = {runs:,} runs, "
            f"more than the {MAX_RUNS:,} a sweep may have",
        )
    return runs


def check_file_size(path: Path) -> None:
    """Refuse a config or experiment file above :data:`MAX_FILE_BYTES` before parsing it."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # reading it will say what is wrong
    if size > MAX_FILE_BYTES:
        raise ConfigError(
            path,
            None,
            f"file is {human_bytes(size)}, more than the {human_bytes(MAX_FILE_BYTES)} a config "
            "or experiment may have (a long axis belongs in a [sample] design)",
        )


def human_bytes(n: float) -> str:
    """``1536`` -> ``"1.5 kB"`` (powers of 1024, one decimal)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if value < 1024 or unit == "PB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PB"  # pragma: no cover - the loop always returns
