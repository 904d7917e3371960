#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The kubelet's call path: containerd's CRI plugin (Debian's containerd 1.6) turns
# RunPodSandbox / StopPodSandbox / RemovePodSandbox from our CRI v1 client (cri-client/) into
# the CNI calls, with its own netns handling, CNI_ARGS, capabilities, result cache and
# teardown order. The conflist is containerd's default (configs/10-containerd-net.conflist,
# unchanged); bridge + host-local are $CNB_PLUGIN_DIR's, loopback + portmap the reference's.
# The sandboxes run the local pause image (pause/), imported with `ctr images import`.
#
# Checks what a kubelet relies on: the sandbox status (metadata, labels, annotations, the pod
# IPs), the IPs on the pod's eth0, hostname / DNS / security context applied, the veth's peer
# on cni0 in the node netns, the node pinging the pod over IPv4 and IPv6, portmap's DNAT for
# the hostPort pointing at the pod, 8 sandboxes started at once getting distinct IPs, and after
# Stop + Remove nothing left. Then it times Run/Stop/Remove for ours, the reference and
# hostNetwork pods, alternating in one containerd run, and prints the medians.
#
# Isolation: a throwaway node netns; containerd runs inside it in a private mount namespace
# AND a private PID namespace (unshare -m -p -f --kill-child), so containerd, its shims and
# every pause process die with the check. In there /run is a private tmpfs (containerd's state
# and socket, shim sockets, runc state, /run/netns/cni-*), /var/lib is a temp dir (containerd's
# root, /var/lib/cni), /sys is the node netns' sysfs with the cgroup mounts re-attached;
# sandboxes go under a cgroup parent of this run's own, removed at the end.
#
#   conformance/clients/cri-check.sh                      ours
#   CNB_PLUGIN_DIR=/usr/lib/cni conformance/clients/cri-check.sh   the reference
#   CNB_CRI_CYCLES=20 ...                                 timed cycles per kind (default 15)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

image=localhost/cnb/pause:1
net=containerd-net
bridge=cni0
hostport=18091
cycles=${CNB_CRI_CYCLES:-15}

write_containerd_config() {  # write_containerd_config WORKDIR
  local work=$1
  cat >"$work/config.toml" <<EOF
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$work/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$image"
  # The machine withholds CAP_SYS_RESOURCE: no raising a container's oom_score_adj.
  restrict_oom_score_adj = true
  # No AppArmor on this kernel.
  disable_apparmor = true
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$work/cni-bin"
    conf_dir = "$work/net.d"
    max_conf_num = 1

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
EOF
}

