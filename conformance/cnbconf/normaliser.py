# SPDX-License-Identifier: Apache-2.0
"""Normalisation: make the records of two runs comparable, then compare them.

Names that differ between runs for no behavioural reason become labels: MACs are named after the
link that owns them (`mac(pod:eth0)`), host veths after the pod end they serve (`veth@pod`), netns
names after their role, the temp and plugin dirs become <tmp>/<plugindir>, IPv6 link-local
addresses fe80::<ll>. Kernel timing (bridge carrier, `linkdown`, IPv6 local routes that appear
after DAD, a bridge's own link-local address) is dropped. flatten() and diff_records() then compare two records field by field.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

ABSENT = "<absent>"

MAC_RE = re.compile(r"(?i)\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b")
LL_RE = re.compile(r"(?i)\bfe80::[0-9a-f:]+")
VETH_RE = re.compile(r"\bveth[0-9a-f]{8}\b")
RANDOM_VETH = re.compile(r"veth[0-9a-f]{8}")

LINK_SYS_KEYS = ["ipv4/%s/arp_notify", "ipv6/%s/accept_dad", "ipv6/%s/enhanced_dad",
                 "ipv6/%s/disable_ipv6", "ipv6/%s/keep_addr_on_down", "ipv6/%s/accept_ra"]
ADDR_FLAGS = ("noprefixroute", "nodad", "dadfailed", "deprecated", "home", "mngtmpaddr")
ROUTE_KEYS = ("type", "dst", "gateway", "dev", "table", "protocol", "scope", "prefsrc", "metric")
PORT_KEYS = ("hairpin", "isolated", "learning", "flood", "state", "guard")


def parse_stdout(out: str) -> Any:
    """A plugin's stdout as JSON; "" when empty, {"<raw>": text} when not JSON."""
    text = out.strip()
    if not text:
        return ""
    try:
        return json.loads(text)
    except ValueError:
        return {"<raw>": text}


class VethNames:
    """Host veth names are random (veth + 8 hex digits). Each is named after the attachment it
    serves, `veth@<pod>[/<ifname>]`, or `veth?<n>` if nothing says which; kept for a whole run."""

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}

    def label(self, real: str, role: str, ifname: str | None) -> None:
        if RANDOM_VETH.fullmatch(real) and real not in self.labels:
            label = "veth@" + role
            if ifname and ifname != "eth0":
                label += "/" + ifname
            self.labels[real] = label

    def name(self, real: str) -> str:
        if RANDOM_VETH.fullmatch(real):
            if real not in self.labels:
                self.labels[real] = f"veth?{len(self.labels)}"
            return self.labels[real]
        return real


@dataclass
class Names:
    """What one side's run knows about its own names."""
    node: str
    pods: dict[str, str]                 # role -> netns name (deleted ones too)
    tmp: str
    plugin_dir: str
    configured_macs: set[str] = field(default_factory=set)   # stay literal
    veths: VethNames = field(default_factory=VethNames)


