// SPDX-License-Identifier: Apache-2.0
#include "netlink/addr.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>

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

bool TryAddAddress(RouteSocket& sock, int ifindex, const IpNet& addr, bool nodad) {
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

void AddAddress(RouteSocket& sock, int ifindex, const IpNet& addr, bool nodad) {
  if (!TryAddAddress(sock, ifindex, addr, nodad)) {
    throw ErrnoError("failed to add address " + addr.ToString() + OnLink(ifindex), EEXIST);
  }
}

void DelAddress(RouteSocket& sock, int ifindex, const IpNet& addr) {
  AddrPtr a = NewAddr(ifindex, addr);
  Check(rtnl_addr_delete(sock.raw(), a.get(), 0), "failed to delete address " + addr.ToString() + OnLink(ifindex));
}

std::vector<AddrInfo> ListAddresses(RouteSocket& sock, int ifindex, int family) {
  // A one-off dump into a private cache; fine for listing, not used for single lookups.
  CachePtr cache = internal::DumpCache(
      sock, [&](nl_cache** c) { return rtnl_addr_alloc_cache(sock.raw(), c); },
      "failed to list addresses" + OnLink(ifindex));
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

void WaitAddressesSettled(RouteSocket& sock, int ifindex, std::chrono::milliseconds timeout) {
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
      throw InternalError(
          "link " + name + " still has tentative addresses after " + std::to_string(timeout.count()) + "ms", ETIMEDOUT);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace cnb::nl
