// SPDX-License-Identifier: Apache-2.0
// The iptables backend on an iptables-nft host, without exec'ing iptables-restore: the same chain
// and rules, written as the nf_tables batch iptables-nft 1.8 itself would send, so iptables -S,
// iptables-restore and the reference plugin see and remove them as their own. Exec'ing the
// (dynamically linked, extension-loading) iptables-restore was most of an ADD's time.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv4.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "masq/iptables_nft.h"

namespace cnb::masq {
namespace {

using nl::nft::Expr;

constexpr const char* kNatTable = "nat";
constexpr const char* kPostrouting = "POSTROUTING";
// xt_comment_info: char comment[256], NUL-terminated.
constexpr size_t kCommentInfoSize = 256;
// MASQUERADE revision 0 info: IPv4 nf_nat_ipv4_multi_range_compat (rangesize, one range),
// aligned to 8; IPv6 nf_nat_range. All zero but rangesize = 1, as iptables sends them.
constexpr size_t kMasqInfoV4Size = 24;
constexpr size_t kMasqInfoV6Size = 40;

uint8_t FamilyOf(bool v6) { return v6 ? NFPROTO_IPV6 : NFPROTO_IPV4; }

Expr CommentMatch(const std::string& comment) {
  std::vector<uint8_t> info(kCommentInfoSize, 0);
  std::copy(comment.begin(), comment.end(), info.begin());
  return Expr::XtMatch("comment", 0, std::move(info));
}

Expr MasqueradeTarget(bool v6) {
  std::vector<uint8_t> info(v6 ? kMasqInfoV6Size : kMasqInfoV4Size, 0);
  if (!v6) {
    const uint32_t rangesize = 1;  // host byte order: it is a kernel struct, not a netlink value
    std::memcpy(info.data(), &rangesize, sizeof(rangesize));
  }
  return Expr::XtTarget("MASQUERADE", 0, std::move(info));
}

std::vector<Expr> Rule(std::vector<Expr> match, const std::string& comment, Expr action) {
  match.push_back(CommentMatch(comment));
  match.push_back(Expr::Counter());
  match.push_back(std::move(action));
  return match;
}

// The rules of IptablesSetupScript's chain, in its order.
void AppendChainRules(nl::nft::Batch& batch, const std::string& chain, const std::string& comment,
                      const std::vector<IpNet>& ips) {
  const bool v6 = !ips.empty() && ips.front().addr().is_v6();
  std::set<std::string> subnets;
  for (const auto& ip : ips) {
    if (!subnets.insert(ip.Network().ToString()).second) continue;
    batch.AppendRule(kNatTable, chain, Rule(XtNftAddressMatch(false, ip.Network(), false), comment, Expr::Accept()),
                     true);
  }
  const IpNet multicast = *IpNet::Parse(v6 ? "ff00::/8" : "224.0.0.0/4");
  batch.AppendRule(kNatTable, chain, Rule(XtNftAddressMatch(false, multicast, true), comment, MasqueradeTarget(v6)),
                   true);
}

}  // namespace

bool ResolvesToIptablesNft(const std::string& tool) {
  if (tool.empty()) return false;
  char resolved[PATH_MAX];
  if (::realpath(tool.c_str(), resolved) == nullptr) return false;
  std::string_view path(resolved);
  std::string_view base = path.substr(path.rfind('/') + 1);
  return base == "xtables-nft-multi" || base.ends_with("tables-nft") || base.ends_with("tables-nft-restore");
}

bool XtNftCommentFits(const std::string& comment) { return comment.size() < kCommentInfoSize; }

std::vector<Expr> XtNftAddressMatch(bool source, const IpNet& net, bool negate) {
  const bool v6 = net.addr().is_v6();
  // Offsets of the source/destination address in the IPv4 and IPv6 headers.
  const uint32_t offset = v6 ? (source ? 8 : 24) : (source ? 12 : 16);
  const IpNet masked = net.Network();
  const uint8_t* addr = masked.addr().bytes();
  const size_t size = masked.addr().size();
  const int prefix = masked.prefix();
  if (prefix == 0 && !negate) return {};  // iptables writes no match for a /0
  // As iptables-nft's add_addr: a whole-byte prefix loads and compares just those bytes; any
  // other prefix loads the whole address and masks it.
  if (prefix % 8 == 0) {
    const size_t n = static_cast<size_t>(prefix / 8);
    return {Expr::NetworkPayload(offset, static_cast<uint32_t>(n)),
            Expr::Cmp(!negate, std::vector<uint8_t>(addr, addr + n))};
  }
  std::vector<uint8_t> mask(size, 0);
  for (int bit = 0; bit < prefix; ++bit) mask[static_cast<size_t>(bit / 8)] |= static_cast<uint8_t>(0x80 >> (bit % 8));
  return {Expr::NetworkPayload(offset, static_cast<uint32_t>(size)), Expr::Bitwise(std::move(mask)),
          Expr::Cmp(!negate, std::vector<uint8_t>(addr, addr + size))};
}

nl::nft::Batch XtNftSetupBatch(const std::string& chain, const std::string& comment, const std::vector<IpNet>& ips,
                               bool add_postrouting) {
  const bool v6 = !ips.empty() && ips.front().addr().is_v6();
  nl::nft::Batch batch(FamilyOf(v6));
  // The table and POSTROUTING only when missing: re-sending an existing base chain is an update
  // transaction, which the kernel frees after an RCU grace period, and the release of any
  // netfilter socket in the namespace (ours at exit included) waits for that under the commit
  // mutex.
  if (add_postrouting) batch.AddTable(kNatTable);
  batch.AddChain(kNatTable, chain);  // exclusive, like -N: a leftover chain fails the batch
  AppendChainRules(batch, chain, comment, ips);
  if (add_postrouting) batch.AddBaseChain(kNatTable, kPostrouting, "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC);
  std::set<std::string> sources;
  for (const auto& ip : ips) {
    IpNet host(ip.addr(), ip.addr().bits());
    if (!sources.insert(host.ToString()).second) continue;
    batch.AppendRule(kNatTable, kPostrouting, Rule(XtNftAddressMatch(true, host, false), comment, Expr::Jump(chain)),
                     true);
  }
  return batch;
}

void XtNftSetup(nl::nft::NftSocket& sock, const std::string& chain, const std::string& comment,
                const std::vector<IpNet>& ips) {
  const bool v6 = !ips.empty() && ips.front().addr().is_v6();
  // A concurrent first ADD may create it in between: then ours updates it, once per node.
  const bool add_postrouting = !sock.ChainExists(FamilyOf(v6), kNatTable, kPostrouting);
  sock.Commit(XtNftSetupBatch(chain, comment, ips, add_postrouting));
}

namespace {

bool FromOneOf(const nl::nft::RuleInfo& rule, const std::vector<IpNet>& ips) {
  return std::any_of(ips.begin(), ips.end(), [&](const IpNet& ip) {
    return rule.source == std::vector<uint8_t>(ip.addr().bytes(), ip.addr().bytes() + ip.addr().size());
  });
}

}  // namespace

void XtNftAddJumps(nl::nft::NftSocket& sock, const std::string& chain, const std::string& comment,
                   const std::vector<IpNet>& ips) {
  const bool v6 = !ips.empty() && ips.front().addr().is_v6();
  const uint8_t family = FamilyOf(v6);
  sock.CommitFromListing([&](nl::nft::NftSocket& s) {
    nl::nft::Batch batch(family);
    const std::vector<nl::nft::RuleInfo> rules = s.ListRules(family, kNatTable, kPostrouting);
    const bool used =
        std::any_of(rules.begin(), rules.end(), [&](const nl::nft::RuleInfo& r) { return r.jump == chain; });
    if (!used) {
      // Nothing jumps to the chain: a leftover of an ADD killed half-way (the reference writes
      // it rule by rule). Its rules are rewritten with the jumps.
      batch.FlushChain(kNatTable, chain);
      AppendChainRules(batch, chain, comment, ips);
      // iptables -N makes no POSTROUTING: the leftover may be all there is of the table.
      if (!s.ChainExists(family, kNatTable, kPostrouting)) {
        batch.AddBaseChain(kNatTable, kPostrouting, "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC);
      }
    }
    std::set<std::string> sources;
    for (const auto& ip : ips) {
      const IpNet host(ip.addr(), ip.addr().bits());
      if (!sources.insert(host.ToString()).second) continue;
      const bool present = std::any_of(rules.begin(), rules.end(), [&](const nl::nft::RuleInfo& r) {
        return r.jump == chain && FromOneOf(r, {host});
      });
      if (present) continue;
      batch.AppendRule(kNatTable, kPostrouting, Rule(XtNftAddressMatch(true, host, false), comment, Expr::Jump(chain)),
                       true);
    }
    return batch;
  });
}

void XtNftTeardown(nl::nft::NftSocket& sock, bool v6, const std::string& chain, const std::vector<IpNet>& ips,
                   const std::optional<std::vector<IpNet>>& siblings) {
  const uint8_t family = FamilyOf(v6);
  // Built from a listing of POSTROUTING and bound to what the listing saw (see
  // CommitFromListing): a listing that missed a jump would delete a chain still jumped to
  // (EBUSY). A missing table or chain reads as empty, and an empty batch is not sent.
  sock.CommitFromListing([&](nl::nft::NftSocket& s) {
    nl::nft::Batch batch(family);
    size_t kept = 0;  // jumps of the container's other interfaces
    for (const auto& rule : s.ListRules(family, kNatTable, kPostrouting)) {
      if (rule.jump != chain) continue;
      const bool ours = siblings ? !FromOneOf(rule, *siblings) : ips.empty() || FromOneOf(rule, ips);
      if (ours) {
        batch.DeleteRule(kNatTable, kPostrouting, rule.handle);
      } else {
        ++kept;
      }
    }
    if (kept == 0 && s.ChainExists(family, kNatTable, chain)) {
      batch.FlushChain(kNatTable, chain);
      batch.DeleteChain(kNatTable, chain);
    }
    return batch;
  });
}

}  // namespace cnb::masq
