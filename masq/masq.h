// SPDX-License-Identifier: Apache-2.0
// Per-container source NAT (ipMasq), named and commented exactly like the reference plugins so
// that rules made by either implementation are removed by both. Backends: iptables (over
// nf_tables netlink on iptables-nft hosts, iptables-restore on iptables-legacy ones) and
// nftables (`nft`). Knows nothing of the bridge's config or of the CNI protocol beyond names.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cni/attachments.h"
#include "common/ip.h"
#include "masq/tools.h"
#include "netlink/nft/socket.h"

namespace cnb::masq {

using cni::Attachment;
using cni::kCutIdMark;

struct MasqTarget {
  std::string network;  // network name
  std::string container_id;
  std::string ifname;
  // The addresses of the container's other interfaces, where known. The iptables chain is per
  // container and network, so interfaces of one pod in one network share it: Teardown keeps
  // the jumps from these and removes every other jump to the chain (stale ones included).
  // Unknown: it removes the jumps from its `ips` (all of them when `ips` is empty).
  std::optional<std::vector<IpNet>> siblings;
};

class Masquerader {
 public:
  virtual ~Masquerader() = default;
  // `ips` are the container's addresses with their subnet prefix (e.g. 10.88.0.5/16).
  virtual void Setup(const MasqTarget& target, const std::vector<IpNet>& ips) = 0;
  // Removes everything Setup made. Works with `ips` empty (then it finds the rules by name or
  // comment). Succeeds when nothing is there.
  virtual void Teardown(const MasqTarget& target, const std::vector<IpNet>& ips) = 0;
  // Removes rules of `network` whose attachment is not in `valid`, where the backend can tell.
  virtual void Gc(const std::string& network, const std::vector<Attachment>& valid) = 0;
  // Read-only: the attachments of `network` that hold rules here (for `bridge inspect`); an
  // ifname is "" where the backend's rules do not name it.
  virtual std::vector<Attachment> List(const std::string& network) = 0;
};

// "CNI-" + first 24 hex digits of sha512(network + containerID).
std::string IptablesChainName(const std::string& network, const std::string& container_id);
// `name: "<net>" id: "<cid>"` (Go %q quoting), cut to kMaxIptablesComment bytes as iptables
// cuts it.
inline constexpr size_t kMaxIptablesComment = 255;  // XT_MAX_COMMENT_LEN - 1
std::string IptablesComment(const std::string& network, const std::string& container_id);

// Checks a configured backend name: "iptables", "nftables" or "" (auto). Throws Error 999
// `unknown ipmasq backend "<x>"` for anything else.
void CheckBackendName(const std::string& backend);

// backend: as CheckBackendName; "" picks iptables unless only nftables is usable here (decided
// at the first Setup). `nft` is the command's netfilter socket (nl::nft::LazyNftSocket), which
// must outlive the masquerader.
std::unique_ptr<Masquerader> MakeMasquerader(const std::string& backend, nl::nft::LazyNftSocket& nft);
// For DEL and GC: tears down with both backends, as the reference does.
std::unique_ptr<Masquerader> MakeTeardownMasquerader(nl::nft::LazyNftSocket& nft);

// The same with the helper programs and their runner given (for tests).
std::unique_ptr<Masquerader> MakeMasquerader(const std::string& backend, Tools tools, Runner runner,
                                             nl::nft::LazyNftSocket& nft);
std::unique_ptr<Masquerader> MakeTeardownMasquerader(const Tools& tools, const Runner& runner,
                                                     nl::nft::LazyNftSocket& nft);

}  // namespace cnb::masq
