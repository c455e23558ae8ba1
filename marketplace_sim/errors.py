"""One error hierarchy: every error a person can act on, and the exit code it maps to.

The command line (``cli.py``) catches :class:`MarketplaceSimError` and prints ``str(exc)`` as
one line with exit code ``exc.exit_code``; anything else is a fault (exit 1).

- :class:`ConfigError`: a bad config or experiment file, or a bad ``--set`` value (exit 2).
- :class:`UsageError`: bad command-line usage (exit 2).
- :class:`OutputFolderError`: a results folder that may not be written or replaced (exit 2).
- :class:`DataError`: a results folder or data file that cannot be read as needed (exit 2).
- :class:`FaultError`: the machine failed us (disk full, permission denied mid-write; exit 1).
"""

from __future__ import annotations

from pathlib import Path


class MarketplaceSimError(Exception):
    """Base of the errors that print as one line: ``path: key: message``."""

    exit_code = 2

    def __init__(self, path: str | Path | None, key: str | None, message: str) -> None:
        self.path = str(path) if path is not None else None
        self.key = key
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.path, self.key) if p]
        return ": ".join([*parts, self.message])


class ConfigError(MarketplaceSimError, ValueError):
    """A bad config: names the file, the dotted key (if any) and what is wrong, in one line."""


class UsageError(MarketplaceSimError):
    """Bad command-line usage (exit code 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(None, None, message)


class OutputFolderError(MarketplaceSimError):
    """A results folder that this program may not create, write or replace (exit code 2)."""


class DataError(MarketplaceSimError):
    """A results folder or data file that is missing, corrupt or lacks what is needed (exit 2)."""


class FaultError(MarketplaceSimError):
    """The machine failed a write or read (disk full, permission denied): exit code 1."""

    exit_code = 1
