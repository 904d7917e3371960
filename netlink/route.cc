// SPDX-License-Identifier: Apache-2.0
#include "netlink/route.h"

#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include <cerrno>

#include "common/error.h"
#include "netlink/internal.h"

namespace cnb::nl {
namespace {

using internal::CachePtr;
using internal::Check;
using internal::RoutePtr;

RoutePtr NewRoute(const RouteSpec& spec, bool for_delete) {
  RoutePtr route(rtnl_route_alloc());
  if (!route) throw InternalError("out of memory allocating a route", ENOMEM);
  int family = spec.dst.is_v4() ? AF_INET : AF_INET6;
  if (spec.gw && spec.gw->family() != spec.dst.family()) {
    throw InternalError("route " + spec.dst.ToString() + " has a gateway of another family", EINVAL);
  }
  rtnl_route_set_family(route.get(), static_cast<uint8_t>(family));
  auto dst = internal::ToNlAddr(spec.dst.NetworkAddr(), spec.dst.prefix());
  Check(rtnl_route_set_dst(route.get(), dst.get()), "invalid route destination " + spec.dst.ToString());
  rtnl_route_set_table(route.get(), static_cast<uint32_t>(spec.table.value_or(RT_TABLE_MAIN)));
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  if (spec.priority) rtnl_route_set_priority(route.get(), static_cast<uint32_t>(*spec.priority));
  if (for_delete) {
    // Protocol 0 and scope "nowhere" are wildcards for the kernel's delete lookup.
    rtnl_route_set_protocol(route.get(), RTPROT_UNSPEC);
    if (spec.scope) rtnl_route_set_scope(route.get(), static_cast<uint8_t>(*spec.scope));
  } else {
    // RTPROT_BOOT, as the Go netlink library sends, so `ip route` shows the same as the reference.
    rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
    int scope = spec.scope ? *spec.scope : (spec.gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    rtnl_route_set_scope(route.get(), static_cast<uint8_t>(scope));
  }
  if (spec.ifindex > 0 || spec.gw) {
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!nh) throw InternalError("out of memory allocating a nexthop", ENOMEM);
    if (spec.ifindex > 0) rtnl_route_nh_set_ifindex(nh, spec.ifindex);
    if (spec.gw) {
      auto gw = internal::ToNlAddr(*spec.gw, spec.gw->bits());
      rtnl_route_nh_set_gateway(nh, gw.get());  // takes its own reference
    }
    rtnl_route_add_nexthop(route.get(), nh);  // the route owns the nexthop from here
  }
  return route;
}

std::string Describe(const RouteSpec& spec) {
  std::string s = "route " + spec.dst.ToString();
  if (spec.gw) s += " via " + spec.gw->ToString();
  if (spec.ifindex > 0) s += " dev index " + std::to_string(spec.ifindex);
  return s;
}

}  // namespace

void AddRoute(RouteSocket& sock, const RouteSpec& spec) {
  RoutePtr route = NewRoute(spec, false);
  Check(rtnl_route_add(sock.raw(), route.get(), NLM_F_EXCL), "failed to add " + Describe(spec));
}

void DelRoute(RouteSocket& sock, const RouteSpec& spec) {
  RoutePtr route = NewRoute(spec, true);
  Check(rtnl_route_delete(sock.raw(), route.get(), 0), "failed to delete " + Describe(spec));
}

std::vector<RouteInfo> ListRoutes(RouteSocket& sock, int family, bool all_tables) {
  CachePtr cache = internal::DumpCache(
      sock, [&](nl_cache** c) { return rtnl_route_alloc_cache(sock.raw(), family, 0, c); }, "failed to list routes");
  std::vector<RouteInfo> out;
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* r = reinterpret_cast<rtnl_route*>(obj);
    int fam = rtnl_route_get_family(r);
    if (fam != family) continue;
    RouteInfo info;
    info.table = static_cast<int>(rtnl_route_get_table(r));
    if (!all_tables && info.table != RT_TABLE_MAIN) continue;
    nl_addr* dst = rtnl_route_get_dst(r);
    info.dst = IpNet(internal::FromNlAddr(dst, fam), dst ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0);
    info.priority = static_cast<int>(rtnl_route_get_priority(r));
    info.scope = rtnl_route_get_scope(r);
    info.type = rtnl_route_get_type(r);
    info.protocol = rtnl_route_get_protocol(r);
    if (rtnl_route_get_nnexthops(r) > 0) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
      info.ifindex = rtnl_route_nh_get_ifindex(nh);
      if (nl_addr* gw = rtnl_route_nh_get_gateway(nh)) info.gw = internal::FromNlAddr(gw, fam);
    }
    out.push_back(info);
  }
  return out;
}

}  // namespace cnb::nl
