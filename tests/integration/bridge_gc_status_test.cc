// SPDX-License-Identifier: Apache-2.0
// GC and STATUS (spec 1.1.0), black-box. The reference v1.1.1 predates both; HEAD accepts GC
// without doing anything. Ours releases stale reservations and masquerade rules.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"
#include "support/temp_dir.h"

namespace cnb::test {
namespace {

using nlohmann::json;
using test::ListDir;

class BridgeGcStatusTest : public BridgeTest {
 protected:
  json MasqConf() const {
    auto conf = Conf("1.1.0");
    conf["ipMasq"] = true;
    return conf;
  }
  // GC and STATUS carry no container: only CNI_COMMAND and CNI_PATH, as libcni sends them.
  PluginRun RunNoContainer(const std::string& command, const json& conf) {
    return RunPlugin(node(), "bridge", {{"CNI_COMMAND", command}, {"CNI_PATH", PluginDir()}}, conf.dump());
  }
};

TEST_F(BridgeGcStatusTest, GcReleasesOnlyReservationsMissingFromTheValidList) {
  for (const std::string key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    SCOPED_TRACE(key);
    Pod& keep = NewPod();
    Pod& stale = NewPod();
    auto add_keep = Add(keep, MasqConf());
    ASSERT_PLUGIN_OK(add_keep);
    ASSERT_PLUGIN_OK(Add(stale, MasqConf()));

    auto conf = MasqConf();
    conf[key] = json::array({{{"containerID", keep.id}, {"ifname", "eth0"}}});
    ASSERT_PLUGIN_OK(RunNoContainer("GC", conf));

    const std::string keep_ip = WithoutPrefix(FirstAddress(add_keep.json));
    EXPECT_EQ(IpamIpFiles(data_dir(), kNet), std::vector<std::string>{keep_ip});
    EXPECT_TRUE(HasAddr(keep.name(), "eth0", FirstAddress(add_keep.json)));
    EXPECT_TRUE(Ping(keep.name(), kGateway));

    // Clean slate for the second key.
    ASSERT_PLUGIN_OK(Del(keep, MasqConf()));
    ASSERT_PLUGIN_OK(Del(stale, MasqConf()));
    ASSERT_TRUE(IpamIpFiles(data_dir(), kNet).empty());
  }
}

TEST_F(BridgeGcStatusTest, GcRemovesMasqRulesOfStaleAttachmentsOnly) {
  Pod& keep = NewPod();
  Pod& stale = NewPod();
  ASSERT_PLUGIN_OK(Add(keep, MasqConf()));
  ASSERT_PLUGIN_OK(Add(stale, MasqConf()));

  auto conf = MasqConf();
  conf["cni.dev/valid-attachments"] = json::array({{{"containerID", keep.id}, {"ifname", "eth0"}}});
  ASSERT_PLUGIN_OK(RunNoContainer("GC", conf));

  // The iptables comment `name: "<net>" id: "<cid>"` names both, so stale rules are findable.
  const std::string rules = NatRules(node());
  EXPECT_NE(rules.find(MasqChainName(kNet, keep.id)), std::string::npos) << rules;
  EXPECT_EQ(rules.find(MasqChainName(kNet, stale.id)), std::string::npos) << rules;
  EXPECT_EQ(rules.find(stale.id), std::string::npos) << rules;
}

// IDs too long for iptables' 255-byte comment (the reference takes 1024 bytes): the comment
// keeps only their beginning, and GC and CHECK still find the rules.
TEST_F(BridgeGcStatusTest, RulesOfAContainerIdTooLongForTheCommentAreFoundByGcAndCheck) {
  Pod& pod = NewPod();
  pod.id = std::string(400, 'c');
  auto add = Add(pod, MasqConf());
  ASSERT_PLUGIN_OK(add);
  const std::string chain = MasqChainName(kNet, pod.id);
  ASSERT_NE(NatRules(node()).find(chain), std::string::npos);

  auto conf = MasqConf();
  conf["cni.dev/valid-attachments"] = json::array({{{"containerID", pod.id}, {"ifname", "eth0"}}});
  ASSERT_PLUGIN_OK(RunNoContainer("GC", conf));
  EXPECT_NE(NatRules(node()).find(chain), std::string::npos) << "a valid container keeps its rules";
  EXPECT_PLUGIN_OK(Check(pod, MasqConf(), add.json)) << "and CHECK finds them";

  // Another container whose ID begins the same way: the comments cannot tell them apart, the
  // chains can.
  conf["cni.dev/valid-attachments"] = json::array({{{"containerID", pod.id + "d"}, {"ifname", "eth0"}}});
  ASSERT_PLUGIN_OK(RunNoContainer("GC", conf));
  EXPECT_EQ(NatRules(node()).find(chain), std::string::npos) << "an invalid one loses them";
  ASSERT_PLUGIN_OK(Del(pod, MasqConf()));
}

// An ambiguous list is an error (code 7) before anything is released, for the bridge's
// masquerade GC and host-local's reservations alike: treating it as "nothing is valid" would
// wipe the network.
TEST_F(BridgeGcStatusTest, GcOnAnAmbiguousListReleasesNothing) {
  Pod& pod = NewPod();
  auto add = Add(pod, MasqConf());
  ASSERT_PLUGIN_OK(add);
  const std::vector<std::string> files = IpamIpFiles(data_dir(), kNet);
  ASSERT_EQ(files.size(), 1u);
  for (json bad : {json(nullptr), json("x"), json::array({5}), json::array({{{"containerID", pod.id}}})}) {
    SCOPED_TRACE(bad.dump());
    auto conf = MasqConf();
    conf["cni.dev/valid-attachments"] = bad;
    ExpectCniError(RunNoContainer("GC", conf), 7, "nothing was released");
    // ... and both plugins' state is untouched: the reservation, the NAT chain, the pod's link.
    EXPECT_EQ(IpamIpFiles(data_dir(), kNet), files);
    EXPECT_NE(NatRules(node()).find(MasqChainName(kNet, pod.id)), std::string::npos);
    EXPECT_TRUE(HasAddr(pod.name(), "eth0", FirstAddress(add.json)));
    // host-local on its own says the same.
    auto hl = RunPlugin(node(), "host-local", {{"CNI_COMMAND", "GC"}, {"CNI_PATH", PluginDir()}}, conf.dump());
    ExpectCniError(hl, 7, "nothing was released");
    EXPECT_EQ(IpamIpFiles(data_dir(), kNet), files);
  }
}

// libcni sends both keys; what either lists is kept.
TEST_F(BridgeGcStatusTest, GcWithBothKeysKeepsWhatEitherLists) {
  Pod& a = NewPod();
  Pod& b = NewPod();
  Pod& stale = NewPod();
  auto add_a = Add(a, MasqConf());
  auto add_b = Add(b, MasqConf());
  ASSERT_PLUGIN_OK(add_a);
  ASSERT_PLUGIN_OK(add_b);
  ASSERT_PLUGIN_OK(Add(stale, MasqConf()));
  auto conf = MasqConf();
  conf["cni.dev/valid-attachments"] = json::array({{{"containerID", a.id}, {"ifname", "eth0"}}});
  conf["cni.dev/attachments"] = json::array({{{"containerID", b.id}, {"ifname", "eth0"}}});
  ASSERT_PLUGIN_OK(RunNoContainer("GC", conf));
  std::vector<std::string> kept = {WithoutPrefix(FirstAddress(add_a.json)), WithoutPrefix(FirstAddress(add_b.json))};
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet), kept);
  const std::string rules = NatRules(node());
  EXPECT_NE(rules.find(MasqChainName(kNet, a.id)), std::string::npos) << rules;
  EXPECT_NE(rules.find(MasqChainName(kNet, b.id)), std::string::npos) << rules;
  EXPECT_EQ(rules.find(MasqChainName(kNet, stale.id)), std::string::npos) << rules;
}

