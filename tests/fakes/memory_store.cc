// SPDX-License-Identifier: Apache-2.0
#include "fakes/memory_store.h"

namespace cnb::ipam {

bool MemoryStore::Reserve(const Attachment& a, const IpAddr& ip, int range_index) {
  if (lock_depth_ <= 0) ++unlocked_reserves_;
  if (!reservations_.emplace(ip, ReservationKey(a)).second) return false;
  last_reserved_[range_index] = ip;
  return true;
}

std::optional<IpAddr> MemoryStore::LastReservedIp(int range_index) {
  auto it = last_reserved_.find(range_index);
  if (it == last_reserved_.end()) return std::nullopt;
  return it->second;
}

std::vector<IpAddr> MemoryStore::GetByAttachment(const Attachment& a) {
  std::string key = ReservationKey(a);
  std::string legacy = TrimSpace(a.container_id);
  std::vector<IpAddr> out;
  for (const auto& [ip, content] : reservations_) {
    std::string c = TrimSpace(content);
    if (c == key || c == legacy) out.push_back(ip);
  }
  return out;
}

void MemoryStore::ReleaseIp(const Attachment& a, const IpAddr& ip) {
  auto it = reservations_.find(ip);
  if (it != reservations_.end() && TrimSpace(it->second) == ReservationKey(a)) reservations_.erase(it);
}

void MemoryStore::ReleaseByAttachment(const Attachment& a) {
  auto release = [&](const std::string& match) {
    size_t n = 0;
    for (auto it = reservations_.begin(); it != reservations_.end();) {
      if (TrimSpace(it->second) == match) {
        it = reservations_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  };
  if (release(ReservationKey(a)) == 0) release(TrimSpace(a.container_id));
}

bool MemoryStore::FindByAttachment(const Attachment& a) {
  std::string key = ReservationKey(a);
  std::string legacy = TrimSpace(a.container_id);
  bool legacy_found = false;
  for (const auto& [ip, content] : reservations_) {
    std::string c = TrimSpace(content);
    if (c == key) return true;
    legacy_found = legacy_found || c == legacy;
  }
  return legacy_found;
}

std::vector<IpAddr> MemoryStore::ListReserved() {
  std::vector<IpAddr> out;
  for (const auto& [ip, content] : reservations_) out.push_back(ip);
  return out;
}

size_t MemoryStore::Gc(const std::set<Attachment>& valid) {
  GcPolicy policy(valid);
  size_t released = 0;
  for (auto it = reservations_.begin(); it != reservations_.end();) {
    if (policy.Keep(it->second)) {
      ++it;
    } else {
      it = reservations_.erase(it);
      ++released;
    }
  }
  return released;
}

}  // namespace cnb::ipam
