// SPDX-License-Identifier: Apache-2.0
// One range set's allocator: the reference's round-robin iteration and requested-IP rules
// (backend/allocator/allocator.go). The caller holds the store's lock.
#pragma once

#include <optional>

#include "cni/types.h"
#include "ipam/range.h"
#include "ipam/store.h"

namespace cnb::ipam {

// Walks a range set starting after the last reserved address (so a crash-looping container
// does not get its old address straight back), wrapping across ranges and skipping gateways.
class RangeIterator {
 public:
  RangeIterator(const RangeSet& set, std::optional<IpAddr> last_reserved);
  // The next candidate and its range, or nullopt once every address was offered.
  std::optional<std::pair<IpAddr, const Range*>> Next();

 private:
  const RangeSet& set_;
  size_t range_index_ = 0;
  std::optional<IpAddr> cur_;
  std::optional<IpAddr> start_;
};

class Allocator {
 public:
  Allocator(const RangeSet& set, Store& store, int range_index) : set_(set), store_(store), range_index_(range_index) {}

  // Reserves `requested` (which must lie in the set) or the next free address. Throws Error 999
  // with the reference's messages (unwrapped; the caller adds "failed to allocate for range N").
  cni::IpConfig Get(const Attachment& a, const std::optional<IpAddr>& requested);

 private:
  const RangeSet& set_;
  Store& store_;
  int range_index_;
};

}  // namespace cnb::ipam
