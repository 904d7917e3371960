// SPDX-License-Identifier: Apache-2.0
// CNI_ARGS: the input is the variable's value, given to the parser itself (with the keys the
// plugins know) and to ParseNetConf and LoadIpamConfig with fixed, valid configs, as the bridge
// and host-local see it on ADD.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "cni/args.h"
#include "cni/skel.h"
#include "common/log.h"
#include "fuzz/fuzz_util.h"
#include "ipam/config.h"
#include "plugin/bridge/netconf.h"

namespace {

using cnb::fuzz::ExpectOnlyErrors;
using cnb::fuzz::Finding;
using nlohmann::json;
namespace cni = cnb::cni;

// containerd's default bridge network, and podman's with a static MAC and IP through
// runtimeConfig and args (both also read CNI_ARGS).
const char* const kConfigs[] = {
    R"({"cniVersion":"1.0.0","name":"containerd-net","type":"bridge","bridge":"cni0","isGateway":true,
        "ipMasq":true,"promiscMode":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.88.0.0/16"}],
        [{"subnet":"2001:4860:4860::/64"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}]}})",
    R"({"cniVersion":"0.4.0","name":"podman","type":"bridge","bridge":"cni-podman0","isGateway":true,
        "ipMasq":true,"hairpinMode":true,"runtimeConfig":{"mac":"92:d0:c6:0a:29:33","ips":["10.89.0.7"]},
        "args":{"cni":{"ips":["10.89.0.8"]}},"ipam":{"type":"host-local","routes":[{"dst":"0.0.0.0/0"}],
        "ranges":[[{"subnet":"10.89.0.0/24","gateway":"10.89.0.1"}]]}})",
};

const std::set<std::string> kKnownKeys = {
    "IP", "MAC", "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID"};

// The parser alone: what it accepts, printed back as "K=V;...", parses to the same pairs.
void ParseArgs(const std::string& text) {
  ExpectOnlyErrors("CniArgs::Parse", [&] {
    const cni::CniArgs args = cni::CniArgs::Parse(text, kKnownKeys);
    std::string again;
    for (const auto& [key, value] : args.pairs()) {
      (void)cni::ParseArgBool(value);
      if (!again.empty()) again += ';';
      again += key + "=" + value;
    }
    if (!again.empty() && cni::CniArgs::Parse(again, kKnownKeys).pairs() != args.pairs()) {
      Finding("CNI_ARGS pairs changed when printed and parsed again: " + again);
    }
    if (auto ip = args.Get("IP")) (void)cnb::ipam::ParseRequestedIp(*ip);
  });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cnb::log::SetStderr(false);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<json> configs = [] {
    std::vector<json> out;
    for (const char* c : kConfigs) out.push_back(json::parse(c));
    return out;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  ParseArgs(text);
  for (const json& config : configs) {
    cni::Invocation inv;
    inv.config = config;
    inv.network_name = config["name"].get<std::string>();
    inv.cni_version = config["cniVersion"].get<std::string>();
    inv.container_id = "3f1c0a9e2b7d";
    inv.netns = "/var/run/netns/fuzz";
    inv.ifname = "eth0";
    inv.args = text;
    ExpectOnlyErrors("ParseNetConf", [&] { (void)cnb::bridge::ParseNetConf(inv); });
    ExpectOnlyErrors("LoadIpamConfig", [&] { (void)cnb::ipam::LoadIpamConfig(inv.config, inv.args); });
  }
  return 0;
}
