// SPDX-License-Identifier: Apache-2.0
// vlan against the kernel, with and without a gateway. Kernels without bridge VLAN filtering
// (like the development machines) are detected: there the ADD must fail with a clear error and
// leave nothing behind, and the test then skips with that reason. The messages themselves are
// checked in unit/netlink_vlan_test and unit/bridge_port_vlans_test.
#include <string>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"
#include "support/process.h"

namespace cnb::test {
namespace {

constexpr int kVlan = 100;

class BridgeVlanTest : public BridgeTest {
 protected:
  nlohmann::json VlanGatewayConf() const {
    auto conf = Conf();
    conf["vlan"] = kVlan;
    return conf;
  }
  std::string GatewayName() const { return std::string(kBridge) + "." + std::to_string(kVlan); }

  // Whether the node's kernel makes a vlan_filtering bridge (probed with a throwaway one).
  bool KernelHasVlanFiltering() {
    ProcessResult r = RunProcess(
        {"ip", "-n", node(), "link", "add", "cnbtvprobe", "type", "bridge", "vlan_filtering", "1"}, std::nullopt, "");
    if (r.exit_code != 0) return false;
    Ip(node(), {"link", "del", "cnbtvprobe"});
    return true;
  }

  // Without support the ADD fails before anything is made, and says why.
  void ExpectCleanRefusal(const nlohmann::json& conf) {
    Pod& pod = NewPod();
    auto before = NodeVeths();
    ExpectCniError(Add(pod, conf), 999, "need bridge VLAN filtering, which this kernel lacks");
    ExpectNothingLeftFor(pod, before);
    EXPECT_FALSE(Link(node(), GatewayName()).has_value());
  }

  // `bridge -j vlan show dev <port>` entries.
  nlohmann::json PortVlans(const std::string& port) {
    return nlohmann::json::parse(
        RunOrThrow({"ip", "netns", "exec", node(), "bridge", "-j", "vlan", "show", "dev", port}));
  }
};

TEST_F(BridgeVlanTest, GatewayLivesOnTheVlanInterfaceWhosePeerIsAnAccessPort) {
  if (!KernelHasVlanFiltering()) {
    ExpectCleanRefusal(VlanGatewayConf());
    GTEST_SKIP() << "kernel lacks bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)";
  }
  Pod& a = NewPod();
  Pod& b = NewPod();
  auto add_a = Add(a, VlanGatewayConf());
  ASSERT_PLUGIN_OK(add_a);
  ASSERT_PLUGIN_OK(Add(b, VlanGatewayConf()));

  // The gateway address is on "<bridge>.<vlan>", not on the bridge.
  EXPECT_TRUE(HasAddr(node(), GatewayName(), std::string(kGateway) + "/24"));
  EXPECT_FALSE(HasAddr(node(), kBridge, std::string(kGateway) + "/24"));
  ASSERT_EQ(add_a.json["interfaces"].size(), 4u) << add_a.json.dump();
  EXPECT_EQ(add_a.json["interfaces"][3].value("name", ""), GatewayName());

  // Its peer is a port of the bridge with PVID <vlan>, untagged; made once for every pod.
  auto gateway = Link(node(), GatewayName());
  ASSERT_TRUE(gateway.has_value());
  int vlan_ports = 0;
  for (const auto& port : BridgePorts(node(), kBridge)) {
    if (port.value("ifindex", 0) != gateway->value("link_index", -1)) continue;
    ++vlan_ports;
    const std::string vlans = PortVlans(port.value("ifname", "")).dump();
    EXPECT_NE(vlans.find("\"vlan\":100"), std::string::npos) << vlans;
    EXPECT_NE(vlans.find("PVID"), std::string::npos) << vlans;
    EXPECT_NE(vlans.find("Egress Untagged"), std::string::npos) << vlans;
  }
  EXPECT_EQ(vlan_ports, 1);
  EXPECT_TRUE(Ping(a.name(), kGateway));
  EXPECT_TRUE(Ping(b.name(), WithoutPrefix(FirstAddress(add_a.json))));
}

TEST_F(BridgeVlanTest, AccessPortWithoutGatewayGetsItsPvid) {
  auto conf = Conf();
  conf["isGateway"] = false;
  conf["vlan"] = kVlan;
  if (!KernelHasVlanFiltering()) {
    ExpectCleanRefusal(conf);
    GTEST_SKIP() << "kernel lacks bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)";
  }
  Pod& pod = NewPod();
  auto add = Add(pod, conf);
  ASSERT_PLUGIN_OK(add);
  const std::string vlans = PortVlans(HostVeth(add.json)).dump();
  EXPECT_NE(vlans.find("\"vlan\":100"), std::string::npos) << vlans;
}

}  // namespace
}  // namespace cnb::test
