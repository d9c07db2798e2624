#!/bin/sh
# A Fortran tensor-pool producer (examples/fortran/tensor_producer.f90) read by the C
# tensor_consumer example: every frame intact, with its 1024x1024 shape and column-major order
# taken from the header, and the stream's name set from Fortran.
#   check_pool_with_c.sh TENSOR_CONSUMER TENSOR_PRODUCER_F
consumer=$1 producer=$2
work=$(mktemp -d /dev/shm/lavaflow-fortran-pool-XXXXXX) || exit 1
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
export LAVAFLOW_BASE_DIR="$work/base"
mkdir "$LAVAFLOW_BASE_DIR"
"$consumer" --stream 6 --idle-ms 1500 --expect 30 > "$work/consumer.out" &
pid=$!
sleep 0.5  # (the consumer's embedded driver, with the "frames" profile, starts first)
"$producer" 6 30 10 || exit 1
wait "$pid"
rc=$?
pid=
cat "$work/consumer.out"
[ "$rc" -eq 0 ] || { echo "FAIL: tensor_consumer exited with $rc"; exit 1; }
grep -q "('fortran frames'): read 30 .*bad 0" "$work/consumer.out" || { echo "FAIL: not 30 good frames of 'fortran frames'"; exit 1; }
grep -q "float32: 0 row-major, 30 column-major" "$work/consumer.out" || { echo "FAIL: the frames' order"; exit 1; }
echo "check_pool_with_c: PASSED"
