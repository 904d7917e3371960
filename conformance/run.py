#!/usr/bin/env python3
"""Side-by-side conformance runner: our bridge/host-local against the reference plugins.

Every scenario (conformance/scenarios/*.json) is run twice in the same run, once with the plugin
directory of ours and once with the reference's, each time in fresh throwaway namespaces. After
every step we record what a caller sees (exit code, stdout JSON) and what an operator sees (a
normalised snapshot of the kernel state and the IPAM files), then compare the two records field
by field. Differences listed in allowlist.json are intentional; any other one fails the run.

Standard library only. Needs root, iproute2 (`ip`) and iptables.
"""

import argparse
import concurrent.futures
import copy
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN_PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IP = shutil.which("ip") or "/usr/sbin/ip"
ABSENT = "<absent>"
STEP_TIMEOUT = 60

# --------------------------------------------------------------------------------------------
# Namespace bookkeeping: every netns we create is registered here and deleted on exit, whatever
# happens (exception, Ctrl-C, SIGTERM).

_ns_lock = threading.Lock()
_ns_counter = 0
_live_netns = set()


def new_netns(role):
    global _ns_counter
    with _ns_lock:
        _ns_counter += 1
        name = "cnbc-%d-%d-%s" % (os.getpid(), _ns_counter, role)
        _live_netns.add(name)
    subprocess.run([IP, "netns", "add", name], check=True, capture_output=True)
    return name


def delete_netns(name):
    with _ns_lock:
        if name not in _live_netns:
            return
        _live_netns.discard(name)
    subprocess.run([IP, "netns", "delete", name], capture_output=True)


def count_veths(ns):
    out = subprocess.run([IP, "-n", ns, "-j", "link", "show", "type", "veth"],
                         capture_output=True, text=True).stdout
    return len(json.loads(out)) if out.strip() else 0


def sweep_stale_netns():
    """Deletes cnbc-<pid>-* namespaces left by a runner that was killed (its pid is gone)."""
    try:
        names = os.listdir("/var/run/netns")
    except OSError:
        return
    for name in names:
        m = re.fullmatch(r"cnbc-(\d+)-\d+-.*", name)
        if m and int(m.group(1)) != os.getpid() and not os.path.exists("/proc/" + m.group(1)):
            subprocess.run([IP, "netns", "delete", name], capture_output=True)


def delete_all_netns():
    for name in list(_live_netns):
        delete_netns(name)


# --------------------------------------------------------------------------------------------
# Scenario loading and templating

def load_scenarios(directory, only):
    scenarios = []
    for fname in sorted(os.listdir(directory)):
        if not fname.endswith(".json"):
            continue
        with open(os.path.join(directory, fname)) as f:
            data = json.load(f)
        items = data if isinstance(data, list) else [data]
        for sc in items:
            sc.setdefault("name", fname[:-5])
            if only and not any(fnmatch.fnmatch(sc["name"], pat) for pat in only):
                continue
            scenarios.append(sc)
    names = [s["name"] for s in scenarios]
    dups = {n for n in names if names.count(n) > 1}
    if dups:
        raise SystemExit("duplicate scenario names: %s" % ", ".join(sorted(dups)))
    return scenarios


_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)(?::([A-Za-z0-9_]+))?\}")


def expand(value, ctx):
    """Replaces ${NETNS}, ${NETNS:pod2}, ${NODE_NETNS}, ${TMP}, ${DATADIR}, ${PLUGIN_DIR}."""
    if isinstance(value, str):
        def sub(m):
            key, arg = m.group(1), m.group(2)
            if key == "NETNS":
                return ctx.netns_path(arg or ctx.current_pod)
            if key == "NODE_NETNS":
                return "/var/run/netns/" + ctx.node
            if key == "TMP":
                return ctx.tmp
            if key == "DATADIR":
                return ctx.datadir
            if key == "PLUGIN_DIR":
                return ctx.plugin_dir
            raise ValueError("unknown placeholder " + m.group(0))
        return _PLACEHOLDER.sub(sub, value)
    if isinstance(value, list):
        return [expand(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, ctx) for k, v in value.items()}
    return value


