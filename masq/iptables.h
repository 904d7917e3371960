// SPDX-License-Identifier: Apache-2.0
// The iptables backend: the reference's per-container chain in nat POSTROUTING, written over
// nf_tables netlink on iptables-nft hosts (masq/iptables_nft.h) and with iptables-restore on
// iptables-legacy ones. The generated scripts and listing parsers are exposed for unit tests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.h"
#include "masq/masq.h"
#include "masq/tools.h"
#include "netlink/nft/socket.h"

namespace cnb::masq {

// How iptables-save writes a string argument and iptables-restore reads it back.
std::string RestoreQuote(std::string_view s);

// The *nat transaction that creates the chain (-N, so an existing chain makes it fail as a whole),
// its ACCEPT/MASQUERADE rules and one POSTROUTING jump per address. `ips` are of one family.
std::string IptablesSetupScript(const std::string& chain, const std::string& comment, const std::vector<IpNet>& ips);
// Fast teardown when the addresses are known: delete the jumps, then the (flushed) chain.
std::string IptablesFastTeardownScript(const std::string& chain, const std::string& comment,
                                       const std::vector<IpNet>& ips);
// `iptables -S POSTROUTING` lines that jump to `chain`, without the leading "-A ".
std::vector<std::string> FindJumpRules(const std::string& listing, const std::string& chain);
// Whether a listed jump's `-s` source covers one of `ips` (a /32 or /128 source is the address;
// old reference versions wrote the subnet).
bool JumpFromOneOf(const std::string& jump_rule, const std::vector<IpNet>& ips);
// Adds the POSTROUTING jumps of `ips` that `jump_rules` (the chain's, from a listing) lack; ""
// when none is missing. For a second interface of a container whose chain exists.
std::string IptablesAddJumpsScript(const std::string& chain, const std::string& comment, const std::vector<IpNet>& ips,
                                   const std::vector<std::string>& jump_rules);
// The jumps of `jump_rules` that a teardown of `ips` removes, as MasqTarget::siblings says.
std::vector<std::string> JumpsToRemove(const std::vector<std::string>& jump_rules, const std::vector<IpNet>& ips,
                                       const std::optional<std::vector<IpNet>>& siblings);
// Teardown from a listing: delete `remove`, then, when `remove_chain`, declare-and-delete the
// chain, which works whether or not the chain exists. "" when there is nothing to do.
std::string IptablesSlowTeardownScript(const std::string& chain, const std::vector<std::string>& remove,
                                       bool remove_chain);

// A POSTROUTING jump that carries the reference comment of `network` and jumps to the chain
// named after (network, container id): only then is it provably ours.
struct IptablesJump {
  std::string rule;  // without the leading "-A "
  std::string chain;
  std::string container_id;
};
std::vector<IptablesJump> FindNetworkJumps(const std::string& listing, const std::string& network);
// The container ID of a POSTROUTING rule's comment when the rule is such a jump to `chain`. When
// iptables cut the comment (an ID too long for it), the visible part of the ID + kCutIdMark.
std::optional<std::string> JumpOwner(const std::string& comment, const std::string& chain, const std::string& network);
// Removes the given chains and the jumps to them in one transaction.
std::string IptablesGcScript(const std::vector<IptablesJump>& stale);
class IptablesMasquerader : public Masquerader {
 public:
  IptablesMasquerader(Tools tools, Runner runner, nl::nft::LazyNftSocket& nft)
      : tools_(std::move(tools)), runner_(std::move(runner)), nft_(nft) {}
  void Setup(const MasqTarget& target, const std::vector<IpNet>& ips) override;
  void Teardown(const MasqTarget& target, const std::vector<IpNet>& ips) override;
  // The reference does not garbage-collect iptables rules ("FIXME"); the jumps' comments name the
  // network and the container, and the chain name is their hash, which is enough to find the
  // chains of containers that are not valid any more.
  void Gc(const std::string& network, const std::vector<Attachment>& valid) override;
  // iptables comments name the container only: the ifnames are "".
  std::vector<Attachment> List(const std::string& network) override;

  // Whether `iptables -t nat -S POSTROUTING` works (the backend is usable here).
  bool Works();

 private:
  struct Family {
    bool v6;
    const std::string& list_tool;
    const std::string& restore_tool;
    bool native;  // iptables-nft: over netlink, no exec
  };
  Family FamilyOf(bool v6) const;
  void SetupFamily(const Family& f, const std::string& chain, const std::string& comment,
                   const std::vector<IpNet>& ips);
  void SetupFamilyNative(const std::string& chain, const std::string& comment, const std::vector<IpNet>& ips);
  // After the setup script failed: adds the missing jumps to the chain when other jumps prove
  // it exists, or removes a chain nothing jumps to. False when the caller should run the whole
  // setup again.
  bool JoinExistingChain(const Family& f, const std::string& chain, const std::string& comment,
                         const std::vector<IpNet>& ips);
  // Returns false when the family's iptables is unusable (nothing of ours can exist there).
  // `siblings` as MasqTarget's.
  bool TeardownFamily(const Family& f, const std::string& chain, const std::string& comment,
                      const std::vector<IpNet>& ips, const std::optional<std::vector<IpNet>>& siblings);
  static std::vector<std::string> RestoreArgv(const Family& f);
  static ProcessRequest ListPostroutingRequest(const std::string& list_tool);
  ProcessResult Restore(const Family& f, const std::string& script);

  Tools tools_;
  Runner runner_;
  nl::nft::LazyNftSocket& nft_;
};

}  // namespace cnb::masq
