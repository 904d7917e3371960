#include "netlink/nftables.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "netlink/internal.h"

namespace cnb::nl::nft {
namespace {

using internal::MsgPtr;
using internal::Nest;
using internal::Put;

// A lost answer must not hang a pod start; the kernel answers in microseconds.
constexpr int kAnswerTimeoutMs = 10000;
constexpr size_t kReceiveBuffer = 64 * 1024;

void PutBe32(nl_msg* msg, int type, uint32_t v) { Put(nla_put_u32(msg, type, htonl(v))); }
void PutBe64(nl_msg* msg, int type, uint64_t v) { Put(nla_put_u64(msg, type, htobe64(v))); }
void PutString(nl_msg* msg, int type, const std::string& s) { Put(nla_put_string(msg, type, s.c_str())); }

// Header and nfgenmsg of one request; seq is filled in when the batch is encoded.
MsgPtr NewMessage(uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id = 0) {
  MsgPtr msg(nlmsg_alloc_simple(type, NLM_F_REQUEST | flags));
  if (!msg) throw InternalError("out of memory building an nf_tables request", ENOMEM);
  nfgenmsg gen{};
  gen.nfgen_family = family;
  gen.version = NFNETLINK_V0;
  gen.res_id = htons(res_id);
  Put(nlmsg_append(msg.get(), &gen, sizeof(gen), NLMSG_ALIGNTO));
  return msg;
}

uint16_t NftType(int msg) { return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg); }

// NFTA_DATA_VALUE inside the nest `type`.
void PutValue(nl_msg* msg, int type, const std::vector<uint8_t>& value) {
  nlattr* nest = Nest(msg, type);
  Put(nla_put(msg, NFTA_DATA_VALUE, static_cast<int>(value.size()), value.data()));
  nla_nest_end(msg, nest);
}

void PutExprData(nl_msg* msg, const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kPayload:
      PutBe32(msg, NFTA_PAYLOAD_DREG, NFT_REG_1);
      PutBe32(msg, NFTA_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
      PutBe32(msg, NFTA_PAYLOAD_OFFSET, e.offset);
      PutBe32(msg, NFTA_PAYLOAD_LEN, e.len);
      break;
    case Expr::Kind::kBitwise:
      PutBe32(msg, NFTA_BITWISE_SREG, NFT_REG_1);
      PutBe32(msg, NFTA_BITWISE_DREG, NFT_REG_1);
      PutBe32(msg, NFTA_BITWISE_LEN, static_cast<uint32_t>(e.data.size()));
      PutValue(msg, NFTA_BITWISE_MASK, e.data);
      PutValue(msg, NFTA_BITWISE_XOR, std::vector<uint8_t>(e.data.size(), 0));
      break;
    case Expr::Kind::kCmp:
      PutBe32(msg, NFTA_CMP_SREG, NFT_REG_1);
      PutBe32(msg, NFTA_CMP_OP, e.negate ? NFT_CMP_NEQ : NFT_CMP_EQ);
      PutValue(msg, NFTA_CMP_DATA, e.data);
      break;
    case Expr::Kind::kCounter:
      PutBe64(msg, NFTA_COUNTER_BYTES, 0);
      PutBe64(msg, NFTA_COUNTER_PACKETS, 0);
      break;
    case Expr::Kind::kImmediate: {
      PutBe32(msg, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
      nlattr* data = Nest(msg, NFTA_IMMEDIATE_DATA);
      nlattr* verdict = Nest(msg, NFTA_DATA_VERDICT);
      PutBe32(msg, NFTA_VERDICT_CODE, static_cast<uint32_t>(e.verdict));
      if (!e.chain.empty()) PutString(msg, NFTA_VERDICT_CHAIN, e.chain);
      nla_nest_end(msg, verdict);
      nla_nest_end(msg, data);
      break;
    }
    case Expr::Kind::kMatch:
    case Expr::Kind::kTarget:
      // NFTA_MATCH_* and NFTA_TARGET_* have the same numbers.
      PutString(msg, NFTA_MATCH_NAME, e.name);
      PutBe32(msg, NFTA_MATCH_REV, e.rev);
      Put(nla_put(msg, NFTA_MATCH_INFO, static_cast<int>(e.info.size()), e.info.data()));
      break;
  }
}

const char* ExprName(Expr::Kind kind) {
  switch (kind) {
    case Expr::Kind::kPayload: return "payload";
    case Expr::Kind::kBitwise: return "bitwise";
    case Expr::Kind::kCmp: return "cmp";
    case Expr::Kind::kCounter: return "counter";
    case Expr::Kind::kImmediate: return "immediate";
    case Expr::Kind::kMatch: return "match";
    case Expr::Kind::kTarget: return "target";
  }
  return "";
}

std::string Where(const std::string& table, const std::string& chain) { return table + " " + chain; }

uint32_t Be32At(const nlattr* a) {
  uint32_t v = 0;
  if (nla_len(a) >= 4) std::memcpy(&v, nla_data(a), 4);
  return ntohl(v);
}

std::string StringOf(const nlattr* a) {
  const char* p = static_cast<const char*>(nla_data(a));
  return std::string(p, strnlen(p, static_cast<size_t>(nla_len(a))));
}

// Calls fn(type, attr) for each attribute in [attrs, attrs + len).
template <typename Fn>
void EachAttr(const void* attrs, size_t len, Fn fn) {
  int rem = static_cast<int>(len);
  auto* a = static_cast<nlattr*>(const_cast<void*>(attrs));
  for (; nla_ok(a, rem); a = nla_next(a, &rem)) fn(nla_type(a), a);
}

void ParseExpr(const nlattr* elem, RuleInfo* rule) {
  std::string name;
  const nlattr* data = nullptr;
  EachAttr(nla_data(elem), static_cast<size_t>(nla_len(elem)), [&](int type, const nlattr* a) {
    if (type == NFTA_EXPR_NAME) name = StringOf(a);
    if (type == NFTA_EXPR_DATA) data = a;
  });
  if (!data) return;
  if (name == "immediate") {
    EachAttr(nla_data(data), static_cast<size_t>(nla_len(data)), [&](int type, const nlattr* a) {
      if (type != NFTA_IMMEDIATE_DATA) return;
      EachAttr(nla_data(a), static_cast<size_t>(nla_len(a)), [&](int t, const nlattr* v) {
        if (t != NFTA_DATA_VERDICT) return;
        int32_t code = 0;
        std::string chain;
        EachAttr(nla_data(v), static_cast<size_t>(nla_len(v)), [&](int vt, const nlattr* va) {
          if (vt == NFTA_VERDICT_CODE) code = static_cast<int32_t>(Be32At(va));
          if (vt == NFTA_VERDICT_CHAIN) chain = StringOf(va);
        });
        if (code == NFT_JUMP || code == NFT_GOTO) rule->jump = chain;
      });
    });
  } else if (name == "match") {
    std::string match;
    std::string info;
    EachAttr(nla_data(data), static_cast<size_t>(nla_len(data)), [&](int type, const nlattr* a) {
      if (type == NFTA_MATCH_NAME) match = StringOf(a);
      if (type == NFTA_MATCH_INFO) info = StringOf(a);
    });
    if (match == "comment") rule->comment = info;
  }
}

}  // namespace

Expr Expr::NetworkPayload(uint32_t offset, uint32_t len) {
  Expr e;
  e.kind = Kind::kPayload;
  e.offset = offset;
  e.len = len;
  return e;
}

Expr Expr::Bitwise(std::vector<uint8_t> mask) {
  Expr e;
  e.kind = Kind::kBitwise;
  e.data = std::move(mask);
  return e;
}

Expr Expr::Cmp(bool equal, std::vector<uint8_t> value) {
  Expr e;
  e.kind = Kind::kCmp;
  e.negate = !equal;
  e.data = std::move(value);
  return e;
}

Expr Expr::Counter() { return Expr{}; }

Expr Expr::Accept() {
  Expr e;
  e.kind = Kind::kImmediate;
  e.verdict = NF_ACCEPT;
  return e;
}

Expr Expr::Jump(std::string chain) {
  Expr e;
  e.kind = Kind::kImmediate;
  e.verdict = NFT_JUMP;
  e.chain = std::move(chain);
  return e;
}

Expr Expr::XtMatch(std::string name, uint32_t rev, std::vector<uint8_t> info) {
  Expr e;
  e.kind = Kind::kMatch;
  e.name = std::move(name);
  e.rev = rev;
  e.info = std::move(info);
  return e;
}

Expr Expr::XtTarget(std::string name, uint32_t rev, std::vector<uint8_t> info) {
  Expr e = XtMatch(std::move(name), rev, std::move(info));
  e.kind = Kind::kTarget;
  return e;
}

void Batch::Push(std::vector<uint8_t> message, std::string description) {
  messages_.push_back(std::move(message));
  descriptions_.push_back(std::move(description));
}

void Batch::AddTable(const std::string& table) {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_NEWTABLE), NLM_F_CREATE | NLM_F_ACK, family_);
  PutString(msg.get(), NFTA_TABLE_NAME, table);
  Push(internal::ToBytes(msg.get()), "add table " + table);
}

