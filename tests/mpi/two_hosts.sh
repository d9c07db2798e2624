#!/bin/sh
# Runs an MPI program on two simulated hosts: network namespaces joined by a veth pair, the
# second with its own hostname, IPC namespace and /dev/shm, so that its ranks cannot share
# memory with the first's (netns/, a copy of the workplace's shared/tools/netns-mpi).
#
#   two_hosts.sh MPIEXEC [mpirun options...] -- PROGRAM [ARGS...]
#
# Ranks alternate between the hosts (--map-by node: even ranks on lfhostA, odd on lfhostB).
# LAVAFLOW_*, ASAN_/UBSAN_/LSAN_OPTIONS and LF_* variables reach every rank. RATE=1gbit limits
# the link (tc tbf). Creating namespaces needs root (or password-less sudo): without it the
# script prints "SKIP: ..." and exits 77. The namespaces are always removed afterwards.
set -u
skip() {
  echo "SKIP: two-host MPI test: $*"
  exit 77
}
[ $# -ge 3 ] || { echo "usage: $0 MPIEXEC [mpirun options...] -- PROGRAM [ARGS...]" >&2; exit 2; }

if [ "$(id -u)" != 0 ]; then
  command -v sudo > /dev/null 2>&1 && sudo -n true 2> /dev/null ||
    skip "network namespaces need root or password-less sudo (this user has neither)"
  exec sudo -n -E "$0" "$@"
fi
for tool in ip unshare flock; do
  command -v "$tool" > /dev/null 2>&1 || skip "'$tool' is not installed"
done

netns=$(cd "$(dirname "$0")/netns" && pwd)
mpiexec=$1
shift
options=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  options="$options $1"
  shift
done
[ $# -gt 1 ] || { echo "$0: no program after --" >&2; exit 2; }
shift

# One two-host setup at a time on this machine (the namespace names are fixed).
exec 9> /tmp/lavaflow-two-hosts.lock
flock 9

sh "$netns/down.sh" > /dev/null 2>&1  # left over from a run that was killed
trap 'sh "$netns/down.sh" > /dev/null 2>&1' EXIT
trap 'exit 130' INT TERM
if ! setup=$(RATE="${RATE:-}" sh "$netns/up.sh" 2>&1); then
  skip "cannot create network namespaces here: $(echo "$setup" | head -n 1)"
fi
# What rsh.sh does for the second host's ranks, tried once.
if ! probe=$(ip netns exec lfhost_b unshare --uts --ipc --mount --propagation private \
  sh -c 'hostname lfprobe && mount -t tmpfs -o size=1m tmpfs /dev/shm' 2>&1); then
  skip "cannot give the second host its own hostname, IPC namespace and /dev/shm here: $probe"
fi

forward=""
for name in $(env | sed -n 's/^\(LAVAFLOW_[A-Z0-9_]*\|LF_[A-Z0-9_]*\|[AUL]*SAN_OPTIONS\)=.*/\1/p'); do
  forward="$forward -x $name"
done

# shellcheck disable=SC2086 # options and forward are lists of words
timeout -k 10 "${LF_TWO_HOSTS_TIMEOUT:-540}" \
  ip netns exec lfhost_a unshare --uts sh -c 'hostname lfhostA && exec "$@"' sh \
  "$mpiexec" --allow-run-as-root --hostfile "$netns/hosts.txt" --map-by node \
  --mca plm_rsh_agent "sh $netns/rsh.sh" --mca plm_rsh_no_tree_spawn 1 \
  --mca oob_tcp_if_include 10.199.0.0/24 --mca btl_tcp_if_include 10.199.0.0/24 \
  --mca btl self,vader,tcp $forward $options "$@"
