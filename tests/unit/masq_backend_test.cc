// SPDX-License-Identifier: Apache-2.0
// The generated iptables-restore / nft transactions and the backends' decisions, with a fake
// process runner that records every exec (the point of the design is how few there are).
#include <gtest/gtest.h>

#include <deque>

#include "common/error.h"
#include "common/strings.h"
#include "fakes/fake_runner.h"
#include "masq/iptables.h"
#include "masq/iptables_nft.h"
#include "masq/nftables.h"

namespace cnb::masq {
namespace {

IpNet Net(const char* text) { return *IpNet::Parse(text); }

const char kChain[] = "CNI-08e088460ee8f8a377978e0a";
const char kQuotedComment[] = R"("name: \"brnet\" id: \"abc123\"")";
const MasqTarget kTarget{"brnet", "abc123", "eth0"};

Tools AllTools() {
  return {"/sbin/iptables", "/sbin/iptables-restore", "/sbin/ip6tables", "/sbin/ip6tables-restore", "/sbin/nft"};
}

// These backends only use the netfilter socket on iptables-nft hosts, which AllTools() is not.
nl::nft::LazyNftSocket& UnusedNft() {
  static nl::nft::LazyNftSocket nft;
  return nft;
}

using test::FakeRunner;

TEST(MasqIptablesScriptTest, SetupV4) {
  std::string comment = IptablesComment("brnet", "abc123");
  std::string q = kQuotedComment;
  EXPECT_EQ(IptablesSetupScript(kChain, comment, {Net("10.88.0.2/24")}),
            "*nat\n"
            "-N CNI-08e088460ee8f8a377978e0a\n"
            "-A CNI-08e088460ee8f8a377978e0a -d 10.88.0.0/24 -m comment --comment " +
                q +
                " -j ACCEPT\n"
                "-A CNI-08e088460ee8f8a377978e0a ! -d 224.0.0.0/4 -m comment --comment " +
                q +
                " -j MASQUERADE\n"
                "-A POSTROUTING -s 10.88.0.2/32 -m comment --comment " +
                q +
                " -j CNI-08e088460ee8f8a377978e0a\n"
                "COMMIT\n");
}

TEST(MasqIptablesScriptTest, SetupV6WithTwoAddressesPutsAcceptsFirst) {
  std::string s = IptablesSetupScript("CNI-x", "c", {Net("fd00:1::5/64"), Net("fd00:2::5/64")});
  EXPECT_EQ(s,
            "*nat\n-N CNI-x\n"
            "-A CNI-x -d fd00:1::/64 -m comment --comment \"c\" -j ACCEPT\n"
            "-A CNI-x -d fd00:2::/64 -m comment --comment \"c\" -j ACCEPT\n"
            "-A CNI-x ! -d ff00::/8 -m comment --comment \"c\" -j MASQUERADE\n"
            "-A POSTROUTING -s fd00:1::5/128 -m comment --comment \"c\" -j CNI-x\n"
            "-A POSTROUTING -s fd00:2::5/128 -m comment --comment \"c\" -j CNI-x\n"
            "COMMIT\n");
}

TEST(MasqIptablesScriptTest, Teardowns) {
  EXPECT_EQ(IptablesFastTeardownScript("CNI-x", "c", {Net("10.0.0.5/32"), Net("10.0.0.5/24")}),
            "*nat\n-D POSTROUTING -s 10.0.0.5/32 -m comment --comment \"c\" -j CNI-x\n"
            "-F CNI-x\n-X CNI-x\nCOMMIT\n");
  EXPECT_EQ(IptablesSlowTeardownScript("CNI-x", {"POSTROUTING -s 10.0.0.5/32 -j CNI-x"}, true),
            "*nat\n:CNI-x - [0:0]\n-D POSTROUTING -s 10.0.0.5/32 -j CNI-x\n-X CNI-x\nCOMMIT\n");
  EXPECT_EQ(IptablesSlowTeardownScript("CNI-x", {}, true), "*nat\n:CNI-x - [0:0]\n-X CNI-x\nCOMMIT\n");
  // Another interface still jumps to the chain: only the jump goes.
  EXPECT_EQ(IptablesSlowTeardownScript("CNI-x", {"POSTROUTING -s 10.0.0.5/32 -j CNI-x"}, false),
            "*nat\n-D POSTROUTING -s 10.0.0.5/32 -j CNI-x\nCOMMIT\n");
  EXPECT_EQ(IptablesSlowTeardownScript("CNI-x", {}, false), "");
}

TEST(MasqIptablesScriptTest, JumpsOfOneInterfaceAmongTheContainers) {
  const std::string eth0 = "POSTROUTING -s 10.0.0.5/32 -m comment --comment \"c\" -j CNI-x";
  const std::string eth1 = "POSTROUTING -s 10.0.0.6/32 -m comment --comment \"c\" -j CNI-x";
  const std::string old_form = "POSTROUTING -s 10.0.0.0/24 -j CNI-x";  // old references: the subnet
  EXPECT_TRUE(JumpFromOneOf(eth0, {Net("10.0.0.5/24")}));
  EXPECT_FALSE(JumpFromOneOf(eth0, {Net("10.0.0.6/24"), Net("fd00::5/64")}));
  EXPECT_TRUE(JumpFromOneOf(old_form, {Net("10.0.0.9/24")}));
  EXPECT_FALSE(JumpFromOneOf("POSTROUTING -j CNI-x", {Net("10.0.0.5/24")}));

  const std::vector<std::string> jumps = {eth0, eth1, old_form};
  // DEL of eth1 with eth0 known: everything but eth0's goes, the old form covers eth0 too.
  EXPECT_EQ(JumpsToRemove(jumps, {Net("10.0.0.6/24")}, std::vector<IpNet>{Net("10.0.0.5/24")}),
            std::vector<std::string>{eth1});
  // No other interface: all go, whatever the addresses.
  EXPECT_EQ(JumpsToRemove(jumps, {Net("10.0.0.99/24")}, std::vector<IpNet>{}), jumps);
  // Siblings unknown (ADD's rollback): only the jumps of its addresses; all without addresses.
  EXPECT_EQ(JumpsToRemove(jumps, {Net("10.0.0.6/24")}, std::nullopt), (std::vector<std::string>{eth1, old_form}));
  EXPECT_EQ(JumpsToRemove(jumps, {}, std::nullopt), jumps);

  EXPECT_EQ(IptablesAddJumpsScript("CNI-x", "c", {Net("10.0.0.5/24"), Net("10.0.0.7/24")}, {eth0, eth1}),
            "*nat\n-A POSTROUTING -s 10.0.0.7/32 -m comment --comment \"c\" -j CNI-x\nCOMMIT\n");
  EXPECT_EQ(IptablesAddJumpsScript("CNI-x", "c", {Net("10.0.0.5/24")}, {eth0}), "");
}

TEST(MasqIptablesScriptTest, FindJumpRules) {
  const std::string listing =
      "-P POSTROUTING ACCEPT\n"
      "-A POSTROUTING -s 10.88.0.2/32 -m comment --comment \"name: \\\"brnet\\\" id: \\\"abc123\\\"\" -j CNI-aaa\n"
      "-A POSTROUTING -s 10.88.0.0/24 -j CNI-aaa\n"   // the legacy CIDR form
      "-A POSTROUTING -s 10.88.0.3/32 -j CNI-aaab\n"  // another chain, same prefix
      "-A POSTROUTING -j CNI-aaa -m foo\n"            // not a jump at the end
      "-A CNI-aaa -j MASQUERADE\n";
  EXPECT_EQ(
      FindJumpRules(listing, "CNI-aaa"),
      (std::vector<std::string>{
          "POSTROUTING -s 10.88.0.2/32 -m comment --comment \"name: \\\"brnet\\\" id: \\\"abc123\\\"\" -j CNI-aaa",
          "POSTROUTING -s 10.88.0.0/24 -j CNI-aaa"}));
}

TEST(MasqIptablesTest, SetupIsOneRestorePerFamily) {
  FakeRunner fake;
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Setup(kTarget, {Net("10.88.0.2/24"), Net("fd00::2/64")});
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.Argv(0), "/sbin/iptables-restore --noflush -w 5");
  EXPECT_EQ(fake.calls[0].stdin_data,
            IptablesSetupScript(kChain, IptablesComment("brnet", "abc123"), {Net("10.88.0.2/24")}));
  EXPECT_EQ(fake.Argv(1), "/sbin/ip6tables-restore --noflush -w 5");
  EXPECT_NE(fake.calls[1].stdin_data.find("-A POSTROUTING -s fd00::2/128 "), std::string::npos);
}