void Batch::AddBaseChain(const std::string& table, const std::string& chain, const std::string& type,
                         uint32_t hooknum, int32_t priority) {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_NEWCHAIN), NLM_F_CREATE | NLM_F_ACK, family_);
  PutString(msg.get(), NFTA_CHAIN_TABLE, table);
  PutString(msg.get(), NFTA_CHAIN_NAME, chain);
  nlattr* hook = Nest(msg.get(), NFTA_CHAIN_HOOK);
  PutBe32(msg.get(), NFTA_HOOK_HOOKNUM, hooknum);
  PutBe32(msg.get(), NFTA_HOOK_PRIORITY, static_cast<uint32_t>(priority));
  nla_nest_end(msg.get(), hook);
  // No NFTA_CHAIN_POLICY: a new chain accepts by default, and an existing one keeps its policy.
  PutString(msg.get(), NFTA_CHAIN_TYPE, type);
  Push(internal::ToBytes(msg.get()), "add chain " + Where(table, chain));
}

void Batch::AddChain(const std::string& table, const std::string& chain) {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_NEWCHAIN), NLM_F_EXCL | NLM_F_ACK, family_);
  PutString(msg.get(), NFTA_CHAIN_TABLE, table);
  PutString(msg.get(), NFTA_CHAIN_NAME, chain);
  Push(internal::ToBytes(msg.get()), "add chain " + Where(table, chain));
}

