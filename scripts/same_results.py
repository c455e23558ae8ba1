"""Check that a refactor changed no result: compare two output trees exactly.

Usage:
    python scripts/same_results.py OLD_DIR NEW_DIR [--values-only]

Every ``*.parquet`` file under OLD_DIR must exist under NEW_DIR with an identical frame
(``pandas.testing.assert_frame_equal(check_exact=True)``; ``--values-only`` ignores the
dtypes, for a change that only widens them); every ``.md`` file must be equal
once lines that state wall times are dropped. Prints one line per file and exits 1 on any
difference.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

TIMING = re.compile(r"\b\d+(\.\d+)? ?(s|min)\b|wall|generated|commit|UTC|seconds")


def _text(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if not TIMING.search(ln)]


def main(old: str, new: str, values_only: bool = False) -> int:
    """Compare the trees; return 0 when every file matches."""
    a, b = Path(old), Path(new)
    bad = 0
    files = sorted(p for p in a.rglob("*") if p.suffix in {".parquet", ".md"})
    for p in files:
        rel = p.relative_to(a)
        q = b / rel
        if not q.exists():
            print(f"MISSING {rel}")
            bad += 1
            continue
        try:
            if p.suffix == ".parquet":
                pd.testing.assert_frame_equal(
                    pd.read_parquet(p),
                    pd.read_parquet(q),
                    check_exact=True,
                    check_dtype=not values_only,
                )
            elif _text(p) != _text(q):
                raise AssertionError("text differs")
        except AssertionError as exc:
            print(f"DIFFERS {rel}: {str(exc).splitlines()[0] if str(exc) else ''}")
            bad += 1
            continue
        print(f"same    {rel}")
    print(f"{len(files) - bad} same, {bad} different")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], "--values-only" in sys.argv[3:]))
