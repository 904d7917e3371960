// SPDX-License-Identifier: Apache-2.0
#include "common/error_list.h"

namespace cnb {

void ErrorList::ThrowIfAny() const {
  if (errors_.empty()) return;
  if (errors_.size() == 1) throw errors_.front();
  std::string msg;
  for (const auto& e : errors_) msg += (msg.empty() ? "" : "; ") + e.msg();
  const Error& first = errors_.front();
  throw Error(first.code(), std::move(msg), first.details(), first.sys_errno());
}

}  // namespace cnb
