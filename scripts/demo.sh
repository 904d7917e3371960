#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A two-minute tour: a throwaway "node" namespace (standing in for the host) and two "pod"
# namespaces; the bridge plugin ADDs both pods, they ping each other and the gateway, CHECK
# passes, DEL removes everything. Nothing outside these namespaces and a temp dir is touched,
# and the trap cleans up even when a step fails.
#
#   scripts/demo.sh                            # our build (build/bin); as root, or through sudo
#   CNB_PLUGIN_DIR=/usr/lib/cni scripts/demo.sh   # the reference plugins, for comparison
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/root.sh
need_root scripts/demo.sh "$@"
if [[ -z ${CNB_PLUGIN_DIR:-} && ! ( -x build/bin/bridge && -x build/bin/host-local ) ]]; then
  scripts/setup.sh
fi
bin=${CNB_PLUGIN_DIR:-$PWD/build/bin}

prefix=cnbdemo-$$
node=$prefix-node
pods=("$prefix-pod1" "$prefix-pod2")
state=$(mktemp -d)

cleanup() {
  set +e
  for ns in "${pods[@]}" "$node"; do ip netns delete "$ns" 2>/dev/null; done
  rm -rf "$state"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# What a runtime hands the plugin for one entry of a conflist like
#   {"cniVersion": "1.0.0", "name": "demo-net", "plugins": [ {"type": "bridge", ...} ]}
# (name and cniVersion injected). Kept without its closing brace so CHECK can append prevResult.
conf_body='{
  "cniVersion": "1.0.0",
  "name": "demo-net",
  "type": "bridge",
  "bridge": "cni-demo0",
  "isGateway": true,
  "isDefaultGateway": true,
  "ipMasq": true,
  "hairpinMode": true,
  "ipam": {
    "type": "host-local",
    "ranges": [[{"subnet": "10.99.0.0/24"}], [{"subnet": "fd99::/64"}]],
    "dataDir": "'"$state"'"
  }'
conf="$conf_body
}"

# Runs the plugin inside the node namespace with only the CNI variables, as a runtime would
# (containerd and CRI-O also send the pod's namespace and name in CNI_ARGS).
cni() {  # <command> <container id> <pod netns> [stdin]
  env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="/var/run/netns/$3" \
    CNI_IFNAME=eth0 CNI_PATH="$bin" CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=web-${2#ctr}" \
    ip netns exec "$node" "$bin/bridge" <<<"${4:-$conf}"
}
# `bridge inspect` (ours only: the reference has no such command) in the node, reading the
# demo's config the way cnitool finds configs.
netconf_dir=$state/net.d
inspect() {
  if [[ ! -x build/bin/bridge ]]; then echo "(bridge inspect is part of this project's build)"; return; fi
  NETCONFPATH=$netconf_dir ip netns exec "$node" build/bin/bridge inspect "$@"
}
first_ip() { grep -o '"address": *"[^"]*"' | head -1 | sed -E 's/.*"([^"/]*)\/.*/\1/'; }

step "plugins from $bin"
env -i CNI_COMMAND=VERSION "$bin/bridge" </dev/null; echo

step "namespaces: node $node, pods ${pods[*]}"
for ns in "$node" "${pods[@]}"; do ip netns add "$ns"; done
ip -n "$node" link set lo up

step "network config"
echo "$conf"
mkdir "$netconf_dir"
echo "$conf" >"$netconf_dir/10-demo-net.conf"

results=()
for i in 0 1; do
  step "ADD ${pods[$i]}"
  results[i]=$(cni ADD "ctr$i" "${pods[$i]}")
  echo "${results[$i]}"
done
ip1=$(first_ip <<<"${results[0]}")
ip2=$(first_ip <<<"${results[1]}")

step "kernel state in the node"
ip -n "$node" -br link show type bridge
ip -n "$node" -br link show master cni-demo0
ip -n "$node" -br addr show dev cni-demo0
ip netns exec "$node" iptables -t nat -S POSTROUTING
ls -l "$state/demo-net"

step "ping: pod1 -> gateway, pod1 -> pod2 ($ip2), pod2 -> pod1 ($ip1)"
ip netns exec "${pods[0]}" ping -c1 -W1 10.99.0.1
ip netns exec "${pods[0]}" ping -c1 -W1 "$ip2"
ip netns exec "${pods[1]}" ping -c1 -W1 "$ip1"

step "which host veth is whose: its alias, then bridge inspect from the node and from pod1"
ip -n "$node" -d link show master cni-demo0 | grep -E '^[0-9]+:|alias'
inspect
inspect --netns "/var/run/netns/${pods[0]}"

step "CHECK pod1 (prevResult = its ADD result)"
cni CHECK ctr0 "${pods[0]}" "$conf_body, \"prevResult\": ${results[0]}
}"
echo "CHECK passed"

for i in 0 1; do
  step "DEL ${pods[$i]}"
  cni DEL "ctr$i" "${pods[$i]}"
  echo "DEL ok"
done

step "after DEL: no ports, no reservations, no masquerade chains"
ip -n "$node" -br link show master cni-demo0
ls "$state/demo-net"
ip netns exec "$node" iptables -t nat -S | grep -c 'CNI-' || true

step "after DEL: bridge inspect finds no attachment left"
inspect

step "done (namespaces and state are removed on exit)"
