// SPDX-License-Identifier: Apache-2.0
#include "netlink/link_parse.h"

#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>

#include <cstring>
#include <vector>

#include "netlink/internal.h"
#include "netlink/mac.h"

namespace cnb::nl {
namespace {

std::string MacOf(nl_addr* addr) {
  if (!addr || nl_addr_get_len(addr) != 6) return "";
  return FormatMac(static_cast<const uint8_t*>(nl_addr_get_binary_addr(addr)));
}

// nl_msg_parse's callback: libnl keeps its reference to the object, so it is read right here.
void OnLink(nl_object* obj, void* arg) {
  *static_cast<std::optional<LinkInfo>*>(arg) = LinkInfoOf(reinterpret_cast<rtnl_link*>(obj));
}

}  // namespace

LinkInfo LinkInfoOf(rtnl_link* link) {
  LinkInfo info;
  info.ifindex = rtnl_link_get_ifindex(link);
  if (const char* name = rtnl_link_get_name(link)) info.name = name;
  if (const char* kind = rtnl_link_get_type(link)) info.kind = kind;
  info.mac = MacOf(rtnl_link_get_addr(link));
  info.mtu = static_cast<int>(rtnl_link_get_mtu(link));
  info.flags = rtnl_link_get_flags(link);
  info.master = rtnl_link_get_master(link);
  info.peer_ifindex = rtnl_link_get_link(link);
  uint8_t oper = rtnl_link_get_operstate(link);
  info.oper_up = oper == IF_OPER_UP;
  char buf[32];
  info.operstate = rtnl_link_operstate2str(oper, buf, sizeof(buf));
  if (const char* alias = rtnl_link_get_ifalias(link)) info.alias = alias;
  int32_t netnsid = -1;
  if (rtnl_link_get_link_netnsid(link, &netnsid) == 0) info.peer_netnsid = netnsid;
  return info;
}

std::optional<LinkInfo> ParseLinkMessage(const uint8_t* payload, size_t len) {
  if (len > UINT32_MAX - NLMSG_HDRLEN) return std::nullopt;
  // A dump reply's header around the payload; nlmsg_convert copies exactly nlmsg_len bytes.
  std::vector<uint8_t> wire(NLMSG_HDRLEN + len);
  nlmsghdr hdr{};
  hdr.nlmsg_len = static_cast<uint32_t>(wire.size());
  hdr.nlmsg_type = RTM_NEWLINK;
  hdr.nlmsg_flags = NLM_F_MULTI;
  std::memcpy(wire.data(), &hdr, sizeof(hdr));
  if (len > 0) std::memcpy(wire.data() + NLMSG_HDRLEN, payload, len);
  internal::MsgPtr msg(nlmsg_convert(reinterpret_cast<nlmsghdr*>(wire.data())));
  if (!msg) return std::nullopt;
  nlmsg_set_proto(msg.get(), NETLINK_ROUTE);
  std::optional<LinkInfo> out;
  if (nl_msg_parse(msg.get(), OnLink, &out) < 0) return std::nullopt;
  return out;
}

}  // namespace cnb::nl
