// The iptables backend against real iptables in throwaway namespaces: exact rules read back,
// idempotent teardown, IPv6, and the auto backend choice.
#include <gtest/gtest.h>

#include "kernel/masq_fixture.h"
#include "plugin/masq.h"
#include "support/netns.h"

namespace cnb::bridge {
namespace {

using test::InNetns;
using test::MasqNetns;
using test::RuleLines;

IpNet Net(const char* text) { return *IpNet::Parse(text); }

const MasqTarget kTarget{"brnet", "abc123", "eth0"};
const std::string kChain = "CNI-08e088460ee8f8a377978e0a";
const std::string kComment = R"(-m comment --comment "name: \"brnet\" id: \"abc123\"")";

class MasqIptablesKernelTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(test::IsRoot()) << "kernel tests need root"; }

  std::vector<std::string> Rules(const char* tool = "iptables") {
    return RuleLines(ns_.Exec({tool, "-t", "nat", "-S"}));
  }

  MasqNetns ns_;
};

TEST_F(MasqIptablesKernelTest, SetupWritesTheReferenceRules) {
  {
    InNetns in(ns_);
    MakeMasquerader("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  }
  EXPECT_EQ(Rules(), (std::vector<std::string>{
                         "-N " + kChain,
                         "-A POSTROUTING -s 10.88.0.2/32 " + kComment + " -j " + kChain,
                         "-A " + kChain + " -d 10.88.0.0/24 " + kComment + " -j ACCEPT",
                         "-A " + kChain + " ! -d 224.0.0.0/4 " + kComment + " -j MASQUERADE",
                     }));
  EXPECT_EQ(Rules("ip6tables"), std::vector<std::string>{});
}

TEST_F(MasqIptablesKernelTest, SetupTwiceDoesNotDuplicate) {
  {
    InNetns in(ns_);
    auto m = MakeMasquerader("iptables");
    m->Setup(kTarget, {Net("10.88.0.2/24")});
    m->Setup(kTarget, {Net("10.88.0.2/24")});
  }
  EXPECT_EQ(Rules().size(), 4u);
}

TEST_F(MasqIptablesKernelTest, TeardownWithAddressesLeavesNothingAndRepeats) {
  InNetns in(ns_);
  MakeMasquerader("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  MakeTeardownMasquerader()->Teardown(kTarget, {Net("10.88.0.2/24")});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
  // DEL is idempotent: nothing there is success.
  EXPECT_NO_THROW(MakeTeardownMasquerader()->Teardown(kTarget, {Net("10.88.0.2/24")}));
  EXPECT_NO_THROW(MakeTeardownMasquerader()->Teardown(kTarget, {}));
  EXPECT_EQ(Rules(), std::vector<std::string>{});
}

TEST_F(MasqIptablesKernelTest, TeardownWithoutAddressesFindsTheJumps) {
  InNetns in(ns_);
  MakeMasquerader("iptables")->Setup(kTarget, {Net("10.88.0.2/24"), Net("10.99.0.7/16")});
  ASSERT_EQ(Rules().size(), 6u);  // -N, two ACCEPTs, MASQUERADE, two jumps
  MakeTeardownMasquerader()->Teardown(kTarget, {});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
}

TEST_F(MasqIptablesKernelTest, TeardownOnlyTouchesItsOwnContainer) {
  InNetns in(ns_);
  MakeMasquerader("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  MasqTarget other{"brnet", "other", "eth0"};
  MakeMasquerader("iptables")->Setup(other, {Net("10.88.0.3/24")});
  MakeTeardownMasquerader()->Teardown(kTarget, {});
  auto rules = Rules();
  ASSERT_EQ(rules.size(), 4u);
  std::string other_chain = IptablesChainName("brnet", "other");
  for (const auto& r : rules) EXPECT_NE(r.find(other_chain), std::string::npos) << r;
}

TEST_F(MasqIptablesKernelTest, TeardownWithWrongAddressFallsBackToListing) {
  InNetns in(ns_);
  MakeMasquerader("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  // e.g. the address came from a stale cache: the fast path misses, the listing still finds it.
  MakeTeardownMasquerader()->Teardown(kTarget, {Net("10.88.0.99/24")});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
}

TEST_F(MasqIptablesKernelTest, DualStack) {
  InNetns in(ns_);
  MakeMasquerader("iptables")->Setup(kTarget, {Net("10.88.0.2/24"), Net("fd00:88::2/64")});
  EXPECT_EQ(Rules("ip6tables"), (std::vector<std::string>{
                                    "-N " + kChain,
                                    "-A POSTROUTING -s fd00:88::2/128 " + kComment + " -j " + kChain,
                                    "-A " + kChain + " -d fd00:88::/64 " + kComment + " -j ACCEPT",
                                    "-A " + kChain + " ! -d ff00::/8 " + kComment + " -j MASQUERADE",
                                }));
  EXPECT_EQ(Rules().size(), 4u);
  MakeTeardownMasquerader()->Teardown(kTarget, {Net("10.88.0.2/24"), Net("fd00:88::2/64")});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
  EXPECT_EQ(Rules("ip6tables"), std::vector<std::string>{});
}

TEST_F(MasqIptablesKernelTest, AwkwardNamesRoundTrip) {
  InNetns in(ns_);
  MasqTarget odd{R"(we"ird\net)", "id'with\"quotes", "eth0"};
  MakeMasquerader("iptables")->Setup(odd, {Net("10.88.0.2/24")});
  auto rules = Rules();
  ASSERT_EQ(rules.size(), 4u);
  // iptables-save escapes the Go-quoted comment once more.
  EXPECT_NE(rules[1].find(R"(--comment "name: \"we\\\"ird\\\\net\" id: \"id\'with\\\"quotes\"")"), std::string::npos)
      << rules[1];
  MakeTeardownMasquerader()->Teardown(odd, {Net("10.88.0.2/24")});
  EXPECT_EQ(Rules(), std::vector<std::string>{});
}

TEST_F(MasqIptablesKernelTest, GcRemovesInvalidContainersOfTheNetworkOnly) {
  InNetns in(ns_);
  MakeMasquerader("iptables")->Setup({"brnet", "keep", "eth0"}, {Net("10.88.0.2/24"), Net("fd00:88::2/64")});
  MakeMasquerader("iptables")->Setup({"brnet", "stale", "eth0"}, {Net("10.88.0.3/24"), Net("fd00:88::3/64")});
  MakeMasquerader("iptables")->Setup({"brnet2", "stale", "eth0"}, {Net("10.89.0.3/24")});
  MakeTeardownMasquerader()->Gc("brnet", {{"keep", "eth1"}});
  const std::string gone = IptablesChainName("brnet", "stale");
  for (const char* tool : {"iptables", "ip6tables"}) {
    std::string all = ns_.Exec({tool, "-t", "nat", "-S"});
    EXPECT_EQ(all.find(gone), std::string::npos) << all;
    EXPECT_NE(all.find(IptablesChainName("brnet", "keep")), std::string::npos) << all;
  }
  EXPECT_EQ(Rules().size(), 8u);  // keep's and brnet2's chains with their jumps
  EXPECT_EQ(Rules("ip6tables").size(), 4u);
}

TEST_F(MasqIptablesKernelTest, AutoBackendPrefersIptables) {
  {
    InNetns in(ns_);
    auto m = MakeMasquerader("");
    m->Setup(kTarget, {Net("10.88.0.2/24")});
  }
  EXPECT_EQ(Rules().size(), 4u);
  // Nothing went to nftables' own table.
  EXPECT_EQ(ns_.Exec({"nft", "list", "tables"}).find("cni_plugins_masquerade"), std::string::npos);
}

TEST_F(MasqIptablesKernelTest, OtherPostroutingRulesSurvive) {
  ns_.Exec({"iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.168.7.0/24", "-j", "MASQUERADE"});
  InNetns in(ns_);
  MakeMasquerader("iptables")->Setup(kTarget, {Net("10.88.0.2/24")});
  MakeTeardownMasquerader()->Teardown(kTarget, {});
  EXPECT_EQ(Rules(), std::vector<std::string>{"-A POSTROUTING -s 192.168.7.0/24 -j MASQUERADE"});
}

}  // namespace
}  // namespace cnb::bridge
