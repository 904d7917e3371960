// SPDX-License-Identifier: Apache-2.0
#include "netlink/nft/socket.h"

// glibc's <netinet/in.h> (via libnl) before the kernel's <linux/in.h>, or the two clash.
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <poll.h>
#include <sys/socket.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <utility>

#include "common/error.h"
#include "netlink/internal.h"
#include "netlink/nft/wire.h"

namespace cnb::nl::nft {
namespace {

using internal::MsgPtr;
using wire::Be32At;
using wire::EachAttr;
using wire::NewMessage;
using wire::NftType;
using wire::PutString;
using wire::Where;

// A lost answer must not hang a pod start; the kernel answers in microseconds.
constexpr int kAnswerTimeoutMs = 10000;
constexpr size_t kReceiveBuffer = size_t{64} * 1024;

}  // namespace

NftSocket NftSocket::Open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!fd) throw ErrnoError("failed to open a netfilter netlink socket", errno);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0) {
    throw ErrnoError("failed to bind a netfilter netlink socket", errno);
  }
  NftSocket s(std::move(fd));
  s.buf_.reset(new uint8_t[kReceiveBuffer]);
  return s;
}

void NftSocket::Send(const std::vector<uint8_t>& bytes) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = ::sendto(fd_.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw ErrnoError("failed to send to nf_tables", errno);
}

size_t NftSocket::Receive(bool wait) {
  pollfd p{fd_.get(), POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&p, 1, wait ? kAnswerTimeoutMs : 0);
  } while (ready < 0 && errno == EINTR);
  if (ready == 0 && !wait) return 0;
  if (ready == 0) throw InternalError("nf_tables did not answer", ETIMEDOUT);
  if (ready < 0) throw ErrnoError("failed to wait for nf_tables", errno);
  ssize_t n;
  do {
    n = ::recv(fd_.get(), buf_.get(), kReceiveBuffer, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw ErrnoError("failed to read from nf_tables", errno);
  return static_cast<size_t>(n);
}

void NftSocket::Commit(const Batch& batch, std::optional<uint32_t> genid) {
  if (batch.empty()) return;
  const uint32_t first = seq_ + 1;
  const size_t count = batch.descriptions().size();
  seq_ += static_cast<uint32_t>(count) + 2;
  Send(batch.Encode(first, genid));
  // Every message asked for an ack; a refused one answers with its errno, and then the kernel
  // has rolled the whole batch back.
  size_t answered = 0;
  int first_errno = 0;
  std::string failed;
  while (answered < count) {
    // The kernel sends all answers together once it has gone through the batch; after a
    // refusal, take what is already there rather than wait for acks that may not come.
    size_t len = Receive(first_errno == 0);
    if (len == 0) break;
    int rem = static_cast<int>(len);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf_.get()); NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      if (h->nlmsg_seq == first - 1) {
        // An answer to BATCH_BEGIN refuses the whole batch before any of it ran (a stale
        // generation: ERESTART); no message of it will be answered.
        const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        if (err->error != 0) {
          throw ErrnoError(-err->error == ERESTART ? "the nf_tables ruleset changed since it was read"
                                                   : "nf_tables refused the batch",
                           -err->error);
        }
        continue;
      }
      if (h->nlmsg_seq < first || h->nlmsg_seq >= first + count) continue;
      ++answered;
      const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      if (err->error != 0 && first_errno == 0) {
        first_errno = -err->error;
        failed = batch.descriptions()[h->nlmsg_seq - first];
      }
    }
  }
  if (first_errno != 0) throw ErrnoError(failed, first_errno);
}

uint32_t NftSocket::SendQuery(nl_msg* msg) {
  std::vector<uint8_t> bytes = internal::ToBytes(msg);
  const uint32_t seq = ++seq_;
  reinterpret_cast<nlmsghdr*>(bytes.data())->nlmsg_seq = seq;
  Send(bytes);
  return seq;
}

template <typename Fn>
void NftSocket::Answers(uint32_t seq, Fn on_message) {
  for (;;) {
    size_t len = Receive(true);
    int rem = static_cast<int>(len);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf_.get()); NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
      if (h->nlmsg_seq == seq && on_message(h)) return;
    }
  }
}

namespace {

int ErrnoOf(const nlmsghdr* h) { return -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error; }

// The attributes after the nfgenmsg header of an nf_tables message; nullopt when it is too short.
std::optional<std::pair<const uint8_t*, size_t>> Payload(const nlmsghdr* h) {
  const size_t header = NLMSG_ALIGN(sizeof(nfgenmsg));
  if (h->nlmsg_len < NLMSG_HDRLEN + header) return std::nullopt;
  return std::make_pair(static_cast<const uint8_t*>(NLMSG_DATA(h)) + header, h->nlmsg_len - NLMSG_HDRLEN - header);
}

}  // namespace

