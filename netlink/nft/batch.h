// SPDX-License-Identifier: Apache-2.0
// nf_tables messages: the expressions of a rule, a batch (one atomic transaction) and the
// decoding of a rule the kernel lists. Pure encoding and decoding, unit-tested at the byte level;
// the socket that sends them is netlink/nft/socket.h. Knows nothing of iptables conventions:
// masq/iptables_nft.cc decides what the rules say. libnl 3.7 has no nf_tables support, so the
// messages are built with libnl's generic nl_msg API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnb::nl::nft {

// One expression of a rule. Registers are fixed to what iptables-nft and nft use: loads go to
// reg 1.
struct Expr {
  enum class Kind { kPayload, kBitwise, kCmp, kCounter, kImmediate, kMatch, kTarget, kMeta };
  Kind kind = Kind::kCounter;
  uint32_t base = 1;          // payload: NFT_PAYLOAD_NETWORK_HEADER (1) or _LL_HEADER (0)
  uint32_t offset = 0;        // payload: byte offset into that header
  uint32_t len = 0;           // payload: bytes loaded
  uint32_t key = 0;           // meta: NFT_META_IIFNAME, ...
  std::vector<uint8_t> data;  // cmp: value compared with; bitwise: mask
  bool negate = false;        // cmp: != instead of ==
  int32_t verdict = 0;        // immediate: NF_ACCEPT, NF_DROP, NFT_JUMP, NFT_RETURN, ...
  std::string chain;          // immediate: jump target
  std::string name;           // match/target: xtables extension name
  uint32_t rev = 0;           // match/target: extension revision
  std::vector<uint8_t> info;  // match/target: the extension's info struct

  static Expr NetworkPayload(uint32_t offset, uint32_t len);
  static Expr LinkPayload(uint32_t offset, uint32_t len);  // the Ethernet header (bridge family)
  static Expr MetaLoad(uint32_t key);
  static Expr Bitwise(std::vector<uint8_t> mask);  // reg 1 = (reg 1 & mask) ^ 0
  static Expr Cmp(bool equal, std::vector<uint8_t> value);
  static Expr Counter();
  static Expr Accept();
  static Expr Verdict(int32_t code);  // a verdict without a chain: NF_DROP, NFT_RETURN, ...
  static Expr Jump(std::string chain);
  static Expr XtMatch(std::string name, uint32_t rev, std::vector<uint8_t> info);
  static Expr XtTarget(std::string name, uint32_t rev, std::vector<uint8_t> info);
};

// A transaction of one address family (NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_INET): the kernel
// applies all of it or none of it.
class Batch {
 public:
  explicit Batch(uint8_t family) : family_(family) {}

  void AddTable(const std::string& table);  // creates it unless it exists
  // Creates a base chain unless it exists; an existing one keeps its policy.
  void AddBaseChain(const std::string& table, const std::string& chain, const std::string& type, uint32_t hooknum,
                    int32_t priority);
  void AddChain(const std::string& table, const std::string& chain);  // fails if it exists
  // `xt_compat` adds the empty NFTA_RULE_COMPAT that iptables-nft puts on every rule; `comment`,
  // when set, goes into NFTA_RULE_USERDATA the way nft stores a rule's comment.
  void AppendRule(const std::string& table, const std::string& chain, const std::vector<Expr>& exprs, bool xt_compat,
                  const std::string& comment = {});
  void DeleteRule(const std::string& table, const std::string& chain, uint64_t handle);
  void FlushChain(const std::string& table, const std::string& chain);
  void DeleteChain(const std::string& table, const std::string& chain);

  bool empty() const { return messages_.empty(); }
  uint8_t family() const { return family_; }

  // The wire form: BATCH_BEGIN (seq first_seq - 1, carrying NFNL_BATCH_GENID when `genid` is
  // set), every message with NLM_F_ACK and seq = first_seq + its index, BATCH_END.
  // Descriptions name each message for errors.
  std::vector<uint8_t> Encode(uint32_t first_seq, std::optional<uint32_t> genid = std::nullopt) const;
  const std::vector<std::string>& descriptions() const { return descriptions_; }

 private:
  void Push(std::vector<uint8_t> message, std::string description);

  uint8_t family_;
  std::vector<std::vector<uint8_t>> messages_;  // complete, seq patched in by Encode
  std::vector<std::string> descriptions_;
};

// What we need to know about an existing rule.
struct RuleInfo {
  uint64_t handle = 0;
  std::string jump;     // target chain of an immediate jump/goto, "" if none
  std::string comment;  // an xt "comment" match's, else nft's (NFTA_RULE_USERDATA); "" if none
  std::string iifname;  // the interface name a `meta iifname` load is compared with, "" if none
  // The bytes an IPv4/IPv6 source address load (iptables' `-s <ip>/32` or `/128`) is compared
  // with for equality, empty if none.
  std::vector<uint8_t> source;
};

// The NFTA_RULE_USERDATA nft writes for a rule comment: a TLV of type 0 holding the
// NUL-terminated text. Empty when the comment is empty.
std::vector<uint8_t> CommentUserdata(const std::string& comment);

// Decodes one NFT_MSG_NEWRULE payload (after the nfgenmsg header); for tests and ListRules.
RuleInfo ParseRule(const uint8_t* attrs, size_t len);

}  // namespace cnb::nl::nft
