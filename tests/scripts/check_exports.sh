#!/usr/bin/env bash
# A shared library exports exactly the lf_* functions the public headers declare (LF_API),
# with its SONAME and symbol version. Both libraries use LF_API; a function belongs to
# liblavaflow_mpi when it is named lf_mpi_*, to liblavaflow otherwise.
# usage: check_exports.sh LIBRARY INCLUDE_DIR [SONAME VERSION_NODE MINIMUM PART]
#   defaults (liblavaflow): liblavaflow.so.0 LAVAFLOW_0 30 core
#   liblavaflow_mpi:        liblavaflow_mpi.so.0 LAVAFLOW_MPI_0 10 mpi
set -euo pipefail
library=$1 include_dir=$2
expected_soname=${3:-liblavaflow.so.0} version_node=${4:-LAVAFLOW_0} minimum=${5:-30} part=${6:-core}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols, minus the version node (an absolute symbol).
nm -D --defined-only "$library" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u > "$tmp/exported"
grep -vE '^lf_' "$tmp/exported" > "$tmp/foreign" || true
if [ -s "$tmp/foreign" ]; then
  echo "FAIL: symbols exported that are not lf_*:"; cat "$tmp/foreign"; exit 1
fi

# Declarations: "LF_API <type> lf_name(" possibly with * between, in every public header
# (experimental.h's included: they are exported too, just not promised).
{ grep -hoE "\bLF_API[^(;]*\blf_[a-z0-9_]+\(" "$include_dir"/*.h || true; } | grep -oE 'lf_[a-z0-9_]+\($' |
  tr -d '(' | sort -u > "$tmp/all_declared"
if [ "$part" = mpi ]; then
  grep -E '^lf_mpi_' "$tmp/all_declared" > "$tmp/declared" || true
else
  grep -vE '^lf_mpi_' "$tmp/all_declared" > "$tmp/declared" || true
fi
if ! diff -u "$tmp/declared" "$tmp/exported" > "$tmp/diff"; then
  echo "FAIL: declared (-) and exported (+) functions differ:"; cat "$tmp/diff"; exit 1
fi
[ "$(wc -l < "$tmp/exported")" -ge "$minimum" ] || { echo "FAIL: suspiciously few exports"; exit 1; }

soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "$expected_soname" ] || { echo "FAIL: SONAME is '$soname', expected $expected_soname"; exit 1; }
versions=$(readelf -V "$library")  # (not piped into grep -q: with pipefail, SIGPIPE would fail it)
grep -qw "$version_node" <<< "$versions" || { echo "FAIL: no $version_node symbol version"; exit 1; }
echo "ok: $(wc -l < "$tmp/exported") lf_* functions exported, all declared; SONAME $soname"
