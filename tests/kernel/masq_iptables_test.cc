// SPDX-License-Identifier: Apache-2.0
// The iptables backend against real iptables in throwaway namespaces: exact rules read back,
// idempotent teardown, IPv6, and the auto backend choice. Every case runs twice: rules written
// over netlink (the iptables-nft path) and by exec'ing iptables-restore (the iptables-legacy path).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/process.h"
#include "kernel/masq_fixture.h"
#include "masq/iptables.h"
#include "masq/iptables_nft.h"
#include "masq/masq.h"
#include "masq/nftables.h"
#include "support/netns.h"
#include "support/values.h"

namespace cnb::masq {
namespace {

using test::InNetns;
using test::MasqNetns;
using test::RuleLines;

using test::Net;

const MasqTarget kTarget{"brnet", "abc123", "eth0"};
const std::string kChain = "CNI-08e088460ee8f8a377978e0a";
const std::string kComment = R"(-m comment --comment "name: \"brnet\" id: \"abc123\"")";

// `iptables -t nat -S` after the reference's ADD of kTarget with 10.88.0.2/24.
std::vector<std::string> ReferenceAddRules() {
  return {
      "-N " + kChain,
      "-A POSTROUTING -s 10.88.0.2/32 " + kComment + " -j " + kChain,
      "-A " + kChain + " -d 10.88.0.0/24 " + kComment + " -j ACCEPT",
      "-A " + kChain + " ! -d 224.0.0.0/4 " + kComment + " -j MASQUERADE",
  };
}

// The machine's tools, with the netlink path on or off.
Tools ToolsFor(bool native) {
  Tools tools = FindTools();
  tools.iptables_nft = tools.iptables_nft && native;
  tools.ip6tables_nft = tools.ip6tables_nft && native;
  return tools;
}

test::OwnedMasquerader MakeWith(const std::string& backend, bool native) {
  return test::OwnedMasquerader(
      [&](nl::nft::LazyNftSocket& nft) { return MakeMasquerader(backend, ToolsFor(native), RunProcess, nft); });
}

test::OwnedMasquerader MakeTeardownWith(bool native) {
  return test::OwnedMasquerader(
      [&](nl::nft::LazyNftSocket& nft) { return MakeTeardownMasquerader(ToolsFor(native), RunProcess, nft); });
}

class MasqIptablesKernelTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::IsRoot()) << "kernel tests need root";
    if (GetParam()) {
      // The netlink path must really run here: Debian 12's iptables is iptables-nft.
      ASSERT_TRUE(FindTools().iptables_nft) << "iptables here is not iptables-nft";
    }
  }

  test::OwnedMasquerader Make(const std::string& backend) { return MakeWith(backend, GetParam()); }
  test::OwnedMasquerader MakeTeardown() { return MakeTeardownWith(GetParam()); }

  std::vector<std::string> Rules(const char* tool = "iptables") {
    return RuleLines(ns_.Exec({tool, "-t", "nat", "-S"}));
  }

  MasqNetns ns_;
};

