// SPDX-License-Identifier: Apache-2.0
// The node changes behind the plugin's back (an operator or another agent): the bridge deleted
// or replaced, the nat table flushed or deleted, the pod's netns gone, a foreign interface where
// ours should be. As the spec says: DEL succeeds when what it would remove is gone already (and
// still releases the IP and the rules), CHECK fails with an error document that says what is
// wrong, and ADD fails clearly without leaving anything.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fault_fixture.h"
#include "support/process.h"

namespace cnb::test {
namespace {

using nlohmann::json;

// Makes `name` in `ns` as a link of a kind the plugin never makes; returns the kind. Tries the
// kinds one at a time because kernels lack some (this one has no dummy module).
std::string AddForeignLink(const std::string& ns, const std::string& name) {
  const std::vector<std::vector<std::string>> kinds = {
      {"type", "dummy"}, {"type", "ifb"}, {"type", "vxlan", "id", "4242", "dstport", "4789"}};
  std::string tried;
  for (const auto& kind : kinds) {
    std::vector<std::string> argv = {"ip", "-n", ns, "link", "add", name};
    argv.insert(argv.end(), kind.begin(), kind.end());
    ProcessResult r = RunProcess(argv, std::nullopt, {});
    if (r.exit_code == 0) return kind[1];
    tried += Describe(argv, r) + "\n";
  }
  ADD_FAILURE() << "no foreign link kind works here:\n" << tried;
  return "";
}

class BridgeNodeChangesTest : public FaultTest {
 protected:
  PluginRun CheckAdded(const Attached& a, const json& conf) { return Check(*a.pod, conf, a.result); }

  // CHECK failed the way the spec wants it: exit 1 and an error document whose code and message
  // say what is wrong.
  static void ExpectCheckFailed(const PluginRun& r, const std::vector<std::string>& msg_parts) {
    EXPECT_EQ(r.proc.exit_code, 1) << r.Describe();
    ASSERT_TRUE(r.json.is_object()) << r.Describe();
    EXPECT_GT(r.code(), 0) << r.Describe();
    for (const auto& part : msg_parts) EXPECT_NE(r.msg().find(part), std::string::npos) << part << "\n" << r.Describe();
  }
};

TEST_F(BridgeNodeChangesTest, DelAfterTheBridgeWasDeletedRemovesEverythingElse) {
  Attached a = AddAttached(MasqConf());
  Attached bystander = AddAttached(MasqConf());
  ASSERT_FALSE(a.veth.empty());
  Ip(node(), {"link", "del", kBridge});  // the ports stay, detached

  auto del = Del(*a.pod, MasqConf());
  ASSERT_PLUGIN_OK(del);
  ExpectGone(a);
  EXPECT_FALSE(Link(node(), kBridge).has_value()) << "DEL must not make a bridge";
  // The other pod lost its bridge (the operator's doing) but nothing of ours.
  EXPECT_TRUE(Link(node(), bystander.veth).has_value());
  EXPECT_EQ(ReadFile(data_dir() + "/" + kNet + "/" + bystander.ip), bystander.pod->id + "\r\neth0");
  EXPECT_NE(NatRules(node()).find(bystander.chain), std::string::npos);
  EXPECT_PLUGIN_OK(Del(*a.pod, MasqConf())) << "a second DEL";
}

TEST_F(BridgeNodeChangesTest, CheckAfterTheBridgeWasDeletedFailsClearly) {
  Attached a = AddAttached(MasqConf());
  ASSERT_PLUGIN_OK(CheckAdded(a, MasqConf()));
  Ip(node(), {"link", "del", kBridge});
  ExpectCheckFailed(CheckAdded(a, MasqConf()), {kBridge, "not found"});
  ASSERT_PLUGIN_OK(Del(*a.pod, MasqConf()));
  ExpectGone(a);
}

TEST_F(BridgeNodeChangesTest, AddAfterTheBridgeWasDeletedMakesItAgain) {
  Attached old = AddAttached(MasqConf());
  Ip(node(), {"link", "del", kBridge});
  Attached fresh = AddAttached(MasqConf());
  ASSERT_FALSE(fresh.veth.empty());
  ASSERT_TRUE(Link(node(), kBridge).has_value());
  ExpectIntact(fresh);
  EXPECT_TRUE(HasAddr(node(), kBridge, std::string(kGateway) + "/24")) << "the gateway address is back";
  EXPECT_TRUE(Ping(fresh.pod->name(), kGateway));
  EXPECT_PLUGIN_OK(CheckAdded(fresh, MasqConf()));
  // The old pod, cut off by the operator, can still be deleted, and that leaves the new one alone.
  ASSERT_PLUGIN_OK(Del(*old.pod, MasqConf()));
  ExpectGone(old);
  ExpectIntact(fresh);
}

TEST_F(BridgeNodeChangesTest, ABridgeReplacedByAnotherKindFailsCheckAndAdd) {
  Attached a = AddAttached(MasqConf());
  Ip(node(), {"link", "del", kBridge});
  const std::string kind = AddForeignLink(node(), kBridge);
  ASSERT_FALSE(kind.empty());
  ExpectCheckFailed(CheckAdded(a, MasqConf()), {kBridge, "not a bridge"});

  Pod& pod = NewPod();
  const auto veths = NodeVeths();
  auto add = Add(pod, MasqConf());
  EXPECT_EQ(add.proc.exit_code, 1) << add.Describe();
  EXPECT_GT(add.code(), 0) << add.Describe();
  EXPECT_NE(add.msg().find(kBridge), std::string::npos) << add.Describe();
  ExpectNothingLeftFor(pod, veths);
  EXPECT_EQ(NatRules(node()).find(MasqChainName(kNet, pod.id)), std::string::npos);
  auto link = Link(node(), kBridge);
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ((*link)["linkinfo"].value("info_kind", ""), kind) << "the operator's link was changed";

  ASSERT_PLUGIN_OK(Del(*a.pod, MasqConf()));
  ExpectGone(a);
}

// All three ways an operator empties the nat table. DEL removes the chain left empty (or
// nothing, when the table went with it) and still releases the IP.
class NatFlushTest : public BridgeNodeChangesTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(NatFlushTest, DelAfterTheNatTableWasEmptiedSucceedsAndLeavesNoChain) {
  Attached a = AddAttached(MasqConf());
  Attached b = AddAttached(MasqConf());
  ASSERT_FALSE(a.veth.empty());
  RunOrThrow({"ip", "netns", "exec", node(), "sh", "-c", GetParam()});

