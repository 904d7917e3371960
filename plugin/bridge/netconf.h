// SPDX-License-Identifier: Apache-2.0
// The bridge plugin's network configuration: the reference's keys and defaults, validated once
// before anything is created.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cni/skel.h"
#include "cni/types.h"

namespace cnb::bridge {

struct VlanTrunkRange {
  int min_id = 0;
  int max_id = 0;
};

struct NetConf {
  std::string name;
  std::string cni_version;

  std::string bridge = "cni0";
  bool is_gateway = false;
  bool is_default_gateway = false;  // implies is_gateway
  bool force_address = false;
  bool ip_masq = false;
  std::string ip_masq_backend;  // "", "iptables", "nftables"
  int mtu = 0;
  bool hairpin_mode = false;
  bool promisc_mode = false;
  int vlan = 0;
  std::vector<VlanTrunkRange> vlan_trunk;
  bool preserve_default_vlan = false;
  bool enable_dad = false;
  bool mac_spoof_check = false;
  bool disable_container_interface = false;
  bool port_isolation = false;
  // In a network without an IPv6 range, leave IPv6 on the container interface (the reference's
  // behaviour) instead of turning it off there.
  bool keep_container_ipv6 = false;

  std::string ipam_type;  // "" = L2 mode
  nlohmann::json ipam;

  cni::Dns dns;               // from the config; replaces IPAM's when set
  std::string container_mac;  // runtimeConfig.mac > args.cni.mac > CNI_ARGS MAC=
  std::optional<cni::Result> prev_result;

  std::string log_level;
  std::string log_file;

  bool layer3() const { return !ipam_type.empty(); }
  bool vlan_enabled() const { return vlan != 0 || !vlan_trunk.empty(); }
};

// Parses and validates the stdin config of `inv`. Errors: code 999 with the reference's texts
// ("failed to load netconf: ...", "invalid VLAN ID ...", "cannot set hairpin mode and promiscuous
// mode at the same time", ...), and the CNI_ARGS errors.
NetConf ParseNetConf(const cni::Invocation& inv);

// "<bridge>.<vlan>": the interface that carries the gateway in gateway mode with a VLAN.
std::string VlanGatewayName(const NetConf& conf);

// "aa:bb:cc:dd:ee:ff" in lower case, or nullopt if `text` is not a 6-byte MAC.
std::optional<std::string> NormalizeMac(const std::string& text);

}  // namespace cnb::bridge