def merge(base, override):
    """Deep merge for config overrides; a null value deletes the key."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


# --------------------------------------------------------------------------------------------
# One run of one scenario against one plugin directory

SNAPSHOT_SCRIPT = r"""
echo '@@links'; ip -j -d link show
echo '@@addrs'; ip -j addr show
echo '@@routes'; ip -j route show table all
echo '@@sys'
# One grep for all values (a fork per file would make a snapshot slow; the shell's `read`
# reads byte by byte, which procfs sysctl files do not support).
grep -H . /sys/class/net/*/addr_assign_type /proc/sys/net/ipv4/ip_forward \
  /proc/sys/net/ipv4/conf/*/arp_notify \
  /proc/sys/net/ipv6/conf/*/accept_dad /proc/sys/net/ipv6/conf/*/enhanced_dad \
  /proc/sys/net/ipv6/conf/*/disable_ipv6 /proc/sys/net/ipv6/conf/*/keep_addr_on_down \
  /proc/sys/net/ipv6/conf/*/accept_ra /proc/sys/net/ipv6/conf/*/forwarding 2>/dev/null
if [ "$1" = node ]; then
  echo '@@nsids'; ip -j netns list-id
  echo '@@nat4'; iptables-save -t nat 2>&1
  echo '@@nat6'; ip6tables-save -t nat 2>&1
