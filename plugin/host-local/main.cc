// SPDX-License-Identifier: Apache-2.0
// The standalone host-local IPAM plugin: a thin shell over the protocol layer.
#include <cstdio>
#include <string_view>

#include "cni/skel.h"
#include "cni/version.h"
#include "plugin/host-local/host_local.h"

int main(int argc, char** argv) {
  if (argc > 1 && (std::string_view(argv[1]) == "--version" || std::string_view(argv[1]) == "-v")) {
    std::printf("host-local %s\n", cnb::cni::BuildVersion().c_str());
    return 0;
  }
  return cnb::cni::PluginMain(cnb::host_local::Funcs(), cnb::cni::ProcessEnv(), cnb::cni::ProcessIo());
}
