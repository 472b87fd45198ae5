#!/usr/bin/env bash
# Builds the e2e test modules (e2e/modules/*.c) out of tree against one kernel's headers.
# usage: e2e/build-modules.sh HEADERS_DIR OUT_DIR
# OUT_DIR ends up holding the .ko files; it is written only when the build succeeds.
set -euo pipefail
headers=$1
out=$2
src="$(cd "$(dirname "$0")/modules" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src"/* "$work"/
make -s -C "$headers" M="$work" modules >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
mkdir -p "$out.tmp"
cp "$work"/*.ko "$out.tmp"/
rm -rf "$out"
mv "$out.tmp" "$out"
