// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/check.h"

#include <sys/socket.h>

#include <algorithm>

#include "common/error.h"
#include "masq/masq.h"
#include "masq/spoofcheck.h"
#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "plugin/bridge/result.h"

namespace cnb::bridge {
namespace {

std::string Bool(bool b) { return b ? "true" : "false"; }

// The entries of prevResult this check is about.
struct Reported {
  const cni::Result& result;
  const cni::Interface* bridge = nullptr;
  const cni::Interface* container = nullptr;
};

Reported FindReported(const cni::Result& prev, const NetConf& conf, const cni::Invocation& inv) {
  Reported r{prev};
  for (const auto& i : prev.interfaces) {
    if (i.name == conf.bridge) {
      r.bridge = &i;
    } else if (i.name == inv.ifname && i.sandbox == inv.netns) {
      r.container = &i;
    }
  }
  return r;
}

nl::LinkInfo CheckBridge(const Reported& rep, const NetConf& conf, nl::RouteSocket& host) {
  auto br = nl::GetLink(host, conf.bridge);
  if (!rep.bridge || !br) throw InternalError("CNI created bridge " + conf.bridge + " in host namespace was not found");
  if (br->kind != "bridge") throw InternalError("Error: Bridge interface " + conf.bridge + " not found: not a bridge");
  if (!rep.bridge->mac.empty() && rep.bridge->mac != br->mac) {
    throw InternalError("Bridge interface " + conf.bridge + " Mac doesn't match: " + rep.bridge->mac);
  }
  if (br->promisc() != conf.promisc_mode) {
    throw InternalError("Bridge interface " + conf.bridge + " configured Promisc Mode " + Bool(conf.promisc_mode) +
                        " doesn't match current state: " + Bool(br->promisc()) + " ");
  }
  return *br;
}

nl::LinkInfo CheckContainerInterface(const Reported& rep, const cni::Invocation& inv, nl::RouteSocket& pod) {
  if (!rep.container) {
    // Like the reference, the sandbox reported is that of the matched entry: none matched.
    throw InternalError("Sandbox in prevResult  doesn't match configured netns: " + inv.netns);
  }
  auto cont = nl::GetLink(pod, inv.ifname);
  if (!cont) throw InternalError("Interface name " + inv.ifname + " not found");
  if (cont->kind != "veth") throw InternalError("Error: Container interface " + inv.ifname + " not of type veth");
  if (!rep.container->mac.empty() && rep.container->mac != cont->mac) {
    throw InternalError("Interface " + inv.ifname + " Mac " + rep.container->mac +
                        " doesn't match container Mac: " + cont->mac);
  }
  return *cont;
}

// The veth in the result whose peer is the container interface; returns its name.
std::string CheckHostVeth(const Reported& rep, const NetConf& conf, nl::RouteSocket& host, const nl::LinkInfo& br,
                          const nl::LinkInfo& cont) {
  for (const auto& i : rep.result.interfaces) {
    if (&i == rep.bridge || &i == rep.container || !i.sandbox.empty()) continue;
    auto link = nl::GetLink(host, i.name);
    if (!link) throw InternalError("Interface name " + i.name + " not found");
    if (link->kind != "veth" || link->peer_ifindex != cont.ifindex || cont.peer_ifindex != link->ifindex) continue;
    if (link->master != br.ifindex)
      throw InternalError("Interface " + i.name + " not attached to bridge " + conf.bridge);
    if (!i.mac.empty() && i.mac != link->mac) {
      throw InternalError("Interface " + i.name + " Mac doesn't match: " + i.mac + " not found");
    }
    return i.name;
  }
  throw InternalError("CNI veth created for bridge " + conf.bridge + " was not found");
}

void CheckAddresses(const Reported& rep, const cni::Invocation& inv, nl::RouteSocket& pod, int ifindex) {
  const auto& interfaces = rep.result.interfaces;
  auto addrs = nl::ListAddresses(pod, ifindex);
  for (const auto& ip : rep.result.ips) {
    if (ip.interface && (*ip.interface < 0 || *ip.interface >= static_cast<int>(interfaces.size()) ||
                         &interfaces[static_cast<size_t>(*ip.interface)] != rep.container)) {
      continue;
    }
    bool found = false;
    for (const auto& a : addrs) found |= a.local == ip.address;
    if (!found) throw InternalError("Failed to match addr " + ip.address.ToString() + " on interface " + inv.ifname);
  }
}

void CheckRoutes(const Reported& rep, nl::RouteSocket& pod) {
  std::optional<std::vector<nl::RouteInfo>> routes4, routes6;
  for (const auto& r : rep.result.routes) {
    const bool v4 = r.dst.is_v4();
    auto& routes = v4 ? routes4 : routes6;
    if (!routes) routes = nl::ListRoutes(pod, v4 ? AF_INET : AF_INET6, true);
    bool found = false;
    for (const auto& k : *routes) found |= k.dst == r.dst.Network() && (!r.gw || (k.gw && *k.gw == *r.gw));
    if (!found) {
      throw InternalError("Expected Route {Dst:" + r.dst.ToString() +
                          " GW:" + (r.gw ? r.gw->ToString() : std::string("<nil>")) + "} not found in routing table");
    }
  }
}

// The reference's CHECK does not look at the firewall; a flushed NAT table or bridge nat table
// (a firewall reload, an operator's `nft flush ruleset`) leaves the pod without what ADD made.
void CheckFirewall(const Reported& rep, const NetConf& conf, const cni::Invocation& inv, const std::string& host_veth,
                   nl::nft::LazyNftSocket& nft) {
  if (conf.ip_masq && !AddressesOf(rep.result).empty()) {
    const auto owners = masq::MakeTeardownMasquerader(nft)->List(conf.name);
    const bool on = std::any_of(owners.begin(), owners.end(), [&](const cni::Attachment& a) {
      return cni::SameContainer(a.container_id, inv.container_id) && (a.ifname.empty() || a.ifname == inv.ifname);
    });
    if (!on) {
      throw InternalError("masquerade rules of container " + inv.container_id + " in network " + conf.name +
                          " not found");
    }
  }
  if (conf.mac_spoof_check) {
    const std::string id = masq::SpoofCheckId(inv.container_id, inv.ifname);
    const auto checks = masq::ListSpoofChecks(nft.get());
    const bool on = std::any_of(checks.begin(), checks.end(),
                                [&](const masq::SpoofCheckJump& j) { return j.id == id && j.host_veth == host_veth; });
    if (!on) throw InternalError("macspoofchk rules of interface " + host_veth + " not found");
  }
}

}  // namespace

void CheckAttachment(const NetConf& conf, const cni::Invocation& inv, nl::RouteSocket& host, nl::RouteSocket& pod,
                     nl::nft::LazyNftSocket& nft) {
  const Reported rep = FindReported(*conf.prev_result, conf, inv);
  const nl::LinkInfo br = CheckBridge(rep, conf, host);
  const nl::LinkInfo cont = CheckContainerInterface(rep, inv, pod);
  const std::string host_veth = CheckHostVeth(rep, conf, host, br, cont);
  CheckAddresses(rep, inv, pod, cont.ifindex);
  CheckRoutes(rep, pod);
  CheckFirewall(rep, conf, inv, host_veth, nft);
}

}  // namespace cnb::bridge
