// Addresses and routes.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "common/ip.h"
#include "netlink/socket.h"

namespace cnb::nl {

struct AddrInfo {
  IpNet local;        // address with prefix
  int ifindex = 0;
  int scope = 0;      // RT_SCOPE_*
  unsigned flags = 0; // IFA_F_*
  bool tentative() const;
  bool dadfailed() const;
};

// RTM_NEWADDR. `nodad` sets IFA_F_NODAD (IPv6). EEXIST throws with IsExists().
void AddAddress(Socket& sock, int ifindex, const IpNet& addr, bool nodad = false);
// AddAddress that returns false instead of throwing when the link already has the address.
bool TryAddAddress(Socket& sock, int ifindex, const IpNet& addr, bool nodad = false);
void DelAddress(Socket& sock, int ifindex, const IpNet& addr);
// family: AF_INET, AF_INET6 or 0 for both.
std::vector<AddrInfo> ListAddresses(Socket& sock, int ifindex, int family = 0);
// Polls until no IPv6 address on the link is tentative; throws on DADFAILED or timeout.
void WaitAddressesSettled(Socket& sock, int ifindex, std::chrono::milliseconds timeout);

struct RouteSpec {
  IpNet dst;                   // prefix 0 = default route
  std::optional<IpAddr> gw;
  int ifindex = 0;
  std::optional<int> priority; // metric
  std::optional<int> table;
  std::optional<int> scope;    // RT_SCOPE_*; default: universe with gw, link without
};
// RTM_NEWROUTE with NLM_F_CREATE|NLM_F_EXCL. EEXIST throws with IsExists().
void AddRoute(Socket& sock, const RouteSpec& route);
void DelRoute(Socket& sock, const RouteSpec& route);

struct RouteInfo {
  IpNet dst;
  std::optional<IpAddr> gw;
  int ifindex = 0;
  int priority = 0;
  int table = 0;
  int scope = 0;
  int type = 0;      // RTN_* (unicast, local, broadcast, ...)
  int protocol = 0;  // RTPROT_*
};
// Routes of the main table (or every table when all_tables) for a family (AF_INET/AF_INET6).
std::vector<RouteInfo> ListRoutes(Socket& sock, int family, bool all_tables = false);

}  // namespace cnb::nl