fi
"""


class Run:
    """State of one scenario executed against one plugin dir (ours or reference)."""

    def __init__(self, scenario, side, plugin_dir):
        self.sc = scenario
        self.side = side
        self.plugin_dir = os.path.abspath(plugin_dir)
        self.tmp = tempfile.mkdtemp(prefix="cnbc-%d-" % os.getpid())
        self.datadir = os.path.join(self.tmp, "data")
        self.node = None
        self.pods = {}            # role -> netns name (deleted ones stay, for path rendering)
        self.deleted_pods = set()
        self.current_pod = "pod"
        self.veth_map = {}        # real veth name -> veth<N>
        self.outputs = []         # raw stdout per step (for prevResult injection)
        self.records = []
        self.configured_macs = set(m.lower() for m in
                                   re.findall(r"(?i)\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b",
                                              json.dumps(scenario)))

    # -- namespaces ------------------------------------------------------------------------
    def netns_path(self, role):
        if role not in self.pods:
            self.pods[role] = new_netns(role)
        return "/var/run/netns/" + self.pods[role]

    def live_pods(self):
        return [(r, n) for r, n in self.pods.items() if r not in self.deleted_pods]

    def cleanup(self):
        for name in list(self.pods.values()):
            delete_netns(name)
        if self.node:
            delete_netns(self.node)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ns_of(self, role):
        if role == "node":
            return self.node
        self.netns_path(role)
        return self.pods[role]

    # -- execution -------------------------------------------------------------------------
    def execute(self):
        self.node = new_netns("node")
        os.makedirs(self.datadir)
        for role in self.sc.get("pods", ["pod"]):
            self.netns_path(role)
        for rel, content in self.sc.get("files", {}).items():
            self.write_file(os.path.join(self.tmp, rel), expand(content, self))
        for i, step in enumerate(self.sc["steps"]):
            self.current_pod = step.get("pod", "pod")
            for action in step.get("setup", []):
                self.do_setup(action)
            if step.get("fanout"):
                rec = self.run_fanout(i, step)
            else:
                rec = self.run_step(i, step)
            self.records.append(rec)

    def write_file(self, path, content):
        if not os.path.abspath(path).startswith(self.tmp + "/"):
            raise ValueError("scenario file outside the temp dir: " + path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(content)

    def do_setup(self, action):
        kind = action["do"]
        if kind == "delete_netns":
            role = action.get("pod", "pod")
            pod_veths = count_veths(self.pods[role])
            node_veths = count_veths(self.node)
            delete_netns(self.pods[role])
            self.deleted_pods.add(role)
            # The kernel destroys the netns (and the veth pairs in it) from a workqueue; wait so
            # the next snapshot does not depend on how fast that ran for each implementation.
            deadline = time.monotonic() + 5
            while count_veths(self.node) > node_veths - pod_veths and time.monotonic() < deadline:
                time.sleep(0.02)
        elif kind == "ip":
            # Always scoped with -n to one of our own namespaces.
            ns = self.ns_of(action.get("ns", "pod"))
            subprocess.run([IP, "-n", ns] + expand(action["args"], self), check=True,
                           capture_output=True)
        elif kind == "write_file":
            self.write_file(expand(action["path"], self), expand(action["content"], self))
        elif kind == "sleep":
            time.sleep(action["seconds"])
        else:
            raise ValueError("unknown setup action " + kind)

    def build_invocation(self, idx, step, pod=None, cid_suffix=""):
        sc = self.sc
        if pod:
            self.current_pod = pod
        plugin = step.get("plugin", sc.get("plugin", "bridge"))
        conf = merge(sc.get("conf", {}), step.get("conf", {}))
        # The plugins match keys case-insensitively, as Go does ("IPAM", "DataDir"), so must this.
        def member(obj, key):
            return next((k for k in obj if k.lower() == key.lower()), key) if isinstance(obj, dict) else key
        ipam = conf.get(member(conf, "ipam"))
        if isinstance(ipam, dict) and (plugin == "host-local" or ipam.get(member(ipam, "type")) == "host-local"):
            # Never let a scenario touch the machine's /var/lib/cni.
            data_dir = member(ipam, "dataDir")
            ipam.setdefault(data_dir, "${DATADIR}")
            if not str(ipam[data_dir]).startswith(("${DATADIR}", "${TMP}")):
                raise ValueError("%s: dataDir must live under ${TMP}" % sc["name"])
        prev = step.get("prevResult")
        if prev is not None:
            raw = self.outputs[int(prev)] if isinstance(prev, int) else None
            conf["prevResult"] = json.loads(raw) if raw is not None else prev
        conf = expand(conf, self)
        env = {
            "PATH": PLUGIN_PATH_ENV,
            "CNI_COMMAND": step.get("cmd"),
            "CNI_CONTAINERID": step.get("containerId", sc.get("containerId", "ctr-" + sc["name"]))
            + cid_suffix,
            "CNI_NETNS": "${NETNS}",
            "CNI_IFNAME": "eth0",
            "CNI_PATH": "${PLUGIN_DIR}",
        }
        env.update(sc.get("env", {}))
        env.update(step.get("env", {}))
        env = {k: expand(v, self) for k, v in env.items() if v is not None}
        if "stdin" in step:
            stdin = expand(step["stdin"], self)
        else:
            stdin = json.dumps(conf)
        exe = os.path.join(self.plugin_dir, plugin)
        return exe, env, stdin

    def invoke(self, exe, env, stdin):
        argv = [IP, "netns", "exec", self.node, "env", "-i"]
        argv += ["%s=%s" % kv for kv in sorted(env.items())]
        argv.append(exe)
        t0 = time.monotonic()
        p = subprocess.run(argv, input=stdin.encode(), capture_output=True, env={},
                           timeout=STEP_TIMEOUT)
        dt = time.monotonic() - t0
        return p.returncode, p.stdout.decode(errors="replace"), \
            p.stderr.decode(errors="replace"), dt

    def run_step(self, idx, step):
        exe, env, stdin = self.build_invocation(idx, step)
        rc, out, err, dt = self.invoke(exe, env, stdin)
        self.outputs.append(out)
        raw_state = self.snapshot() if step.get("snapshot", True) else None
        parsed = parse_stdout(out)
        norm = Normaliser(self, raw_state, [(parsed, self.current_pod, env.get("CNI_IFNAME"))])
        rec = {"exit": rc, "stdout": norm.value(parsed)}
        if raw_state is not None:
            rec["state"] = norm.state(unordered=self.sc.get("unordered", False))
        return {"label": "%d:%s" % (idx, step.get("name", step.get("cmd") or "-")),
                "record": rec, "stderr": err, "seconds": dt, "raw_stdout": out}

    def run_fanout(self, idx, step):
        n = int(step["fanout"])
        invs, owners = [], []
        for i in range(n):
            invs.append(self.build_invocation(idx, step, pod="pod%d" % i, cid_suffix="-%d" % i))
            owners.append(("pod%d" % i, invs[-1][1].get("CNI_IFNAME")))
        with concurrent.futures.ThreadPoolExecutor(max_workers=n) as ex:
            results = list(ex.map(lambda inv: self.invoke(*inv), invs))
        self.outputs.append(None)
        raw_state = self.snapshot(pods=False)
        parsed = [parse_stdout(r[1]) for r in results]
        norm = Normaliser(self, raw_state,
                          [(p, pod, ifname) for p, (pod, ifname) in zip(parsed, owners)])
        ips, errors = [], []
        for p in parsed:
            if isinstance(p, dict):
                ips += [ip.get("address") for ip in p.get("ips", []) if isinstance(ip, dict)]
                if "code" in p:
                    errors.append("%s: %s" % (p.get("code"), norm.value(p.get("msg"))))
        rec = {"exit": sorted(r[0] for r in results),
               "stdout": {"count": len(ips), "ips": sorted(ips), "errors": sorted(errors)},
               "state": norm.state(unordered=True)}
        return {"label": "%d:%s x%d" % (idx, step.get("cmd"), n), "record": rec,
                "stderr": "".join(r[2] for r in results),
                "seconds": max(r[3] for r in results), "raw_stdout": ""}

    def label_veth(self, real, role, ifname):
        """Host veths are named after the attachment they serve: veth@<pod>[/<ifname>]."""
        if re.fullmatch(r"veth[0-9a-f]{8}", real) and real not in self.veth_map:
            label = "veth@" + role
            if ifname and ifname != "eth0":
                label += "/" + ifname
            self.veth_map[real] = label

    def veth_name(self, name):
        if re.fullmatch(r"veth[0-9a-f]{8}", name):
            if name not in self.veth_map:
                self.veth_map[name] = "veth?%d" % len(self.veth_map)
            return self.veth_map[name]
        return name

    # -- kernel snapshot ---------------------------------------------------------------------
    def snapshot(self, pods=True):
        state = {"node": self.snap_ns(self.node, "node")}
        if pods:
            for role, name in self.live_pods():
                state[role] = self.snap_ns(name, "pod")
        state["ipam"] = self.snap_files()
        return state

    def snap_ns(self, name, kind):
        p = subprocess.run([IP, "netns", "exec", name, "sh", "-c", SNAPSHOT_SCRIPT, "sh", kind],
                           capture_output=True, env={"PATH": PLUGIN_PATH_ENV}, timeout=30)
        sections, cur = {}, None
        for line in p.stdout.decode(errors="replace").splitlines():
            if line.startswith("@@"):
                cur = line[2:]
                sections[cur] = []
            elif cur:
                sections[cur].append(line)
        out = {}
        for key in ("links", "addrs", "routes"):
            text = "\n".join(sections.get(key, [])).strip()
            out[key] = json.loads(text) if text else []
        nsids = "\n".join(sections.get("nsids", [])).strip()
        out["nsids"] = json.loads(nsids) if nsids else []
        out["sys"] = {}
        for line in sections.get("sys", []):
            path, _, value = line.partition(":")
            parts = path.split("/")
            if path.startswith("/sys/class/net/"):
                key = "addr_assign_type/" + parts[4]
            elif path.startswith("/proc/sys/net/ipv4/conf/"):
                key = "ipv4/%s/%s" % (parts[6], parts[7])
            elif path.startswith("/proc/sys/net/ipv6/conf/"):
                key = "ipv6/%s/%s" % (parts[6], parts[7])
            else:
                key = "ipv4/ip_forward"
            out["sys"][key] = value
        for key in ("nat4", "nat6"):
            if key in sections:
                out[key] = sections[key]
        return out

    def snap_files(self):
        files = {}
        for root, dirs, names in os.walk(self.datadir):
            for d in dirs:
                path = os.path.join(root, d)
                rel = os.path.relpath(path, self.datadir) + "/"
                files[rel] = "mode %o" % (os.stat(path).st_mode & 0o7777)
            for n in names:
                path = os.path.join(root, n)
                rel = os.path.relpath(path, self.datadir)
                with open(path, "rb") as f:
                    content = f.read().decode(errors="replace")
                files[rel] = "mode %o %s" % (os.stat(path).st_mode & 0o7777, json.dumps(content))
        return files


def parse_stdout(out):
    text = out.strip()
    if not text:
        return ""
    try:
        return json.loads(text)
    except ValueError:
        return {"<raw>": text}


# --------------------------------------------------------------------------------------------
# Normalisation: make the records of two runs comparable

MAC_RE = re.compile(r"(?i)\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b")
LL_RE = re.compile(r"(?i)\bfe80::[0-9a-f:]+")
VETH_RE = re.compile(r"\bveth[0-9a-f]{8}\b")

LINK_SYS_KEYS = ["ipv4/%s/arp_notify", "ipv6/%s/accept_dad", "ipv6/%s/enhanced_dad",
                 "ipv6/%s/disable_ipv6", "ipv6/%s/keep_addr_on_down", "ipv6/%s/accept_ra"]


class Normaliser:
    def __init__(self, run, raw_state, results=()):
        self.run = run
        self.raw = raw_state or {}
        self.mac_label = {}        # mac -> label
        self.kernel_mac = {}       # (ns role, real name) -> mac
        self.ns_names = {}         # real netns name -> role
        self.ns_names[run.node] = "node"
        for role, name in run.pods.items():
            self.ns_names[name] = role
        # Host veth names are random: name them by the pod end they connect to, as the kernel
        # says (peer netns id + ifindex), else by the attachment whose result listed them.
        node = self.raw.get("node")
        if node:
            nsid_role = {e.get("nsid"): self.ns_names.get(e.get("name"), "?")
                         for e in node.get("nsids", [])}
            for link in node["links"]:
                if link.get("linkinfo", {}).get("info_kind") != "veth":
                    continue
                if "link_netnsid" in link:
                    role = nsid_role.get(link["link_netnsid"], "?")
                else:
                    role = "node"
                peer_links = self.raw.get(role, {}).get("links", [])
                peer = [l["ifname"] for l in peer_links if l.get("ifindex") == link.get("link_index")]
                run.label_veth(link["ifname"], role, peer[0] if peer else None)
        for parsed, pod, ifname in results:
            if isinstance(parsed, dict) and isinstance(parsed.get("interfaces"), list):
                for itf in parsed["interfaces"]:
                    if isinstance(itf, dict) and not itf.get("sandbox"):
                        run.label_veth(str(itf.get("name", "")), pod, ifname)
        self.build_mac_labels()

    def build_mac_labels(self):
        bridges = []
        for role, ns in self.raw.items():
            if role == "ipam":
                continue
            for link in ns["links"]:
                if "ifname" not in link:
                    continue
                mac = (link.get("address") or "").lower()
                self.kernel_mac[(role, link["ifname"])] = mac
                if not mac or mac == "00:00:00:00:00:00":
                    continue
                if link.get("linkinfo", {}).get("info_kind") == "bridge":
                    bridges.append((role, link, mac))
                    continue
                self.mac_label.setdefault(
                    mac, "mac(%s:%s)" % (role, self.run.veth_name(link["ifname"])))
        self.bridge_mac_label = {}
        for role, link, mac in bridges:
            # A bridge that is not pinned takes the lowest MAC of its ports: which port wins is
            # random, so only record *that* it follows a port.
            ports = [l for l in self.raw[role]["links"] if l.get("master") == link["ifname"]]
            if any((p.get("address") or "").lower() == mac for p in ports):
                self.bridge_mac_label[(role, link["ifname"])] = "mac(=a port's)"
            else:
                self.mac_label.setdefault(mac, "mac(%s:%s)" % (role, link["ifname"]))

    def mac(self, mac):
        mac = mac.lower()
        if mac == "00:00:00:00:00:00":
            return "mac(zero)"  # loopback, or an unpinned bridge that lost its last port
        if mac in self.run.configured_macs:
            return mac
        return self.mac_label.get(mac, "mac(?)")

    def string(self, s):
        run = self.run
        s = s.replace(run.tmp, "<tmp>")
        s = s.replace(run.plugin_dir, "<plugindir>")
        for real, role in sorted(self.ns_names.items(), key=lambda kv: -len(kv[0])):
            s = s.replace("/var/run/netns/" + real, "<netns:%s>" % role)
            s = s.replace("/run/netns/" + real, "<netns:%s>" % role)
            s = s.replace(real, "<netns:%s>" % role)
        s = VETH_RE.sub(lambda m: run.veth_name(m.group(0)), s)
        s = MAC_RE.sub(lambda m: self.mac(m.group(0)), s)
        s = LL_RE.sub("fe80::<ll>", s)
        return s

    def value(self, v, path=()):
        if isinstance(v, str):
            return self.string(v)
        if isinstance(v, list):
            return [self.value(x, path) for x in v]
        if isinstance(v, dict):
            out = {k: self.value(x, path + (k,)) for k, x in v.items()}
            if "interfaces" in out and isinstance(v.get("interfaces"), list):
                out["interfaces"] = [self.result_iface(i) for i in v["interfaces"]]
            return out
        return v

    def result_iface(self, itf):
        """A result interface's MAC is judged against the kernel link it names."""
        if not isinstance(itf, dict):
            return self.value(itf)
        out = {k: self.value(x) for k, x in itf.items() if k != "mac"}
        if "mac" in itf:
            mac = str(itf["mac"]).lower()
            role = "node"
            if itf.get("sandbox"):
                role = self.ns_names.get(os.path.basename(str(itf["sandbox"])), "?")
            kmac = self.kernel_mac.get((role, itf.get("name")))
            if mac in self.run.configured_macs:
                out["mac"] = mac
            elif not self.raw:
                out["mac"] = "mac(not snapshotted)"
            elif kmac is None:
                out["mac"] = "mac(link gone)"
            elif kmac == mac:
                out["mac"] = "mac(=kernel)"
            else:
                out["mac"] = "mac(stale; kernel has another)"
        return out

    def state(self, unordered=False):
        out = {}
        for role, ns in self.raw.items():
            if role == "ipam":
                continue
            out[role] = self.ns_state(role, ns, unordered)
        ipam = {}
        for rel, desc in self.raw.get("ipam", {}).items():
            ipam[rel] = self.string(desc)
        if unordered:
            # Which container got which IP depends on scheduling: keep each file's name and
            # mode, compare the contents as a multiset.
            contents = sorted(" ".join(v.split(" ")[2:]) for k, v in ipam.items()
                              if "/.index/" not in k and " " in v[5:])
            ipam = {k: " ".join(v.split(" ")[:2]) for k, v in ipam.items()}
            ipam["<contents>"] = contents
        out["ipam"] = ipam
        return out

    def ns_state(self, role, ns, unordered):
        links = {}
        sysvals = ns["sys"]
        for link in ns["links"]:
            real = link["ifname"]
            name = self.run.veth_name(real)
            info = link.get("linkinfo", {})
            flags = link.get("flags", [])
            if info.get("info_kind") == "bridge":
                # A bridge's carrier follows its ports' STP state asynchronously.
                flags = [f for f in flags if f not in ("LOWER_UP", "NO-CARRIER")]
            d = {
                "kind": info.get("info_kind", link.get("link_type")),
                "flags": sorted(flags),
                "mtu": link.get("mtu"),
                "mac": self.bridge_mac_label.get((role, real)) or self.mac(link.get("address") or ""),
                "addr_assign_type": sysvals.get("addr_assign_type/" + real),
            }
            if link.get("master"):
                d["master"] = self.run.veth_name(link["master"])
            slave = info.get("info_slave_data")
            if slave is not None:
                d["port"] = {k: slave.get(k) for k in ("hairpin", "isolated", "learning",
                                                       "flood", "state", "guard")}
            if info.get("info_kind") == "bridge":
                data = info.get("info_data", {})
                d["bridge"] = {k: data.get(k) for k in ("vlan_filtering", "stp_state")}
            for key in LINK_SYS_KEYS:
                k = key % real
                if k in sysvals:
                    d[(key % "IF").replace("/IF/", "/")] = sysvals[k]
            links[name] = d
        addrs = []
        for entry in ns["addrs"]:
            for a in entry.get("addr_info", []):
                flags = [k for k in ("noprefixroute", "nodad", "dadfailed", "deprecated",
                                     "home", "mngtmpaddr") if a.get(k)]
                addrs.append(self.string("%s %s %s/%s scope %s%s%s" % (
                    self.run.veth_name(entry["ifname"]), a.get("family"), a.get("local"),
                    a.get("prefixlen"), a.get("scope"),
                    " brd " + a["broadcast"] if a.get("broadcast") else "",
                    "".join(" " + f for f in flags))))
        routes = []
        for r in ns["routes"]:
            if r.get("table") == "local" and r.get("type") in ("local", "anycast") \
                    and ":" in str(r.get("dst", "")):
                # IPv6 local/anycast routes are derived from the addresses (listed separately)
                # and appear only once DAD has finished: timing, not behaviour.
                continue
            parts = ["%s=%s" % (k, r[k]) for k in ("type", "dst", "gateway", "dev", "table",
                                                    "protocol", "scope", "prefsrc", "metric")
                     if k in r]
            flags = [f for f in r.get("flags", []) if f != "linkdown"]  # carrier timing
            if flags:
                parts.append("flags=" + ",".join(sorted(flags)))
            for nh in r.get("nexthops", []) or []:
                parts.append("nh=%s@%s" % (nh.get("gateway"), nh.get("dev")))
            routes.append(self.string(" ".join(parts)))
        out = {"links": links, "addrs": sorted(addrs), "routes": sorted(routes),
               "sysctl": {k: sysvals[k] for k in ("ipv4/ip_forward", "ipv6/all/forwarding")
                          if k in sysvals}}
        for key in ("nat4", "nat6"):
            if key in ns:
                lines = [self.string(re.sub(r"\[\d+:\d+\]", "", l)).rstrip()
                         for l in ns[key] if not l.startswith("#")]
                if unordered:
                    # Which pod got which IP is scheduling: keep the rule, mask the address.
                    lines = sorted(re.sub(r"^(-A POSTROUTING -s )\S+", r"\1<pod-ip>", l)
                                   for l in lines)
                out[key] = lines
        return out


