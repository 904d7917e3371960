// SPDX-License-Identifier: Apache-2.0
// SHA-512 (FIPS 180-4). Only used for naming masquerade chains and comments the way the
// reference plugins do; small and dependency-free because the binaries are linked statically.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace cnb {

class Sha512 {
 public:
  Sha512();
  void Update(std::string_view data);
  // Finishes the hash; the object must not be updated afterwards.
  std::array<uint8_t, 64> Final();

 private:
  void Block(const uint8_t* block);

  std::array<uint64_t, 8> state_;
  std::array<uint8_t, 128> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;  // messages over 2^61 bytes are not a concern here
};

std::array<uint8_t, 64> Sha512Digest(std::string_view data);
// Lower-case hex of the digest (128 characters), as Go's fmt "%x" prints it.
std::string Sha512Hex(std::string_view data);

}  // namespace cnb
