// SPDX-License-Identifier: Apache-2.0
// Traffic, black-box: pods reach their gateway and each other over the bridge (v4 and v6).
// Pings only ever go between the test's own namespaces.
#include <string>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"

namespace cnb::test {
namespace {

TEST_F(BridgeTest, PodReachesGatewayAndOtherPod) {
  auto conf = Conf();
  conf["isDefaultGateway"] = true;
  Pod& a = NewPod();
  Pod& b = NewPod();
  auto add_a = Add(a, conf);
  auto add_b = Add(b, conf);
  ASSERT_PLUGIN_OK(add_a);
  ASSERT_PLUGIN_OK(add_b);
  const std::string ip_a = WithoutPrefix(FirstAddress(add_a.json));
  const std::string ip_b = WithoutPrefix(FirstAddress(add_b.json));
  ASSERT_NE(ip_a, ip_b);

  EXPECT_TRUE(Ping(a.name(), kGateway)) << "pod a -> gateway";
  EXPECT_TRUE(Ping(b.name(), kGateway)) << "pod b -> gateway";
  EXPECT_TRUE(Ping(a.name(), ip_b)) << "pod a -> pod b";
  EXPECT_TRUE(Ping(b.name(), ip_a)) << "pod b -> pod a";
  // The node reaches the pods through the gateway address on the bridge.
  EXPECT_TRUE(Ping(node(), ip_a)) << "node -> pod a";
}

TEST_F(BridgeTest, PodsReachEachOtherOverIpv6) {
  Pod& a = NewPod();
  Pod& b = NewPod();
  auto add_a = Add(a, DualStackConf());
  auto add_b = Add(b, DualStackConf());
  ASSERT_PLUGIN_OK(add_a);
  ASSERT_PLUGIN_OK(add_b);
  ASSERT_EQ(add_b.json["ips"].size(), 2u);
  const std::string v6_b = WithoutPrefix(add_b.json["ips"][1].value("address", ""));
  const std::string v6_a = WithoutPrefix(add_a.json["ips"][1].value("address", ""));
  EXPECT_TRUE(Ping(a.name(), v6_b, 5)) << "pod a -> pod b over v6";
  EXPECT_TRUE(Ping(b.name(), v6_a, 5)) << "pod b -> pod a over v6";
}

TEST_F(BridgeTest, DeletedPodIsNoLongerReachable) {
  Pod& a = NewPod();
  Pod& b = NewPod();
  auto add_a = Add(a, Conf());
  auto add_b = Add(b, Conf());
  ASSERT_PLUGIN_OK(add_a);
  ASSERT_PLUGIN_OK(add_b);
  const std::string ip_b = WithoutPrefix(FirstAddress(add_b.json));
  ASSERT_TRUE(Ping(a.name(), ip_b));
  ASSERT_PLUGIN_OK(Del(b, Conf()));
  EXPECT_FALSE(Ping(a.name(), ip_b, 1));
}

}  // namespace
}  // namespace cnb::test
