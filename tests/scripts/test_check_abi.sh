#!/usr/bin/env bash
# check_abi.py itself: a small library with lavaflow's conventions, built in variants, must
# pass where the change is compatible (a function added, a member appended to a versioned
# struct, a constant added) and fail where it is not (a function removed, a member inserted
# in the middle, a parameter's type changed, a constant's value changed or removed).
# usage: test_check_abi.sh PATH/TO/check_abi.py
set -uo pipefail
check=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failures=0

# variant NAME INFO_MEMBERS SET_PARAMETER_TYPE EXTRA_FUNCTION ENUM_VALUES
variant() {
  local dir=$tmp/$1; mkdir -p "$dir/include"
  cat > "$dir/include/lf.h" <<EOF
#include <stdint.h>
#define LF_LIMIT 16
enum lf_kind { $5 };
typedef struct lf_info { uint32_t struct_size; $2 } lf_info_t;
typedef struct lf_params { uint64_t field_mask; uint32_t x; } lf_params_t;
__attribute__((visibility("default"))) int lf_get(lf_info_t *out);
__attribute__((visibility("default"))) int lf_set($3 p);
$( [ -n "$4" ] && echo "__attribute__((visibility(\"default\"))) int $4(void);" )
EOF
  cat > "$dir/lib.c" <<EOF
#include "lf.h"
int lf_get(lf_info_t *out) { return (int)out->struct_size; }
int lf_set($3 p) { return p != 0; }
$( [ -n "$4" ] && echo "int $4(void) { return 1; }" )
EOF
  gcc -g -O1 -shared -fPIC -fvisibility=hidden -Wl,-soname,liblf.so.0 -I"$dir/include" "$dir/lib.c" -o "$dir/liblf.so.0" ||
    { echo "FAIL: cannot build variant $1"; exit 1; }
}

variant base "uint32_t a; uint64_t b;" "const lf_params_t *" lf_old "LF_KIND_A = 1, LF_KIND_B = 2"
mkdir -p "$tmp/abi"
: > "$tmp/abi/suppressions.ini"
"$check" update --include "$tmp/base/include" --abi "$tmp/abi" "$tmp/base/liblf.so.0" > /dev/null ||
  { echo "FAIL: update"; exit 1; }

# expect WANT NAME: check_abi.py on variant NAME exits WANT (0 compatible, 1 not)
expect() {
  "$check" check --include "$tmp/$2/include" --abi "$tmp/abi" "$tmp/$2/liblf.so.0" > "$tmp/$2.out" 2>&1
  local got=$?
  [ "$got" = "$1" ] || { echo "FAIL: $2: exit $got, expected $1"; sed 's/^/    /' "$tmp/$2.out"; failures=$((failures + 1)); }
}
variant same "uint32_t a; uint64_t b;" "const lf_params_t *" lf_old "LF_KIND_A = 1, LF_KIND_B = 2"
expect 0 same
variant grown "uint32_t a; uint64_t b; uint64_t c;" "const lf_params_t *" lf_old "LF_KIND_A = 1, LF_KIND_B = 2, LF_KIND_C"
expect 0 grown
variant removed "uint32_t a; uint64_t b;" "const lf_params_t *" "" "LF_KIND_A = 1, LF_KIND_B = 2"
expect 1 removed
variant middle "uint32_t a; uint32_t z; uint64_t b;" "const lf_params_t *" lf_old "LF_KIND_A = 1, LF_KIND_B = 2"
expect 1 middle
variant parameter "uint32_t a; uint64_t b;" "const lf_info_t *" lf_old "LF_KIND_A = 1, LF_KIND_B = 2"
expect 1 parameter
variant renumbered "uint32_t a; uint64_t b;" "const lf_params_t *" lf_old "LF_KIND_A = 1, LF_KIND_B = 3"
expect 1 renumbered
variant dropped "uint32_t a; uint64_t b;" "const lf_params_t *" lf_old "LF_KIND_A = 1"
expect 1 dropped
grep -q "added constant: LF_KIND_C = 3" "$tmp/grown.out" || { echo "FAIL: the added constant is not listed"; failures=$((failures + 1)); }
grep -q "removed function\|Removed function" "$tmp/removed.out" || { echo "FAIL: the removed function is not named"; failures=$((failures + 1)); }

[ "$failures" = 0 ] && echo "ok: check_abi.py passes the 2 compatible variants and fails the 5 others" || exit 1