# --------------------------------------------------------------------------------------------
# Comparison

def flatten(v, path="", out=None):
    if out is None:
        out = {}
    if isinstance(v, dict):
        if not v and path:
            out[path] = {}
        for k, x in v.items():
            flatten(x, "%s.%s" % (path, k) if path else k, out)
    elif isinstance(v, list) and any(isinstance(x, dict) for x in v):
        for i, x in enumerate(v):
            flatten(x, "%s[%d]" % (path, i), out)
        if not v:
            out[path] = []
    else:
        out[path] = v
    return out


def diff_records(ours, ref):
    fo, fr = flatten(ours), flatten(ref)
    diffs = []
    for path in sorted(set(fo) | set(fr)):
        a, b = fo.get(path, ABSENT), fr.get(path, ABSENT)
        if a != b:
            diffs.append((path, a, b))
    return diffs


class AllowList:
    def __init__(self, path):
        with open(path) as f:
            self.entries = json.load(f)["allow"]
        for e in self.entries:
            e.setdefault("scenario", "*")
            e.setdefault("step", "*")
            e["_used"] = 0

    def match(self, scenario, step, path, ours, ref, flat_ours, flat_ref):
        for e in self.entries:
            if not all(value_matches(v, flat_ref.get(k, ABSENT))
                       for k, v in e.get("when_reference", {}).items()):
                continue
            if not all(value_matches(v, flat_ours.get(k, ABSENT))
                       for k, v in e.get("when_ours", {}).items()):
                continue
            if not fnmatch.fnmatchcase(scenario, e["scenario"]):
                continue
            if not fnmatch.fnmatchcase(step, e["step"]):
                continue
            paths = e["path"] if isinstance(e["path"], list) else [e["path"]]
            if not any(fnmatch.fnmatchcase(path, p) for p in paths):
                continue
            if "reference" in e and not value_matches(e["reference"], ref):
                continue
            if "ours" in e and not value_matches(e["ours"], ours):
                continue
            if ("reference_extra" in e or "ours_extra" in e) and \
                    not list_extras_match(ours, ref, e.get("ours_extra", []),
                                          e.get("reference_extra", [])):
                continue
            e["_used"] += 1
            return e
        return None


