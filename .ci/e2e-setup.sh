#!/usr/bin/env bash
# Prepares the real-kernel e2e suite (e2e/): for one Debian 6.1 and one Debian 6.12 kernel it downloads
# the image, headers and kbuild packages with `apt-get download`, unpacks them with `dpkg-deb -x` (nothing
# is installed on this machine), builds a busybox initramfs that loads the 9p modules, and builds the
# e2e test modules against the unpacked headers. The initramfs carries virtio_net too, for the fleet
# scenario's network (e2e/fleet-agent.test.ts). Debian's 7.3 (trixie-backports) comes the same way
# through a private apt configuration, its modules built in a trixie build root (.ci/trixie.sh); the
# KMP oracle's modules are built for each kernel (.ci/kmp-oracle.sh). Everything lives under
# $KLPM_CACHE/e2e and is reused:
# a kernel is prepared once; modules are rebuilt only when e2e/modules/ changes (keyed by its hash).
# The apt packages it needs (qemu-system-x86, busybox-static, kmod, cpio, dwarves) are in
# .ci/apt-packages.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
cache="${KLPM_CACHE:-$HOME/.cache/klpm}/e2e"
mkdir -p "$cache/debs" "$cache/kernels"

# Old ABIs leave the archive; the newest in apt's lists wins, and these are tried when apt knows none.
fallback_61=(linux-image-6.1.0-56-amd64 linux-image-6.1.0-55-amd64)
fallback_612=(linux-image-6.12.117+deb12-amd64 linux-image-6.12.115+deb12-amd64)

newest_image() { # regex for the package name
  apt-cache pkgnames linux-image-6.1 2>/dev/null | grep -E "$1" | sort -V | tail -n 1
}

# series -> the release already prepared in the cache, if any (a prepared kernel is reused as is).
cached_release() {
  local series=$1 d
  for d in "$cache"/kernels/"$series".*/ "$cache"/kernels/"$series"-*/; do
    [ -f "$d/ready" ] && basename "$d" && return 0
  done
  return 1
}

prepare_kernel() { # image package name
  local image=$1
  local release=${image#linux-image-}
  local dir="$cache/kernels/$release"
  if [ ! -f "$dir/ready" ]; then
    local headers="linux-headers-$release"
    local depends common kbuild
    depends=$(apt-cache show "$headers" | sed -n 's/^Depends: //p' | head -n 1)
    common=$(grep -oE 'linux-headers-[^ ,]*-common' <<<"$depends" | head -n 1)
    kbuild=$(grep -oE 'linux-kbuild-[^ ,]*' <<<"$depends" | head -n 1)
    (cd "$cache/debs" && apt-get download -q "$image" "$headers" "$common" "$kbuild" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    rm -rf "$dir" && mkdir -p "$dir/root"
    local p f
    for p in "$image" "$headers" "$common" "$kbuild"; do
      f=$(ls "$cache"/debs/"${p}"_*.deb | sort -V | tail -n 1)
      dpkg-deb -x "$f" "$dir/root"
    done
    # Debian's headers Makefile includes the common tree by its absolute /usr/src path.
    sed -i "s#include /usr/src/#include $dir/root/usr/src/#" "$dir/root/usr/src/linux-headers-$release/Makefile"
    depmod -b "$dir/root" "$release"
    cp "$dir/root/boot/vmlinuz-$release" "$dir/vmlinuz"
    build_initramfs "$dir" "$release"
    echo "$image" >"$dir/package"
    touch "$dir/ready"
  fi
  build_modules "$dir" "$release"
  echo "$release" >>"$cache/kernels.list.tmp"
}

build_initramfs() { # kernel dir, release
  local dir=$1 release=$2
  local tree="$dir/initramfs"
  rm -rf "$tree" && mkdir -p "$tree/bin" "$tree/lib/e2e-modules"
  cp /bin/busybox "$tree/bin/busybox"
  cp "$repo/e2e/guest/init.sh" "$tree/init" && chmod +x "$tree/init"
  # The dependency order modprobe would use; .ko.xz (6.12) is unpacked because busybox insmod may not.
  local line path name
  modprobe -d "$dir/root" -S "$release" --show-depends -a virtio_pci 9pnet_virtio 9p virtio_net | while read -r line; do
    case $line in insmod*) ;; *) continue ;; esac
    path=$(awk '{print $2}' <<<"$line")
    name=$(basename "$path")
    name=${name%.xz}
    grep -qx "$name" "$tree/lib/e2e-modules/order" 2>/dev/null && continue
    case $path in
      *.xz) xz -dc "$path" >"$tree/lib/e2e-modules/$name" ;;
      *) cp "$path" "$tree/lib/e2e-modules/$name" ;;
    esac
    echo "$name" >>"$tree/lib/e2e-modules/order"
  done
  touch "$tree/lib/e2e-modules/order"
  (cd "$tree" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initramfs.cpio.gz"
}

# The key of a modules directory: the sources of e2e/modules and the guest's /init (e2e/harness/kernels.ts).
module_hash() {
  (cd "$repo/e2e" && LC_ALL=C; cat $(LC_ALL=C ls -d modules/*) guest/init.sh | sha256sum | cut -c1-16)
}

build_modules() { # kernel dir, release
  local dir=$1 release=$2 hash
  hash=$(module_hash)
  if [ ! -d "$dir/modules-$hash" ]; then
    rm -rf "$dir"/modules-*
    build_initramfs "$dir" "$release"
    bash "$repo/e2e/build-modules.sh" "$dir/root/usr/src/linux-headers-$release" "$dir/modules-$hash"
  fi
}

pick() { # series, regex, fallbacks...
  local series=$1 regex=$2 release image
  shift 2
  if release=$(cached_release "$series"); then
    prepare_kernel "linux-image-$release"
    return
  fi
  image=$(newest_image "$regex")
  if [ -z "$image" ]; then
    for image in "$@"; do apt-cache show "$image" >/dev/null 2>&1 && break; done
  fi
  prepare_kernel "$image"
}

# shellcheck source=.ci/trixie.sh
source "$repo/.ci/trixie.sh"
# shellcheck source=.ci/kmp-oracle.sh
source "$repo/.ci/kmp-oracle.sh"

rm -f "$cache/kernels.list.tmp"
pick 6.1 '^linux-image-6\.1\.0-[0-9]+-amd64$' "${fallback_61[@]}"
pick 6.12 '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' "${fallback_612[@]}"
pick_trixie
mv "$cache/kernels.list.tmp" "$cache/kernels.list"
while read -r release; do prepare_oracle "$release"; done <"$cache/kernels.list"
prepare_kmp_package_kernels
echo "e2e kernels ready in $cache/kernels: $(tr '\n' ' ' <"$cache/kernels.list")"
