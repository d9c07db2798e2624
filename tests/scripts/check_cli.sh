#!/usr/bin/env bash
# The lavaflow command-line tool, as a user runs it.
# usage: check_cli.sh PATH_TO_LAVAFLOW
set -uo pipefail
lf=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect STATUS CMD...: runs CMD, stdout to $tmp/out, stderr to $tmp/err, checks the exit status
expect() {
  local want=$1; shift
  "$@" > "$tmp/out" 2> "$tmp/err"; local got=$?
  [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; stderr: $(head -c 300 "$tmp/err")"
}
contains() { grep -qF -- "$2" "$1" || fail "$1 lacks '$2': $(head -c 300 "$1")"; }
json() { jq -e "$1" "$tmp/out" > /dev/null || fail "jq '$1' is false on: $(head -c 400 "$tmp/out")"; }

# help on every command
for cmd in "" topo identity scope version demo; do
  expect 0 "$lf" $cmd --help
  contains "$tmp/out" "Usage"
done
expect 2 "$lf"
expect 2 "$lf" frobnicate
expect 2 "$lf" scope only-one-file
expect 0 "$lf" --version
contains "$tmp/out" "lavaflow "

# topo
expect 0 "$lf" topo
contains "$tmp/out" "package 0"
contains "$tmp/out" "binding: process"
expect 0 "$lf" topo --json
json '.packages | length >= 1'
json '.numa_nodes[0].memory_bytes > 0'
json '.binding.process | length > 0'
syn="synthetic:pack:2 numa:2 core:2 pu:2"
expect 0 "$lf" --topology "$syn" topo --json
json '(.packages | length) == 2 and (.numa_nodes | length) == 4 and (.pus | length) == 16'
json '.numa_nodes[3].cpuset == "12-15"'
# memory-side NUMA nodes (a DRAM and an HBM node per cluster): a PU names both, never -1
knl="synthetic:pack:1 group:2 [numa] [numa] core:2 pu:2"
expect 0 "$lf" --topology "$knl" topo --json
json '.pus[5].numa_node == 2 and .pus[5].nearest_numa_nodes == "2-3"'
json '[.pus[], .cores[], .numa_nodes[] | .numa_node] | all(. != -1 and . != null)'
json '.packages[0].numa_node == null and .packages[0].nearest_numa_nodes == ""'
expect 0 "$lf" --topology "$knl" topo
contains "$tmp/out" "(PU 0-1, NUMA 0-1)"
expect 1 "$lf" --topology "synthetic:nonsense:9" topo
contains "$tmp/err" "lavaflow: corrupt data"
[ "$(wc -l < "$tmp/err")" = 1 ] || fail "error is not one line"

# identity
expect 0 "$lf" identity --json
json ".pid > 0 and .boot_id_known and .base_dir.path == \"/dev/shm\""
expect 0 "$lf" identity --out "$tmp/self.bin"
contains "$tmp/out" "wrote the blob to"
[ "$(head -c 4 "$tmp/self.bin")" = "LFID" ] || fail "blob does not start with LFID"
expect 1 "$lf" identity --cpuset 0-999999
contains "$tmp/err" "cpuset"
for pu in 0 1 4 8; do
  LAVAFLOW_TOPOLOGY="$syn" "$lf" identity --cpuset $pu --out "$tmp/pu$pu.bin" > /dev/null || fail "identity --cpuset $pu"
done

# scope: NUMA, package and host levels between separate processes on a synthetic machine
for pair in "1 numa" "4 package" "8 host"; do
  set -- $pair
  expect 0 "$lf" scope "$tmp/pu0.bin" "$tmp/pu$1.bin" --json
  json ".level == \"$2\" and .mechanisms.shared_memory.available and (.mechanisms.network.reason | length > 0)"
done
expect 0 "$lf" scope "$tmp/pu0.bin" "$tmp/pu4.bin"
contains "$tmp/out" "scope: package"
contains "$tmp/out" "shared_memory"
LAVAFLOW_SCOPE_OVERRIDE=remote "$lf" scope "$tmp/pu0.bin" "$tmp/pu1.bin" --json > "$tmp/out" || fail "override run"
json '.level == "remote" and .detected_level == "numa" and .overridden and (.mechanisms.shared_memory.available | not)'
json '.reason | contains("LAVAFLOW_SCOPE_OVERRIDE")'

# corrupt, truncated, empty and missing blobs: one line on stderr, status 1, never a crash
head -c 100 "$tmp/self.bin" > "$tmp/truncated.bin"
cp "$tmp/self.bin" "$tmp/corrupt.bin"; printf '\x99' | dd of="$tmp/corrupt.bin" bs=1 seek=50 conv=notrunc 2> /dev/null
: > "$tmp/empty.bin"
head -c 40000 /dev/urandom > "$tmp/huge.bin"
for bad in truncated corrupt empty huge; do
  expect 1 "$lf" scope "$tmp/self.bin" "$tmp/$bad.bin"
  contains "$tmp/err" "lavaflow: cannot use identity"
  [ "$(wc -l < "$tmp/err")" = 1 ] || fail "$bad: error is not one line"
done
expect 1 "$lf" scope "$tmp/self.bin" "$tmp/missing.bin"
contains "$tmp/err" "cannot open"
expect 1 "$lf" scope "$tmp/self.bin" "$tmp"
contains "$tmp/err" "is a directory"

# the demo: topology, our identity, a child's, and the scope between us
expect 0 "$lf" demo
contains "$tmp/out" "== topology =="
contains "$tmp/out" "== a child process"
contains "$tmp/out" "== scope between this process and the child =="
grep -qE '^scope: (numa|package|host)$' "$tmp/out" || fail "demo: no same-host scope for the child"
contains "$tmp/out" "scope: process"
# ... and a channel to another child process: transport, latency percentiles, throughput
contains "$tmp/out" "== a channel to another child process =="
contains "$tmp/out" "transport: shared_memory"
contains "$tmp/out" "reason: shared-memory ring (first peer: pid"
grep -qE '^  p99 +[0-9.]+ (ns|µs)$' "$tmp/out" || fail "demo: no p99 latency"
grep -qE '1.0 MiB x +1000: +[0-9.]+ [kM] messages/s, +[0-9.]+ GB/s$' "$tmp/out" || fail "demo: no 1 MiB throughput"
contains "$tmp/out" "the consumer process received everything and exited cleanly"
expect 2 "$lf" channel-peer  # the demo's hidden peer still wants its channel name

# tensor pool: inspect refuses what it must not map
expect 0 "$lf" pool inspect --help
expect 1 "$lf" pool inspect relative/header.ring
contains "$tmp/err" "not an absolute path"
expect 1 "$lf" --base-dir "$tmp" pool inspect /etc/passwd
contains "$tmp/err" "does not exist"
mkdir -m 0700 -p "$tmp/lavaflow-$(id -u)"
expect 1 "$lf" --base-dir "$tmp" pool inspect /etc/passwd
contains "$tmp/err" "outside the allowed directory"
expect 2 "$lf" pool

# tensor pool driver: TOML file, environment overrides, errors with file:line, ls/top, --stop
cat > "$tmp/driver.toml" <<'TOML'
keepalive_ms = 500
dynamic_streams = true
[profiles.camera]
header_slots = 8
pools = [ { id = 1, stride = 4096 }, { id = 2, stride = 4194304 } ]
[[streams]]
id = 7
profile = "camera"
TOML
expect 0 "$lf" driver --config "$tmp/driver.toml" --print-config
grep -qE '^keepalive_ms += 500 +# params$' "$tmp/out" || fail "driver: keepalive_ms from the file"
grep -qE '^announce_period_ms += 1000 +# default$' "$tmp/out" || fail "driver: default announce period"
grep -qE '^dynamic_streams += true' "$tmp/out" || fail "driver: dynamic_streams from the file"
contains "$tmp/out" "pools = [ { id = 1, stride = 4096 }, { id = 2, stride = 4194304 } ]"
LAVAFLOW_DRIVER_KEEPALIVE_MS=250 expect 0 "$lf" driver --config "$tmp/driver.toml" --print-config
grep -qE '^keepalive_ms += 250 +# LAVAFLOW_DRIVER_KEEPALIVE_MS$' "$tmp/out" || fail "driver: environment override"
LAVAFLOW_DRIVER_PREFAULT=maybe expect 1 "$lf" driver --print-config
contains "$tmp/err" "LAVAFLOW_DRIVER_PREFAULT='maybe' is not a boolean"
printf 'keepalive_ms = 500\nkeepalive_msec = 3\n' > "$tmp/typo.toml"
expect 1 "$lf" driver --config "$tmp/typo.toml"
contains "$tmp/err" "typo.toml:2: unknown key 'keepalive_msec'"
printf 'allowed_group = "root"\n' > "$tmp/group.toml"
expect 0 "$lf" driver --config "$tmp/group.toml" --print-config
grep -qE '^allowed_group += 0 +# params$' "$tmp/out" || fail "driver: allowed_group by name"
printf 'allowed_group = "no-such-group-here"\n' > "$tmp/group.toml"
expect 1 "$lf" driver --config "$tmp/group.toml" --print-config
contains "$tmp/err" "is not a group of this system"
printf '[profiles.x]\npools = [ { id = 1, stride = 4194E304 } ]\n' > "$tmp/float.toml"  # (a float too big for any integer)
expect 1 "$lf" driver --config "$tmp/float.toml" --print-config
contains "$tmp/err" "float.toml:2: 'stride' must be an integer"
printf '[profiles.x]\nheader_slots = 6\npools = [ { id = 1, stride = 4096 } ]\n' > "$tmp/bad.toml"
expect 1 "$lf" driver --config "$tmp/bad.toml" --print-config
contains "$tmp/err" "header_slots 6 is not a power of two"
# the Driver Model spec's canonical keys (§17): read, Aeron ones noted; its shm.base_dir is used
mkdir -p "$tmp/canonical"
cat > "$tmp/canonical.toml" <<TOML
[driver]
instance_id = "camera-host-1"
control_channel = "aeron:ipc?term-length=4m"
control_stream_id = 1000
[shm]
base_dir = "$tmp/canonical"
require_hugepages = false
permissions_mode = "600"
[policies]
allow_dynamic_streams = true
default_profile = "camera"
announce_period_ms = 500
lease_keepalive_interval_ms = 250
lease_expiry_grace_intervals = 4
shutdown_timeout_ms = 100
epoch_gc_keep = 2
[profiles.camera]
header_nslots = 16
payload_pools = [ { pool_id = 1, stride_bytes = 1048576 } ]
[streams.cam1]
stream_id = 10000
profile = "camera"
TOML
expect 0 "$lf" driver --config "$tmp/canonical.toml" --print-config
grep -qE '^keepalive_ms += 250 +# params$' "$tmp/out" || fail "driver: policies.lease_keepalive_interval_ms"
grep -qE '^expiry_intervals += 4 ' "$tmp/out" || fail "driver: policies.lease_expiry_grace_intervals"
grep -qE '^dynamic_streams += true' "$tmp/out" || fail "driver: policies.allow_dynamic_streams"
contains "$tmp/out" "[profiles.default]"
contains "$tmp/out" "pools = [ { id = 1, stride = 1048576 } ]"
contains "$tmp/out" "id = 10000"
contains "$tmp/err" "canonical.toml:3: 'driver.control_channel' is ignored: lavaflow's control plane is a Unix socket"
printf 'keepalive_ms = 500\n[policies]\nlease_keepalive_interval_ms = 250\n' > "$tmp/twice.toml"
expect 1 "$lf" driver --config "$tmp/twice.toml" --print-config
contains "$tmp/err" "sets what"
"$lf" driver --config "$tmp/canonical.toml" 2> "$tmp/driver.log" &
driver_pid=$!
for _ in $(seq 100); do [ -S "$tmp/canonical/lavaflow-$(id -u)/pool-driver.sock" ] && break; sleep 0.05; done
expect 0 "$lf" --base-dir "$tmp/canonical" pool ls --json
json 'length == 0'
expect 0 "$lf" --base-dir "$tmp/canonical" driver --stop
wait "$driver_pid" || fail "driver: the canonical configuration did not run and stop cleanly"
contains "$tmp/driver.log" "instance camera-host-1"

expect 1 "$lf" --base-dir "$tmp" pool ls
contains "$tmp/err" "no tensor pool driver is listening"
"$lf" --base-dir "$tmp" driver --config "$tmp/driver.toml" 2> "$tmp/driver.log" &
driver_pid=$!
for _ in $(seq 100); do [ -S "$tmp/lavaflow-$(id -u)/pool-driver.sock" ] && break; sleep 0.05; done
expect 0 "$lf" --base-dir "$tmp" pool ls --json
json 'length == 0'
expect 0 "$lf" --base-dir "$tmp" pool ls
contains "$tmp/out" "no streams"
expect 0 "$lf" --base-dir "$tmp" pool top --count 2 --interval 10 --json
json '.sample == 1 and (.streams | length) == 0'
expect 1 "$lf" --base-dir "$tmp" driver --config "$tmp/driver.toml"
contains "$tmp/err" "already running"
expect 0 "$lf" --base-dir "$tmp" driver --stop
wait "$driver_pid" || fail "driver: did not exit cleanly after --stop"
contains "$tmp/driver.log" "shutdown requested by a client"
"$lf" --base-dir "$tmp" driver 2> "$tmp/driver.log" &
driver_pid=$!
for _ in $(seq 100); do [ -S "$tmp/lavaflow-$(id -u)/pool-driver.sock" ] && break; sleep 0.05; done
kill -TERM "$driver_pid"
wait "$driver_pid" || fail "driver: did not exit cleanly on SIGTERM"
contains "$tmp/driver.log" "SIGTERM: shutting down"

# Vulkan devices (lavapipe in CI, pinned by the test environment), and no driver at all
if VK_DRIVER_FILES=${LF_TEST_VULKAN_ICD:-} "$lf" devices > "$tmp/out" 2> "$tmp/err"; then
  contains "$tmp/out" "export: opaque fd"
  contains "$tmp/out" "host memory: "
  VK_DRIVER_FILES=${LF_TEST_VULKAN_ICD:-} "$lf" devices --json > "$tmp/out" || fail "devices --json"
  json 'length >= 1 and (.[0].device_uuid | length) == 32'
  json '(.[0].export_timeline_semaphore | type) == "boolean" and (.[0].maps_host_memory | type) == "boolean"'
else
  contains "$tmp/err" "not supported"  # built without Vulkan: a one-line reason
fi
expect 1 env VK_DRIVER_FILES=/nonexistent/icd.json "$lf" devices
contains "$tmp/err" "lavaflow: not supported"
[ "$(wc -l < "$tmp/err")" = 1 ] || fail "devices without a driver: error is not one line"

expect 0 "$lf" version --json
json '.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")'
# Every feature this build was configured with, and no other, each under the library that
# has it (LF_TEST_FEATURES, from CMake); the ABI version is the SONAME's.
if [ -n "${LF_TEST_FEATURES+set}" ]; then
  json "(.features | join(\" \")) == \"$LF_TEST_FEATURES\""
  json '(.liblavaflow.features - ["numa", "vulkan"]) == []'
  json '.liblavaflow_mpi == null or (.liblavaflow_mpi.features - ["mpi", "zstd", "lz4", "sodium"]) == []'
  json ".abi_version == ${LF_TEST_ABI_VERSION} and .liblavaflow.abi_version == ${LF_TEST_ABI_VERSION}"
fi
expect 0 "$lf" version
contains "$tmp/out" "liblavaflow $("$lf" version --json | jq -r .version) (ABI "
case " ${LF_TEST_FEATURES:-} " in
  *" mpi "*) contains "$tmp/out" "MPI library:" ;;
  *) contains "$tmp/out" "liblavaflow_mpi: not built" ;;
esac

[ $failures = 0 ] && echo "ok: CLI behaves" || { echo "$failures failure(s)"; exit 1; }
