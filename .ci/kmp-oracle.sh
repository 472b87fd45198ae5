# Sourced by .ci/e2e-setup.sh: the module loader as the KMP oracle (e2e/kmp-oracle.test.ts). For each
# e2e kernel, e2e/kmp-oracle/klpm_oracle.c is built against the headers of other ABIs of its series:
#   all   own:        the kernel's own headers (the case that must link and load whatever the archive
#                     holds today)
#   6.1   crc-differ: the newest older ABI whose CRCs differ for a symbol the module uses
#         crc-match:  the newest older ABI whose CRCs for those symbols are the kernel's
#         rt:         the kernel's own ABI, -rt flavor (other vermagic flags: preempt_rt)
#   6.12  other-abi:  the newest older 6.12 ABI; rt: the -rt flavor of the kernel's own ABI
#   7.3   other-7x:   another 7.x release (no CRCs, as the kernel); rt: -rt flavor
# Each case becomes its own module, klpm_oracle_<case>.ko, listed in cases.tsv (case, built-for
# release, file). Cached under $KLPM_CACHE/e2e/oracle/<K>/<hash of the source>/; headers under
# $KLPM_CACHE/e2e/oracle-headers/.
# Needs from e2e-setup.sh: $cache, $repo; from .ci/trixie.sh: buildroot_modules.

oracle_symbols='module_layout|kmalloc_trace|kmalloc_caches|_printk|kfree'

# A bookworm headers package with its -common (-common-rt) and kbuild, unpacked once; prints the
# headers directory.
bookworm_headers() { # headers release, e.g. 6.1.0-54-amd64
  local release=$1 dir="$cache/oracle-headers/$1"
  if [ ! -f "$dir/.done" ]; then
    local headers="linux-headers-$release" depends common kbuild p f
    depends=$(apt-cache show "$headers" | sed -n 's/^Depends: //p' | head -n 1)
    common=$(grep -oE 'linux-headers-[^ ,]*-common(-rt)?' <<<"$depends" | head -n 1)
    kbuild=$(grep -oE 'linux-kbuild-[^ ,]*' <<<"$depends" | head -n 1)
    (cd "$cache/debs" && apt-get download -q "$headers" "$common" "$kbuild" 2>&1 |
      grep -v '^W: Download is performed unsandboxed' || true) >&2
    rm -rf "$dir" && mkdir -p "$dir"
    for p in "$headers" "$common" "$kbuild"; do
      f=$(ls "$cache"/debs/"${p}"_*.deb | sort -V | tail -n 1)
      dpkg-deb -x "$f" "$dir"
    done
    sed -i "s#include /usr/src/#include $dir/usr/src/#" "$dir/usr/src/linux-headers-$release/Makefile"
    touch "$dir/.done"
  fi
  echo "$dir/usr/src/linux-headers-$release"
}

