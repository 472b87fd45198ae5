#!/usr/bin/env bash
# Builds the e2e klp-build livepatches (e2e/klp-build/) with the kernel's own
# scripts/livepatch/klp-build, from Debian's linux-source-7.3 (trixie-backports) with a minimal
# config (`make tinyconfig` plus e2e/klp-build/config.fragment), in a trixie build root (gcc 14,
# libelf, libxxhash for objtool's klp subcommands, patchutils' recountdiff, gawk) made by mmdebstrap.
# A klp-build module loads only on a kernel built from the same tree, so the tree's bzImage and
# System.map are kept beside the two modules.
#
# Everything lives under $KLPM_CACHE/klp-build and is reused:
# - debs/: the linux-source deb; buildroot/: the build root (rebuilt when its package list changes);
# - tree-<source version>-<config hash>/: the unpacked tree, built by klp-build (which cleans it
#   first: each run of this script builds the kernel once, then the patched objects);
# - out-<tree key>-<patches hash>/: klpm-klp-v1.ko, klpm-klp-v2.ko, bzImage, System.map, config.
# Prints the out directory. Cost: .ci/COSTS.md ("klp-build").
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
base="${KLPM_CACHE:-$HOME/.cache/klpm}/klp-build"
cache="${KLPM_CACHE:-$HOME/.cache/klpm}/e2e"
src="$repo/e2e/klp-build"
mkdir -p "$base/debs"
# shellcheck source=.ci/trixie.sh
source "$repo/.ci/trixie.sh"

fallback_source=linux-source-7.3
packages="make,gcc-14,gcc,kmod,xz-utils,flex,bison,bc,libelf-dev,libxxhash-dev,patchutils,gawk,libssl-dev,python3,cpio,patch,diffutils,file"

log() { echo "klp-build.sh: $*" >&2; }

