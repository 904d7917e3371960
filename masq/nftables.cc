// SPDX-License-Identifier: Apache-2.0
// The nftables backend, laid out as the reference's (table inet cni_plugins_masquerade): one rule per
// address in masq_checks, each commented with a hash of (network, ifname, container) so DEL and GC
// find exactly their own rules. Changes go through one `nft -f -` transaction.
#include "masq/nftables.h"

#include <linux/netfilter.h>

#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"
#include "common/sha512.h"

namespace cnb::masq {
namespace {

std::string TablePrefix() { return "inet " + std::string(kNftTable) + " "; }

std::string StripQuotes(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != '"') out.push_back(c);
  }
  return out;
}

}  // namespace

bool NftTablePresent(nl::nft::NftSocket& sock) { return sock.TableExists(NFPROTO_INET, std::string(kNftTable)); }

std::string NftHashForNetwork(const std::string& network) { return Sha512Hex(network).substr(0, 16); }

std::string NftHashForInstance(const std::string& network, const std::string& ifname, const std::string& container_id) {
  return NftHashForNetwork(network) + "-" + Sha512Hex(ifname + ":" + container_id).substr(0, 16);
}

std::string NftComment(const std::string& network, const std::string& ifname, const std::string& container_id) {
  // nft strings cannot escape a double quote, hence the reference drops them.
  std::string c = NftHashForInstance(network, ifname, container_id) + ", net: " + StripQuotes(network) +
                  ", if: " + StripQuotes(ifname) + ", id: " + StripQuotes(container_id);
  if (c.size() > kNftCommentMax) c.resize(kNftCommentMax);
  return c;
}

std::optional<Attachment> NftCommentOwner(const std::string& comment, const std::string& network) {
  if (!comment.starts_with(NftHashForNetwork(network) + "-")) return std::nullopt;
  const size_t id = comment.rfind(", id: ");
  const size_t ifname = comment.rfind(", if: ", id);
  if (id == std::string::npos || ifname == std::string::npos) return Attachment{"", ""};
  std::string container_id = comment.substr(id + 6);
  // A comment at the limit may have lost the end of the ID (a 64-hex one already does).
  if (comment.size() >= kNftCommentMax) container_id += kCutIdMark;
  return Attachment{container_id, comment.substr(ifname + 6, id - ifname - 6)};
}

std::vector<NftRule> ParseNftRules(const std::string& json_text) {
  auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array()) {
    throw InternalError("cannot parse nft JSON listing");
  }
  std::vector<NftRule> rules;
  for (const auto& item : doc["nftables"]) {
    if (!item.is_object() || !item.contains("rule")) continue;
    const auto& rule = item["rule"];
    if (!rule.is_object() || !rule.contains("handle") || !rule["handle"].is_number_unsigned()) continue;
    NftRule r;
    r.handle = rule["handle"].get<uint64_t>();
    if (rule.contains("comment") && rule["comment"].is_string()) r.comment = rule["comment"].get<std::string>();
    rules.push_back(std::move(r));
  }
  return rules;
}

std::string NftSetupScript(const std::string& comment, const std::vector<IpNet>& ips,
                           const std::vector<uint64_t>& stale_handles) {
  const std::string t = TablePrefix();
  const std::string masq = std::string(kNftMasqChain);
  std::string s;
  s += "add table " + t + "{ comment \"Masquerading for plugins from github.com/containernetworking/plugins\" ; }\n";
  s += "add chain " + t + masq +
       " { comment \"Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet\" ; }\n";
  // Rebuilt every time, as the reference does, so a damaged postrouting chain heals on the next ADD.
  s += "add chain " + t + "postrouting { type nat hook postrouting priority srcnat ; }\n";
  s += "flush chain " + t + "postrouting\n";
  s += "add rule " + t + "postrouting ip daddr == 224.0.0.0/4 return\n";
  s += "add rule " + t + "postrouting ip6 daddr == ff00::/8 return\n";
  s += "add rule " + t + "postrouting goto " + masq + "\n";
  for (uint64_t handle : stale_handles) s += "delete rule " + t + masq + " handle " + std::to_string(handle) + "\n";
  std::set<std::string> seen;
  for (const auto& ip : ips) {
    const char* proto = ip.addr().is_v6() ? "ip6" : "ip";
    std::string rule = std::string(proto) + " saddr == " + ip.addr().ToString() + " " + proto +
                       " daddr != " + ip.Network().ToString() + " masquerade";
    if (!seen.insert(rule).second) continue;
    s += "add rule " + t + masq + " " + rule + " comment \"" + comment + "\"\n";
  }
  return s;
}

