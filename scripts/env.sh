#!/usr/bin/env bash
# Shared set-up: find a Python >= 3.12, make .venv, install the package with pinned versions.
# Sourced by run.sh and test.sh; $1 = the extras to install ("" or "dev").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
    local c
    for c in "${PYTHON:-}" python3.13 python3.12 python3; do
        [ -n "$c" ] || continue
        if command -v "$c" >/dev/null 2>&1 &&
            "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            command -v "$c"; return 0
        fi
    done
    # pyenv: try its installed 3.13 / 3.12 versions without changing the global default.
    if command -v pyenv >/dev/null 2>&1; then
        local v
        for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9]' | sort -rV); do
            local p; p="$(pyenv root)/versions/$v/bin/python3"
            [ -x "$p" ] && { echo "$p"; return 0; }
        done
    fi
    return 1
}

EXTRAS="${1:-}"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    PY="$(find_python)" || { echo "error: need Python >= 3.12 (set PYTHON=/path/to/python3.12)" >&2; exit 2; }
    echo "using $PY ($("$PY" --version))"
    rm -rf .venv
    "$PY" -m venv .venv
fi
SPEC="."
[ -n "$EXTRAS" ] && SPEC=".[${EXTRAS}]"
STAMP=".venv/.installed-${EXTRAS:-base}"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || [ constraints.txt -nt "$STAMP" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -c constraints.txt -e "$SPEC"
    touch "$STAMP"
fi
