// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/pod_side.h"

#include <linux/ip.h>

#include <chrono>
#include <optional>

#include "common/error.h"
#include "common/log.h"
#include "common/strings.h"
#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "plugin/bridge/sysctls.h"

namespace cnb::bridge {
namespace {

bool HasIpv6(const cni::Result& result) {
  for (const auto& ip : result.ips) {
    if (!ip.address.is_v4()) return true;
  }
  return false;
}

// /proc/sys/net follows the thread's namespace, so these are written from inside the pod, all
// below one directory walk (lo included).
void SetupIpv6Sysctls(const PodSide& pod, bool has_v6) {
  nl::NetnsGuard inside(pod.ns);
  auto pod_ipv6 = TryOpenSysctlDir("net/ipv6/conf");
  const std::string eth = pod.ifname + "/";
  if (!has_v6 && !pod.conf.keep_container_ipv6) {
    // An IPv4-only network: IPv6 on this interface only (never lo, so ::1 and [::] listeners
    // keep working), off before the link comes up. Left on, the interface gets a link-local
    // address and joins multicast groups: it is open to NDP and RA tricks and link-local
    // traffic that bypasses IPv4 policy (Docker's CVE-2024-32473), and its MLD reports are
    // flooded by the bridge to every other pod. The reference leaves it on.
    TrySysctlIn(pod_ipv6, eth + "disable_ipv6", "1");
    return;
  }
  if (pod.conf.enable_dad) {
    TrySysctlIn(pod_ipv6, eth + "enhanced_dad", "1");
    TrySysctlIn(pod_ipv6, eth + "accept_dad", "1");
  } else {
    TrySysctlIn(pod_ipv6, eth + "accept_dad", "0");
  }
  // The pod's addresses and routes are IPAM's alone: a router advertisement (a rogue pod's, or
  // a router on the bridge) must not add a SLAAC address or a default route behind our back
  // (CVE-2020-10749 class; plugins#909). The reference leaves it on. Also ends the router
  // solicitations every pod would otherwise flood to all bridge ports.
  TrySysctlIn(pod_ipv6, eth + "accept_ra", "0");
  if (has_v6) {
    TrySysctlIn(pod_ipv6, "lo/disable_ipv6", "0");
    TrySysctlIn(pod_ipv6, eth + "disable_ipv6", "0");
    TrySysctlIn(pod_ipv6, eth + "keep_addr_on_down", "1");
  }
}

void AddAddresses(const PodSide& pod, const cni::Result& result) {
  // Gratuitous ARP when the link comes up, as the reference; over netlink, since this is the one
  // IPv4 setting and a /proc/sys/net/ipv4 walk costs more than the request.
  try {
    nl::SetIpv4DevConf(pod.sock, pod.ifindex, IPV4_DEVCONF_ARP_NOTIFY, 1);
  } catch (const Error& e) {
    log::Debug("arp_notify on " + pod.ifname + ": " + e.msg());
  }
  for (const auto& ip : result.ips) {
    try {
      // accept_dad=0 (written above) already skips DAD; no IFA_F_NODAD, like the reference.
      nl::AddAddress(pod.sock, pod.ifindex, ip.address);
    } catch (const Error& e) {
      throw e.Wrap("failed to add IP addr " + ip.address.ToString() + " to \"" + pod.ifname + "\"");
    }
  }
}

void BringUp(const PodSide& pod, bool has_v6) {
  nl::SetLinkUp(pod.sock, pod.ifindex);
  if (!has_v6 || !pod.conf.enable_dad) return;
  try {
    nl::WaitAddressesSettled(pod.sock, pod.ifindex, std::chrono::seconds(5));
  } catch (const Error& e) {
    throw e.Wrap("failed to settle addresses for \"" + pod.ifname + "\"");
  }
}

// A route without its own gateway goes via the first gateway of its family, as the reference.
std::optional<IpAddr> FirstGateway(const cni::Result& result, bool v4) {
  for (const auto& ip : result.ips) {
    if (ip.address.is_v4() == v4 && ip.gateway) return ip.gateway;
  }
  return std::nullopt;
}

void AddRoutes(const PodSide& pod, const cni::Result& result) {
  const std::optional<IpAddr> gw4 = FirstGateway(result, true);
  const std::optional<IpAddr> gw6 = FirstGateway(result, false);
  for (const auto& r : result.routes) {
    nl::RouteSpec spec;
    spec.dst = r.dst.Network();
    spec.gw = r.gw ? r.gw : (r.dst.is_v4() ? gw4 : gw6);
    spec.ifindex = pod.ifindex;
    spec.priority = r.priority;
    spec.table = r.table;
    spec.scope = r.scope;
    try {
      nl::AddRoute(pod.sock, spec);
    } catch (const Error& e) {
      // The kernel's reason alone after the route, as the reference words it.
      const std::string reason = e.sys_errno() ? ErrnoText(e.sys_errno()) : e.msg();
      throw Error(e.code(),
                  "failed to add route '" + spec.dst.ToString() + " via " +
                      (spec.gw ? spec.gw->ToString() : std::string("<nil>")) + " dev " + pod.ifname + "': " + reason,
                  e.details(), e.sys_errno());
    }
  }
}

}  // namespace

void ConfigurePod(const PodSide& pod, const cni::Result& result) {
  const bool has_v6 = HasIpv6(result);
  SetupIpv6Sysctls(pod, has_v6);
  AddAddresses(pod, result);
  BringUp(pod, has_v6);
  AddRoutes(pod, result);
}

}  // namespace cnb::bridge
