// SPDX-License-Identifier: Apache-2.0
// IpAddr / IpNet: parsing and printing as Go's net package does (IPAM file names and result JSON
// depend on the exact text), and the prefix arithmetic the allocator relies on.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include "common/ip.h"

namespace cnb {
namespace {

IpAddr A(const char* text) {
  auto ip = IpAddr::Parse(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(IpAddr());
}

IpNet N(const char* text) {
  auto net = IpNet::Parse(text);
  EXPECT_TRUE(net.has_value()) << text;
  return net.value_or(IpNet());
}

TEST(IpAddrParse, Ipv4) {
  auto ip = IpAddr::Parse("10.1.2.3");
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->is_v4());
  EXPECT_EQ(ip->family(), AF_INET);
  EXPECT_EQ(ip->bits(), 32);
  EXPECT_EQ(ip->size(), 4u);
  EXPECT_EQ(ip->bytes()[0], 10);
  EXPECT_EQ(ip->bytes()[3], 3);
  EXPECT_EQ(*ip, IpAddr::FromV4(0x0a010203));
  EXPECT_EQ(ip->ToString(), "10.1.2.3");
}

TEST(IpAddrParse, Ipv6) {
  auto ip = IpAddr::Parse("fd00:99:0:0:0:0:0:2");
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->is_v6());
  EXPECT_EQ(ip->family(), AF_INET6);
  EXPECT_EQ(ip->bits(), 128);
  EXPECT_EQ(ip->size(), 16u);
  EXPECT_EQ(ip->bytes()[0], 0xfd);
  EXPECT_EQ(ip->bytes()[3], 0x99);
  EXPECT_EQ(ip->bytes()[15], 2);
  EXPECT_EQ(ip->ToString(), "fd00:99::2");
}

TEST(IpAddrParse, MappedIpv6BecomesIpv4) {
  auto ip = IpAddr::Parse("::ffff:192.168.1.7");
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->is_v4());
  EXPECT_EQ(*ip, A("192.168.1.7"));
  EXPECT_EQ(ip->ToString(), "192.168.1.7");
  // Hex spelling of the same mapped address.
  EXPECT_EQ(A("::ffff:c0a8:107"), A("192.168.1.7"));
}

TEST(IpAddrParse, Invalid) {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "a.b.c.d", "::g",
        "1:2:3:4:5:6:7:8:9", "12345::", "fe80::1%eth0", "1.2.3.4/24", ":::", "1::2::3", "localhost"}) {
    EXPECT_FALSE(IpAddr::Parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(IpAddrToString, Rfc5952) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"::", "::"},
      {"::1", "::1"},
      {"FD00:0099:0000:0000:0000:0000:0000:0002", "fd00:99::2"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // equal runs: the first one is compressed
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // a single zero group stays
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},           // the longest run wins
      {"fe80::", "fe80::"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      // glibc's inet_ntop would print "::0.1.0.2" and "::1.2.3.4"; Go prints hex.
      {"::1:2", "::1:2"},
      {"::102:304", "::102:304"},
      {"::ffff:0:102:304", "::ffff:0:102:304"},
  };
  for (const auto& c : cases) EXPECT_EQ(A(c.in).ToString(), c.out) << c.in;
}

TEST(IpAddrToString, RoundTripsThroughParse) {
  for (const char* text : {"0.0.0.0", "255.255.255.255", "10.0.0.1", "::", "::1", "fd00:99::2", "2001:db8::1:0:0:1",
                           "::1:2", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
    EXPECT_EQ(A(text).ToString(), text);
    EXPECT_EQ(A(A(text).ToString().c_str()), A(text));
  }
}

TEST(IpAddrFromBytes, KeepsFamily) {
  uint8_t v4[4] = {192, 0, 2, 1};
  IpAddr a = IpAddr::FromBytes(AF_INET, v4);
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a.ToString(), "192.0.2.1");
  uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
  IpAddr b = IpAddr::FromBytes(AF_INET6, v6);
  EXPECT_TRUE(b.is_v6());
  EXPECT_EQ(b.ToString(), "2001:db8::10");
  // A mapped address handed over as IPv6 bytes prints like Go's net.IP: dotted.
  uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9};
  EXPECT_EQ(IpAddr::FromBytes(AF_INET6, mapped).ToString(), "10.0.0.9");
}

TEST(IpAddr, DefaultIsV4Zero) {
  IpAddr a;
  EXPECT_TRUE(a.is_v4());
  EXPECT_TRUE(a.IsZero());
  EXPECT_EQ(a.ToString(), "0.0.0.0");
  EXPECT_TRUE(A("::").IsZero());
  EXPECT_FALSE(A("::1").IsZero());
  // Same bytes, different family: not equal.
  EXPECT_NE(A("0.0.0.0"), A("::"));
}

