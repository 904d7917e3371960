// SPDX-License-Identifier: Apache-2.0
// Links: lookup, bridge, veth, flags, ports. All operations throw cnb::Error on failure with the
// errno of the kernel's answer kept (IsNotFound / IsExists).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netlink/mac.h"
#include "netlink/route_socket.h"

namespace cnb::nl {

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::string kind;  // "bridge", "veth", "" for none
  std::string mac;   // "aa:bb:cc:dd:ee:ff" lower case
  int mtu = 0;
  unsigned flags = 0;     // IFF_* flags
  int master = 0;         // ifindex of the master (bridge), 0 if none
  int peer_ifindex = 0;   // IFLA_LINK: for a veth, the peer's ifindex in the peer's namespace
  bool oper_up = false;   // IF_OPER_UP
  std::string operstate;  // "up", "down", "lowerlayerdown", ...
  std::string alias;      // IFLA_IFALIAS, "" if none
  // IFLA_LINK_NETNSID: the namespace of a veth's peer, as the socket's namespace numbers it;
  // -1 when the peer is in the same namespace.
  int peer_netnsid = -1;
  bool up() const;
  bool promisc() const;
};

std::optional<LinkInfo> GetLink(RouteSocket& sock, const std::string& name);
std::optional<LinkInfo> GetLinkByIndex(RouteSocket& sock, int ifindex);
// Every link in the socket's namespace (one dump; for `bridge inspect`, never on ADD or DEL).
std::vector<LinkInfo> ListLinks(RouteSocket& sock);
// The id under which the socket's namespace knows `ns` (what its links carry as peer_netnsid),
// nullopt when it has none. RTM_GETNSID: read-only, assigns no id.
std::optional<int> NetnsId(RouteSocket& sock, const Netns& ns);

struct BridgeSpec {
  std::string name;
  int mtu = 0;                  // 0 = kernel default; only applied at creation
  bool vlan_filtering = false;  // only applied at creation
  std::string mac;              // optional, only applied at creation: a MAC set there is pinned
                                // (addr_assign_type "set"), so it never follows a port's
};
// Creates the bridge if missing (EEXIST is fine), checks the existing link is a bridge
// ("\"<name>\" already exists but is not a bridge"), and brings it up. Returns the fresh state;
// `created` (optional) tells whether this call made it.
LinkInfo EnsureBridge(RouteSocket& sock, const BridgeSpec& spec, bool* created = nullptr);

struct VethSpec {
  std::string host_name;   // created in the socket's namespace
  std::string peer_name;   // created straight in peer_ns
  int peer_ns_fd = -1;     // namespace of the peer end
  int mtu = 0;             // both ends; 0 = default
  std::string host_mac;    // optional, both "" = kernel-chosen
  std::string peer_mac;    // optional
  int master_ifindex = 0;  // optional: enslave the host end in the same request
};
// One RTM_NEWLINK request for both ends. A name clash throws with IsExists().
void CreateVeth(RouteSocket& sock, const VethSpec& spec);
// Whether the link's MAC was set explicitly (addr_assign_type 3, "set"), which netlink does not
// report. Read from /sys/class/net and trusted only when that view shows this very link (same
// ifindex and MAC: sysfs shows the namespace of whoever mounted it); nullopt when it cannot tell.
std::optional<bool> MacIsPinned(const LinkInfo& link);

void DeleteLink(RouteSocket& sock, int ifindex);
void DeleteLinkByName(RouteSocket& sock, const std::string& name);
void SetLinkUp(RouteSocket& sock, int ifindex, bool up = true);
// Up, with IFLA_IFALIAS set in the same request.
void SetLinkUp(RouteSocket& sock, int ifindex, const std::string& alias);
void SetMaster(RouteSocket& sock, int ifindex, int master_ifindex);
void SetMtu(RouteSocket& sock, int ifindex, int mtu);
void SetMac(RouteSocket& sock, int ifindex, const std::string& mac);
void SetPromisc(RouteSocket& sock, int ifindex, bool on);
// Sets one per-interface IPv4 setting (IPV4_DEVCONF_*, e.g. IPV4_DEVCONF_ARP_NOTIFY, the same
// value as net.ipv4.conf.<if>.arp_notify) over netlink, where /proc/sys would cost a path walk.
void SetIpv4DevConf(RouteSocket& sock, int ifindex, int devconf_id, uint32_t value);
// Bridge port flags on a port (not the bridge): hairpin (IFLA_BRPORT_MODE) and isolation
// (IFLA_BRPORT_ISOLATED, a raw attribute libnl 3.7 lacks).
void SetBridgePortFlags(RouteSocket& sock, int port_ifindex, bool hairpin, bool isolated);

// Raw requests behind EnsureBridge and SetBridgePortFlags (libnl 3.7 cannot express
// IFLA_BR_VLAN_FILTERING or IFLA_BRPORT_ISOLATED); exposed so their bytes can be unit-tested.
// RTM_NEWLINK, NLM_F_CREATE|NLM_F_EXCL: IFLA_IFNAME, IFLA_MTU (if set), IFLA_ADDRESS (if set),
// IFLA_LINKINFO{KIND=bridge, DATA{IFLA_BR_VLAN_FILTERING} (if set)}.
std::vector<uint8_t> BuildBridgeCreateMessage(const BridgeSpec& spec);
// RTM_SETLINK, family AF_BRIDGE, to the port: IFLA_PROTINFO(nested){IFLA_BRPORT_MODE, IFLA_BRPORT_ISOLATED}.
std::vector<uint8_t> BuildBridgePortFlagsMessage(int port_ifindex, bool hairpin, bool isolated);

}  // namespace cnb::nl