void Batch::AppendRule(const std::string& table, const std::string& chain, const std::vector<Expr>& exprs,
                       bool xt_compat) {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_NEWRULE), NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, family_);
  PutString(msg.get(), NFTA_RULE_TABLE, table);
  PutString(msg.get(), NFTA_RULE_CHAIN, chain);
  nlattr* list = Nest(msg.get(), NFTA_RULE_EXPRESSIONS);
  for (const auto& e : exprs) {
    nlattr* elem = Nest(msg.get(), NFTA_LIST_ELEM);
    PutString(msg.get(), NFTA_EXPR_NAME, ExprName(e.kind));
    nlattr* data = Nest(msg.get(), NFTA_EXPR_DATA);
    PutExprData(msg.get(), e);
    nla_nest_end(msg.get(), data);
    nla_nest_end(msg.get(), elem);
  }
  nla_nest_end(msg.get(), list);
  if (xt_compat) {
    nlattr* compat = Nest(msg.get(), NFTA_RULE_COMPAT);
    PutBe32(msg.get(), NFTA_RULE_COMPAT_PROTO, 0);
    PutBe32(msg.get(), NFTA_RULE_COMPAT_FLAGS, 0);
    nla_nest_end(msg.get(), compat);
  }
  Push(internal::ToBytes(msg.get()), "add rule to " + Where(table, chain));
}

void Batch::DeleteRule(const std::string& table, const std::string& chain, uint64_t handle) {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_DELRULE), NLM_F_ACK, family_);
  PutString(msg.get(), NFTA_RULE_TABLE, table);
  PutString(msg.get(), NFTA_RULE_CHAIN, chain);
  PutBe64(msg.get(), NFTA_RULE_HANDLE, handle);
  Push(internal::ToBytes(msg.get()), "delete rule " + std::to_string(handle) + " of " + Where(table, chain));
}

