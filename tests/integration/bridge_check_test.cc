// SPDX-License-Identifier: Apache-2.0
// CHECK, black-box: passes on what ADD made, fails (error JSON, exit 1) once reality or the
// prevResult disagree, and is refused for configs older than 0.4.0.
#include <string>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"

namespace cnb::test {
namespace {

using nlohmann::json;

class BridgeCheckTest : public BridgeTest {
 protected:
  // ADD then return the result that CHECK gets as prevResult.
  json Added(Pod& pod, const json& conf) {
    auto r = Add(pod, conf);
    EXPECT_PLUGIN_OK(r);
    return r.json;
  }
  static void ExpectCheckFailed(const PluginRun& r) {
    EXPECT_EQ(r.proc.exit_code, 1) << r.Describe();
    EXPECT_TRUE(r.json.is_object() && r.json.contains("code") && r.json.contains("msg")) << r.Describe();
  }
  void ExpectCheckFailsWith(const Pod& pod, const json& conf, const json& prev, const std::string& msg) {
    auto r = Check(pod, conf, prev);
    ExpectCheckFailed(r);
    EXPECT_EQ(r.msg(), msg) << r.Describe();
  }
  static std::string MasqueradeMissing(const Pod& pod) {
    return "masquerade rules of container " + pod.id + " in network " + kNet + " not found";
  }
};

TEST_F(BridgeCheckTest, PassesAfterAddForEveryCheckCapableVersion) {
  // 1.1.0 is newer than the Debian reference (v1.1.1 stops at 1.0.0).
  for (const std::string version : {"0.4.0", "1.0.0", "1.1.0"}) {
    SCOPED_TRACE(version);
    auto conf = Conf(version);
    conf["isDefaultGateway"] = true;
    Pod& pod = NewPod();
    json prev = Added(pod, conf);
    ASSERT_TRUE(prev.is_object());
    auto r = Check(pod, conf, prev);
    EXPECT_PLUGIN_OK(r);
    EXPECT_EQ(r.proc.out, "") << "CHECK prints nothing on success";
  }
}

TEST_F(BridgeCheckTest, PassesForDualStack) {
  auto conf = DualStackConf();
  conf["isDefaultGateway"] = true;
  Pod& pod = NewPod();
  json prev = Added(pod, conf);
  EXPECT_PLUGIN_OK(Check(pod, conf, prev));
}

TEST_F(BridgeCheckTest, FailsAfterContainerAddressWasRemoved) {
  Pod& pod = NewPod();
  json prev = Added(pod, Conf());
  ASSERT_TRUE(prev.is_object());
  Ip(pod.name(), {"addr", "del", FirstAddress(prev), "dev", "eth0"});
  ExpectCheckFailed(Check(pod, Conf(), prev));
}

TEST_F(BridgeCheckTest, FailsAfterVethWasDeleted) {
  Pod& pod = NewPod();
  json prev = Added(pod, Conf());
  ASSERT_TRUE(prev.is_object());
  Ip(node(), {"link", "del", HostVeth(prev)});
  ExpectCheckFailed(Check(pod, Conf(), prev));
}

TEST_F(BridgeCheckTest, FailsWithWrongContainerMacInPrevResult) {
  Pod& pod = NewPod();
  json prev = Added(pod, Conf());
  ASSERT_TRUE(prev.is_object());
  prev["interfaces"][2]["mac"] = "02:00:00:00:00:01";
  auto r = Check(pod, Conf(), prev);
  ExpectCheckFailed(r);
  // v1.1.1 says "Interface eth0 Mac X doesn't match container Mac: Y", HEAD "... Mac doesn't
  // match: X not found"; both name the interface and the mismatch.
  EXPECT_NE(r.msg().find("Mac"), std::string::npos) << r.Describe();
  EXPECT_NE(r.msg().find("doesn't match"), std::string::npos) << r.Describe();
}

TEST_F(BridgeCheckTest, FailsWhenReservationWasReleased) {
  Pod& pod = NewPod();
  json prev = Added(pod, Conf());
  ASSERT_TRUE(prev.is_object());
  // Releasing the IP behind the plugin's back: host-local CHECK must notice.
  std::string file = data_dir() + "/" + kNet + "/" + WithoutPrefix(FirstAddress(prev));
  ASSERT_EQ(::remove(file.c_str()), 0);
  ExpectCheckFailed(Check(pod, Conf(), prev));
}

// A firewall reload or an operator's flush takes what ADD made: CHECK says which part.
// INTENTIONAL DIFFERENCE from the reference, whose CHECK does not look at the firewall.
TEST_F(BridgeCheckTest, FailsOnceTheFirewallRulesAddMadeAreGone) {
  json conf = Conf();
  conf["ipMasq"] = true;
  conf["macspoofchk"] = true;
  Pod& pod = NewPod();
  json prev = Added(pod, conf);
  ASSERT_TRUE(prev.is_object());
  EXPECT_PLUGIN_OK(Check(pod, conf, prev));

  RunOrThrow({"ip", "netns", "exec", node(), "nft", "flush", "table", "bridge", "nat"});
  ExpectCheckFailsWith(pod, conf, prev, "macspoofchk rules of interface " + HostVeth(prev) + " not found");

  conf.erase("macspoofchk");
  EXPECT_PLUGIN_OK(Check(pod, conf, prev)) << "the masquerade is still whole";
  RunOrThrow({"ip", "netns", "exec", node(), "iptables", "-t", "nat", "-F", "POSTROUTING"});
  ExpectCheckFailsWith(pod, conf, prev, MasqueradeMissing(pod));

  conf.erase("ipMasq");
  EXPECT_PLUGIN_OK(Check(pod, conf, prev)) << "what the config does not ask for is not checked";
}

// The nftables backend's comment holds 128 bytes, so a long container ID (or a runtime's 64-hex
// one in a network with a longer name) is cut in it: CHECK still recognises the rules, and
// still notices them gone.
// INTENTIONAL DIFFERENCE from the reference, whose CHECK does not look at the firewall.
TEST_F(BridgeCheckTest, FindsTheNftablesMasqueradeOfAnIdCutInItsComment) {
  json conf = Conf();
  conf["ipMasq"] = true;
  conf["ipMasqBackend"] = "nftables";
  Pod& pod = NewPod();
  pod.id = std::string(100, 'e');
  json prev = Added(pod, conf);
  ASSERT_TRUE(prev.is_object());
  EXPECT_PLUGIN_OK(Check(pod, conf, prev));
  RunOrThrow({"ip", "netns", "exec", node(), "nft", "flush", "table", "inet", "cni_plugins_masquerade"});
  ExpectCheckFailsWith(pod, conf, prev, MasqueradeMissing(pod));
  ASSERT_PLUGIN_OK(Del(pod, conf));
}

TEST_F(BridgeCheckTest, RefusedForConfigVersionBelow040) {
  Pod& pod = NewPod();
  json prev = Added(pod, Conf("0.3.1"));
  ASSERT_TRUE(prev.is_object());
  ExpectCniError(Check(pod, Conf("0.3.1"), prev), 1, "does not allow CHECK");
}

}  // namespace
}  // namespace cnb::test
