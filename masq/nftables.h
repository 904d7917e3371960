// SPDX-License-Identifier: Apache-2.0
// The nftables backend (ipMasqBackend: nftables), laid out as the reference's: table
// inet cni_plugins_masquerade, one masquerade rule per address in masq_checks, each commented
// with a hash of (network, ifname, container id). Changes go through one `nft -f -`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.h"
#include "masq/masq.h"
#include "masq/tools.h"
#include "netlink/nft/socket.h"

namespace cnb::masq {

inline constexpr std::string_view kNftTable = "cni_plugins_masquerade";
inline constexpr std::string_view kNftMasqChain = "masq_checks";
inline constexpr size_t kNftCommentMax = 128;

std::string NftHashForNetwork(const std::string& network);
std::string NftHashForInstance(const std::string& network, const std::string& ifname, const std::string& container_id);
std::string NftComment(const std::string& network, const std::string& ifname, const std::string& container_id);
// The attachment a rule comment of `network` names (its ID cut where the comment was, and then
// ending in kCutIdMark), or nullopt for a comment of another network.
std::optional<Attachment> NftCommentOwner(const std::string& comment, const std::string& network);

struct NftRule {
  uint64_t handle = 0;
  std::string comment;
};
// Rules of `nft -j list chain ...` output. Throws Error on malformed JSON.
std::vector<NftRule> ParseNftRules(const std::string& json_text);

// The whole Setup transaction: table and chains (re)declared, postrouting rebuilt, stale rule
// handles deleted, one masquerade rule per address.
std::string NftSetupScript(const std::string& comment, const std::vector<IpNet>& ips,
                           const std::vector<uint64_t>& stale_handles);
std::string NftDeleteScript(const std::vector<uint64_t>& handles);

// Whether the backend's table exists in the socket's netns.
bool NftTablePresent(nl::nft::NftSocket& sock);

class NftMasquerader : public Masquerader {
 public:
  NftMasquerader(Tools tools, Runner runner, nl::nft::LazyNftSocket& nft)
      : tools_(std::move(tools)), runner_(std::move(runner)), nft_(nft) {}
  void Setup(const MasqTarget& target, const std::vector<IpNet>& ips) override;
  void Teardown(const MasqTarget& target, const std::vector<IpNet>& ips) override;
  void Gc(const std::string& network, const std::vector<Attachment>& valid) override;
  std::vector<Attachment> List(const std::string& network) override;

  // Rules of masq_checks; an absent table or chain is an empty list. Throws on other failures.
  std::vector<NftRule> ListRules();

 private:
  void Apply(const std::string& script);
  // True when the kernel says our table does not exist (so listing it with nft is pointless).
  bool NothingToList();
  // The rules a teardown or GC (`what`, for the log) looks at; nullopt when nftables holds
  // nothing of ours here (not installed, no table, or not usable).
  std::optional<std::vector<NftRule>> RulesToClean(const char* what);

  Tools tools_;
  Runner runner_;
  nl::nft::LazyNftSocket& nft_;
};

}  // namespace cnb::masq