void Batch::FlushChain(const std::string& table, const std::string& chain) {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_DELRULE), NLM_F_ACK, family_);
  PutString(msg.get(), NFTA_RULE_TABLE, table);
  PutString(msg.get(), NFTA_RULE_CHAIN, chain);
  Push(internal::ToBytes(msg.get()), "flush chain " + Where(table, chain));
}

void Batch::DeleteChain(const std::string& table, const std::string& chain) {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_DELCHAIN), NLM_F_ACK, family_);
  PutString(msg.get(), NFTA_CHAIN_TABLE, table);
  PutString(msg.get(), NFTA_CHAIN_NAME, chain);
  Push(internal::ToBytes(msg.get()), "delete chain " + Where(table, chain));
}

std::vector<uint8_t> Batch::Encode(uint32_t first_seq, std::optional<uint32_t> genid) const {
  std::vector<uint8_t> out;
  auto append = [&](const std::vector<uint8_t>& m, uint32_t seq) {
    size_t at = out.size();
    out.insert(out.end(), m.begin(), m.end());
    out.resize(at + NLMSG_ALIGN(m.size()), 0);
    reinterpret_cast<nlmsghdr*>(out.data() + at)->nlmsg_seq = seq;
  };
  // The batch markers belong to nfnetlink itself; res_id names the subsystem they wrap.
  MsgPtr begin = NewMessage(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  if (genid) PutBe32(begin.get(), NFNL_BATCH_GENID, *genid);
  append(internal::ToBytes(begin.get()), first_seq - 1);
  for (size_t i = 0; i < messages_.size(); ++i) append(messages_[i], first_seq + static_cast<uint32_t>(i));
  MsgPtr end = NewMessage(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  append(internal::ToBytes(end.get()), first_seq + static_cast<uint32_t>(messages_.size()));
  return out;
}

RuleInfo ParseRule(const uint8_t* attrs, size_t len) {
  RuleInfo rule;
  EachAttr(attrs, len, [&](int type, const nlattr* a) {
    if (type == NFTA_RULE_HANDLE && nla_len(a) >= 8) {
      uint64_t v = 0;
      std::memcpy(&v, nla_data(a), 8);
      rule.handle = be64toh(v);
    } else if (type == NFTA_RULE_EXPRESSIONS) {
      EachAttr(nla_data(a), static_cast<size_t>(nla_len(a)), [&](int t, const nlattr* elem) {
        if (t == NFTA_LIST_ELEM) ParseExpr(elem, &rule);
      });
    }
  });
  return rule;
}

Socket Socket::Open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!fd) throw ErrnoError("failed to open a netfilter netlink socket", errno);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0) {
    throw ErrnoError("failed to bind a netfilter netlink socket", errno);
  }
  Socket s(std::move(fd));
  s.buf_.reset(new uint8_t[kReceiveBuffer]);
  return s;
}

void Socket::Send(const std::vector<uint8_t>& bytes) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = ::sendto(fd_.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw ErrnoError("failed to send to nf_tables", errno);
}

size_t Socket::Receive(bool wait) {
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

void Socket::Commit(const Batch& batch, std::optional<uint32_t> genid) {
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

uint32_t Socket::SendQuery(nl_msg* msg) {
  std::vector<uint8_t> bytes = internal::ToBytes(msg);
  const uint32_t seq = ++seq_;
  reinterpret_cast<nlmsghdr*>(bytes.data())->nlmsg_seq = seq;
  Send(bytes);
  return seq;
}

bool Socket::Exists(uint16_t msg_type, uint8_t family, const std::string& table, const std::string* chain) {
  MsgPtr msg = NewMessage(NftType(msg_type), 0, family);
  // NFTA_TABLE_NAME and NFTA_CHAIN_TABLE are both attribute 1.
  PutString(msg.get(), chain ? static_cast<int>(NFTA_CHAIN_TABLE) : static_cast<int>(NFTA_TABLE_NAME), table);
  if (chain) PutString(msg.get(), NFTA_CHAIN_NAME, *chain);
  const uint32_t seq = SendQuery(msg.get());
  // Without NLM_F_ACK the answer is either the object or an error, never both.
  for (;;) {
    size_t len = Receive(true);
    int rem = static_cast<int>(len);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf_.get()); NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type != NLMSG_ERROR) return true;
      int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
      if (err == 0) return true;
      if (err == ENOENT) return false;
      throw ErrnoError("failed to look up nf_tables " + (chain ? "chain " + Where(table, *chain) : "table " + table),
                       err);
    }
  }
}