def value_matches(expected, actual):
    """Allow-list value test: exact, "<present>", {"oneOf": [...]} or a glob for strings."""
    if expected == "<present>":
        return actual != ABSENT
    if isinstance(expected, dict) and "oneOf" in expected:
        return any(value_matches(x, actual) for x in expected["oneOf"])
    if isinstance(expected, str) and isinstance(actual, str):
        return fnmatch.fnmatchcase(actual, expected)
    return expected == actual


def list_extras_match(ours, ref, ours_globs, ref_globs):
    """For list values: every element only one side has must match that side's globs."""
    ours = [] if ours == ABSENT else ours
    ref = [] if ref == ABSENT else ref
    if not isinstance(ours, list) or not isinstance(ref, list):
        return False
    only_ours = [x for x in ours if x not in ref]
    only_ref = [x for x in ref if x not in ours]
    return all(any(fnmatch.fnmatchcase(str(x), g) for g in ours_globs) for x in only_ours) and \
        all(any(fnmatch.fnmatchcase(str(x), g) for g in ref_globs) for x in only_ref)


def short(v, width=70):
    s = v if isinstance(v, str) else json.dumps(v, sort_keys=True)
    return s if len(s) <= width else s[:width - 3] + "..."


# --------------------------------------------------------------------------------------------

