// SPDX-License-Identifier: Apache-2.0
// The iptables backend's rules on an iptables-nft host, as the very nf_tables batch that
// iptables-nft 1.8 sends for them, so that iptables -S, iptables-restore and the reference
// plugin see and remove them as their own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ip.h"
#include "netlink/nft/batch.h"
#include "netlink/nft/socket.h"

namespace cnb::masq {

// Whether `tool` (a path) is, through its symlinks, the nf_tables flavour of iptables.
bool ResolvesToIptablesNft(const std::string& tool);
// Whether iptables' comment match can hold `comment` (it refuses longer ones).
bool XtNftCommentFits(const std::string& comment);
// The expressions iptables-nft writes for `[!] -s|-d <net>`.
std::vector<nl::nft::Expr> XtNftAddressMatch(bool source, const IpNet& net, bool negate);
// IptablesSetupScript's transaction as iptables-restore on iptables-nft sends it: the nat table
// and its POSTROUTING base chain when `add_postrouting` (they are missing), the chain
// (exclusively: a leftover one fails it with EEXIST), its rules, the POSTROUTING jumps.
nl::nft::Batch XtNftSetupBatch(const std::string& chain, const std::string& comment, const std::vector<IpNet>& ips,
                               bool add_postrouting);
void XtNftSetup(nl::nft::NftSocket& sock, const std::string& chain, const std::string& comment,
                const std::vector<IpNet>& ips);
// The chain exists already: another interface of the same container in this network (its
// rules are the network's, so they serve this one too), or the leftover of an ADD of this one.
// Adds the POSTROUTING jumps of `ips` that are missing, and rewrites the chain's rules when
// nothing jumped to it.
void XtNftAddJumps(nl::nft::NftSocket& sock, const std::string& chain, const std::string& comment,
                   const std::vector<IpNet>& ips);
// Deletes POSTROUTING jumps to `chain`, then the chain once nothing jumps to it; succeeds when
// none of it exists. Which jumps: with `siblings` known, every one not from them; else those
// from `ips` (every one when `ips` is empty). See MasqTarget::siblings.
void XtNftTeardown(nl::nft::NftSocket& sock, bool v6, const std::string& chain, const std::vector<IpNet>& ips,
                   const std::optional<std::vector<IpNet>>& siblings);

}  // namespace cnb::masq