TEST(MasqIptablesTest, SetupOfASecondInterfaceAddsOnlyItsJump) {
  FakeRunner fake;
  fake.Reply(1, "", "iptables-restore: line 2 failed: Chain already exists.\n");
  fake.Reply(0, "-P POSTROUTING ACCEPT\n-A POSTROUTING -s 10.88.0.9/32 -j " + std::string(kChain) + "\n");
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Setup(kTarget, {Net("10.88.0.2/24")});
  ASSERT_EQ(fake.calls.size(), 3u);
  EXPECT_EQ(fake.Argv(1), "/sbin/iptables -w 5 -t nat -S POSTROUTING");
  EXPECT_EQ(fake.calls[2].stdin_data,
            IptablesAddJumpsScript(kChain, IptablesComment("brnet", "abc123"), {Net("10.88.0.2/24")},
                                   {"POSTROUTING -s 10.88.0.9/32 -j " + std::string(kChain)}));
}

TEST(MasqIptablesTest, SetupReplacesALeftoverChainNothingJumpsTo) {
  FakeRunner fake;
  fake.Reply(1, "", "iptables-restore: line 2 failed: Chain already exists.\n");
  fake.Reply(0, "-P POSTROUTING ACCEPT\n");
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Setup(kTarget, {Net("10.88.0.2/24")});
  ASSERT_EQ(fake.calls.size(), 4u);
  EXPECT_EQ(fake.calls[2].stdin_data, IptablesSlowTeardownScript(kChain, {}, true));
  EXPECT_EQ(fake.calls[3].stdin_data, fake.calls[0].stdin_data);
}

