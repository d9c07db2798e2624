#!/bin/sh
# Runs a test with LF_TEST_BASE_DIR naming a fresh directory under /dev/shm (its shared-memory
# files go there), removed afterwards whatever the test did.
#   with_temp_dir.sh PROGRAM [ARGS...]
dir=$(mktemp -d /dev/shm/lavaflow-test-XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT INT TERM
LF_TEST_BASE_DIR=$dir "$@"
