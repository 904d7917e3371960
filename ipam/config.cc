// SPDX-License-Identifier: Apache-2.0
#include "ipam/config.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "cni/args.h"
#include "cni/json_member.h"
#include "cni/version.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "ipam/store.h"

namespace cnb::ipam {
namespace {

using nlohmann::json;

// Decoding errors read like the Go JSON decoder's, but all are code 999 (see header).
[[noreturn]] void TypeError(const std::string& field, const char* want) {
  throw InternalError("json: cannot unmarshal " + field + ": expected " + want);
}

const json* Member(const json& obj, const char* key) {
  const json* v = cni::FindMember(obj, key);
  return v && !v->is_null() ? v : nullptr;
}

std::string OptString(const json& obj, const char* key, const std::string& where) {
  const json* v = Member(obj, key);
  if (!v) return {};
  if (!v->is_string()) TypeError(where + "." + key, "string");
  return v->get<std::string>();
}

// net.IP text: empty means unset.
std::optional<IpAddr> OptIp(const json& obj, const char* key, const std::string& where) {
  std::string text = OptString(obj, key, where);
  if (text.empty()) return std::nullopt;
  auto ip = IpAddr::Parse(text);
  if (!ip) throw InternalError("invalid IP address: " + text);
  return ip;
}

Range RangeFromJson(const json& j, const std::string& where) {
  if (!j.is_object()) TypeError(where, "object");
  Range r;
  if (const json* s = Member(j, "subnet")) {
    if (!s->is_string()) TypeError(where + ".subnet", "string");
    auto net = IpNet::Parse(s->get<std::string>());
    if (!net) throw InternalError("invalid CIDR address: " + s->get<std::string>());
    r.subnet = *net;
  }
  r.range_start = OptIp(j, "rangeStart", where);
  r.range_end = OptIp(j, "rangeEnd", where);
  r.gateway = OptIp(j, "gateway", where);
  return r;
}

std::vector<RangeSet> RangeSetsFromJson(const json* j, const std::string& where) {
  std::vector<RangeSet> sets;
  if (!j) return sets;
  if (!j->is_array()) TypeError(where, "array");
  for (const auto& set_json : *j) {
    RangeSet set;
    if (set_json.is_null()) {
      sets.push_back(set);  // Go decodes null as an empty set; Canonicalize rejects it
      continue;
    }
    if (!set_json.is_array()) TypeError(where + "[]", "array");
    for (const auto& r : set_json) set.push_back(RangeFromJson(r, where + "[][]"));
    sets.push_back(std::move(set));
  }
  return sets;
}

void AppendIps(const json* list, const std::string& where, std::vector<std::string>* out) {
  if (!list) return;
  if (!list->is_array()) TypeError(where, "array");
  for (const auto& v : *list) {
    if (!v.is_string()) TypeError(where + "[]", "string");
    out->push_back(v.get<std::string>());
  }
}

bool VersionBelow030(const std::string& version) {
  try {
    return !cni::VersionAtLeast(version, "0.3.0");
  } catch (const Error&) {
    return true;  // unparsable (e.g. absent) counts as old, like the reference
  }
}

}  // namespace

std::optional<IpAddr> ParseRequestedIp(std::string_view text) {
  if (text.find('/') != std::string_view::npos) {
    auto net = IpNet::Parse(text);
    if (!net) return std::nullopt;
    return net->addr();
  }
  return IpAddr::Parse(text);
}

namespace {

std::vector<cni::Route> RoutesOf(const json& ipam) {
  std::vector<cni::Route> routes;
  const json* list = Member(ipam, "routes");
  if (!list) return routes;
  if (!list->is_array()) TypeError("ipam.routes", "array");
  for (const auto& r : *list) {
    try {
      routes.push_back(cni::RouteFromJson(r));
    } catch (const Error& e) {
      throw InternalError(e.msg());  // keep config errors uniformly 999
    }
  }
  return routes;
}

// Requested IPs: CNI_ARGS IP=, args.cni.ips and runtimeConfig.ips, unioned as the reference does.
std::vector<IpAddr> RequestedIps(const json& netconf, const json* runtime, std::string_view cni_args) {
  std::vector<std::string> texts;
  if (!cni_args.empty()) {
    cni::CniArgs args = cni::CniArgs::Parse(cni_args, {"IP"});
    // "IP=" asks for nothing, as in the reference (Go decodes an empty net.IP as none).
    if (auto ip = args.Get("IP"); ip && !ip->empty()) {
      if (!ParseRequestedIp(*ip)) {
        throw InternalError("ARGS: error parsing value of pair \"IP=" + *ip + "\": invalid IP address " + *ip);
      }
      texts.push_back(*ip);
    }
  }
  if (const json* args = Member(netconf, "args")) {
    if (!args->is_object()) TypeError("args", "object");
    if (const json* cni = Member(*args, "cni")) {
      if (!cni->is_object()) TypeError("args.cni", "object");
      AppendIps(Member(*cni, "ips"), "args.cni.ips", &texts);
    }
  }
  if (runtime) AppendIps(Member(*runtime, "ips"), "runtimeConfig.ips", &texts);
  std::vector<IpAddr> ips;
  for (const auto& text : texts) {
    auto ip = ParseRequestedIp(text);
    if (!ip) throw InternalError("cannot understand ip: invalid IP address " + text);
    if (std::find(ips.begin(), ips.end(), *ip) == ips.end()) ips.push_back(*ip);
  }
  return ips;
}

// In the reference's order: runtimeConfig.ipRanges, then the legacy single range, then
// ipam.ranges; each canonicalized, no two overlapping, one per family before 0.3.0.
std::vector<RangeSet> RangeSets(const json& ipam, const json* runtime, const std::string& cni_version) {
  std::vector<RangeSet> ranges;
  if (runtime) ranges = RangeSetsFromJson(Member(*runtime, "ipRanges"), "runtimeConfig.ipRanges");
  Range legacy = RangeFromJson(ipam, "ipam");
  if (legacy.subnet) ranges.push_back(RangeSet{legacy});
  for (auto& set : RangeSetsFromJson(Member(ipam, "ranges"), "ipam.ranges")) ranges.push_back(std::move(set));
  if (ranges.empty()) throw InternalError("no IP ranges specified");
  int v4_sets = 0;
  int v6_sets = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    try {
      CanonicalizeRangeSet(ranges[i]);
    } catch (const Error& e) {
      throw InternalError("invalid range set " + std::to_string(i) + ": " + e.msg());
    }
    (ranges[i][0].range_start->is_v4() ? v4_sets : v6_sets)++;
  }
  if ((v4_sets > 1 || v6_sets > 1) && VersionBelow030(cni_version)) {
    throw InternalError("CNI version " + cni_version + " does not support more than 1 address per family");
  }
  for (size_t i = 0; i + 1 < ranges.size(); ++i) {
    for (size_t j = i + 1; j < ranges.size(); ++j) {
      if (RangeSetsOverlap(ranges[i], ranges[j])) {
        throw InternalError("range set " + std::to_string(i) + " overlaps with " + std::to_string(j));
      }
    }
  }
  return ranges;
}

}  // namespace

IpamConfig LoadIpamConfig(const json& netconf, std::string_view cni_args) {
  if (!netconf.is_object()) TypeError("network config", "object");
  IpamConfig cfg;
  cfg.name = OptString(netconf, "name", "config");
  cfg.cni_version = OptString(netconf, "cniVersion", "config");
  const json* ipam = Member(netconf, "ipam");
  if (!ipam) throw InternalError("IPAM config missing 'ipam' key");
  if (!ipam->is_object()) TypeError("ipam", "object");
  cfg.type = OptString(*ipam, "type", "ipam");
  cfg.data_dir = OptString(*ipam, "dataDir", "ipam");
  if (cfg.data_dir.empty()) cfg.data_dir = std::string(kDefaultDataDir);
  cfg.resolv_conf = OptString(*ipam, "resolvConf", "ipam");
  cfg.routes = RoutesOf(*ipam);
  const json* runtime = Member(netconf, "runtimeConfig");
  if (runtime && !runtime->is_object()) TypeError("runtimeConfig", "object");
  cfg.requested_ips = RequestedIps(netconf, runtime, cni_args);
  cfg.ranges = RangeSets(*ipam, runtime, cfg.cni_version);
  return cfg;
}

}  // namespace cnb::ipam
