// SPDX-License-Identifier: Apache-2.0
// macspoofchk against the kernel: frames a pod sends with a forged source MAC are dropped on the
// bridge while its own MAC passes; DEL (with or without the netns), GC and a failed ADD leave no
// rule behind; and the reference plugin and ours remove each other's rules.
#include <unistd.h>

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"
#include "support/process.h"

namespace cnb::test {
namespace {

class SpoofCheckTest : public BridgeTest {
 protected:
  nlohmann::json SpoofConf() const {
    auto conf = Conf();
    conf["macspoofchk"] = true;
    return conf;
  }

  // `nft list table bridge nat` in the node, "" when the table does not exist.
  std::string BridgeNat() const {
    ProcessResult r =
        RunProcess({"ip", "netns", "exec", node(), "nft", "list", "table", "bridge", "nat"}, std::nullopt, "");
    return r.exit_code == 0 ? r.out : "";
  }

  // Whether any chain or rule of the attachment is in the node.
  bool HasCheckFor(const std::string& container_id, const std::string& ifname = "eth0") const {
    return BridgeNat().find("cni-br-iface-" + container_id + "-" + ifname) != std::string::npos;
  }

  // What remains once every check is gone: the (empty) base chain, which neither plugin removes.
  void ExpectNoChecks() const {
    const std::string nat = BridgeNat();
    EXPECT_EQ(nat.find("cni-br-iface-"), std::string::npos) << nat;
    EXPECT_EQ(nat.find("macspoofchk-"), std::string::npos) << nat;
  }

  // `nft list table bridge nat` with the attachment's own values (host veth, pod MAC) named, so
  // two plugins' listings compare.
  std::string NormalizedNat(const nlohmann::json& add_result) const {
    std::string nat = BridgeNat();
    const std::string mac = add_result.at("interfaces").at(2).at("mac").get<std::string>();
    for (const auto& [from, to] : {std::pair{HostVeth(add_result), "<veth>"}, std::pair{mac, "<mac>"}}) {
      for (size_t at = nat.find(from); at != std::string::npos; at = nat.find(from, at))
        nat.replace(at, from.size(), to);
    }
    return nat;
  }

  void SetMac(const Pod& pod, const std::string& mac) { Ip(pod.name(), {"link", "set", "eth0", "address", mac}); }

