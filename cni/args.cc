// SPDX-License-Identifier: Apache-2.0
#include "cni/args.h"

#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "common/strings.h"

namespace cnb::cni {

std::optional<bool> ParseArgBool(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "1" || lower == "true") return true;
  if (lower == "0" || lower == "false") return false;
  return std::nullopt;
}

CniArgs CniArgs::Parse(std::string_view text, const std::set<std::string>& known_keys) {
  CniArgs args;
  if (text.empty()) return args;
  std::vector<std::string> unknown;
  bool ignore_unknown = false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t semi = text.find(';', start);
    std::string pair(text.substr(start, semi == std::string_view::npos ? text.npos : semi - start));
    start = semi == std::string_view::npos ? text.size() + 1 : semi + 1;
    size_t eq = pair.find('=');
    if (eq == std::string::npos || pair.find('=', eq + 1) != std::string::npos) {
      throw InternalError("ARGS: invalid pair " + GoQuote(pair));
    }
    std::string key = pair.substr(0, eq);
    std::string value = pair.substr(eq + 1);
    if (key == "IgnoreUnknown") {
      auto b = ParseArgBool(value);
      if (!b) {
        // Lower-cased value and the stray ")" are the Go library's exact text.
        std::string lower(value);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        throw InternalError("ARGS: error parsing value of pair " + GoQuote(pair) +
                            ": boolean unmarshal error: invalid input " + lower + ")");
      }
      ignore_unknown = *b;
    } else if (!known_keys.count(key)) {
      unknown.push_back(pair);
    }
    args.pairs_.emplace_back(std::move(key), std::move(value));
  }
  if (!unknown.empty() && !ignore_unknown) throw InternalError("ARGS: unknown args " + GoQuoteList(unknown));
  return args;
}

std::optional<std::string> CniArgs::Get(std::string_view key) const {
  std::optional<std::string> out;
  for (const auto& [k, v] : pairs_)
    if (k == key) out = v;
  return out;
}

}  // namespace cnb::cni
