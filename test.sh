#!/usr/bin/env bash
# Install everything the tests need (Python dev dependencies, Debian's chromium for the browser
# test), check lint, format and types, and run the whole test suite (slow, browser, wheel and
# notebook tests included).
set -euo pipefail
source "$(dirname "$0")/scripts/env.sh" "dev"
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's chromium for the browser test"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "error: the browser test needs chromium (apt-get install chromium)" >&2; exit 2
    fi
fi
.venv/bin/ruff check marketplace_sim tests benchmarks scripts
.venv/bin/ruff format --check marketplace_sim tests benchmarks scripts
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
