// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/sysctls.h"

#include "common/error.h"
#include "common/log.h"

namespace cnb::bridge {

std::optional<nl::SysctlDir> TryOpenSysctlDir(const std::string& key) {
  try {
    return nl::SysctlDir::Open(key);
  } catch (const Error& e) {
    log::Debug("sysctl directory " + key + ": " + e.msg());
    return std::nullopt;
  }
}

void TrySysctlIn(const std::optional<nl::SysctlDir>& dir, const std::string& name, const std::string& value) {
  if (!dir) return;
  try {
    dir->Ensure(name, value);
  } catch (const Error& e) {
    log::Debug("sysctl " + name + "=" + value + ": " + e.msg());
  }
}

}  // namespace cnb::bridge
