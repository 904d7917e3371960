// SPDX-License-Identifier: Apache-2.0
#include "netlink/nft/batch.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/error.h"
#include "netlink/internal.h"
#include "netlink/nft/wire.h"

namespace cnb::nl::nft {
namespace {

using internal::MsgPtr;
using internal::Nest;
using internal::Put;
using wire::Be32At;
using wire::EachAttr;
using wire::NewMessage;
using wire::NftType;
using wire::PutBe32;
using wire::PutBe64;
using wire::PutString;
using wire::StringOf;
using wire::Where;

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
      PutBe32(msg, NFTA_PAYLOAD_BASE, e.base);
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
    case Expr::Kind::kMeta:  // key first, as nft sends it
      PutBe32(msg, NFTA_META_KEY, e.key);
      PutBe32(msg, NFTA_META_DREG, NFT_REG_1);
      break;
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
    case Expr::Kind::kMeta: return "meta";
  }
  return "";
}

// A `meta load iifname => reg 1` seen, so that the next cmp's data is the interface name.
struct ParseState {
  bool iifname_loaded = false;
  bool source_loaded = false;  // a whole IPv4 or IPv6 source address
};

// The value an equality cmp compares with; empty for another operator.
std::vector<uint8_t> CmpEqValue(const nlattr* data) {
  std::vector<uint8_t> value;
  bool eq = false;
  EachAttr(nla_data(data), static_cast<size_t>(nla_len(data)), [&](int type, const nlattr* a) {
    if (type == NFTA_CMP_OP) eq = Be32At(a) == NFT_CMP_EQ;
    if (type != NFTA_CMP_DATA) return;
    EachAttr(nla_data(a), static_cast<size_t>(nla_len(a)), [&](int t, const nlattr* v) {
      if (t != NFTA_DATA_VALUE) return;
      const auto* bytes = static_cast<const uint8_t*>(nla_data(v));
      value.assign(bytes, bytes + nla_len(v));
    });
  });
  if (!eq) value.clear();
  return value;
}

void ParseCmp(const nlattr* data, RuleInfo* rule) {
  EachAttr(nla_data(data), static_cast<size_t>(nla_len(data)), [&](int type, const nlattr* a) {
    if (type != NFTA_CMP_DATA) return;
    EachAttr(nla_data(a), static_cast<size_t>(nla_len(a)), [&](int t, const nlattr* v) {
      if (t == NFTA_DATA_VALUE) rule->iifname = StringOf(v);
    });
  });
}

// A load of the IPv4 (offset 12, 4 bytes) or IPv6 (offset 8, 16 bytes) source address.
bool LoadsSourceAddress(const nlattr* data) {
  uint32_t base = UINT32_MAX, offset = 0, len = 0;
  EachAttr(nla_data(data), static_cast<size_t>(nla_len(data)), [&](int type, const nlattr* a) {
    if (type == NFTA_PAYLOAD_BASE) base = Be32At(a);
    if (type == NFTA_PAYLOAD_OFFSET) offset = Be32At(a);
    if (type == NFTA_PAYLOAD_LEN) len = Be32At(a);
  });
  return base == NFT_PAYLOAD_NETWORK_HEADER && ((offset == 12 && len == 4) || (offset == 8 && len == 16));
}

bool LoadsIifname(const nlattr* data) {
  bool iifname = false;
  EachAttr(nla_data(data), static_cast<size_t>(nla_len(data)), [&](int type, const nlattr* a) {
    if (type == NFTA_META_KEY) iifname = Be32At(a) == NFT_META_IIFNAME;
  });
  return iifname;
}

