#!/usr/bin/env bash
# Runs the Rust examples `cargo test` built (bindings/rust/lavaflow/examples): the channel pair
# between two processes, the tensor-pool consumer reading the C tensor_producer's frames, and
# the benchmark's quick run, each on a base directory of its own.
# usage: run_rust_examples.sh CARGO_TARGET_DIR C_EXAMPLES_DIR
set -euo pipefail
examples=$1/debug/examples c_examples=$2
base=$(mktemp -d /dev/shm/lavaflow-rust-examples-XXXXXX); trap 'rm -rf "$base"' EXIT
export LAVAFLOW_BASE_DIR=$base

echo "== consumer + producer (two processes)"
"$examples/consumer" rust-example-pair > "$base/consumer.out" 2>&1 & consumer=$!
"$examples/producer" rust-example-pair 20000
wait $consumer || { cat "$base/consumer.out"; echo "FAIL: the consumer example failed"; exit 1; }
cat "$base/consumer.out"
grep -q "consumer: 20000 messages, .* all in order and intact, over shared_memory" "$base/consumer.out"

echo "== pool_consumer reading tensor_producer's frames"
"$c_examples/tensor_producer" --stream 5 --frames 60 --rate 100 > "$base/producer.out" 2>&1 & producer=$!
"$examples/pool_consumer" --stream 5 --frames 40 | tee "$base/pool.out"
wait $producer || { cat "$base/producer.out"; echo "FAIL: tensor_producer failed"; exit 1; }
grep -q "^frame 0: F32 \[1024, 1024\], 4194304 bytes" "$base/pool.out" || grep -q "^frame [0-9]*: F32 \[1024, 1024\]" "$base/pool.out"
grep -q "pool_consumer: 40 read" "$base/pool.out"
if grep -q "values other than" "$base/pool.out"; then echo "FAIL: wrong values"; exit 1; fi

echo "== bench --quick (no speed is asserted: the table must come out whole)"
"$examples/bench" --quick | tee "$base/bench.out"
[ "$(grep -c '^control, C again' "$base/bench.out")" = 2 ] || { echo "FAIL: the bench table is incomplete"; exit 1; }
echo "ok: the Rust examples ran"