TEST(MasqIptablesTest, SetupFailureReportsStderr) {
  FakeRunner fake;
  fake.Reply(2, "", "first\n");
  fake.Reply(0, "-P POSTROUTING ACCEPT\n");
  fake.Reply(0);
  fake.Reply(2, "", "iptables-restore: unable to initialize table 'nat'\n");
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  try {
    m.Setup(kTarget, {Net("10.88.0.2/24")});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_value(), 999);
    EXPECT_NE(e.msg().find("unable to initialize table 'nat'"), std::string::npos) << e.msg();
  }
}

TEST(MasqIptablesTest, V6FailureUndoesV4) {
  FakeRunner fake;
  fake.Reply(0);                 // v4 restore
  fake.Reply(1, "", "no v6\n");  // v6 restore
  fake.Reply(1, "", "no v6\n");  // v6 listing (to join an existing chain): unusable
  fake.Reply(1, "", "no v6\n");  // v6 retry
  fake.Reply(0);                 // v4 fast teardown
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  EXPECT_THROW(m.Setup(kTarget, {Net("10.88.0.2/24"), Net("fd00::2/64")}), Error);
  ASSERT_EQ(fake.calls.size(), 5u);
  EXPECT_EQ(fake.calls[4].stdin_data,
            IptablesFastTeardownScript(kChain, IptablesComment("brnet", "abc123"), {Net("10.88.0.2/24")}));
}

TEST(MasqIptablesTest, SetupWithoutIptablesFails) {
  FakeRunner fake;
  Tools none;
  IptablesMasquerader m(none, fake.AsRunner(), UnusedNft());
  EXPECT_THROW(m.Setup(kTarget, {Net("10.88.0.2/24")}), Error);
  EXPECT_TRUE(fake.calls.empty());
}

