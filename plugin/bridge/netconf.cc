// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/netconf.h"

#include <type_traits>

#include "cni/args.h"
#include "cni/json_member.h"
#include "common/error.h"
#include "common/log.h"
#include "masq/masq.h"
#include "netlink/mac.h"

namespace cnb::bridge {
namespace {

using nlohmann::json;

[[noreturn]] void LoadError(const std::string& what) { throw InternalError("failed to load netconf: " + what); }

// A key of type T (bool, int or string): absent or null leaves `out` alone, as Go leaves a field
// it does not find; another JSON type is the reference's decode error.
template <typename T>
void Read(const json& j, const char* key, T* out) {
  const json* it = cni::FindMember(j, key);
  if (!it || it->is_null()) return;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) LoadError(std::string("field ") + key + " must be a boolean");
  } else if constexpr (std::is_same_v<T, int>) {
    if (!it->is_number_integer()) LoadError(std::string("field ") + key + " must be an integer");
    const std::optional<int> v = cni::IntInRange(*it);
    if (!v) throw ConfigError("failed to load netconf: field " + std::string(key) + " is out of range: " + it->dump());
    *out = *v;
    return;
  } else {
    if (!it->is_string()) LoadError(std::string("field ") + key + " must be a string");
  }
  *out = it->get<T>();
}

const json* Object(const json& j, const char* key) {
  const json* it = cni::FindMember(j, key);
  if (!it || it->is_null()) return nullptr;
  if (!it->is_object()) LoadError(std::string("field ") + key + " must be an object");
  return it;
}

void ParseTrunk(const json& j, NetConf* conf) {
  const json* it = cni::FindMember(j, "vlanTrunk");
  if (!it || it->is_null()) return;
  if (!it->is_array()) LoadError("field vlanTrunk must be a list");
  for (const auto& e : *it) {
    if (!e.is_object()) LoadError("vlanTrunk entries must be objects");
    auto get = [&](const char* key) -> std::optional<int> {
      const json* f = cni::FindMember(e, key);
      if (!f || f->is_null()) return std::nullopt;
      if (!f->is_number_integer()) LoadError(std::string("vlanTrunk field ") + key + " must be an integer");
      const std::optional<int> v = cni::IntInRange(*f);
      if (!v)
        throw ConfigError("failed to load netconf: vlanTrunk field " + std::string(key) +
                          " is out of range: " + f->dump());
      return v;
    };
    auto min_id = get("minID");
    auto max_id = get("maxID");
    auto id = get("id");
    if (min_id || max_id) {
      if (!min_id || !max_id) {
        throw InternalError("minID and maxID should be configured simultaneously, " +
                            std::string(min_id ? "maxID" : "minID") + " is missing");
      }
      if (*min_id > *max_id) throw InternalError("minID is greater than maxID in trunk parameter");
      if (*min_id < 1 || *max_id > 4094) throw InternalError("incorrect trunk minID/maxID parameter");
      conf->vlan_trunk.push_back({*min_id, *max_id});
    }
    if (id) {
      if (*id < 1 || *id > 4094) throw InternalError("incorrect trunk id parameter");
      conf->vlan_trunk.push_back({*id, *id});
    }
  }
}

}  // namespace

std::string VlanGatewayName(const NetConf& conf) { return conf.bridge + "." + std::to_string(conf.vlan); }

std::optional<std::string> NormalizeMac(const std::string& text) {
  uint8_t mac[6];
  if (!nl::ParseMac(text, mac)) return std::nullopt;
  return nl::FormatMac(mac);
}

