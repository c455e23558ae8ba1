#!/usr/bin/env bash
# Install and run the main job: the baseline world (configs/baseline.toml), with figures.
# Extra arguments go to `marketplace-sim run`, e.g. ./run.sh --out results/my-baseline
set -euo pipefail
source "$(dirname "$0")/scripts/env.sh" ""
exec .venv/bin/marketplace-sim run configs/baseline.toml "$@"