TEST(MasqIptablesTest, TeardownFastPathIsOneExec) {
  FakeRunner fake;
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Teardown(kTarget, {Net("10.88.0.2/24")});
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_EQ(fake.Argv(0), "/sbin/iptables-restore --noflush -w 5");
  EXPECT_EQ(fake.calls[0].stdin_data,
            IptablesFastTeardownScript(kChain, IptablesComment("brnet", "abc123"), {Net("10.88.0.2/24")}));
}

TEST(MasqIptablesTest, TeardownFallsBackToListing) {
  FakeRunner fake;
  fake.Reply(1, "", "iptables-restore: line 2 failed: Bad rule\n");
  fake.Reply(0, "-P POSTROUTING ACCEPT\n-A POSTROUTING -s 10.88.0.0/24 -j " + std::string(kChain) + "\n");
  fake.Reply(0);
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Teardown(kTarget, {Net("10.88.0.2/24")});
  ASSERT_EQ(fake.calls.size(), 3u);
  EXPECT_EQ(fake.calls[2].stdin_data,
            IptablesSlowTeardownScript(kChain, {"POSTROUTING -s 10.88.0.0/24 -j " + std::string(kChain)}, true));
}

TEST(MasqIptablesTest, TeardownWithoutAddressesLooksInBothFamilies) {
  FakeRunner fake;
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Teardown(kTarget, {});
  ASSERT_EQ(fake.calls.size(), 4u);
  EXPECT_EQ(fake.Argv(0), "/sbin/iptables -w 5 -t nat -S POSTROUTING");
  EXPECT_EQ(fake.Argv(1), "/sbin/iptables-restore --noflush -w 5");
  EXPECT_EQ(fake.Argv(2), "/sbin/ip6tables -w 5 -t nat -S POSTROUTING");
  EXPECT_EQ(fake.Argv(3), "/sbin/ip6tables-restore --noflush -w 5");
}

TEST(MasqIptablesTest, TeardownSucceedsWhenIptablesIsMissingOrUnusable) {
  FakeRunner none_called;
  IptablesMasquerader missing(Tools{}, none_called.AsRunner(), UnusedNft());
  missing.Teardown(kTarget, {Net("10.88.0.2/24")});
  EXPECT_TRUE(none_called.calls.empty());

  FakeRunner fake;
  fake.Reply(1, "", "can't initialize iptables table `nat'\n");
  fake.Reply(1, "", "can't initialize iptables table `nat'\n");
  IptablesMasquerader unusable(AllTools(), fake.AsRunner(), UnusedNft());
  unusable.Teardown(kTarget, {Net("10.88.0.2/24")});
  EXPECT_EQ(fake.calls.size(), 2u);
}

TEST(MasqIptablesTest, TeardownReportsFailedRemoval) {
  FakeRunner fake;
  fake.Reply(1, "", "x\n");
  fake.Reply(0, "-P POSTROUTING ACCEPT\n");
  fake.Reply(4, "", "CHAIN_DEL failed (Device or resource busy)\n");
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  EXPECT_THROW(m.Teardown(kTarget, {Net("10.88.0.2/24")}), Error);
}

TEST(MasqIptablesScriptTest, FindNetworkJumpsOnlyTrustsMatchingHashes) {
  const std::string keep = IptablesChainName("brnet", "keep");
  const std::string odd = IptablesChainName("brnet", "we\"ird");
  const std::string listing =
      "-P POSTROUTING ACCEPT\n"
      "-A POSTROUTING -s 10.88.0.2/32 -m comment --comment \"name: \\\"brnet\\\" id: \\\"keep\\\"\" -j " +
      keep + "\n" +
      "-A POSTROUTING -s 10.88.0.3/32 -m comment --comment \"name: \\\"brnet\\\" id: \\\"we\\\\\\\"ird\\\"\" -j " +
      odd + "\n" +
      // Right comment, but the chain is not the hash of it: not ours to touch.
      "-A POSTROUTING -s 10.88.0.4/32 -m comment --comment \"name: \\\"brnet\\\" id: \\\"forged\\\"\" -j " + keep +
      "\n" +
      // Another network.
      "-A POSTROUTING -s 10.89.0.2/32 -m comment --comment \"name: \\\"brnet2\\\" id: \\\"x\\\"\" -j " +
      IptablesChainName("brnet2", "x") + "\n" +
      "-A POSTROUTING -m comment --comment \"CNI portfwd requiring masquerade\" -j CNI-HOSTPORT-MASQ\n";
  auto jumps = FindNetworkJumps(listing, "brnet");
  ASSERT_EQ(jumps.size(), 2u);
  EXPECT_EQ(jumps[0].container_id, "keep");
  EXPECT_EQ(jumps[0].chain, keep);
  EXPECT_TRUE(jumps[0].rule.starts_with("POSTROUTING -s 10.88.0.2/32 "));
  EXPECT_EQ(jumps[1].container_id, "we\"ird");
  EXPECT_EQ(IptablesGcScript({jumps[1]}),
            "*nat\n:" + odd + " - [0:0]\n-D " + jumps[1].rule + "\n-X " + odd + "\nCOMMIT\n");
}

