// SPDX-License-Identifier: Apache-2.0
// A small, independent rtnetlink parser for the unit tests: walks the bytes our builders
// produce with the kernel UAPI macros only, so the builders are not checked against themselves.
#pragma once

#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace cnb::nltest {

struct Attr {
  bool nested_flag = false;
  std::vector<uint8_t> payload;
  uint8_t u8() const { return payload.empty() ? 0xff : payload[0]; }
  uint32_t u32() const {
    uint32_t v = 0;
    if (payload.size() >= 4) std::memcpy(&v, payload.data(), 4);
    return v;
  }
  std::string str() const { return std::string(payload.begin(), payload.end()); }
};
using Attrs = std::map<int, Attr>;

// Parses a run of attributes; fails the test on malformed lengths or duplicates.
inline Attrs ParseAttrs(const uint8_t* data, size_t len) {
  Attrs out;
  size_t off = 0;
  while (off + NLA_HDRLEN <= len) {
    nlattr hdr;
    std::memcpy(&hdr, data + off, sizeof(hdr));
    EXPECT_GE(hdr.nla_len, NLA_HDRLEN);
    EXPECT_LE(off + hdr.nla_len, len);
    if (hdr.nla_len < NLA_HDRLEN || off + hdr.nla_len > len) break;
    int type = hdr.nla_type & NLA_TYPE_MASK;
    EXPECT_EQ(out.count(type), 0u) << "duplicate attribute " << type;
    Attr a;
    a.nested_flag = hdr.nla_type & NLA_F_NESTED;
    a.payload.assign(data + off + NLA_HDRLEN, data + off + hdr.nla_len);
    out[type] = a;
    off += NLA_ALIGN(hdr.nla_len);
  }
  EXPECT_EQ(off, len) << "trailing bytes after attributes";
  return out;
}
inline Attrs ParseNested(const Attr& a) { return ParseAttrs(a.payload.data(), a.payload.size()); }

struct LinkMsg {
  nlmsghdr hdr{};
  ifinfomsg ifi{};
  Attrs attrs;
};

inline LinkMsg ParseLinkMsg(const std::vector<uint8_t>& buf) {
  LinkMsg m;
  EXPECT_GE(buf.size(), NLMSG_LENGTH(sizeof(ifinfomsg)));
  if (buf.size() < NLMSG_LENGTH(sizeof(ifinfomsg))) return m;
  std::memcpy(&m.hdr, buf.data(), sizeof(m.hdr));
  EXPECT_EQ(m.hdr.nlmsg_len, buf.size());
  std::memcpy(&m.ifi, buf.data() + NLMSG_HDRLEN, sizeof(m.ifi));
  size_t attrs_at = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifinfomsg)));
  m.attrs = ParseAttrs(buf.data() + attrs_at, buf.size() - attrs_at);
  return m;
}

}  // namespace cnb::nltest
