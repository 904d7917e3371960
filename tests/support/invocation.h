// SPDX-License-Identifier: Apache-2.0
// An invocation as the skel would build it, for tests that call command functions directly.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cni/skel.h"

namespace cnb::test {

inline cni::Invocation MakeInvocation(cni::Command cmd, const nlohmann::json& config, const std::string& id = "ctr1",
                                      const std::string& ifname = "eth0", const std::string& args = "") {
  cni::Invocation inv;
  inv.command = cmd;
  inv.container_id = id;
  inv.netns = "/var/run/netns/none";
  inv.ifname = ifname;
  inv.args = args;
  inv.path = "/opt/cni/bin";
  inv.config = config;
  inv.stdin_data = config.dump();
  inv.cni_version = config.value("cniVersion", std::string("0.1.0"));
  inv.network_name = config.value("name", std::string());
  inv.env = [](const std::string&) { return std::string(); };
  return inv;
}

}  // namespace cnb::test