# The CRCs of the module's symbols in a 6.1 ABI's Module.symvers (only the small -amd64 headers deb is
# fetched to read it).
abi_crcs() { # 6.1.0-N-amd64
  local headers="linux-headers-$1" f
  f=$(ls "$cache"/debs/"${headers}"_*.deb 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$f" ]; then
    (cd "$cache/debs" && apt-get download -q "$headers" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true) >&2
    f=$(ls "$cache"/debs/"${headers}"_*.deb | sort -V | tail -n 1)
  fi
  dpkg-deb --fsys-tarfile "$f" | tar -xO "./usr/src/linux-headers-$1/Module.symvers" |
    awk -F'\t' -v re="^($oracle_symbols)\$" '$3 == "vmlinux" && $2 ~ re {print $2, $1}' | sort
}

# One case's module, built on this machine against bookworm headers or in the trixie build root.
oracle_case() { # out dir, case, built-for release, host|<build root>
  local out=$1 name=$2 release=$3 where=$4 work
  work=$(mktemp -d)
  cp "$repo/e2e/kmp-oracle/klpm_oracle.c" "$work/klpm_oracle_$name.c"
  echo "obj-m := klpm_oracle_$name.o" >"$work/Kbuild"
  if [ "$where" = host ]; then
    local headers="$cache/kernels/$release/root/usr/src/linux-headers-$release"
    # the e2e kernel's own headers are unpacked already; other ABIs' are fetched
    [ -d "$headers" ] || headers=$(bookworm_headers "$release")
    make -s -C "$headers" M="$work" modules >"$work/build.log" 2>&1 || {
      cat "$work/build.log" >&2
      return 1
    }
    cp "$work/klpm_oracle_$name.ko" "$out/"
  else
    buildroot_modules "$where" "$release" "$work" "$work/out"
    cp "$work/out/klpm_oracle_$name.ko" "$out/"
  fi
  rm -rf "$work"
  printf '%s\t%s\t%s\n' "$name" "$release" "klpm_oracle_$name.ko" >>"$out/cases.tsv"
}

prepare_oracle() { # e2e kernel release
  local release=$1 hash out
  hash=$(cat "$repo/e2e/kmp-oracle/klpm_oracle.c" "$repo/.ci/kmp-oracle.sh" | sha256sum | cut -c1-16)
  out="$cache/oracle/$release/$hash"
  [ -f "$out/cases.tsv" ] && return 0
  rm -rf "$cache/oracle/$release" && mkdir -p "$out.tmp"
  case $release in
    6.1.0-*-amd64)
      local n=${release#6.1.0-} own differ="" match="" abi
      n=${n%-amd64}
      own=$(abi_crcs "$release")
      for abi in $(apt-cache pkgnames linux-headers-6.1.0- | grep -E '^linux-headers-6\.1\.0-[0-9]+-amd64$' |
        sed -E 's/^linux-headers-6\.1\.0-([0-9]+)-amd64$/\1/' | sort -nr); do
        [ "$abi" -lt "$n" ] || continue
        if [ "$(abi_crcs "6.1.0-$abi-amd64")" = "$own" ]; then
          [ -n "$match" ] || match="6.1.0-$abi-amd64"
        else
          [ -n "$differ" ] || differ="6.1.0-$abi-amd64"
        fi
        [ -n "$match" ] && [ -n "$differ" ] && break
      done
      oracle_case "$out.tmp" own "$release" host
      [ -z "$differ" ] || oracle_case "$out.tmp" crc_differ "$differ" host
      [ -z "$match" ] || oracle_case "$out.tmp" crc_match "$match" host
      oracle_case "$out.tmp" rt "${release%-amd64}-rt-amd64" host
      ;;
    6.12.*+deb12-amd64)
      local v=${release#6.12.} other
      v=${v%%+*}
      other=$(apt-cache pkgnames linux-headers-6.12. | grep -E '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
        sed -E 's/^linux-headers-6\.12\.([0-9]+)\+deb12-amd64$/\1/' | sort -nr | awk -v v="$v" '$1 < v' | head -n 1)
      oracle_case "$out.tmp" own "$release" host
      [ -z "$other" ] || oracle_case "$out.tmp" other_abi "6.12.$other+deb12-amd64" host
      oracle_case "$out.tmp" rt "${release%-amd64}-rt-amd64" host
      ;;
    7.*)
      local dir="$cache/kernels/$release" root
      root="$cache/buildroot-trixie"
      oracle_case "$out.tmp" own "$release" "$root"
      oracle_case "$out.tmp" other_7x "$(sed -n 2p "$dir/buildroot-packages" | sed 's/^linux-headers-//')" "$root"
      oracle_case "$out.tmp" rt "$(sed -n 3p "$dir/buildroot-packages" | sed 's/^linux-headers-//')" "$root"
      ;;
  esac
  mv "$out.tmp" "$out"
}

# The same-series kernels of e2e/kmp-packages.test.ts: the 6.1 oracle's crc_differ and crc_match ABIs
# (picked above with apt-cache, so they follow the archive) are installed there as real packages, so
# their image debs are cached too (about 70 MB each; the headers debs are cached by abi_crcs). When an
# ABI has left the archive, what is cached stays in use; with nothing cached the test skips those
# cases, naming this step.
prepare_kmp_package_kernels() {
  local release tsv case abi
  release=$(grep -E '^6\.1\.0-[0-9]+-amd64$' "$cache/kernels.list" | head -n 1)
  [ -n "$release" ] || return 0
  tsv=$(ls "$cache"/oracle/"$release"/*/cases.tsv 2>/dev/null | head -n 1)
  [ -n "$tsv" ] || return 0
  while IFS=$'\t' read -r case abi _; do
    case $case in crc_differ | crc_match) ;; *) continue ;; esac
    ls "$cache"/debs/linux-image-"$abi"_*.deb >/dev/null 2>&1 && continue
    (cd "$cache/debs" && apt-get download -q "linux-image-$abi" 2>&1 |
      grep -v '^W: Download is performed unsandboxed' || true) >&2
  done <"$tsv"
}
