#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cnitool (the CNI project's own reference client, built from Debian's source package by
# setup-clients.sh) drives add / check / del through conflists as users write them, against
# our bridge + host-local (portmap/firewall/tuning/loopback from the reference package).
# Each config runs in its own throwaway node netns + private mount namespace (see lib.sh)
# with two pods; it checks the result, connectivity (pod -> gateway, pod -> pod), the
# config's own promises (MTU, promisc, hairpin, default route, dual stack, static IP,
# port mappings), CHECK, a repeated DEL, and that nothing is left afterwards.
#
#   cnitool-check.sh [scenario...]   scenarios: containerd crio flannel kubenet podman (default all)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
configs=$clients_dir/configs
all_scenarios=(containerd crio flannel kubenet podman)

# Scenario table: conf file, network name, bridge, v4 gateway, v6 gateway (or -), CHECK
# supported by the config's version, CAP_ARGS for pod a on ADD/DEL and on CHECK. CHECK leaves
# out portMappings: the reference portmap 1.1.1 (which is not ours) fails CHECK whenever
# ip6tables exists, looking for DNAT rules in the wrong family (containernetworking/plugins#819).
scenario_vars() {
  case $1 in
    containerd) file=10-containerd-net.conflist net=containerd-net bridge=cni0 gw4=10.88.0.1
                gw6=2001:4860:4860::1 can_check=1 check_cap=
                cap='{"portMappings":[{"hostPort":18080,"containerPort":80,"protocol":"tcp"}]}' ;;
    crio)       file=11-crio-ipv4-bridge.conflist net=crio bridge=cni0 gw4=10.85.0.1 gw6=- can_check=1 cap='' check_cap='' ;;
    flannel)    file=10-flannel-delegate.conf net=cbr0 bridge=cni0 gw4=10.244.1.1 gw6=- can_check=0 cap='' check_cap='' ;;
    kubenet)    file=10-kubenet.conflist net=kubenet bridge=cbr0 gw4=10.244.0.1 gw6=- can_check=0 check_cap=
                cap='{"portMappings":[{"hostPort":18081,"containerPort":8080,"protocol":"tcp"}]}' ;;
    podman)     file=88-podman-generated.conflist net=cnbk-podman bridge=cni-podman1 gw4=10.89.0.1 gw6=-
                can_check=1 check_cap='{"ips":["10.89.0.50"]}' cap='{"ips":["10.89.0.50"],"portMappings":[{"hostPort":18082,"containerPort":80,"protocol":"tcp"}]}' ;;
    *) die "unknown scenario $1" ;;
  esac
}

