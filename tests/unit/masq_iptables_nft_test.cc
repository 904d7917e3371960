// SPDX-License-Identifier: Apache-2.0
// The iptables-nft rules we write over netlink, at the message level: byte-for-byte what
// iptables-restore 1.8.9 (nf_tables) sent for the same rules, captured with strace, and the
// prefix encodings of iptables-nft's add_addr. The kernel tests compare the live result.
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstring>
#include <string>
#include <vector>

#include "masq/iptables.h"
#include "masq/iptables_nft.h"
#include "masq/nftables.h"
#include "nft_wire_parse.h"

namespace cnb::masq {
namespace {

using nl::nft::Expr;
using Message = nltest::NlMessage;
using nltest::NftType;
using nltest::SplitMessages;
using nltest::Unhex;

IpNet Net(const char* text) { return *IpNet::Parse(text); }

const std::string kComment = R"(name: "n" id: "c")";

// iptables-restore --noflush of "-A CNI-abc -d 10.88.0.0/16 -m comment --comment ... -j ACCEPT".
const char* kIptablesAcceptRule =
    "02000000080001006e6174000c000200434e492d61626300ec010480340001800c0001007061796c6f616400240002800800"
    "0100000000010800020000000001080003000000001008000400000000022c00018008000100636d70002000028008000100"
    "0000000108000200000000000c000380060001000a5800002c0101800a0001006d617463680000001c0102800c000100636f"
    "6d6d656e74000800020000000000040103006e616d653a20226e222069643a20226322{239}2c0001800c000100636f756e74"
    "6572001c0002800c00010000000000000000000c0002000000000000000000300001800e000100696d6d6564696174650000"
    "001c0002800800010000000000100002800c00028008000100000000011400058008000100000000000800020000000000";
// ... and of "-A POSTROUTING -s 10.88.0.5/32 -m comment --comment ... -j CNI-abc".
const char* kIptablesJumpRule =
    "02000000080001006e61740010000200504f5354524f5554494e4700f8010480340001800c0001007061796c6f6164002400"
    "028008000100000000010800020000000001080003000000000c08000400000000042c00018008000100636d700020000280"
    "080001000000000108000200000000000c000380080001000a5800052c0101800a0001006d617463680000001c0102800c00"
    "0100636f6d6d656e74000800020000000000040103006e616d653a20226e222069643a20226322{239}2c0001800c000100"
    "636f756e746572001c0002800c00010000000000000000000c00020000000000000000003c0001800e000100696d6d656469"
    "6174650000002800028008000100000000001c0002801800028008000100fffffffd0c000200434e492d6162630014000580"
    "08000100000000000800020000000000";

TEST(XtNftSetupBatchTest, IsOneAckedTransactionInIptablesRestoreOrder) {
  auto batch = XtNftSetupBatch("CNI-abc", kComment, {Net("10.88.0.5/16")}, true);
  auto msgs = SplitMessages(batch.Encode(100));
  ASSERT_EQ(msgs.size(), 8u);
  EXPECT_EQ(msgs.front().hdr.nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(msgs.back().hdr.nlmsg_type, NFNL_MSG_BATCH_END);
  const std::vector<uint16_t> types = {NftType(NFT_MSG_NEWTABLE), NftType(NFT_MSG_NEWCHAIN), NftType(NFT_MSG_NEWRULE),
                                       NftType(NFT_MSG_NEWRULE),  NftType(NFT_MSG_NEWCHAIN), NftType(NFT_MSG_NEWRULE)};
  for (size_t i = 0; i < types.size(); ++i) {
    const auto& h = msgs[i + 1].hdr;
    EXPECT_EQ(h.nlmsg_type, types[i]) << i;
    EXPECT_EQ(h.nlmsg_seq, 100 + i) << i;
    EXPECT_TRUE(h.nlmsg_flags & NLM_F_ACK) << i;  // we wait for every answer
  }
  // The per-container chain is created exclusively (like -N); POSTROUTING only if missing.
  EXPECT_TRUE(msgs[2].hdr.nlmsg_flags & NLM_F_EXCL);
  EXPECT_FALSE(msgs[5].hdr.nlmsg_flags & NLM_F_EXCL);
  EXPECT_TRUE(msgs[5].hdr.nlmsg_flags & NLM_F_CREATE);
  EXPECT_TRUE(msgs[3].hdr.nlmsg_flags & NLM_F_APPEND);
  EXPECT_EQ(msgs[3].body, Unhex(kIptablesAcceptRule));
  EXPECT_EQ(msgs[6].body, Unhex(kIptablesJumpRule));
}

TEST(XtNftSetupBatchTest, LeavesOutAnExistingPostrouting) {
  // Re-sending an existing base chain would be an update transaction (see XtNftSetupBatch).
  auto msgs = SplitMessages(XtNftSetupBatch("CNI-abc", kComment, {Net("10.88.0.5/16")}, false).Encode(100));
  ASSERT_EQ(msgs.size(), 6u);
  const std::vector<uint16_t> types = {NftType(NFT_MSG_NEWCHAIN), NftType(NFT_MSG_NEWRULE), NftType(NFT_MSG_NEWRULE),
                                       NftType(NFT_MSG_NEWRULE)};
  for (size_t i = 0; i < types.size(); ++i) EXPECT_EQ(msgs[i + 1].hdr.nlmsg_type, types[i]) << i;
  EXPECT_TRUE(msgs[1].hdr.nlmsg_flags & NLM_F_EXCL);
  EXPECT_EQ(msgs[2].body, Unhex(kIptablesAcceptRule));
  EXPECT_EQ(msgs[4].body, Unhex(kIptablesJumpRule));
}

TEST(NftBatchTest, AGenerationBindsTheBatchInItsBeginMessage) {
  nl::nft::Batch batch(NFPROTO_IPV4);
  batch.DeleteChain("nat", "CNI-abc");
  auto unbound = SplitMessages(batch.Encode(7));
  // nfgenmsg only: AF_UNSPEC, version 0, res_id = the nf_tables subsystem (big endian).
  EXPECT_EQ(unbound.front().body, Unhex("0000000a"));
  auto bound = SplitMessages(batch.Encode(7, 0x01020304));
  ASSERT_EQ(bound.size(), 3u);
  EXPECT_EQ(bound.front().hdr.nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(bound.front().hdr.nlmsg_seq, 6u);
  // ... then NFNL_BATCH_GENID (type 1, length 8), the generation in network byte order.
  EXPECT_EQ(bound.front().body, Unhex("0000000a0800010001020304"));
  EXPECT_EQ(bound[1].body, unbound[1].body);
}

TEST(XtNftSetupBatchTest, DualSubnetsGetOneAcceptEachAndOneJumpPerAddress) {
  auto batch =
      XtNftSetupBatch("CNI-abc", kComment, {Net("10.88.0.5/16"), Net("10.99.0.7/24"), Net("10.88.0.5/16")}, false);
  auto msgs = SplitMessages(batch.Encode(1));
  int rules = 0;
  for (const auto& m : msgs) rules += m.hdr.nlmsg_type == NftType(NFT_MSG_NEWRULE);
  EXPECT_EQ(rules, 2 + 1 + 2);  // two ACCEPTs, MASQUERADE, a jump for each distinct address
}

TEST(XtNftSetupBatchTest, RulesReadBackThroughTheDumpParser) {
  auto msgs = SplitMessages(XtNftSetupBatch("CNI-abc", kComment, {Net("fd00::5/64")}, true).Encode(1));
  const Message& jump = msgs[6];
  EXPECT_EQ(jump.body[0], 10);  // NFPROTO_IPV6
  nl::nft::RuleInfo info = nltest::ParseRuleMessage(jump);
  EXPECT_EQ(info.jump, "CNI-abc");
  EXPECT_EQ(info.comment, kComment);
  // The source of the jump, whose address tells the container's interfaces apart.
  const IpAddr source = Net("fd00::5/64").addr();
  EXPECT_EQ(info.source, std::vector<uint8_t>(source.bytes(), source.bytes() + 16));
  nl::nft::RuleInfo masq = nltest::ParseRuleMessage(msgs[4]);
  EXPECT_EQ(masq.jump, "");
  EXPECT_EQ(masq.comment, kComment);
  EXPECT_TRUE(masq.source.empty()) << "! -d ff00::/8 is no source match";
}

// The (offset, length) loaded, whether a mask is applied, and the compared bytes.
struct Shape {
  uint32_t offset;
  uint32_t len;
  std::vector<uint8_t> mask;
  std::vector<uint8_t> value;
  bool equal;
};
Shape ShapeOf(const std::vector<Expr>& exprs) {
  Shape s{};
  for (const auto& e : exprs) {
    if (e.kind == Expr::Kind::kPayload) {
      s.offset = e.offset;
      s.len = e.len;
    } else if (e.kind == Expr::Kind::kBitwise) {
      s.mask = e.data;
    } else if (e.kind == Expr::Kind::kCmp) {
      s.value = e.data;
      s.equal = !e.negate;
    }
  }
  return s;
}

TEST(XtNftAddressMatchTest, WholeBytePrefixesCompareOnlyThoseBytes) {
  Shape s = ShapeOf(XtNftAddressMatch(false, Net("10.88.0.0/16"), false));
  EXPECT_EQ(s.offset, 16u);
  EXPECT_EQ(s.len, 2u);
  EXPECT_TRUE(s.mask.empty());
  EXPECT_EQ(s.value, (std::vector<uint8_t>{10, 88}));
  s = ShapeOf(XtNftAddressMatch(true, Net("10.88.0.5/32"), false));
  EXPECT_EQ(s.offset, 12u);
  EXPECT_EQ(s.len, 4u);
  EXPECT_EQ(s.value, (std::vector<uint8_t>{10, 88, 0, 5}));
  s = ShapeOf(XtNftAddressMatch(false, Net("ff00::/8"), true));
  EXPECT_EQ(s.offset, 24u);
  EXPECT_EQ(s.len, 1u);
  EXPECT_FALSE(s.equal);
  s = ShapeOf(XtNftAddressMatch(true, Net("fd00::5/128"), false));
  EXPECT_EQ(s.offset, 8u);
  EXPECT_EQ(s.len, 16u);
}

TEST(XtNftAddressMatchTest, OtherPrefixesMaskTheWholeAddress) {
  Shape s = ShapeOf(XtNftAddressMatch(false, Net("10.99.7.9/20"), false));
  EXPECT_EQ(s.len, 4u);
  EXPECT_EQ(s.mask, (std::vector<uint8_t>{0xff, 0xff, 0xf0, 0}));
  EXPECT_EQ(s.value, (std::vector<uint8_t>{10, 99, 0, 0}));  // host bits cleared
  s = ShapeOf(XtNftAddressMatch(false, Net("224.0.0.0/4"), true));
  EXPECT_EQ(s.mask, (std::vector<uint8_t>{0xf0, 0, 0, 0}));
  EXPECT_FALSE(s.equal);
  s = ShapeOf(XtNftAddressMatch(false, Net("fd00:99::/61"), false));
  EXPECT_EQ(s.len, 16u);
  EXPECT_EQ(s.mask[7], 0xf8);
  EXPECT_EQ(s.mask[8], 0);
  EXPECT_TRUE(XtNftAddressMatch(false, Net("0.0.0.0/0"), false).empty());  // iptables writes nothing
}

TEST(XtNftCommentTest, LimitIsIptablesCommentLength) {
  EXPECT_TRUE(XtNftCommentFits(std::string(255, 'x')));
  EXPECT_FALSE(XtNftCommentFits(std::string(256, 'x')));
}

}  // namespace
}  // namespace cnb::masq