TEST_F(BridgeGcStatusTest, GcNeedsSpec110) {
  auto conf = Conf("1.0.0");
  conf["cni.dev/valid-attachments"] = json::array();
  ExpectCniError(RunNoContainer("GC", conf), 1, "does not allow GC");
}

TEST_F(BridgeGcStatusTest, StatusSucceedsWhenAddressesAreFree) {
  auto r = RunNoContainer("STATUS", Conf("1.1.0"));
  EXPECT_PLUGIN_OK(r);
  EXPECT_EQ(r.proc.out, "");
  auto l2 = Conf("1.1.0");
  l2["ipam"] = json::object();
  EXPECT_PLUGIN_OK(RunNoContainer("STATUS", l2));
}

TEST_F(BridgeGcStatusTest, StatusReportsExhaustedPoolAsCode50) {
  auto conf = Conf("1.1.0");
  conf["ipam"]["ranges"] = json::array({json::array({{{"subnet", "10.78.0.0/30"}}})});
  Pod& pod = NewPod();
  ASSERT_PLUGIN_OK(RunNoContainer("STATUS", conf));
  ASSERT_PLUGIN_OK(Add(pod, conf));
  ExpectCniError(RunNoContainer("STATUS", conf), 50, "");
  ASSERT_PLUGIN_OK(Del(pod, conf));
  EXPECT_PLUGIN_OK(RunNoContainer("STATUS", conf));
}

TEST_F(BridgeGcStatusTest, StatusNeedsSpec110) {
  ExpectCniError(RunNoContainer("STATUS", Conf("1.0.0")), 1, "does not allow STATUS");
}

// containerd asks every 5 s: STATUS reads and never writes, not even the network's lock file.
TEST_F(BridgeGcStatusTest, StatusCreatesNothing) {
  ASSERT_PLUGIN_OK(RunNoContainer("STATUS", Conf("1.1.0")));
  EXPECT_TRUE(ListDir(data_dir()).empty()) << "the network's directory and lock are made by the first ADD";
  Pod& pod = NewPod();
  ASSERT_PLUGIN_OK(Add(pod, Conf("1.1.0")));
  const auto before = ListDir(data_dir() + "/" + kNet);
  ASSERT_PLUGIN_OK(RunNoContainer("STATUS", Conf("1.1.0")));
  EXPECT_EQ(ListDir(data_dir() + "/" + kNet), before);
}

}  // namespace
}  // namespace cnb::test
