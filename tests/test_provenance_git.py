"""The manifest's git commit: the checkout's HEAD, ``-dirty`` with uncommitted changes, None
without git (the two git commands run side by side)."""

import subprocess
from pathlib import Path

from marketplace_sim import provenance

PKG = Path(provenance.__file__).resolve().parent


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=PKG, capture_output=True, text=True)


def test_git_commit_is_head_and_dirty_exactly_when_tracked_files_changed():
    head = _git("rev-parse", "HEAD")
    if head.returncode != 0:  # an installed copy, not a checkout: no commit to name
        assert provenance.git_commit() is None
        return
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no").stdout.strip())
    assert provenance.git_commit() == head.stdout.strip() + ("-dirty" if dirty else "")


def test_git_commit_is_none_without_git(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert provenance.git_commit() is None
