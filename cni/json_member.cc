// SPDX-License-Identifier: Apache-2.0
#include "cni/json_member.h"

#include <cstdint>
#include <limits>

namespace cnb::cni {
namespace {

bool EqualFoldAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

const nlohmann::json* FindMember(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  if (auto it = obj.find(key); it != obj.end()) return &*it;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (EqualFoldAscii(it.key(), key)) return &*it;
  }
  return nullptr;
}

std::optional<int> IntInRange(const nlohmann::json& number) {
  constexpr int64_t kMin = std::numeric_limits<int>::min();
  constexpr int64_t kMax = std::numeric_limits<int>::max();
  if (number.is_number_unsigned()) {
    const uint64_t v = number.get<uint64_t>();
    if (v > static_cast<uint64_t>(kMax)) return std::nullopt;
    return static_cast<int>(v);
  }
  if (!number.is_number_integer()) return std::nullopt;
  const int64_t v = number.get<int64_t>();
  if (v < kMin || v > kMax) return std::nullopt;
  return static_cast<int>(v);
}

}  // namespace cnb::cni
