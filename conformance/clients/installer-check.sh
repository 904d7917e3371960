#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The installer image and the DaemonSet, tested without a cluster:
#  1. deploy/build-image.sh lays out the build context from build/bin (the binaries
#     scripts/setup.sh built, unchanged) and podman builds the FROM scratch Dockerfile offline;
#  2. deploy/daemonset.yaml is parsed (python3-yaml) and checked for what a CNI DaemonSet needs
#     (host network, tolerate every taint, hostPath /opt/cni/bin and /etc/cni/net.d, the node
#     name from the downward API, the image tag of this build);
#  3. the image runs with exactly the manifest's init container (image, command, args, env,
#     mounts, security context), hostPaths mapped to a temp "node" that has the Go plugins
#     installed, as kubernetes-cni leaves them: binaries (byte-identical, 0755, atomically
#     renamed, the Go plugins kept for rollback), the conflist (JSON, the node's CIDRs, 0644),
#     idempotence, refusal to overwrite a different conflist, FORCE=1, clear errors for bad input
#     with nothing changed, and the main container stopping on SIGTERM;
#  4. rollback and forward again with live pods (cnitool on the installed conflist, in a node
#     netns): pods added by ours are deleted by the Go plugins after `rollback`, pods added by
#     the Go plugins are deleted by ours after reinstalling, and nothing is left.
# Isolation as podman-check.sh: node netns + private mount namespace (lib.sh), podman storage,
# runroot, runc state and config in a temp dir, containers under this run's own cgroup parent.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

manifest=$repo_root/deploy/daemonset.yaml
node_name="node-1.example"
cidrs=10.244.1.0/24,fd00:10:244:1::/64

# manifest_run CONTAINER NODE_ROOT CONFIGMAPS [NAME=VALUE | --args=ARGS]...: the podman run
# arguments (NUL separated) for CONTAINER (an init container's or container's name) of the
# DaemonSet: its security context, env (fieldRef spec.nodeName -> $node_name; extra NAME=VALUE
# set, as a `kubectl set env` would), mounts (hostPath P -> NODE_ROOT/P, configMap N ->
# CONFIGMAPS/N), --entrypoint from command, then the image and args (or ARGS).
manifest_run() {
  "$py" - "$manifest" "$node_name" "$@" <<'EOF'
import json, os, re, sys
import yaml
path, node, name, root, cms, *extra = sys.argv[1:]
spec = yaml.safe_load(open(path))["spec"]["template"]["spec"]
cs = {c["name"]: c for c in spec.get("initContainers", []) + spec["containers"]}
c = cs[name]
vols = {v["name"]: v for v in spec["volumes"]}
args = []
sc = c.get("securityContext", {})
if "runAsUser" in sc:
    args += ["--user", str(sc["runAsUser"])]
if sc.get("readOnlyRootFilesystem"):
    args += ["--read-only"]
if sc.get("allowPrivilegeEscalation") is False:
    args += ["--security-opt", "no-new-privileges"]
for cap in sc.get("capabilities", {}).get("drop", []):
    args += ["--cap-drop", cap]
for cap in sc.get("capabilities", {}).get("add", []):
    args += ["--cap-add", cap]
env = {}
def expand(v):  # the kubelet's $(VAR) references to earlier variables; $$ escapes
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), v)
for e in c.get("env", []):
    if "value" in e:
        env[e["name"]] = expand(str(e["value"]))
    elif e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName":
        env[e["name"]] = node
    else:
        sys.exit(f"env {e['name']}: only value and fieldRef spec.nodeName are emulated")
cargs = [str(a) for a in c.get("args", [])]
for kv in extra:
    if kv.startswith("--args="):  # the same container with other arguments (rollback)
        cargs = kv[len("--args="):].split()
        continue
    k, v = kv.split("=", 1)
    env[k] = v
for k, v in env.items():
    args += ["--env", f"{k}={v}"]
for m in c.get("volumeMounts", []):
    v = vols[m["name"]]
    if "hostPath" in v:
        src = root + v["hostPath"]["path"]
        if v["hostPath"].get("type") == "DirectoryOrCreate":
            os.makedirs(src, exist_ok=True)
    elif "configMap" in v:
        src = os.path.join(cms, v["configMap"]["name"])
    else:
        sys.exit(f"volume {m['name']}: only hostPath and configMap are emulated")
    args += ["--volume", src + ":" + m["mountPath"] + (":ro" if m.get("readOnly") else "")]