bool NftSocket::Exists(uint16_t msg_type, uint8_t family, const std::string& table, const std::string* chain) {
  MsgPtr msg = NewMessage(NftType(msg_type), 0, family);
  // NFTA_TABLE_NAME and NFTA_CHAIN_TABLE are both attribute 1.
  PutString(msg.get(), chain ? static_cast<int>(NFTA_CHAIN_TABLE) : static_cast<int>(NFTA_TABLE_NAME), table);
  if (chain) PutString(msg.get(), NFTA_CHAIN_NAME, *chain);
  bool exists = false;
  // Without NLM_F_ACK the answer is either the object or an error, never both.
  Answers(SendQuery(msg.get()), [&](const nlmsghdr* h) {
    const int err = h->nlmsg_type == NLMSG_ERROR ? ErrnoOf(h) : 0;
    if (err != 0 && err != ENOENT) {
      throw ErrnoError("failed to look up nf_tables " + (chain ? "chain " + Where(table, *chain) : "table " + table),
                       err);
    }
    exists = err == 0;
    return true;
  });
  return exists;
}

bool NftSocket::TableExists(uint8_t family, const std::string& table) {
  return Exists(NFT_MSG_GETTABLE, family, table, nullptr);
}

bool NftSocket::ChainExists(uint8_t family, const std::string& table, const std::string& chain) {
  return Exists(NFT_MSG_GETCHAIN, family, table, &chain);
}

uint32_t NftSocket::Generation() {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_GETGEN), 0, AF_UNSPEC);
  std::optional<uint32_t> id;
  Answers(SendQuery(msg.get()), [&](const nlmsghdr* h) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      throw ErrnoError("failed to read the nf_tables generation", ErrnoOf(h) ? ErrnoOf(h) : EPROTO);
    }
    auto payload = Payload(h);
    if (h->nlmsg_type != NftType(NFT_MSG_NEWGEN) || !payload) return false;
    EachAttr(payload->first, payload->second, [&](int type, const nlattr* a) {
      if (type == NFTA_GEN_ID) id = Be32At(a);
    });
    if (!id) throw InternalError("nf_tables sent no generation id", EPROTO);
    return true;
  });
  return *id;
}

std::vector<RuleInfo> NftSocket::ListRules(uint8_t family, const std::string& table, const std::string& chain) {
  constexpr int kAttempts = 10;
  for (int attempt = 1;; ++attempt) {
    bool interrupted = false;
    std::vector<RuleInfo> rules = DumpRules(family, table, chain, &interrupted);
    if (!interrupted) return rules;
    if (attempt == kAttempts) {
      // The ruleset kept changing: the caller can only try again later (as for route dumps).
      throw Error(ErrorCode::kTryAgainLater,
                  "failed to list nf_tables chain " + Where(table, chain) + ": the dump was interrupted " +
                      std::to_string(kAttempts) + " times; try again",
                  "", EINTR);
    }
  }
}

std::vector<RuleInfo> NftSocket::DumpRules(uint8_t family, const std::string& table, const std::string& chain,
                                           bool* interrupted) {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_GETRULE), NLM_F_DUMP, family);
  PutString(msg.get(), NFTA_RULE_TABLE, table);
  PutString(msg.get(), NFTA_RULE_CHAIN, chain);
  std::vector<RuleInfo> rules;
  Answers(SendQuery(msg.get()), [&](const nlmsghdr* h) {
    if (h->nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = true;
    if (h->nlmsg_type == NLMSG_DONE) return true;
    if (h->nlmsg_type == NLMSG_ERROR) {
      const int err = ErrnoOf(h);
      if (err == ENOENT) rules.clear();  // no such table or chain: nothing in it
      if (err != 0 && err != ENOENT) throw ErrnoError("failed to list nf_tables chain " + Where(table, chain), err);
      return true;
    }
    auto payload = Payload(h);
    if (h->nlmsg_type == NftType(NFT_MSG_NEWRULE) && payload) {
      rules.push_back(ParseRule(payload->first, payload->second));
    }
    return false;
  });
  return rules;
}

namespace {

// Losing the race again and again means other commits arrive faster than a listing takes:
// wait a random while (growing, at most 10 ms) so that the racers stop colliding.
void BackOff(int attempt) {
  if (attempt < 3) return;
  thread_local std::minstd_rand rng(static_cast<unsigned>(::getpid()) ^
                                    static_cast<unsigned>(std::hash<std::thread::id>()(std::this_thread::get_id())));
  const unsigned max_us = std::min(10000u, 100u << std::min(attempt - 3, 7));
  std::this_thread::sleep_for(std::chrono::microseconds(rng() % max_us));
}

}  // namespace

void RetryWhileStale(const std::function<void()>& attempt, int max_attempts, const std::function<void(int)>& back_off) {
  for (int n = 1;; ++n) {
    try {
      attempt();
      return;
    } catch (const Error& e) {
      // ENOENT and EBUSY cannot follow from listings the kernel vouched for, but a kernel
      // without generation checks would answer so.
      const int err = e.sys_errno();
      const bool stale = err == ERESTART || err == EINTR || err == EBUSY || e.IsNotFound();
      if (!stale) throw;
      if (n >= max_attempts) {
        throw Error(ErrorCode::kTryAgainLater,
                    e.msg() + " (the ruleset kept changing: " + std::to_string(n) + " attempts; try again)", "", err);
      }
      back_off(n);
    }
  }
}

void NftSocket::CommitFromListing(const std::function<Batch(NftSocket&)>& build) {
  RetryWhileStale(
      [&] {
        const uint32_t generation = Generation();
        Commit(build(*this), generation);
      },
      kCommitAttempts, BackOff);
}

NftSocket& LazyNftSocket::get() {
  if (!sock_) sock_.emplace(NftSocket::Open());
  return *sock_;
}

}  // namespace cnb::nl::nft