  ASSERT_PLUGIN_OK(Del(*a.pod, MasqConf()));
  ExpectGone(a);
  EXPECT_TRUE(Link(node(), b.veth).has_value());
  EXPECT_EQ(ReadFile(data_dir() + "/" + kNet + "/" + b.ip), b.pod->id + "\r\neth0");
  EXPECT_TRUE(HasAddr(b.pod->name(), "eth0", FirstAddress(b.result)));
  // CHECK says what is gone; the reference's CHECK does not look at the firewall and passes.
  auto check = CheckAdded(b, MasqConf());
  if (UsingReferencePlugins()) {
    EXPECT_PLUGIN_OK(check);
  } else {
    EXPECT_EQ(check.msg(), "masquerade rules of container " + b.pod->id + " in network " + kNet + " not found")
        << check.Describe();
  }

  ASSERT_PLUGIN_OK(Del(*b.pod, MasqConf()));
  ExpectGone(b);
  const std::string rules = NatRules(node());
  EXPECT_EQ(rules.find("CNI-"), std::string::npos) << rules;
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty());
}

std::string FlushName(const ::testing::TestParamInfo<const char*>& info) {
  static const char* const kNames[] = {"IptablesF", "NftFlush", "NftDeleteTable"};
  return kNames[info.index];
}

INSTANTIATE_TEST_SUITE_P(Flush, NatFlushTest,
                         ::testing::Values("iptables -t nat -F", "nft flush table ip nat", "nft delete table ip nat"),
                         FlushName);

TEST_F(BridgeNodeChangesTest, CheckAfterThePodNetnsWasDeletedFailsClearly) {
  Attached a = AddAttached(MasqConf());
  const std::string path = a.pod->path();
  a.pod->ns->Remove();
  ExpectCheckFailed(CheckAdded(a, MasqConf()), {"failed to open netns", path});
  // The runtime's DEL then cleans up what is left.
  ASSERT_PLUGIN_OK(Call({"DEL", a.pod->id, path, "eth0", ""}, MasqConf()));
  ExpectGone(a);
}

TEST_F(BridgeNodeChangesTest, DelAfterTheNetnsTheBridgeAndTheNatTableAreAllGoneReleasesTheIp) {
  Attached a = AddAttached(MasqConf());
  const std::string path = a.pod->path();
  a.pod->ns->Remove();
  Ip(node(), {"link", "del", kBridge});
  RunOrThrow({"ip", "netns", "exec", node(), "nft", "delete", "table", "ip", "nat"});

  ASSERT_PLUGIN_OK(Call({"DEL", a.pod->id, path, "eth0", ""}, MasqConf()));
  ExpectGone(a);
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty());
  EXPECT_PLUGIN_OK(Call({"DEL", a.pod->id, path, "eth0", ""}, MasqConf())) << "a second DEL";
}