class Normaliser:
    """Normalises one step's stdout and raw state (see snapshot.py) of one side."""

    def __init__(self, names: Names, raw_state: dict | None,
                 results: list[tuple[Any, str, str | None]] = ()) -> None:
        self.names = names
        self.veths = names.veths
        self.raw = raw_state or {}
        self.mac_label: dict[str, str] = {}                 # mac -> label
        self.kernel_mac: dict[tuple[str, str], str] = {}    # (ns role, real name) -> mac
        self.bridge_mac_label: dict[tuple[str, str], str] = {}
        self.ns_names = {names.node: "node"}                # real netns name -> role
        for role, name in names.pods.items():
            self.ns_names[name] = role
        self.label_veths_from_kernel()
        for parsed, pod, ifname in results:
            if isinstance(parsed, dict) and isinstance(parsed.get("interfaces"), list):
                for itf in parsed["interfaces"]:
                    if isinstance(itf, dict) and not itf.get("sandbox"):
                        self.veths.label(str(itf.get("name", "")), pod, ifname)
        self.build_mac_labels()

    def label_veths_from_kernel(self) -> None:
        """Names each node veth by its peer, as the kernel says (peer netns id + ifindex)."""
        node = self.raw.get("node")
        if not node:
            return
        nsid_role = {e.get("nsid"): self.ns_names.get(e.get("name"), "?")
                     for e in node.get("nsids", [])}
        for link in node["links"]:
            if link.get("linkinfo", {}).get("info_kind") != "veth":
                continue
            role = nsid_role.get(link["link_netnsid"], "?") if "link_netnsid" in link else "node"
            peer_links = self.raw.get(role, {}).get("links", [])
            peer = [p["ifname"] for p in peer_links if p.get("ifindex") == link.get("link_index")]
            self.veths.label(link["ifname"], role, peer[0] if peer else None)

    def build_mac_labels(self) -> None:
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
                self.mac_label.setdefault(mac, f"mac({role}:{self.veths.name(link['ifname'])})")
        for role, link, mac in bridges:
            # A bridge that is not pinned takes the lowest MAC of its ports: which port wins is
            # random, so only record *that* it follows a port.
            ports = [p for p in self.raw[role]["links"] if p.get("master") == link["ifname"]]
            if any((p.get("address") or "").lower() == mac for p in ports):
                self.bridge_mac_label[(role, link["ifname"])] = "mac(=a port's)"
            else:
                self.mac_label.setdefault(mac, f"mac({role}:{link['ifname']})")

    def mac(self, mac: str) -> str:
        mac = mac.lower()
        if mac == "00:00:00:00:00:00":
            return "mac(zero)"  # loopback, or an unpinned bridge that lost its last port
        if mac in self.names.configured_macs:
            return mac
        return self.mac_label.get(mac, "mac(?)")

    def string(self, s: str) -> str:
        s = s.replace(self.names.tmp, "<tmp>")
        s = s.replace(self.names.plugin_dir, "<plugindir>")
        for real, role in sorted(self.ns_names.items(), key=lambda kv: -len(kv[0])):
            s = s.replace("/var/run/netns/" + real, f"<netns:{role}>")
            s = s.replace("/run/netns/" + real, f"<netns:{role}>")
            s = s.replace(real, f"<netns:{role}>")
        s = VETH_RE.sub(lambda m: self.veths.name(m.group(0)), s)
        s = MAC_RE.sub(lambda m: self.mac(m.group(0)), s)
        return LL_RE.sub("fe80::<ll>", s)

    def value(self, v: Any) -> Any:
        """A stdout value with every string normalised and result interfaces' MACs judged."""
        if isinstance(v, str):
            return self.string(v)
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict):
            out = {k: self.value(x) for k, x in v.items()}
            if "interfaces" in out and isinstance(v.get("interfaces"), list):
                out["interfaces"] = [self.result_iface(i) for i in v["interfaces"]]
            return out
        return v

    def result_iface(self, itf: Any) -> Any:
        """A result interface's MAC is judged against the kernel link it names."""
        if not isinstance(itf, dict):
            return self.value(itf)
        out = {k: self.value(x) for k, x in itf.items() if k != "mac"}
        if "mac" in itf:
            out["mac"] = self.result_mac(itf)
        return out

    def result_mac(self, itf: dict) -> str:
        mac = str(itf["mac"]).lower()
        role = "node"
        if itf.get("sandbox"):
            role = self.ns_names.get(os.path.basename(str(itf["sandbox"])), "?")
        kmac = self.kernel_mac.get((role, itf.get("name")))
        if mac in self.names.configured_macs:
            return mac
        if not self.raw:
            return "mac(not snapshotted)"
        if kmac is None:
            return "mac(link gone)"
        return "mac(=kernel)" if kmac == mac else "mac(stale; kernel has another)"

    # -- kernel state --------------------------------------------------------------------------
    def state(self, unordered: bool = False) -> dict:
        out = {role: self.ns_state(role, ns, unordered)
               for role, ns in self.raw.items() if role != "ipam"}
        out["ipam"] = self.ipam_state(unordered)
        return out

    def ipam_state(self, unordered: bool) -> dict:
        ipam = {rel: self.string(desc) for rel, desc in self.raw.get("ipam", {}).items()}
        if unordered:
            # Which container got which IP depends on scheduling: keep each file's name and
            # mode, compare the contents as a multiset.
            contents = sorted(" ".join(v.split(" ")[2:]) for k, v in ipam.items()
                              if "/.index/" not in k and " " in v[5:])
            ipam = {k: " ".join(v.split(" ")[:2]) for k, v in ipam.items()}
            ipam["<contents>"] = contents
        return ipam

    def ns_state(self, role: str, ns: dict, unordered: bool) -> dict:
        links = {}
        for link in ns["links"]:
            name = self.veths.name(link["ifname"])  # before the link's master: veth?<n> order
            links[name] = self.link_state(role, link, ns["sys"])
        sysvals = ns["sys"]
        # The kernel gives a bridge its IPv6 link-local address (and the fe80::/64 and ff00::/8
        # routes) once linkwatch first sees a port's carrier, a moment after the port comes up.
        # After a failed ADD that rolled back at once, whether that moment came is a race.
        bridges = {link["ifname"] for link in ns["links"]
                   if link.get("linkinfo", {}).get("info_kind") == "bridge"}
        out = {"links": links, "addrs": self.addr_lines(ns, bridges),
               "routes": self.route_lines(ns, bridges),
               "sysctl": {k: sysvals[k] for k in ("ipv4/ip_forward", "ipv6/all/forwarding")
                          if k in sysvals}}
        for key in ("nat4", "nat6"):
            if key in ns:
                out[key] = self.nat_lines(ns[key], unordered)
        if ns.get("brnat"):  # macspoofchk's rules, `nft list` text
            out["brnat"] = [self.string(line).rstrip() for line in ns["brnat"] if line.strip()]
        return out

    def link_state(self, role: str, link: dict, sysvals: dict) -> dict:
        real = link["ifname"]
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
            d["master"] = self.veths.name(link["master"])
        slave = info.get("info_slave_data")
        if slave is not None:
            d["port"] = {k: slave.get(k) for k in PORT_KEYS}
        if info.get("info_kind") == "bridge":
            data = info.get("info_data", {})
            d["bridge"] = {k: data.get(k) for k in ("vlan_filtering", "stp_state")}
        for key in LINK_SYS_KEYS:
            if key % real in sysvals:
                d[(key % "IF").replace("/IF/", "/")] = sysvals[key % real]
        return d

    def addr_lines(self, ns: dict, bridges: set[str]) -> list[str]:
        addrs = []
        for entry in ns["addrs"]:
            for a in entry.get("addr_info", []):
                if entry["ifname"] in bridges and a.get("family") == "inet6" \
                        and a.get("scope") == "link":
                    continue
                flags = "".join(" " + k for k in ADDR_FLAGS if a.get(k))
                brd = " brd " + a["broadcast"] if a.get("broadcast") else ""
                addrs.append(self.string(
                    f"{self.veths.name(entry['ifname'])} {a.get('family')} {a.get('local')}"
                    f"/{a.get('prefixlen')} scope {a.get('scope')}{brd}{flags}"))
        return sorted(addrs)

    def route_lines(self, ns: dict, bridges: set[str]) -> list[str]:
        routes = []
        for r in ns["routes"]:
            if r.get("dev") in bridges and r.get("protocol") == "kernel" \
                    and r.get("dst") in ("fe80::/64", "ff00::/8"):
                continue  # follow the bridge's link-local address (see ns_state)
            if r.get("table") == "local" and r.get("type") in ("local", "anycast") \
                    and ":" in str(r.get("dst", "")):
                # IPv6 local/anycast routes are derived from the addresses (listed separately)
                # and appear only once DAD has finished: timing, not behaviour.
                continue
            parts = [f"{k}={r[k]}" for k in ROUTE_KEYS if k in r]
            flags = [f for f in r.get("flags", []) if f != "linkdown"]  # carrier timing
            if flags:
                parts.append("flags=" + ",".join(sorted(flags)))
            for nh in r.get("nexthops", []) or []:
                parts.append(f"nh={nh.get('gateway')}@{nh.get('dev')}")
            routes.append(self.string(" ".join(parts)))
        return sorted(routes)

    def nat_lines(self, lines: list[str], unordered: bool) -> list[str]:
        out = [self.string(re.sub(r"\[\d+:\d+\]", "", line)).rstrip()
               for line in lines if not line.startswith("#")]
        if unordered:
            # Which pod got which IP is scheduling: keep the rule, mask the address.
            out = sorted(re.sub(r"^(-A POSTROUTING -s )\S+", r"\1<pod-ip>", line) for line in out)
        return out


