#!/usr/bin/env bash
# Benchmark: N pods ADDed then DELeted through our bridge + host-local and through the reference
# (Debian's containernetworking-plugins) in the same run, serially and with 8 parallel workers,
# calling the executables directly with CNI_* env (ipMasq on, host-local in a temp dataDir).
# Each phase gets a fresh throwaway node netns + private mount namespace (see
# conformance/clients/lib.sh); pod netns are created before the timed region. Prints per-op
# p50/p90/p99, throughput, ADD latency growth (last 100 vs first 100 pods), peak RSS and the
# ratio ours/reference, as a markdown table. Not a test: run it on demand.
#
#   bench/run.sh [N]          N=200 (quick): serial and parallel; N>=1000: the long serial run
#   BENCH_MODES="serial parallel" bench/run.sh 1000      choose the phases
#   BENCH_IPMASQ=0 bench/run.sh                 without ipMasq (isolates the iptables cost)
#   CNB_PLUGIN_DIR=... CNB_REF_DIR=...          ours (default build/bin) / reference (/usr/lib/cni)
#   BENCH_IMPLS=ours bench/run.sh 1000          one implementation only (no ratios)
#   BENCH_TRACE=1 bench/run.sh 1000             also our per-step ADD timings from a debug log
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../conformance/clients/lib.sh"
CNBK_NETNS_PREFIX=cnbb

n=${1:-200}
[[ $n =~ ^[0-9]+$ && $n -ge 2 && $n -le 60000 ]] || die "N must be a number in 2..60000"
((EUID == 0)) || die "needs root (network and mount namespaces)"
for d in "$CNB_PLUGIN_DIR" "$CNB_REF_DIR"; do
  for p in bridge host-local; do
    [[ -x $d/$p ]] || die "$d/$p missing"
  done
done

tmp=$(mktemp -d /tmp/cnbb.XXXXXX)
trap 'cleanup_node_netns; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
# The long run (N >= 1000) is serial unless asked otherwise: it measures growth, not concurrency.
default_modes="serial parallel"
((n >= 1000)) && default_modes=serial
read -r -a modes <<<"${BENCH_MODES:-$default_modes}"
echo "bench: N=$n, modes: ${modes[*]}; ours=$CNB_PLUGIN_DIR reference=$CNB_REF_DIR" >&2
for mode in "${modes[@]}"; do
  for impl in ${BENCH_IMPLS:-ref ours}; do
    path=$CNB_REF_DIR
    [[ $impl == ours ]] && path=$cni_path
    new_node_netns node
    in_sandbox "$node" "$py" "$here/bench.py" phase --impl "$impl" --cni-path "$path" --mode "$mode" \
      --n "$n" --workdir /run/cnbb-work --out "$tmp/$mode-$impl.json" --ipmasq "${BENCH_IPMASQ:-1}" \
      --trace "${BENCH_TRACE:-0}"
    cleanup_node_netns
  done
done
echo
"$py" "$here/bench.py" report "$tmp"/*.json