# containerd 1.6 takes one bin_dir: a dir of symlinks, bridge + host-local to KIND's plugins
# (ours or the reference), everything else (loopback, portmap, ...) to the reference package.
# Each link is replaced by rename, so switching between timed cycles is atomic.
link_plugins() {  # link_plugins WORKDIR ours|ref
  local dir=$1/cni-bin src p
  mkdir -p "$dir"
  for p in "$CNB_REF_DIR"/*; do
    [[ -e $dir/$(basename "$p") ]] || ln -s "$p" "$dir/$(basename "$p")"
  done
  src=$CNB_REF_DIR
  [[ $2 == ours ]] && src=$CNB_PLUGIN_DIR
  for p in bridge host-local; do
    ln -sfn "$src/$p" "$dir/.$p.new"
    mv -T "$dir/.$p.new" "$dir/$p"
  done
}

inside() {
  local work=$1
  cgparent=$2
  # --- the sandbox's mounts (PID 1 of a fresh PID namespace, private mount namespace) ------
  local hold
  hold=$(mktemp -d /tmp/cnbk-cg.XXXXXX)
  mount --rbind /sys/fs/cgroup "$hold" || die "bind cgroup"
  mount -t sysfs -o nosuid,nodev,noexec sysfs /sys || die "mount sysfs"
  mount --move "$hold" /sys/fs/cgroup || die "re-attach cgroup"
  rmdir "$hold"
  mount -t tmpfs -o mode=755 tmpfs /run || die "tmpfs /run"
  mkdir -p "$work/varlib"
  mount --bind "$work/varlib" /var/lib || die "bind /var/lib"
  [[ -d /etc/cni ]] && mount -t tmpfs -o mode=755 tmpfs /etc/cni
  mkdir -p /run/netns "$work/logs"

  # Globals, not locals: the EXIT trap runs after inside() has returned.
  sock=/run/containerd/containerd.sock client=$CNB_CLIENTS_CACHE/cri-client
  cri() { "$client" -addr "$sock" "$@"; }
  ctr_() { ctr --address "$sock" -n k8s.io "$@"; }
  containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
  cpid=$!
  # shellcheck disable=SC2317 # called from the EXIT trap
  stop_containerd() {
    kill -TERM "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
  }
  fail_with_log() {
    log "containerd log (last 30 lines):"
    tail -30 "$work/containerd.log" | sed 's/^/    containerd| /' >&2
    die "$*"
  }
  local out ver
  ver=$(cri version 2>&1) || fail_with_log "containerd's CRI did not answer: $ver"
  log "runtime: $ver"
  out=$(ctr_ images import --snapshotter overlayfs "$CNB_CLIENTS_CACHE/pause.tar" 2>&1) ||
    fail_with_log "ctr images import: $out"
  [[ $(ctr_ images ls -q) == *"$image"* ]] || fail_with_log "imported image is not named $image"

  # A sandbox the check created is stopped and removed even when a check fails.
  started=()
  # shellcheck disable=SC2317 # the EXIT trap
  cleanup_inside() {
    local s
    for s in "${started[@]}"; do
      cri stop -id "$s" >/dev/null 2>&1
      cri remove -id "$s" >/dev/null 2>&1
    done
    stop_containerd
  }
  trap cleanup_inside EXIT
  trap "exit 1" INT TERM HUP

  # --- one pod as a kubelet asks for it ------------------------------------------------------
  local pod=cnb-a podns=cnb-check id
  out=$(cri run -name "$pod" -namespace "$podns" -uid 0d5e1f2a-0000-4000-8000-00000000000a \
    -attempt 1 -hostname "$pod-host" -hostport "$hostport" -cgroup-parent "$cgparent" \
    -log-dir "$work/logs/$pod" 2>&1) || fail_with_log "RunPodSandbox $pod: $out"
  id=${out#ID }
  started+=("$id")
  local st
  st=$(cri status -id "$id") || die "PodSandboxStatus $id"
  # The status must carry back what was asked, and one address per family.
  local vars
  vars=$("$py" - "$st" <<'EOF'
import ipaddress, json, shlex, sys
s = json.loads(sys.argv[1])
def need(ok, what):
    if not ok:
        print(f"die {shlex.quote('status: ' + what + ': ' + sys.argv[1])}")
        sys.exit(0)
need(s["state"] == "SANDBOX_READY", "not SANDBOX_READY")
need((s.get("name"), s.get("namespace"), s.get("uid"), s.get("attempt")) ==
     ("cnb-a", "cnb-check", "0d5e1f2a-0000-4000-8000-00000000000a", 1), "metadata differs")
need(s["labels"].get("app") == "cnb-check" and s["labels"].get("io.kubernetes.pod.name") == "cnb-a",
     "labels differ")
need(s["annotations"].get("cnb.example/check") == "cri", "annotations differ")
need(s.get("network_mode", "POD") == "POD", "network mode not POD")
ips = [ipaddress.ip_address(a) for a in s["ips"]]
v4 = [a for a in ips if a.version == 4]
v6 = [a for a in ips if a.version == 6]
need(len(v4) == 1 and v4[0] in ipaddress.ip_network("10.88.0.0/16"), "no single IPv4 in 10.88.0.0/16")
need(len(v6) == 1 and v6[0] in ipaddress.ip_network("2001:4860:4860::/64"), "no single IPv6 in 2001:4860:4860::/64")
need(ips[0].version == 4, "primary IP is not the IPv4 one")
need(s.get("pid", 0) > 0, "no sandbox pid in the verbose status")
print(f"ip4={v4[0]} ip6={v6[0]} pid={s['pid']} netns={shlex.quote(s.get('netns', ''))}")
EOF
)
  [[ $vars == die* ]] && die "${vars#die }"
  local ip4 ip6 pid netns
  eval "$vars"
  log "RunPodSandbox $pod -> $id: status READY, metadata/labels/annotations as sent, IPs $ip4 $ip6"

  # The IPs the status reports are on the pod's eth0 (the pause process's network namespace).
  local eth0
  eth0=$(nsenter --net="/proc/$pid/ns/net" ip -o addr show dev eth0) || die "pod has no eth0"
  [[ $eth0 == *" $ip4/16 "* ]] || die "pod eth0 lacks $ip4/16: $eth0"
  [[ $eth0 == *" $ip6/64 "* ]] || die "pod eth0 lacks $ip6/64: $eth0"
  [[ $netns == /var/run/netns/cni-* || $netns == /run/netns/cni-* ]] || die "sandbox netns '$netns' not a CNI netns pin"
  [[ /proc/$pid/ns/net -ef $netns ]] || die "pause process is not in $netns"
  # The veth's peer is on cni0 in the node netns.
  local link peer
  link=$(nsenter --net="/proc/$pid/ns/net" ip -o link show dev eth0)
  peer=$(sed -nE 's/^[0-9]+: eth0@if([0-9]+):.*/\1/p' <<<"$link")
  [[ -n $peer ]] || die "cannot read eth0's peer index: $link"
  [[ $(ip -o link show | awk -F': ' -v i="$peer" '$1 == i') == *" master $bridge "* ]] ||
    die "eth0's peer (ifindex $peer) is not a port of $bridge: $(ip -o link show | awk -F': ' -v i="$peer" '$1 == i')"
  log "pod eth0 has $ip4/16 and $ip6/64; its peer (ifindex $peer) is on $bridge in the node netns"

  # hostname, DNS and security context as asked.
  [[ $(nsenter --uts="/proc/$pid/ns/uts" hostname) == "$pod-host" ]] || die "sandbox hostname is not $pod-host"
  local resolv=/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/$id/resolv.conf
  if ! grep -qx 'nameserver 10.96.0.10' "$resolv" ||
    ! grep -qx 'search cnb-check.svc.cluster.local svc.cluster.local cluster.local' "$resolv" ||
    ! grep -qx 'options ndots:5' "$resolv"; then
    die "sandbox resolv.conf is not the DNS config sent: $(cat "$resolv" 2>&1)"
  fi
  local pstat
  pstat=$(cat "/proc/$pid/status")
  if ! grep -qE '^Uid:\s+65535\s' <<<"$pstat" || ! grep -qE '^Gid:\s+65535\s' <<<"$pstat"; then
    die "pause does not run as 65535:65535"
  fi
  grep -qE '^Seccomp:\s+2' <<<"$pstat" || die "pause has no seccomp filter (RuntimeDefault asked)"
  grep -qE '^NSpid:\s+[0-9]+\s+1$' <<<"$pstat" || die "pause is not PID 1 of its own PID namespace"
  [[ $(awk '$5 == "/" {print $6}' "/proc/$pid/mountinfo") == ro* ]] || die "sandbox rootfs is not read-only"
  grep -q ":$cgparent/" "/proc/$pid/cgroup" || die "sandbox not under cgroup parent $cgparent"
  log "hostname, resolv.conf, uid/gid 65535, seccomp, own PID ns, read-only rootfs, cgroup parent: as asked"

  # The node reaches the pod over both families (IPv6 may still be in DAD for a moment).
  ping -c1 -W3 "$ip4" >/dev/null || die "node cannot ping the pod at $ip4"
  local t
  for t in 1 2 3 4 5 6; do
    ping -6 -c1 -W1 "$ip6" >/dev/null && break
    ((t == 6)) && die "node cannot ping the pod at $ip6"
    sleep 0.5
  done
  log "node pings the pod at $ip4 and $ip6"

  # portmap's DNAT for the hostPort points at the pod (v4 and v6).
  local nat
  nat=$(iptables-save -t nat)
  grep -qE -- "-A CNI-DN-[0-9a-f]+ .*--dport $hostport -j DNAT --to-destination $ip4:80\$" <<<"$nat" ||
    die "no DNAT of hostPort $hostport to $ip4:80:"$'\n'"$(grep -- "$hostport" <<<"$nat")"
  nat=$(ip6tables-save -t nat 2>/dev/null)
  grep -qE -- "-A CNI-DN-[0-9a-f]+ .*--dport $hostport -j DNAT --to-destination \[$ip6\]:80\$" <<<"$nat" ||
    die "no DNAT of hostPort $hostport to [$ip6]:80:"$'\n'"$(grep -- "$hostport" <<<"$nat")"
  log "portmap: hostPort $hostport DNATs to $ip4:80 and [$ip6]:80"

  # --- 8 sandboxes started at once get distinct addresses -----------------------------------
  out=$(cri run-many -n 8 -name cnb-many -namespace "$podns" -cgroup-parent "$cgparent" -log-dir "$work/logs/many" 2>&1)
  local rc=$? line
  local -a many_ids=() all_ips=("$ip4" "$ip6")
  while read -r line; do
    [[ $line == ID\ * ]] || continue
    read -r _ id rest <<<"$line"
    many_ids+=("$id")
    started+=("$id")
    # shellcheck disable=SC2206 # two addresses, split on purpose
    all_ips+=($rest)
  done <<<"$out"
  ((rc == 0)) || fail_with_log "8 RunPodSandbox at once: $out"
  ((${#many_ids[@]} == 8)) || die "expected 8 sandboxes, got ${#many_ids[@]}: $out"
  ((${#all_ips[@]} == 18)) || die "expected 2 addresses per sandbox: $out"
  local dups
  dups=$(printf '%s\n' "${all_ips[@]}" | sort | uniq -d)
  [[ -z $dups ]] || die "addresses handed out twice: $dups"
  local ports
  ports=$(ip -o link show master "$bridge" | wc -l)
  ((ports == 9)) || die "$bridge has $ports ports, expected 9"
  log "8 sandboxes at once: 16 distinct addresses, $bridge has 9 ports"

  # --- Stop + Remove leaves nothing ---------------------------------------------------------
  local s
  for s in "${started[@]}"; do
    out=$(cri stop -id "$s" 2>&1) || fail_with_log "StopPodSandbox $s: $out"
    out=$(cri remove -id "$s" 2>&1) || fail_with_log "RemovePodSandbox $s: $out"
  done
  started=()
  check_nothing_left "after Stop + Remove" "${all_ips[@]}"
  log "Stop + Remove of 9 sandboxes: no veth, no reservation, no NAT chain, no netns, no result cache"

  # --- timings: ours, the reference and hostNetwork pods, alternating in this one run ------------
  local -a kinds=(ours ref host)
  [[ $CNB_PLUGIN_DIR -ef $CNB_REF_DIR ]] && kinds=(ref host)
  local i k j n=${#kinds[@]}
  : >"$work/times"
  for ((i = 0; i <= cycles; i++)); do
    for ((j = 0; j < n; j++)); do
      k=${kinds[(i + j) % n]}  # a different kind goes first in each round
      local -a extra=()
      if [[ $k == host ]]; then extra=(-hostnet); else link_plugins "$work" "$k"; fi
      out=$(cri cycle -name "t-$k-$i" -namespace "$podns" -cgroup-parent "$cgparent" \
        -log-dir "$work/logs/t" "${extra[@]}" 2>&1) || fail_with_log "timed cycle $k $i: $out"
      # Round 0 is a warm-up (the first ADD of a kind may create the bridge and chains).
      ((i > 0)) && echo "$k ${out#MS }" >>"$work/times"
    done
  done
  link_plugins "$work" ours
  check_nothing_left "after $((cycles + 1)) timed cycles per kind"
  "$py" - "$work/times" "$cycles" "$CNB_PLUGIN_DIR" "$CNB_REF_DIR" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    k, *v = line.split()
    rows.setdefault(k, []).append([float(x) for x in v])
names = {"ours": f"ours ({sys.argv[3]})", "ref": f"reference ({sys.argv[4]})",
         "host": "hostNetwork pods (no CNI)"}
print(f"median ms per sandbox over {sys.argv[2]} cycles each, alternating in one containerd run:")
print("| plugins | RunPodSandbox | StopPodSandbox | RemovePodSandbox |")
print("|---|---:|---:|---:|")
for k in ("ours", "ref", "host"):
    if k in rows:
        m = [statistics.median(c) for c in zip(*rows[k])]
        print(f"| {names[k]} | {m[0]:.0f} ms | {m[1]:.0f} ms | {m[2]:.0f} ms |")
EOF
}

# Leftovers in the node netns and this mount namespace; dies listing them.
check_nothing_left() {  # check_nothing_left WHEN [POD_IP...]
  local when=$1 left a
  shift
  left=$(cri list)
  [[ -z $left ]] && left=$(leftovers "$bridge" "$net")
  for a in "$@"; do
    left+=$(iptables-save 2>/dev/null | grep -F -- "$a" | sed 's/^/iptables rule left: /')
    left+=$(ip6tables-save 2>/dev/null | grep -F -- "$a" | sed 's/^/ip6tables rule left: /')
  done
  # portmap's per-sandbox chain is CNI-DN-<21 hex> (28 characters in all), which the shared
  # leftovers() pattern does not match: looked for here.
  left+=$(iptables-save -t nat 2>/dev/null | grep -E '^:CNI-DN-[0-9a-f]+ ' | sed 's/^/iptables chain left: /')
  left+=$(ip6tables-save -t nat 2>/dev/null | grep -E '^:CNI-DN-[0-9a-f]+ ' | sed 's/^/ip6tables chain left: /')
  left+=$(find /run/netns -mindepth 1 2>/dev/null | sed 's/^/netns left: /')
  left+=$(find /sys/fs/cgroup/*/"${cgparent#/}" -mindepth 1 -type d 2>/dev/null | sed 's/^/cgroup left: /')
  left+=$(grep -lx pause /proc/[0-9]*/comm 2>/dev/null | sed 's/^/pause process left: /')
  [[ -z $left ]] || die "leftovers $when:"$'\n'"$left"
}

if [[ ${1:-} == --inside ]]; then
  inside "$2" "$3"
  exit $?
fi

((EUID == 0)) || die "needs root (network, mount and PID namespaces)"
check_plugins_present
for tool in containerd ctr runc containerd-shim-runc-v2; do
  command -v "$tool" >/dev/null || die "$tool missing: run setup-clients.sh"
done
for f in cri-client pause.tar; do
  [[ -e $CNB_CLIENTS_CACHE/$f ]] || die "no $f in $CNB_CLIENTS_CACHE: run setup-clients.sh"
done

workdir=$(mktemp -d /tmp/cnbk-cri.XXXXXX)
cgparent=/cnbk-$$-cri
cleanup_outside() {
  cleanup_node_netns
  # The cgroup parent in every hierarchy runc used, deepest first (empty once the PID
  # namespace is gone: its processes were killed with it).
  local h
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [[ -d $h${cgparent#/} ]] && find "$h${cgparent#/}" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$workdir"
}
trap cleanup_outside EXIT
trap "exit 1" INT TERM HUP  # so the EXIT trap runs on signals too
write_containerd_config "$workdir"
link_plugins "$workdir" ours
mkdir -p "$workdir/net.d"
cp "$clients_dir/configs/10-containerd-net.conflist" "$workdir/net.d/"
new_node_netns node
nsenter --net="/run/netns/$node" -- \
  unshare --mount --propagation private --pid --fork --kill-child --mount-proc -- \
  bash "$clients_dir/cri-check.sh" --inside "$workdir" "$cgparent" || die "containerd CRI failed"
log "cri: pass ($CNB_PLUGIN_DIR + $CNB_REF_DIR)"
