// SPDX-License-Identifier: Apache-2.0
// `bridge inspect`: the operator's view of the node, from the same executable. It runs only
// from argv (main.cc never takes this path when CNI_COMMAND is set) and only reads.
//
//   bridge inspect [--json] [--config FILE]   every attachment of the node's bridge networks
//   bridge inspect [--json] --netns PATH|PID  a pod's veths and their host ends
//
// Networks are read the way cnitool finds them: $NETCONFPATH (default /etc/cni/net.d), or the
// one file given with --config.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace cnb::bridge {

// `args` are the words after "inspect"; `env_netconfpath` is $NETCONFPATH ("" when unset).
// Writes the listing to `out` and problems to `err`. Returns the exit status: 0, 1 when
// something could not be read (what could be is still listed), 2 for a usage error.
int RunInspect(const std::vector<std::string>& args, const std::string& env_netconfpath, std::FILE* out,
               std::FILE* err);

}  // namespace cnb::bridge
