// SPDX-License-Identifier: Apache-2.0
// An in-memory Store with the disk store's matching rules, for allocator tests.
#pragma once

#include <map>

#include "ipam/store.h"

namespace cnb::ipam {

class MemoryStore : public Store {
 public:
  void Lock() override {
    ++lock_depth_;
    ++lock_count_;
  }
  void Unlock() override { --lock_depth_; }
  bool Reserve(const Attachment& a, const IpAddr& ip, int range_index) override;
  std::optional<IpAddr> LastReservedIp(int range_index) override;
  std::vector<IpAddr> GetByAttachment(const Attachment& a) override;
  void ReleaseIp(const Attachment& a, const IpAddr& ip) override;
  void ReleaseByAttachment(const Attachment& a) override;
  bool FindByAttachment(const Attachment& a) override;
  std::vector<IpAddr> ListReserved() override;
  size_t Gc(const std::set<Attachment>& valid) override;

  // Test access: file-like contents per address and the last-reserved markers.
  std::map<IpAddr, std::string>& reservations() { return reservations_; }
  std::map<int, IpAddr>& last_reserved() { return last_reserved_; }
  int lock_depth() const { return lock_depth_; }
  int lock_count() const { return lock_count_; }
  // Reserve calls made without the lock held (should stay 0).
  int unlocked_reserves() const { return unlocked_reserves_; }

 private:
  std::map<IpAddr, std::string> reservations_;
  std::map<int, IpAddr> last_reserved_;
  int lock_depth_ = 0;
  int lock_count_ = 0;
  int unlocked_reserves_ = 0;
};

}  // namespace cnb::ipam
