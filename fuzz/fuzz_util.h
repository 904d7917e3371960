// SPDX-License-Identifier: Apache-2.0
// What every fuzz target shares: the rule that a cnb::Error is the expected outcome of bad input
// and anything else is a finding, and the splitting of one input into several parts.
#pragma once

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "common/error.h"

namespace cnb::fuzz {

// Stops the run as a crash, so that libFuzzer saves the input (fuzz/README.md).
[[noreturn]] inline void Finding(std::string what) {
  for (char& c : what) c = c == '\n' ? ' ' : c;  // one line, for scripts/fuzz.sh's report
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

// Runs `f`. Returning or throwing cnb::Error is fine; any other std::exception is a finding,
// reported with its type and text. A throw of something else ends in std::terminate: a finding too.
template <typename F>
void ExpectOnlyErrors(const char* what, F&& f) {
  try {
    f();
  } catch (const Error&) {
    // Bad input, told apart as the code promises.
  } catch (const std::exception& e) {
    int status = 0;
    char* type = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
    Finding(std::string(what) + " threw " + (type ? type : typeid(e).name()) + ", not cnb::Error: " + e.what());
  }
}

// `data` cut at every `sep`, into at most `max_parts` parts (the last keeps the rest).
inline std::vector<std::string> Split(std::string_view data, std::string_view sep, size_t max_parts) {
  std::vector<std::string> parts;
  while (parts.size() + 1 < max_parts) {
    size_t at = data.find(sep);
    if (at == std::string_view::npos) break;
    parts.emplace_back(data.substr(0, at));
    data.remove_prefix(at + sep.size());
  }
  parts.emplace_back(data);
  return parts;
}

}  // namespace cnb::fuzz