TEST(IpAddr, Classification) {
  EXPECT_TRUE(A("169.254.3.4").IsLinkLocalUnicast());
  EXPECT_FALSE(A("169.253.3.4").IsLinkLocalUnicast());
  EXPECT_TRUE(A("fe80::1").IsLinkLocalUnicast());
  EXPECT_TRUE(A("febf::1").IsLinkLocalUnicast());
  EXPECT_FALSE(A("fec0::1").IsLinkLocalUnicast());
  EXPECT_TRUE(A("224.0.0.1").IsMulticast());
  EXPECT_TRUE(A("239.255.255.255").IsMulticast());
  EXPECT_FALSE(A("240.0.0.1").IsMulticast());
  EXPECT_TRUE(A("ff02::1").IsMulticast());
  EXPECT_FALSE(A("fe80::1").IsMulticast());
}

TEST(IpAddrArith, NextPrevCarry) {
  EXPECT_EQ(A("10.0.0.1").Next(), A("10.0.0.2"));
  EXPECT_EQ(A("10.0.0.255").Next(), A("10.0.1.0"));
  EXPECT_EQ(A("10.255.255.255").Next(), A("11.0.0.0"));
  EXPECT_EQ(A("10.0.1.0").Prev(), A("10.0.0.255"));
  EXPECT_EQ(A("11.0.0.0").Prev(), A("10.255.255.255"));
  EXPECT_EQ(A("fd00::ffff").Next(), A("fd00::1:0"));
  EXPECT_EQ(A("fd00::1:0").Prev(), A("fd00::ffff"));
  EXPECT_EQ(A("fd00:0:0:0:ffff:ffff:ffff:ffff").Next(), A("fd00:0:0:1::"));
}

