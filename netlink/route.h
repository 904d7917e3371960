// SPDX-License-Identifier: Apache-2.0
// Routes: add, delete, list.
#pragma once

#include <optional>
#include <vector>

#include "common/ip.h"
#include "netlink/route_socket.h"

namespace cnb::nl {

struct RouteSpec {
  IpNet dst;  // prefix 0 = default route
  std::optional<IpAddr> gw;
  int ifindex = 0;
  std::optional<int> priority;  // metric
  std::optional<int> table;
  std::optional<int> scope;  // RT_SCOPE_*; default: universe with gw, link without
};
// RTM_NEWROUTE with NLM_F_CREATE|NLM_F_EXCL. EEXIST throws with IsExists().
void AddRoute(RouteSocket& sock, const RouteSpec& route);
void DelRoute(RouteSocket& sock, const RouteSpec& route);

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
std::vector<RouteInfo> ListRoutes(RouteSocket& sock, int family, bool all_tables = false);

}  // namespace cnb::nl
