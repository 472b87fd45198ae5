#!/usr/bin/env bash
# Installs the Debian packages the tests use as oracles and real parts (postgresql: the fleet store's
# second engine, started by .ci/postgres.sh; chromium: the dashboard's browser tests; the cross
# compilers: the livepatch reader on arm64, ppc64le and s390x objects, test/livepatch-module/;
# mmdebstrap: the trixie build root of .ci/trixie.sh; lintian: the check of `klpm kmp pack`'s debs). One apt-get update, and only when something
# is missing.
set -euo pipefail
packages=(kmod rpm qemu-system-x86 busybox-static cpio dwarves xz-utils gcc make strace zstd lz4 bzip2 postgresql chromium
  gcc-aarch64-linux-gnu gcc-powerpc64le-linux-gnu gcc-s390x-linux-gnu mmdebstrap lintian)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