TEST(IpAddrArith, NextPrevWrapWithinFamily) {
  EXPECT_EQ(A("255.255.255.255").Next(), A("0.0.0.0"));
  EXPECT_TRUE(A("255.255.255.255").Next().is_v4());
  EXPECT_EQ(A("0.0.0.0").Prev(), A("255.255.255.255"));
  EXPECT_EQ(A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").Next(), A("::"));
  EXPECT_TRUE(A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").Next().is_v6());
  EXPECT_EQ(A("::").Prev(), A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
}

TEST(IpAddrArith, MaskedAndLastInPrefix) {
  EXPECT_EQ(A("10.1.2.3").Masked(24), A("10.1.2.0"));
  EXPECT_EQ(A("10.1.2.3").Masked(23), A("10.1.2.0"));
  EXPECT_EQ(A("10.1.3.3").Masked(23), A("10.1.2.0"));
  EXPECT_EQ(A("10.1.2.3").Masked(0), A("0.0.0.0"));
  EXPECT_EQ(A("10.1.2.3").Masked(32), A("10.1.2.3"));
  EXPECT_EQ(A("10.1.2.3").Masked(12), A("10.0.0.0"));
  EXPECT_EQ(A("10.1.2.3").LastInPrefix(24), A("10.1.2.255"));
  EXPECT_EQ(A("10.1.2.3").LastInPrefix(23), A("10.1.3.255"));
  EXPECT_EQ(A("10.1.2.3").LastInPrefix(0), A("255.255.255.255"));
  EXPECT_EQ(A("10.1.2.3").LastInPrefix(32), A("10.1.2.3"));
  EXPECT_EQ(A("10.1.2.3").LastInPrefix(30), A("10.1.2.3"));
  EXPECT_EQ(A("fd00:1:2:3:4:5:6:7").Masked(64), A("fd00:1:2:3::"));
  EXPECT_EQ(A("fd00:1:2:3:4:5:6:7").Masked(56), A("fd00:1:2::"));
  EXPECT_EQ(A("fd00:1:2:3:4:5:6:7").LastInPrefix(64), A("fd00:1:2:3:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(A("fd00:1:2:3:4:5:6:7").LastInPrefix(125), A("fd00:1:2:3:4:5:6:7"));
  EXPECT_EQ(A("fd00:1:2:3:4:5:6:8").LastInPrefix(125), A("fd00:1:2:3:4:5:6:f"));
}

TEST(IpNetParse, KeepsHostBits) {
  IpNet n = N("10.1.2.3/24");
  EXPECT_EQ(n.addr(), A("10.1.2.3"));
  EXPECT_EQ(n.prefix(), 24);
  EXPECT_TRUE(n.is_v4());
  EXPECT_EQ(n.family(), AF_INET);
  EXPECT_EQ(n.ToString(), "10.1.2.3/24");
  EXPECT_EQ(n.NetworkAddr(), A("10.1.2.0"));
  EXPECT_EQ(n.Network(), N("10.1.2.0/24"));
  EXPECT_EQ(n.Network().ToString(), "10.1.2.0/24");
  EXPECT_EQ(n.LastAddr(), A("10.1.2.255"));
  EXPECT_TRUE(n.HasHostBits());
  EXPECT_FALSE(n.Network().HasHostBits());

  IpNet v6 = N("FD00:99:0::2/64");
  EXPECT_FALSE(v6.is_v4());
  EXPECT_EQ(v6.ToString(), "fd00:99::2/64");
  EXPECT_EQ(v6.Network().ToString(), "fd00:99::/64");
  EXPECT_TRUE(v6.HasHostBits());
}

TEST(IpNetParse, PrefixBounds) {
  EXPECT_EQ(N("10.0.0.0/0").prefix(), 0);
  EXPECT_TRUE(N("0.0.0.0/0").IsDefaultRoute());
  EXPECT_TRUE(N("::/0").IsDefaultRoute());
  EXPECT_FALSE(N("10.0.0.0/8").IsDefaultRoute());
  EXPECT_EQ(N("10.0.0.1/32").prefix(), 32);
  EXPECT_EQ(N("::1/128").prefix(), 128);
  EXPECT_EQ(N("10.0.0.1/024").prefix(), 24);  // Go's dtoi takes leading zeros
  for (const char* bad :
       {"10.0.0.1/33", "::1/129", "10.0.0.1/-1", "10.0.0.1/-0", "10.0.0.1/+8", "10.0.0.1/", "10.0.0.1", "10.0.0.1/8/8",
        "10.0.0.1/ 8", "10.0.0.1/8 ", "10.0.0.1/0x8", "/8", "10.0.0/8", "10.0.0.1/99999999999999999999"}) {
    EXPECT_FALSE(IpNet::Parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(IpNetParse, MappedCidrActsAsIpv4) {
  // Go keeps a 128-bit mask over the mapped address: /120 means the IPv4 /24.
  IpNet n = N("::ffff:10.1.2.3/120");
  EXPECT_TRUE(n.is_v4());
  EXPECT_EQ(n.prefix(), 24);
  EXPECT_EQ(n.ToString(), "10.1.2.3/24");
  EXPECT_EQ(N("::ffff:10.1.2.3/128").prefix(), 32);
  EXPECT_FALSE(IpNet::Parse("::ffff:10.1.2.3/64").has_value());
}

TEST(IpNet, Contains) {
  IpNet n = N("10.1.2.77/24");
  EXPECT_TRUE(n.Contains(A("10.1.2.0")));
  EXPECT_TRUE(n.Contains(A("10.1.2.255")));
  EXPECT_TRUE(n.Contains(A("10.1.2.77")));
  EXPECT_FALSE(n.Contains(A("10.1.3.0")));
  EXPECT_FALSE(n.Contains(A("10.1.1.255")));
  EXPECT_FALSE(N("0.0.0.0/0").Contains(A("::1")));  // never across families
  EXPECT_TRUE(N("0.0.0.0/0").Contains(A("1.2.3.4")));
  EXPECT_TRUE(N("::/0").Contains(A("fd00::1")));
  EXPECT_FALSE(N("::/0").Contains(A("1.2.3.4")));
  EXPECT_TRUE(N("fd00:99::/64").Contains(A("fd00:99::ffff:1")));
  EXPECT_FALSE(N("fd00:99::/64").Contains(A("fd00:99:0:1::1")));
  EXPECT_TRUE(N("10.0.0.5/32").Contains(A("10.0.0.5")));
  EXPECT_FALSE(N("10.0.0.5/32").Contains(A("10.0.0.4")));
}

TEST(IpNet, Overlaps) {
  EXPECT_TRUE(N("10.0.0.0/8").Overlaps(N("10.1.0.0/16")));
  EXPECT_TRUE(N("10.1.0.0/16").Overlaps(N("10.0.0.0/8")));
  EXPECT_TRUE(N("10.1.0.0/16").Overlaps(N("10.1.255.7/24")));
  EXPECT_FALSE(N("10.1.0.0/16").Overlaps(N("10.2.0.0/16")));
  EXPECT_FALSE(N("10.0.0.0/24").Overlaps(N("10.0.1.0/24")));
  EXPECT_FALSE(N("0.0.0.0/0").Overlaps(N("::/0")));
  EXPECT_TRUE(N("fd00::/48").Overlaps(N("fd00:0:0:5::/64")));
  EXPECT_FALSE(N("fd00::/64").Overlaps(N("fd00:0:0:1::/64")));
}

TEST(IpNet, Ordering) {
  // Value semantics used by sets/maps in the allocator.
  EXPECT_LT(A("10.0.0.1"), A("10.0.0.2"));
  EXPECT_LT(A("9.255.255.255"), A("10.0.0.0"));
  EXPECT_EQ(N("10.0.0.1/24"), N("10.0.0.1/24"));
  EXPECT_NE(N("10.0.0.1/24"), N("10.0.0.1/25"));
  EXPECT_NE(N("10.0.0.1/24"), N("10.0.0.2/24"));
}

}  // namespace
}  // namespace cnb