void ParseExpr(const nlattr* elem, RuleInfo* rule, ParseState* state) {
  std::string name;
  const nlattr* data = nullptr;
  EachAttr(nla_data(elem), static_cast<size_t>(nla_len(elem)), [&](int type, const nlattr* a) {
    if (type == NFTA_EXPR_NAME) name = StringOf(a);
    if (type == NFTA_EXPR_DATA) data = a;
  });
  if (!data) return;
  const bool after_iifname = std::exchange(state->iifname_loaded, false);
  const bool after_source = std::exchange(state->source_loaded, false);
  if (name == "meta") {
    state->iifname_loaded = LoadsIifname(data);
  } else if (name == "payload") {
    state->source_loaded = LoadsSourceAddress(data);
  } else if (name == "cmp") {
    if (after_iifname) ParseCmp(data, rule);
    if (after_source) rule->source = CmpEqValue(data);
  } else if (name == "immediate") {
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

Expr Expr::LinkPayload(uint32_t offset, uint32_t len) {
  Expr e = NetworkPayload(offset, len);
  e.base = NFT_PAYLOAD_LL_HEADER;
  return e;
}

Expr Expr::MetaLoad(uint32_t key) {
  Expr e;
  e.kind = Kind::kMeta;
  e.key = key;
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

Expr Expr::Accept() { return Verdict(NF_ACCEPT); }

Expr Expr::Verdict(int32_t code) {
  Expr e;
  e.kind = Kind::kImmediate;
  e.verdict = code;
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

void Batch::AddBaseChain(const std::string& table, const std::string& chain, const std::string& type, uint32_t hooknum,
                         int32_t priority) {
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
                       bool xt_compat, const std::string& comment) {
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
  if (!comment.empty()) {
    const std::vector<uint8_t> udata = CommentUserdata(comment);
    Put(nla_put(msg.get(), NFTA_RULE_USERDATA, static_cast<int>(udata.size()), udata.data()));
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

// nft's userdata is a list of TLVs (type, length, value), each one byte of type and one of
// length (libnftnl's nftnl_udata); type 0 is the rule comment.
constexpr uint8_t kUdataRuleComment = 0;

std::vector<uint8_t> CommentUserdata(const std::string& comment) {
  if (comment.empty()) return {};
  // A comment longer than a TLV can say is cut, as nft refuses it outright.
  const size_t len = std::min<size_t>(comment.size(), 254);
  std::vector<uint8_t> out = {kUdataRuleComment, static_cast<uint8_t>(len + 1)};
  out.insert(out.end(), comment.begin(), comment.begin() + static_cast<long>(len));
  out.push_back(0);
  return out;
}

namespace {

std::string CommentFromUserdata(const uint8_t* data, size_t len) {
  for (size_t i = 0; i + 2 <= len;) {
    const uint8_t type = data[i];
    const size_t size = data[i + 1];
    if (i + 2 + size > len) break;
    if (type == kUdataRuleComment) {
      const char* text = reinterpret_cast<const char*>(data + i + 2);
      return std::string(text, strnlen(text, size));
    }
    i += 2 + size;
  }
  return {};
}

}  // namespace

RuleInfo ParseRule(const uint8_t* attrs, size_t len) {
  RuleInfo rule;
  std::string userdata_comment;
  EachAttr(attrs, len, [&](int type, const nlattr* a) {
    if (type == NFTA_RULE_HANDLE && nla_len(a) >= 8) {
      uint64_t v = 0;
      std::memcpy(&v, nla_data(a), 8);
      rule.handle = be64toh(v);
    } else if (type == NFTA_RULE_EXPRESSIONS) {
      ParseState state;
      EachAttr(nla_data(a), static_cast<size_t>(nla_len(a)), [&](int t, const nlattr* elem) {
        if (t == NFTA_LIST_ELEM) ParseExpr(elem, &rule, &state);
      });
    } else if (type == NFTA_RULE_USERDATA) {
      userdata_comment = CommentFromUserdata(static_cast<const uint8_t*>(nla_data(a)), static_cast<size_t>(nla_len(a)));
    }
  });
  if (rule.comment.empty()) rule.comment = userdata_comment;
  return rule;
}

}  // namespace cnb::nl::nft
