// SPDX-License-Identifier: Apache-2.0
// IP addresses and prefixes as plain values (no sockets, no JSON).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cnb {

class IpAddr {
 public:
  IpAddr() = default;  // the IPv4 address 0.0.0.0
  // Accepts dotted IPv4 or any textual IPv6; IPv4-mapped IPv6 ("::ffff:a.b.c.d") becomes IPv4,
  // as Go's net.ParseIP does.
  static std::optional<IpAddr> Parse(std::string_view text);
  static IpAddr FromV4(uint32_t host_order);
  static IpAddr FromBytes(int family, const uint8_t* bytes);

  int family() const { return v6_ ? 10 /*AF_INET6*/ : 2 /*AF_INET*/; }
  bool is_v4() const { return !v6_; }
  bool is_v6() const { return v6_; }
  int bits() const { return v6_ ? 128 : 32; }
  size_t size() const { return v6_ ? 16 : 4; }
  const uint8_t* bytes() const { return bytes_.data(); }

  // Dotted quad, or RFC 5952 compressed IPv6 (what Go prints, and so the IPAM file names).
  std::string ToString() const;
  bool IsZero() const;
  bool IsLinkLocalUnicast() const;
  bool IsMulticast() const;

  // Neighbouring addresses; they wrap around within the family.
  IpAddr Next() const;
  IpAddr Prev() const;
  // Keeps the first `prefix` bits and clears the rest.
  IpAddr Masked(int prefix) const;
  // Sets all bits after the first `prefix`.
  IpAddr LastInPrefix(int prefix) const;

  auto operator<=>(const IpAddr&) const = default;
  bool operator==(const IpAddr&) const = default;

 private:
  // The first `prefix` bits kept, the rest all set (`ones`) or all cleared.
  IpAddr WithHostBits(int prefix, bool ones) const;

  bool v6_ = false;
  std::array<uint8_t, 16> bytes_{};
};

// An address with a prefix length; host bits are kept (like Go's types.IPNet from ParseCIDR
// with the IP left unmasked), Network() masks them.
class IpNet {
 public:
  IpNet() = default;
  IpNet(IpAddr addr, int prefix) : addr_(addr), prefix_(prefix) {}
  // "a.b.c.d/n" or "x::y/n". Without a slash the result is nullopt.
  static std::optional<IpNet> Parse(std::string_view text);

  const IpAddr& addr() const { return addr_; }
  int prefix() const { return prefix_; }
  int family() const { return addr_.family(); }
  bool is_v4() const { return addr_.is_v4(); }

  IpAddr NetworkAddr() const { return addr_.Masked(prefix_); }
  IpNet Network() const { return IpNet(NetworkAddr(), prefix_); }
  IpAddr LastAddr() const { return addr_.LastInPrefix(prefix_); }
  bool HasHostBits() const { return NetworkAddr() != addr_; }
  bool Contains(const IpAddr& ip) const;
  bool Overlaps(const IpNet& other) const;
  bool IsDefaultRoute() const { return prefix_ == 0; }

  // "addr/prefix" with the host bits as stored.
  std::string ToString() const;

  auto operator<=>(const IpNet&) const = default;
  bool operator==(const IpNet&) const = default;

 private:
  IpAddr addr_;
  int prefix_ = 0;
};

}  // namespace cnb
