#!/usr/bin/env bash
# Fetches the Debian kernel packages the KABI differential test (test/kabi/check-depmod.test.ts)
# reads: the modules of one 6.1 ABI (A, linux-image) and the Module.symvers of an older 6.1 ABI
# (B, linux-headers), a pair with partial CRC drift; and a 6.12 backport image whose modules are
# .ko.xz (X) with its own headers, for the xz path and the benchmark. ABIs leave the archive, so both are picked
# with apt-cache among the ones still there. Debs and their extracted trees are cached under
# $KLPM_CACHE/kabi; debs the e2e cache already holds are reused. Writes $KLPM_CACHE/kabi/pair.env.
set -euo pipefail
cache="${KLPM_CACHE:-$HOME/.cache/klpm}"
out="$cache/kabi"
mkdir -p "$out/debs" "$out/trees"

abis() { # 6.1 ABIs whose package $1 (image|headers) apt knows, newest first
  apt-cache search --names-only "^linux-$1-6\.1\.0-[0-9]+-amd64\$" | awk '{print $1}' |
    sed -E "s/^linux-$1-(6\.1\.0-[0-9]+)-amd64\$/\1/" | sort -t- -k2,2nr
}

if [ -z "$(abis image)" ] && [ ! -f "$out/pair.env" ]; then
  apt-get update -qq || true
fi
# Known partial-drift pairs (module_layout equal, thousands of CRCs changed: 6.1.0-53 vs 6.1.0-50
# differ in 3274 vmlinux CRCs), first one still in the archive wins; otherwise the newest image
# against the oldest other headers (which may then be a pair where module_layout changed).
a=""
b=""
for pair in 6.1.0-53:6.1.0-50 6.1.0-54:6.1.0-50 6.1.0-53:6.1.0-54; do
  if abis image | grep -qx "${pair%%:*}" && abis headers | grep -qx "${pair##*:}"; then
    a="${pair%%:*}"
    b="${pair##*:}"
    break
  fi
done
if [ -z "$a" ]; then
  a="$(abis image | head -n1)"
  b="$(abis headers | grep -vx "$a" | tail -n1 || true)"
fi
a="${a:-6.1.0-53}"
b="${b:-6.1.0-50}"

fetch() { # package name -> path of its .deb in a cache
  local pkg="$1" found
  found="$(ls "$out"/debs/"${pkg}"_*.deb "$cache"/e2e/debs/"${pkg}"_*.deb 2>/dev/null | head -n1 || true)"
  if [ -z "$found" ]; then
    (cd "$out/debs" && apt-get download -q "$pkg" >/dev/null)
    found="$(ls "$out"/debs/"${pkg}"_*.deb | head -n1)"
  fi
  echo "$found"
}

extract() { # .deb -> extracted tree (once)
  local tree
  tree="$out/trees/$(basename "$1" .deb)"
  if [ ! -f "$tree/.done" ]; then
    rm -rf "$tree"
    mkdir -p "$tree"
    dpkg-deb -x "$1" "$tree"
    touch "$tree/.done"
  fi
  echo "$tree"
}

image="$(extract "$(fetch "linux-image-$a-amd64")")"
headers="$(extract "$(fetch "linux-headers-$b-amd64")")"
x="$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' | awk '{print $1}' |
  sed -E 's/^linux-image-(.*)-amd64$/\1/' | sort -V | tail -n1 || true)"
xz_env=""
if [ -n "$x" ] && apt-cache show "linux-headers-$x-amd64" >/dev/null 2>&1; then
  x_image="$(extract "$(fetch "linux-image-$x-amd64")")"
  x_headers="$(extract "$(fetch "linux-headers-$x-amd64")")"
  xz_env="KABI_XZ_RELEASE=$x-amd64
KABI_XZ_MODULES=$x_image/lib/modules/$x-amd64
KABI_XZ_SYMVERS=$x_headers/usr/src/linux-headers-$x-amd64/Module.symvers"
fi
cat >"$out/pair.env" <<ENV
KABI_A_RELEASE=$a-amd64
KABI_A_MODULES=$image/lib/modules/$a-amd64
KABI_B_RELEASE=$b-amd64
KABI_B_SYMVERS=$headers/usr/src/linux-headers-$b-amd64/Module.symvers
$xz_env
ENV
cat "$out/pair.env"