def run_scenario(sc, ours_dir, ref_dir):
    results = {}
    for side, d in (("ours", ours_dir), ("reference", ref_dir)):
        run = Run(sc, side, d)
        try:
            run.execute()
            results[side] = {"steps": run.records, "error": None}
        except Exception as e:  # a harness failure is reported, never hidden
            results[side] = {"steps": run.records, "error": "%s: %s" % (type(e).__name__, e)}
        finally:
            run.cleanup()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", default=os.path.join(HERE, "..", "build", "bin"))
    ap.add_argument("--reference", default="/usr/lib/cni")
    ap.add_argument("--scenarios", default=os.path.join(HERE, "scenarios"))
    ap.add_argument("--allowlist", default=os.path.join(HERE, "allowlist.json"))
    ap.add_argument("--only", action="append", help="scenario name glob (repeatable)")
    ap.add_argument("-j", "--jobs", type=int, default=4,
                    help="scenarios run in parallel (mostly waiting on the kernel and on the "
                    "reference's sleeps, so more than the core count)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also show the field differences of allowed steps")
    ap.add_argument("--json", help="write the full records to this file")
    ap.add_argument("--show", action="store_true",
                    help="print exit code and normalised stdout of every step of both sides")
    args = ap.parse_args()

    if os.geteuid() != 0:
        raise SystemExit("run.py needs root (it creates network namespaces)")
    for d in (args.ours, args.reference):
        if not os.path.isfile(os.path.join(d, "bridge")):
            raise SystemExit("no bridge executable in %s" % d)

    def on_term(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)

    sweep_stale_netns()
    scenarios = load_scenarios(args.scenarios, args.only)
    allow = AllowList(args.allowlist)
    t0 = time.monotonic()
    all_results = {}
    ex = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        futs = {sc["name"]: ex.submit(run_scenario, sc, args.ours, args.reference)
                for sc in scenarios}
        for sc in scenarios:
            all_results[sc["name"]] = futs[sc["name"]].result()
    finally:
        # On Ctrl-C/SIGTERM: drop queued scenarios, let running ones finish their own cleanup.
        ex.shutdown(wait=True, cancel_futures=True)
        delete_all_netns()

    rows, n_steps, n_equal, n_allowed, n_bad = [], 0, 0, 0, 0
    details = []
    for sc in scenarios:
        res = all_results[sc["name"]]
        for side in ("ours", "reference"):
            if res[side]["error"]:
                n_bad += 1
                rows.append((sc["name"], "harness(%s)" % side, "DIFFERS", res[side]["error"]))
        so, sr = res["ours"]["steps"], res["reference"]["steps"]
        for i in range(max(len(so), len(sr))):
            n_steps += 1
            label = (so[i] if i < len(so) else sr[i])["label"]
            if i >= len(so) or i >= len(sr):
                n_bad += 1
                rows.append((sc["name"], label, "DIFFERS", "step missing on one side"))
                continue
            diffs = diff_records(so[i]["record"], sr[i]["record"])
            if not diffs:
                n_equal += 1
                rows.append((sc["name"], label, "equal", ""))
                continue
            unexpected, reasons, annotated = [], [], []
            fo, fr = flatten(so[i]["record"]), flatten(sr[i]["record"])
            for path, a, b in diffs:
                e = allow.match(sc["name"], label, path, a, b, fo, fr)
                annotated.append((path, a, b, e["id"] if e else None))
                if e is None:
                    unexpected.append((path, a, b, None))
                elif e["id"] not in reasons:
                    reasons.append(e["id"])
            shown = annotated if args.verbose else unexpected
            if unexpected:
                n_bad += 1
                rows.append((sc["name"], label, "DIFFERS", ""))
                details.append((sc["name"], label, shown, so[i], sr[i]))
            else:
                n_allowed += 1
                rows.append((sc["name"], label, "differs (allowed: %s)" % ", ".join(reasons), ""))
                if args.verbose:
                    details.append((sc["name"], label, shown, so[i], sr[i]))

    w1 = max([len("scenario")] + [len(r[0]) for r in rows])
    w2 = max([len("step")] + [len(r[1]) for r in rows])
    print("%-*s | %-*s | %s" % (w1, "scenario", w2, "step", "result"))
    print("%s-+-%s-+-%s" % ("-" * w1, "-" * w2, "-" * 40))
    for name, label, verdict, note in rows:
        print("%-*s | %-*s | %s%s" % (w1, name, w2, label, verdict, ("  " + note) if note else ""))

    if args.show:
        for sc in scenarios:
            res = all_results[sc["name"]]
            for side in ("ours", "reference"):
                for st in res[side]["steps"]:
                    print("%s %s [%s] exit=%s stdout=%s" % (
                        sc["name"], st["label"], side, st["record"]["exit"],
                        json.dumps(st["record"]["stdout"], sort_keys=True)))
    if details:
        print("\nDifferences (ours vs reference):")
        for name, label, diffs, ro, rr in details:
            print("\n  %s %s" % (name, label))
            for path, a, b, allowed in diffs:
                print("    %s%s\n      ours:      %s\n      reference: %s" % (
                    path, "  [allowed: %s]" % allowed if allowed else "", short(a, 200),
                    short(b, 200)))
            if ro.get("stderr", "").strip():
                print("    ours stderr: %s" % short(ro["stderr"].strip(), 300))
    unused = [e["id"] for e in allow.entries if not e["_used"]]
    if unused and not args.only:
        print("\nAllow-list entries not needed in this run: %s" % ", ".join(unused))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(all_results, f, indent=1, default=str)

    print("\n%d scenarios, %d steps, %d equal, %d intentional improvements, %d unexpected "
          "(%.1f s)" % (len(scenarios), n_steps, n_equal, n_allowed, n_bad,
                        time.monotonic() - t0))
    return 1 if n_bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        delete_all_netns()
        sys.exit(130)
