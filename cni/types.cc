// SPDX-License-Identifier: Apache-2.0
#include "cni/types.h"

#include "cni/json_member.h"
#include "cni/version.h"
#include "common/error.h"

namespace cnb::cni {
namespace {

using nlohmann::json;

[[noreturn]] void Fail(const std::string& what) { throw Error(ErrorCode::kDecode, what); }

std::string GetString(const json& j, const char* key) {
  const json* it = FindMember(j, key);
  if (!it || it->is_null()) return {};
  if (!it->is_string()) Fail(std::string("field ") + key + " must be a string");
  return it->get<std::string>();
}

std::optional<int> GetInt(const json& j, const char* key) {
  const json* it = FindMember(j, key);
  if (!it || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) Fail(std::string("field ") + key + " must be an integer");
  const std::optional<int> v = IntInRange(*it);
  if (!v) Fail(std::string("field ") + key + " is out of range: " + it->dump());
  return v;
}

std::vector<std::string> GetStrings(const json& j, const char* key) {
  std::vector<std::string> out;
  const json* it = FindMember(j, key);
  if (!it || it->is_null()) return out;
  if (!it->is_array()) Fail(std::string("field ") + key + " must be a list of strings");
  for (const auto& e : *it) {
    if (!e.is_string()) Fail(std::string("field ") + key + " must be a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

IpNet ParseNet(const std::string& text, const char* what) {
  auto net = IpNet::Parse(text);
  if (!net) Fail(std::string("invalid ") + what + " \"" + text + "\"");
  return *net;
}

std::optional<IpAddr> ParseOptAddr(const std::string& text, const char* what) {
  if (text.empty()) return std::nullopt;
  auto ip = IpAddr::Parse(text);
  if (!ip) Fail(std::string("invalid ") + what + " \"" + text + "\"");
  return ip;
}

void DecodeLegacyFamily(const json& j, Result* out) {
  IpConfig ip;
  ip.address = ParseNet(GetString(j, "ip"), "ip");
  ip.gateway = ParseOptAddr(GetString(j, "gateway"), "gateway");
  out->ips.push_back(ip);
  if (const json* it = FindMember(j, "routes"); it && !it->is_null()) {
    if (!it->is_array()) Fail("routes must be a list");
    for (const auto& r : *it) out->routes.push_back(RouteFromJson(r));
  }
}

json InterfaceToJson(const Interface& i, bool extended) {
  json j = json::object();
  j["name"] = i.name;
  if (!i.mac.empty()) j["mac"] = i.mac;
  if (extended && i.mtu && *i.mtu != 0) j["mtu"] = *i.mtu;  // Go: int with omitempty
  if (!i.sandbox.empty()) j["sandbox"] = i.sandbox;
  if (extended && !i.socket_path.empty()) j["socketPath"] = i.socket_path;
  if (extended && !i.pci_id.empty()) j["pciID"] = i.pci_id;
  return j;
}

json Legacy(const Result& r) {
  json out = json::object();
  const IpConfig* v4 = nullptr;
  const IpConfig* v6 = nullptr;
  for (const auto& ip : r.ips) {
    if (ip.address.is_v4() && !v4) v4 = &ip;
    if (!ip.address.is_v4() && !v6) v6 = &ip;
  }
  if (!v4 && !v6) throw InternalError("cannot convert: no valid IP addresses");
  auto family = [&](const IpConfig* ip) {
    json f = json::object();
    f["ip"] = ip->address.ToString();
    if (ip->gateway) f["gateway"] = ip->gateway->ToString();
    json routes = json::array();
    for (const auto& route : r.routes) {
      if (route.dst.is_v4() == ip->address.is_v4()) {
        json rj = {{"dst", route.dst.ToString()}};
        if (route.gw) rj["gw"] = route.gw->ToString();
        routes.push_back(rj);
      }
    }
    if (!routes.empty()) f["routes"] = routes;
    return f;
  };
  if (v4) out["ip4"] = family(v4);
  if (v6) out["ip6"] = family(v6);
  return out;
}

}  // namespace

Dns DnsFromJson(const json& j) {
  Dns d;
  if (j.is_null()) return d;
  if (!j.is_object()) Fail("dns must be an object");
  d.nameservers = GetStrings(j, "nameservers");
  d.domain = GetString(j, "domain");
  d.search = GetStrings(j, "search");
  d.options = GetStrings(j, "options");
  return d;
}

json DnsToJson(const Dns& dns) {
  json j = json::object();
  if (!dns.nameservers.empty()) j["nameservers"] = dns.nameservers;
  if (!dns.domain.empty()) j["domain"] = dns.domain;
  if (!dns.search.empty()) j["search"] = dns.search;
  if (!dns.options.empty()) j["options"] = dns.options;
  return j;
}

Route RouteFromJson(const json& j) {
  if (!j.is_object()) Fail("route must be an object");
  Route r;
  r.dst = ParseNet(GetString(j, "dst"), "route dst");
  r.gw = ParseOptAddr(GetString(j, "gw"), "route gw");
  r.mtu = GetInt(j, "mtu");
  r.advmss = GetInt(j, "advmss");
  r.priority = GetInt(j, "priority");
  r.table = GetInt(j, "table");
  r.scope = GetInt(j, "scope");
  return r;
}

json RouteToJson(const Route& r, bool extended) {
  json j = {{"dst", r.dst.ToString()}};
  if (r.gw) j["gw"] = r.gw->ToString();
  if (extended) {
    // mtu/advmss/priority are omitempty ints in Go (0 is not printed); table/scope are
    // pointers, so an explicit 0 is.
    if (r.mtu && *r.mtu != 0) j["mtu"] = *r.mtu;
    if (r.advmss && *r.advmss != 0) j["advmss"] = *r.advmss;
    if (r.priority && *r.priority != 0) j["priority"] = *r.priority;
    if (r.table) j["table"] = *r.table;
    if (r.scope) j["scope"] = *r.scope;
  }
  return j;
}

Result ResultFromJson(const json& j, std::string_view default_version) {
  if (!j.is_object()) Fail("result must be a JSON object");
  Result r;
  r.cni_version = GetString(j, "cniVersion");
  if (r.cni_version.empty()) r.cni_version = std::string(default_version);
  if (!IsSupportedVersion(r.cni_version)) {
    Fail("unsupported CNI result version \"" + r.cni_version + "\"");
  }
  if (!VersionAtLeast(r.cni_version, "0.3.0")) {
    for (const char* family : {"ip4", "ip6"}) {
      const json* it = FindMember(j, family);
      if (!it || it->is_null()) continue;
      if (!it->is_object()) Fail(std::string(family) + " must be an object");
      DecodeLegacyFamily(*it, &r);
    }
  } else {
    if (const json* it = FindMember(j, "interfaces"); it && !it->is_null()) {
      if (!it->is_array()) Fail("interfaces must be a list");
      for (const auto& e : *it) {
        if (!e.is_object()) Fail("interface must be an object");
        Interface i;
        i.name = GetString(e, "name");
        i.mac = GetString(e, "mac");
        i.sandbox = GetString(e, "sandbox");
        i.mtu = GetInt(e, "mtu");
        i.socket_path = GetString(e, "socketPath");
        i.pci_id = GetString(e, "pciID");
        r.interfaces.push_back(std::move(i));
      }
    }
    if (const json* it = FindMember(j, "ips"); it && !it->is_null()) {
      if (!it->is_array()) Fail("ips must be a list");
      for (const auto& e : *it) {
        if (!e.is_object()) Fail("ip must be an object");
        IpConfig ip;
        (void)GetString(e, "version");  // implied by the address; only its type is checked
        ip.address = ParseNet(GetString(e, "address"), "address");
        ip.gateway = ParseOptAddr(GetString(e, "gateway"), "gateway");
        ip.interface = GetInt(e, "interface");
        r.ips.push_back(ip);
      }
    }
    if (const json* it = FindMember(j, "routes"); it && !it->is_null()) {
      if (!it->is_array()) Fail("routes must be a list");
      for (const auto& e : *it) r.routes.push_back(RouteFromJson(e));
    }
  }
  if (const json* it = FindMember(j, "dns")) r.dns = DnsFromJson(*it);
  return r;
}

json ResultToJson(const Result& r, std::string_view version) {
  json out;
  if (!VersionAtLeast(version, "0.3.0")) {
    out = Legacy(r);
  } else {
    bool v1 = VersionAtLeast(version, "1.0.0");
    out = json::object();
    if (!r.interfaces.empty()) {
      json ifs = json::array();
      for (const auto& i : r.interfaces) ifs.push_back(InterfaceToJson(i, v1));
      out["interfaces"] = ifs;
    }
    if (!r.ips.empty()) {
      json ips = json::array();
      for (const auto& ip : r.ips) {
        json e = json::object();
        if (!v1) e["version"] = ip.address.is_v4() ? "4" : "6";
        if (ip.interface) e["interface"] = *ip.interface;
        e["address"] = ip.address.ToString();
        if (ip.gateway) e["gateway"] = ip.gateway->ToString();
        ips.push_back(e);
      }
      out["ips"] = ips;
    }
    if (!r.routes.empty()) {
      json routes = json::array();
      for (const auto& route : r.routes) routes.push_back(RouteToJson(route, true));
      out["routes"] = routes;
    }
  }
  out["cniVersion"] = std::string(version);
  out["dns"] = DnsToJson(r.dns);
  return out;
}

std::string ToOutput(const json& j) { return j.dump(4, ' ', false, json::error_handler_t::replace); }

}  // namespace cnb::cni