TEST(MasqIptablesTest, GcRemovesChainsOfInvalidContainers) {
  const std::string keep = IptablesChainName("brnet", "keep");
  const std::string stale = IptablesChainName("brnet", "stale");
  FakeRunner fake;
  fake.Reply(0, "-A POSTROUTING -s 10.88.0.2/32 -m comment --comment \"name: \\\"brnet\\\" id: \\\"keep\\\"\" -j " +
                    keep +
                    "\n-A POSTROUTING -s 10.88.0.3/32 -m comment --comment \"name: \\\"brnet\\\" id: "
                    "\\\"stale\\\"\" -j " +
                    stale + "\n");
  fake.Reply(0);
  fake.Reply(0, "-P POSTROUTING ACCEPT\n");
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Gc("brnet", {{"keep", "eth0"}});
  ASSERT_EQ(fake.calls.size(), 3u);
  EXPECT_EQ(fake.Argv(1), "/sbin/iptables-restore --noflush -w 5");
  EXPECT_NE(fake.calls[1].stdin_data.find("-X " + stale + "\n"), std::string::npos);
  EXPECT_EQ(fake.calls[1].stdin_data.find(keep), std::string::npos);
  EXPECT_EQ(fake.Argv(2), "/sbin/ip6tables -w 5 -t nat -S POSTROUTING");
}

// A container ID too long for iptables' comment: the jump is found by its chain, kept while
// the container is valid and removed once it is not.
TEST(MasqIptablesTest, GcTellsContainersWithCutCommentsApartByTheirChain) {
  const std::string live(300, 'a'), gone(300, 'b');
  auto jump = [](const std::string& id, const char* source) {
    const std::string comment = IptablesComment("brnet", id);
    return "-A POSTROUTING -s " + std::string(source) + " -m comment --comment " + RestoreQuote(comment) + " -j " +
           IptablesChainName("brnet", id) + "\n";
  };
  FakeRunner fake;
  fake.Reply(0, jump(live, "10.88.0.2/32") + jump(gone, "10.88.0.3/32"));
  fake.Reply(0);
  fake.Reply(0, "-P POSTROUTING ACCEPT\n");
  IptablesMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Gc("brnet", {{live, "eth0"}});
  ASSERT_EQ(fake.calls.size(), 3u);
  EXPECT_NE(fake.calls[1].stdin_data.find("-X " + IptablesChainName("brnet", gone) + "\n"), std::string::npos);
  EXPECT_EQ(fake.calls[1].stdin_data.find(IptablesChainName("brnet", live)), std::string::npos);
}

// ---- nftables ----

const char kNftListing[] = R"({"nftables": [{"metainfo": {"version": "1.0.6"}},
  {"chain": {"family": "inet", "table": "cni_plugins_masquerade", "name": "masq_checks", "handle": 1}},
  {"rule": {"family": "inet", "table": "cni_plugins_masquerade", "chain": "masq_checks", "handle": 6,
            "comment": "d23676b4f2d9fe04-ebce0e3dd4dafae3, net: mynet, if: eth0, id: abc123", "expr": []}},
  {"rule": {"family": "inet", "table": "cni_plugins_masquerade", "chain": "masq_checks", "handle": 7,
            "comment": "d23676b4f2d9fe04-0000000000000000, net: mynet, if: eth1, id: other", "expr": []}},
  {"rule": {"family": "inet", "table": "cni_plugins_masquerade", "chain": "masq_checks", "handle": 8,
            "expr": []}},
  {"rule": {"family": "inet", "table": "cni_plugins_masquerade", "chain": "masq_checks", "handle": 9,
            "comment": "1111111111111111-ebce0e3dd4dafae3, net: othernet", "expr": []}}]})";

