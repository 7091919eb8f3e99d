#!/usr/bin/env bash
# Install what crashsh, its fixture pipeline and the crash oracle need on Debian 12, install
# crashsh with its test extras, and build (or reuse from the cache) the fixture dumps: the main
# fixture of each series and the scale fixture of 6.1.
#   scripts/setup.sh [SERIES...]     (default: 6.1 6.12)
set -euo pipefail
cd "$(dirname "$0")/.."
series=("$@")
[ ${#series[@]} -gt 0 ] || series=(6.1 6.12)
t0=$(date +%s)
elapsed() { echo "[$(($(date +%s) - t0))s] $*" >&2; }

APT_PACKAGES=(
    qemu-system-x86 qemu-utils makedumpfile kexec-tools busybox-static cpio gzip xz-utils zstd
    gcc make libc6-dev binutils util-linux python3
    # runtime libraries of the crash 9 oracle (../shared/oracle/README.md)
    libgmp10 libmpfr6 liblzma5 libzstd1 libncursesw6 libtinfo6
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
    elapsed "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi
elapsed "pip install -e .[test]"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e '.[test]'
SCALE_SERIES=(6.1)  # as tests/differential/fixtures.py's SCALE_SERIES
for s in "${series[@]}"; do
    elapsed "fixture $s"
    tests/fixtures/build.sh "$s" >/dev/null
    if [[ " ${SCALE_SERIES[*]} " == *" $s "* ]]; then
        elapsed "scale fixture $s"
        tests/fixtures/build.sh "$s" scale >/dev/null
    fi
done
elapsed "setup done"
