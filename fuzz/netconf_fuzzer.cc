// SPDX-License-Identifier: Apache-2.0
// The bridge's network config as a runtime writes it to stdin: through the skel (PluginMain, the
// one entry point that decodes stdin), then what the bridge and host-local make of it before
// touching the node: ParseNetConf (with prevResult, runtimeConfig, args, dns), LoadIpamConfig
// and GC's valid-attachments list. The same parsers also run on the decoded JSON directly, so
// that configs the skel turns away (a version we do not speak, ...) still reach them.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "cni/attachments.h"
#include "cni/json_member.h"
#include "cni/skel.h"
#include "cni/types.h"
#include "common/log.h"
#include "fuzz/fuzz_util.h"
#include "ipam/config.h"
#include "plugin/bridge/netconf.h"

namespace {

using cnb::fuzz::ExpectOnlyErrors;
using cnb::fuzz::Finding;
using nlohmann::json;
namespace cni = cnb::cni;

// A prevResult read back must survive being printed and read again in the newest version, the
// one whose shape keeps every field.
void CheckPrevResultRoundTrip(const cni::Result& prev) {
  ExpectOnlyErrors("prevResult re-encoding", [&] {
    const json encoded = cni::ResultToJson(prev, "1.1.0");
    const cni::Result again = cni::ResultFromJson(encoded, "1.1.0");
    if (again.ips != prev.ips || again.routes != prev.routes || again.dns != prev.dns ||
        again.interfaces != prev.interfaces) {
      Finding("prevResult changed in a 1.1.0 round trip: " +
              encoded.dump(-1, ' ', false, json::error_handler_t::replace));
    }
  });
}

// Everything the bridge and host-local parse from one invocation.
void ParseAll(const cni::Invocation& inv) {
  ExpectOnlyErrors("ParseNetConf", [&] {
    const cnb::bridge::NetConf conf = cnb::bridge::ParseNetConf(inv);
    (void)cnb::bridge::VlanGatewayName(conf);
    if (conf.prev_result && conf.cni_version == "1.1.0") CheckPrevResultRoundTrip(*conf.prev_result);
  });
  ExpectOnlyErrors("LoadIpamConfig", [&] { (void)cnb::ipam::LoadIpamConfig(inv.config, inv.args); });
  ExpectOnlyErrors("ValidAttachments", [&] { (void)cni::ValidAttachments(inv.config); });
}

// ADD through the skel with a valid environment; stdin is the input. Checks the protocol's
// promise: exactly one JSON document on stdout, and no 999 from the skel itself (it answers 999
// only for an exception that is not a cnb::Error, since ADD is implemented here).
void RunSkel(const std::string& stdin_data) {
  static const std::map<std::string, std::string> kEnv = {
      {"CNI_COMMAND", "ADD"}, {"CNI_CONTAINERID", "3f1c0a9e2b7d"}, {"CNI_NETNS", "/var/run/netns/fuzz"},
      {"CNI_IFNAME", "eth0"}, {"CNI_PATH", "/opt/cni/bin"},
  };
  bool reached = false;
  cni::PluginFuncs funcs;
  funcs.add = [&](const cni::Invocation& inv) {
    reached = true;
    ParseAll(inv);
    return cni::Result{};
  };
  std::string out;
  cni::PluginIo io;
  io.read_stdin = [&] { return stdin_data; };
  io.write_stdout = [&](std::string_view s) { out += s; };
  io.write_stderr = [](std::string_view) {};
  const cni::EnvLookup env = [](const std::string& name) {
    auto it = kEnv.find(name);
    return it == kEnv.end() ? std::string() : it->second;
  };
  const int status = cni::PluginMain(funcs, env, io);
  const json doc = json::parse(out, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) Finding("stdout is not one JSON object: " + out);
  if (status != 0 && !reached && doc.value("code", 0) == 999) Finding("the skel answered 999: " + out);
}

// The invocation the unit tests build: the config decoded leniently, whatever its version,
// through the parser every untrusted document goes through (it bounds the nesting).
void RunDirect(const std::string& data) {
  cni::Invocation inv;
  std::string error;
  inv.config = cni::ParseUntrustedJson(data, &error);
  if (inv.config.is_discarded() || !inv.config.is_object()) return;
  inv.container_id = "3f1c0a9e2b7d";
  inv.netns = "/var/run/netns/fuzz";
  inv.ifname = "eth0";
  if (auto it = inv.config.find("name"); it != inv.config.end() && it->is_string()) {
    inv.network_name = it->get<std::string>();
  }
  inv.cni_version = "0.1.0";
  if (auto it = inv.config.find("cniVersion"); it != inv.config.end() && it->is_string()) {
    inv.cni_version = it->get<std::string>();
  }
  ParseAll(inv);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cnb::log::SetStderr(false);  // the skel logs every error it answers
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  RunSkel(text);
  RunDirect(text);
  return 0;
}
