// SPDX-License-Identifier: Apache-2.0
// Bridge VLAN filtering against the kernel. Kernels built without it (like the development
// machines) are detected and the VLAN cases are skipped with that reason.
#include <cerrno>

#include "common/error.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/route_socket.h"
#include "netlink/vlan.h"
#include "netlink_fixture.h"

namespace cnb::nl {
namespace {

using nltest::NetlinkKernelTest;
using nltest::Sh;

class VlanKernelTest : public NetlinkKernelTest {
 protected:
  void SetUp() override {
    NetlinkKernelTest::SetUp();
    ns_ = NewNs();
    sock_ = std::make_unique<RouteSocket>(RouteSocket::OpenIn(Netns::Open(NsPath(ns_))));
  }
  void TearDown() override {
    sock_.reset();
    NetlinkKernelTest::TearDown();
  }
  // Fails the test (instead of comparing two empty strings) when `ip` fails.
  std::string Links() { return test::RunOrThrow({"ip", "-n", ns_, "-o", "link", "show"}); }

  std::string ns_;
  std::unique_ptr<RouteSocket> sock_;
};

TEST_F(VlanKernelTest, ProbeLeavesNothingBehind) {
  std::string before = Links();
  ASSERT_NE(before.find("lo:"), std::string::npos) << before;
  KernelSupportsVlanFiltering(*sock_);
  EXPECT_EQ(Links(), before);
}

TEST_F(VlanKernelTest, BridgeWithVlanFilteringAndPortVlans) {
  bool supported = KernelSupportsVlanFiltering(*sock_);
  if (!supported) {
    // The request must fail cleanly, leaving no half-made bridge.
    try {
      EnsureBridge(*sock_, {"cnbtvbr0", 0, true});
      ADD_FAILURE() << "vlan_filtering bridge created on a kernel that reported no support";
    } catch (const Error& e) {
      EXPECT_EQ(e.sys_errno(), EOPNOTSUPP) << e.msg();
    }
    EXPECT_FALSE(LinkExists(ns_, "cnbtvbr0"));
    GTEST_SKIP() << "kernel lacks bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)";
  }
  LinkInfo br = EnsureBridge(*sock_, {"cnbtvbr0", 0, true});
  EXPECT_EQ(SysNet(ns_, "cnbtvbr0", "bridge/vlan_filtering"), "1");
  std::string other = NewNs();
  Netns other_ns = Netns::Open(NsPath(other));
  VethSpec spec;
  spec.host_name = "vh0";
  spec.peer_name = "eth0";
  spec.peer_ns_fd = other_ns.fd();
  spec.master_ifindex = br.ifindex;
  CreateVeth(*sock_, spec);
  int port = GetLink(*sock_, "vh0")->ifindex;
  AddPortVlan(*sock_, port, {100, true, true});
  AddPortVlan(*sock_, port, {200, false, false});
  DelPortVlan(*sock_, port, 1);
  std::string shown = Sh("bridge -n " + ns_ + " vlan show dev vh0");
  EXPECT_NE(shown.find("100 PVID Egress Untagged"), std::string::npos) << shown;
  EXPECT_NE(shown.find("200"), std::string::npos) << shown;
  SetVlanFiltering(*sock_, br.ifindex, false);
  EXPECT_EQ(SysNet(ns_, "cnbtvbr0", "bridge/vlan_filtering"), "0");
}

}  // namespace
}  // namespace cnb::nl
