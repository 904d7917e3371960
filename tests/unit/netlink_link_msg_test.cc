// SPDX-License-Identifier: Apache-2.0
// Byte-level checks of the raw link requests, and the random name/MAC helpers.
#include <linux/if_link.h>
#include <sys/socket.h>

#include <set>

#include "netlink/link.h"
#include "netlink_msg_parse.h"

namespace cnb::nl {
namespace {

using nltest::ParseLinkMsg;
using nltest::ParseNested;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// "xx:xx:xx:xx:xx:xx" in lower-case hex.
bool IsCanonicalMac(const std::string& s) {
  if (s.size() != 17) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2 ? s[i] != ':' : !IsLowerHex(s[i])) return false;
  }
  return true;
}

TEST(NetlinkLinkMessage, BridgeCreatePlain) {
  auto m = ParseLinkMsg(BuildBridgeCreateMessage({"br0", 0, false}));
  EXPECT_EQ(m.hdr.nlmsg_type, RTM_NEWLINK);
  EXPECT_EQ(m.hdr.nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
  EXPECT_EQ(m.ifi.ifi_index, 0);
  ASSERT_EQ(m.attrs.count(IFLA_IFNAME), 1u);
  EXPECT_EQ(m.attrs.at(IFLA_IFNAME).str(), std::string("br0", 4));
  EXPECT_EQ(m.attrs.count(IFLA_MTU), 0u);
  ASSERT_EQ(m.attrs.count(IFLA_LINKINFO), 1u);
  auto info = ParseNested(m.attrs.at(IFLA_LINKINFO));
  EXPECT_EQ(info.at(IFLA_INFO_KIND).str(), std::string("bridge", 7));
  EXPECT_EQ(info.count(IFLA_INFO_DATA), 0u);
}

TEST(NetlinkLinkMessage, BridgeCreateWithMtuAndVlanFiltering) {
  auto m = ParseLinkMsg(BuildBridgeCreateMessage({"cni0", 9000, true}));
  ASSERT_EQ(m.attrs.count(IFLA_MTU), 1u);
  EXPECT_EQ(m.attrs.at(IFLA_MTU).u32(), 9000u);
  auto info = ParseNested(m.attrs.at(IFLA_LINKINFO));
  ASSERT_EQ(info.count(IFLA_INFO_DATA), 1u);
  auto data = ParseNested(info.at(IFLA_INFO_DATA));
  ASSERT_EQ(data.count(IFLA_BR_VLAN_FILTERING), 1u);
  EXPECT_EQ(data.at(IFLA_BR_VLAN_FILTERING).u8(), 1);
}

TEST(NetlinkLinkMessage, PortFlagsAreNestedProtinfoOnThePort) {
  struct Case {
    bool hairpin, isolated;
  };
  for (Case c : {Case{true, true}, Case{true, false}, Case{false, true}, Case{false, false}}) {
    auto m = ParseLinkMsg(BuildBridgePortFlagsMessage(21, c.hairpin, c.isolated));
    EXPECT_EQ(m.hdr.nlmsg_type, RTM_SETLINK);
    EXPECT_EQ(m.ifi.ifi_family, AF_BRIDGE);
    EXPECT_EQ(m.ifi.ifi_index, 21);
    ASSERT_EQ(m.attrs.size(), 1u);
    ASSERT_EQ(m.attrs.count(IFLA_PROTINFO), 1u);
    // Without NLA_F_NESTED the bridge would take the payload as a bare STP port state.
    EXPECT_TRUE(m.attrs.at(IFLA_PROTINFO).nested_flag);
    auto port = ParseNested(m.attrs.at(IFLA_PROTINFO));
    ASSERT_EQ(port.count(IFLA_BRPORT_MODE), 1u);
    ASSERT_EQ(port.count(IFLA_BRPORT_ISOLATED), 1u);
    EXPECT_EQ(port.at(IFLA_BRPORT_MODE).u8(), c.hairpin ? 1 : 0);
    EXPECT_EQ(port.at(IFLA_BRPORT_ISOLATED).u8(), c.isolated ? 1 : 0);
  }
}

TEST(NetlinkRandom, MacIsLocallyAdministeredUnicast) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string mac = RandomMac();
    ASSERT_TRUE(IsCanonicalMac(mac)) << mac;
    uint8_t bytes[6];
    ASSERT_TRUE(ParseMac(mac, bytes));
    EXPECT_TRUE(bytes[0] & 0x02) << mac;
    EXPECT_FALSE(bytes[0] & 0x01) << mac;
    seen.insert(mac);
  }
  EXPECT_GT(seen.size(), 190u);
}

TEST(NetlinkRandom, VethNameIsVethPlusEightHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string name = RandomVethName();
    ASSERT_EQ(name.size(), 12u) << name;
    ASSERT_EQ(name.substr(0, 4), "veth") << name;
    for (size_t i = 4; i < name.size(); ++i) ASSERT_TRUE(IsLowerHex(name[i])) << name;
    seen.insert(name);
  }
  EXPECT_GT(seen.size(), 190u);
}

TEST(NetlinkMac, Parse) {
  uint8_t b[6];
  ASSERT_TRUE(ParseMac("0A:1b:2c:3D:4e:5f", b));
  EXPECT_EQ(b[0], 0x0a);
  EXPECT_EQ(b[5], 0x5f);
  EXPECT_FALSE(ParseMac("", b));
  EXPECT_FALSE(ParseMac("0a:1b:2c:3d:4e", b));
  ASSERT_TRUE(ParseMac("0a-1b-2c-3d-4e-5f", b)) << "'-' separates too, as in Go's net.ParseMAC";
  EXPECT_EQ(b[1], 0x1b);
  EXPECT_FALSE(ParseMac("0a-1b:2c:3d:4e:5f", b)) << "one separator throughout";
  EXPECT_FALSE(ParseMac("0a:1b:2c:3d:4e:5g", b));
  EXPECT_FALSE(ParseMac("0a:1b:2c:3d:4e:5f:", b));
}

}  // namespace
}  // namespace cnb::nl
