#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A Kubernetes-style cluster network, simulated on one machine: four node netns on an
# "underlay" bridge in a fabric netns, each node with its own pod CIDR (10.244.N.0/24) and
# host-gw routes to the other nodes' CIDRs (as kubenet's cloud routes or flannel's host-gw
# backend install them), 25 pods per node through our bridge + host-local.
#
#                       outside  203.0.113.2      (a host beyond the cluster: no route to 10.244.0.0/16)
#                          |
#      fabric netns:  router 203.0.113.1 -- bridge "underlay" 192.168.100.254/24
#                          |
#        +-----------------+-----------------+-----------------+
#     node1 .1          node2 .2          node3 .3          node4 .4       eth0 on the underlay
#     cni0 10.244.1.1   cni0 10.244.2.1   cni0 10.244.3.1   cni0 10.244.4.1
#     25 pods           25 pods           25 pods           25 pods
#     routes on node N: 10.244.M.0/24 via 192.168.100.M (M != N), default via 192.168.100.254
#     nat on node N:    -s 10.244.N.0/24 ! -d 10.244.0.0/16 -j MASQUERADE
#
# Each node's conflist is written by scripts/install-cni.sh (the DaemonSet's installer) with
# IP_MASQ=false: the bridge's own ipMasq would masquerade everything leaving the node's /24,
# other nodes' pods included, so cluster deployments (kubenet, flannel) turn it off and put
# one node-level rule in its place that masquerades only traffic leaving the cluster CIDR.
# Pod-to-pod across nodes therefore keeps the pod's source address; pod-to-outside leaves with
# the node's.
#
# Checks: cross-node pod-to-pod pings for sampled pairs, both directions, with the source
# address seen in the destination pod counted by an iptables rule in that pod's netns (the
# pod's own address, never a node's); every node's pods reach the outside, which sees only node
# addresses (and without the node rule, nothing comes back); then every pod is deleted and
# nothing may be left (veths, IPAM reservations, NAT chains, pod netns).
#
#   sudo scripts/cluster-demo.sh            the demo: topology, routes, checks, figures
#   sudo scripts/cluster-demo.sh --check    the same, terse; exit 1 on any failure (CI)
#   CNB_PLUGIN_DIR=/usr/lib/cni ...         through the reference plugins
#   CNB_CLUSTER_PODS=25 CNB_CLUSTER_PAIRS=3 pods per node, sampled pod pairs per node pair
#
# Runs in its own mount and PID namespaces (unshare -m -p -f --kill-child) with private tmpfs
# on /run (so every netns is pinned there and dies with the script, even a killed one) and on
# /var/lib and /etc/cni; node state lives in a temp dir. The machine's root netns, /etc/cni,
# /opt/cni and /var/lib/cni are not touched.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${CNB_PLUGIN_DIR:=$root/build/bin}"
nodes=4
pods=${CNB_CLUSTER_PODS:-25}
pairs_per=${CNB_CLUSTER_PAIRS:-3}
cluster_cidr=10.244.0.0/16
outside_ip=203.0.113.2
mode=demo
case ${1:-} in
  --check) mode=check ;;
  '') ;;
  -h | --help) sed -n '3,43p' "$0"; exit 0 ;;
  *) echo "cluster-demo: unknown option $1 (--check)" >&2; exit 2 ;;
esac