TEST(MasqNftTest, ParseRules) {
  auto rules = ParseNftRules(kNftListing);
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].handle, 6u);
  EXPECT_EQ(rules[0].comment, "d23676b4f2d9fe04-ebce0e3dd4dafae3, net: mynet, if: eth0, id: abc123");
  EXPECT_EQ(rules[2].handle, 8u);
  EXPECT_EQ(rules[2].comment, "");
  EXPECT_THROW(ParseNftRules("not json"), Error);
}

TEST(MasqNftTest, SetupScript) {
  EXPECT_EQ(NftSetupScript("C", {Net("10.0.0.5/24"), Net("fd00::5/64")}, {6}),
            "add table inet cni_plugins_masquerade { comment \"Masquerading for plugins from "
            "github.com/containernetworking/plugins\" ; }\n"
            "add chain inet cni_plugins_masquerade masq_checks { comment \"Masquerade traffic from certain IPs "
            "to any (non-multicast) IP outside their subnet\" ; }\n"
            "add chain inet cni_plugins_masquerade postrouting { type nat hook postrouting priority srcnat ; }\n"
            "flush chain inet cni_plugins_masquerade postrouting\n"
            "add rule inet cni_plugins_masquerade postrouting ip daddr == 224.0.0.0/4 return\n"
            "add rule inet cni_plugins_masquerade postrouting ip6 daddr == ff00::/8 return\n"
            "add rule inet cni_plugins_masquerade postrouting goto masq_checks\n"
            "delete rule inet cni_plugins_masquerade masq_checks handle 6\n"
            "add rule inet cni_plugins_masquerade masq_checks ip saddr == 10.0.0.5 ip daddr != 10.0.0.0/24 "
            "masquerade comment \"C\"\n"
            "add rule inet cni_plugins_masquerade masq_checks ip6 saddr == fd00::5 ip6 daddr != fd00::/64 "
            "masquerade comment \"C\"\n");
}

TEST(MasqNftTest, SetupDeletesStaleRulesOfTheSameInstanceOnly) {
  FakeRunner fake;
  fake.Reply(0, kNftListing);
  NftMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Setup({"mynet", "abc123", "eth0"}, {Net("10.0.0.5/24")});
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.Argv(0), "/sbin/nft -j list chain inet cni_plugins_masquerade masq_checks");
  EXPECT_EQ(fake.Argv(1), "/sbin/nft -f -");
  EXPECT_EQ(
      fake.calls[1].stdin_data,
      NftSetupScript("d23676b4f2d9fe04-ebce0e3dd4dafae3, net: mynet, if: eth0, id: abc123", {Net("10.0.0.5/24")}, {6}));
}

TEST(MasqNftTest, SetupOnEmptyHostCreatesTable) {
  FakeRunner fake;
  fake.Reply(1, "", "Error: No such file or directory\nlist chain inet cni_plugins_masquerade masq_checks\n");
  NftMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Setup({"mynet", "abc123", "eth0"}, {Net("10.0.0.5/24")});
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.calls[1].stdin_data.find("delete rule"), std::string::npos);
}

TEST(MasqNftTest, TeardownDeletesByInstanceHash) {
  FakeRunner fake;
  fake.Reply(0, kNftListing);
  NftMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Teardown({"mynet", "abc123", "eth0"}, {});
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.calls[1].stdin_data, "delete rule inet cni_plugins_masquerade masq_checks handle 6\n");
}

