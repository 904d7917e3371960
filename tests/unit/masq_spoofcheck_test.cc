// SPDX-License-Identifier: Apache-2.0
// The macspoofchk transaction at the message level: each rule byte-for-byte what nft 1.0.6 sent
// for the reference's rule (`nft add rule bridge nat ...`, captured with `strace -e write=`), so
// the reference's teardown, which finds rules by comment, finds ours.
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "masq/spoofcheck.h"
#include "nft_wire_parse.h"

namespace cnb::masq {
namespace {

using nltest::NftType;
using nltest::SplitMessages;
using nltest::Unhex;

// iifname "veth1234" jump cni-br-iface-abc-eth0 comment "macspoofchk-abc-eth0" (in PREROUTING)
const char* kJumpToIface =
    "07000000080001006e6174000f000200505245524f5554494e470000ac00048024000180090001006d6574610000000014000280"
    "080002000000000608000100000000013800018008000100636d70002c0002800800010000000001080002000000000018000380"
    "140001007665746831323334{8}4c0001800e000100696d6d6564696174650000003800028008000100000000002c0002802800"
    "028008000100fffffffd1a000200636e692d62722d69666163652d6162632d657468300000001b00070000156d616373706f6f66"
    "63686b2d6162632d657468300000";
// jump cni-br-iface-abc-eth0-mac (in cni-br-iface-abc-eth0)
const char* kJumpToMac =
    "07000000080001006e6174001a000200636e692d62722d69666163652d6162632d6574683000000054000480500001800e000100"
    "696d6d6564696174650000003c0002800800010000000000300002802c00028008000100fffffffd1e000200636e692d62722d69"
    "666163652d6162632d657468302d6d61630000001b00070000156d616373706f6f6663686b2d6162632d657468300000";
// ether saddr 0a:3f:b2:89:1e:2f return (in cni-br-iface-abc-eth0-mac)
const char* kReturnForPodMac =
    "07000000080001006e6174001e000200636e692d62722d69666163652d6162632d657468302d6d616300000098000480340001800c"
    "0001007061796c6f6164002400028008000100000000010800020000000000080003000000000608000400000000063000018008"
    "000100636d70002400028008000100000000010800020000000000100003800a0001000a3fb2891e2f0000300001800e000100696d"
    "6d6564696174650000001c0002800800010000000000100002800c00028008000100fffffffb1b00070000156d616373706f6f6663"
    "686b2d6162632d657468300000";
// drop (in cni-br-iface-abc-eth0-mac)
const char* kDrop =
    "07000000080001006e6174001e000200636e692d62722d69666163652d6162632d657468302d6d616300000034000480300001800e"
    "000100696d6d6564696174650000001c0002800800010000000000100002800c00028008000100000000001b00070000156d6163"
    "73706f6f6663686b2d6162632d657468300000";

TEST(SpoofCheckTest, IdIsContainerIdAndIfname) { EXPECT_EQ(SpoofCheckId("abc", "eth0"), "abc-eth0"); }

TEST(SpoofCheckTest, SetupIsOneTransactionWithNftsRules) {
  auto msgs = SplitMessages(SpoofCheckSetupBatch("veth1234", "0A:3F:B2:89:1E:2F", "abc-eth0", true).Encode(1));
  ASSERT_EQ(msgs.size(), 10u);
  EXPECT_EQ(msgs.front().hdr.nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(msgs.back().hdr.nlmsg_type, NFNL_MSG_BATCH_END);
  const std::vector<uint16_t> types = {NftType(NFT_MSG_NEWTABLE), NftType(NFT_MSG_NEWCHAIN), NftType(NFT_MSG_NEWCHAIN),
                                       NftType(NFT_MSG_NEWCHAIN), NftType(NFT_MSG_NEWRULE),  NftType(NFT_MSG_NEWRULE),
                                       NftType(NFT_MSG_NEWRULE),  NftType(NFT_MSG_NEWRULE)};
  for (size_t i = 0; i < types.size(); ++i) {
    EXPECT_EQ(msgs[i + 1].hdr.nlmsg_type, types[i]) << i;
    EXPECT_EQ(msgs[i + 1].body[0], NFPROTO_BRIDGE) << i;
  }
  // The base chain only if missing; the attachment's chains exclusively, so a leftover shows.
  EXPECT_FALSE(msgs[2].hdr.nlmsg_flags & NLM_F_EXCL);
  EXPECT_TRUE(msgs[3].hdr.nlmsg_flags & NLM_F_EXCL);
  EXPECT_TRUE(msgs[4].hdr.nlmsg_flags & NLM_F_EXCL);
  EXPECT_EQ(msgs[5].body, Unhex(kJumpToIface));
  EXPECT_EQ(msgs[6].body, Unhex(kJumpToMac));
  EXPECT_EQ(msgs[7].body, Unhex(kReturnForPodMac));
  EXPECT_EQ(msgs[8].body, Unhex(kDrop));
  for (size_t i = 5; i <= 8; ++i) EXPECT_TRUE(msgs[i].hdr.nlmsg_flags & NLM_F_APPEND) << i;
}

TEST(SpoofCheckTest, SetupLeavesOutAnExistingBaseChain) {
  auto msgs = SplitMessages(SpoofCheckSetupBatch("veth1234", "0a:3f:b2:89:1e:2f", "abc-eth0", false).Encode(1));
  ASSERT_EQ(msgs.size(), 8u);
  EXPECT_EQ(msgs[1].hdr.nlmsg_type, NftType(NFT_MSG_NEWCHAIN));
  EXPECT_TRUE(msgs[1].hdr.nlmsg_flags & NLM_F_EXCL);
  EXPECT_EQ(msgs[3].body, Unhex(kJumpToIface));
}

TEST(SpoofCheckTest, RulesReadBackWithCommentInterfaceAndJump) {
  auto msgs = SplitMessages(SpoofCheckSetupBatch("veth1234", "0a:3f:b2:89:1e:2f", "abc-eth0", false).Encode(1));
  const nl::nft::RuleInfo jump = nltest::ParseRuleMessage(msgs[3]);
  EXPECT_EQ(jump.comment, "macspoofchk-abc-eth0");
  EXPECT_EQ(jump.iifname, "veth1234");
  EXPECT_EQ(jump.jump, "cni-br-iface-abc-eth0");
  const nl::nft::RuleInfo drop = nltest::ParseRuleMessage(msgs[6]);
  EXPECT_EQ(drop.comment, "macspoofchk-abc-eth0");
  EXPECT_EQ(drop.iifname, "");
  EXPECT_EQ(drop.jump, "");
}

TEST(SpoofCheckTest, AnInvalidMacIsRefusedBeforeAnythingIsSent) {
  EXPECT_THROW(SpoofCheckSetupBatch("veth1234", "not-a-mac", "abc-eth0", true), Error);
}

TEST(NftCommentTest, UserdataIsNftsCommentTlv) {
  // As nft stored the comment of the reference's rule: type 0, length with the NUL, the text.
  const std::string text = "macspoofchk-abc123-eth0";
  std::vector<uint8_t> expected = {0x00, 0x18};
  expected.insert(expected.end(), text.begin(), text.end());
  expected.push_back(0);
  EXPECT_EQ(nl::nft::CommentUserdata(text), expected);
  EXPECT_TRUE(nl::nft::CommentUserdata("").empty());
}

}  // namespace
}  // namespace cnb::masq
