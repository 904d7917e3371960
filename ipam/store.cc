// SPDX-License-Identifier: Apache-2.0
#include "ipam/store.h"

namespace cnb::ipam {

std::string ReservationKey(const Attachment& a) { return TrimSpace(a.container_id) + "\r\n" + a.ifname; }

GcPolicy::GcPolicy(const std::set<Attachment>& valid) {
  for (const auto& a : valid) {
    keys_.insert(ReservationKey(a));
    ids_.insert(TrimSpace(a.container_id));
  }
}

bool GcPolicy::Keep(std::string_view content) const {
  std::string c = TrimSpace(content);
  if (c.find("\r\n") != std::string::npos) return keys_.count(c) > 0;
  return !c.empty() && ids_.count(c) > 0;
}

}  // namespace cnb::ipam
