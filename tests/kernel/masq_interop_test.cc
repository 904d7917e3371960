// SPDX-License-Identifier: Apache-2.0
// Interoperability with the Go reference plugin (/usr/lib/cni/bridge, containernetworking-plugins
// 1.1.1): its masquerade rules are byte-identical to ours and each implementation removes the
// other's. Everything runs in a throwaway "host" namespace with a throwaway pod namespace.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "kernel/masq_fixture.h"
#include "masq/masq.h"
#include "support/netns.h"
#include "support/temp_dir.h"
#include "support/values.h"

namespace cnb::masq {
namespace {

using test::InNetns;
using test::MasqNetns;
using test::RuleLines;

constexpr char kReferenceBridge[] = "/usr/lib/cni/bridge";

using test::Net;

// The chains of an `nft list table` listing, sorted: chains are listed in creation order, which
// says nothing about the rules.
std::vector<std::string> NftChains(const std::string& listing) {
  std::vector<std::string> chains;
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("\tchain ")) chains.emplace_back();
    if (!chains.empty() && line.starts_with("\t")) chains.back() += line + "\n";
  }
  std::sort(chains.begin(), chains.end());
  return chains;
}

class MasqInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::IsRoot()) << "kernel tests need root";
    if (::access(kReferenceBridge, X_OK) != 0) GTEST_SKIP() << "reference plugin not installed at " << kReferenceBridge;
  }

  // Runs the reference bridge plugin inside host_ (its iptables calls land there).
  std::string Reference(const std::string& command, const std::string& container_id) {
    const std::string conf =
        R"({"cniVersion":"0.4.0","name":"brnet","type":"bridge","bridge":"cnbt0","isGateway":true,)"
        R"("ipMasq":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.88.0.0/24"}],)"
        R"([{"subnet":"fd00:88::/64"}]],"dataDir":")" +
        data_.path() + R"("}})";
    auto r = test::RunProcess({"ip", "netns", "exec", host_.name(), kReferenceBridge},
                              std::map<std::string, std::string>{{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
                                                                 {"CNI_COMMAND", command},
                                                                 {"CNI_CONTAINERID", container_id},
                                                                 {"CNI_NETNS", pod_.path()},
                                                                 {"CNI_IFNAME", "eth0"},
                                                                 {"CNI_PATH", "/usr/lib/cni"}},
                              conf);
    if (r.exit_code != 0) throw std::runtime_error(test::Describe({kReferenceBridge, command}, r));
    return r.out;
  }

  struct Snapshot {
    std::vector<std::string> v4, v6;
    std::vector<std::string> nft_v4, nft_v6;  // what iptables-nft put in the kernel, expression by expression
  };
  Snapshot Take(const MasqNetns& ns) {
    return {RuleLines(ns.Exec({"iptables", "-t", "nat", "-S"})), RuleLines(ns.Exec({"ip6tables", "-t", "nat", "-S"})),
            NftChains(ns.Exec({"nft", "list", "table", "ip", "nat"})),
            NftChains(ns.Exec({"nft", "list", "table", "ip6", "nat"}))};
  }

  MasqNetns host_;
  MasqNetns pod_;
  test::TempDir data_;
  const MasqTarget target_{"brnet", "abc123", "eth0"};
  const std::vector<IpNet> ips_{Net("10.88.0.2/24"), Net("fd00:88::2/64")};
};

TEST_F(MasqInteropTest, SameRulesAndEachRemovesTheOthers) {
  Reference("ADD", "abc123");
  Snapshot reference = Take(host_);
  ASSERT_EQ(reference.v4.size(), 4u);
  ASSERT_EQ(reference.v6.size(), 4u);

  // Ours removes the reference's.
  {
    InNetns in(host_);
    test::TeardownMasq()->Teardown(target_, ips_);
  }
  EXPECT_EQ(RuleLines(host_.Exec({"iptables", "-t", "nat", "-S"})), std::vector<std::string>{});
  EXPECT_EQ(RuleLines(host_.Exec({"ip6tables", "-t", "nat", "-S"})), std::vector<std::string>{});

  // Ours writes exactly what the reference wrote, down to the nftables expressions.
  {
    InNetns in(host_);
    test::Masq("iptables")->Setup(target_, ips_);
  }
  Snapshot ours = Take(host_);
  EXPECT_EQ(ours.v4, reference.v4);
  EXPECT_EQ(ours.v6, reference.v6);
  EXPECT_EQ(ours.nft_v4, reference.nft_v4);
  EXPECT_EQ(ours.nft_v6, reference.nft_v6);

  // The reference's DEL removes ours.
  Reference("DEL", "abc123");
  EXPECT_EQ(RuleLines(host_.Exec({"iptables", "-t", "nat", "-S"})), std::vector<std::string>{});
  EXPECT_EQ(RuleLines(host_.Exec({"ip6tables", "-t", "nat", "-S"})), std::vector<std::string>{});
}

TEST_F(MasqInteropTest, OursRemovesTheReferencesWithoutKnowingTheAddresses) {
  Reference("ADD", "def456");
  ASSERT_EQ(RuleLines(host_.Exec({"iptables", "-t", "nat", "-S"})).size(), 4u);
  {
    InNetns in(host_);
    test::TeardownMasq()->Teardown({"brnet", "def456", "eth0"}, {});
  }
  EXPECT_EQ(RuleLines(host_.Exec({"iptables", "-t", "nat", "-S"})), std::vector<std::string>{});
  EXPECT_EQ(RuleLines(host_.Exec({"ip6tables", "-t", "nat", "-S"})), std::vector<std::string>{});
}

// A container ID too long for the comment: iptables cuts the reference's comment at 255 bytes,
// and ours is cut the same way, so the rules are again the same.
TEST_F(MasqInteropTest, ALongContainerIdGivesTheSameCutComment) {
  const std::string id(1024, 'c');
  Reference("ADD", id);
  Snapshot reference = Take(host_);
  ASSERT_EQ(reference.v4.size(), 4u);
  const MasqTarget target{"brnet", id, "eth0"};
  {
    InNetns in(host_);
    test::TeardownMasq()->Teardown(target, ips_);  // ours removes the reference's
    EXPECT_EQ(RuleLines(host_.Exec({"iptables", "-t", "nat", "-S"})), std::vector<std::string>{});
    test::Masq("iptables")->Setup(target, ips_);
  }
  Snapshot ours = Take(host_);
  EXPECT_EQ(ours.v4, reference.v4);
  EXPECT_EQ(ours.nft_v4, reference.nft_v4);
  Reference("DEL", id);  // and the reference's DEL removes ours
  EXPECT_EQ(RuleLines(host_.Exec({"iptables", "-t", "nat", "-S"})), std::vector<std::string>{});
}

}  // namespace
}  // namespace cnb::masq
