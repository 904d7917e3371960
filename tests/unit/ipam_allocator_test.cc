// SPDX-License-Identifier: Apache-2.0
// The allocator over the in-memory store: round robin, gateway skip, wrap-around, exhaustion,
// duplicates and requested IPs; plus dual stack through HostLocal-like use of two allocators.
#include <gtest/gtest.h>

#include "common/error.h"
#include "fakes/memory_store.h"
#include "ipam/allocator.h"

namespace cnb::ipam {
namespace {

IpAddr Ip(const char* s) { return *IpAddr::Parse(s); }

Range MakeRange(const char* subnet, const char* start = nullptr, const char* end = nullptr, const char* gw = nullptr) {
  Range r;
  r.subnet = *IpNet::Parse(subnet);
  if (start) r.range_start = Ip(start);
  if (end) r.range_end = Ip(end);
  if (gw) r.gateway = Ip(gw);
  return r;
}

RangeSet Set(std::vector<Range> ranges) {
  CanonicalizeRangeSet(ranges);
  return ranges;
}

class AllocatorTest : public ::testing::Test {
 protected:
  // Allocates for a fresh container id under the lock, as HostLocalAdd does.
  std::string Next(const RangeSet& set, int index = 0) {
    StoreLock lock(store_);
    Allocator alloc(set, store_, index);
    cni::IpConfig ip = alloc.Get(Attachment{"c" + std::to_string(counter_++), "eth0"}, std::nullopt);
    return ip.address.ToString();
  }
  std::string Error(const RangeSet& set, const Attachment& a, std::optional<IpAddr> want = std::nullopt) {
    StoreLock lock(store_);
    Allocator alloc(set, store_, 0);
    try {
      alloc.Get(a, want);
    } catch (const cnb::Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInternal);
      return e.msg();
    }
    return "";
  }
  MemoryStore store_;
  int counter_ = 0;
};

TEST_F(AllocatorTest, SequentialSkipsGatewayAndReportsMaskAndGateway) {
  RangeSet set = Set({MakeRange("10.1.2.0/24")});
  StoreLock lock(store_);
  Allocator alloc(set, store_, 0);
  cni::IpConfig ip = alloc.Get(Attachment{"a", "eth0"}, std::nullopt);
  EXPECT_EQ(ip.address.ToString(), "10.1.2.2/24");  // .1 is the gateway
  EXPECT_EQ(*ip.gateway, Ip("10.1.2.1"));
  EXPECT_FALSE(ip.interface);
  EXPECT_EQ(store_.reservations().at(Ip("10.1.2.2")), "a\r\neth0");
  EXPECT_EQ(store_.last_reserved().at(0), Ip("10.1.2.2"));
  EXPECT_EQ(store_.unlocked_reserves(), 0);
}

TEST_F(AllocatorTest, RoundRobinDoesNotReuseReleasedAddressStraightAway) {
  RangeSet set = Set({MakeRange("10.1.2.0/29")});  // .1(gw) .2-.6
  EXPECT_EQ(Next(set), "10.1.2.2/29");
  EXPECT_EQ(Next(set), "10.1.2.3/29");
  store_.ReleaseByAttachment(Attachment{"c0", "eth0"});  // frees .2
  EXPECT_EQ(Next(set), "10.1.2.4/29");
  EXPECT_EQ(Next(set), "10.1.2.5/29");
  EXPECT_EQ(Next(set), "10.1.2.6/29");
  // Wraps to the start, skips the gateway, finds the freed .2.
  EXPECT_EQ(Next(set), "10.1.2.2/29");
  EXPECT_EQ(Error(set, Attachment{"late", "eth0"}), "no IP addresses available in range set: 10.1.2.1-10.1.2.6");
}

TEST_F(AllocatorTest, LastReservedOutsideSetRestartsAtRangeStart) {
  RangeSet set = Set({MakeRange("10.1.2.0/24", "10.1.2.50", "10.1.2.60")});
  store_.last_reserved()[0] = Ip("192.168.0.9");
  EXPECT_EQ(Next(set), "10.1.2.50/24");
  store_.last_reserved()[0] = Ip("10.1.2.55");
  EXPECT_EQ(Next(set), "10.1.2.56/24");
}

TEST_F(AllocatorTest, RangeStartEqualToGatewayIsSkipped) {
  RangeSet set = Set({MakeRange("10.1.2.0/24", "10.1.2.1", "10.1.2.3")});
  EXPECT_EQ(Next(set), "10.1.2.2/24");
  EXPECT_EQ(Next(set), "10.1.2.3/24");
  EXPECT_EQ(Error(set, Attachment{"x", "eth0"}), "no IP addresses available in range set: 10.1.2.1-10.1.2.3");
}

TEST_F(AllocatorTest, WrapsAcrossRangesOfASet) {
  RangeSet set = Set({MakeRange("10.1.2.0/24", "10.1.2.10", "10.1.2.11"),
                      MakeRange("10.1.3.0/24", "10.1.3.20", "10.1.3.21", "10.1.3.1")});
  EXPECT_EQ(Next(set), "10.1.2.10/24");
  EXPECT_EQ(Next(set), "10.1.2.11/24");
  EXPECT_EQ(Next(set), "10.1.3.20/24");
  store_.ReleaseByAttachment(Attachment{"c0", "eth0"});
  EXPECT_EQ(Next(set), "10.1.3.21/24");
  EXPECT_EQ(Next(set), "10.1.2.10/24");  // wrapped from the last range to the first
  EXPECT_EQ(Error(set, Attachment{"x", "eth0"}),
            "no IP addresses available in range set: 10.1.2.10-10.1.2.11,10.1.3.20-10.1.3.21");
}

TEST_F(AllocatorTest, GatewayOfSecondRangeUsedInResult) {
  RangeSet set = Set({MakeRange("10.1.2.0/30"), MakeRange("10.1.3.0/24", nullptr, nullptr, "10.1.3.254")});
  EXPECT_EQ(Next(set), "10.1.2.2/30");
  StoreLock lock(store_);
  cni::IpConfig ip = Allocator(set, store_, 0).Get(Attachment{"z", "eth0"}, std::nullopt);
  EXPECT_EQ(ip.address.ToString(), "10.1.3.1/24");
  EXPECT_EQ(*ip.gateway, Ip("10.1.3.254"));
}

TEST_F(AllocatorTest, DuplicateAllocationRefused) {
  RangeSet set = Set({MakeRange("10.1.2.0/24")});
  Attachment a{"dup", "eth0"};
  EXPECT_EQ(Error(set, a), "");
  EXPECT_EQ(Error(set, a), "10.1.2.2 has been allocated to dup, duplicate allocation is not allowed");
  // Another interface of the same container is a different attachment.
  EXPECT_EQ(Error(set, Attachment{"dup", "eth1"}), "");
  // A reservation in another set's subnet does not count.
  RangeSet other = Set({MakeRange("10.9.0.0/24")});
  EXPECT_EQ(Error(other, a), "");
}

TEST_F(AllocatorTest, RequestedIps) {
  RangeSet set = Set({MakeRange("10.1.2.0/24", "10.1.2.10", "10.1.2.20")});
  EXPECT_EQ(Error(set, Attachment{"a", "eth0"}, Ip("10.1.2.15")), "");
  EXPECT_EQ(store_.reservations().at(Ip("10.1.2.15")), "a\r\neth0");
  EXPECT_EQ(Error(set, Attachment{"b", "eth0"}, Ip("10.1.2.15")),
            "requested IP address 10.1.2.15 is not available in range set 10.1.2.10-10.1.2.20");
  EXPECT_EQ(Error(set, Attachment{"b", "eth0"}, Ip("10.1.2.30")), "10.1.2.30 not in range set 10.1.2.10-10.1.2.20");
  RangeSet gw_inside = Set({MakeRange("10.1.3.0/24")});
  EXPECT_EQ(Error(gw_inside, Attachment{"b", "eth0"}, Ip("10.1.3.1")), "requested ip 10.1.3.1 is subnet's gateway");
  // Static requests skip the duplicate check, like the reference.
  EXPECT_EQ(Error(set, Attachment{"a", "eth0"}, Ip("10.1.2.16")), "");
}

TEST_F(AllocatorTest, DualStackUsesOneAllocatorPerSet) {
  RangeSet v4 = Set({MakeRange("10.1.2.0/24")});
  RangeSet v6 = Set({MakeRange("fd00:1::/64")});
  StoreLock lock(store_);
  Attachment a{"ds", "eth0"};
  cni::IpConfig ip4 = Allocator(v4, store_, 0).Get(a, std::nullopt);
  cni::IpConfig ip6 = Allocator(v6, store_, 1).Get(a, std::nullopt);
  EXPECT_EQ(ip4.address.ToString(), "10.1.2.2/24");
  EXPECT_EQ(ip6.address.ToString(), "fd00:1::2/64");
  EXPECT_EQ(*ip6.gateway, Ip("fd00:1::1"));
  EXPECT_EQ(store_.last_reserved().at(0), Ip("10.1.2.2"));
  EXPECT_EQ(store_.last_reserved().at(1), Ip("fd00:1::2"));
}

TEST(RangeIteratorTest, VisitsEveryAddressOnceFromLastReserved) {
  RangeSet set = Set({MakeRange("10.1.2.0/29")});
  RangeIterator it(set, Ip("10.1.2.4"));
  std::vector<std::string> seen;
  while (auto c = it.Next()) seen.push_back(c->first.ToString());
  EXPECT_EQ(seen, (std::vector<std::string>{"10.1.2.5", "10.1.2.6", "10.1.2.2", "10.1.2.3", "10.1.2.4"}));
}

}  // namespace
}  // namespace cnb::ipam