  static void RequireReference() {
    ASSERT_EQ(::access((std::string(kReferencePluginDir) + "/bridge").c_str(), X_OK), 0)
        << "the reference plugins (Debian containernetworking-plugins) must be installed in " << kReferencePluginDir;
  }
};

TEST_F(SpoofCheckTest, ForgedSourceMacIsDroppedAndTheRealOnePasses) {
  Pod& checked = NewPod();
  Pod& control = NewPod();  // same bridge, no check: shows the drop is the check's doing
  auto add = Add(checked, SpoofConf());
  ASSERT_PLUGIN_OK(add);
  ASSERT_PLUGIN_OK(Add(control, Conf()));
  const std::string real_mac = add.json["interfaces"][2].value("mac", "");
  ASSERT_TRUE(Ping(checked.name(), kGateway)) << "the pod's own MAC must pass";
  ASSERT_TRUE(Ping(control.name(), kGateway));

  SetMac(checked, "02:00:5e:00:00:aa");
  SetMac(control, "02:00:5e:00:00:bb");
  Ip(node(), {"neigh", "flush", "dev", kBridge});  // the node learns the new MACs again
  EXPECT_FALSE(Ping(checked.name(), kGateway, 2)) << "a forged source MAC must be dropped\n" << BridgeNat();
  EXPECT_TRUE(Ping(control.name(), kGateway)) << "a pod without the check may change its MAC";

  SetMac(checked, real_mac);
  Ip(node(), {"neigh", "flush", "dev", kBridge});
  EXPECT_TRUE(Ping(checked.name(), kGateway)) << "the real MAC passes again";
}

TEST_F(SpoofCheckTest, DelRemovesTheCheckWithOrWithoutTheNetns) {
  Pod& a = NewPod();
  Pod& b = NewPod();
  ASSERT_PLUGIN_OK(Add(a, SpoofConf()));
  ASSERT_PLUGIN_OK(Add(b, SpoofConf()));
  ASSERT_TRUE(HasCheckFor(a.id) && HasCheckFor(b.id)) << BridgeNat();

  ASSERT_PLUGIN_OK(Del(a, SpoofConf()));
  EXPECT_FALSE(HasCheckFor(a.id)) << BridgeNat();
  EXPECT_TRUE(HasCheckFor(b.id)) << "another pod's check must stay\n" << BridgeNat();

  b.ns->Remove();  // the runtime lost the netns: the rules are found by their comment
  ASSERT_PLUGIN_OK(Del(b, SpoofConf()));
  ExpectNoChecks();
  ASSERT_PLUGIN_OK(Del(b, SpoofConf())) << "a repeated DEL succeeds";
}

TEST_F(SpoofCheckTest, AFailedAddRemovesItsCheck) {
  auto conf = SpoofConf();
  conf["ipam"]["type"] = "cnbt-no-such-ipam";  // fails after the check is in place
  Pod& pod = NewPod();
  auto before = NodeVeths();
  auto r = Add(pod, conf);
  ASSERT_FALSE(r.ok()) << r.Describe();
  ExpectNothingLeftFor(pod, before);
  ExpectNoChecks();
}

TEST_F(SpoofCheckTest, LeftoversOfAnEarlierAddAreReplaced) {
  Pod& pod = NewPod();
  // As a crash between the check and the rest of an ADD would leave them.
  const std::string chain = "cni-br-iface-" + pod.id + "-eth0";
  RunOrThrow({"ip", "netns", "exec", node(), "nft",
              "add table bridge nat; add chain bridge nat " + chain + "; add chain bridge nat " + chain + "-mac"});
  auto add = Add(pod, SpoofConf());
  ASSERT_PLUGIN_OK(add);
  const std::string nat = BridgeNat();
  EXPECT_NE(nat.find("iifname \"" + HostVeth(add.json) + "\" jump " + chain), std::string::npos) << nat;
  ASSERT_PLUGIN_OK(Del(pod, SpoofConf()));
  ExpectNoChecks();
}

TEST_F(SpoofCheckTest, GcRemovesChecksOfStaleAttachmentsOnly) {
  Pod& keep = NewPod();
  Pod& stale = NewPod();
  ASSERT_PLUGIN_OK(Add(keep, SpoofConf()));
  ASSERT_PLUGIN_OK(Add(stale, SpoofConf()));
  auto conf = SpoofConf();
  conf["cniVersion"] = "1.1.0";  // GC is CNI 1.1
  conf["cni.dev/valid-attachments"] = nlohmann::json::array({{{"containerID", keep.id}, {"ifname", "eth0"}}});
  ASSERT_PLUGIN_OK(RunPlugin(node(), "bridge", {{"CNI_COMMAND", "GC"}, {"CNI_PATH", PluginDir()}}, conf.dump()));
  EXPECT_TRUE(HasCheckFor(keep.id)) << BridgeNat();
  EXPECT_FALSE(HasCheckFor(stale.id)) << BridgeNat();
}

// An upgrade or a rollback swaps the binaries under running pods: each plugin's DEL must remove
// the other's check, which holds because both write the same rules.
TEST_F(SpoofCheckTest, ReferenceAndOursWriteTheSameRulesAndRemoveEachOthers) {
  if (UsingReferencePlugins()) GTEST_SKIP() << "compares this build with the reference: nothing to compare";
  RequireReference();
  Pod& theirs = NewPod();
  auto ref_add = CallReference({"ADD", theirs.id, theirs.path()}, SpoofConf());
  ASSERT_PLUGIN_OK(ref_add);
  const std::string ref_rules = NormalizedNat(ref_add.json);
  ASSERT_PLUGIN_OK(Del(theirs, SpoofConf()));
  ExpectNoChecks();

  Pod& ours = NewPod();
  // The same container ID, so that the chain names compare too.
  ours.id = theirs.id;
  auto add = Add(ours, SpoofConf());
  ASSERT_PLUGIN_OK(add);
  EXPECT_EQ(NormalizedNat(add.json), ref_rules);
  ASSERT_PLUGIN_OK(CallReference({"DEL", ours.id, ours.path()}, SpoofConf()));
  ExpectNoChecks();
}

}  // namespace
}  // namespace cnb::test