if "command" in c:
    args += ["--entrypoint", json.dumps(c["command"])]
args += [c["image"]] + cargs
sys.stdout.write("\0".join(args) + "\0")
EOF
}

# The manifest's promises that no run can show: prints problems, nothing when fine.
check_manifest() {  # check_manifest IMAGE
  "$py" - "$manifest" "$1" <<'EOF'
import sys, yaml
path, image = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
def bad(msg): print(msg)
if len(docs) != 1 or docs[0].get("kind") != "DaemonSet" or docs[0].get("apiVersion") != "apps/v1":
    bad("not exactly one apps/v1 DaemonSet"); sys.exit()
ds = docs[0]
sel = ds["spec"]["selector"]["matchLabels"]
tmpl = ds["spec"]["template"]
if any(tmpl["metadata"]["labels"].get(k) != v for k, v in sel.items()):
    bad("selector does not match the pod template's labels")
spec = tmpl["spec"]
if spec.get("hostNetwork") is not True:
    bad("hostNetwork is not true: the pod would need the network it installs")
if {"operator": "Exists"} not in spec.get("tolerations", []):
    bad("no toleration {operator: Exists}: tainted and NotReady nodes would get no plugin")
inits = spec.get("initContainers", [])
if [c["name"] for c in inits] != ["install-cni"]:
    bad("expected one init container, install-cni")
for c in inits + spec["containers"]:
    if c.get("image") != image:
        bad(f"{c['name']}: image {c.get('image')}, expected this build's {image}")
    if c.get("command") != ["/bin/sh", "/install-cni.sh"]:
        bad(f"{c['name']}: command {c.get('command')} is not the installer")
vols = {v["name"]: v for v in spec["volumes"]}
init = inits[0] if inits else {}
mounts = {m["mountPath"]: vols.get(m["name"], {}) for m in init.get("volumeMounts", [])}
for mp, hp in (("/host/opt/cni/bin", "/opt/cni/bin"), ("/host/etc/cni/net.d", "/etc/cni/net.d")):
    if mounts.get(mp, {}).get("hostPath", {}).get("path") != hp:
        bad(f"install-cni: {mp} is not the hostPath {hp}")
env = {e["name"]: e for e in init.get("env", [])}
if env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != "spec.nodeName":
    bad("install-cni: NODE_NAME is not the downward API's spec.nodeName")
if "POD_CIDRS_DIR" not in env or not any(m["mountPath"] == env["POD_CIDRS_DIR"].get("value")
                                         for m in init.get("volumeMounts", [])):
    bad("install-cni: POD_CIDRS_DIR is not a mounted directory")
if init.get("args") != ["install"]:
    bad(f"install-cni: args {init.get('args')}, expected ['install']")
EOF
}

