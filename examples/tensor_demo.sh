#!/usr/bin/env bash
# The tensor pool demo: a producer of 1024x1024 float32 frames, consumers in different modes,
# and the driver embedded in whichever process starts first; or, with --standalone, the
# `lavaflow driver` daemon configured by tensor_pool.toml. --viewer DIR: also the Python package
# in DIR (bindings/python) shows the newest frame (python3 -m lavaflow.show; needs numpy, and
# LAVAFLOW_LIB_DIR naming liblavaflow's directory unless it is installed).
#   tensor_demo.sh BIN_DIR LAVAFLOW [--standalone] [--modes "stream latest ..."] [--frames N] [--rate HZ]
#                  [--viewer DIR]
set -euo pipefail
bin=$1 lf=$2; shift 2
standalone=0 modes="stream latest" frames=300 rate=200 viewer=
while [ $# -gt 0 ]; do
  case $1 in
    --standalone) standalone=1 ;;
    --modes) modes=$2; shift ;;
    --frames) frames=$2; shift ;;
    --rate) rate=$2; shift ;;
    --viewer) viewer=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
here=$(cd "$(dirname "$0")" && pwd)
base=$(mktemp -d /dev/shm/lavaflow-demo-XXXXXX)
pids=()
cleanup() { kill "${pids[@]}" 2> /dev/null || true; rm -rf "$base"; }
trap cleanup EXIT
export LAVAFLOW_BASE_DIR=$base
start=()
if [ "$standalone" = 1 ]; then
  "$lf" driver --config "$here/tensor_pool.toml" 2> "$base/driver.log" &
  driver=$!
  for _ in $(seq 200); do [ -S "$base/lavaflow-$(id -u)/pool-driver.sock" ] && break; sleep 0.05; done
  start=(--no-start-driver)
fi
outs=()
for mode in $modes; do
  "$bin/tensor_consumer" --mode "$mode" --idle-ms 1500 --expect "$frames" "${start[@]}" > "$base/consumer-${mode//:/-}.out" &
  pids+=($!)
  outs+=("$base/consumer-${mode//:/-}.out")
done
sleep 0.3
if [ -n "$viewer" ]; then
  PYTHONPATH=$viewer /usr/bin/python3 -m lavaflow.show 1 --timeout 10 > "$base/viewer.out" 2>&1 &
  pids+=($!)
  outs+=("$base/viewer.out")
fi
"$bin/tensor_producer" --frames "$frames" --rate "$rate" "${start[@]}"
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
pids=()
cat "${outs[@]}"
if [ "$standalone" = 1 ]; then
  "$lf" driver --stop > /dev/null 2>&1 || true
  wait "$driver" || status=1
fi
exit $status