TEST(MasqNftTest, TeardownWithNothingToDeleteIsOneExec) {
  FakeRunner fake;
  fake.Reply(0, kNftListing);
  NftMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Teardown({"mynet", "nope", "eth0"}, {});
  EXPECT_EQ(fake.calls.size(), 1u);
}

TEST(MasqNftTest, GcKeepsValidAttachmentsAndOtherNetworks) {
  FakeRunner fake;
  fake.Reply(0, kNftListing);
  NftMasquerader m(AllTools(), fake.AsRunner(), UnusedNft());
  m.Gc("mynet", {{"abc123", "eth0"}});
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.calls[1].stdin_data, "delete rule inet cni_plugins_masquerade masq_checks handle 7\n");
}

// ---- selection ----

TEST(MasqSelectionTest, AutoUsesIptablesWhenItWorks) {
  FakeRunner fake;
  auto m = MakeMasquerader("", AllTools(), fake.AsRunner(), UnusedNft());
  m->Setup(kTarget, {Net("10.88.0.2/24")});
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_EQ(fake.Argv(0), "/sbin/iptables-restore --noflush -w 5");
  // The rollback undoes with the backend that was used.
  m->Teardown(kTarget, {Net("10.88.0.2/24")});
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.Argv(1), "/sbin/iptables-restore --noflush -w 5");
}

TEST(MasqSelectionTest, AutoFallsBackToNftWhenIptablesIsBroken) {
  FakeRunner fake;
  for (int i = 0; i < 4; ++i) fake.Reply(3, "", "iptables: Failed to initialize nft: Protocol not supported\n");
  fake.Reply(0, R"({"nftables": []})");
  auto m = MakeMasquerader("", AllTools(), fake.AsRunner(), UnusedNft());
  m->Setup(kTarget, {Net("10.88.0.2/24")});
  // restore, leftover listing, retry, probe, then nft list + nft -f.
  ASSERT_EQ(fake.calls.size(), 6u);
  EXPECT_EQ(fake.Argv(3), "/sbin/iptables -w 5 -t nat -S POSTROUTING");
  EXPECT_EQ(fake.Argv(5), "/sbin/nft -f -");
}

TEST(MasqSelectionTest, AutoWithoutIptablesUsesNft) {
  FakeRunner fake;
  Tools only_nft;
  only_nft.nft = "/sbin/nft";
  fake.Reply(0, R"({"nftables": []})");
  auto m = MakeMasquerader("", only_nft, fake.AsRunner(), UnusedNft());
  m->Setup(kTarget, {Net("10.88.0.2/24")});
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.Argv(1), "/sbin/nft -f -");
}

TEST(MasqSelectionTest, AutoWithNothingInstalledFails) {
  FakeRunner fake;
  auto m = MakeMasquerader("", Tools{}, fake.AsRunner(), UnusedNft());
  EXPECT_THROW(m->Setup(kTarget, {Net("10.88.0.2/24")}), Error);
}

TEST(MasqSelectionTest, TeardownUsesBothBackendsAndCollectsErrors) {
  FakeRunner fake;
  fake.Reply(0);                                         // iptables fast path
  fake.Reply(0, kNftListing);                            // nft list
  fake.Reply(1, "", "Error: Could not process rule\n");  // nft delete fails
  auto m = MakeTeardownMasquerader(AllTools(), fake.AsRunner(), UnusedNft());
  try {
    m->Teardown({"mynet", "abc123", "eth0"}, {Net("10.0.0.5/24")});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.msg().find("Could not process rule"), std::string::npos) << e.msg();
  }
  EXPECT_EQ(fake.calls.size(), 3u);
}

TEST(MasqSelectionTest, TeardownSkipsMissingBackends) {
  FakeRunner fake;
  Tools only_nft;
  only_nft.nft = "/sbin/nft";
  auto m = MakeTeardownMasquerader(only_nft, fake.AsRunner(), UnusedNft());
  fake.Reply(1, "", "Error: No such file or directory\n");
  m->Teardown(kTarget, {Net("10.88.0.2/24")});
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_EQ(fake.Argv(0), "/sbin/nft -j list chain inet cni_plugins_masquerade masq_checks");
}

}  // namespace
}  // namespace cnb::masq
