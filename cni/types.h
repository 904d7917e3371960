// SPDX-License-Identifier: Apache-2.0
// The CNI result model (the 1.x shape) and its JSON forms for every spec version.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/ip.h"

namespace cnb::cni {

struct Interface {
  std::string name;
  std::string mac;
  std::string sandbox;
  std::optional<int> mtu;
  std::string socket_path;
  std::string pci_id;
  bool operator==(const Interface&) const = default;
};

struct IpConfig {
  IpNet address;  // host address with the range's prefix
  std::optional<IpAddr> gateway;
  std::optional<int> interface;  // index into Result::interfaces
  bool operator==(const IpConfig&) const = default;
};

struct Route {
  IpNet dst;
  std::optional<IpAddr> gw;
  std::optional<int> mtu;
  std::optional<int> advmss;
  std::optional<int> priority;
  std::optional<int> table;
  std::optional<int> scope;
  bool operator==(const Route&) const = default;
};

struct Dns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool empty() const { return nameservers.empty() && domain.empty() && search.empty() && options.empty(); }
  bool operator==(const Dns&) const = default;
};

struct Result {
  std::string cni_version;  // version the result was decoded from (informational)
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  Dns dns;
};

// JSON <-> model. Decoding throws Error code 6 (decode) on malformed input.
Dns DnsFromJson(const nlohmann::json& j);
nlohmann::json DnsToJson(const Dns& dns);
Route RouteFromJson(const nlohmann::json& j);
nlohmann::json RouteToJson(const Route& route, bool extended);

// Decodes a result of any version; `default_version` is assumed when it has no cniVersion.
Result ResultFromJson(const nlohmann::json& j, std::string_view default_version);
// Encodes in `version`'s shape. Throws Error 999 "cannot convert: no valid IP addresses" when a
// 0.1.0/0.2.0 result would have no IP, as the reference does.
nlohmann::json ResultToJson(const Result& result, std::string_view version);

// What we print on stdout: 4-space indented, no trailing newline, like the Go plugins.
std::string ToOutput(const nlohmann::json& j);

}  // namespace cnb::cni
