// SPDX-License-Identifier: Apache-2.0
// The nftables backend against real nft in throwaway namespaces.
#include <gtest/gtest.h>

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

using test::Net;

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

class MasqNftKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::IsRoot()) << "kernel tests need root";
    // Every test here is about nft; without it they would pass having done nothing.
    ASSERT_FALSE(FindTools().nft.empty()) << "nft is not installed";
  }

  std::string Table() { return ns_.Exec({"nft", "list", "table", "inet", "cni_plugins_masquerade"}); }

  MasqNetns ns_;
};

TEST_F(MasqNftKernelTest, SetupWritesTheReferenceLayout) {
  {
    InNetns in(ns_);
    test::Masq("nftables")->Setup({"mynet", "abc123", "eth0"}, {Net("10.0.0.5/24"), Net("fd00::5/64")});
  }
  std::string table = Table();
  const std::string comment = "comment \"d23676b4f2d9fe04-ebce0e3dd4dafae3, net: mynet, if: eth0, id: abc123\"";
  EXPECT_NE(table.find("chain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
                       "\t\tip daddr 224.0.0.0/4 return\n\t\tip6 daddr ff00::/8 return\n\t\tgoto masq_checks\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("ip saddr 10.0.0.5 ip daddr != 10.0.0.0/24 masquerade " + comment), std::string::npos) << table;
  EXPECT_NE(table.find("ip6 saddr fd00::5 ip6 daddr != fd00::/64 masquerade " + comment), std::string::npos) << table;
  // iptables untouched.
  EXPECT_EQ(ns_.Exec({"iptables", "-t", "nat", "-S"}).find("CNI-"), std::string::npos);
}

TEST_F(MasqNftKernelTest, SetupAgainReplacesTheInstanceRules) {
  InNetns in(ns_);
  auto m = test::Masq("nftables");
  m->Setup({"mynet", "abc123", "eth0"}, {Net("10.0.0.5/24")});
  m->Setup({"mynet", "abc123", "eth0"}, {Net("10.0.0.6/24")});
  std::string table = Table();
  EXPECT_EQ(Count(table, "masquerade comment"), 1) << table;
  EXPECT_NE(table.find("ip saddr 10.0.0.6 "), std::string::npos) << table;
  EXPECT_EQ(Count(table, "goto masq_checks"), 1) << table;
}

TEST_F(MasqNftKernelTest, TeardownRemovesOnlyItsRulesAndRepeats) {
  InNetns in(ns_);
  test::Masq("nftables")->Setup({"mynet", "abc123", "eth0"}, {Net("10.0.0.5/24")});
  // Same IP for another container (the reference's motivating case): must survive.
  test::Masq("nftables")->Setup({"mynet", "other", "eth0"}, {Net("10.0.0.5/24")});
  test::TeardownMasq()->Teardown({"mynet", "abc123", "eth0"}, {});
  std::string table = Table();
  EXPECT_EQ(Count(table, "masquerade comment"), 1) << table;
  EXPECT_NE(table.find("id: other"), std::string::npos) << table;
  EXPECT_NO_THROW(test::TeardownMasq()->Teardown({"mynet", "abc123", "eth0"}, {}));
  test::TeardownMasq()->Teardown({"mynet", "other", "eth0"}, {Net("10.0.0.5/24")});
  EXPECT_EQ(Count(Table(), "masquerade comment"), 0);
}

TEST_F(MasqNftKernelTest, TeardownWithoutTableSucceeds) {
  InNetns in(ns_);
  EXPECT_NO_THROW(test::TeardownMasq()->Teardown({"mynet", "abc123", "eth0"}, {}));
  EXPECT_NO_THROW(test::TeardownMasq()->Gc("mynet", {}));
}

TEST_F(MasqNftKernelTest, GcRemovesInvalidAttachmentsOfTheNetworkOnly) {
  InNetns in(ns_);
  test::Masq("nftables")->Setup({"mynet", "keep", "eth0"}, {Net("10.0.0.5/24")});
  test::Masq("nftables")->Setup({"mynet", "stale", "eth0"}, {Net("10.0.0.6/24")});
  test::Masq("nftables")->Setup({"mynet", "keep", "eth1"}, {Net("10.0.1.6/24")});
  test::Masq("nftables")->Setup({"othernet", "stale", "eth0"}, {Net("10.1.0.6/24")});
  test::TeardownMasq()->Gc("mynet", {{"keep", "eth0"}});
  std::string table = Table();
  EXPECT_EQ(Count(table, "masquerade comment"), 2) << table;
  EXPECT_NE(table.find("net: mynet, if: eth0, id: keep"), std::string::npos) << table;
  EXPECT_NE(table.find("net: othernet, if: eth0, id: stale"), std::string::npos) << table;
}

}  // namespace
}  // namespace cnb::masq
