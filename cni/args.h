// SPDX-License-Identifier: Apache-2.0
// CNI_ARGS: "K=V;K2=V2", with the Go library's rules (case-sensitive keys, IgnoreUnknown).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cnb::cni {

class CniArgs {
 public:
  // Parses `text` accepting `known_keys` (IgnoreUnknown is always known). Unknown keys are an
  // error unless IgnoreUnknown is 1/true. Errors are code 999 with the reference's "ARGS: ..." text.
  static CniArgs Parse(std::string_view text, const std::set<std::string>& known_keys);

  // Last value given for `key`, if any.
  std::optional<std::string> Get(std::string_view key) const;
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Parses the Go library's UnmarshallableBool ("1"/"true" and "0"/"false", any case).
std::optional<bool> ParseArgBool(std::string_view text);

}  // namespace cnb::cni
