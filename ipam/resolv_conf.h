// SPDX-License-Identifier: Apache-2.0
// host-local's resolvConf: a resolv.conf-style file turned into the result's dns.
#pragma once

#include <string>

#include "cni/types.h"

namespace cnb::ipam {

// Reads a resolv.conf-style file into a DNS block: nameserver appends, domain (last wins),
// search/options append all their fields; '#' and ';' lines are comments.
cni::Dns ParseResolvConf(const std::string& path);

}  // namespace cnb::ipam
