// SPDX-License-Identifier: Apache-2.0
#include "ipam/range.h"

#include <limits>

#include "common/error.h"

namespace cnb::ipam {

void Range::Canonicalize() {
  if (!subnet) throw InternalError("IP <nil> not v4 nor v6");
  int prefix = subnet->prefix();
  // Too-small is checked before host bits, as the reference does, so "10.0.0.5/31" reports
  // the size problem with the address as written.
  if (prefix > subnet->addr().bits() - 2) {
    throw InternalError("Network " + subnet->ToString() + " too small to allocate from");
  }
  if (subnet->HasHostBits()) {
    throw InternalError("Network has host bits set. For a subnet mask of length " + std::to_string(prefix) +
                        " the network address is " + subnet->NetworkAddr().ToString());
  }
  IpAddr network = subnet->NetworkAddr();
  // The reference neither checks the gateway's family nor that it lies in the subnet.
  if (!gateway) gateway = network.Next();

  // Like the reference, start and end are checked with Contains() while the other bound may
  // still be unset, so a start after a user-given end is reported as "not in network".
  if (range_start) {
    if (!Contains(*range_start)) {
      throw InternalError("RangeStart " + range_start->ToString() + " not in network " + subnet->ToString());
    }
  } else {
    range_start = network.Next();
  }
  if (range_end) {
    if (!Contains(*range_end)) {
      throw InternalError("RangeEnd " + range_end->ToString() + " not in network " + subnet->ToString());
    }
  } else {
    IpAddr last = subnet->LastAddr();
    range_end = last.is_v4() ? last.Prev() : last;
  }
}

bool Range::Contains(const IpAddr& ip) const {
  if (!subnet || ip.family() != subnet->family() || !subnet->Contains(ip)) return false;
  if (range_start && ip < *range_start) return false;
  if (range_end && ip > *range_end) return false;
  return true;
}

bool Range::Overlaps(const Range& other) const {
  if (!range_start || !other.range_start || range_start->family() != other.range_start->family()) return false;
  return Contains(*other.range_start) || Contains(*other.range_end) || other.Contains(*range_start) ||
         other.Contains(*range_end);
}

std::string Range::ToString() const {
  auto text = [](const std::optional<IpAddr>& ip) { return ip ? ip->ToString() : std::string("<nil>"); };
  return text(range_start) + "-" + text(range_end);
}

uint64_t AddressCount(const IpAddr& first, const IpAddr& last) {
  if (last < first) return 0;
  // Subtract as big-endian bytes; any difference beyond 64 bits saturates.
  const size_t n = first.size();
  uint8_t diff[16] = {};
  int borrow = 0;
  for (size_t i = n; i-- > 0;) {
    int d = static_cast<int>(last.bytes()[i]) - static_cast<int>(first.bytes()[i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    diff[i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  const uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (size_t i = 0; i + 8 < n; ++i)
    if (diff[i] != 0) return kMax;
  uint64_t value = 0;
  for (size_t i = n >= 8 ? n - 8 : 0; i < n; ++i) value = (value << 8) | diff[i];
  return value == kMax ? kMax : value + 1;
}

uint64_t Range::Capacity() const {
  if (!range_start || !range_end) return 0;
  uint64_t count = AddressCount(*range_start, *range_end);
  if (count != std::numeric_limits<uint64_t>::max() && gateway && Contains(*gateway) && count > 0) --count;
  return count;
}

void CanonicalizeRangeSet(RangeSet& set) {
  if (set.empty()) throw InternalError("empty range set");
  for (size_t i = 0; i < set.size(); ++i) {
    set[i].Canonicalize();
    if (i > 0 && set[i].range_start->family() != set[0].range_start->family()) {
      throw InternalError("mixed address families");
    }
  }
  for (size_t i = 0; i + 1 < set.size(); ++i) {
    for (size_t j = i + 1; j < set.size(); ++j) {
      if (set[i].Overlaps(set[j])) {
        throw InternalError("subnets " + set[i].ToString() + " and " + set[j].ToString() + " overlap");
      }
    }
  }
}

const Range* RangeFor(const RangeSet& set, const IpAddr& ip) {
  for (const auto& r : set)
    if (r.Contains(ip)) return &r;
  return nullptr;
}

bool RangeSetsOverlap(const RangeSet& a, const RangeSet& b) {
  for (const auto& r : a)
    for (const auto& r2 : b)
      if (r.Overlaps(r2)) return true;
  return false;
}

std::string RangeSetToString(const RangeSet& set) {
  std::string out;
  for (size_t i = 0; i < set.size(); ++i) {
    if (i) out += ",";
    out += set[i].ToString();
  }
  return out;
}

uint64_t RangeSetCapacity(const RangeSet& set) {
  uint64_t total = 0;
  for (const auto& r : set) {
    uint64_t c = r.Capacity();
    total = c > std::numeric_limits<uint64_t>::max() - total ? std::numeric_limits<uint64_t>::max() : total + c;
  }
  return total;
}

}  // namespace cnb::ipam
