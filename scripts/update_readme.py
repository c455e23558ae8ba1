"""Regenerate the README's config reference from the schema.

Usage: .venv/bin/python scripts/update_readme.py
"""

from pathlib import Path

from marketplace_sim.config import reference_markdown

START, END = "<!-- config-reference:start -->\n", "<!-- config-reference:end -->"
readme = Path(__file__).resolve().parents[1] / "README.md"
text = readme.read_text()
i, j = text.index(START) + len(START), text.index(END)
readme.write_text(text[:i] + reference_markdown() + text[j:])
print(f"updated {readme}")
