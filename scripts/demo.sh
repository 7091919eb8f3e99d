#!/usr/bin/env bash
# Set up (packages, crashsh, the 6.1 fixture dump) and open crashsh on that real kdump.
#   scripts/demo.sh [crashsh options...]      e.g. scripts/demo.sh -c "sys" -c "ps"
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh 6.1
fix=${CRASHSH_FIXTURE_CACHE:-$HOME/.cache/crashsh/fixtures}/6.1
exec crashsh -d "$fix/modules" "$fix/vmlinux" "$fix/vmcore.kdump" "$@"
