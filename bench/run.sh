#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark: N pods ADDed then DELeted through ours (bridge + host-local), through the reference
# (Debian's containernetworking-plugins) and through the kernel floor (bench/floor.cc: the same
# kernel work over raw netlink), ALTERNATING in one run: every round runs each implementation once
# per mode, in an order rotated from round to round, each phase on a fresh node netns after a
# quiet gate. The report (markdown, stdout) gives medians over the rounds and the ratios
# ours/reference and ours/floor; progress goes to stderr. Method and metrics: bench/README.md.
#
#   bench/run.sh [N]                        N pods (default 100), 3 rounds, serial and 8 workers
#   BENCH_ROUNDS=5 bench/run.sh 100         rounds (default 3)
#   BENCH_MODES=serial bench/run.sh 1000    phases per round: "serial parallel" (default) or one
#   BENCH_IMPLS="ours floor" bench/run.sh   a subset of "ref ours floor" (ratios where both ran)
#   BENCH_AGE=1000 bench/run.sh 100         aged node: churn 1000 pods (ADD+DEL) before measuring
#   BENCH_IPMASQ=0 bench/run.sh             no ipMasq (the floor then adds no NAT rule either)
#   BENCH_TRACE=1 bench/run.sh              also our per-step ADD timings (debug log; slows ours)
#   BENCH_CONF='{"keepContainerIPv6":true}' extra netconf keys for ours and the reference (experiments)
#   BENCH_OUT=DIR                           results dir (default: a new /tmp/cnb-bench.*): per-phase
#                                           JSON with every pod's latencies, report.md, the plot
#   BENCH_PLOT=PATH|none                    ADD latency plot (default DIR/add-latency.png)
#   BENCH_GATE_IDLE=85 BENCH_GATE_TIMEOUT=120  quiet gate: % idle over 1 s, max wait (0: no gate)
#   CNB_PLUGIN_DIR=build/bin CNB_REF_DIR=/usr/lib/cni CNB_FLOOR=build/bin/cnb-floor
#
# Needs root (network and mount namespaces); touches nothing outside its own namespaces.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
: "${CNB_PLUGIN_DIR:=$repo/build/bin}"
: "${CNB_REF_DIR:=/usr/lib/cni}"
: "${CNB_FLOOR:=$repo/build/bin/cnb-floor}"
# Debian's interpreter: a version-manager shim on PATH can take seconds per call.
py=/usr/bin/python3
[[ -x $py ]] || py=python3

log() { echo "bench: $*" >&2; }
die() {
  log "FAIL: $*"
  exit 1
}
# need_count WHAT VALUE MIN [MAX]: dies unless VALUE is a whole number in MIN..MAX.
need_count() {
  [[ $2 =~ ^[0-9]+$ ]] && (($2 >= $3 && (${4:-0} == 0 || $2 <= ${4:-0}))) && return 0
  die "$1 must be a whole number ${3}..${4:-}, not '$2'"
}

n=${1:-100}
rounds=${BENCH_ROUNDS:-3}
age=${BENCH_AGE:-0}
ipmasq=${BENCH_IPMASQ:-1}
trace=${BENCH_TRACE:-0}
gate_idle=${BENCH_GATE_IDLE:-85}
gate_timeout=${BENCH_GATE_TIMEOUT:-120}
read -r -a impls <<<"${BENCH_IMPLS:-ref ours floor}"
read -r -a modes <<<"${BENCH_MODES:-serial parallel}"
need_count N "$n" 2 60000
need_count BENCH_ROUNDS "$rounds" 1
need_count BENCH_AGE "$age" 0
need_count BENCH_GATE_IDLE "$gate_idle" 0 100
need_count BENCH_GATE_TIMEOUT "$gate_timeout" 0
[[ $ipmasq == [01] && $trace == [01] ]] || die "BENCH_IPMASQ and BENCH_TRACE are 0 or 1"
((${#impls[@]} > 0 && ${#modes[@]} > 0)) || die "BENCH_IMPLS and BENCH_MODES must not be empty"
((EUID == 0)) || die "needs root (network and mount namespaces)"

for impl in "${impls[@]}"; do
  case $impl in
    ours | ref)
      dir=$CNB_PLUGIN_DIR
      [[ $impl == ref ]] && dir=$CNB_REF_DIR
      for p in bridge host-local; do
        [[ -x $dir/$p ]] || die "$dir/$p missing"
      done
      ;;
    floor)
      [[ -x $CNB_FLOOR ]] || die "$CNB_FLOOR missing: cmake --build build --target cnb-floor"
      ;;
    *) die "unknown implementation '$impl' in BENCH_IMPLS (ref, ours, floor)" ;;
  esac
done
for mode in "${modes[@]}"; do
  [[ $mode == serial || $mode == parallel ]] || die "unknown mode '$mode' in BENCH_MODES (serial, parallel)"
done

