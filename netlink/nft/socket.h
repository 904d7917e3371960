// SPDX-License-Identifier: Apache-2.0
// The NETLINK_NETFILTER socket that sends nf_tables batches and queries, and the command's one
// such socket (LazyNftSocket).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "netlink/nft/batch.h"

struct nl_msg;

namespace cnb::nl::nft {

// A NETLINK_NETFILTER socket in the calling thread's current network namespace.
class NftSocket {
 public:
  static NftSocket Open();

  // Sends the batch and waits for every message's answer. Throws Error carrying the errno and
  // the description of the first message the kernel refused. With `genid` (from Generation())
  // the kernel applies the batch only if the ruleset is still that generation, and refuses it
  // with ERESTART otherwise: a batch built from what a listing showed cannot act on a ruleset
  // that changed since.
  void Commit(const Batch& batch, std::optional<uint32_t> genid = std::nullopt);
  // The ruleset's generation (NFT_MSG_GETGEN); every commit in the namespace moves it on.
  uint32_t Generation();
  // Commits the batch `build` makes from what it lists on this socket, bound to the generation
  // those listings saw. When another commit moved the ruleset in between (ERESTART), a dump kept
  // being interrupted (EINTR), or the kernel says a listed object changed (ENOENT, EBUSY), it
  // builds and commits again, backing off a random, growing while after repeated losses.
  void CommitFromListing(const std::function<Batch(NftSocket&)>& build);
  // After this many losses CommitFromListing gives up with code 11 (try again later).
  static constexpr int kCommitAttempts = 50;
  bool TableExists(uint8_t family, const std::string& table);
  bool ChainExists(uint8_t family, const std::string& table, const std::string& chain);
  // The chain's rules in order; empty when the table or the chain does not exist. A dump the
  // kernel marks interrupted (NLM_F_DUMP_INTR: the ruleset changed while it was being read, so
  // rules may be missing) is read again, a bounded number of times.
  std::vector<RuleInfo> ListRules(uint8_t family, const std::string& table, const std::string& chain);

 private:
  explicit NftSocket(UniqueFd fd) : fd_(std::move(fd)) {}
  void Send(const std::vector<uint8_t>& bytes);
  // Sends one GET request under a fresh sequence number and returns that number.
  uint32_t SendQuery(nl_msg* msg);
  // Receives one datagram (one or more netlink messages) into buf_ and returns its length;
  // without `wait`, returns 0 when nothing is there yet.
  size_t Receive(bool wait);
  // Receives until `on_message(header)`, called for each message answering `seq`, returns true.
  template <typename Fn>
  void Answers(uint32_t seq, Fn on_message);
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

// The retry beneath CommitFromListing: runs `attempt` again while it fails with an Error whose
// errno says the ruleset moved under it (ERESTART, EINTR, EBUSY, ENOENT), calling
// `back_off(n)` after the nth loss. Any other error passes through at once; after
// `max_attempts` losses it throws code 11 (try again later) with the last loss's message.
void RetryWhileStale(const std::function<void()>& attempt, int max_attempts, const std::function<void(int)>& back_off);

// The command's one NETLINK_NETFILTER socket, opened on first use. Releasing any such socket
// makes the kernel finish its pending nf_tables destroy work first (after an RCU grace period,
// under the commit mutex), so a command opens one, keeps it until its other slow kernel work is
// done, and releases it last (declare it first).
class LazyNftSocket {
 public:
  NftSocket& get();

 private:
  std::optional<NftSocket> sock_;
};

}  // namespace cnb::nl::nft
