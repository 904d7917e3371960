// SPDX-License-Identifier: Apache-2.0
// Object member lookup the way Go's encoding/json matches keys to struct fields, which is how the
// reference plugins (and libcni) read a network config: the exact key if present, else one that
// differs only in ASCII case. So "ipmasq": true turns masquerading on there, and here too.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cnb::cni {

// nullptr when `obj` is not an object or has no such member. A member whose value is null is
// returned as such; callers treat it as absent, as Go leaves the field unset.
const nlohmann::json* FindMember(const nlohmann::json& obj, std::string_view key);

// Untrusted JSON text parsed, or a discarded value (is_discarded()) with `error` saying why: a
// syntax error, a number too large for a double, or nesting deeper than kMaxJsonDepth
// ("exceeded max depth", Go's words), checked before parsing. Go's decoder stops at 10000
// levels; ours stops at 1000, because copying a document recurses once per level and 10000
// levels already overflow the stack of the sanitizer build. No CNI config nests past a dozen.
inline constexpr size_t kMaxJsonDepth = 1000;
nlohmann::json ParseUntrustedJson(std::string_view text, std::string* error);

// The value of an integer JSON number that fits in an int; nullopt for one that does not.
// Checked on the number itself: narrowing first would turn 2^32 + 1400 into 1400.
std::optional<int> IntInRange(const nlohmann::json& number);

}  // namespace cnb::cni
