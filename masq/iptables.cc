// SPDX-License-Identifier: Apache-2.0
// iptables backend: the reference's per-container chain, written in one iptables-restore
// transaction per family instead of a dozen iptables execs (or over netlink on iptables-nft
// hosts, iptables_nft.cc), and removed the same way.
#include "masq/iptables.h"

#include <linux/netfilter.h>

#include <algorithm>
#include <optional>
#include <set>

#include "common/error.h"
#include "common/error_list.h"
#include "common/log.h"
#include "common/strings.h"
#include "masq/iptables_nft.h"

namespace cnb::masq {
namespace {

// Seconds iptables waits for the xtables lock (the reference waits forever).
constexpr const char* kLockWaitSeconds = "5";

std::string HostPrefix(const IpAddr& ip) { return ip.ToString() + "/" + std::to_string(ip.bits()); }

std::vector<IpNet> OfFamily(const std::vector<IpNet>& ips, bool v6) {
  std::vector<IpNet> out;
  for (const auto& ip : ips) {
    if (ip.addr().is_v6() == v6) out.push_back(ip);
  }
  return out;
}

}  // namespace

std::string RestoreQuote(std::string_view s) {
  // iptables-restore takes everything between double quotes literally except that a backslash
  // escapes the next character; iptables-save escapes these three.
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out += "\"";
  return out;
}

std::string IptablesSetupScript(const std::string& chain, const std::string& comment, const std::vector<IpNet>& ips) {
  const bool v6 = !ips.empty() && ips.front().addr().is_v6();
  const std::string quoted = RestoreQuote(comment);
  std::string s = "*nat\n-N " + chain + "\n";
  // All ACCEPTs before the MASQUERADE: with several subnets the reference appends the second
  // ACCEPT after the MASQUERADE, where it never matches.
  std::vector<std::string> subnets;
  for (const auto& ip : ips) {
    std::string subnet = ip.Network().ToString();
    if (std::find(subnets.begin(), subnets.end(), subnet) != subnets.end()) continue;
    subnets.push_back(subnet);
    s += "-A " + chain + " -d " + subnet + " -m comment --comment " + quoted + " -j ACCEPT\n";
  }
  // Multicast stays unmasqueraded so pods can reach each other with it on the local network.
  s += "-A " + chain + " ! -d " + (v6 ? "ff00::/8" : "224.0.0.0/4") + " -m comment --comment " + quoted +
       " -j MASQUERADE\n";
  std::set<std::string> sources;
  for (const auto& ip : ips) {
    std::string source = HostPrefix(ip.addr());
    if (!sources.insert(source).second) continue;
    s += "-A POSTROUTING -s " + source + " -m comment --comment " + quoted + " -j " + chain + "\n";
  }
  s += "COMMIT\n";
  return s;
}

std::string IptablesFastTeardownScript(const std::string& chain, const std::string& comment,
                                       const std::vector<IpNet>& ips) {
  const std::string quoted = RestoreQuote(comment);
  std::string s = "*nat\n";
  std::set<std::string> sources;
  for (const auto& ip : ips) {
    std::string source = HostPrefix(ip.addr());
    if (!sources.insert(source).second) continue;
    s += "-D POSTROUTING -s " + source + " -m comment --comment " + quoted + " -j " + chain + "\n";
  }
  s += "-F " + chain + "\n-X " + chain + "\nCOMMIT\n";
  return s;
}

namespace {

// The lines of an `iptables -S` listing, without trailing blanks.
std::vector<std::string> ListingLines(const std::string& listing) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < listing.size()) {
    size_t end = listing.find('\n', start);
    if (end == std::string::npos) end = listing.size();
    std::string line = listing.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

std::vector<std::string> FindJumpRules(const std::string& listing, const std::string& chain) {
  std::vector<std::string> out;
  const std::string head = "-A POSTROUTING ";
  const std::string tail = " -j " + chain;
  for (const auto& line : ListingLines(listing)) {
    if (line.starts_with(head) && line.ends_with(tail)) out.push_back(line.substr(3));
  }
  return out;
}

bool JumpFromOneOf(const std::string& jump_rule, const std::vector<IpNet>& ips) {
  const size_t flag = jump_rule.find(" -s ");
  if (flag == std::string::npos) return false;
  const size_t start = flag + 4;
  const auto source = IpNet::Parse(jump_rule.substr(start, jump_rule.find(' ', start) - start));
  return source && std::any_of(ips.begin(), ips.end(), [&](const IpNet& ip) {
           return source->family() == ip.family() && source->Network().Contains(ip.addr());
         });
}

std::string IptablesAddJumpsScript(const std::string& chain, const std::string& comment, const std::vector<IpNet>& ips,
                                   const std::vector<std::string>& jump_rules) {
  const std::string quoted = RestoreQuote(comment);
  std::string jumps;
  std::set<std::string> sources;
  for (const auto& ip : ips) {
    const std::string source = HostPrefix(ip.addr());
    if (!sources.insert(source).second) continue;
    const bool present = std::any_of(jump_rules.begin(), jump_rules.end(), [&](const std::string& rule) {
      return rule.find(" -s " + source + " ") != std::string::npos;
    });
    if (!present) jumps += "-A POSTROUTING -s " + source + " -m comment --comment " + quoted + " -j " + chain + "\n";
  }
  return jumps.empty() ? "" : "*nat\n" + jumps + "COMMIT\n";
}

std::vector<std::string> JumpsToRemove(const std::vector<std::string>& jump_rules, const std::vector<IpNet>& ips,
                                       const std::optional<std::vector<IpNet>>& siblings) {
  std::vector<std::string> out;
  for (const auto& rule : jump_rules) {
    // Known siblings: every jump but theirs goes, stale ones included. Unknown (ADD's
    // rollback): only the jumps of `ips`, all of them when `ips` is empty.
    const bool ours = siblings ? !JumpFromOneOf(rule, *siblings) : ips.empty() || JumpFromOneOf(rule, ips);
    if (ours) out.push_back(rule);
  }
  return out;
}

std::string IptablesSlowTeardownScript(const std::string& chain, const std::vector<std::string>& remove,
                                       bool remove_chain) {
  if (remove.empty() && !remove_chain) return "";
  std::string s = "*nat\n";
  // Declaring the chain creates it or, under --noflush, flushes it; either way -X then works
  // once nothing jumps to it, so the transaction does not depend on what is left.
  if (remove_chain) s += ":" + chain + " - [0:0]\n";
  for (const auto& rule : remove) s += "-D " + rule + "\n";
  if (remove_chain) s += "-X " + chain + "\n";
  s += "COMMIT\n";
  return s;
}

namespace {

// Reads one iptables-save string argument starting at `pos` (quoted with backslash escapes, or
// a bare word); advances `pos` past it.
std::string ReadSavedString(const std::string& line, size_t* pos) {
  std::string out;
  size_t i = *pos;
  if (i < line.size() && line[i] == '"') {
    for (++i; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;
      out.push_back(line[i]);
    }
    ++i;
  } else {
    for (; i < line.size() && line[i] != ' '; ++i) out.push_back(line[i]);
  }
  *pos = i;
  return out;
}

}  // namespace

std::optional<std::string> JumpOwner(const std::string& comment, const std::string& chain, const std::string& network) {
  const std::string comment_prefix = "name: " + GoQuote(network) + " id: ";
  if (!comment.starts_with(comment_prefix)) return std::nullopt;
  const std::string_view quoted_id = std::string_view(comment).substr(comment_prefix.size());
  if (auto id = GoUnquote(quoted_id)) {
    if (IptablesChainName(network, *id) != chain) return std::nullopt;
    return id;
  }
  // iptables cut the comment inside the ID: the hash cannot be checked, so it takes a chain
  // named like ours, and a comment cut exactly where iptables cuts.
  const bool chain_like_ours = chain.size() == 28 && chain.starts_with("CNI-");
  if (comment.size() != kMaxIptablesComment || !chain_like_ours || !quoted_id.starts_with('"')) return std::nullopt;
  return std::string(quoted_id.substr(1)) + std::string(kCutIdMark);
}

std::vector<IptablesJump> FindNetworkJumps(const std::string& listing, const std::string& network) {
  std::vector<IptablesJump> out;
  for (const auto& line : ListingLines(listing)) {
    if (!line.starts_with("-A POSTROUTING ")) continue;
    size_t jump = line.rfind(" -j CNI-");
    if (jump == std::string::npos) continue;
    std::string chain = line.substr(jump + 4);
    if (chain.size() != 28 || chain.find(' ') != std::string::npos) continue;
    size_t c = line.find(" --comment ");
    if (c == std::string::npos) continue;
    size_t pos = c + 11;
    auto id = JumpOwner(ReadSavedString(line, &pos), chain, network);
    if (!id) continue;
    out.push_back({line.substr(3), chain, *id});
  }
  return out;
}

std::string IptablesGcScript(const std::vector<IptablesJump>& stale) {
  std::vector<std::string> chains;
  for (const auto& j : stale) {
    if (std::find(chains.begin(), chains.end(), j.chain) == chains.end()) chains.push_back(j.chain);
  }
  std::string s = "*nat\n";
  for (const auto& chain : chains) s += ":" + chain + " - [0:0]\n";
  for (const auto& j : stale) s += "-D " + j.rule + "\n";
  for (const auto& chain : chains) s += "-X " + chain + "\n";
  s += "COMMIT\n";
  return s;
}

IptablesMasquerader::Family IptablesMasquerader::FamilyOf(bool v6) const {
  return v6 ? Family{true, tools_.ip6tables, tools_.ip6tables_restore, tools_.ip6tables_nft}
            : Family{false, tools_.iptables, tools_.iptables_restore, tools_.iptables_nft};
}

std::vector<std::string> IptablesMasquerader::RestoreArgv(const Family& f) {
  return {f.restore_tool, "--noflush", "-w", kLockWaitSeconds};
}

ProcessRequest IptablesMasquerader::ListPostroutingRequest(const std::string& list_tool) {
  ProcessRequest req;
  req.argv = {list_tool, "-w", kLockWaitSeconds, "-t", "nat", "-S", "POSTROUTING"};
  req.timeout = kToolTimeout;
  return req;
}

ProcessResult IptablesMasquerader::Restore(const Family& f, const std::string& script) {
  ProcessRequest req;
  req.argv = RestoreArgv(f);
  req.stdin_data = script;
  req.timeout = kToolTimeout;
  return runner_(req);
}

bool IptablesMasquerader::Works() {
  if (tools_.iptables.empty()) return false;
  ProcessRequest req = ListPostroutingRequest(tools_.iptables);
  try {
    return runner_(req).exit_code == 0;
  } catch (const Error&) {
    return false;
  }
}

void IptablesMasquerader::SetupFamily(const Family& f, const std::string& chain, const std::string& comment,
                                      const std::vector<IpNet>& ips) {
  const char* name = f.v6 ? "ip6tables" : "iptables";
  if (f.restore_tool.empty()) {
    throw ProgramNotFound(std::string(name) + "-restore").Wrap("failed to locate iptables");
  }
  if (f.native && XtNftCommentFits(comment)) {
    SetupFamilyNative(chain, comment, ips);
    return;
  }
  const std::string script = IptablesSetupScript(chain, comment, ips);
  ProcessResult r = Restore(f, script);
  if (r.exit_code == 0) return;
  // Most likely the container's chain is there: another of its interfaces in this network uses
  // it, or an earlier ADD of this one left it. Its rules serve every interface; only the jumps
  // are per address.
  log::Info(std::string(name) + "-restore failed (" + r.err + "); adding the jumps of this interface to " + chain);
  if (JoinExistingChain(f, chain, comment, ips)) return;
  r = Restore(f, script);  // after a leftover was removed, or a failure that may have passed
  if (r.exit_code == 0) return;
  throw InternalError("failed to set up masquerade: " + DescribeRun(RestoreArgv(f), r));
}

bool IptablesMasquerader::JoinExistingChain(const Family& f, const std::string& chain, const std::string& comment,
                                            const std::vector<IpNet>& ips) {
  if (f.list_tool.empty()) return false;
  ProcessResult listing = runner_(ListPostroutingRequest(f.list_tool));
  if (listing.exit_code != 0) return false;
  const std::vector<std::string> jumps = FindJumpRules(listing.out, chain);
  if (jumps.empty()) {
    // Nothing jumps to the chain: it is not there, or left by an ADD killed half-way (the
    // reference writes it rule by rule). Remove it, so that the whole setup can run again.
    Restore(f, IptablesSlowTeardownScript(chain, {}, true));
    return false;
  }
  const std::string script = IptablesAddJumpsScript(chain, comment, ips, jumps);
  return script.empty() || Restore(f, script).exit_code == 0;
}

void IptablesMasquerader::SetupFamilyNative(const std::string& chain, const std::string& comment,
                                            const std::vector<IpNet>& ips) {
  try {
    XtNftSetup(nft_.get(), chain, comment, ips);
    return;
  } catch (const Error& e) {
    if (!e.IsExists()) throw e.Wrap("failed to set up masquerade");
    // The container's chain is there: another of its interfaces in this network uses it (the
    // reference's ADD too, whose DEL then fails with EBUSY), or an earlier ADD of this one left
    // it. Its rules serve every interface; only the jumps are per address.
    log::Info(e.msg() + "; adding the jumps of this interface to " + chain);
  }
  try {
    XtNftAddJumps(nft_.get(), chain, comment, ips);
  } catch (const Error& e) {
    throw e.Wrap("failed to set up masquerade");
  }
}

void IptablesMasquerader::Setup(const MasqTarget& target, const std::vector<IpNet>& ips) {
  const std::string chain = IptablesChainName(target.network, target.container_id);
  const std::string comment = IptablesComment(target.network, target.container_id);
  std::vector<IpNet> v4 = OfFamily(ips, false);
  std::vector<IpNet> v6 = OfFamily(ips, true);
  if (!v4.empty()) SetupFamily(FamilyOf(false), chain, comment, v4);
  if (!v6.empty()) {
    try {
      SetupFamily(FamilyOf(true), chain, comment, v6);
    } catch (const Error&) {
      // All or nothing: the caller's rollback only runs for steps that succeeded.
      if (!v4.empty()) {
        try {
          TeardownFamily(FamilyOf(false), chain, comment, v4, std::nullopt);
        } catch (const Error& e) {
          log::Warn("undoing IPv4 masquerade: " + e.msg());
        }
      }
      throw;
    }
  }
}

bool IptablesMasquerader::TeardownFamily(const Family& f, const std::string& chain, const std::string& comment,
                                         const std::vector<IpNet>& ips,
                                         const std::optional<std::vector<IpNet>>& siblings) {
  if (f.restore_tool.empty() || f.list_tool.empty()) return false;
  if (f.native) {
    try {
      XtNftTeardown(nft_.get(), f.v6, chain, ips, siblings);
    } catch (const Error& e) {
      throw e.Wrap("failed to remove masquerade chain " + chain);
    }
    return true;
  }
  if (!ips.empty()) {
    ProcessResult r = Restore(f, IptablesFastTeardownScript(chain, comment, ips));
    if (r.exit_code == 0) return true;
    log::Debug("fast masquerade teardown of " + chain + " failed, listing POSTROUTING: " + r.err);
  }
  ProcessRequest list = ListPostroutingRequest(f.list_tool);
  ProcessResult listing = runner_(list);
  if (listing.exit_code != 0) {
    // This iptables cannot even be read here, so it holds nothing of ours (the reference
    // likewise ignores teardown errors when iptables is not supported).
    log::Info("skipping masquerade teardown: " + DescribeRun(list.argv, listing));
    return false;
  }
  const std::vector<std::string> jumps = FindJumpRules(listing.out, chain);
  const std::vector<std::string> remove = JumpsToRemove(jumps, ips, siblings);
  // The chain goes once nothing jumps to it; the other interfaces' jumps keep it.
  const std::string script = IptablesSlowTeardownScript(chain, remove, remove.size() == jumps.size());
  if (script.empty()) return true;
  ProcessResult r = Restore(f, script);
  if (r.exit_code != 0) {
    throw InternalError("failed to remove masquerade chain " + chain + ": " + DescribeRun(RestoreArgv(f), r));
  }
  return true;
}

void IptablesMasquerader::Teardown(const MasqTarget& target, const std::vector<IpNet>& ips) {
  const std::string chain = IptablesChainName(target.network, target.container_id);
  const std::string comment = IptablesComment(target.network, target.container_id);
  ErrorList errors;
  for (bool v6 : {false, true}) {
    std::vector<IpNet> family_ips = OfFamily(ips, v6);
    // With the addresses known, only their families were set up; without, look in both.
    if (!ips.empty() && family_ips.empty()) continue;
    errors.Try([&] { TeardownFamily(FamilyOf(v6), chain, comment, family_ips, target.siblings); });
  }
  errors.ThrowIfAny();
}

void IptablesMasquerader::Gc(const std::string& network, const std::vector<Attachment>& valid) {
  // By chain: a jump whose comment iptables cut names only part of its container's ID.
  std::set<std::string> keep;
  for (const auto& a : valid) keep.insert(IptablesChainName(network, a.container_id));
  ErrorList errors;
  for (bool v6 : {false, true}) {
    Family f = FamilyOf(v6);
    if (f.list_tool.empty() || f.restore_tool.empty()) continue;
    ProcessRequest list = ListPostroutingRequest(f.list_tool);
    ProcessResult listing = runner_(list);
    if (listing.exit_code != 0) {
      log::Info("skipping masquerade GC: " + DescribeRun(list.argv, listing));
      continue;
    }
    std::vector<IptablesJump> stale;
    for (auto& j : FindNetworkJumps(listing.out, network)) {
      if (!keep.contains(j.chain)) stale.push_back(std::move(j));
    }
    if (stale.empty()) continue;
    ProcessResult r = Restore(f, IptablesGcScript(stale));
    if (r.exit_code != 0) {
      errors.Add(InternalError("failed to garbage-collect masquerade chains: " + DescribeRun(RestoreArgv(f), r)));
    }
  }
  errors.ThrowIfAny();
}

std::vector<Attachment> IptablesMasquerader::List(const std::string& network) {
  std::set<std::string> ids;
  for (bool v6 : {false, true}) {
    const Family f = FamilyOf(v6);
    if (f.list_tool.empty()) continue;
    if (f.native) {
      for (const auto& rule : nft_.get().ListRules(v6 ? NFPROTO_IPV6 : NFPROTO_IPV4, "nat", "POSTROUTING")) {
        if (auto id = JumpOwner(rule.comment, rule.jump, network)) ids.insert(*id);
      }
      continue;
    }
    ProcessResult listing = runner_(ListPostroutingRequest(f.list_tool));
    if (listing.exit_code != 0) continue;  // unusable here, so it holds nothing of ours
    for (const auto& j : FindNetworkJumps(listing.out, network)) ids.insert(j.container_id);
  }
  std::vector<Attachment> out;
  out.reserve(ids.size());
  for (const auto& id : ids) out.push_back({id, ""});
  return out;
}

}  // namespace cnb::masq