namespace {

void ReadKeys(const json& j, NetConf* conf) {
  Read(j, "bridge", &conf->bridge);
  if (conf->bridge.empty()) conf->bridge = "cni0";
  Read(j, "isGateway", &conf->is_gateway);
  Read(j, "isDefaultGateway", &conf->is_default_gateway);
  Read(j, "forceAddress", &conf->force_address);
  Read(j, "ipMasq", &conf->ip_masq);
  Read(j, "ipMasqBackend", &conf->ip_masq_backend);
  Read(j, "mtu", &conf->mtu);
  Read(j, "hairpinMode", &conf->hairpin_mode);
  Read(j, "promiscMode", &conf->promisc_mode);
  Read(j, "vlan", &conf->vlan);
  ParseTrunk(j, conf);
  Read(j, "preserveDefaultVlan", &conf->preserve_default_vlan);
  Read(j, "enabledad", &conf->enable_dad);
  Read(j, "macspoofchk", &conf->mac_spoof_check);
  Read(j, "disableContainerInterface", &conf->disable_container_interface);
  Read(j, "portIsolation", &conf->port_isolation);
  Read(j, "keepContainerIPv6", &conf->keep_container_ipv6);
  Read(j, "logLevel", &conf->log_level);
  Read(j, "logFile", &conf->log_file);
}

void ReadSections(const json& j, const cni::Invocation& inv, NetConf* conf) {
  if (const json* ipam = Object(j, "ipam")) {
    conf->ipam = *ipam;
    Read(*ipam, "type", &conf->ipam_type);
  }
  if (const json* dns = Object(j, "dns")) {
    try {
      conf->dns = cni::DnsFromJson(*dns);
    } catch (const Error& e) {
      LoadError(e.msg());
    }
  }
  if (const json* it = cni::FindMember(j, "prevResult"); it && !it->is_null()) {
    try {
      conf->prev_result = cni::ResultFromJson(*it, inv.cni_version);
    } catch (const Error& e) {
      // DEL must clean up from what it can find: runtimes retry a failed DEL with the same
      // cached result, so refusing a damaged one would keep the veth, IP and rules forever.
      // It finds everything by name without the result (the reference ignores it too).
      if (inv.command != cni::Command::kDel) throw InternalError("could not parse prevResult: " + e.msg());
      log::Warn("DEL: ignoring a prevResult that cannot be parsed (" + e.msg() + ")");
    }
  }
}

// The container's MAC, highest priority last: CNI_ARGS MAC=, args.cni.mac, runtimeConfig.mac.
void ReadContainerMac(const json& j, const cni::Invocation& inv, NetConf* conf) {
  auto args = cni::CniArgs::Parse(inv.args, {"MAC"});
  if (auto mac = args.Get("MAC"); mac && !mac->empty()) conf->container_mac = *mac;
  if (const json* a = Object(j, "args")) {
    if (const json* c = Object(*a, "cni")) Read(*c, "mac", &conf->container_mac);
  }
  if (const json* rc = Object(j, "runtimeConfig")) Read(*rc, "mac", &conf->container_mac);
}

// In the reference's order.
void Validate(NetConf* conf) {
  if (conf->vlan < 0 || conf->vlan > 4094) {
    throw InternalError("invalid VLAN ID " + std::to_string(conf->vlan) + " (must be between 0 and 4094)");
  }
  if (conf->mtu < 0) LoadError("invalid MTU " + std::to_string(conf->mtu));
  if (conf->is_default_gateway) conf->is_gateway = true;
  // Checked before anything is made (the reference finds out when the kernel refuses the name).
  if (conf->vlan != 0 && conf->is_gateway && VlanGatewayName(*conf).size() > 15) {
    throw ConfigError("the vlan gateway interface name \"" + VlanGatewayName(*conf) +
                      "\" is longer than 15 characters: use a shorter bridge name");
  }
  if (conf->layer3() && conf->disable_container_interface) {
    throw InternalError("cannot use IPAM when DisableContainerInterface flag is set");
  }
  if (conf->hairpin_mode && conf->promisc_mode) {
    throw InternalError("cannot set hairpin mode and promiscuous mode at the same time");
  }
  // Checked here rather than after the veth and IP exist (the reference only notices at masq time).
  masq::CheckBackendName(conf->ip_masq_backend);
  if (!conf->container_mac.empty()) {
    auto mac = NormalizeMac(conf->container_mac);
    if (!mac) throw InternalError("failed to make veth pair: address " + conf->container_mac + ": invalid MAC address");
    conf->container_mac = *mac;
  }
}

}  // namespace

NetConf ParseNetConf(const cni::Invocation& inv) {
  NetConf conf;
  conf.name = inv.network_name;
  conf.cni_version = inv.cni_version;
  ReadKeys(inv.config, &conf);
  ReadSections(inv.config, inv, &conf);
  ReadContainerMac(inv.config, inv, &conf);
  Validate(&conf);
  return conf;
}

}  // namespace cnb::bridge
