#include "netlink/addr.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include <cerrno>
#include <thread>

#include "common/error.h"
#include "netlink/internal.h"
#include "netlink/link.h"

namespace cnb::nl {
namespace {

using internal::AddrPtr;
using internal::CachePtr;
using internal::Check;
using internal::RoutePtr;

AddrPtr NewAddr(int ifindex, const IpNet& net) {
  AddrPtr addr(rtnl_addr_alloc());
  if (!addr) throw InternalError("out of memory allocating an address", ENOMEM);
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), net.is_v4() ? AF_INET : AF_INET6);
  auto local = internal::ToNlAddr(net.addr(), net.prefix());
  Check(rtnl_addr_set_local(addr.get(), local.get()), "invalid address " + net.ToString());
  rtnl_addr_set_prefixlen(addr.get(), net.prefix());
  return addr;
}

std::string OnLink(int ifindex) { return " on link index " + std::to_string(ifindex); }

}  // namespace

bool AddrInfo::tentative() const { return flags & IFA_F_TENTATIVE; }
bool AddrInfo::dadfailed() const { return flags & IFA_F_DADFAILED; }

bool TryAddAddress(Socket& sock, int ifindex, const IpNet& addr, bool nodad) {
  AddrPtr a = NewAddr(ifindex, addr);
  if (nodad && !addr.is_v4()) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
  // The kernel leaves the IPv4 broadcast unset unless asked; the Go netlink library (and so the
  // reference plugin) always sends one for prefixes shorter than /31.
  if (addr.is_v4() && addr.prefix() < 31) {
    auto brd = internal::ToNlAddr(addr.LastAddr(), addr.prefix());
    rtnl_addr_set_broadcast(a.get(), brd.get());
  }
  return internal::CheckTolerating(rtnl_addr_add(sock.raw(), a.get(), NLM_F_EXCL),
                                   "failed to add address " + addr.ToString() + OnLink(ifindex), EEXIST) == 0;
}

void AddAddress(Socket& sock, int ifindex, const IpNet& addr, bool nodad) {
  if (!TryAddAddress(sock, ifindex, addr, nodad)) {
    throw Error(ErrorCode::kInternal,
                "failed to add address " + addr.ToString() + OnLink(ifindex) + ": " + internal::ErrnoText(EEXIST),
                {}, EEXIST);
  }
}

void DelAddress(Socket& sock, int ifindex, const IpNet& addr) {
  AddrPtr a = NewAddr(ifindex, addr);
  Check(rtnl_addr_delete(sock.raw(), a.get(), 0), "failed to delete address " + addr.ToString() + OnLink(ifindex));
}

std::vector<AddrInfo> ListAddresses(Socket& sock, int ifindex, int family) {
  // A one-off dump into a private cache; fine for listing, not used for single lookups.
  nl_cache* raw = nullptr;
  Check(rtnl_addr_alloc_cache(sock.raw(), &raw), "failed to list addresses" + OnLink(ifindex));
  CachePtr cache(raw);
  std::vector<AddrInfo> out;
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* a = reinterpret_cast<rtnl_addr*>(obj);
    int fam = rtnl_addr_get_family(a);
    if (fam != AF_INET && fam != AF_INET6) continue;
    if (family != 0 && fam != family) continue;
    if (ifindex != 0 && rtnl_addr_get_ifindex(a) != ifindex) continue;
    AddrInfo info;
    int prefix = rtnl_addr_get_prefixlen(a);
    info.local = IpNet(internal::FromNlAddr(rtnl_addr_get_local(a), fam), prefix);
    info.ifindex = rtnl_addr_get_ifindex(a);
    info.scope = rtnl_addr_get_scope(a);
    info.flags = rtnl_addr_get_flags(a);
    out.push_back(info);
  }
  return out;
}

void WaitAddressesSettled(Socket& sock, int ifindex, std::chrono::milliseconds timeout) {
  constexpr auto kPollInterval = std::chrono::milliseconds(50);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool tentative = false;
    for (const auto& a : ListAddresses(sock, ifindex, AF_INET6)) {
      if (a.dadfailed()) {
        throw InternalError("duplicate address detection failed for " + a.local.ToString() + OnLink(ifindex),
                            EADDRNOTAVAIL);
      }
      tentative |= a.tentative();
    }
    if (!tentative) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      // DAD does not run while the link has no carrier; the addresses settle once it comes up,
      // so only a link that is up and still tentative is an error.
      auto link = GetLinkByIndex(sock, ifindex);
      if (link && !link->oper_up) return;
      std::string name = link ? link->name : std::to_string(ifindex);
      throw InternalError("link " + name + " still has tentative addresses after " +
                              std::to_string(timeout.count()) + "ms",
                          ETIMEDOUT);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

namespace {

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

void AddRoute(Socket& sock, const RouteSpec& spec) {
  RoutePtr route = NewRoute(spec, false);
  Check(rtnl_route_add(sock.raw(), route.get(), NLM_F_EXCL), "failed to add " + Describe(spec));
}

void DelRoute(Socket& sock, const RouteSpec& spec) {
  RoutePtr route = NewRoute(spec, true);
  Check(rtnl_route_delete(sock.raw(), route.get(), 0), "failed to delete " + Describe(spec));
}

std::vector<RouteInfo> ListRoutes(Socket& sock, int family, bool all_tables) {
  nl_cache* raw = nullptr;
  Check(rtnl_route_alloc_cache(sock.raw(), family, 0, &raw), "failed to list routes");
  CachePtr cache(raw);
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