if [[ -n ${BENCH_OUT:-} ]]; then
  out=$BENCH_OUT
  mkdir -p "$out"
  compgen -G "$out/phase-*.json" >/dev/null && die "$out already holds results (phase-*.json): use a new dir"
else
  out=$(mktemp -d /tmp/cnb-bench.XXXXXX)
fi
plot=${BENCH_PLOT:-$out/add-latency.png}

# The plot needs Debian's matplotlib; installed before the run so that apt's work stays out of it.
ensure_matplotlib() {
  "$py" -c 'import matplotlib' 2>/dev/null && return 0
  log "installing python3-matplotlib (Debian) for the plot"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends python3-matplotlib >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends python3-matplotlib >&2; }
}
if [[ $plot != none ]] && ! ensure_matplotlib; then
  log "warning: python3-matplotlib could not be installed: no plot"
  plot=none
fi

# "${sandbox[@]}" CMD...: CMD in a fresh network namespace (the node: lo up, nothing else) and a
# private mount namespace with a sysfs of that netns and empty tmpfs on /run, /var/lib and
# /etc/cni, so nothing a plugin writes reaches the machine. Both namespaces, and the pod netns
# pinned under /run inside, vanish when CMD exits, whatever way it exits.
# shellcheck disable=SC2016 # expanded by the inner shell
sandbox=(unshare --net --mount --propagation private -- bash -c '
  set -e
  ip link set lo up
  mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
  for d in /run /var/lib /etc/cni; do
    if [[ -d $d ]]; then mount -t tmpfs -o mode=755 tmpfs "$d"; fi
  done
  exec "$@"
' cnbb-sandbox)

child=
trap '[[ -n $child ]] && kill "$child" 2>/dev/null; exit 1' INT TERM HUP

ours_path=$CNB_PLUGIN_DIR:$CNB_REF_DIR  # ours first: bridge and host-local resolve to ours
[[ $CNB_PLUGIN_DIR -ef $CNB_REF_DIR ]] && ours_path=$CNB_REF_DIR
# What was measured, for the report's header.
"$py" -c 'import json, sys; json.dump(dict(zip(sys.argv[2::2], sys.argv[3::2])), open(sys.argv[1], "w"))' \
  "$out/run.json" ours_dir "$CNB_PLUGIN_DIR" ref_dir "$CNB_REF_DIR" \
  ours_git "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)" \
  ref_package "$(dpkg-query -W -f '${Version}' containernetworking-plugins 2>/dev/null || echo unknown)"
total=$((rounds * ${#modes[@]} * ${#impls[@]}))
log "N=$n, $rounds rounds, modes: ${modes[*]}, implementations: ${impls[*]}, age: $age, $total phases"
log "ours=$CNB_PLUGIN_DIR reference=$CNB_REF_DIR floor=$CNB_FLOOR results=$out"
start=$SECONDS
k=0
for ((r = 1; r <= rounds; r++)); do
  # Rotate the order: round 1 ref ours floor, round 2 ours floor ref, round 3 floor ref ours, ...
  rot=$(((r - 1) % ${#impls[@]}))
  order=("${impls[@]:rot}" "${impls[@]:0:rot}")
  for mode in "${modes[@]}"; do
    for impl in "${order[@]}"; do
      k=$((k + 1))
      log "phase $k/$total: round $r/$rounds, $mode, $impl (order ${order[*]}), $((SECONDS - start))s elapsed"
      case $impl in
        ours) plugin=$CNB_PLUGIN_DIR/bridge cni_path=$ours_path ;;
        ref) plugin=$CNB_REF_DIR/bridge cni_path=$CNB_REF_DIR ;;
        floor) plugin=$CNB_FLOOR cni_path=$CNB_REF_DIR ;;
      esac
      # exec: the background subshell becomes the phase itself (with traps set, bash would fork
      # instead), so $! is the python process and the trap's kill reaches it.
      exec "${sandbox[@]}" "$py" "$here/bench.py" phase --impl "$impl" --plugin "$plugin" --cni-path "$cni_path" \
        --mode "$mode" --n "$n" --workdir /run/cnbb-work --out "$out/phase-r$r-$mode-$impl.json" \
        --ipmasq "$ipmasq" --trace "$trace" --conf "${BENCH_CONF:-}" --age "$age" --round "$r" --rounds "$rounds" \
        --order "${order[*]}" --gate-idle "$gate_idle" --gate-timeout "$gate_timeout" &
      child=$!
      wait "$child" || die "phase $k ($impl $mode, round $r) failed"
      child=
    done
  done
done
log "all $total phases done in $((SECONDS - start))s"

status=0
"$py" "$here/bench.py" report "$out" >"$out/report.md" || status=$?
cat "$out/report.md"
if [[ $plot != none ]]; then
  "$py" "$here/bench.py" plot "$out" "$plot" || log "warning: the plot failed"
fi
saved="phase-*.json (every pod's ADD/DEL latency), report.md"
[[ $plot != none ]] && saved+=", $plot"
log "results in $out: $saved"
exit "$status"
