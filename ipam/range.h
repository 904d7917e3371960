// SPDX-License-Identifier: Apache-2.0
// Address ranges and range sets of host-local: validation, defaults and membership, with the
// reference's rules and error texts (backend/allocator/range.go, range_set.go).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.h"

namespace cnb::ipam {

struct Range {
  // Absent subnet is representable so that Canonicalize can report it like the reference.
  std::optional<IpNet> subnet;
  std::optional<IpAddr> range_start;  // inclusive
  std::optional<IpAddr> range_end;    // inclusive
  std::optional<IpAddr> gateway;

  // Checks the range and fills in the defaults (gateway and start = network+1, end = broadcast-1
  // for IPv4 or the last address for IPv6). Throws Error 999 with the reference's text.
  void Canonicalize();
  // Inside the subnet and within [start, end] (of a canonicalized range).
  bool Contains(const IpAddr& ip) const;
  bool Overlaps(const Range& other) const;
  // "<start>-<end>"
  std::string ToString() const;
  // Addresses in [start, end] minus the gateway when it lies inside; saturates at UINT64_MAX.
  uint64_t Capacity() const;
};

using RangeSet = std::vector<Range>;

// Canonicalizes every range, then checks that the set is one family and has no overlaps.
void CanonicalizeRangeSet(RangeSet& set);
const Range* RangeFor(const RangeSet& set, const IpAddr& ip);
inline bool RangeSetContains(const RangeSet& set, const IpAddr& ip) { return RangeFor(set, ip) != nullptr; }
bool RangeSetsOverlap(const RangeSet& a, const RangeSet& b);
// "<start>-<end>,<start>-<end>"
std::string RangeSetToString(const RangeSet& set);
uint64_t RangeSetCapacity(const RangeSet& set);

// Number of addresses from `first` to `last` inclusive (same family, first <= last), saturating.
uint64_t AddressCount(const IpAddr& first, const IpAddr& last);

}  // namespace cnb::ipam
