#include "plugin/netconf.h"

#include <cctype>
#include <cstdio>

#include "cni/args.h"
#include "cni/json_member.h"
#include "common/error.h"
#include "plugin/masq.h"

namespace cnb::bridge {
namespace {

using nlohmann::json;

[[noreturn]] void LoadError(const std::string& what) {
  throw InternalError("failed to load netconf: " + what);
}

void ReadBool(const json& j, const char* key, bool* out) {
  const json* it = cni::FindMember(j, key);
  if (!it || it->is_null()) return;
  if (!it->is_boolean()) LoadError(std::string("field ") + key + " must be a boolean");
  *out = it->get<bool>();
}

void ReadInt(const json& j, const char* key, int* out) {
  const json* it = cni::FindMember(j, key);
  if (!it || it->is_null()) return;
  if (!it->is_number_integer()) LoadError(std::string("field ") + key + " must be an integer");
  *out = it->get<int>();
}

void ReadString(const json& j, const char* key, std::string* out) {
  const json* it = cni::FindMember(j, key);
  if (!it || it->is_null()) return;
  if (!it->is_string()) LoadError(std::string("field ") + key + " must be a string");
  *out = it->get<std::string>();
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
      return f->get<int>();
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

std::optional<std::string> NormalizeMac(const std::string& text) {
  // Six hex pairs separated by ':' or '-', printed lower-case with ':'.
  if (text.size() != 17) return std::nullopt;
  std::string out = text;
  for (size_t i = 0; i < 17; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (i % 3 == 2) {
      if (c != ':' && c != '-') return std::nullopt;
      out[i] = ':';
    } else {
      if (!std::isxdigit(c)) return std::nullopt;
      out[i] = static_cast<char>(std::tolower(c));
    }
  }
  return out;
}

NetConf ParseNetConf(const cni::Invocation& inv) {
  const json& j = inv.config;
  NetConf conf;
  conf.name = inv.network_name;
  conf.cni_version = inv.cni_version;
  ReadString(j, "bridge", &conf.bridge);
  if (conf.bridge.empty()) conf.bridge = "cni0";
  ReadBool(j, "isGateway", &conf.is_gateway);
  ReadBool(j, "isDefaultGateway", &conf.is_default_gateway);
  ReadBool(j, "forceAddress", &conf.force_address);
  ReadBool(j, "ipMasq", &conf.ip_masq);
  ReadString(j, "ipMasqBackend", &conf.ip_masq_backend);
  ReadInt(j, "mtu", &conf.mtu);
  ReadBool(j, "hairpinMode", &conf.hairpin_mode);
  ReadBool(j, "promiscMode", &conf.promisc_mode);
  ReadInt(j, "vlan", &conf.vlan);
  ParseTrunk(j, &conf);
  ReadBool(j, "preserveDefaultVlan", &conf.preserve_default_vlan);
  ReadBool(j, "enabledad", &conf.enable_dad);
  ReadBool(j, "macspoofchk", &conf.mac_spoof_check);
  ReadBool(j, "disableContainerInterface", &conf.disable_container_interface);
  ReadBool(j, "portIsolation", &conf.port_isolation);
  ReadBool(j, "keepContainerIPv6", &conf.keep_container_ipv6);
  ReadString(j, "logLevel", &conf.log_level);
  ReadString(j, "logFile", &conf.log_file);

  if (const json* ipam = Object(j, "ipam")) {
    conf.ipam = *ipam;
    ReadString(*ipam, "type", &conf.ipam_type);
  }
  if (const json* dns = Object(j, "dns")) {
    try {
      conf.dns = cni::DnsFromJson(*dns);
    } catch (const Error& e) {
      LoadError(e.msg());
    }
  }
  if (const json* it = cni::FindMember(j, "prevResult"); it && !it->is_null()) {
    try {
      conf.prev_result = cni::ResultFromJson(*it, inv.cni_version);
    } catch (const Error& e) {
      throw InternalError("could not parse prevResult: " + e.msg());
    }
  }

  // Container MAC, lowest priority first.
  auto args = cni::CniArgs::Parse(inv.args, {"MAC"});
  if (auto mac = args.Get("MAC"); mac && !mac->empty()) conf.container_mac = *mac;
  if (const json* a = Object(j, "args")) {
    if (const json* c = Object(*a, "cni")) ReadString(*c, "mac", &conf.container_mac);
  }
  if (const json* rc = Object(j, "runtimeConfig")) ReadString(*rc, "mac", &conf.container_mac);

  // Validation, in the reference's order.
  if (conf.vlan < 0 || conf.vlan > 4094) {
    throw InternalError("invalid VLAN ID " + std::to_string(conf.vlan) + " (must be between 0 and 4094)");
  }
  if (conf.mtu < 0) LoadError("invalid MTU " + std::to_string(conf.mtu));
  if (conf.is_default_gateway) conf.is_gateway = true;
  if (conf.layer3() && conf.disable_container_interface) {
    throw InternalError("cannot use IPAM when DisableContainerInterface flag is set");
  }
  if (conf.hairpin_mode && conf.promisc_mode) {
    throw InternalError("cannot set hairpin mode and promiscuous mode at the same time");
  }
  // Checked here rather than after the veth and IP exist (the reference only notices at masq time).
  if (!conf.ip_masq_backend.empty() && conf.ip_masq_backend != "iptables" &&
      conf.ip_masq_backend != "nftables") {
    throw InternalError("unknown ipmasq backend \"" + conf.ip_masq_backend + "\"");
  }
  if (!conf.container_mac.empty()) {
    auto mac = NormalizeMac(conf.container_mac);
    if (!mac) throw InternalError("failed to make veth pair: address " + conf.container_mac + ": invalid MAC address");
    conf.container_mac = *mac;
  }
  return conf;
}

}  // namespace cnb::bridge
