// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/host_side.h"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "common/rollback.h"
#include "netlink/addr.h"
#include "netlink/mac.h"
#include "netlink/netconf.h"
#include "netlink/vlan.h"
#include "plugin/bridge/sysctls.h"

namespace cnb::bridge {
namespace {

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

void ApplyPortVlans(nl::RouteSocket& sock, const nl::LinkInfo& port, const std::vector<PortVlanChange>& changes) {
  try {
    for (const auto& c : changes) {
      if (c.add) {
        nl::AddPortVlan(sock, port.ifindex, c.vlan);
      } else {
        nl::DelPortVlan(sock, port.ifindex, c.vlan.vid);
      }
    }
  } catch (const Error& e) {
    throw e.Wrap("failed to setup vlan tag on interface " + Quote(port.name));
  }
}

// The steady state after the first pod: the address is there and EEXIST says so at once, where
// listing means dumping every address in the node (each host veth has one), which grows with
// the pods. Only a newly added address is checked against the bridge's others (the reference's
// conflict rules).
bool AddGatewayAddr(const HostSide& host, const nl::LinkInfo& br, const IpNet& gw) {
  try {
    return nl::TryAddAddress(host.sock, br.ifindex, gw);
  } catch (const Error& e) {
    throw e.Wrap("could not add IP address to " + Quote(br.name));
  }
}

void EnsureGatewayAddr(const HostSide& host, const nl::LinkInfo& br, const IpNet& gw) {
  if (!AddGatewayAddr(host, br, gw)) return;
  bool replaced = false;
  for (const auto& a : nl::ListAddresses(host.sock, br.ifindex, gw.is_v4() ? AF_INET : AF_INET6)) {
    if (a.local == gw) continue;
    if (!gw.is_v4() && !a.local.Contains(gw.addr()) && !gw.Contains(a.local.addr())) continue;
    if (!host.conf.force_address) {
      try {
        nl::DelAddress(host.sock, br.ifindex, gw);
      } catch (const Error& e) {
        log::Warn("could not take back " + gw.ToString() + " from " + br.name + ": " + e.msg());
      }
      throw InternalError(Quote(br.name) + " already has an IP address different from " + gw.ToString());
    }
    nl::DelAddress(host.sock, br.ifindex, a.local);
    replaced = true;
  }
  // Ours may have been a secondary of the deleted primary, which the kernel drops with it.
  if (replaced) AddGatewayAddr(host, br, gw);
}

// Read over netlink: usually on already, and then no /proc/sys walk at all.
void EnsureForwarding(nl::RouteSocket& sock, const Gateways& gateways) {
  if (!gateways.v4.empty() && !nl::ForwardingEnabled(sock, AF_INET)) nl::EnsureSysctl("net/ipv4/ip_forward", "1");
  if (!gateways.v6.empty() && !nl::ForwardingEnabled(sock, AF_INET6)) {
    nl::EnsureSysctl("net/ipv6/conf/all/forwarding", "1");
  }
}

}  // namespace

nl::LinkInfo SetupBridge(const HostSide& host) {
  const NetConf& conf = host.conf;
  nl::LinkInfo br;
  bool created = false;
  try {
    // Created with a MAC of its own, the bridge is pinned from birth: otherwise the kernel makes
    // it follow the lowest port MAC as pods come and go (the reference pins it only in gateway
    // mode).
    br = nl::EnsureBridge(host.sock, {conf.bridge, conf.mtu, conf.vlan_enabled(), nl::RandomMac()}, &created);
  } catch (const Error& e) {
    const Error wrapped = e.Wrap("failed to create bridge " + Quote(conf.bridge));
    if (!conf.vlan_enabled() || e.sys_errno() != EOPNOTSUPP) throw wrapped;
    // The kernel's answer alone does not say which part it cannot do.
    throw Error(wrapped.code(),
                wrapped.msg() +
                    " (vlan and vlanTrunk need bridge VLAN filtering, which this kernel lacks: "
                    "CONFIG_BRIDGE_VLAN_FILTERING)",
                wrapped.details(), wrapped.sys_errno());
  }
  if (conf.promisc_mode && !br.promisc()) {
    try {
      nl::SetPromisc(host.sock, br.ifindex, true);
    } catch (const Error& e) {
      throw e.Wrap("could not set promiscuous mode on " + Quote(conf.bridge));
    }
  }
  // A bridge that existed already is pinned to the MAC it has now, unless it is pinned already:
  // any MAC change, even to the same MAC, flushes the node's neighbour entries on the bridge.
  if (!created && !nl::MacIsPinned(br).value_or(false)) nl::SetMac(host.sock, br.ifindex, br.mac);
  TrySysctlIn(host.node_ipv6_conf, conf.bridge + "/accept_ra", "0");
  return br;
}

nl::LinkInfo CreateVethPair(const HostSide& host, nl::RouteSocket& pod, const nl::Netns& pod_ns,
                            const cni::Invocation& inv, int bridge_ifindex, Rollback& rollback) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    nl::VethSpec spec;
    spec.host_name = nl::RandomVethName();
    spec.peer_name = inv.ifname;
    spec.peer_ns_fd = pod_ns.fd();
    spec.mtu = host.conf.mtu;
    // An explicit MAC keeps udev's MACAddressPolicy from rewriting it after we report it.
    spec.host_mac = nl::RandomMac();
    spec.peer_mac = host.conf.container_mac;
    spec.master_ifindex = bridge_ifindex;
    try {
      nl::CreateVeth(host.sock, spec);
    } catch (const Error& e) {
      if (e.sys_errno() == EXFULL) {
        throw e.Wrap("failed to make veth pair: bridge " + Quote(host.conf.bridge) +
                     " has no free port (a Linux bridge takes at most 1023)");
      }
      if (!e.IsExists()) throw e.Wrap("failed to make veth pair");
      if (nl::GetLink(pod, inv.ifname)) {
        throw InternalError("container veth name (" + Quote(inv.ifname) + ") peer provided (" + Quote(spec.host_name) +
                            ") already exists");
      }
      continue;  // host-side name taken: draw another
    }
    // Removing one end removes the pair, wherever the other end is.
    rollback.Add("delete veth " + spec.host_name,
                 [&sock = host.sock, name = spec.host_name] { nl::DeleteLinkByName(sock, name); });
    auto link = nl::GetLink(host.sock, spec.host_name);
    if (!link) throw InternalError("failed to lookup " + Quote(spec.host_name) + " after creating it");
    return *link;
  }
  throw InternalError("failed to make veth pair: could not find a free host interface name");
}