# ---------------------------------------------------------------- inside the sandbox
inside() {
  local scenario=$1
  scenario_vars "$scenario"
  # Globals: the EXIT trap runs after this function has returned.
  cnitool=$CNB_CLIENTS_CACHE/cnitool
  netconf=$(mktemp -d /tmp/cnbk-netconf.XXXXXX)
  pods=(pod-a pod-b) added=() pod_ips=()
  declare -gA cap_of=()  # runtimes repeat a pod's capability args on CHECK and DEL
  cleanup_inside() {  # best effort: the mount + node netns teardown removes the rest anyway
    local p
    for p in "${added[@]}"; do
      NETCONFPATH=$netconf CNI_PATH=$cni_path CAP_ARGS=${cap_of[$p]:-} "$cnitool" del "$net" "/run/netns/$p" >/dev/null 2>&1 || true
    done
    for p in "${pods[@]}"; do ip netns del "$p" 2>/dev/null || true; done
    rm -rf "$netconf"
  }
  trap cleanup_inside EXIT
  trap "exit 1" INT TERM HUP  # so the EXIT trap runs on signals too
  cp "$configs/$file" "$netconf/"
  export NETCONFPATH=$netconf CNI_PATH=$cni_path

  local p out ip4 ip6
  for p in "${pods[@]}"; do
    ip netns add "$p" || die "ip netns add $p"
    cap_of[$p]=
    [[ $p == pod-a ]] && cap_of[$p]=$cap
    out=$(CAP_ARGS=${cap_of[$p]} "$cnitool" add "$net" "/run/netns/$p" 2>"$netconf/stderr") ||
      die "cnitool add $p: $out $(cat "$netconf/stderr")"
    added+=("$p")
    # Addresses from the printed result (its own cniVersion's format).
    read -r ip4 ip6 < <("$py" -c '
import json, sys
r = json.loads(sys.argv[1])
v4 = [i["address"].split("/")[0] for i in r.get("ips", []) if ":" not in i["address"]]
v6 = [i["address"].split("/")[0] for i in r.get("ips", []) if ":" in i["address"]]
print(v4[0] if v4 else "-", v6[0] if v6 else "-")' "$out") || die "unparsable result: $out"
    [[ $ip4 != - ]] || die "no IPv4 address in result of $p: $out"
    ip -n "$p" -o addr show dev eth0 | grep " $ip4/" >/dev/null || die "$p: eth0 lacks $ip4 from the result"
    pod_ips+=("$ip4")
    if [[ $gw6 != - ]]; then
      [[ $ip6 != - ]] || die "dual stack config gave no IPv6 address to $p: $out"
      ip -n "$p" -o addr show dev eth0 | grep " $ip6/" >/dev/null || die "$p: eth0 lacks $ip6"
      pod_ips+=("$ip6")
    fi
    ip netns exec "$p" ping -c1 -W3 "$gw4" >/dev/null || die "$p cannot ping its gateway $gw4"
    log "$scenario: $p up as $ip4${ip6/#-/} ${ip6/#-/}, gateway $gw4 answers"
  done
  ip netns exec pod-a ping -c1 -W3 "$ip4" >/dev/null || die "pod-a cannot reach pod-b ($ip4)"
  if [[ $gw6 != - ]]; then
    # DAD must finish on both ends before the v6 gateway answers.
    for _ in $(seq 30); do
      ip netns exec pod-a ping -6 -c1 -W1 "$gw6" >/dev/null 2>&1 && break
      sleep 0.2
    done
    ip netns exec pod-a ping -6 -c1 -W2 "$gw6" >/dev/null || die "pod-a cannot ping v6 gateway $gw6"
  fi

  scenario_extra_checks "$scenario"

  if ((can_check)); then
    for p in "${pods[@]}"; do
      local c=
      [[ $p == pod-a ]] && c=$check_cap
      out=$(CAP_ARGS=$c "$cnitool" check "$net" "/run/netns/$p" 2>&1) || die "cnitool check $p: $out"
    done
  else
    # libcni refuses CHECK below 0.4.0 before calling any plugin: prove the config still loads.
    out=$("$cnitool" check "$net" /run/netns/pod-a 2>&1) && die "CHECK unexpectedly ran for a pre-0.4.0 config"
    [[ $out == *"does not support the CHECK command"* ]] || die "cnitool check: unexpected error: $out"
  fi

  for p in "${pods[@]}"; do
    out=$(CAP_ARGS=${cap_of[$p]} "$cnitool" del "$net" "/run/netns/$p" 2>&1) || die "cnitool del $p: $out"
    out=$(CAP_ARGS=${cap_of[$p]} "$cnitool" del "$net" "/run/netns/$p" 2>&1) || die "repeated cnitool del $p must succeed: $out"
    ip -n "$p" link show eth0 >/dev/null 2>&1 && die "$p: eth0 still there after del"
  done
  added=()

  local left
  left=$(leftovers "$bridge" "$net")
  local a
  for a in "${pod_ips[@]}"; do
    left+=$(iptables-save 2>/dev/null | grep -F -- "$a" | sed 's/^/iptables rule left: /')
    left+=$(ip6tables-save 2>/dev/null | grep -F -- "$a" | sed 's/^/ip6tables rule left: /')
  done
  [[ -z $left ]] || die "leftovers after del:"$'\n'"$left"
  log "$scenario: check, del x2 ok; nothing left"
}

port_of() {  # the bridge port (host veth) whose peer is eth0 of pod $1
  local idx
  idx=$(ip -n "$1" -o link show eth0 | sed -n 's/.*eth0@if\([0-9]*\).*/\1/p')
  ip -o link show | awk -F': ' -v i="$idx" '$1 == i {split($2, n, "@"); print n[1]}'
}

scenario_extra_checks() {
  local veth
  veth=$(port_of pod-a)
  [[ -n $veth ]] || die "no host veth for pod-a"
  [[ $(cat "/sys/class/net/$veth/master/ifindex" 2>/dev/null) == $(cat "/sys/class/net/$bridge/ifindex") ]] ||
    die "$veth is not a port of $bridge"
  case $1 in
    containerd)
      ip link show "$bridge" | grep PROMISC >/dev/null || die "promiscMode: $bridge not promiscuous"
      iptables-save -t nat | grep -- '--dport 18080' >/dev/null || die "portmap: no DNAT for hostPort 18080"
      iptables-save -t nat | grep "^:CNI-[0-9a-f]\{24\} " >/dev/null || die "ipMasq: no CNI- masquerade chain"
      ;;
    crio)
      [[ $(cat "/sys/class/net/$veth/brport/hairpin_mode") == 1 ]] || die "hairpinMode: off on $veth"
      iptables-save -t nat | grep "^:CNI-[0-9a-f]\{24\} " >/dev/null || die "ipMasq: no CNI- masquerade chain"
      ;;
    flannel)
      [[ $(ip -n pod-a -o link show eth0) == *"mtu 1450"* ]] || die "mtu: pod eth0 is not 1450"
      [[ $(cat "/sys/class/net/$veth/mtu") == 1450 ]] || die "mtu: host veth is not 1450"
      ip -n pod-a route show default | grep "via $gw4" >/dev/null || die "isDefaultGateway: no default route via $gw4"
      ip -n pod-a route show 10.244.0.0/16 | grep "via $gw4" >/dev/null || die "ipam route 10.244.0.0/16 missing"
      [[ $(cat "/sys/class/net/$veth/brport/hairpin_mode") == 1 ]] || die "hairpinMode: off on $veth"
      iptables-save -t nat | grep "^:CNI-[0-9a-f]\{24\} " >/dev/null && die "ipMasq false but a masquerade chain exists"
      ;;
    kubenet)
      ip link show "$bridge" | grep PROMISC >/dev/null || die "promiscMode: $bridge not promiscuous"
      [[ $(cat "/sys/class/net/$veth/brport/hairpin_mode") == 0 ]] || die "hairpinMode false but on"
      iptables-save -t nat | grep -- '--dport 18081' >/dev/null || die "portmap: no DNAT for hostPort 18081"
      ;;
    podman)
      ip -n pod-a -o addr show dev eth0 | grep ' 10.89.0.50/24' >/dev/null || die "capabilities.ips: pod-a is not 10.89.0.50"
      [[ $(cat "/sys/class/net/$veth/brport/hairpin_mode") == 1 ]] || die "hairpinMode: off on $veth"
      iptables-save -t filter | grep -- '-A CNI-FORWARD' >/dev/null || die "firewall plugin: no CNI-FORWARD rules"
      iptables-save -t nat | grep -- '--dport 18082' >/dev/null || die "portmap: no DNAT for hostPort 18082"
      ;;
  esac
}

if [[ ${1:-} == --inside ]]; then
  inside "$2"
  exit $?
fi

# ---------------------------------------------------------------- outside
((EUID == 0)) || die "needs root (network and mount namespaces)"
check_plugins_present
[[ -x $CNB_CLIENTS_CACHE/cnitool ]] || die "no cnitool in $CNB_CLIENTS_CACHE: run setup-clients.sh"
trap cleanup_node_netns EXIT
trap "exit 1" INT TERM HUP  # so the EXIT trap runs on signals too
scenarios=("$@")
((${#scenarios[@]})) || scenarios=("${all_scenarios[@]}")
failed=()
for s in "${scenarios[@]}"; do
  new_node_netns node
  if in_sandbox "$node" bash "$clients_dir/cnitool-check.sh" --inside "$s"; then
    log "PASS $s"
  else
    log "FAIL $s"
    failed+=("$s")
  fi
  cleanup_node_netns
done
((${#failed[@]} == 0)) || die "cnitool: failed: ${failed[*]}"
log "cnitool: all ${#scenarios[@]} configs pass ($cni_path)"
