"""Docs that execute: the README's reference table and commands match the code."""

import re
from pathlib import Path

from marketplace_sim.config import reference_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_config_reference_matches_the_schema():
    """The README's config table is exactly what the schema generates."""
    block = re.search(
        r"<!-- config-reference:start -->\n(.*)<!-- config-reference:end -->", README, re.S
    )
    assert block is not None
    assert block.group(1) == reference_markdown(), "run: python scripts/update_readme.py"


def test_readme_commands_exist_and_ci_calls_the_test_command():
    """./run.sh and ./test.sh exist and are executable; .ci/run calls ./test.sh."""
    assert "./run.sh" in README and "./test.sh" in README
    for name in ("run.sh", "test.sh", ".ci/run"):
        path = ROOT / name
        assert path.exists() and path.stat().st_mode & 0o111, name
    assert "./test.sh" in (ROOT / ".ci" / "run").read_text()


def test_every_config_mentioned_in_the_readme_exists():
    """Paths under configs/ named in the README exist."""
    for rel in set(re.findall(r"configs/[\w/.-]+\.toml", README)):
        assert (ROOT / rel).exists(), rel
