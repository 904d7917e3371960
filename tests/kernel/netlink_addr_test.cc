// SPDX-License-Identifier: Apache-2.0
// Addresses and routes on a veth pair between two throwaway namespaces.
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <chrono>

#include "common/error.h"
#include "common/ip.h"
#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/route.h"
#include "netlink/route_socket.h"
#include "netlink_fixture.h"
#include "support/values.h"

namespace cnb::nl {
namespace {

using nltest::Sh;
using namespace std::chrono_literals;

using test::Ip;
using test::Net;

class AddrTest : public nltest::HostPodTest {
 protected:
  void SetUp() override {
    HostPodTest::SetUp();
    Netns pod = Netns::Open(NsPath(pod_ns_));
    VethSpec spec;
    spec.host_name = "vh0";
    spec.peer_name = "eth0";
    spec.peer_ns_fd = pod.fd();
    CreateVeth(*host_, spec);
    host_if_ = GetLink(*host_, "vh0")->ifindex;
    pod_if_ = GetLink(*pod_, "eth0")->ifindex;
  }
  void BothUp() {
    SetLinkUp(*host_, host_if_);
    SetLinkUp(*pod_, pod_if_);
    for (int i = 0; i < 500 && !GetLinkByIndex(*pod_, pod_if_)->oper_up; ++i) ::usleep(10000);
    ASSERT_TRUE(GetLinkByIndex(*pod_, pod_if_)->oper_up);
  }
  std::string PodAddrs() { return Sh("ip -n " + pod_ns_ + " -o addr show dev eth0"); }

  int host_if_ = 0, pod_if_ = 0;
};

TEST_F(AddrTest, AddListDeleteIpv4) {
  AddAddress(*pod_, pod_if_, Net("10.10.0.2/24"));
  EXPECT_NE(PodAddrs().find("inet 10.10.0.2/24 brd 10.10.0.255"), std::string::npos) << PodAddrs();
  auto v4 = ListAddresses(*pod_, pod_if_, AF_INET);
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0].local, Net("10.10.0.2/24"));
  EXPECT_EQ(v4[0].ifindex, pod_if_);
  EXPECT_EQ(v4[0].scope, RT_SCOPE_UNIVERSE);
  EXPECT_TRUE(ListAddresses(*pod_, pod_if_, AF_INET6).empty());
  // Filtering by link: lo's 127.0.0.1 is not ours (lo is down, so it may have none at all).
  for (const auto& a : ListAddresses(*pod_, 0, AF_INET)) EXPECT_TRUE(a.ifindex == pod_if_ || a.ifindex == 1);

  try {
    AddAddress(*pod_, pod_if_, Net("10.10.0.2/24"));
    FAIL() << "added a duplicate address";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsExists()) << e.msg();
  }
  DelAddress(*pod_, pod_if_, Net("10.10.0.2/24"));
  EXPECT_EQ(PodAddrs().find("10.10.0.2"), std::string::npos);
  EXPECT_TRUE(ListAddresses(*pod_, pod_if_, AF_INET).empty());
  EXPECT_THROW(DelAddress(*pod_, pod_if_, Net("10.10.0.2/24")), Error);
}

