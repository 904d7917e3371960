// SPDX-License-Identifier: Apache-2.0
// Names and comments shared with the reference plugins: if these drift, rules made by one
// implementation are no longer found by the other.
#include <gtest/gtest.h>

#include "common/error.h"
#include "masq/iptables.h"
#include "masq/iptables_nft.h"
#include "masq/masq.h"
#include "masq/nftables.h"

namespace cnb::masq {
namespace {

TEST(MasqNamingTest, ChainNameKnownVectors) {
  // reference.md (observed from the Go plugin) and the Go unit tests of FormatChainName.
  EXPECT_EQ(IptablesChainName("brnet", "abc123"), "CNI-08e088460ee8f8a377978e0a");
  EXPECT_EQ(IptablesChainName("test", "1234"), "CNI-2bbe0c48b91a7d1b8a6753a8");
  EXPECT_EQ(IptablesChainName("testalongnamethatdoesnotmakesense", "1234"), "CNI-374f33fe84ab0ed84dcdebe3");
  EXPECT_NE(IptablesChainName("testalongnamethatdoesnotmakesense", "1235"), "CNI-374f33fe84ab0ed84dcdebe3");
  EXPECT_EQ(IptablesChainName("x", "y").size(), 28u);
}

TEST(MasqNamingTest, CommentUsesGoQuoting) {
  EXPECT_EQ(IptablesComment("brnet", "abc123"), R"(name: "brnet" id: "abc123")");
  EXPECT_EQ(IptablesComment(R"(a"b)", R"(c\d)"), R"(name: "a\"b" id: "c\\d")");
  // A long container ID: cut at 255 bytes, as iptables stores the reference's comment.
  const std::string id(1024, 'c');
  const std::string full = "name: \"net1\" id: \"" + id + "\"";
  EXPECT_EQ(IptablesComment("net1", id), full.substr(0, 255));
}

TEST(MasqNamingTest, RestoreQuoteEscapesWhatIptablesSaveEscapes) {
  using masq::RestoreQuote;
  EXPECT_EQ(RestoreQuote(R"(name: "n" id: "i")"), R"("name: \"n\" id: \"i\"")");
  EXPECT_EQ(RestoreQuote(R"(a\b'c)"), R"("a\\b\'c")");
}

TEST(MasqNamingTest, NftHashesAndComment) {
  // First 16 hex digits of sha512("mynet") and sha512("eth0:abc123").
  EXPECT_EQ(masq::NftHashForNetwork("mynet"), "d23676b4f2d9fe04");
  EXPECT_EQ(masq::NftHashForInstance("mynet", "eth0", "abc123"), "d23676b4f2d9fe04-ebce0e3dd4dafae3");
  EXPECT_EQ(masq::NftComment("mynet", "eth0", "abc123"),
            "d23676b4f2d9fe04-ebce0e3dd4dafae3, net: mynet, if: eth0, id: abc123");
  // Double quotes dropped (nft cannot escape them), hash computed from the original strings.
  std::string quoted = masq::NftComment("my\"net", "eth0", "abc123");
  EXPECT_EQ(quoted.substr(33), ", net: mynet, if: eth0, id: abc123");
  EXPECT_NE(quoted.substr(0, 16), "d23676b4f2d9fe04");
  // Long ids are cut at 128 bytes.
  std::string long_comment = masq::NftComment("mynet", "eth0", std::string(300, 'f'));
  EXPECT_EQ(long_comment.size(), 128u);
  EXPECT_TRUE(long_comment.starts_with(masq::NftHashForInstance("mynet", "eth0", std::string(300, 'f'))));
}

// `bridge inspect` reads the owners back from the rules either plugin wrote.
TEST(MasqNamingTest, OwnersReadBackFromCommentsAndChains) {
  EXPECT_EQ(JumpOwner(IptablesComment("brnet", "abc123"), IptablesChainName("brnet", "abc123"), "brnet"), "abc123");
  EXPECT_EQ(JumpOwner(IptablesComment(R"(a"b)", "c"), IptablesChainName(R"(a"b)", "c"), R"(a"b)"), "c");
  // Another network's comment, or a chain that is not the hash of the two: not ours.
  EXPECT_FALSE(JumpOwner(IptablesComment("other", "abc123"), IptablesChainName("other", "abc123"), "brnet"));
  EXPECT_FALSE(JumpOwner(IptablesComment("brnet", "abc123"), "CNI-000000000000000000000000", "brnet"));
  // A comment iptables cut inside the ID: the visible part, marked; the hash cannot be checked.
  const std::string long_id(400, 'c');
  const std::string cut_comment = IptablesComment("brnet", long_id);
  ASSERT_EQ(cut_comment.size(), kMaxIptablesComment);
  const auto owner_of_cut = JumpOwner(cut_comment, IptablesChainName("brnet", long_id), "brnet");
  ASSERT_TRUE(owner_of_cut.has_value());
  EXPECT_EQ(*owner_of_cut,
            std::string(kMaxIptablesComment - std::string(R"(name: "brnet" id: ")").size(), 'c') + "...");
  EXPECT_TRUE(cni::SameContainer(*owner_of_cut, long_id));
  EXPECT_FALSE(JumpOwner(cut_comment, "CNI-HOSTPORT-MASQ", "brnet")) << "not a chain named like ours";
  EXPECT_FALSE(JumpOwner(cut_comment.substr(0, cut_comment.size() - 1), IptablesChainName("brnet", long_id), "brnet"))
      << "not cut where iptables cuts";

  const auto owner = NftCommentOwner(NftComment("brnet", "eth0", "abc123"), "brnet");
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->container_id, "abc123");
  EXPECT_EQ(owner->ifname, "eth0");
  EXPECT_FALSE(NftCommentOwner(NftComment("other", "eth0", "abc123"), "brnet").has_value());
  // A 64-hex container ID fits a short network name's comment (125 of 128 bytes)...
  const std::string id(64, 'e');
  const auto whole = NftCommentOwner(NftComment("brnet", "eth0", id), "brnet");
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->container_id, id);
  // ...and is cut in a longer one's: what is left is kept, marked.
  const auto cut = NftCommentOwner(NftComment("kubernetes-pods", "eth0", id), "kubernetes-pods");
  ASSERT_TRUE(cut.has_value());
  EXPECT_TRUE(cut->container_id.ends_with(kCutIdMark)) << cut->container_id;
  EXPECT_TRUE(cni::SameContainer(cut->container_id, id));
  EXPECT_FALSE(cni::SameContainer(cut->container_id, std::string(64, 'f')));
  EXPECT_EQ(cut->ifname, "eth0");
}

TEST(MasqNamingTest, UnknownBackendIsError999) {
  nl::nft::LazyNftSocket nft;  // never opened: making a masquerader sends nothing
  try {
    MakeMasquerader("ebtables", nft);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_value(), 999);
    EXPECT_EQ(e.msg(), R"(unknown ipmasq backend "ebtables")");
  }
  EXPECT_NE(MakeMasquerader("iptables", nft), nullptr);
  EXPECT_NE(MakeMasquerader("nftables", nft), nullptr);
  EXPECT_NE(MakeMasquerader("", nft), nullptr);
}

}  // namespace
}  // namespace cnb::masq
