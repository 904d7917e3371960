// SPDX-License-Identifier: Apache-2.0
#include "common/rollback.h"

#include <exception>

#include "common/log.h"

namespace cnb {

void Rollback::Run() {
  auto undos = std::move(undos_);
  undos_.clear();
  for (auto it = undos.rbegin(); it != undos.rend(); ++it) {
    try {
      it->second();
    } catch (const std::exception& e) {
      log::Warn("rollback: " + it->first + " failed: " + e.what());
    } catch (...) {
      // Run() is called from the destructor: anything escaping would terminate the plugin
      // before the remaining undos and the error JSON.
      log::Warn("rollback: " + it->first + " failed: unknown exception");
    }
  }
}

}  // namespace cnb