log() { echo "[cluster] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }
say() { [[ $mode == check ]] || echo "$@"; }

if [[ ${CNB_CLUSTER_INSIDE:-} != 1 ]]; then
  ((EUID == 0)) || die "needs root (network, mount and PID namespaces)"
  for p in bridge host-local; do
    [[ -x $CNB_PLUGIN_DIR/$p ]] || die "$CNB_PLUGIN_DIR/$p missing (scripts/setup.sh builds it, or set CNB_PLUGIN_DIR)"
  done
  for t in ip iptables ping unshare python3; do
    command -v "$t" >/dev/null || die "$t missing (scripts/setup.sh installs it)"
  done
  # What the machine has in the places a CNI install writes to, before and after.
  machine_state() {
    local d
    for d in /etc/cni/net.d /opt/cni/bin /var/lib/cni; do
      if [[ -e $d ]]; then find "$d" -printf '%p %s %T@\n' | sort; else echo "$d absent"; fi
    done
  }
  before=$(machine_state)
  work=$(mktemp -d /tmp/cnb-cluster.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  rc=0
  CNB_CLUSTER_INSIDE=1 CNB_CLUSTER_WORK=$work CNB_PLUGIN_DIR=$CNB_PLUGIN_DIR \
    unshare --mount --propagation private --pid --fork --kill-child --mount-proc -- \
    bash "$0" "$@" || rc=$?
  [[ $(machine_state) == "$before" ]] || die "the machine's /etc/cni, /opt/cni or /var/lib/cni changed"
  exit "$rc"
fi

# ---- inside: PID 1 of a fresh PID namespace, a private mount namespace -------------------------
work=$CNB_CLUSTER_WORK
trap 'log "FAIL: line $LINENO: $BASH_COMMAND"' ERR
mount -t tmpfs -o mode=755 tmpfs /run
for d in /var/lib /etc/cni; do
  [[ -d $d ]] && mount -t tmpfs -o mode=755 tmpfs "$d"
done
mkdir -p /run/netns

# ns NETNS CMD...: CMD in NETNS, as `ip netns exec` runs it (with that netns' own /sys).
ns() { ip netns exec "$@"; }
node_ip() { echo "192.168.100.$1"; }
pod_cidr() { echo "10.244.$1.0/24"; }
usec() { local t=${1/./}; echo $((10#$t)); }  # EPOCHREALTIME (s.µs) -> µs

# --- the fabric, the outside and the nodes ------------------------------------------------------
ip netns add fabric
ip netns add outside
ip -n fabric link set lo up
ip -n outside link set lo up
ip -n fabric link add underlay type bridge
ip -n fabric addr add 192.168.100.254/24 dev underlay
ip -n fabric link set underlay up
ip -n fabric link add wan type veth peer name eth0 netns outside
ip -n fabric addr add 203.0.113.1/24 dev wan
ip -n fabric link set wan up
ip -n outside addr add "$outside_ip/24" dev eth0
ip -n outside link set eth0 up
# The outside knows the nodes' network (through the fabric router), not the pods'.
ip -n outside route add 192.168.100.0/24 via 203.0.113.1
ns fabric sysctl -qw net.ipv4.ip_forward=1

for ((n = 1; n <= nodes; n++)); do
  ip netns add "node$n"
  ip -n "node$n" link set lo up
  ip -n fabric link add "n$n" type veth peer name eth0 netns "node$n"
  ip -n fabric link set "n$n" master underlay up
  ip -n "node$n" addr add "$(node_ip "$n")/24" dev eth0
  ip -n "node$n" link set eth0 up
  ip -n "node$n" route add default via 192.168.100.254
  for ((m = 1; m <= nodes; m++)); do
    ((m == n)) || ip -n "node$n" route add "$(pod_cidr "$m")" via "$(node_ip "$m")"
  done
  ns "node$n" sysctl -qw net.ipv4.ip_forward=1
  # The node-level masquerade a cluster puts in place of the bridge's ipMasq: pods' traffic
  # leaving the cluster CIDR only (kubenet's non-masquerade CIDR, flannel's --ip-masq).
  ns "node$n" iptables -w -t nat -A POSTROUTING -s "$(pod_cidr "$n")" ! -d "$cluster_cidr" \
    -m comment --comment "cluster-demo: pods to outside the cluster" -j MASQUERADE

  # The node's plugins and conflist, as the DaemonSet's init container writes them.
  d=$work/node$n
  mkdir -p "$d/networks"
  out=$(CNI_SRC_DIR=$CNB_PLUGIN_DIR CNI_BIN_DIR=$d/opt/cni/bin CNI_NET_DIR=$d/etc/cni/net.d \
    POD_CIDR=$(pod_cidr "$n") IP_MASQ=false PORTMAP=false IPAM_DATA_DIR=$d/networks \
    sh "$root/scripts/install-cni.sh" install 2>&1) || die "install-cni.sh on node$n: $out"
  # The plugin's config as libcni hands it over: the conflist's one plugin + name + cniVersion.
  python3 - "$d/etc/cni/net.d/10-cni-bridge.conflist" >"$d/bridge.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
p = dict(c["plugins"][0], name=c["name"], cniVersion=c["cniVersion"])
print(json.dumps(p, separators=(",", ":")))
EOF
done
say "topology: fabric (underlay 192.168.100.254/24, router to $outside_ip), $nodes nodes 192.168.100.1-$nodes"
say "node1's conflist (scripts/install-cni.sh, IP_MASQ=false):"
say "$(sed 's/^/    /' "$work/node1/etc/cni/net.d/10-cni-bridge.conflist")"
say "node1's routes:"
say "$(ip -n node1 route | sed 's/^/    /')"

# --- pods ---------------------------------------------------------------------------------
declare -A pod_ip=() pod_result=()
: >"$work/times"
cni() {  # cni ADD|DEL NODE POD [CONFIG]: one plugin call as the runtime makes it, timed
  local n=$2 p=$3 conf bin=$work/node$2/opt/cni/bin t0 t1 rc=0
  conf=${4:-$(cat "$work/node$n/bridge.json")}
  t0=$EPOCHREALTIME
  out=$(ns "node$n" env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="cid-$p" \
    CNI_NETNS="/run/netns/$p" CNI_IFNAME=eth0 CNI_PATH="$bin" \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$p;K8S_POD_INFRA_CONTAINER_ID=cid-$p" \
    "$bin/bridge" <<<"$conf" 2>"$work/stderr") || rc=$?
  t1=$EPOCHREALTIME
  echo "$n $1 $(($(usec "$t1") - $(usec "$t0")))" >>"$work/times"
  ((rc == 0)) || out+=$'\n'"stderr: $(cat "$work/stderr")"
  return "$rc"
}
for ((n = 1; n <= nodes; n++)); do
  for ((i = 1; i <= pods; i++)); do
    p=p$n-$i
    ip netns add "$p"
    cni ADD "$n" "$p" || die "ADD $p on node$n: $out"
    pod_result[$p]=$out
    [[ $out =~ \"address\":\ ?\"(10\.244\.$n\.[0-9]+)/24\" ]] || die "$p: no address in $(pod_cidr "$n"): $out"
    pod_ip[$p]=${BASH_REMATCH[1]}
  done
done
say "$((nodes * pods)) pods: $pods per node, p<N>-1 .. p<N>-$pods"

# --- cross-node pod to pod, source addresses preserved --------------------------------------------
# count_from NETNS SRC: echo requests from SRC (an address or CIDR) seen in NETNS, counted by
# an INPUT rule add_counter put there (no target: it only counts).
add_counter() { ns "$1" iptables -w -A INPUT -p icmp --icmp-type echo-request -s "$2" -m comment --comment cnb-src; }
count_from() {
  local src=$2
  [[ $src == */* ]] || src+=/32
  ns "$1" iptables-save -c -t filter |
    awk -v s="-s $src " 'index($0, s) && /cnb-src/ { split($1, c, ":"); n += substr(c[1], 2) } END { print n + 0 }'
}
pairs=() same=()
for ((a = 1; a <= nodes; a++)); do
  for ((b = a + 1; b <= nodes; b++)); do
    for ((k = 0; k < pairs_per; k++)); do
      pairs+=("p$a-$(((k * 7 + a * 3 + b) % pods + 1)) p$b-$(((k * 11 + a + b * 5) % pods + 1))")
    done
  done
  same+=("p$a-1 p$a-2")
done
declare -A counted=()
for pr in "${pairs[@]}" "${same[@]}"; do
  read -r pa pb <<<"$pr"
  for x in "$pa $pb" "$pb $pa"; do
    read -r src dst <<<"$x"
    if [[ -z ${counted[$dst $src]:-} ]]; then
      add_counter "$dst" "${pod_ip[$src]}"
      counted[$dst $src]=1
    fi
    if [[ -z ${counted[$dst nodes]:-} ]]; then
      add_counter "$dst" 192.168.100.0/24
      counted[$dst nodes]=1
    fi
  done
done
pings=0
for pr in "${pairs[@]}" "${same[@]}"; do
  read -r pa pb <<<"$pr"
  for x in "$pa $pb" "$pb $pa"; do
    read -r src dst <<<"$x"
    ns "$src" ping -c1 -W3 -q "${pod_ip[$dst]}" >/dev/null || die "$src (${pod_ip[$src]}) cannot ping $dst (${pod_ip[$dst]})"
    pings=$((pings + 1))
  done
done
for pr in "${pairs[@]}" "${same[@]}"; do
  read -r pa pb <<<"$pr"
  for x in "$pa $pb" "$pb $pa"; do
    read -r src dst <<<"$x"
    c=$(count_from "$dst" "${pod_ip[$src]}")
    ((c >= 1)) || die "$dst saw no echo request from $src's address ${pod_ip[$src]}: its source was rewritten"
    c=$(count_from "$dst" 192.168.100.0/24)
    ((c == 0)) || die "$dst saw $c echo requests from a node address: pod traffic was masqueraded"
  done
done
say "pod to pod: ${#pairs[@]} cross-node pairs (every node pair) and ${#same[@]} same-node pairs, both directions ($pings pings);"
say "    each destination pod counted the echo requests from the sender's own pod address, none from a node address"
if [[ $mode == demo ]]; then
  read -r pa pb <<<"${pairs[0]}"
  say "    e.g. $pb's INPUT counters:"
  say "$(ns "$pb" iptables -w -L INPUT -n -v -x | sed 's/^/        /')"
fi

# --- pods to the outside, through their node's masquerade -----------------------------------------
for ((n = 1; n <= nodes; n++)); do add_counter outside "$(node_ip "$n")"; done
add_counter outside "$cluster_cidr"
for ((n = 1; n <= nodes; n++)); do
  ns "p$n-$pods" ping -c1 -W3 -q "$outside_ip" >/dev/null || die "p$n-$pods cannot reach the outside $outside_ip"
  c=$(count_from outside "$(node_ip "$n")")
  ((c >= 1)) || die "the outside saw no echo request from node$n's address: no masquerade"
done
c=$(count_from outside "$cluster_cidr")
((c == 0)) || die "the outside saw $c echo requests from pod addresses"
# Without the node's rule the pod's own address reaches the outside, which cannot answer it.
ns node1 iptables -w -t nat -D POSTROUTING -s "$(pod_cidr 1)" ! -d "$cluster_cidr" \
  -m comment --comment "cluster-demo: pods to outside the cluster" -j MASQUERADE
if ns p1-1 ping -c1 -W1 -q "$outside_ip" >/dev/null; then die "p1-1 reached the outside without masquerade"; fi
c=$(count_from outside "$cluster_cidr")
((c == 1)) || die "without masquerade the outside saw $c echo requests from pod addresses, expected 1"
ns node1 iptables -w -t nat -A POSTROUTING -s "$(pod_cidr 1)" ! -d "$cluster_cidr" \
  -m comment --comment "cluster-demo: pods to outside the cluster" -j MASQUERADE
ns p1-1 ping -c1 -W3 -q "$outside_ip" >/dev/null || die "p1-1 cannot reach the outside after the rule is back"
say "pod to outside: a pod on each of the $nodes nodes reaches $outside_ip, which sees only node addresses;"
say "    without node1's masquerade rule p1-1's request arrives from ${pod_ip[p1-1]} and gets no answer"

# --- teardown, and nothing left ------------------------------------------------------------------
for ((n = 1; n <= nodes; n++)); do
  for ((i = 1; i <= pods; i++)); do
    p=p$n-$i
    conf=$(cat "$work/node$n/bridge.json")
    # libcni hands DEL the cached ADD result as prevResult.
    cni DEL "$n" "$p" "${conf%\}},\"prevResult\":${pod_result[$p]}}" || die "DEL $p on node$n: $out"
    ip netns del "$p"
  done
done
left=''
for ((n = 1; n <= nodes; n++)); do
  left+=$(ip -n "node$n" -o link show master cni0 | awk -F': ' -v n="$n" '{print "node" n ": port on cni0: " $2}')
  left+=$(ip -n "node$n" -o link show type veth | awk -F': ' -v n="$n" '$2 !~ /^eth0@/ {print "node" n ": veth left: " $2}')
  for f in "$work/node$n/networks/cni-bridge"/*; do
    case ${f##*/} in lock | last_reserved_ip.* | '*') ;; *) left+="node$n: reservation left: $f"$'\n' ;; esac
  done
  left+=$(ns "node$n" iptables-save -t nat | grep -E "^:CNI-" | sed "s/^/node$n: chain left: /" || true)
  rules=$(ns "node$n" iptables-save -t nat | grep -c '^-A ' || true)
  ((rules == 1)) || left+="node$n: $rules nat rules, expected only the node's masquerade rule"$'\n'
done
left+=$(ip netns list | awk '$1 !~ /^(fabric|outside|node[0-9]+)$/ {print "netns left: " $1}')
[[ -z $left ]] || die "leftovers after every pod was deleted:"$'\n'"$left"
for ((n = 1; n <= nodes; n++)); do ip netns del "node$n"; done
ip netns del outside
ip netns del fabric
[[ -z $(ls -A /run/netns) ]] || die "netns left: $(ls -A /run/netns)"
say "teardown: $((nodes * pods)) DELs; no port, veth, reservation, CNI chain or pod netns left; all netns deleted"

# --- figures --------------------------------------------------------------------------------
python3 - "$work/times" "$nodes" "$pods" "${#pairs[@]}" "${#same[@]}" "$pings" "$CNB_PLUGIN_DIR" <<'EOF'
import statistics, sys
path, nodes, pods, pairs, same, pings, plugins = sys.argv[1:]
t = {}
for line in open(path):
    n, cmd, us = line.split()
    t.setdefault((int(n), cmd), []).append(int(us) / 1000)
print(f"cluster: {nodes} nodes x {pods} pods = {int(nodes) * int(pods)} pods ({plugins}); "
      f"{pairs} cross-node + {same} same-node pod pairs, both directions ({pings} pings), sources preserved; "
      f"{nodes}/{nodes} nodes reach the outside through masquerade")
print("| node | pod CIDR | pods | ADD p50 | DEL p50 |")
print("|---|---|---:|---:|---:|")
for n in range(1, int(nodes) + 1):
    print(f"| node{n} | 10.244.{n}.0/24 | {len(t[(n, 'ADD')])} | {statistics.median(t[(n, 'ADD')]):.1f} ms "
          f"| {statistics.median(t[(n, 'DEL')]):.1f} ms |")
EOF
