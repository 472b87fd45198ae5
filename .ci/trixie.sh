# Sourced by .ci/e2e-setup.sh: Debian trixie's newest kernel (7.3, from trixie-backports) for the e2e
# suite, reached without changing this bookworm machine.
# - apt: a private configuration under $KLPM_CACHE/apt-trixie (own sources.list naming deb.debian.org's
#   trixie and trixie-backports, own lists, archives and dpkg status), verified with Debian's archive
#   keyring (/usr/share/keyrings/debian-archive-keyring.gpg, which carries trixie's keys on bookworm).
# - the image: `linux-image-7.3…` is only a meta package over linux-binary (vmlinuz), linux-modules and
#   linux-base (config, System.map); all three install under /usr/lib/modules/<K>/ (merged /usr).
# - the e2e modules: 7.3's headers want gcc 14 and its kbuild tools trixie's C library, so they are built
#   in a trixie build root made by mmdebstrap (cached under $KLPM_CACHE/e2e/buildroot-trixie), with the
#   headers of the e2e 7.3 kernel and of the newest 7.2 (the KMP oracle test's "other 7.x release").
# Needs: $cache (the e2e cache), prepare helpers of e2e-setup.sh (build_initramfs, cached_release).

trixie_dir="${KLPM_CACHE:-$HOME/.cache/klpm}/apt-trixie"
fallback_73=(linux-image-7.3.4+deb13-amd64)
fallback_72=(linux-headers-7.2.12+deb13-amd64)

# apt-get / apt-cache with the private configuration; the machine's own lists and status are not read.
trixie_apt() { # apt-get|apt-cache, args...
  local tool=$1
  shift
  "$tool" -q \
    -o "Dir::Etc::sourcelist=$trixie_dir/etc/sources.list" \
    -o "Dir::Etc::sourceparts=$trixie_dir/etc/sources.list.d" \
    -o "Dir::Etc::preferences=$trixie_dir/etc/preferences" \
    -o "Dir::Etc::preferencesparts=$trixie_dir/etc/preferences.d" \
    -o "Dir::State=$trixie_dir/state" \
    -o "Dir::State::status=$trixie_dir/state/status" \
    -o "Dir::Cache=$trixie_dir/cache" \
    -o "APT::Architecture=amd64" -o "APT::Architectures=amd64" \
    -o "Acquire::Languages=none" -o "APT::Sandbox::User=root" \
    "$@"
}

# Writes the private configuration and reads trixie's lists (once a day at most).
trixie_update() {
  mkdir -p "$trixie_dir/etc/sources.list.d" "$trixie_dir/etc/preferences.d" \
    "$trixie_dir/state/lists/partial" "$trixie_dir/cache/archives/partial"
  touch "$trixie_dir/state/status" "$trixie_dir/etc/preferences"
  local key=/usr/share/keyrings/debian-archive-keyring.gpg
  cat >"$trixie_dir/etc/sources.list" <<EOF
deb [signed-by=$key] http://deb.debian.org/debian trixie main
deb [signed-by=$key] http://deb.debian.org/debian trixie-backports main
EOF
  if [ -z "$(find "$trixie_dir/state/lists" -name '*trixie-backports*Packages' -mtime -1 2>/dev/null)" ]; then
    trixie_apt apt-get update -qq 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
  fi
}

# The newest package matching a regex in trixie's lists, else the first fallback apt knows.
trixie_newest() { # prefix, regex, fallbacks...
  local prefix=$1 regex=$2 p
  shift 2
  p=$(trixie_apt apt-cache pkgnames "$prefix" 2>/dev/null | grep -E "$regex" | sort -V | tail -n 1)
  if [ -z "$p" ]; then
    for p in "$@"; do trixie_apt apt-cache show "$p" >/dev/null 2>&1 && break; done
  fi
  echo "$p"
}