inside() {
  local work=$1 cgparent=$2
  local ctx=$work/ctx node=$work/node cms=$work/configmaps out rc
  export CONTAINERS_CONF=$work/containers.conf CONTAINERS_STORAGE_CONF=$work/storage.conf
  podman=(podman --root "$work/root" --runroot "$work/runroot" --runtime-flag "root=$work/runc")
  # shellcheck disable=SC2317 # the EXIT trap
  cleanup_inside() { "${podman[@]}" rm -f -t 0 -a >/dev/null 2>&1; }
  trap cleanup_inside EXIT
  trap "exit 1" INT TERM HUP

  # --- 1. the image ---------------------------------------------------------------------------
  out=$(CNB_PLUGIN_DIR=$CNB_PLUGIN_DIR "$repo_root/deploy/build-image.sh" --context "$ctx" 2>&1) ||
    die "build context: $out"
  local ident version image
  ident=$(cat "$ctx/BUILD_IDENT")
  version=$(awk '{print $2}' <<<"$ident")
  image=localhost/cni-bridge:$version
  local t0=$SECONDS
  out=$("${podman[@]}" build --build-arg "BUILD_IDENT=$ident" -t "$image" -f "$ctx/Dockerfile" "$ctx" 2>&1) ||
    die "podman build: $out"
  [[ $("${podman[@]}" image inspect -f '{{index .Labels "io.cni-bridge.build"}}' "$image") == "$ident" ]] ||
    die "image label io.cni-bridge.build is not '$ident'"
  log "podman build (FROM scratch, offline) -> $image in $((SECONDS - t0))s; binaries: $ident"

  # --- 2. the manifest ------------------------------------------------------------------------
  out=$(check_manifest "$image") || die "cannot parse $manifest: $out"
  [[ -z $out ]] || die "deploy/daemonset.yaml:"$'\n'"$out"
  log "daemonset.yaml: one DaemonSet, hostNetwork, tolerates everything, hostPaths, NODE_NAME, image $image"

  # --- 3. the init container, as the manifest runs it ---------------------------------------------
  # A node as kubeadm leaves it: the Go plugins (kubernetes-cni / containernetworking-plugins)
  # in /opt/cni/bin, an empty /etc/cni/net.d; the ConfigMap with this node's CIDRs.
  mkdir -p "$node/opt/cni/bin" "$node/etc/cni/net.d" "$cms/cni-bridge-pod-cidrs"
  cp -p "$CNB_REF_DIR"/* "$node/opt/cni/bin/"
  echo "$cidrs" >"$cms/cni-bridge-pod-cidrs/$node_name"
  # The ulimits as podman-check.sh: this machine refuses podman's default (raising) ones.
  local -a run_opts=(--rm --network none --cgroup-parent "$cgparent"
                     --ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
  run_init() {  # run_init [NAME=VALUE...]: the init container; its output in $out, status in $rc
    local -a a
    mapfile -d '' a < <(manifest_run install-cni "$node" "$cms" "$@") || die "manifest_run"
    out=$("${podman[@]}" run "${run_opts[@]}" "${a[@]}" 2>&1)
    rc=$?
  }
  run_init
  ((rc == 0)) || die "init container failed ($rc):"$'\n'"$out"
  printf '%s\n' "$out" | sed 's/^/    install-cni| /' >&2
  local b conf=$node/etc/cni/net.d/10-cni-bridge.conflist
  for b in bridge host-local; do
    cmp -s "$ctx/cni/$b" "$node/opt/cni/bin/$b" || die "installed $b differs from build/bin's"
    [[ $(stat -c %a "$node/opt/cni/bin/$b") == 755 ]] || die "installed $b is not mode 0755"
    cmp -s "$CNB_REF_DIR/$b" "$node/opt/cni/bin/.cni-bridge-orig/$b" || die "the Go $b was not kept for rollback"
  done
  [[ -z $(find "$node" -name '*.tmp.*' -o -name '*.new.*') ]] || die "temp files left: $(find "$node" -name '*.tmp.*' -o -name '*.new.*')"
  [[ $(stat -c %a "$conf") == 644 ]] || die "conflist is not mode 0644"
  out=$("$py" - "$conf" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
b = c["plugins"][0]
want = {"cniVersion": "1.0.0", "name": "cni-bridge"}
got = {k: c.get(k) for k in want}
assert got == want, got
assert [p["type"] for p in c["plugins"]] == ["bridge", "portmap"], c["plugins"]
assert c["plugins"][1]["capabilities"] == {"portMappings": True}
assert (b["bridge"], b["isGateway"], b["ipMasq"], b["hairpinMode"]) == ("cni0", True, True, True), b
assert "mtu" not in b
assert b["ipam"] == {"type": "host-local",
                     "ranges": [[{"subnet": "10.244.1.0/24"}], [{"subnet": "fd00:10:244:1::/64"}]],
                     "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]}, b["ipam"]
print("ok")
EOF
  ) || die "conflist content: $out"$'\n'"$(cat "$conf")"
  log "init container: bridge + host-local 0755 and byte-identical to build/bin, Go plugins kept, conflist JSON as expected (0644)"

  # Idempotent: the second run changes nothing (same inodes).
  local inodes
  inodes=$(stat -c %i "$node/opt/cni/bin/bridge" "$node/opt/cni/bin/host-local" "$conf")
  run_init
  ((rc == 0)) || die "second run failed ($rc): $out"
  [[ $(stat -c %i "$node/opt/cni/bin/bridge" "$node/opt/cni/bin/host-local" "$conf") == "$inodes" ]] ||
    die "second run rewrote files: $out"
  [[ $(grep -c unchanged <<<"$out") == 3 ]] || die "second run did not report 3 files unchanged: $out"

  # Bad input: exit 2, a message naming the problem, nothing changed.
  local before case want
  before=$(cd "$node" && find . -printf '%p %i %m %s\n' | sort)
  for case in "POD_CIDR=10.244.1.5/24|host bits set; the network is 10.244.1.0/24" \
    "POD_CIDR=10.244.1.0|is not a CIDR" \
    "POD_CIDR=fd00:10:244:1::/64,fd00:1::/64|two IPv6 pod CIDRs" \
    "MTU=12|MTU=12: expected 576..65535" \
    "BRIDGE=a-very-long-bridge-name|longer than 15 characters" \
    "NODE_NAME=node-without-cidr|no pod CIDR for node 'node-without-cidr'" \
    "IP_MASQ=yes|IP_MASQ=yes: expected true or false"; do
    want=${case#*|}
    run_init "${case%%|*}"
    ((rc == 2)) || die "${case%%|*}: exit $rc, expected 2: $out"
    [[ $out == *"$want"* ]] || die "${case%%|*}: message lacks '$want': $out"
  done
  [[ $(cd "$node" && find . -printf '%p %i %m %s\n' | sort) == "$before" ]] || die "a run with bad input changed the node"
  log "second run: 3 files unchanged; 7 kinds of bad input: exit 2, clear message, nothing changed"

  # The main container stays up and stops at once on SIGTERM.
  local -a a
  mapfile -d '' a < <(manifest_run sleep "$node" "$cms") || die "manifest_run sleep"
  out=$("${podman[@]}" run -d "${run_opts[@]:1}" --name cnb-sleep "${a[@]}" 2>&1) ||
    die "main container: $out"
  sleep 1
  [[ $("${podman[@]}" inspect -f '{{.State.Running}}' cnb-sleep) == true ]] || die "main container exited"
  t0=$(date +%s%N)
  "${podman[@]}" stop -t 10 cnb-sleep >/dev/null || die "podman stop"
  local stop_ms=$((($(date +%s%N) - t0) / 1000000))
  [[ $("${podman[@]}" inspect -f '{{.State.ExitCode}}' cnb-sleep) == 0 ]] || die "main container did not exit 0 on SIGTERM"
  ((stop_ms < 5000)) || die "main container took ${stop_ms} ms to stop (SIGTERM ignored?)"
  "${podman[@]}" rm cnb-sleep >/dev/null
  log "main container (sleep, uid 65534, read-only) runs and exits 0 on SIGTERM in ${stop_ms} ms"

  # --- 4. rollback and forward with live pods ----------------------------------------------------
  local -A ip=()
  cni() {  # cni add|del POD: cnitool on the node's installed plugins and conflist
    CNI_PATH=$node/opt/cni/bin NETCONFPATH=$node/etc/cni/net.d "$CNB_CLIENTS_CACHE/cnitool" "$1" cni-bridge "/run/netns/$2"
  }
  add_pod() {
    ip netns add "$1" || die "ip netns add $1"
    out=$(cni add "$1" 2>&1) || die "ADD $1 ($2): $out"
    ip[$1]=$("$py" -c 'import json,sys; print([i["address"].split("/")[0] for i in json.load(sys.stdin)["ips"] if "." in i["address"]][0])' <<<"$out")
    [[ ${ip[$1]} == 10.244.1.* ]] || die "$1: address ${ip[$1]} not in 10.244.1.0/24"
    ping -c1 -W3 "${ip[$1]}" >/dev/null || die "node cannot ping $1 at ${ip[$1]}"
  }
  del_pod() {
    out=$(cni del "$1" 2>&1) || die "DEL $1 ($2): $out"
    ip netns del "$1"
    [[ ! -e /var/lib/cni/networks/cni-bridge/${ip[$1]} ]] || die "$1's reservation ${ip[$1]} left after DEL by $2"
    if iptables-save -t nat | grep -qF -- "${ip[$1]}"; then die "$1's NAT rules left after DEL by $2"; fi
  }
  add_pod p1 ours
  add_pod p2 ours
  # Rollback is the same init container with the argument `rollback`.
  run_init --args=rollback
  ((rc == 0)) || die "rollback failed ($rc): $out"
  for b in bridge host-local; do
    cmp -s "$CNB_REF_DIR/$b" "$node/opt/cni/bin/$b" || die "rollback did not restore the Go $b"
  done
  del_pod p1 "the Go plugins, after rollback"
  add_pod p3 "the Go plugins"
  [[ ${ip[p3]} != "${ip[p2]}" ]] || die "the Go host-local handed out ${ip[p2]}, still held by p2"
  run_init
  ((rc == 0)) || die "reinstall failed ($rc): $out"
  cmp -s "$ctx/cni/bridge" "$node/opt/cni/bin/bridge" || die "reinstall did not put ours back"
  cmp -s "$CNB_REF_DIR/bridge" "$node/opt/cni/bin/.cni-bridge-orig/bridge" || die "reinstall overwrote the kept Go bridge"
  del_pod p2 "ours, after rollback and reinstall"
  del_pod p3 "ours"
  local left
  left=$(leftovers cni0 cni-bridge)
  left+=$(iptables-save -t nat 2>/dev/null | grep -E '^:CNI-DN-[0-9a-f]+ ' | sed 's/^/iptables chain left: /')
  [[ -z $left ]] || die "leftovers after rollback and forward:"$'\n'"$left"
  log "rollback with live pods: ours' pod deleted by the Go plugins, theirs by ours after reinstall, nothing left"

  # --- a different conflist is not replaced unless FORCE=1 -------------------------------------
  local sum
  sum=$(sha256sum "$conf")
  echo "10.244.9.0/24" >"$cms/cni-bridge-pod-cidrs/$node_name"
  run_init
  ((rc == 3)) || die "changed CIDR without FORCE: exit $rc, expected 3: $out"
  [[ $out == *"refusing to replace"*"FORCE=1"* ]] || die "no clear refusal: $out"
  [[ $(sha256sum "$conf") == "$sum" ]] || die "conflist changed although the installer refused"
  run_init FORCE=1
  ((rc == 0)) || die "FORCE=1 failed ($rc): $out"
  grep -q '"subnet": "10.244.9.0/24"' "$conf" || die "FORCE=1 did not write the new CIDR"
  [[ -f $node/etc/cni/net.d/.10-cni-bridge.conflist.replaced ]] || die "FORCE=1 kept no copy of the old conflist"
  log "a different conflist: refused (exit 3, untouched); FORCE=1 replaces it and keeps the old one"
}

if [[ ${1:-} == --inside ]]; then
  inside "$2" "$3"
  exit $?
fi

((EUID == 0)) || die "needs root (network and mount namespaces)"
check_plugins_present
if [[ $CNB_PLUGIN_DIR -ef $CNB_REF_DIR ]]; then
  log "skipped: the image ships cni-bridge's binaries, not the reference's ($CNB_PLUGIN_DIR)"
  exit 77
fi
for tool in podman runc conmon; do
  command -v "$tool" >/dev/null || die "$tool missing: run setup-clients.sh"
done
[[ -x /bin/busybox ]] || die "/bin/busybox missing: apt-get install busybox-static"
"$py" -c 'import yaml' 2>/dev/null || die "python3-yaml missing: run setup-clients.sh"
[[ -x $CNB_CLIENTS_CACHE/cnitool ]] || die "no cnitool in $CNB_CLIENTS_CACHE: run setup-clients.sh"

workdir=$(mktemp -d /tmp/cnbk-installer.XXXXXX)
cgparent=/cnbk-$$-installer
cleanup_outside() {
  cleanup_node_netns
  local h
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [[ -d $h${cgparent#/} ]] && find "$h${cgparent#/}" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$workdir"
}
trap cleanup_outside EXIT
trap "exit 1" INT TERM HUP
mkdir -p "$workdir"/{tmp,root,runroot,runc,net.d}
cat >"$workdir/containers.conf" <<EOF
[network]
network_config_dir = "$workdir/net.d"

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "none"
tmp_dir = "$workdir/tmp"
static_dir = "$workdir/root/libpod"
volume_path = "$workdir/root/volumes"
EOF
cat >"$workdir/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$workdir/runroot"
graphroot = "$workdir/root"
EOF
new_node_netns node
in_sandbox "$node" bash "$clients_dir/installer-check.sh" --inside "$workdir" "$cgparent" || die "installer failed"
log "installer: pass ($CNB_PLUGIN_DIR)"
