// SPDX-License-Identifier: Apache-2.0
// The `bridge` executable: argv only for --version/--help; everything else is the CNI protocol.
#include <cstdio>
#include <cstring>

#include "cni/skel.h"
#include "cni/version.h"
#include "plugin/bridge/bridge.h"

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-v") == 0)) {
    std::printf("bridge %s\n", cnb::cni::BuildVersion().c_str());
    return 0;
  }
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(
        "bridge: CNI bridge plugin. Run by a container runtime with CNI_COMMAND and the\n"
        "network configuration on stdin (see the CNI specification).\n",
        stdout);
    return 0;
  }
  return cnb::cni::PluginMain(cnb::bridge::BridgeFuncs(), cnb::cni::ProcessEnv(), cnb::cni::ProcessIo());
}
