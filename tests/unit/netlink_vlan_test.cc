// SPDX-License-Identifier: Apache-2.0
// Byte-level checks of the raw VLAN requests (this machine's kernel cannot run them).
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <sys/socket.h>

#include <cstring>

#include "netlink/vlan.h"
#include "netlink_msg_parse.h"

namespace cnb::nl {
namespace {

using nltest::ParseLinkMsg;
using nltest::ParseNested;

bridge_vlan_info VlanInfoOf(const nltest::LinkMsg& m) {
  bridge_vlan_info info{};
  EXPECT_EQ(m.attrs.count(IFLA_AF_SPEC), 1u);
  if (!m.attrs.count(IFLA_AF_SPEC)) return info;
  const auto& spec = m.attrs.at(IFLA_AF_SPEC);
  EXPECT_TRUE(spec.nested_flag);
  auto inner = ParseNested(spec);
  EXPECT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner.count(IFLA_BRIDGE_VLAN_INFO), 1u);
  if (!inner.count(IFLA_BRIDGE_VLAN_INFO)) return info;
  const auto& payload = inner.at(IFLA_BRIDGE_VLAN_INFO).payload;
  EXPECT_EQ(payload.size(), sizeof(bridge_vlan_info));
  if (payload.size() == sizeof(info)) std::memcpy(&info, payload.data(), sizeof(info));
  return info;
}

TEST(NetlinkVlanMessage, AddPvidUntaggedVlanToPort) {
  auto m = ParseLinkMsg(BuildPortVlanMessage(7, {100, true, true}, true));
  EXPECT_EQ(m.hdr.nlmsg_type, RTM_SETLINK);
  EXPECT_TRUE(m.hdr.nlmsg_flags & NLM_F_REQUEST);
  EXPECT_TRUE(m.hdr.nlmsg_flags & NLM_F_ACK);
  EXPECT_EQ(m.ifi.ifi_family, AF_BRIDGE);
  EXPECT_EQ(m.ifi.ifi_index, 7);
  EXPECT_EQ(m.attrs.size(), 1u);
  auto info = VlanInfoOf(m);
  EXPECT_EQ(info.vid, 100);
  EXPECT_EQ(info.flags, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED);
}

TEST(NetlinkVlanMessage, AddTaggedVlanHasNoFlags) {
  auto m = ParseLinkMsg(BuildPortVlanMessage(9, {4094, false, false}, true));
  EXPECT_EQ(m.hdr.nlmsg_type, RTM_SETLINK);
  auto info = VlanInfoOf(m);
  EXPECT_EQ(info.vid, 4094);
  EXPECT_EQ(info.flags, 0);
}

TEST(NetlinkVlanMessage, PvidWithoutUntagged) {
  auto info = VlanInfoOf(ParseLinkMsg(BuildPortVlanMessage(9, {5, true, false}, true)));
  EXPECT_EQ(info.flags, BRIDGE_VLAN_INFO_PVID);
  info = VlanInfoOf(ParseLinkMsg(BuildPortVlanMessage(9, {5, false, true}, true)));
  EXPECT_EQ(info.flags, BRIDGE_VLAN_INFO_UNTAGGED);
}

TEST(NetlinkVlanMessage, DeleteVlanIsDellinkOnThePort) {
  auto m = ParseLinkMsg(BuildPortVlanMessage(12, {1, false, false}, false));
  EXPECT_EQ(m.hdr.nlmsg_type, RTM_DELLINK);
  EXPECT_EQ(m.ifi.ifi_family, AF_BRIDGE);
  EXPECT_EQ(m.ifi.ifi_index, 12);
  EXPECT_EQ(VlanInfoOf(m).vid, 1);
}

TEST(NetlinkVlanMessage, VlanFilteringOnBridge) {
  for (bool on : {true, false}) {
    auto m = ParseLinkMsg(BuildVlanFilteringMessage(3, on));
    EXPECT_EQ(m.hdr.nlmsg_type, RTM_NEWLINK);
    EXPECT_FALSE(m.hdr.nlmsg_flags & NLM_F_CREATE);
    EXPECT_EQ(m.ifi.ifi_index, 3);
    EXPECT_EQ(m.ifi.ifi_family, AF_UNSPEC);
    ASSERT_EQ(m.attrs.count(IFLA_LINKINFO), 1u);
    auto info = ParseNested(m.attrs.at(IFLA_LINKINFO));
    ASSERT_EQ(info.count(IFLA_INFO_KIND), 1u);
    EXPECT_EQ(info.at(IFLA_INFO_KIND).str(), std::string("bridge", 7));  // NUL-terminated
    ASSERT_EQ(info.count(IFLA_INFO_DATA), 1u);
    auto data = ParseNested(info.at(IFLA_INFO_DATA));
    ASSERT_EQ(data.count(IFLA_BR_VLAN_FILTERING), 1u);
    EXPECT_EQ(data.at(IFLA_BR_VLAN_FILTERING).payload.size(), 1u);
    EXPECT_EQ(data.at(IFLA_BR_VLAN_FILTERING).u8(), on ? 1 : 0);
  }
}

}  // namespace
}  // namespace cnb::nl
