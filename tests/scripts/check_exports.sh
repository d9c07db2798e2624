#!/usr/bin/env bash
# A shared library exports exactly the lf_* functions the public headers declare with its
# export macro, with its SONAME and symbol version.
# usage: check_exports.sh LIBRARY INCLUDE_DIR [MACRO SONAME VERSION_NODE MINIMUM HEADER]
#   defaults (liblavaflow): LF_API liblavaflow.so.0 LAVAFLOW_0 30 '*.h'
#   liblavaflow_mpi:        LF_MPI_API liblavaflow_mpi.so.0 LAVAFLOW_MPI_0 10 lavaflow_mpi.h
set -euo pipefail
library=$1 include_dir=$2
macro=${3:-LF_API} expected_soname=${4:-liblavaflow.so.0} version_node=${5:-LAVAFLOW_0}
minimum=${6:-30} headers=${7:-*.h}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols, minus the version node (an absolute symbol).
nm -D --defined-only "$library" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u > "$tmp/exported"
grep -vE '^lf_' "$tmp/exported" > "$tmp/foreign" || true
if [ -s "$tmp/foreign" ]; then
  echo "FAIL: symbols exported that are not lf_*:"; cat "$tmp/foreign"; exit 1
fi

# Declarations: "MACRO <type> lf_name(" possibly with * between.
# shellcheck disable=SC2086 # headers is a glob
{ (cd "$include_dir" && grep -hoE "\b${macro}[^(;]*\blf_[a-z0-9_]+\(" $headers) || true; } | grep -oE 'lf_[a-z0-9_]+\($' |
  tr -d '(' | sort -u > "$tmp/declared" || true
if ! diff -u "$tmp/declared" "$tmp/exported" > "$tmp/diff"; then
  echo "FAIL: declared (-) and exported (+) functions differ:"; cat "$tmp/diff"; exit 1
fi
[ "$(wc -l < "$tmp/exported")" -ge "$minimum" ] || { echo "FAIL: suspiciously few exports"; exit 1; }

soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "$expected_soname" ] || { echo "FAIL: SONAME is '$soname', expected $expected_soname"; exit 1; }
versions=$(readelf -V "$library")  # (not piped into grep -q: with pipefail, SIGPIPE would fail it)
grep -qw "$version_node" <<< "$versions" || { echo "FAIL: no $version_node symbol version"; exit 1; }
echo "ok: $(wc -l < "$tmp/exported") lf_* functions exported, all declared; SONAME $soname"
