#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# podman end to end (Debian podman 4.3, CNI backend): `podman network create` writes a conflist
# (used unchanged) whose bridge/host-local resolve to ours through cni_plugin_dirs; a container
# run from a local busybox-static rootfs shows its address and route and pings its gateway; a
# second, detached container is pinged from the node and removed. Afterwards nothing may be
# left: no veth, no IPAM files, no CNI chains.
#
# Isolation: a throwaway node netns + private mount namespace (lib.sh): podman's storage,
# runroot, tmp dir, runc state and network config dir are in a temp dir; /var/lib, /etc/cni and
# /run/netns are tmpfs in that mount namespace. runc runs with cgroup_manager=cgroupfs under a
# cgroup parent named after this run, removed at the end.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

subnet=10.89.0.0/24
gateway=10.89.0.1
net=cnbk-podman

write_podman_config() {  # write_podman_config DIR
  local dir=$1 dirs
  if [[ $cni_path == *:* ]]; then
    dirs="\"$CNB_PLUGIN_DIR\", \"$CNB_REF_DIR\""
  else
    dirs="\"$CNB_REF_DIR\""
  fi
  mkdir -p "$dir"/{net.d,tmp,root,runroot,runc,rootfs/bin}
  cat >"$dir/containers.conf" <<EOF
[containers]
netns = "bridge"

[network]
network_backend = "cni"
cni_plugin_dirs = [$dirs]
network_config_dir = "$dir/net.d"

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "none"
tmp_dir = "$dir/tmp"
static_dir = "$dir/root/libpod"
volume_path = "$dir/root/volumes"
EOF
  cat >"$dir/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$dir/runroot"
graphroot = "$dir/root"
EOF
  # The container's whole filesystem: busybox-static and the applets the checks use.
  cp /bin/busybox "$dir/rootfs/bin/busybox"
  local a
  for a in sh ip ping cat sleep; do ln -s busybox "$dir/rootfs/bin/$a"; done
}

inside() {
  local dir=$1 cgparent=$2
  export CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf
  podman=(podman --root "$dir/root" --runroot "$dir/runroot" --runtime-flag "root=$dir/runc")
  cleanup_inside() {
    "${podman[@]}" rm -f -t 0 -a >/dev/null 2>&1 || true
    "${podman[@]}" network rm -f "$net" >/dev/null 2>&1 || true
  }
  trap cleanup_inside EXIT
  trap "exit 1" INT TERM HUP  # so the EXIT trap runs on signals too
  run_opts=(--network "$net" --cgroup-parent "$cgparent"
            --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 --rootfs "$dir/rootfs")

  local out
  out=$("${podman[@]}" network create --subnet "$subnet" "$net" 2>&1) || die "podman network create: $out"
  local conflist=$dir/net.d/$net.conflist
  [[ -f $conflist ]] || die "podman network create wrote no $conflist"
  local bridge
  bridge=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["plugins"][0]["bridge"])' "$conflist")
  log "podman network create -> $(basename "$conflist") (bridge $bridge), used unchanged"

  out=$("${podman[@]}" run --rm "${run_opts[@]}" sh -c \
    "ip -4 addr show dev eth0; ip route; ping -c1 -W3 $gateway" 2>&1) || die "podman run failed:"$'\n'"$out"
  printf '%s\n' "$out" | sed 's/^/    container| /' >&2
  [[ $out == *"inet 10.89.0."*"/24"* ]] || die "container has no address in $subnet"
  [[ $out == *"default via $gateway dev eth0"* ]] || die "container has no default route via $gateway"
  [[ $out == *"1 packets received"* ]] || die "container could not ping its gateway"

  # A detached container, reached from the node, then removed (podman's CNI DEL path).
  out=$("${podman[@]}" run -d --name cnbk-sleeper "${run_opts[@]}" sleep 30 2>&1) || die "podman run -d: $out"
  local ip
  ip=$("${podman[@]}" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' cnbk-sleeper) ||
    die "podman inspect failed"
  [[ $ip == 10.89.0.* ]] || die "detached container address '$ip' not in $subnet"
  ping -c1 -W3 "$ip" >/dev/null || die "node cannot ping the container at $ip"
  [[ -n $(ip -o link show master "$bridge") ]] || die "no port on $bridge while a container runs"
  log "podman: detached container at $ip answers the node"
  out=$("${podman[@]}" rm -f -t 0 cnbk-sleeper 2>&1) || die "podman rm: $out"

  local left
  left=$(leftovers "$bridge" "$net")
  left+=$(iptables-save 2>/dev/null | grep -F -- "10.89.0." | sed 's/^/iptables rule left: /')
  [[ -z $left ]] || die "leftovers after the containers were removed:"$'\n'"$left"
  out=$("${podman[@]}" network rm "$net" 2>&1) || die "podman network rm: $out"
  log "podman: run, ping, rm ok; nothing left"
}

if [[ ${1:-} == --inside ]]; then
  inside "$2" "$3"
  exit $?
fi

((EUID == 0)) || die "needs root (network and mount namespaces)"
check_plugins_present
for tool in podman runc conmon; do
  command -v "$tool" >/dev/null || die "$tool missing: run setup-clients.sh"
done
[[ -x /bin/busybox ]] || die "/bin/busybox missing: apt-get install busybox-static"

workdir=$(mktemp -d /tmp/cnbk-podman.XXXXXX)
cgparent=/cnbk-$$-podman
cleanup_outside() {
  cleanup_node_netns
  # The per-run cgroup parent in each hierarchy runc/conmon used, deepest first (empty by now).
  local h
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [[ -d $h${cgparent#/} ]] && find "$h${cgparent#/}" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$workdir"
}
trap cleanup_outside EXIT
trap "exit 1" INT TERM HUP  # so the EXIT trap runs on signals too
write_podman_config "$workdir"
new_node_netns node
in_sandbox "$node" bash "$clients_dir/podman-check.sh" --inside "$workdir" "$cgparent" || die "podman failed"
log "podman: pass ($cni_path)"
