// Internals of the masquerade backends, exposed for unit tests: the generated iptables-restore
// and nft texts, the parsers of their listings, and backends that take a fake process runner.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cni/args.h"
#include "common/ip.h"
#include "netlink/nftables.h"
#include "plugin/masq.h"
#include "plugin/process.h"

namespace cnb::bridge::masq {

// Runs one helper program; the real one is RunProcess.
using Runner = std::function<ProcessResult(const ProcessRequest&)>;

// Absolute paths of the helper programs; "" when not installed.
struct Tools {
  std::string iptables;
  std::string iptables_restore;
  std::string ip6tables;
  std::string ip6tables_restore;
  std::string nft;
  // iptables / ip6tables are iptables-nft: write their rules over netlink (see
  // masq_iptables_nft.cc) instead of exec'ing the restore tool.
  bool iptables_nft = false;
  bool ip6tables_nft = false;
  // Ask the kernel whether the nftables backend's table exists before exec'ing nft to list it.
  bool probe_nft_table = false;
};
// Looks in PATH, then in the sbin directories (runtimes often exec plugins with a PATH that
// lacks them).
std::string FindTool(const std::string& name);
Tools FindTools();

using cni::GoQuote;
// How iptables-save writes a string argument and iptables-restore reads it back.
std::string RestoreQuote(std::string_view s);

// ---- iptables ----
// The *nat transaction that creates the chain (-N, so an existing chain makes it fail as a whole),
// its ACCEPT/MASQUERADE rules and one POSTROUTING jump per address. `ips` are of one family.
std::string IptablesSetupScript(const std::string& chain, const std::string& comment,
                                const std::vector<IpNet>& ips);
// Fast teardown when the addresses are known: delete the jumps, then the (flushed) chain.
std::string IptablesFastTeardownScript(const std::string& chain, const std::string& comment,
                                       const std::vector<IpNet>& ips);
// `iptables -S POSTROUTING` lines that jump to `chain`, without the leading "-A ".
std::vector<std::string> FindJumpRules(const std::string& listing, const std::string& chain);
// Teardown from a listing: delete those rules, then declare-and-delete the chain, which works
// whether or not the chain exists.
std::string IptablesSlowTeardownScript(const std::string& chain,
                                       const std::vector<std::string>& jump_rules);

// A POSTROUTING jump that carries the reference comment of `network` and jumps to the chain
// named after (network, container id): only then is it provably ours.
struct IptablesJump {
  std::string rule;          // without the leading "-A "
  std::string chain;
  std::string container_id;
};
std::vector<IptablesJump> FindNetworkJumps(const std::string& listing, const std::string& network);
// Removes the given chains and the jumps to them in one transaction.
std::string IptablesGcScript(const std::vector<IptablesJump>& stale);
// Inverse of GoQuote for what GoQuote produces; nullopt for anything else.
std::optional<std::string> GoUnquote(std::string_view quoted);

class IptablesMasquerader : public Masquerader {
 public:
  IptablesMasquerader(Tools tools, Runner runner, nl::nft::LazySocket& nft)
      : tools_(std::move(tools)), runner_(std::move(runner)), nft_(nft) {}
  void Setup(const MasqTarget& target, const std::vector<IpNet>& ips) override;
  void Teardown(const MasqTarget& target, const std::vector<IpNet>& ips) override;
  // The reference does not garbage-collect iptables rules ("FIXME"); the jumps' comments name the
  // network and the container, and the chain name is their hash, which is enough to find the
  // chains of containers that are not valid any more.
  void Gc(const std::string& network, const std::vector<Attachment>& valid) override;

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
  // Returns false when the family's iptables is unusable (nothing of ours can exist there).
  bool TeardownFamily(const Family& f, const std::string& chain, const std::string& comment,
                      const std::vector<IpNet>& ips);
  static std::vector<std::string> RestoreArgv(const Family& f);
  static ProcessRequest ListPostroutingRequest(const std::string& list_tool);
  ProcessResult Restore(const Family& f, const std::string& script);

  Tools tools_;
  Runner runner_;
  nl::nft::LazySocket& nft_;
};

// ---- iptables-nft over netlink ----
// Whether `tool` (a path) is, through its symlinks, the nf_tables flavour of iptables.
bool ResolvesToIptablesNft(const std::string& tool);
// Whether iptables' comment match can hold `comment` (it refuses longer ones).
bool XtNftCommentFits(const std::string& comment);
// The expressions iptables-nft writes for `[!] -s|-d <net>`.
std::vector<nl::nft::Expr> XtNftAddressMatch(bool source, const IpNet& net, bool negate);
// IptablesSetupScript's transaction as iptables-restore on iptables-nft sends it: the nat table
// and its POSTROUTING base chain when `add_postrouting` (they are missing), the chain
// (exclusively: a leftover one fails it with EEXIST), its rules, the POSTROUTING jumps.
nl::nft::Batch XtNftSetupBatch(const std::string& chain, const std::string& comment,
                               const std::vector<IpNet>& ips, bool add_postrouting);
void XtNftSetup(nl::nft::Socket& sock, const std::string& chain, const std::string& comment,
                const std::vector<IpNet>& ips);
// Deletes the POSTROUTING jumps to `chain`, then the chain; succeeds when none of it exists.
void XtNftTeardown(nl::nft::Socket& sock, bool v6, const std::string& chain);
// Whether the nftables backend's table exists in the socket's netns.
bool NftTablePresent(nl::nft::Socket& sock);

// ---- nftables ----
inline constexpr std::string_view kNftTable = "cni_plugins_masquerade";
inline constexpr std::string_view kNftMasqChain = "masq_checks";
inline constexpr size_t kNftCommentMax = 128;

std::string NftHashForNetwork(const std::string& network);
std::string NftHashForInstance(const std::string& network, const std::string& ifname,
                               const std::string& container_id);
std::string NftComment(const std::string& network, const std::string& ifname,
                       const std::string& container_id);

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

class NftMasquerader : public Masquerader {
 public:
  NftMasquerader(Tools tools, Runner runner, nl::nft::LazySocket& nft)
      : tools_(std::move(tools)), runner_(std::move(runner)), nft_(nft) {}
  void Setup(const MasqTarget& target, const std::vector<IpNet>& ips) override;
  void Teardown(const MasqTarget& target, const std::vector<IpNet>& ips) override;
  void Gc(const std::string& network, const std::vector<Attachment>& valid) override;

  // Rules of masq_checks; an absent table or chain is an empty list. Throws on other failures.
  std::vector<NftRule> ListRules();

 private:
  void Apply(const std::string& script);
  // True when the kernel says our table does not exist (so listing it with nft is pointless).
  bool NothingToList();

  Tools tools_;
  Runner runner_;
  nl::nft::LazySocket& nft_;
};

// ---- selection ----
// "" picks iptables when it works, else nftables; the choice is made at the first Setup.
// `nft` is the command's netfilter socket; it must outlive the masquerader.
std::unique_ptr<Masquerader> MakeMasquerader(const std::string& backend, Tools tools, Runner runner,
                                             nl::nft::LazySocket& nft);
std::unique_ptr<Masquerader> MakeTeardownMasquerader(Tools tools, Runner runner, nl::nft::LazySocket& nft);

}  // namespace cnb::bridge::masq