TEST_F(BridgeNodeChangesTest, DelAfterTheHostVethWasDeletedReleasesEverything) {
  Attached a = AddAttached(MasqConf());
  Attached b = AddAttached(MasqConf());
  Ip(node(), {"link", "del", a.veth});  // takes the pod's end with it
  ExpectCheckFailed(CheckAdded(a, MasqConf()), {"eth0", "not found"});
  ASSERT_PLUGIN_OK(Del(*a.pod, MasqConf()));
  ExpectGone(a);
  ExpectIntact(b);
}

// An interface of another kind already has the pod's ifname: ADD refuses before making anything,
// and the runtime's DEL after that failed ADD releases nothing it does not own. The foreign
// interface is not ours (we only ever make veths): it stays.
TEST_F(BridgeNodeChangesTest, AForeignInterfaceNamedLikeIfnameFailsAddAndSurvivesDel) {
  Pod& pod = NewPod();
  const std::string kind = AddForeignLink(pod.name(), "eth0");
  ASSERT_FALSE(kind.empty());
  Ip(pod.name(), {"addr", "add", "192.0.2.7/24", "dev", "eth0"});
  Attached bystander = AddAttached(MasqConf());
  const auto veths = NodeVeths();

  auto add = Add(pod, MasqConf());
  EXPECT_EQ(add.proc.exit_code, 1) << add.Describe();
  EXPECT_GT(add.code(), 0) << add.Describe();
  EXPECT_NE(add.msg().find("eth0"), std::string::npos) << add.Describe();
  EXPECT_NE(add.msg().find("already exists"), std::string::npos) << add.Describe();
  EXPECT_EQ(NodeVeths(), veths);
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet), std::vector<std::string>{bystander.ip});
  EXPECT_EQ(NatRules(node()).find(MasqChainName(kNet, pod.id)), std::string::npos);

  ASSERT_PLUGIN_OK(Del(pod, MasqConf()));
  auto eth0 = Link(pod.name(), "eth0");
  ASSERT_TRUE(eth0.has_value()) << "DEL removed an interface it never made";
  EXPECT_EQ((*eth0)["linkinfo"].value("info_kind", ""), kind);
  EXPECT_TRUE(HasAddr(pod.name(), "eth0", "192.0.2.7/24"));
  ExpectIntact(bystander);
}

// The same when the operator swapped our veth for another kind after ADD: CHECK says so, DEL
// releases the IP and the rules and leaves the foreign interface.
TEST_F(BridgeNodeChangesTest, IfnameReplacedByAnotherKindFailsCheckAndDelReleasesTheRest) {
  Attached a = AddAttached(MasqConf());
  Ip(a.pod->name(), {"link", "del", "eth0"});
  const std::string kind = AddForeignLink(a.pod->name(), "eth0");
  ASSERT_FALSE(kind.empty());
  ExpectCheckFailed(CheckAdded(a, MasqConf()), {"eth0", "not of type veth"});

  ASSERT_PLUGIN_OK(Del(*a.pod, MasqConf()));
  EXPECT_FALSE(FileExists(data_dir() + "/" + kNet + "/" + a.ip)) << "reservation left";
  EXPECT_EQ(NatRules(node()).find(a.chain), std::string::npos) << NatRules(node());
  EXPECT_TRUE(LinkGoneWithin(node(), a.veth));
  EXPECT_TRUE(Link(a.pod->name(), "eth0").has_value()) << "DEL removed an interface it never made";
}

}  // namespace
}  // namespace cnb::test