TEST_P(MasqIptablesKernelTest, SetupWritesTheReferenceRules) {
  {
    InNetns in(ns_);
    Make("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  }
  EXPECT_EQ(Rules(), ReferenceAddRules());
  EXPECT_EQ(Rules("ip6tables"), std::vector<std::string>{});
}

TEST_P(MasqIptablesKernelTest, SetupTwiceDoesNotDuplicate) {
  {
    InNetns in(ns_);
    auto m = Make("iptables");
    m->Setup(kTarget, {Net("10.88.0.2/24")});
    m->Setup(kTarget, {Net("10.88.0.2/24")});
  }
  EXPECT_EQ(Rules().size(), 4u);
}

// An ADD killed half-way by the reference, which writes rule by rule, leaves a chain that
// nothing jumps to: the next ADD replaces it.
TEST_P(MasqIptablesKernelTest, SetupReplacesALeftoverChainNothingJumpsTo) {
  ns_.Exec({"iptables", "-t", "nat", "-N", kChain});
  ns_.Exec({"iptables", "-t", "nat", "-A", kChain, "-j", "ACCEPT"});
  {
    InNetns in(ns_);
    Make("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  }
  EXPECT_EQ(Rules(), ReferenceAddRules());
}

TEST_P(MasqIptablesKernelTest, TeardownWithAddressesLeavesNothingAndRepeats) {
  InNetns in(ns_);
  Make("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  MakeTeardown()->Teardown(kTarget, {Net("10.88.0.2/24")});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
  // DEL is idempotent: nothing there is success.
  EXPECT_NO_THROW(MakeTeardown()->Teardown(kTarget, {Net("10.88.0.2/24")}));
  EXPECT_NO_THROW(MakeTeardown()->Teardown(kTarget, {}));
  EXPECT_EQ(Rules(), std::vector<std::string>{});
}

TEST_P(MasqIptablesKernelTest, TeardownWithoutAddressesFindsTheJumps) {
  InNetns in(ns_);
  Make("iptables")->Setup(kTarget, {Net("10.88.0.2/24"), Net("10.99.0.7/16")});
  ASSERT_EQ(Rules().size(), 6u);  // -N, two ACCEPTs, MASQUERADE, two jumps
  MakeTeardown()->Teardown(kTarget, {});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
}

TEST_P(MasqIptablesKernelTest, TeardownOnlyTouchesItsOwnContainer) {
  InNetns in(ns_);
  Make("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  MasqTarget other{"brnet", "other", "eth0"};
  Make("iptables")->Setup(other, {Net("10.88.0.3/24")});
  MakeTeardown()->Teardown(kTarget, {});
  auto rules = Rules();
  ASSERT_EQ(rules.size(), 4u);
  std::string other_chain = IptablesChainName("brnet", "other");
  for (const auto& r : rules) EXPECT_NE(r.find(other_chain), std::string::npos) << r;
}

TEST_P(MasqIptablesKernelTest, TeardownWithWrongAddressFallsBackToListing) {
  InNetns in(ns_);
  Make("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  // e.g. the address came from a stale cache: the fast path misses, the listing still finds it.
  // The pod has no other interface, so no jump to its chain is anyone else's.
  MasqTarget alone = kTarget;
  alone.siblings.emplace();
  MakeTeardown()->Teardown(alone, {Net("10.88.0.99/24")});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
}

TEST_P(MasqIptablesKernelTest, TeardownKeepsTheJumpsOfTheContainersOtherInterfaces) {
  InNetns in(ns_);
  Make("iptables")->Setup({"brnet", "pod", "eth0"}, {Net("10.88.0.2/24")});
  Make("iptables")->Setup({"brnet", "pod", "eth1"}, {Net("10.88.0.3/24")});
  const std::string chain = IptablesChainName("brnet", "pod");
  auto jumps = [&] {
    std::vector<std::string> out;
    for (const auto& r : Rules()) {
      if (r.starts_with("-A POSTROUTING")) out.push_back(r.substr(0, r.find(" -m comment")));
    }
    return out;
  };
  ASSERT_EQ(jumps(), (std::vector<std::string>{"-A POSTROUTING -s 10.88.0.2/32", "-A POSTROUTING -s 10.88.0.3/32"}));
  MasqTarget eth1{"brnet", "pod", "eth1", std::vector<IpNet>{Net("10.88.0.2/24")}};
  // A stale address for eth1: its real jump still goes, eth0's stays.
  MakeTeardown()->Teardown(eth1, {Net("10.88.0.99/24")});
  EXPECT_EQ(jumps(), std::vector<std::string>{"-A POSTROUTING -s 10.88.0.2/32"});
  EXPECT_EQ(Rules().size(), 4u) << "the chain and its two rules stay for eth0";
  MasqTarget eth0{"brnet", "pod", "eth0", std::vector<IpNet>{}};
  MakeTeardown()->Teardown(eth0, {Net("10.88.0.2/24")});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
}

// ADD's rollback knows only what it made: the jumps of its own addresses go, the other
// interface's jump and the chain it uses stay.
TEST_P(MasqIptablesKernelTest, TeardownWithUnknownSiblingsRemovesOnlyItsOwnJumps) {
  InNetns in(ns_);
  Make("iptables")->Setup({"brnet", "pod", "eth0"}, {Net("10.88.0.2/24")});
  Make("iptables")->Setup({"brnet", "pod", "eth1"}, {Net("10.88.0.3/24")});
  ASSERT_EQ(Rules().size(), 5u);
  MakeTeardown()->Teardown({"brnet", "pod", "eth1"}, {Net("10.88.0.3/24")});
  const std::vector<std::string> rules = Rules();
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_NE(rules[1].find("-A POSTROUTING -s 10.88.0.2/32"), std::string::npos) << rules[1];
  MakeTeardown()->Teardown({"brnet", "pod", "eth0"}, {Net("10.88.0.2/24")});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
}

TEST_P(MasqIptablesKernelTest, DualStack) {
  InNetns in(ns_);
  Make("iptables")->Setup(kTarget, {Net("10.88.0.2/24"), Net("fd00:88::2/64")});
  EXPECT_EQ(Rules("ip6tables"), (std::vector<std::string>{
                                    "-N " + kChain,
                                    "-A POSTROUTING -s fd00:88::2/128 " + kComment + " -j " + kChain,
                                    "-A " + kChain + " -d fd00:88::/64 " + kComment + " -j ACCEPT",
                                    "-A " + kChain + " ! -d ff00::/8 " + kComment + " -j MASQUERADE",
                                }));
  EXPECT_EQ(Rules().size(), 4u);
  MakeTeardown()->Teardown(kTarget, {Net("10.88.0.2/24"), Net("fd00:88::2/64")});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
  EXPECT_EQ(Rules("ip6tables"), std::vector<std::string>{});
}

TEST_P(MasqIptablesKernelTest, AwkwardNamesRoundTrip) {
  InNetns in(ns_);
  MasqTarget odd{R"(we"ird\net)", "id'with\"quotes", "eth0"};
  Make("iptables")->Setup(odd, {Net("10.88.0.2/24")});
  auto rules = Rules();
  ASSERT_EQ(rules.size(), 4u);
  // iptables-save escapes the Go-quoted comment once more.
  EXPECT_NE(rules[1].find(R"(--comment "name: \"we\\\"ird\\\\net\" id: \"id\'with\\\"quotes\"")"), std::string::npos)
      << rules[1];
  MakeTeardown()->Teardown(odd, {Net("10.88.0.2/24")});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
}

TEST_P(MasqIptablesKernelTest, GcRemovesInvalidContainersOfTheNetworkOnly) {
  InNetns in(ns_);
  Make("iptables")->Setup({"brnet", "keep", "eth0"}, {Net("10.88.0.2/24"), Net("fd00:88::2/64")});
  Make("iptables")->Setup({"brnet", "stale", "eth0"}, {Net("10.88.0.3/24"), Net("fd00:88::3/64")});
  Make("iptables")->Setup({"brnet2", "stale", "eth0"}, {Net("10.89.0.3/24")});
  MakeTeardown()->Gc("brnet", {{"keep", "eth1"}});
  const std::string gone = IptablesChainName("brnet", "stale");
  for (const char* tool : {"iptables", "ip6tables"}) {
    std::string all = ns_.Exec({tool, "-t", "nat", "-S"});
    EXPECT_EQ(all.find(gone), std::string::npos) << all;
    EXPECT_NE(all.find(IptablesChainName("brnet", "keep")), std::string::npos) << all;
  }
  EXPECT_EQ(Rules().size(), 8u);  // keep's and brnet2's chains with their jumps
  EXPECT_EQ(Rules("ip6tables").size(), 4u);
}

TEST_P(MasqIptablesKernelTest, AutoBackendPrefersIptables) {
  {
    InNetns in(ns_);
    auto m = Make("");
    m->Setup(kTarget, {Net("10.88.0.2/24")});
  }
  EXPECT_EQ(Rules().size(), 4u);
  // Nothing went to nftables' own table.
  EXPECT_EQ(ns_.Exec({"nft", "list", "tables"}).find("cni_plugins_masquerade"), std::string::npos);
}

TEST_P(MasqIptablesKernelTest, OtherPostroutingRulesSurvive) {
  ns_.Exec({"iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.168.7.0/24", "-j", "MASQUERADE"});
  InNetns in(ns_);
  Make("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  MakeTeardown()->Teardown(kTarget, {});
  EXPECT_EQ(Rules(), std::vector<std::string>{"-A POSTROUTING -s 192.168.7.0/24 -j MASQUERADE"});
}

TEST_P(MasqIptablesKernelTest, TheOtherPathRemovesTheRules) {
  // A node can switch binaries or iptables flavours between ADD and DEL.
  InNetns in(ns_);
  Make("iptables")->Setup(kTarget, {Net("10.88.0.2/24"), Net("fd00:88::2/64")});
  MakeTeardownWith(!GetParam())->Teardown(kTarget, {});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
  EXPECT_EQ(Rules("ip6tables"), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Paths, MasqIptablesKernelTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Netlink" : "IptablesRestore"; });

// nft's view of the ruleset, expression by expression, with the rule handles (the numbers after
// "ip nat <chain>") removed.
std::string NftBytecode(const MasqNetns& ns) {
  std::istringstream in(ns.Exec({"nft", "--debug=netlink", "list", "ruleset"}));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("ip nat ") || line.starts_with("ip6 nat ")) {
      // "<family> nat <chain> <handle> [<position>]": keep the first three words.
      std::istringstream words(line);
      std::string family, table, chain;
      words >> family >> table >> chain;
      line = family + " " + table + " " + chain;
    }
    out += line + "\n";
  }
  return out;
}

TEST(MasqIptablesNftTest, NetlinkRulesAreByteForByteWhatIptablesRestoreWrites) {
  ASSERT_TRUE(test::IsRoot()) << "kernel tests need root";
  ASSERT_TRUE(FindTools().iptables_nft) << "iptables here is not iptables-nft";
  const std::vector<IpNet> ips = {Net("10.88.0.2/20"), Net("10.99.0.7/8"), Net("fd00:88::2/64"), Net("fd00:99::7/61")};
  MasqNetns native;
  MasqNetns exec;
  {
    InNetns in(native);
    MakeWith("iptables", true)->Setup(kTarget, ips);
  }
  {
    InNetns in(exec);
    MakeWith("iptables", false)->Setup(kTarget, ips);
  }
  const std::string ours = NftBytecode(native);
  EXPECT_NE(ours.find("[ target name MASQUERADE rev 0 ]"), std::string::npos) << ours;
  EXPECT_NE(ours.find("[ bitwise reg 1 = ( reg 1 & 0x00f0ffff ) ^ 0x00000000 ]"), std::string::npos) << ours;
  EXPECT_EQ(ours, NftBytecode(exec));
  // -S rather than iptables-save, whose header carries the time of the call.
  for (const char* tool : {"iptables", "ip6tables"}) {
    EXPECT_EQ(RuleLines(native.Exec({tool, "-t", "nat", "-S"})), RuleLines(exec.Exec({tool, "-t", "nat", "-S"})));
  }
}

TEST(MasqIptablesNftTest, DetectsTheIptablesFlavour) {
  ASSERT_TRUE(test::IsRoot()) << "kernel tests need root";
  const bool nft = test::RunOrThrow({"iptables", "--version"}).find("nf_tables") != std::string::npos;
  EXPECT_EQ(FindTools().iptables_nft, nft);
  EXPECT_FALSE(masq::ResolvesToIptablesNft("/bin/sh"));
  EXPECT_FALSE(masq::ResolvesToIptablesNft(""));
}

}  // namespace
}  // namespace cnb::masq

namespace cnb::masq {
namespace {

// Two teardowns racing, one deleting jumps from the front of POSTROUTING and one from the back:
// each lists POSTROUTING in a dump of several messages, and the other's commits between those
// messages shift the rules, so a dump can skip a rule (the kernel flags it NLM_F_DUMP_INTR). A
// batch built from such a listing would delete a chain that is still jumped to (EBUSY); bound
// to the listing's generation, the kernel refuses it instead and the teardown looks again.
TEST(MasqIptablesNftRaceTest, ConcurrentTeardownsAllSucceed) {
  ASSERT_TRUE(test::IsRoot()) << "kernel tests need root";
  constexpr int kTargets = 300;
  MasqNetns ns;
  auto chain = [](int i) { return IptablesChainName("racenet", "c" + std::to_string(i)); };
  {
    InNetns in(ns);
    nl::nft::NftSocket sock = nl::nft::NftSocket::Open();
    for (int i = 0; i < kTargets; ++i) {
      const std::string ip = "10.88." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 2) + "/16";
      masq::XtNftSetup(sock, chain(i), IptablesComment("racenet", "c" + std::to_string(i)), {Net(ip.c_str())});
    }
  }
  std::atomic<int> failures{0};
  std::string first_failure;
  std::mutex mu;
  auto teardown = [&](int from, int to, int step) {
    InNetns in(ns);
    nl::nft::NftSocket sock = nl::nft::NftSocket::Open();
    for (int i = from; i != to; i += step) {
      try {
        masq::XtNftTeardown(sock, false, chain(i), {}, std::nullopt);
      } catch (const Error& e) {
        std::lock_guard<std::mutex> lock(mu);
        if (failures++ == 0) first_failure = e.msg();
      }
    }
  };
  std::thread front(teardown, 0, kTargets / 2, 1);
  std::thread back(teardown, kTargets - 1, kTargets / 2 - 1, -1);
  front.join();
  back.join();
  EXPECT_EQ(failures.load(), 0) << first_failure;
  EXPECT_EQ(RuleLines(ns.Exec({"iptables", "-t", "nat", "-S"})), std::vector<std::string>{});
}

}  // namespace
}  // namespace cnb::masq
