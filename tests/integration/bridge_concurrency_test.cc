// SPDX-License-Identifier: Apache-2.0
// Many ADDs and DELs at once (as a runtime starting a node's pods does): each plugin process
// must serialise on the IPAM lock and race benignly on bridge creation.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"
#include "support/parallel.h"

namespace cnb::test {
namespace {

using nlohmann::json;

constexpr int kPods = 16;
constexpr int kWorkers = 8;

class BridgeConcurrencyTest : public BridgeTest {
 protected:
  template <typename Op>
  std::vector<PluginRun> InParallel(Op op, int count = kPods) {
    return test::InParallel(kWorkers, count, op);
  }
};

TEST_F(BridgeConcurrencyTest, SixteenPodsAddedAndDeletedByEightWorkers) {
  auto conf = Conf();
  conf["ipMasq"] = true;
  std::vector<Pod*> pods;
  for (int i = 0; i < kPods; ++i) pods.push_back(&NewPod());  // namespaces made serially

  auto adds = InParallel([&](int i) { return Add(*pods[i], conf); });
  std::set<std::string> addresses;
  for (int i = 0; i < kPods; ++i) {
    ASSERT_PLUGIN_OK(adds[i]);
    std::string address = FirstAddress(adds[i].json);
    addresses.insert(address);
    EXPECT_TRUE(HasAddr(pods[i]->name(), "eth0", address)) << "pod " << i << " " << address;
    EXPECT_EQ(ReadFile(data_dir() + "/" + kNet + "/" + WithoutPrefix(address)), pods[i]->id + "\r\neth0");
  }
  EXPECT_EQ(addresses.size(), static_cast<size_t>(kPods)) << "duplicate IPs handed out";
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet).size(), static_cast<size_t>(kPods));
  EXPECT_EQ(BridgePorts(node(), kBridge).size(), static_cast<size_t>(kPods));
  EXPECT_EQ(LinksOfKind(node(), "bridge").size(), 1u);
  const std::string rules = NatRules(node());
  for (int i = 0; i < kPods; ++i)
    EXPECT_NE(rules.find(MasqChainName(kNet, pods[i]->id)), std::string::npos) << "pod " << i;
  EXPECT_TRUE(Ping(pods[0]->name(), WithoutPrefix(FirstAddress(adds[kPods - 1].json))));

  auto dels = InParallel([&](int i) { return Del(*pods[i], conf); });
  for (int i = 0; i < kPods; ++i) EXPECT_PLUGIN_OK(dels[i]) << "pod " << i;
  EXPECT_TRUE(BridgePorts(node(), kBridge).empty());
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty());
  EXPECT_EQ(NatRules(node()).find("CNI-"), std::string::npos) << NatRules(node());
}

// DELs of many pods racing each other and new ADDs: every DEL lists POSTROUTING and commits a
// batch built from it while other commits move the ruleset on (and interrupt its dumps, which
// span several messages with this many rules). None may fail: a failed DEL leaves a pod
// Terminating until the runtime's retries get through.
TEST_F(BridgeConcurrencyTest, RacingDelsAndAddsAllSucceedAndLeaveNothing) {
  constexpr int kOld = 40;
  constexpr int kNew = 16;
  auto conf = Conf();
  conf["ipam"]["ranges"] = json::array({json::array({{{"subnet", "10.77.0.0/22"}}})});
  conf["ipMasq"] = true;
  std::vector<Pod*> pods;
  for (int i = 0; i < kOld + kNew; ++i) pods.push_back(&NewPod());
  auto adds = InParallel([&](int i) { return Add(*pods[static_cast<size_t>(i)], conf); }, kOld);
  for (int i = 0; i < kOld; ++i) ASSERT_PLUGIN_OK(adds[static_cast<size_t>(i)]) << "pod " << i;

  // The old pods' DELs and the new pods' ADDs, interleaved.
  auto runs = InParallel(
      [&](int i) {
        Pod& pod = *pods[static_cast<size_t>(i)];
        return i < kOld ? Del(pod, conf) : Add(pod, conf);
      },
      kOld + kNew);
  for (int i = 0; i < kOld + kNew; ++i) EXPECT_PLUGIN_OK(runs[static_cast<size_t>(i)]) << "call " << i;
  std::string rules = NatRules(node());
  for (int i = 0; i < kOld + kNew; ++i) {
    const bool kept = i >= kOld;
    EXPECT_EQ(rules.find(MasqChainName(kNet, pods[static_cast<size_t>(i)]->id)) != std::string::npos, kept)
        << "pod " << i;
  }
  EXPECT_EQ(BridgePorts(node(), kBridge).size(), static_cast<size_t>(kNew));
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet).size(), static_cast<size_t>(kNew));

  auto dels = InParallel([&](int i) { return Del(*pods[static_cast<size_t>(kOld + i)], conf); }, kNew);
  for (int i = 0; i < kNew; ++i) EXPECT_PLUGIN_OK(dels[static_cast<size_t>(i)]) << "pod " << kOld + i;
  EXPECT_TRUE(BridgePorts(node(), kBridge).empty());
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty());
  rules = NatRules(node());
  EXPECT_EQ(rules.find("CNI-"), std::string::npos) << rules;
}

}  // namespace
}  // namespace cnb::test
