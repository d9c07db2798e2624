#!/usr/bin/env bash
# The shared library exports exactly the lf_* functions the public headers declare with LF_API.
# usage: check_exports.sh LIBRARY INCLUDE_DIR
set -euo pipefail
library=$1 include_dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols, minus the version node (an absolute symbol).
nm -D --defined-only "$library" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u > "$tmp/exported"
grep -vE '^lf_' "$tmp/exported" > "$tmp/foreign" || true
if [ -s "$tmp/foreign" ]; then
  echo "FAIL: symbols exported that are not lf_*:"; cat "$tmp/foreign"; exit 1
fi

# Declarations: "LF_API <type> lf_name(" possibly with * between.
grep -hoE 'LF_API[^(;]*\blf_[a-z0-9_]+\(' "$include_dir"/*.h | grep -oE 'lf_[a-z0-9_]+\($' | tr -d '(' | sort -u > "$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported" > "$tmp/diff"; then
  echo "FAIL: declared (-) and exported (+) functions differ:"; cat "$tmp/diff"; exit 1
fi
[ "$(wc -l < "$tmp/exported")" -ge 30 ] || { echo "FAIL: suspiciously few exports"; exit 1; }

soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "liblavaflow.so.0" ] || { echo "FAIL: SONAME is '$soname', expected liblavaflow.so.0"; exit 1; }
versions=$(readelf -V "$library")  # (not piped into grep -q: with pipefail, SIGPIPE would fail it)
grep -q 'LAVAFLOW_0' <<< "$versions" || { echo "FAIL: no LAVAFLOW_0 symbol version"; exit 1; }
echo "ok: $(wc -l < "$tmp/exported") lf_* functions exported, all declared; SONAME $soname"
