# SPDX-License-Identifier: Apache-2.0
"""Raw snapshots: the kernel state of one netns (links, addresses, routes, sysctls and, in the
node, netns ids, the nat tables and the bridge nat table of macspoofchk) and the IPAM files with their modes. Nothing is normalised
here; see normaliser.py."""

from __future__ import annotations

import json
import os
import subprocess

from .tools import IP, SYSTEM_PATH

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
  echo '@@brnat'; nft list table bridge nat 2>/dev/null
fi
"""


def snap_ns(name: str, kind: str) -> dict:
    """The raw state of netns `name`; kind "node" adds netns ids and the nat tables."""
    p = subprocess.run([IP, "netns", "exec", name, "sh", "-c", SNAPSHOT_SCRIPT, "sh", kind],
                       capture_output=True, env={"PATH": SYSTEM_PATH}, timeout=30)
    return parse_snapshot(p.stdout.decode(errors="replace"))


def split_sections(text: str) -> dict[str, list[str]]:
    """The script's output, split at its '@@<name>' lines."""
    sections: dict[str, list[str]] = {}
    cur = None
    for line in text.splitlines():
        if line.startswith("@@"):
            cur = line[2:]
            sections[cur] = []
        elif cur:
            sections[cur].append(line)
    return sections


def sysctl_key(path: str) -> str:
    """/sys/class/net/X/addr_assign_type -> addr_assign_type/X,
    /proc/sys/net/ipv6/conf/X/accept_ra -> ipv6/X/accept_ra, .../ipv4/ip_forward -> ipv4/ip_forward."""
    parts = path.split("/")
    if path.startswith("/sys/class/net/"):
        return "addr_assign_type/" + parts[4]
    if path.startswith("/proc/sys/net/ipv4/conf/"):
        return f"ipv4/{parts[6]}/{parts[7]}"
    if path.startswith("/proc/sys/net/ipv6/conf/"):
        return f"ipv6/{parts[6]}/{parts[7]}"
    return "ipv4/ip_forward"


def parse_snapshot(text: str) -> dict:
    sections = split_sections(text)
    out: dict = {}
    for key in ("links", "addrs", "routes", "nsids"):
        body = "\n".join(sections.get(key, [])).strip()
        out[key] = json.loads(body) if body else []
    out["sys"] = {}
    for line in sections.get("sys", []):
        path, _, value = line.partition(":")
        out["sys"][sysctl_key(path)] = value
    for key in ("nat4", "nat6", "brnat"):
        if key in sections:
            out[key] = sections[key]
    return out


def snap_files(datadir: str) -> dict[str, str]:
    """Every directory ('rel/': 'mode 755') and file ('rel': 'mode 600 "<content>"') under
    datadir."""
    files = {}
    for root, dirs, names in os.walk(datadir):
        for d in dirs:
            path = os.path.join(root, d)
            rel = os.path.relpath(path, datadir) + "/"
            files[rel] = f"mode {os.stat(path).st_mode & 0o7777:o}"
        for n in names:
            path = os.path.join(root, n)
            rel = os.path.relpath(path, datadir)
            with open(path, "rb") as f:
                content = f.read().decode(errors="replace")
            files[rel] = f"mode {os.stat(path).st_mode & 0o7777:o} {json.dumps(content)}"
    return files