# ----------------------------------------------------------------------------------------------
# Comparison

def flatten(v: Any, path: str = "", out: dict | None = None) -> dict[str, Any]:
    """{"a": {"b": 1}, "l": [{"x": 2}]} -> {"a.b": 1, "l[0].x": 2}. Lists of scalars stay
    whole (compared as one value); an empty object below the top is kept as {}."""
    if out is None:
        out = {}
    if isinstance(v, dict):
        if not v and path:
            out[path] = {}
        for k, x in v.items():
            flatten(x, f"{path}.{k}" if path else k, out)
    elif isinstance(v, list) and any(isinstance(x, dict) for x in v):
        for i, x in enumerate(v):
            flatten(x, f"{path}[{i}]", out)
        if not v:
            out[path] = []
    else:
        out[path] = v
    return out


def diff_records(ours: Any, ref: Any) -> list[tuple[str, Any, Any]]:
    """(path, ours, reference) for every flattened field that differs, in path order; a field
    only one side has is ABSENT on the other."""
    fo, fr = flatten(ours), flatten(ref)
    diffs = []
    for path in sorted(set(fo) | set(fr)):
        a, b = fo.get(path, ABSENT), fr.get(path, ABSENT)
        if a != b:
            diffs.append((path, a, b))
    return diffs
