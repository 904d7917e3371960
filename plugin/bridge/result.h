// SPDX-License-Identifier: Apache-2.0
// The ADD result the bridge reports: interfaces, and the IPAM result with the gateways filled in.
#pragma once

#include "cni/types.h"
#include "netlink/link.h"
#include "plugin/bridge/host_side.h"
#include "plugin/bridge/netconf.h"

namespace cnb::bridge {

// Index of the container interface in the result (bridge, host veth, container).
inline constexpr int kContainerIfIndex = 2;

// The three interfaces, in the reference's order.
cni::Result NewResult(const NetConf& conf, const cni::Invocation& inv, const nl::LinkInfo& bridge,
                      const nl::LinkInfo& host_veth, const nl::LinkInfo& container);

// Takes IPAM's ips, routes and dns into `result`: every IP on the container interface, missing
// gateways filled in (gateway mode), default routes added (isDefaultGateway) unless IPAM gave
// one; returns the addresses the bridge must carry. The reference's calcGateways.
Gateways TakeIpamResult(const cni::Result& ipam, const NetConf& conf, cni::Result* result);

// The result's addresses with their prefixes.
std::vector<IpNet> AddressesOf(const cni::Result& result);

}  // namespace cnb::bridge
