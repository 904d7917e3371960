// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/result.h"

namespace cnb::bridge {
namespace {

bool HasDefaultRouteWithGateway(const cni::Result& result, bool v4) {
  for (const auto& r : result.routes) {
    if (r.gw && r.dst.IsDefaultRoute() && r.dst.is_v4() == v4) return true;
  }
  return false;
}

}  // namespace

cni::Result NewResult(const NetConf& conf, const cni::Invocation& inv, const nl::LinkInfo& bridge,
                      const nl::LinkInfo& host_veth, const nl::LinkInfo& container) {
  cni::Result result;
  result.interfaces.push_back({conf.bridge, bridge.mac, "", std::nullopt, "", ""});
  result.interfaces.push_back({host_veth.name, host_veth.mac, "", std::nullopt, "", ""});
  result.interfaces.push_back({inv.ifname, container.mac, inv.netns, std::nullopt, "", ""});
  return result;
}

Gateways TakeIpamResult(const cni::Result& ipam, const NetConf& conf, cni::Result* result) {
  result->ips = ipam.ips;
  result->routes = ipam.routes;
  result->dns = ipam.dns;
  Gateways gws;
  bool default_v4 = false;
  bool default_v6 = false;
  for (auto& ip : result->ips) {
    const bool v4 = ip.address.is_v4();
    ip.interface = kContainerIfIndex;
    if (!ip.gateway && conf.is_gateway) ip.gateway = ip.address.NetworkAddr().Next();
    bool& found = v4 ? default_v4 : default_v6;
    if (conf.is_default_gateway && !found) {
      found = HasDefaultRouteWithGateway(*result, v4);
      if (!found) {
        cni::Route def;
        def.dst = IpNet(v4 ? IpAddr() : *IpAddr::Parse("::"), 0);
        def.gw = ip.gateway;
        result->routes.push_back(def);
        found = true;
      }
    }
    if (conf.is_gateway && ip.gateway) (v4 ? gws.v4 : gws.v6).push_back(IpNet(*ip.gateway, ip.address.prefix()));
  }
  return gws;
}

std::vector<IpNet> AddressesOf(const cni::Result& result) {
  std::vector<IpNet> out;
  for (const auto& ip : result.ips) out.push_back(ip.address);
  return out;
}

}  // namespace cnb::bridge