TEST_F(AddrTest, Ipv6NodadIsNotTentative) {
  BothUp();
  AddAddress(*pod_, pod_if_, Net("2001:db8::2/64"), /*nodad=*/true);
  std::string shown = Sh("ip -n " + pod_ns_ + " -o addr show dev eth0 to 2001:db8::2/128");
  EXPECT_NE(shown.find("inet6 2001:db8::2/64"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("tentative"), std::string::npos) << shown;
  bool found = false;
  for (const auto& a : ListAddresses(*pod_, pod_if_, AF_INET6)) {
    if (a.local == Net("2001:db8::2/64")) {
      found = true;
      EXPECT_FALSE(a.tentative());
      EXPECT_TRUE(a.flags & IFA_F_NODAD);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(AddrTest, Ipv6WithDadSettles) {
  BothUp();
  AddAddress(*pod_, pod_if_, Net("2001:db8::3/64"));
  bool tentative_at_first = false;
  for (const auto& a : ListAddresses(*pod_, pod_if_, AF_INET6)) {
    if (a.local == Net("2001:db8::3/64")) tentative_at_first = a.tentative();
  }
  EXPECT_TRUE(tentative_at_first);
  WaitAddressesSettled(*pod_, pod_if_, 5000ms);
  // Every IPv6 address of the link has settled, the link-local one included.
  for (const auto& a : ListAddresses(*pod_, pod_if_, AF_INET6)) EXPECT_FALSE(a.tentative()) << a.local.ToString();
  EXPECT_EQ(PodAddrs().find("tentative"), std::string::npos) << PodAddrs();
}

TEST_F(AddrTest, DuplicateAddressFailsDad) {
  BothUp();
  AddAddress(*host_, host_if_, Net("2001:db8::9/64"), /*nodad=*/true);
  AddAddress(*pod_, pod_if_, Net("2001:db8::9/64"));
  try {
    WaitAddressesSettled(*pod_, pod_if_, 5000ms);
    FAIL() << "a duplicated address settled";
  } catch (const Error& e) {
    EXPECT_NE(e.msg().find("duplicate address detection failed"), std::string::npos) << e.msg();
  }
  EXPECT_NE(PodAddrs().find("dadfailed"), std::string::npos) << PodAddrs();
}

TEST_F(AddrTest, TentativeOnDownLinkIsNotAnError) {
  // eth0 stays down: DAD cannot run, so the address stays tentative; that is not a failure.
  AddAddress(*pod_, pod_if_, Net("2001:db8::4/64"));
  EXPECT_NE(PodAddrs().find("tentative"), std::string::npos) << PodAddrs();
  auto start = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(WaitAddressesSettled(*pod_, pod_if_, 200ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
}

TEST_F(AddrTest, DefaultRouteViaGatewayAndLinkRoutes) {
  BothUp();
  AddAddress(*pod_, pod_if_, Net("10.10.0.2/24"));
  RouteSpec def;
  def.dst = Net("0.0.0.0/0");
  def.gw = Ip("10.10.0.1");
  def.ifindex = pod_if_;
  AddRoute(*pod_, def);
  EXPECT_EQ(Sh("ip -n " + pod_ns_ + " -4 route show default"), "default via 10.10.0.1 dev eth0 ");
  RouteSpec onlink;
  onlink.dst = Net("192.168.77.0/24");
  onlink.ifindex = pod_if_;
  onlink.priority = 100;
  AddRoute(*pod_, onlink);
  EXPECT_EQ(Sh("ip -n " + pod_ns_ + " -4 route show 192.168.77.0/24"),
            "192.168.77.0/24 dev eth0 scope link metric 100 ");

  bool saw_default = false, saw_onlink = false;
  for (const auto& r : ListRoutes(*pod_, AF_INET)) {
    EXPECT_EQ(r.table, RT_TABLE_MAIN);
    if (r.dst == Net("0.0.0.0/0")) {
      saw_default = true;
      ASSERT_TRUE(r.gw.has_value());
      EXPECT_EQ(*r.gw, Ip("10.10.0.1"));
      EXPECT_EQ(r.ifindex, pod_if_);
      EXPECT_EQ(r.scope, RT_SCOPE_UNIVERSE);
      EXPECT_EQ(r.type, RTN_UNICAST);
    }
    if (r.dst == Net("192.168.77.0/24")) {
      saw_onlink = true;
      EXPECT_FALSE(r.gw.has_value());
      EXPECT_EQ(r.scope, RT_SCOPE_LINK);
      EXPECT_EQ(r.priority, 100);
    }
  }
  EXPECT_TRUE(saw_default);
  EXPECT_TRUE(saw_onlink);

  try {
    AddRoute(*pod_, def);
    FAIL() << "added a duplicate route";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsExists()) << e.msg();
  }
  DelRoute(*pod_, def);
  EXPECT_EQ(Sh("ip -n " + pod_ns_ + " -4 route show default"), "");
  try {
    DelRoute(*pod_, def);
    FAIL() << "deleted a missing route";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsNotFound()) << e.msg();
  }
}

TEST_F(AddrTest, Ipv6DefaultRouteAndOtherTable) {
  BothUp();
  AddAddress(*pod_, pod_if_, Net("2001:db8::2/64"), true);
  RouteSpec def;
  def.dst = Net("::/0");
  def.gw = Ip("2001:db8::1");
  def.ifindex = pod_if_;
  AddRoute(*pod_, def);
  EXPECT_NE(Sh("ip -n " + pod_ns_ + " -6 route show default").find("default via 2001:db8::1 dev eth0"),
            std::string::npos);
  RouteSpec other;
  other.dst = Net("2001:db8:1::/48");
  other.gw = Ip("2001:db8::1");
  other.ifindex = pod_if_;
  other.table = 100;
  AddRoute(*pod_, other);
  EXPECT_NE(Sh("ip -n " + pod_ns_ + " -6 route show table 100").find("2001:db8:1::/48 via 2001:db8::1"),
            std::string::npos);

  auto in_main = [](const std::vector<RouteInfo>& rs, const IpNet& dst) {
    for (const auto& r : rs) {
      if (r.dst == dst) return true;
    }
    return false;
  };
  auto main_routes = ListRoutes(*pod_, AF_INET6);
  EXPECT_TRUE(in_main(main_routes, Net("::/0")));
  EXPECT_FALSE(in_main(main_routes, Net("2001:db8:1::/48")));
  auto all = ListRoutes(*pod_, AF_INET6, true);
  bool found = false;
  for (const auto& r : all) {
    if (r.dst == Net("2001:db8:1::/48")) {
      found = true;
      EXPECT_EQ(r.table, 100);
      EXPECT_EQ(r.gw, Ip("2001:db8::1"));
    }
  }
  EXPECT_TRUE(found);
  DelRoute(*pod_, other);
  EXPECT_EQ(Sh("ip -n " + pod_ns_ + " -6 route show table 100"), "");
}

TEST_F(AddrTest, PingAcrossVethSmoke) {
  BothUp();
  AddAddress(*host_, host_if_, Net("10.20.0.1/24"));
  AddAddress(*pod_, pod_if_, Net("10.20.0.2/24"));
  int status = -1;
  InNs(pod_ns_, "ping -c1 -W2 10.20.0.1", &status);
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace cnb::nl
