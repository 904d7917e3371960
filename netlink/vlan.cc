// SPDX-License-Identifier: Apache-2.0
#include "netlink/vlan.h"

#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdio>

#include "common/error.h"
#include "netlink/internal.h"
#include "netlink/link.h"

namespace cnb::nl {
namespace {

using internal::MsgPtr;
using internal::Nest;
using internal::Put;

MsgPtr NewLinkRequest(int type, int family, int ifindex) {
  MsgPtr msg(nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK));
  if (!msg) throw InternalError("out of memory building a netlink request", ENOMEM);
  ifinfomsg ifi{};
  ifi.ifi_family = static_cast<unsigned char>(family);
  ifi.ifi_index = ifindex;
  if (nlmsg_append(msg.get(), &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
    throw InternalError("netlink request too large", EMSGSIZE);
  }
  return msg;
}

std::string Index(int ifindex) { return "link index " + std::to_string(ifindex); }

}  // namespace

std::vector<uint8_t> BuildVlanFilteringMessage(int bridge_ifindex, bool on) {
  MsgPtr msg = NewLinkRequest(RTM_NEWLINK, AF_UNSPEC, bridge_ifindex);
  nlattr* info = Nest(msg.get(), IFLA_LINKINFO);
  Put(nla_put_string(msg.get(), IFLA_INFO_KIND, "bridge"));
  nlattr* data = Nest(msg.get(), IFLA_INFO_DATA);
  Put(nla_put_u8(msg.get(), IFLA_BR_VLAN_FILTERING, on ? 1 : 0));
  nla_nest_end(msg.get(), data);
  nla_nest_end(msg.get(), info);
  return internal::ToBytes(msg.get());
}

std::vector<uint8_t> BuildPortVlanMessage(int port_ifindex, const PortVlan& vlan, bool add) {
  MsgPtr msg = NewLinkRequest(add ? RTM_SETLINK : RTM_DELLINK, AF_BRIDGE, port_ifindex);
  nlattr* spec = Nest(msg.get(), IFLA_AF_SPEC);
  bridge_vlan_info info{};
  info.vid = vlan.vid;
  if (vlan.pvid) info.flags |= BRIDGE_VLAN_INFO_PVID;
  if (vlan.untagged) info.flags |= BRIDGE_VLAN_INFO_UNTAGGED;
  Put(nla_put(msg.get(), IFLA_BRIDGE_VLAN_INFO, sizeof(info), &info));
  nla_nest_end(msg.get(), spec);
  return internal::ToBytes(msg.get());
}

void SetVlanFiltering(RouteSocket& sock, int bridge_ifindex, bool on) {
  internal::SendRequest(
      sock, BuildVlanFilteringMessage(bridge_ifindex, on),
      std::string("failed to turn vlan_filtering ") + (on ? "on" : "off") + " on " + Index(bridge_ifindex));
}

void AddPortVlan(RouteSocket& sock, int port_ifindex, const PortVlan& vlan) {
  internal::SendRequest(sock, BuildPortVlanMessage(port_ifindex, vlan, true),
                        "failed to add vlan " + std::to_string(vlan.vid) + " to " + Index(port_ifindex));
}

void DelPortVlan(RouteSocket& sock, int port_ifindex, uint16_t vid) {
  PortVlan vlan;
  vlan.vid = vid;
  internal::SendRequest(sock, BuildPortVlanMessage(port_ifindex, vlan, false),
                        "failed to delete vlan " + std::to_string(vid) + " from " + Index(port_ifindex));
}

bool KernelSupportsVlanFiltering(RouteSocket& sock) {
  // A throwaway bridge created with vlan_filtering=1: kernels built without
  // CONFIG_BRIDGE_VLAN_FILTERING refuse the attribute with EOPNOTSUPP.
  BridgeSpec probe;
  probe.name = "cnbvp" + RandomVethName().substr(4);
  probe.vlan_filtering = true;
  try {
    internal::SendRequest(sock, BuildBridgeCreateMessage(probe), "vlan_filtering probe");
  } catch (const Error& e) {
    if (e.sys_errno() == EOPNOTSUPP) return false;
    throw;
  }
  if (auto link = GetLink(sock, probe.name)) DeleteLink(sock, link->ifindex);
  return true;
}

}  // namespace cnb::nl
