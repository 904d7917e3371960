# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Shared helpers for the real-client checks; sourced, not run.
#
# Every check runs inside a throwaway "node" network namespace (standing in for a Kubernetes
# node or a podman host) and a private mount namespace in which
#   - /sys is a sysfs of the node netns (with the machine's cgroup mounts re-attached under it,
#     which runc needs),
#   - /var/lib, /run, /etc/cni and /etc/containers/networks are empty tmpfs,
# so plugin state (IPAM files, result caches), pod netns handles, runc/podman run state and
# configs all live and die with the check: nothing reaches the machine's /var/lib/cni,
# /etc/cni, /run or root netns.
#
# Environment understood by every check:
#   CNB_PLUGIN_DIR  our bridge + host-local (default: <repo>/build/bin); set to /usr/lib/cni
#                   to run the same checks against the reference plugins.
#   CNB_REF_DIR     the reference plugins, which also supply loopback/portmap/firewall/tuning
#                   (default /usr/lib/cni).
#   CNB_CLIENTS_CACHE  where setup-clients.sh put cnitool and gocni-driver.

clients_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$clients_dir/../.." && pwd)
: "${CNB_PLUGIN_DIR:=$repo_root/build/bin}"
: "${CNB_REF_DIR:=/usr/lib/cni}"
: "${CNB_CLIENTS_CACHE:=$repo_root/.cache/clients}"
export CNB_PLUGIN_DIR CNB_REF_DIR CNB_CLIENTS_CACHE

# Ours first, so bridge/host-local resolve to ours and the rest to the reference package.
if [[ $CNB_PLUGIN_DIR -ef $CNB_REF_DIR ]]; then
  cni_path=$CNB_REF_DIR
else
  cni_path=$CNB_PLUGIN_DIR:$CNB_REF_DIR
fi
export cni_path

# Debian's interpreter: a version-manager shim on PATH can take seconds per call.
py=/usr/bin/python3
[[ -x $py ]] || py=python3

log() { echo "[$(basename "$0")] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

check_plugins_present() {
  local p
  for p in bridge host-local; do
    [[ -x $CNB_PLUGIN_DIR/$p ]] || die "$CNB_PLUGIN_DIR/$p missing (build first, or set CNB_PLUGIN_DIR)"
  done
  for p in loopback portmap firewall tuning; do
    [[ -x $CNB_REF_DIR/$p ]] || die "$CNB_REF_DIR/$p missing (apt-get install containernetworking-plugins)"
  done
}

# Node netns names we created, deleted by cleanup_node_netns (an EXIT trap).
_cnbk_netns=()
_cnbk_counter=0
new_node_netns() {  # new_node_netns VAR: a fresh node netns with lo up, its name in VAR
  _cnbk_counter=$((_cnbk_counter + 1))
  local name="${CNBK_NETNS_PREFIX:-cnbk}-$$-$_cnbk_counter-node"
  ip netns add "$name" || die "ip netns add $name"
  _cnbk_netns+=("$name")
  ip -n "$name" link set lo up
  printf -v "$1" '%s' "$name"
}
cleanup_node_netns() {
  local n
  for n in "${_cnbk_netns[@]}"; do
    ip netns del "$n" 2>/dev/null || true
  done
  _cnbk_netns=()
}

# in_sandbox NODE_NETNS CMD... : run CMD in NODE_NETNS inside a private mount namespace laid
# out as described at the top. CMD's exit status is returned.
in_sandbox() {
  local node=$1
  shift
  # shellcheck disable=SC2016  # expanded by the inner shell
  nsenter --net="/run/netns/$node" -- unshare --mount --propagation private -- \
    bash -c '
      set -e
      # Hold the cgroup tree before /sys is replaced: a sysfs mount shows the netns of the
      # mounter, but does not carry the cgroup mounts that live below /sys/fs/cgroup.
      hold=$(mktemp -d /tmp/cnbk-cg.XXXXXX)
      mount --rbind /sys/fs/cgroup "$hold"
      mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
      mount --move "$hold" /sys/fs/cgroup
      rmdir "$hold"
      for d in /var/lib /run /etc/cni /etc/containers/networks; do
        [[ -d $d ]] || continue
        mount -t tmpfs -o mode=755 tmpfs "$d"
      done
      exec "$@"
    ' cnbk-sandbox "$@"
}

# Leftovers in the current (node) netns and mount namespace after every pod was deleted.
# Prints one line per leftover; prints nothing when clean.
#   leftovers BRIDGE NETWORK_NAME
leftovers() {
  local bridge=$1 net=$2 f
  ip -o link show master "$bridge" 2>/dev/null | awk -F': ' '{print "port on " b ": " $2}' b="$bridge"
  ip -o link show type veth 2>/dev/null | awk -F': ' '{print "veth left: " $2}'
  if [[ -d /var/lib/cni/networks/$net ]]; then
    for f in /var/lib/cni/networks/"$net"/*; do
      [[ -e $f ]] || continue
      case $(basename "$f") in
        lock | last_reserved_ip.*) ;;  # allocator bookkeeping host-local keeps by design
        *) echo "ipam file left: $f" ;;
      esac
    done
  fi
  for f in /var/lib/cni/results/*; do
    [[ -e $f ]] && echo "result cache left: $f"
  done
  # Per-container chains: the masquerade chain CNI-<hash> and portmap's CNI-DN-<hash>.
  # (portmap/firewall's shared top-level chains such as CNI-HOSTPORT-DNAT stay by design.)
  local save
  for save in iptables-save ip6tables-save; do
    command -v "$save" >/dev/null || continue
    "$save" 2>/dev/null | grep -E '^:CNI-(DN-)?[0-9a-f]{24} ' | sed "s/^/$save chain left: /" || true
  done
}
