// SPDX-License-Identifier: Apache-2.0
#include "ipam/allocator.h"

#include "common/error.h"

namespace cnb::ipam {

RangeIterator::RangeIterator(const RangeSet& set, std::optional<IpAddr> last_reserved) : set_(set) {
  // A last address outside the set (ranges changed) just restarts at the first range.
  if (last_reserved) {
    for (size_t i = 0; i < set_.size(); ++i) {
      if (set_[i].Contains(*last_reserved)) {
        range_index_ = i;
        cur_ = last_reserved;
        return;
      }
    }
  }
  start_ = set_[0].range_start;
}

std::optional<std::pair<IpAddr, const Range*>> RangeIterator::Next() {
  // Loop instead of the reference's recursion; each pass moves one address forward.
  for (;;) {
    const Range* r = &set_[range_index_];
    if (!cur_) {
      // First call without a last reservation: rangeStart itself is a candidate.
      cur_ = r->range_start;
      start_ = cur_;
      if (*cur_ == *r->gateway) continue;
      return std::make_pair(*cur_, r);
    }
    if (*cur_ == *r->range_end) {
      range_index_ = (range_index_ + 1) % set_.size();
      r = &set_[range_index_];
      cur_ = r->range_start;
    } else {
      cur_ = cur_->Next();
    }
    if (!start_) {
      start_ = cur_;
    } else if (*cur_ == *start_) {
      return std::nullopt;
    }
    if (*cur_ == *r->gateway) continue;
    return std::make_pair(*cur_, r);
  }
}

cni::IpConfig Allocator::Get(const Attachment& a, const std::optional<IpAddr>& requested) {
  if (requested) {
    const Range* r = RangeFor(set_, *requested);
    if (!r) throw InternalError(requested->ToString() + " not in range set " + RangeSetToString(set_));
    if (*requested == *r->gateway) {
      throw InternalError("requested ip " + requested->ToString() + " is subnet's gateway");
    }
    if (!store_.Reserve(a, *requested, range_index_)) {
      throw InternalError("requested IP address " + requested->ToString() + " is not available in range set " +
                          RangeSetToString(set_));
    }
    return cni::IpConfig{IpNet(*requested, r->subnet->prefix()), r->gateway, std::nullopt};
  }

  // The spec forbids a second ADD for the same attachment without a DEL in between.
  for (const auto& held : store_.GetByAttachment(a)) {
    if (RangeSetContains(set_, held)) {
      throw InternalError(held.ToString() + " has been allocated to " + a.container_id +
                          ", duplicate allocation is not allowed");
    }
  }

  RangeIterator it(set_, store_.LastReservedIp(range_index_));
  while (auto candidate = it.Next()) {
    if (store_.Reserve(a, candidate->first, range_index_)) {
      const Range* r = candidate->second;
      return cni::IpConfig{IpNet(candidate->first, r->subnet->prefix()), r->gateway, std::nullopt};
    }
  }
  throw InternalError("no IP addresses available in range set: " + RangeSetToString(set_));
}

}  // namespace cnb::ipam
