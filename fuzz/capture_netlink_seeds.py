#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Captures the binary seeds of fuzz/corpus/netlink_reply and fuzz/corpus/nft_rule from the
kernel: in a fresh, unnamed network namespace (unshare -n; it disappears with this process) it
builds what the plugin builds on a node (a bridge, a pod's veth with its peer in another
namespace, the reference's masquerade and macspoofchk rules), then dumps links and rules and
writes each reply's payload as one file. Needs root, iproute2, nft and iptables-nft.

  fuzz/capture_netlink_seeds.py            writes into fuzz/corpus/<target>/
"""
import os
import pathlib
import socket
import struct
import subprocess
import sys

NETLINK_NETFILTER = 12
RTM_NEWLINK, RTM_GETLINK = 16, 18
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_DONE, NLMSG_ERROR = 3, 2
NFT_GETRULE, NFT_NEWRULE = (10 << 8) | 7, (10 << 8) | 6
ID = "3f1c0a9e2b7d4c1b8e0f5a6d7c8b9a0e1f2d3c4b5a69788796a5b4c3d2e1f0a9"


def sh(*cmd, ok_to_fail=False):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 and not ok_to_fail:
        sys.exit(f"capture: {' '.join(cmd)}: {r.stderr.strip()}")


def dump(proto, msg_type, family_header):
    """Every reply message of one dump request: (type, payload after the nlmsghdr)."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
    s.bind((0, 0))
    s.send(struct.pack("=LHHLL", 16 + len(family_header), msg_type, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + family_header)
    out = []
    while True:
        data = s.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            length, typ = struct.unpack_from("=LH", data, off)
            if typ == NLMSG_DONE:
                return out
            if typ == NLMSG_ERROR:
                sys.exit("capture: the dump failed")
            out.append((typ, data[off + 16:off + length]))
            off += (length + 3) & ~3


def string_attr(payload, start, want):
    """The string attribute of type `want` among the attributes from `start` on."""
    off = start
    while off + 4 <= len(payload):
        length, typ = struct.unpack_from("=HH", payload, off)
        if typ == want:
            return payload[off + 4:off + length].split(b"\0")[0].decode()
        off += max((length + 3) & ~3, 4)
    return "unnamed"


def build_node(peer_pid):
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "link", "add", "cni0", "type", "bridge")
    sh("ip", "addr", "add", "10.88.0.1/16", "dev", "cni0")
    sh("ip", "link", "set", "cni0", "up")
    sh("ip", "link", "add", "veth1a2b3c4d", "mtu", "1450", "type", "veth", "peer", "name", "eth0")
    sh("ip", "link", "set", "eth0", "netns", str(peer_pid))
    sh("ip", "link", "set", "veth1a2b3c4d", "master", "cni0", "alias",
       f"cni-bridge id={ID} if=eth0 pod=default/nginx-7c5ddbdf54-x2kqz")
    sh("ip", "link", "set", "veth1a2b3c4d", "up")
    sh("ip", "link", "add", "link", "cni0", "name", "cni0.100", "type", "vlan", "id", "100", ok_to_fail=True)
    sh("ip", "link", "add", "dummy0", "type", "dummy", ok_to_fail=True)
    # The reference bridge's masquerade (iptables-nft) and macspoofchk (nft) for one pod.
    chain = "CNI-2c5f9a1b3d7e8f0a4b6c9d1e"
    comment = f'name: "containerd-net" id: "{ID}"'
    sh("iptables-nft", "-t", "nat", "-N", chain)
    sh("iptables-nft", "-t", "nat", "-A", "POSTROUTING", "-s", "10.88.0.5/32", "-m", "comment", "--comment", comment,
       "-j", chain)
    sh("iptables-nft", "-t", "nat", "-A", chain, "-d", "10.88.0.0/16", "-m", "comment", "--comment", comment, "-j",
       "ACCEPT")
    sh("iptables-nft", "-t", "nat", "-A", chain, "!", "-d", "224.0.0.0/4", "-m", "comment", "--comment", comment,
       "-j", "MASQUERADE")
    iface = f"cni-br-iface-{ID[:12]}-eth0"
    script = f"""
table bridge nat {{
  chain PREROUTING {{ type filter hook prerouting priority -300; }}
  chain {iface} {{ }}
  chain {iface}-mac {{ }}
}}
add rule bridge nat PREROUTING iifname "veth1a2b3c4d" jump {iface} comment "macspoofchk-{ID[:12]}-eth0"
add rule bridge nat {iface} jump {iface}-mac comment "macspoofchk-{ID[:12]}-eth0"
add rule bridge nat {iface}-mac ether saddr 92:d0:c6:0a:29:33 return comment "macspoofchk-{ID[:12]}-eth0"
add rule bridge nat {iface}-mac drop comment "macspoofchk-{ID[:12]}-eth0"
table inet cni_plugins_masquerade {{
  chain postrouting {{ type nat hook postrouting priority srcnat; }}
}}
add rule inet cni_plugins_masquerade postrouting ip saddr 10.88.0.5 ip daddr != 10.88.0.0/16 masquerade comment "{ID}"
"""
    r = subprocess.run(["nft", "-f", "-"], input=script, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"capture: nft: {r.stderr.strip()}")


def main():
    if os.environ.get("CNB_CAPTURE_IN_NETNS") != "1":
        os.execvpe("unshare", ["unshare", "-n", sys.executable, *sys.argv], {**os.environ, "CNB_CAPTURE_IN_NETNS": "1"})
    corpus = pathlib.Path(__file__).resolve().parent / "corpus"
    # The pod's namespace: a sleeping child in a namespace of its own, killed by its PID below.
    peer = subprocess.Popen(["unshare", "-n", "sleep", "60"])
    try:
        subprocess.run(["sleep", "0.2"], check=True)
        build_node(peer.pid)
        links = corpus / "netlink_reply"
        links.mkdir(parents=True, exist_ok=True)
        for family, tag in ((socket.AF_UNSPEC, "link"), (socket.AF_BRIDGE, "bridge-port")):
            for typ, payload in dump(socket.NETLINK_ROUTE, RTM_GETLINK, struct.pack("=BxHiII", family, 0, 0, 0, 0)):
                if typ != RTM_NEWLINK:
                    continue
                (links / f"{tag}-{string_attr(payload, 16, 3)}").write_bytes(payload)
        rules = corpus / "nft_rule"
        rules.mkdir(parents=True, exist_ok=True)
        families = {2: "ip", 1: "inet", 7: "bridge", 10: "ip6"}
        for i, (typ, payload) in enumerate(dump(NETLINK_NETFILTER, NFT_GETRULE, struct.pack("=BBH", 0, 0, 0))):
            if typ == NFT_NEWRULE:  # named <family>-<table>-<chain>-<n> (NFTA_RULE_TABLE, NFTA_RULE_CHAIN)
                where = f"{families.get(payload[0], payload[0])}-{string_attr(payload, 4, 1)}-{string_attr(payload, 4, 2)}"
                (rules / f"{where}-{i}").write_bytes(payload[4:])  # after the nfgenmsg
    finally:
        peer.kill()
        peer.wait()


if __name__ == "__main__":
    main()
