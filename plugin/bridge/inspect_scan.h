// SPDX-License-Identifier: Apache-2.0
// What `bridge inspect` reads: for each bridge network, its attachments as three sources tell
// them (the IPAM store, the bridge's ports and the NAT rules), and the pod side of a netns.
// Read-only throughout: no lock, no write, no kernel change. Attachments made by the Go plugins
// (no alias on their veth) are found by the peer ifindex of the veths in /run/netns and by
// their addresses in the reservations.
#pragma once

#include <string>
#include <vector>

#include "cni/netconf_files.h"

namespace cnb::bridge {

// The `state` values, worst first.
inline constexpr const char* kStateReservationWithoutVeth = "reservation-without-veth";
inline constexpr const char* kStateVethWithoutReservation = "veth-without-reservation";
inline constexpr const char* kStateMasqMissing = "masq-missing";
inline constexpr const char* kStateMasqOrphan = "masq-orphan";
inline constexpr const char* kStateOk = "ok";

struct InspectedAttachment {
  std::string network;
  std::string container_id;  // "" when nothing names it
  std::string ifname;
  std::string pod_namespace;  // "" when unknown
  std::string pod_name;
  std::string host_veth;  // "" when there is none
  std::string bridge;
  std::vector<std::string> ips;  // the reservations' (else the pod interface's) addresses
  std::string mac;               // the pod interface's, "" when its netns was not found
  std::string netns;             // the pod's netns path, "" when not found
  std::string masquerade;        // "on", "off", "missing" (ipMasq without rules), "unknown"
  std::string macspoofchk;       // "on", "off", "missing" (macspoofchk without rules)
  std::string state;
};

// Every attachment of the bridge networks among `networks`, in the calling thread's netns (the
// node). A network that cannot be read adds "<network>: <why>" to `errors` and is skipped.
std::vector<InspectedAttachment> InspectNetworks(const std::vector<cni::NetworkConfigFile>& networks,
                                                 std::vector<std::string>* errors);

struct PodInterface {
  std::string ifname;
  int ifindex = 0;
  std::string mac;
  std::vector<std::string> ips;
  int peer_ifindex = 0;      // the host veth's ifindex in the node
  std::string host_veth;     // "" when the peer is not in the node's netns
  std::string bridge;        // the host veth's bridge, "" when none
  std::string container_id;  // from the host veth's alias, when it has ours
  std::string pod_namespace;
  std::string pod_name;
};

// The veths of the netns at `netns` (a path, or a PID's /proc/<pid>/ns/net) and their host
// ends in the calling thread's netns. Throws Error when the netns cannot be opened.
std::vector<PodInterface> InspectPod(const std::string& netns);

}  // namespace cnb::bridge
