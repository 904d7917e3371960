// SPDX-License-Identifier: Apache-2.0
#include "common/ip.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace cnb {

std::optional<IpAddr> IpAddr::Parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddr ip;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), ip.bytes_.data()) != 1) return std::nullopt;
    return ip;
  }
  std::array<uint8_t, 16> raw{};
  if (inet_pton(AF_INET6, s.c_str(), raw.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(raw.data(), kMapped, 12) == 0) {
    std::memcpy(ip.bytes_.data(), raw.data() + 12, 4);
    return ip;
  }
  ip.v6_ = true;
  ip.bytes_ = raw;
  return ip;
}

IpAddr IpAddr::FromV4(uint32_t host_order) {
  IpAddr ip;
  ip.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  ip.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  ip.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  ip.bytes_[3] = static_cast<uint8_t>(host_order);
  return ip;
}

IpAddr IpAddr::FromBytes(int family, const uint8_t* bytes) {
  IpAddr ip;
  ip.v6_ = family == AF_INET6;
  std::memcpy(ip.bytes_.data(), bytes, ip.size());
  return ip;
}

std::string IpAddr::ToString() const {
  auto dotted = [](const uint8_t* b) {
    return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." + std::to_string(b[3]);
  };
  if (!v6_) return dotted(bytes_.data());
  // A mapped address only reaches here through FromBytes; Go prints those dotted too.
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes_.data(), kMapped, 12) == 0) return dotted(bytes_.data() + 12);
  // RFC 5952 by hand: glibc's inet_ntop switches to "::a.b.c.d" for addresses whose first 96 bits
  // are zero ("::1:2" -> "::0.1.0.2"), which Go never does, and IPAM file names must agree.
  uint16_t groups[8];
  for (size_t i = 0; i < 8; ++i) groups[i] = static_cast<uint16_t>(bytes_[2 * i] << 8 | bytes_[2 * i + 1]);
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) best_start = i, best_len = j - i;
    i = j;
  }
  if (best_len < 2) best_start = -1;  // a single zero group is never compressed
  std::string out;
  char hex[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(hex, sizeof hex, "%x", groups[i]);
    out += hex;
  }
  return out;
}

bool IpAddr::IsZero() const {
  for (size_t i = 0; i < size(); ++i)
    if (bytes_[i] != 0) return false;
  return true;
}

bool IpAddr::IsLinkLocalUnicast() const {
  if (v6_) return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
  return bytes_[0] == 169 && bytes_[1] == 254;
}

bool IpAddr::IsMulticast() const {
  if (v6_) return bytes_[0] == 0xff;
  return (bytes_[0] & 0xf0) == 0xe0;
}

IpAddr IpAddr::Next() const {
  IpAddr out = *this;
  for (int i = static_cast<int>(size()) - 1; i >= 0; --i) {
    if (++out.bytes_[i] != 0) break;
  }
  return out;
}

IpAddr IpAddr::Prev() const {
  IpAddr out = *this;
  for (int i = static_cast<int>(size()) - 1; i >= 0; --i) {
    if (out.bytes_[i]-- != 0) break;
  }
  return out;
}

IpAddr IpAddr::WithHostBits(int prefix, bool ones) const {
  IpAddr out = *this;
  for (int i = 0; i < static_cast<int>(size()); ++i) {
    const int keep = prefix - i * 8;  // network bits in this byte
    if (keep >= 8) continue;
    const uint8_t host = keep <= 0 ? 0xff : static_cast<uint8_t>(0xff >> keep);
    out.bytes_[i] = ones ? (out.bytes_[i] | host) : (out.bytes_[i] & static_cast<uint8_t>(~host));
  }
  return out;
}

IpAddr IpAddr::Masked(int prefix) const { return WithHostBits(prefix, false); }

IpAddr IpAddr::LastInPrefix(int prefix) const { return WithHostBits(prefix, true); }

std::optional<IpNet> IpNet::Parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = IpAddr::Parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  std::string_view len = text.substr(slash + 1);
  // Digits only, leading zeros allowed, as Go's dtoi (from_chars alone would take "-0").
  if (len.empty()) return std::nullopt;
  int prefix = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return std::nullopt;
    prefix = prefix * 10 + (c - '0');
    if (prefix > 128) return std::nullopt;
  }
  // "::ffff:a.b.c.d/N": Go keeps a 128-bit mask over the mapped address, which acts as the IPv4
  // prefix N-96; shorter masks would cover non-IPv4 space, so they are refused.
  bool mapped = ip->is_v4() && text.substr(0, slash).find(':') != std::string_view::npos;
  if (mapped) {
    if (prefix < 96) return std::nullopt;
    prefix -= 96;
  }
  if (prefix > ip->bits()) return std::nullopt;
  return IpNet(*ip, prefix);
}

bool IpNet::Contains(const IpAddr& ip) const {
  return ip.family() == addr_.family() && ip.Masked(prefix_) == NetworkAddr();
}

bool IpNet::Overlaps(const IpNet& other) const {
  return Contains(other.NetworkAddr()) || other.Contains(NetworkAddr());
}

std::string IpNet::ToString() const { return addr_.ToString() + "/" + std::to_string(prefix_); }

}  // namespace cnb
