#include "common/ip.h"

#include <arpa/inet.h>

#include <charconv>
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
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(v6_ ? AF_INET6 : AF_INET, bytes_.data(), buf, sizeof buf)) return {};
  return buf;
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

IpAddr IpAddr::Masked(int prefix) const {
  IpAddr out = *this;
  for (int i = 0; i < static_cast<int>(size()); ++i) {
    int keep = prefix - i * 8;
    if (keep >= 8) continue;
    out.bytes_[i] &= keep <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
  }
  return out;
}

IpAddr IpAddr::LastInPrefix(int prefix) const {
  IpAddr out = *this;
  for (int i = 0; i < static_cast<int>(size()); ++i) {
    int keep = prefix - i * 8;
    if (keep >= 8) continue;
    out.bytes_[i] |= keep <= 0 ? 0xff : static_cast<uint8_t>(0xff >> keep);
  }
  return out;
}

std::optional<IpNet> IpNet::Parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = IpAddr::Parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  std::string_view len = text.substr(slash + 1);
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || ptr != len.data() + len.size() || len.empty()) return std::nullopt;
  // IPv4-mapped IPv6 with a v6-sized prefix: Go keeps it as a 128-bit mask; we only accept the
  // natural family sizes.
  if (prefix < 0 || prefix > ip->bits()) return std::nullopt;
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