std::vector<PortVlanChange> PortVlanChanges(int vlan, const std::vector<VlanTrunkRange>& trunk,
                                            bool preserve_default_vlan) {
  std::vector<PortVlanChange> changes;
  if (!preserve_default_vlan) changes.push_back({false, {1, false, false}});
  // No VLAN of its own: the native VLAN of a trunk port is 1 (the reference since v1.8).
  changes.push_back({true, {static_cast<uint16_t>(vlan != 0 ? vlan : 1), true, true}});
  for (const auto& r : trunk) {
    for (int vid = r.min_id; vid <= r.max_id; ++vid)
      changes.push_back({true, {static_cast<uint16_t>(vid), false, false}});
  }
  return changes;
}

void SetupHostPort(const HostSide& host, const nl::LinkInfo& port, int bridge_ifindex, const std::string& alias) {
  const NetConf& conf = host.conf;
  if (port.master != bridge_ifindex) {
    try {
      nl::SetMaster(host.sock, port.ifindex, bridge_ifindex);
    } catch (const Error& e) {
      throw e.Wrap("failed to connect " + Quote(port.name) + " to bridge " + conf.bridge);
    }
  }
  if (conf.hairpin_mode || conf.port_isolation) {
    try {
      nl::SetBridgePortFlags(host.sock, port.ifindex, conf.hairpin_mode, conf.port_isolation);
    } catch (const Error& e) {
      throw e.Wrap("failed to setup hairpin mode for " + port.name);
    }
  }
  if (conf.vlan_enabled()) {
    ApplyPortVlans(host.sock, port, PortVlanChanges(conf.vlan, conf.vlan_trunk, conf.preserve_default_vlan));
  }
  // A bridge port forwards frames and has no use for an IPv6 stack of its own (the reference
  // leaves it on; LXD turns it off too). Off before the link comes up, the port never gets a
  // link-local address, routes in the node's tables, DAD or MLD work: that work is done under
  // the kernel's RTNL lock and grows with the number of ports, so every later ADD waited for it.
  TrySysctlIn(host.node_ipv6_conf, port.name + "/disable_ipv6", "1");
  TrySysctlIn(host.node_ipv6_conf, port.name + "/accept_ra", "0");
  nl::SetLinkUp(host.sock, port.ifindex, alias);
}

