// SPDX-License-Identifier: Apache-2.0
// DEL, black-box: everything ADD made goes away, DEL is idempotent, and the IP and the masquerade
// rules are released even when the netns is empty or already gone.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"

namespace cnb::test {
namespace {

using nlohmann::json;

class BridgeDelTest : public BridgeTest {
 protected:
  json MasqConf() const {
    auto conf = Conf();
    conf["ipMasq"] = true;
    return conf;
  }
  // No rule of any kind mentions the container's chain or id.
  void ExpectNoMasqRulesFor(const Pod& pod) {
    const std::string rules = NatRules(node());
    EXPECT_EQ(rules.find(MasqChainName(kNet, pod.id)), std::string::npos) << rules;
    EXPECT_EQ(rules.find(pod.id), std::string::npos) << rules;
  }
};

TEST_F(BridgeDelTest, DelRemovesVethReservationAndMasqRules) {
  Pod& pod = NewPod();
  auto add = Add(pod, MasqConf());
  ASSERT_PLUGIN_OK(add);
  const std::string veth = HostVeth(add.json);
  ASSERT_TRUE(Link(node(), veth).has_value());
  ASSERT_EQ(IpamIpFiles(data_dir(), kNet).size(), 1u);
  ASSERT_NE(NatRules(node()).find(MasqChainName(kNet, pod.id)), std::string::npos);

  auto del = Del(pod, MasqConf());
  ASSERT_PLUGIN_OK(del);
  EXPECT_EQ(del.proc.out, "") << "DEL prints nothing on success";
  EXPECT_FALSE(Link(pod.name(), "eth0").has_value());
  EXPECT_FALSE(Link(node(), veth).has_value());
  EXPECT_TRUE(BridgePorts(node(), kBridge).empty());
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty());
  ExpectNoMasqRulesFor(pod);
  EXPECT_TRUE(Link(node(), kBridge).has_value()) << "the bridge is kept, as by the reference";
}

TEST_F(BridgeDelTest, DelTwiceSucceeds) {
  Pod& pod = NewPod();
  ASSERT_PLUGIN_OK(Add(pod, MasqConf()));
  ASSERT_PLUGIN_OK(Del(pod, MasqConf()));
  auto again = Del(pod, MasqConf());
  EXPECT_PLUGIN_OK(again);
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty());
}

TEST_F(BridgeDelTest, DelOfNeverAddedContainerSucceeds) {
  Pod& pod = NewPod();
  EXPECT_PLUGIN_OK(Del(pod, MasqConf()));
  // Also without any dataDir directory or bridge existing yet, and for an L2 config.
  auto l2 = Conf();
  l2["ipam"] = json::object();
  EXPECT_PLUGIN_OK(Del(pod, l2));
}

TEST_F(BridgeDelTest, DelWithEmptyNetnsReleasesIpAndMasqRules) {
  Pod& pod = NewPod();
  ASSERT_PLUGIN_OK(Add(pod, MasqConf()));
  auto del = Call({"DEL", pod.id, "", "eth0", ""}, MasqConf());
  ASSERT_PLUGIN_OK(del);
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty()) << "IP not released";
  // INTENTIONAL DIFFERENCE from the reference (plugins#810): it skips the masquerade teardown
  // when CNI_NETNS is empty and leaks the rules; we remove them by name.
  ExpectNoMasqRulesFor(pod);
}

TEST_F(BridgeDelTest, DelAfterNetnsIsGoneReleasesIpAndMasqRules) {
  Pod& pod = NewPod();
  auto add = Add(pod, MasqConf());
  ASSERT_PLUGIN_OK(add);
  const std::string path = pod.path();
  pod.ns->Remove();  // the runtime already tore the sandbox down
  ASSERT_FALSE(FileExists(path));

  auto del = Call({"DEL", pod.id, path, "eth0", ""}, MasqConf());
  ASSERT_PLUGIN_OK(del);
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty()) << "IP not released";
  EXPECT_TRUE(LinkGoneWithin(node(), HostVeth(add.json))) << "veth did not die with the netns";
  // INTENTIONAL DIFFERENCE from the reference (plugins#810): it leaks the rules here.
  ExpectNoMasqRulesFor(pod);
}

TEST_F(BridgeDelTest, DelOfOnePodLeavesTheOtherIntact) {
  Pod& a = NewPod();
  Pod& b = NewPod();
  auto add_a = Add(a, MasqConf());
  auto add_b = Add(b, MasqConf());
  ASSERT_PLUGIN_OK(add_a);
  ASSERT_PLUGIN_OK(add_b);
  ASSERT_PLUGIN_OK(Del(a, MasqConf()));

  const std::string ip_b = FirstAddress(add_b.json);
  EXPECT_TRUE(HasAddr(b.name(), "eth0", ip_b));
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet), std::vector<std::string>{WithoutPrefix(ip_b)});
  EXPECT_NE(NatRules(node()).find(MasqChainName(kNet, b.id)), std::string::npos);
  EXPECT_EQ(BridgePorts(node(), kBridge).size(), 1u);
  EXPECT_TRUE(Ping(b.name(), kGateway));
}

// A damaged prevResult (the runtime's cached ADD result) must not make DEL fail forever: the
// runtime retries with the same result, so the veth, the IP and the rules would stay.
TEST_F(BridgeDelTest, DelWithADamagedPrevResultStillCleansUp) {
  const std::vector<json> damaged = {
      {{"interfaces", "not a list"}},
      {{"ips", json::array({{{"address", "not-an-ip"}, {"interface", 0}}})}},
      {{"ips", json::array({{{"address", "10.77.0.2/24"}, {"interface", 4294967296}}})}},
      {{"interfaces", json::array({{{"name", 7}}})}, {"dns", "x"}},
  };
  for (const auto& prev : damaged) {
    SCOPED_TRACE(prev.dump());
    Pod& pod = NewPod();
    auto add = Add(pod, MasqConf());
    ASSERT_PLUGIN_OK(add);
    auto conf = MasqConf();
    conf["prevResult"] = prev;
    auto del = Call({"DEL", pod.id, pod.path(), "eth0", ""}, conf);
    EXPECT_PLUGIN_OK(del);
    EXPECT_FALSE(Link(node(), HostVeth(add.json)).has_value());
    EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty());
    ExpectNoMasqRulesFor(pod);
  }
}

}  // namespace
}  // namespace cnb::test
