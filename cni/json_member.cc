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

namespace {

bool NestedDeeperThan(std::string_view text, size_t limit) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

}  // namespace

nlohmann::json ParseUntrustedJson(std::string_view text, std::string* error) {
  if (NestedDeeperThan(text, kMaxJsonDepth)) {
    *error = "exceeded max depth";
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for 1e400
    *error = e.what();
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

}  // namespace cnb::cni
