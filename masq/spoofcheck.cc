// SPDX-License-Identifier: Apache-2.0
#include "masq/spoofcheck.h"

#include <linux/if.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_bridge.h>

#include <set>

#include "common/error.h"
#include "common/log.h"
#include "netlink/mac.h"

namespace cnb::masq {
namespace {

using nl::nft::Batch;
using nl::nft::Expr;

constexpr const char* kTable = "nat";
constexpr const char* kPrerouting = "PREROUTING";
constexpr const char* kCommentPrefix = "macspoofchk-";
// The reference's base chain priority (nft's "dstnat" in the bridge family).
constexpr int32_t kPriority = -300;

std::string IfaceChain(const std::string& id) { return "cni-br-iface-" + id; }
std::string MacChain(const std::string& id) { return IfaceChain(id) + "-mac"; }
std::string Comment(const std::string& id) { return kCommentPrefix + id; }

// nft compares an interface name as IFNAMSIZ bytes, NUL-padded.
std::vector<uint8_t> IfnameBytes(const std::string& name) {
  std::vector<uint8_t> out(IFNAMSIZ, 0);
  std::copy(name.begin(), name.begin() + static_cast<long>(std::min<size_t>(name.size(), IFNAMSIZ - 1)), out.begin());
  return out;
}

std::vector<uint8_t> MacBytes(const std::string& mac) {
  uint8_t bytes[6];
  if (!nl::ParseMac(mac, bytes)) throw InternalError("invalid MAC address \"" + mac + "\" for macspoofchk", EINVAL);
  return std::vector<uint8_t>(bytes, bytes + 6);
}

// Deletes the rules of PREROUTING with `comment` and the attachment's two chains.
void AddTeardown(nl::nft::NftSocket& sock, const std::string& id, Batch* batch) {
  for (const auto& rule : sock.ListRules(NFPROTO_BRIDGE, kTable, kPrerouting)) {
    if (rule.comment == Comment(id)) batch->DeleteRule(kTable, kPrerouting, rule.handle);
  }
  // The interface chain first: it jumps to the MAC chain.
  for (const std::string& chain : {IfaceChain(id), MacChain(id)}) {
    if (!sock.ChainExists(NFPROTO_BRIDGE, kTable, chain)) continue;
    batch->FlushChain(kTable, chain);
    batch->DeleteChain(kTable, chain);
  }
}

}  // namespace

std::string SpoofCheckId(const std::string& container_id, const std::string& ifname) {
  return container_id + "-" + ifname;
}

Batch SpoofCheckSetupBatch(const std::string& host_veth, const std::string& mac, const std::string& id, bool add_base) {
  Batch batch(NFPROTO_BRIDGE);
  if (add_base) {
    batch.AddTable(kTable);
    batch.AddBaseChain(kTable, kPrerouting, "filter", NF_BR_PRE_ROUTING, kPriority);
  }
  batch.AddChain(kTable, IfaceChain(id));  // exclusive: a leftover fails the batch
  batch.AddChain(kTable, MacChain(id));
  const std::string comment = Comment(id);
  batch.AppendRule(
      kTable, kPrerouting,
      {Expr::MetaLoad(NFT_META_IIFNAME), Expr::Cmp(true, IfnameBytes(host_veth)), Expr::Jump(IfaceChain(id))}, false,
      comment);
  batch.AppendRule(kTable, IfaceChain(id), {Expr::Jump(MacChain(id))}, false, comment);
  // ether saddr: 6 bytes at offset 6 of the Ethernet header.
  batch.AppendRule(kTable, MacChain(id),
                   {Expr::LinkPayload(6, 6), Expr::Cmp(true, MacBytes(mac)), Expr::Verdict(NFT_RETURN)}, false,
                   comment);
  batch.AppendRule(kTable, MacChain(id), {Expr::Verdict(NF_DROP)}, false, comment);
  return batch;
}

void SetupSpoofCheck(nl::nft::NftSocket& sock, const std::string& host_veth, const std::string& mac,
                     const std::string& container_id, const std::string& ifname) {
  const std::string id = SpoofCheckId(container_id, ifname);
  // The base chain only when missing: re-sending an existing one would be an update transaction
  // (see masq/iptables_nft.cc).
  const auto setup = [&] {
    const bool add_base = !sock.ChainExists(NFPROTO_BRIDGE, kTable, kPrerouting);
    sock.Commit(SpoofCheckSetupBatch(host_veth, mac, id, add_base));
  };
  try {
    setup();
    return;
  } catch (const Error& e) {
    if (!e.IsExists()) throw e.Wrap("failed to setup spoof-check");
    log::Info(e.msg() + "; removing leftovers of the spoof check " + id + " and retrying");
  }
  try {
    TeardownSpoofCheck(sock, container_id, ifname);
    setup();
  } catch (const Error& e) {
    throw e.Wrap("failed to setup spoof-check");
  }
}

void TeardownSpoofCheck(nl::nft::NftSocket& sock, const std::string& container_id, const std::string& ifname) {
  const std::string id = SpoofCheckId(container_id, ifname);
  try {
    sock.CommitFromListing([&](nl::nft::NftSocket& s) {
      Batch batch(NFPROTO_BRIDGE);
      AddTeardown(s, id, &batch);
      return batch;
    });
  } catch (const Error& e) {
    throw e.Wrap("failed to teardown spoof-check");
  }
}

std::vector<SpoofCheckJump> ListSpoofChecks(nl::nft::NftSocket& sock) {
  std::vector<SpoofCheckJump> out;
  for (const auto& rule : sock.ListRules(NFPROTO_BRIDGE, kTable, kPrerouting)) {
    if (!rule.comment.starts_with(kCommentPrefix) || rule.iifname.empty()) continue;
    out.push_back({rule.comment.substr(std::string(kCommentPrefix).size()), rule.iifname});
  }
  return out;
}

void GcSpoofChecks(nl::nft::NftSocket& sock, const std::vector<cni::Attachment>& valid,
                   const std::function<bool(const std::string& host_veth)>& in_network) {
  std::set<std::string> keep;
  for (const auto& a : valid) keep.insert(Comment(SpoofCheckId(a.container_id, a.ifname)));
  sock.CommitFromListing([&](nl::nft::NftSocket& s) {
    Batch batch(NFPROTO_BRIDGE);
    std::set<std::string> stale;
    for (const auto& rule : s.ListRules(NFPROTO_BRIDGE, kTable, kPrerouting)) {
      if (!rule.comment.starts_with(kCommentPrefix) || keep.contains(rule.comment)) continue;
      if (!in_network(rule.iifname)) continue;
      stale.insert(rule.comment.substr(std::string(kCommentPrefix).size()));
    }
    for (const auto& id : stale) AddTeardown(s, id, &batch);
    return batch;
  });
}

}  // namespace cnb::masq
