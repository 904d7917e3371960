// Per-container source NAT (ipMasq), named and commented exactly like the reference plugins so
// that rules made by either implementation are removed by both.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/ip.h"
#include "netlink/nftables.h"

namespace cnb::bridge {

struct MasqTarget {
  std::string network;       // network name
  std::string container_id;
  std::string ifname;
};

struct Attachment {
  std::string container_id;
  std::string ifname;
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
};

// "CNI-" + first 24 hex digits of sha512(network + containerID).
std::string IptablesChainName(const std::string& network, const std::string& container_id);
// `name: "<net>" id: "<cid>"` (Go %q quoting).
std::string IptablesComment(const std::string& network, const std::string& container_id);

// backend: "iptables", "nftables" or "" (auto: iptables unless only nft is usable).
// Throws Error 999 `unknown ipmasq backend "<x>"` for anything else. `nft` is the command's
// netfilter socket (see nl::nft::LazySocket), which must outlive the masquerader.
std::unique_ptr<Masquerader> MakeMasquerader(const std::string& backend, nl::nft::LazySocket& nft);
// For DEL/GC: tears down with both backends, as the reference does.
std::unique_ptr<Masquerader> MakeTeardownMasquerader(nl::nft::LazySocket& nft);

}  // namespace cnb::bridge
