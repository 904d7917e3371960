// nf_tables over NETLINK_NETFILTER: just the objects ipMasq needs (tables, chains, rules made of
// a few expressions), sent as one atomic batch. libnl 3.7 has no nf_tables support, so messages
// are built with libnl's generic nl_msg API and sent on a plain netlink socket. Knows nothing of
// iptables conventions: plugin/masq_iptables_nft.cc decides what the rules say.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"

struct nl_msg;

namespace cnb::nl::nft {

// One expression of a rule. Registers are fixed to what iptables-nft uses: loads go to reg 1.
struct Expr {
  enum class Kind { kPayload, kBitwise, kCmp, kCounter, kImmediate, kMatch, kTarget };
  Kind kind = Kind::kCounter;
  uint32_t offset = 0;          // payload: byte offset into the network header
  uint32_t len = 0;             // payload: bytes loaded
  std::vector<uint8_t> data;    // cmp: value compared with; bitwise: mask
  bool negate = false;          // cmp: != instead of ==
  int32_t verdict = 0;          // immediate: NF_ACCEPT, NFT_JUMP, ...
  std::string chain;            // immediate: jump target
  std::string name;             // match/target: xtables extension name
  uint32_t rev = 0;             // match/target: extension revision
  std::vector<uint8_t> info;    // match/target: the extension's info struct

  static Expr NetworkPayload(uint32_t offset, uint32_t len);
  static Expr Bitwise(std::vector<uint8_t> mask);  // reg 1 = (reg 1 & mask) ^ 0
  static Expr Cmp(bool equal, std::vector<uint8_t> value);
  static Expr Counter();
  static Expr Accept();
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
  void AddBaseChain(const std::string& table, const std::string& chain, const std::string& type,
                    uint32_t hooknum, int32_t priority);
  void AddChain(const std::string& table, const std::string& chain);  // fails if it exists
  // `xt_compat` adds the empty NFTA_RULE_COMPAT that iptables-nft puts on every rule.
  void AppendRule(const std::string& table, const std::string& chain, const std::vector<Expr>& exprs,
                  bool xt_compat);
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

// What ipMasq needs to know about an existing rule.
struct RuleInfo {
  uint64_t handle = 0;
  std::string jump;     // target chain of an immediate jump/goto, "" if none
  std::string comment;  // info of an xt "comment" match, "" if none
};

// A NETLINK_NETFILTER socket in the calling thread's current network namespace.
class Socket {
 public:
  static Socket Open();

  // Sends the batch and waits for every message's answer. Throws Error carrying the errno and
  // the description of the first message the kernel refused. With `genid` (from Generation())
  // the kernel applies the batch only if the ruleset is still that generation, and refuses it
  // with ERESTART otherwise: a batch built from what a listing showed cannot act on a ruleset
  // that changed since.
  void Commit(const Batch& batch, std::optional<uint32_t> genid = std::nullopt);
  // The ruleset's generation (NFT_MSG_GETGEN); every commit in the namespace moves it on.
  uint32_t Generation();
  bool TableExists(uint8_t family, const std::string& table);
  bool ChainExists(uint8_t family, const std::string& table, const std::string& chain);
  // The chain's rules in order; empty when the table or the chain does not exist. A dump the
  // kernel marks interrupted (NLM_F_DUMP_INTR: the ruleset changed while it was being read, so
  // rules may be missing) is read again, a bounded number of times.
  std::vector<RuleInfo> ListRules(uint8_t family, const std::string& table, const std::string& chain);

 private:
  explicit Socket(UniqueFd fd) : fd_(std::move(fd)) {}
  void Send(const std::vector<uint8_t>& bytes);
  // Sends one GET request under a fresh sequence number and returns that number.
  uint32_t SendQuery(nl_msg* msg);
  // Receives one datagram (one or more netlink messages) into buf_ and returns its length;
  // without `wait`, returns 0 when nothing is there yet.
  size_t Receive(bool wait);
  // A GET request with table (and chain) names; true when the kernel answers with the object.
  bool Exists(uint16_t msg_type, uint8_t family, const std::string& table, const std::string* chain);
  // One dump of the chain; `interrupted` tells whether the kernel flagged it NLM_F_DUMP_INTR.
  std::vector<RuleInfo> DumpRules(uint8_t family, const std::string& table, const std::string& chain,
                                  bool* interrupted);

  UniqueFd fd_;
  uint32_t seq_ = 1;
  // Left uninitialised: only what the kernel writes into it becomes resident.
  std::unique_ptr<uint8_t[]> buf_;
};

// The command's one NETLINK_NETFILTER socket, opened on first use. Releasing any such socket
// makes the kernel finish its pending nf_tables destroy work first (after an RCU grace period,
// under the commit mutex), so a command opens one, keeps it until its other slow kernel work is
// done, and releases it last (declare it first).
class LazySocket {
 public:
  Socket& get();

 private:
  std::optional<Socket> sock_;
};

// Decodes one NFT_MSG_NEWRULE payload (after the nfgenmsg header); for tests and ListRules.
RuleInfo ParseRule(const uint8_t* attrs, size_t len);

}  // namespace cnb::nl::nft
