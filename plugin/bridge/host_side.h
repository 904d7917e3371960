// SPDX-License-Identifier: Apache-2.0
// The node's side of an attachment: the bridge, the host end of the veth and its bridge port,
// the gateway addresses and IP forwarding.
#pragma once

#include <optional>
#include <vector>

#include "cni/skel.h"
#include "common/ip.h"
#include "common/rollback.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/route_socket.h"
#include "netlink/sysctl.h"
#include "netlink/vlan.h"
#include "plugin/bridge/netconf.h"

namespace cnb::bridge {

// `node_ipv6_conf` is the node's net/ipv6/conf held open (nullopt: IPv6 is off on the node).
struct HostSide {
  nl::RouteSocket& sock;
  const NetConf& conf;
  const std::optional<nl::SysctlDir>& node_ipv6_conf;
};

// The bridge, created (pinned to a MAC of its own) or found, up, promiscuous if configured.
nl::LinkInfo SetupBridge(const HostSide& host);

// The veth pair in one request: the host end `veth<8 hex>` enslaved to the bridge, the peer
// named `inv.ifname` straight in the pod. Its undo is registered in `rollback` the moment the
// kernel made it, before anything else can fail. Retries on a host-side name clash.
nl::LinkInfo CreateVethPair(const HostSide& host, nl::RouteSocket& pod, const nl::Netns& pod_ns,
                            const cni::Invocation& inv, int bridge_ifindex, Rollback& rollback);

// The host end as a bridge port: enslaved, hairpin/isolation, VLANs, no IPv6 of its own, and up
// with `alias` (IFLA_IFALIAS, which the kernel ignores in a create request) in the same request.
void SetupHostPort(const HostSide& host, const nl::LinkInfo& port, int bridge_ifindex, const std::string& alias);

// One change of a bridge port's VLANs.
struct PortVlanChange {
  bool add = true;  // false: delete
  nl::PortVlan vlan;
};
// The changes that make a port an access port of `vlan` (PVID, untagged; 0: VID 1) with the
// tagged `trunk` VIDs, dropping VID 1 unless `preserve_default_vlan`, as the reference does.
std::vector<PortVlanChange> PortVlanChanges(int vlan, const std::vector<VlanTrunkRange>& trunk,
                                            bool preserve_default_vlan);

// Gateway mode with a VLAN: the gateway lives on "<bridge>.<vlan>", one end of a veth pair in the
// node whose other end is a bridge port with PVID <vlan>, untagged (the reference's
// ensureVlanInterface). Made by the first ADD; later ones find it. Returns that end.
nl::LinkInfo EnsureVlanGateway(const HostSide& host, const nl::LinkInfo& bridge);

struct Gateways {
  std::vector<IpNet> v4;
  std::vector<IpNet> v6;
};
// Gateway mode: the gateway addresses on `link` (the bridge, or the VLAN gateway) and IP
// forwarding on for their families.
void SetupGateways(const HostSide& host, const nl::LinkInfo& link, const Gateways& gateways);

// Polls the host end until it is operationally up ("bridge port in error state: <state>").
void WaitOperUp(nl::RouteSocket& host, int ifindex);

}  // namespace cnb::bridge
