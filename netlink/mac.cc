// SPDX-License-Identifier: Apache-2.0
#include "netlink/mac.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>

#include "common/error.h"
#include "common/strings.h"

namespace cnb::nl {
namespace {

void RandomBytes(uint8_t* buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::getrandom(buf + got, len - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ErrnoError("failed to read random bytes", errno);
    }
    got += static_cast<size_t>(n);
  }
}

}  // namespace

bool ParseMac(const std::string& text, uint8_t out[6]) {
  if (text.size() != 17) return false;
  const char sep = text[2];
  if (sep != ':' && sep != '-') return false;
  for (size_t i = 0; i < 6; ++i) {
    int hi = HexDigitValue(text[i * 3]);
    int lo = HexDigitValue(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return false;
    if (i < 5 && text[i * 3 + 2] != sep) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

std::string FormatMac(const uint8_t b[6]) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return buf;
}

std::string RandomMac() {
  uint8_t b[6];
  RandomBytes(b, sizeof(b));
  b[0] = static_cast<uint8_t>((b[0] | 0x02) & ~0x01);  // locally administered, unicast
  return FormatMac(b);
}

std::string RandomVethName() {
  uint8_t b[4];
  RandomBytes(b, sizeof(b));
  char buf[16];
  std::snprintf(buf, sizeof(buf), "veth%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
  return buf;
}

}  // namespace cnb::nl