nl::LinkInfo EnsureVlanGateway(const HostSide& host, const nl::LinkInfo& bridge) {
  const std::string name = VlanGatewayName(host.conf);
  if (auto existing = nl::GetLink(host.sock, name)) return *existing;
  nl::VethSpec spec;
  spec.host_name = nl::RandomVethName();  // the bridge port
  spec.peer_name = name;                  // the gateway, in the node too
  spec.mtu = bridge.mtu;
  spec.host_mac = nl::RandomMac();
  spec.master_ifindex = bridge.ifindex;
  try {
    nl::CreateVeth(host.sock, spec);
  } catch (const Error& e) {
    // A concurrent first ADD made it: use theirs.
    if (e.IsExists()) {
      if (auto theirs = nl::GetLink(host.sock, name)) return *theirs;
    }
    throw e.Wrap("failed to create vlan interface");
  }
  // Until it is configured: a half-made gateway would be found and used as it is by every
  // later ADD. Deleting the port deletes its peer, the gateway.
  Rollback undo;
  undo.Add("delete the vlan interface " + Quote(name),
           [&host, port_name = spec.host_name] { nl::DeleteLinkByName(host.sock, port_name); });
  auto port = nl::GetLink(host.sock, spec.host_name);
  auto gateway = nl::GetLink(host.sock, name);
  if (!port || !gateway)
    throw InternalError("failed to lookup the vlan interface " + Quote(name) + " after creating it");
  ApplyPortVlans(host.sock, *port, PortVlanChanges(host.conf.vlan, {}, host.conf.preserve_default_vlan));
  TrySysctlIn(host.node_ipv6_conf, port->name + "/disable_ipv6", "1");
  TrySysctlIn(host.node_ipv6_conf, name + "/accept_ra", "0");
  nl::SetLinkUp(host.sock, port->ifindex);
  nl::SetLinkUp(host.sock, gateway->ifindex);
  auto up = nl::GetLinkByIndex(host.sock, gateway->ifindex);
  if (!up) throw InternalError("the vlan interface " + Quote(name) + " vanished while it was set up");
  undo.Commit();
  return *up;
}

void SetupGateways(const HostSide& host, const nl::LinkInfo& link, const Gateways& gateways) {
  const bool vlan = link.kind != "bridge";
  for (const auto* list : {&gateways.v4, &gateways.v6}) {
    for (const auto& gw : *list) {
      try {
        EnsureGatewayAddr(host, link, gw);
      } catch (const Error& e) {
        throw e.Wrap(vlan ? "failed to set vlan interface for bridge with addr" : "failed to set bridge addr");
      }
    }
  }
  try {
    EnsureForwarding(host.sock, gateways);
  } catch (const Error& e) {
    throw e.Wrap("failed to enable forwarding");
  }
}

void WaitOperUp(nl::RouteSocket& host, int ifindex) {
  // A veth normally gets there within a millisecond, but the kernel may defer it under load.
  static constexpr int kDelaysMs[] = {0, 1, 5, 20, 50, 100, 250, 500, 1000, 1000};
  std::string state = "unknown";
  for (int delay : kDelaysMs) {
    if (delay) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    auto link = nl::GetLinkByIndex(host, ifindex);
    if (!link) break;
    if (link->oper_up) return;
    state = link->operstate;
  }
  throw InternalError("bridge port in error state: " + state);
}

}  // namespace cnb::bridge
