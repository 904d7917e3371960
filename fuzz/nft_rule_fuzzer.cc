// SPDX-License-Identifier: Apache-2.0
// The nf_tables rule parser: the input is one NFT_MSG_NEWRULE payload after its nfgenmsg, as a
// rule listing of the kernel hands it to ParseRule (netlink/nft/socket.cc). Written by
// iptables-nft, nft or anyone else on the node.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "netlink/nft/batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size copy: a read past the message is a heap overflow ASan sees.
  const std::vector<uint8_t> payload(data, data + size);
  cnb::fuzz::ExpectOnlyErrors("ParseRule", [&] {
    const cnb::nl::nft::RuleInfo rule = cnb::nl::nft::ParseRule(payload.data(), payload.size());
    if (rule.comment.find('\0') != std::string::npos) cnb::fuzz::Finding("a rule comment holds a NUL");
  });
  return 0;
}
