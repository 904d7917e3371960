// SPDX-License-Identifier: Apache-2.0
// Addresses: add, delete, list, and wait for IPv6 DAD to settle.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "common/ip.h"
#include "netlink/route_socket.h"

namespace cnb::nl {

struct AddrInfo {
  IpNet local;  // address with prefix
  int ifindex = 0;
  int scope = 0;       // RT_SCOPE_*
  unsigned flags = 0;  // IFA_F_*
  bool tentative() const;
  bool dadfailed() const;
};

// RTM_NEWADDR. `nodad` sets IFA_F_NODAD (IPv6). EEXIST throws with IsExists().
void AddAddress(RouteSocket& sock, int ifindex, const IpNet& addr, bool nodad = false);
// AddAddress that returns false instead of throwing when the link already has the address.
bool TryAddAddress(RouteSocket& sock, int ifindex, const IpNet& addr, bool nodad = false);
void DelAddress(RouteSocket& sock, int ifindex, const IpNet& addr);
// family: AF_INET, AF_INET6 or 0 for both.
std::vector<AddrInfo> ListAddresses(RouteSocket& sock, int ifindex, int family = 0);
// Polls until no IPv6 address on the link is tentative; throws on DADFAILED or timeout.
void WaitAddressesSettled(RouteSocket& sock, int ifindex, std::chrono::milliseconds timeout);

}  // namespace cnb::nl
