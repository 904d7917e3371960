// SPDX-License-Identifier: Apache-2.0
// Wire helpers shared by the nf_tables encoder (batch.cc) and the socket (socket.cc); for
// netlink/nft/ only.
#pragma once

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "common/error.h"
#include "netlink/internal.h"

namespace cnb::nl::nft::wire {

inline void PutBe32(nl_msg* msg, int type, uint32_t v) { internal::Put(nla_put_u32(msg, type, htonl(v))); }
inline void PutBe64(nl_msg* msg, int type, uint64_t v) { internal::Put(nla_put_u64(msg, type, htobe64(v))); }
inline void PutString(nl_msg* msg, int type, const std::string& s) {
  internal::Put(nla_put_string(msg, type, s.c_str()));
}

// Header and nfgenmsg of one request; seq is filled in when it is sent.
inline internal::MsgPtr NewMessage(uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id = 0) {
  internal::MsgPtr msg(nlmsg_alloc_simple(type, NLM_F_REQUEST | flags));
  if (!msg) throw InternalError("out of memory building an nf_tables request", ENOMEM);
  nfgenmsg gen{};
  gen.nfgen_family = family;
  gen.version = NFNETLINK_V0;
  gen.res_id = htons(res_id);
  internal::Put(nlmsg_append(msg.get(), &gen, sizeof(gen), NLMSG_ALIGNTO));
  return msg;
}

inline uint16_t NftType(int msg) { return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg); }

inline std::string Where(const std::string& table, const std::string& chain) { return table + " " + chain; }

inline uint32_t Be32At(const nlattr* a) {
  uint32_t v = 0;
  if (nla_len(a) >= 4) std::memcpy(&v, nla_data(a), 4);
  return ntohl(v);
}

inline std::string StringOf(const nlattr* a) {
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

}  // namespace cnb::nl::nft::wire
