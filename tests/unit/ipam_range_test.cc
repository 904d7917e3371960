// SPDX-License-Identifier: Apache-2.0
// Range and range-set canonicalization: defaults, every error text, membership and overlap.
#include <gtest/gtest.h>

#include <limits>

#include "common/error.h"
#include "ipam/range.h"

namespace cnb::ipam {
namespace {

IpAddr Ip(const char* s) { return *IpAddr::Parse(s); }
IpNet Net(const char* s) { return *IpNet::Parse(s); }

Range MakeRange(const char* subnet, const char* start = nullptr, const char* end = nullptr, const char* gw = nullptr) {
  Range r;
  r.subnet = Net(subnet);
  if (start) r.range_start = Ip(start);
  if (end) r.range_end = Ip(end);
  if (gw) r.gateway = Ip(gw);
  return r;
}

std::string CanonError(Range r) {
  try {
    r.Canonicalize();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
    return e.msg();
  }
  return "";
}

TEST(IpamRange, DefaultsV4) {
  Range r = MakeRange("10.1.2.0/24");
  r.Canonicalize();
  EXPECT_EQ(*r.gateway, Ip("10.1.2.1"));
  EXPECT_EQ(*r.range_start, Ip("10.1.2.1"));
  EXPECT_EQ(*r.range_end, Ip("10.1.2.254"));  // broadcast - 1
  EXPECT_EQ(r.ToString(), "10.1.2.1-10.1.2.254");
}

TEST(IpamRange, DefaultsV6EndIsLastAddress) {
  Range r = MakeRange("fd00:1::/120");
  r.Canonicalize();
  EXPECT_EQ(*r.gateway, Ip("fd00:1::1"));
  EXPECT_EQ(*r.range_start, Ip("fd00:1::1"));
  EXPECT_EQ(*r.range_end, Ip("fd00:1::ff"));
}

TEST(IpamRange, ExplicitValuesKept) {
  Range r = MakeRange("10.1.2.0/24", "10.1.2.10", "10.1.2.20", "10.1.2.254");
  r.Canonicalize();
  EXPECT_EQ(*r.gateway, Ip("10.1.2.254"));
  EXPECT_EQ(*r.range_start, Ip("10.1.2.10"));
  EXPECT_EQ(*r.range_end, Ip("10.1.2.20"));
}

TEST(IpamRange, SmallestUsableSubnets) {
  Range v4 = MakeRange("10.0.0.0/30");
  v4.Canonicalize();
  EXPECT_EQ(*v4.range_end, Ip("10.0.0.2"));
  Range v6 = MakeRange("fd00::/126");
  v6.Canonicalize();
  EXPECT_EQ(*v6.range_end, Ip("fd00::3"));
}

TEST(IpamRange, Errors) {
  Range none;
  EXPECT_EQ(CanonError(none), "IP <nil> not v4 nor v6");
  EXPECT_EQ(CanonError(MakeRange("10.0.0.0/31")), "Network 10.0.0.0/31 too small to allocate from");
  EXPECT_EQ(CanonError(MakeRange("10.0.0.1/32")), "Network 10.0.0.1/32 too small to allocate from");
  EXPECT_EQ(CanonError(MakeRange("fd00::/127")), "Network fd00::/127 too small to allocate from");
  EXPECT_EQ(CanonError(MakeRange("fd00::/128")), "Network fd00::/128 too small to allocate from");
  EXPECT_EQ(CanonError(MakeRange("10.1.2.5/24")),
            "Network has host bits set. For a subnet mask of length 24 the network address is 10.1.2.0");
  EXPECT_EQ(CanonError(MakeRange("10.1.2.0/24", "10.1.3.1")), "RangeStart 10.1.3.1 not in network 10.1.2.0/24");
  EXPECT_EQ(CanonError(MakeRange("10.1.2.0/24", nullptr, "10.1.3.1")), "RangeEnd 10.1.3.1 not in network 10.1.2.0/24");
  EXPECT_EQ(CanonError(MakeRange("10.1.2.0/24", "fd00::1")), "RangeStart fd00::1 not in network 10.1.2.0/24");
  // A start after the given end fails the start check, as in the reference.
  EXPECT_EQ(CanonError(MakeRange("10.1.2.0/24", "10.1.2.50", "10.1.2.40")),
            "RangeStart 10.1.2.50 not in network 10.1.2.0/24");
}

TEST(IpamRange, GatewayOutsideSubnetIsAcceptedLikeReference) {
  Range r = MakeRange("10.1.2.0/24", nullptr, nullptr, "10.9.9.9");
  EXPECT_EQ(CanonError(r), "");
}

TEST(IpamRange, ContainsHonoursBounds) {
  Range r = MakeRange("10.1.2.0/24", "10.1.2.10", "10.1.2.20");
  r.Canonicalize();
  EXPECT_FALSE(r.Contains(Ip("10.1.2.9")));
  EXPECT_TRUE(r.Contains(Ip("10.1.2.10")));
  EXPECT_TRUE(r.Contains(Ip("10.1.2.20")));
  EXPECT_FALSE(r.Contains(Ip("10.1.2.21")));
  EXPECT_FALSE(r.Contains(Ip("fd00::10")));
}

TEST(IpamRange, Capacity) {
  Range r = MakeRange("10.1.2.0/29");  // .1-.6, gateway .1 inside
  r.Canonicalize();
  EXPECT_EQ(r.Capacity(), 5u);
  Range outside_gw = MakeRange("10.1.2.0/24", "10.1.2.10", "10.1.2.19");
  outside_gw.Canonicalize();
  EXPECT_EQ(outside_gw.Capacity(), 10u);
  Range huge = MakeRange("fd00::/64");
  huge.Canonicalize();
  EXPECT_EQ(huge.Capacity(), std::numeric_limits<uint64_t>::max());
  Range big = MakeRange("fd00::/72");  // 2^56 addresses: exact
  big.Canonicalize();
  // ::1 .. last = 2^56 - 1 addresses, minus the gateway ::1.
  EXPECT_EQ(big.Capacity(), (uint64_t{1} << 56) - 2);
}

TEST(IpamRangeSet, CanonicalizeAndString) {
  RangeSet set = {MakeRange("10.1.2.0/24", "10.1.2.10", "10.1.2.20"), MakeRange("10.1.3.0/24")};
  CanonicalizeRangeSet(set);
  EXPECT_EQ(RangeSetToString(set), "10.1.2.10-10.1.2.20,10.1.3.1-10.1.3.254");
  EXPECT_TRUE(RangeSetContains(set, Ip("10.1.3.7")));
  EXPECT_EQ(RangeFor(set, Ip("10.1.3.7")), &set[1]);
  EXPECT_FALSE(RangeSetContains(set, Ip("10.1.2.21")));
}

TEST(IpamRangeSet, Errors) {
  auto error = [](RangeSet set) -> std::string {
    try {
      CanonicalizeRangeSet(set);
    } catch (const Error& e) {
      return e.msg();
    }
    return "";
  };
  EXPECT_EQ(error({}), "empty range set");
  EXPECT_EQ(error({MakeRange("10.1.2.0/24"), MakeRange("fd00::/64")}), "mixed address families");
  EXPECT_EQ(error({MakeRange("10.1.2.0/24"), MakeRange("10.1.2.0/25")}),
            "subnets 10.1.2.1-10.1.2.254 and 10.1.2.1-10.1.2.126 overlap");
  // Disjoint pieces of one subnet are fine.
  EXPECT_EQ(error({MakeRange("10.1.2.0/24", "10.1.2.1", "10.1.2.99"), MakeRange("10.1.2.0/24", "10.1.2.100")}), "");
  // Errors of a member come through unchanged.
  EXPECT_EQ(error({MakeRange("10.1.2.0/24"), MakeRange("10.1.3.0/31")}),
            "Network 10.1.3.0/31 too small to allocate from");
}

TEST(IpamRangeSet, OverlapBetweenSets) {
  RangeSet a = {MakeRange("10.1.0.0/16")};
  RangeSet b = {MakeRange("10.1.5.0/24")};
  RangeSet c = {MakeRange("10.2.0.0/16")};
  RangeSet v6 = {MakeRange("fd00::/64")};
  for (auto* s : {&a, &b, &c, &v6}) CanonicalizeRangeSet(*s);
  EXPECT_TRUE(RangeSetsOverlap(a, b));
  EXPECT_TRUE(RangeSetsOverlap(b, a));
  EXPECT_FALSE(RangeSetsOverlap(a, c));
  EXPECT_FALSE(RangeSetsOverlap(a, v6));
}

TEST(IpamRange, AddressCount) {
  EXPECT_EQ(AddressCount(Ip("10.0.0.1"), Ip("10.0.0.1")), 1u);
  EXPECT_EQ(AddressCount(Ip("10.0.0.255"), Ip("10.0.1.0")), 2u);
  EXPECT_EQ(AddressCount(Ip("10.0.0.2"), Ip("10.0.0.1")), 0u);
  EXPECT_EQ(AddressCount(Ip("0.0.0.0"), Ip("255.255.255.255")), uint64_t{1} << 32);
}

}  // namespace
}  // namespace cnb::ipam
