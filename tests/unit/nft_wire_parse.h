// SPDX-License-Identifier: Apache-2.0
// Splitting an encoded nf_tables batch into its netlink messages, and hex literals with zero
// runs, for the byte-level tests of what we send (compared with what nft or iptables-nft sent
// for the same rules, captured with `strace -e write=`).
#pragma once

#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "netlink/nft/batch.h"

namespace cnb::nltest {

// Hex with "{N}" for a run of N zero bytes.
inline std::vector<uint8_t> Unhex(const std::string& text) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      size_t close = text.find('}', i);
      out.insert(out.end(), std::stoul(text.substr(i + 1, close - i - 1)), 0);
      i = close + 1;
    } else {
      out.push_back(static_cast<uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
      i += 2;
    }
  }
  return out;
}

struct NlMessage {
  nlmsghdr hdr;
  std::vector<uint8_t> body;  // nfgenmsg and attributes
};

inline std::vector<NlMessage> SplitMessages(const std::vector<uint8_t>& wire) {
  std::vector<NlMessage> out;
  for (size_t off = 0; off + NLMSG_HDRLEN <= wire.size();) {
    NlMessage m;
    std::memcpy(&m.hdr, wire.data() + off, sizeof(m.hdr));
    EXPECT_GE(m.hdr.nlmsg_len, NLMSG_HDRLEN);
    EXPECT_LE(off + m.hdr.nlmsg_len, wire.size());
    m.body.assign(wire.begin() + static_cast<long>(off + NLMSG_HDRLEN),
                  wire.begin() + static_cast<long>(off + m.hdr.nlmsg_len));
    out.push_back(m);
    off += NLMSG_ALIGN(m.hdr.nlmsg_len);
  }
  return out;
}

inline uint16_t NftType(int msg) { return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg); }

// A NEWRULE message read back through the dump parser.
inline nl::nft::RuleInfo ParseRuleMessage(const NlMessage& m) {
  const size_t header = NLMSG_ALIGN(sizeof(nfgenmsg));
  return nl::nft::ParseRule(m.body.data() + header, m.body.size() - header);
}

}  // namespace cnb::nltest
