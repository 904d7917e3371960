// SPDX-License-Identifier: Apache-2.0
// macspoofchk: frames a pod sends with a source MAC other than its own are dropped on the
// bridge. Laid out exactly as the reference's (pkg/link/spoofcheck.go), so that either plugin
// removes the other's rules during an upgrade or a rollback:
//
//   table bridge nat
//     chain PREROUTING (type filter hook prerouting priority -300; policy accept)
//       iifname "<host veth>" jump cni-br-iface-<id>        comment "macspoofchk-<id>"
//     chain cni-br-iface-<id>
//       jump cni-br-iface-<id>-mac                          comment "macspoofchk-<id>"
//     chain cni-br-iface-<id>-mac
//       ether saddr <pod MAC> return                        comment "macspoofchk-<id>"
//       drop                                                comment "macspoofchk-<id>"
//
// where <id> is "<containerID>-<ifname>". Sent as nf_tables batches over the command's netlink
// socket (no `nft` exec), creating only what is missing.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cni/attachments.h"
#include "netlink/nft/batch.h"
#include "netlink/nft/socket.h"

namespace cnb::masq {

// "<containerID>-<ifname>", the reference's uniqueID.
std::string SpoofCheckId(const std::string& container_id, const std::string& ifname);

// The setup transaction; the table and PREROUTING only when `add_base` (they are missing).
nl::nft::Batch SpoofCheckSetupBatch(const std::string& host_veth, const std::string& mac, const std::string& id,
                                    bool add_base);

// Installs the check for the attachment. Leftovers of an earlier ADD of the same attachment are
// replaced.
void SetupSpoofCheck(nl::nft::NftSocket& sock, const std::string& host_veth, const std::string& mac,
                     const std::string& container_id, const std::string& ifname);
// Removes the attachment's rules and chains (found by their comment, as the reference does, so
// no netns is needed); succeeds when there is nothing.
void TeardownSpoofCheck(nl::nft::NftSocket& sock, const std::string& container_id, const std::string& ifname);
struct SpoofCheckJump {
  std::string id;         // "<containerID>-<ifname>"
  std::string host_veth;  // its iifname
};
// Read-only: the PREROUTING jump of every spoof check on the node (for `bridge inspect`).
std::vector<SpoofCheckJump> ListSpoofChecks(nl::nft::NftSocket& sock);
// Removes the checks of attachments not in `valid` whose host veth `in_network` says belongs to
// this network (the bridge nat table is shared by every network on the node).
void GcSpoofChecks(nl::nft::NftSocket& sock, const std::vector<cni::Attachment>& valid,
                   const std::function<bool(const std::string& host_veth)>& in_network);

}  // namespace cnb::masq