# A trixie build root with gcc 14, make, kmod and the given headers packages (their -common and kbuild
# come as dependencies). Rebuilt only when the list of headers changes.
trixie_buildroot() { # headers packages...
  local root="$cache/buildroot-trixie" want
  want=$(printf '%s\n' "$@" | sort)
  if [ ! -f "$root/.klpm-ready" ] || [ "$(cat "$root/.klpm-ready")" != "$want" ]; then
    local list
    list=$(
      IFS=,
      echo "$*"
    )
    rm -rf "$root" "$root.tmp"
    local key=/usr/share/keyrings/debian-archive-keyring.gpg
    mmdebstrap -q --variant=apt --include="make,gcc-14,kmod,xz-utils,$list" trixie "$root.tmp" \
      "deb [signed-by=$key] http://deb.debian.org/debian trixie main" \
      "deb [signed-by=$key] http://deb.debian.org/debian trixie-backports main"
    echo "$want" >"$root.tmp/.klpm-ready"
    mv "$root.tmp" "$root"
  fi
  echo "$root"
}

# Runs a command in the build root with its own /proc (objtool reads /proc/self/limits), in a private
# mount namespace so nothing stays mounted.
in_buildroot() { # root, command...
  local root=$1
  shift
  unshare --mount --propagation private -- sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" "$@"
}

# Builds e2e/modules (or another module source dir) against headers inside the build root.
buildroot_modules() { # root, headers release, source dir, out dir
  local root=$1 release=$2 src=$3 out=$4 work
  work=$(mktemp -d "$root/tmp/klpm-build.XXXXXX")
  cp "$src"/* "$work"/
  if ! in_buildroot "$root" make -s -C "/usr/src/linux-headers-$release" M="/tmp/$(basename "$work")" modules \
    >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    rm -rf "$work"
    return 1
  fi
  rm -rf "$out" "$out.tmp" && mkdir -p "$out.tmp"
  cp "$work"/*.ko "$out.tmp"/
  rm -rf "$work"
  mv "$out.tmp" "$out"
}

# The 7.3 kernel: downloaded, unpacked (merged /usr, with /lib -> usr/lib so depmod and modprobe -d
# find it), initramfs with its 9p modules, e2e modules built in the build root. The build root also
# gets the headers the KMP oracle builds against (.ci/kmp-oracle.sh): another 7.x release and the -rt
# flavor of this one.
prepare_trixie_kernel() { # image package, other 7.x headers package
  local image=$1 other=$2
  local release=${image#linux-image-}
  local dir="$cache/kernels/$release"
  local root packages=("linux-headers-$release" "$other" "linux-headers-${release%-amd64}-rt-amd64")
  root=$(trixie_buildroot "${packages[@]}")
  if [ ! -f "$dir/ready" ]; then
    local p f parts=("linux-binary-$release" "linux-modules-$release" "linux-base-$release")
    (cd "$cache/debs" && trixie_apt apt-get download -q "${parts[@]}" 2>&1 |
      grep -v '^W: Download is performed unsandboxed' || true)
    rm -rf "$dir" && mkdir -p "$dir/root"
    for p in "${parts[@]}"; do
      f=$(ls "$cache"/debs/"${p}"_*.deb | sort -V | tail -n 1)
      dpkg-deb -x "$f" "$dir/root"
    done
    ln -s usr/lib "$dir/root/lib"
    depmod -b "$dir/root" "$release"
    cp "$dir/root/usr/lib/modules/$release/vmlinuz" "$dir/vmlinuz"
    build_initramfs "$dir" "$release"
    echo "$image" >"$dir/package"
    touch "$dir/ready"
  fi
  printf '%s\n' "${packages[@]}" >"$dir/buildroot-packages"
  local hash
  hash=$(module_hash)
  if [ ! -d "$dir/modules-$hash" ]; then
    rm -rf "$dir"/modules-*
    build_initramfs "$dir" "$release"
    buildroot_modules "$root" "$release" "$repo/e2e/modules" "$dir/modules-$hash"
  fi
  echo "$release" >>"$cache/kernels.list.tmp"
}

pick_trixie() {
  local release image other
  if release=$(cached_release 7.3) && [ -f "$cache/kernels/$release/buildroot-packages" ]; then
    other=$(sed -n 2p "$cache/kernels/$release/buildroot-packages")
    prepare_trixie_kernel "linux-image-$release" "$other"
    return
  fi
  trixie_update
  image=$(trixie_newest linux-image-7.3 '^linux-image-7\.3\.[0-9]+\+deb13-amd64$' "${fallback_73[@]}")
  other=$(trixie_newest linux-headers-7. '^linux-headers-7\.[0-24-9][0-9]*\.[0-9]+\+deb13-amd64$' "${fallback_72[@]}")
  prepare_trixie_kernel "$image" "$other"
}
