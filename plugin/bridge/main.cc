// SPDX-License-Identifier: Apache-2.0
// The `bridge` executable: with CNI_COMMAND set, the CNI protocol and nothing else; without it,
// argv's --version, --help and the operator's `inspect`.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cni/skel.h"
#include "cni/version.h"
#include "plugin/bridge/bridge.h"
#include "plugin/bridge/inspect.h"

namespace {

bool Is(const char* arg, const char* long_form, const char* short_form) {
  return std::strcmp(arg, long_form) == 0 || (short_form && std::strcmp(arg, short_form) == 0);
}

}  // namespace

int main(int argc, char** argv) {
  // A runtime may pass arguments of its own: with CNI_COMMAND set, argv is never looked at.
  const bool cni_call = std::getenv("CNI_COMMAND") != nullptr;
  if (!cni_call && argc > 1 && Is(argv[1], "--version", "-v")) {
    std::printf("bridge %s\n", cnb::cni::BuildVersion().c_str());
    return 0;
  }
  if (!cni_call && argc > 1 && Is(argv[1], "--help", "-h")) {
    std::fputs(
        "bridge: CNI bridge plugin. Run by a container runtime with CNI_COMMAND and the\n"
        "network configuration on stdin (see the CNI specification).\n"
        "\n"
        "  bridge inspect --help   the node's attachments, for operators\n"
        "  bridge --version\n",
        stdout);
    return 0;
  }
  if (!cni_call && argc > 1 && Is(argv[1], "inspect", nullptr)) {
    const char* netconfpath = std::getenv("NETCONFPATH");
    return cnb::bridge::RunInspect(std::vector<std::string>(argv + 2, argv + argc), netconfpath ? netconfpath : "",
                                   stdout, stderr);
  }
  return cnb::cni::PluginMain(cnb::bridge::BridgeFuncs(), cnb::cni::ProcessEnv(), cnb::cni::ProcessIo());
}
