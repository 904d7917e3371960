// SPDX-License-Identifier: Apache-2.0
// Best-effort sysctls below a directory held open (netlink/sysctl.h says why). The knobs the
// bridge sets are absent when IPv6 is disabled on the node, and the reference ignores failing
// ones too, so failures are logged at debug and otherwise ignored.
#pragma once

#include <optional>
#include <string>

#include "netlink/sysctl.h"

namespace cnb::bridge {

// nullopt when the directory cannot be opened (then every write below it is a no-op).
std::optional<nl::SysctlDir> TryOpenSysctlDir(const std::string& key);
void TrySysctlIn(const std::optional<nl::SysctlDir>& dir, const std::string& name, const std::string& value);

}  // namespace cnb::bridge