# The source deb: the newest linux-source-7.3 in trixie's lists, else the one already downloaded.
source_deb() {
  local deb
  deb=$(ls "$base"/debs/linux-source-7.3_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$deb" ]; then
    trixie_update
    (cd "$base/debs" && trixie_apt apt-get download -q "$fallback_source" 2>&1 |
      grep -v '^W: Download is performed unsandboxed' >&2 || true)
    deb=$(ls "$base"/debs/linux-source-7.3_*.deb | sort -V | tail -n 1)
  fi
  echo "$deb"
}

buildroot() {
  local root="$base/buildroot"
  if [ ! -f "$root/.klpm-ready" ] || [ "$(cat "$root/.klpm-ready")" != "$packages" ]; then
    rm -rf "$root" "$root.tmp"
    local key=/usr/share/keyrings/debian-archive-keyring.gpg
    log "making the build root (mmdebstrap)"
    mmdebstrap -q --variant=apt --include="$packages" trixie "$root.tmp" \
      "deb [signed-by=$key] http://deb.debian.org/debian trixie main"
    mkdir -p "$root.tmp/build"
    echo "$packages" >"$root.tmp/.klpm-ready"
    mv "$root.tmp" "$root"
  fi
}

# Runs a command in the build root with the tree bound at /build, its own /proc (objtool reads
# /proc/self/limits), in a private mount namespace so nothing stays mounted.
in_tree() { # tree, command...
  local tree=$1
  shift
  unshare --mount --propagation private -- sh -c \
    'mount -t proc proc "$0/proc" && mount --bind "$1" "$0/build" && shift && cd / && exec chroot "$0" "$@"' \
    "$base/buildroot" "$tree" "$@"
}

deb=$(source_deb)
version=$(dpkg-deb -f "$deb" Version)
config_hash=$(sha256sum "$src/config.fragment" | cut -c1-12)
tree="$base/tree-$version-$config_hash"
# The same hash as klpBuildInputsHash in e2e/harness/klp-build.ts: every file of e2e/klp-build (in
# name order), the guest's /init and this script.
# shellcheck disable=SC2046
patches_hash=$(cat $(LC_ALL=C ls -d "$src"/* | LC_ALL=C sort) "$repo/e2e/guest/init.sh" "$repo/.ci/klp-build.sh" |
  sha256sum | cut -c1-16)
out="$base/out-$version-$config_hash-$patches_hash"
if [ -f "$out/ready" ]; then
  echo "$out"
  exit 0
fi
buildroot

if [ ! -f "$tree/.klpm-configured" ]; then
  log "unpacking linux-source $version"
  rm -rf "$tree" "$tree.tmp" && mkdir -p "$tree.tmp"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tree.tmp" --wildcards '*/linux-source-7.3.tar.xz'
  tar -xJf "$tree.tmp"/usr/src/linux-source-7.3.tar.xz -C "$tree.tmp" --strip-components=1
  rm -rf "$tree.tmp/usr"
  cp "$src/config.fragment" "$tree.tmp/klpm.config"
  in_tree "$tree.tmp" sh -c 'cd /build && make -s tinyconfig &&
    scripts/kconfig/merge_config.sh -m .config klpm.config >/dev/null && make -s olddefconfig'
  touch "$tree.tmp/.klpm-configured"
  mv "$tree.tmp" "$tree"
fi

# klp-build needs its patches inside the tree (it runs from the kernel root) and writes klp-tmp/.
# The modules are written at the tree's top: klp-build's find_objects skips only top-level .ko files
# when it looks for the objects a build changed, so a module kept deeper in the tree would be taken
# for one (and "missing klpm-klp-v1.o" stops v2's build).
rm -rf "$tree/klpm-patches" "$tree/klpm-out" "$tree"/klpm-klp-v*.ko && mkdir -p "$tree/klpm-patches" "$tree/klpm-out"
cp "$src"/*.patch "$src"/*.h "$tree/klpm-patches/"

# klp-build runs `make clean` before its "original kernel" build (step 1), so every full run builds the
# whole kernel: v1 runs all steps and keeps its tmp dir (-T); v2 starts at step 2 (-S 2, "Build
# patched kernel"), reusing v1's original objects, as klp-build's own short-circuit allows.
# klp-build's init.c declares no MODULE_VERSION, and `klpm lint` orders builds by it: each module is
# built again at klp-build's last step (-S 5, "Build patch module") with a header that declares it,
# through KCPPFLAGS, which kbuild adds to every compile and klp-build leaves alone. The kernel
# builds (steps 1 and 2) run without it.
klp_build() { # log name, klp-build arguments... (KCPPFLAGS passed through when set)
  local name=$1
  shift
  in_tree "$tree" env ${KCPPFLAGS:+KCPPFLAGS="$KCPPFLAGS"} bash -c 'cd /build && nice -n 19 scripts/livepatch/klp-build -j2 "$@"' \
    klp-build "$@" >>"$tree/klpm-out/$name.log" 2>&1 || {
    cat "$tree/klpm-out/$name.log" >&2
    return 1
  }
}
log "klp-build klpm-klp-v1 (0001)"
klp_build klpm-klp-v1 -T -o klpm-klp-v1.ko klpm-patches/0001-proc-version-fix.patch
KCPPFLAGS="-include /build/klpm-patches/version-v1.h" klp_build klpm-klp-v1 -S 5 -o klpm-klp-v1.ko
log "klp-build klpm-klp-v2 (0001 0002, from step 2)"
klp_build klpm-klp-v2 -S 2 -o klpm-klp-v2.ko \
  klpm-patches/0001-proc-version-fix.patch klpm-patches/0002-proc-cmdline-fix.patch
KCPPFLAGS="-include /build/klpm-patches/version-v2.h" klp_build klpm-klp-v2 -S 5 -o klpm-klp-v2.ko

# The kernel the modules load on: the tree with every patch reverted, built as klp-build builds it
# (same KCFLAGS and KLP_SYMIDS, so only the reverted files are compiled again).
log "bzImage"
in_tree "$tree" sh -c 'cd /build && nice -n 19 make -s -j2 KLP_SYMIDS=1 KCFLAGS="-ffunction-sections -fdata-sections" bzImage' \
  >"$tree/klpm-out/bzImage.log" 2>&1 || {
  cat "$tree/klpm-out/bzImage.log" >&2
  exit 1
}

# one output kept: the one for the current inputs
rm -rf "$base"/out-* && mkdir -p "$out.tmp"
cp "$tree/klpm-klp-v1.ko" "$tree/klpm-klp-v2.ko" "$tree/klpm-out/"*.log "$out.tmp/"
cp "$tree/arch/x86/boot/bzImage" "$tree/System.map" "$out.tmp/"
cp "$tree/.config" "$out.tmp/config"
# The guest's initramfs: busybox and the e2e /init; its module list is empty, the config builds the
# 9p and virtio drivers in.
init_tree=$(mktemp -d)
mkdir -p "$init_tree/bin" "$init_tree/lib/e2e-modules"
cp /bin/busybox "$init_tree/bin/busybox"
cp "$repo/e2e/guest/init.sh" "$init_tree/init" && chmod +x "$init_tree/init"
: >"$init_tree/lib/e2e-modules/order"
(cd "$init_tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9) >"$out.tmp/initramfs.cpio.gz"
rm -rf "$init_tree"
in_tree "$tree" sh -c 'cd /build && make -s kernelrelease' >"$out.tmp/release"
echo "$version" >"$out.tmp/source-version"
touch "$out.tmp/ready"
mv "$out.tmp" "$out"
echo "$out"