std::string NftDeleteScript(const std::vector<uint64_t>& handles) {
  std::string s;
  for (uint64_t handle : handles) {
    s += "delete rule " + TablePrefix() + std::string(kNftMasqChain) + " handle " + std::to_string(handle) + "\n";
  }
  return s;
}

std::vector<NftRule> NftMasquerader::ListRules() {
  if (tools_.nft.empty()) {
    throw ProgramNotFound("nft").Wrap("failed to locate nft");
  }
  ProcessRequest req;
  req.argv = {tools_.nft, "-j", "list", "chain", "inet", std::string(kNftTable), std::string(kNftMasqChain)};
  req.timeout = kToolTimeout;
  ProcessResult r = runner_(req);
  if (r.exit_code == 0) return ParseNftRules(r.out);
  // No table or chain yet: nothing of ours exists.
  if (r.err.find("No such file or directory") != std::string::npos) return {};
  throw InternalError("failed to list nftables masquerade rules: " + DescribeRun(req.argv, r));
}

void NftMasquerader::Apply(const std::string& script) {
  if (script.empty()) return;
  ProcessRequest req;
  req.argv = {tools_.nft, "-f", "-"};
  req.stdin_data = script;
  req.timeout = kToolTimeout;
  ProcessResult r = runner_(req);
  if (r.exit_code != 0) throw InternalError("failed to apply nftables masquerade rules: " + DescribeRun(req.argv, r));
}

void NftMasquerader::Setup(const MasqTarget& target, const std::vector<IpNet>& ips) {
  const std::string prefix = NftHashForInstance(target.network, target.ifname, target.container_id);
  const std::string comment = NftComment(target.network, target.ifname, target.container_id);
  // A stale handle can vanish between listing and applying (a concurrent DEL); list again then.
  for (int attempt = 0;; ++attempt) {
    std::vector<uint64_t> stale;
    for (const auto& rule : ListRules()) {
      if (rule.comment.starts_with(prefix)) stale.push_back(rule.handle);
    }
    try {
      Apply(NftSetupScript(comment, ips, stale));
      return;
    } catch (const Error&) {
      if (stale.empty() || attempt > 0) throw;
    }
  }
}

bool NftMasquerader::NothingToList() {
  if (!tools_.probe_nft_table) return false;
  try {
    return !NftTablePresent(nft_.get());
  } catch (const Error& e) {
    log::Debug("could not probe the nftables masquerade table: " + e.msg());
    return false;  // let nft itself tell
  }
}

std::optional<std::vector<NftRule>> NftMasquerader::RulesToClean(const char* what) {
  if (tools_.nft.empty() || NothingToList()) return std::nullopt;
  try {
    return ListRules();
  } catch (const Error& e) {
    // nftables unusable here, so it holds nothing of ours (the reference ignores teardown errors
    // when nftables is not supported).
    log::Info(std::string("skipping nftables masquerade ") + what + ": " + e.msg());
    return std::nullopt;
  }
}

void NftMasquerader::Teardown(const MasqTarget& target, const std::vector<IpNet>&) {
  auto rules = RulesToClean("teardown");
  if (!rules) return;
  const std::string prefix = NftHashForInstance(target.network, target.ifname, target.container_id);
  std::vector<uint64_t> handles;
  for (const auto& rule : *rules) {
    if (rule.comment.starts_with(prefix)) handles.push_back(rule.handle);
  }
  Apply(NftDeleteScript(handles));
}

void NftMasquerader::Gc(const std::string& network, const std::vector<Attachment>& valid) {
  auto rules = RulesToClean("GC");
  if (!rules) return;
  std::set<std::string> keep;
  for (const auto& a : valid) keep.insert(NftComment(network, a.ifname, a.container_id));
  const std::string prefix = NftHashForNetwork(network);
  std::vector<uint64_t> handles;
  for (const auto& rule : *rules) {
    if (rule.comment.starts_with(prefix) && !keep.contains(rule.comment)) handles.push_back(rule.handle);
  }
  Apply(NftDeleteScript(handles));
}

std::vector<Attachment> NftMasquerader::List(const std::string& network) {
  auto rules = RulesToClean("listing");
  if (!rules) return {};
  std::set<Attachment> owners;
  for (const auto& rule : *rules) {
    if (auto owner = NftCommentOwner(rule.comment, network)) owners.insert(*owner);
  }
  return {owners.begin(), owners.end()};
}

}  // namespace cnb::masq
