// SPDX-License-Identifier: Apache-2.0
// host-local configuration, decoded from the whole network config (the `ipam` section plus
// runtimeConfig, args and CNI_ARGS), with the reference's defaults and messages
// (backend/allocator/config.go, dns.go).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cni/types.h"
#include "common/ip.h"
#include "ipam/range.h"

namespace cnb::ipam {

inline constexpr std::string_view kDefaultDataDir = "/var/lib/cni/networks";

struct IpamConfig {
  std::string name;         // network name
  std::string cni_version;  // as written in the config ("" when absent)
  std::string type;
  std::vector<RangeSet> ranges;  // canonicalized; one IP is allocated from each
  std::vector<cni::Route> routes;
  std::string data_dir;  // default applied
  std::string resolv_conf;
  std::vector<IpAddr> requested_ips;  // CNI_ARGS IP, args.cni.ips, runtimeConfig.ips; deduplicated
};

// Throws Error 999 for every problem, as the reference does (its errors are plain Go errors).
IpamConfig LoadIpamConfig(const nlohmann::json& netconf, std::string_view cni_args);

// The reference's IP argument syntax: a plain address or an address with a prefix (ignored).
std::optional<IpAddr> ParseRequestedIp(std::string_view text);

}  // namespace cnb::ipam
