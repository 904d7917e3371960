// SPDX-License-Identifier: Apache-2.0
// Bridge VLAN filtering through raw rtnetlink messages (libnl 3.7 has no API for it). The message
// builders are separate so they can be tested without kernel support.
#pragma once

#include <cstdint>
#include <vector>

#include "netlink/route_socket.h"

namespace cnb::nl {

struct PortVlan {
  uint16_t vid = 0;
  bool pvid = false;
  bool untagged = false;
};

// RTM_NEWLINK on the bridge with IFLA_LINKINFO{kind=bridge, data{IFLA_BR_VLAN_FILTERING}}.
std::vector<uint8_t> BuildVlanFilteringMessage(int bridge_ifindex, bool on);
// RTM_SETLINK (add) / RTM_DELLINK (del), family AF_BRIDGE, IFLA_AF_SPEC{IFLA_BRIDGE_VLAN_INFO}.
std::vector<uint8_t> BuildPortVlanMessage(int port_ifindex, const PortVlan& vlan, bool add);

void SetVlanFiltering(RouteSocket& sock, int bridge_ifindex, bool on);
void AddPortVlan(RouteSocket& sock, int port_ifindex, const PortVlan& vlan);
void DelPortVlan(RouteSocket& sock, int port_ifindex, uint16_t vid);
// Whether this kernel's bridge supports vlan_filtering (probed on a throwaway bridge in the
// socket's namespace).
bool KernelSupportsVlanFiltering(RouteSocket& sock);

}  // namespace cnb::nl
