// SPDX-License-Identifier: Apache-2.0
// The network configurations on a node, found the way libcni (and so cnitool) finds them: the
// *.conflist, *.conf and *.json files of one directory ($NETCONFPATH, default /etc/cni/net.d),
// conflists first, each kind in name order; a network name seen again is skipped. A .conf or
// .json file is a single plugin's config and becomes a list of one.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cnb::cni {

inline constexpr const char* kDefaultNetconfDir = "/etc/cni/net.d";

struct NetworkConfigFile {
  std::string path;
  std::string name;         // the network's name
  std::string cni_version;  // the list's cniVersion, "" when absent
  // Each plugin's config as the runtime passes it on stdin: name and cniVersion filled in.
  std::vector<nlohmann::json> plugins;
};

// One file. Throws Error 6 (decode) for JSON that does not parse and 7 (invalid config) for a
// config without a name or plugins; 5 (I/O) when the file cannot be read.
NetworkConfigFile LoadNetworkConfigFile(const std::string& path);

struct NetworkConfigScan {
  std::vector<NetworkConfigFile> networks;
  std::vector<std::string> errors;  // "<path>: <what is wrong>", one per unusable file
};
// Every network of `dir`. Throws Error 5 when the directory cannot be read (a missing one
// holds no networks).
NetworkConfigScan FindNetworkConfigs(const std::string& dir);

}  // namespace cnb::cni
