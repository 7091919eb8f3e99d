#!/usr/bin/env bash
# Run every test (unit, vmcore and differential against crash) on a fresh Debian 12 machine:
# installs what is missing, builds the fixture dumps (cached), then runs pytest with the vmcore
# and oracle tests required (a missing fixture or oracle fails instead of skipping).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CRASHSH_REQUIRE_VMCORE=1
python3 -m pytest -q -p no:cacheprovider "$@"