bool Socket::TableExists(uint8_t family, const std::string& table) {
  return Exists(NFT_MSG_GETTABLE, family, table, nullptr);
}

bool Socket::ChainExists(uint8_t family, const std::string& table, const std::string& chain) {
  return Exists(NFT_MSG_GETCHAIN, family, table, &chain);
}

uint32_t Socket::Generation() {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_GETGEN), 0, AF_UNSPEC);
  const uint32_t seq = SendQuery(msg.get());
  for (;;) {
    size_t len = Receive(true);
    int rem = static_cast<int>(len);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf_.get()); NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
        throw ErrnoError("failed to read the nf_tables generation", err ? err : EPROTO);
      }
      const size_t header = NLMSG_ALIGN(sizeof(nfgenmsg));
      if (h->nlmsg_type != NftType(NFT_MSG_NEWGEN) || h->nlmsg_len < NLMSG_HDRLEN + header) continue;
      const auto* payload = static_cast<const uint8_t*>(NLMSG_DATA(h)) + header;
      std::optional<uint32_t> id;
      EachAttr(payload, h->nlmsg_len - NLMSG_HDRLEN - header, [&](int type, const nlattr* a) {
        if (type == NFTA_GEN_ID) id = Be32At(a);
      });
      if (!id) throw InternalError("nf_tables sent no generation id", EPROTO);
      return *id;
    }
  }
}

std::vector<RuleInfo> Socket::ListRules(uint8_t family, const std::string& table, const std::string& chain) {
  constexpr int kAttempts = 10;
  for (int attempt = 1;; ++attempt) {
    bool interrupted = false;
    std::vector<RuleInfo> rules = DumpRules(family, table, chain, &interrupted);
    if (!interrupted) return rules;
    if (attempt == kAttempts) {
      throw InternalError("failed to list nf_tables chain " + Where(table, chain) + ": the dump was interrupted " +
                              std::to_string(kAttempts) + " times",
                          EINTR);
    }
  }
}

std::vector<RuleInfo> Socket::DumpRules(uint8_t family, const std::string& table, const std::string& chain,
                                        bool* interrupted) {
  MsgPtr msg = NewMessage(NftType(NFT_MSG_GETRULE), NLM_F_DUMP, family);
  PutString(msg.get(), NFTA_RULE_TABLE, table);
  PutString(msg.get(), NFTA_RULE_CHAIN, chain);
  const uint32_t seq = SendQuery(msg.get());
  std::vector<RuleInfo> rules;
  for (;;) {
    size_t len = Receive(true);
    int rem = static_cast<int>(len);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf_.get()); NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = true;
      if (h->nlmsg_type == NLMSG_DONE) return rules;
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
        if (err == 0) return rules;
        if (err == ENOENT) return {};
        throw ErrnoError("failed to list nf_tables chain " + Where(table, chain), err);
      }
      if (h->nlmsg_type != NftType(NFT_MSG_NEWRULE)) continue;
      const size_t header = NLMSG_ALIGN(sizeof(nfgenmsg));
      if (h->nlmsg_len < NLMSG_HDRLEN + header) continue;
      const auto* payload = static_cast<const uint8_t*>(NLMSG_DATA(h));
      rules.push_back(ParseRule(payload + header, h->nlmsg_len - NLMSG_HDRLEN - header));
    }
  }
}

Socket& LazySocket::get() {
  if (!sock_) sock_.emplace(Socket::Open());
  return *sock_;
}

}  // namespace cnb::nl::nft
