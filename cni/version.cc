// SPDX-License-Identifier: Apache-2.0
#include "cni/version.h"

#include <charconv>
#include <vector>

#include "common/error.h"

#ifndef CNB_VERSION
#define CNB_VERSION "dev"
#endif
#ifndef CNB_GIT_SHA
#define CNB_GIT_SHA "unknown"
#endif

namespace cnb::cni {
namespace {

// Go's version.ParseVersion, with its error texts (the CHECK/GC/STATUS gates print them).
std::vector<long long> ParseVersion(std::string_view v) {
  std::string quoted = "\"" + std::string(v) + "\"";
  if (v.empty()) throw Error(ErrorCode::kDecode, "invalid version " + quoted + ": the version is empty");
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t dot = v.find('.', start);
    parts.push_back(v.substr(start, dot == std::string_view::npos ? v.npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() >= 4) throw Error(ErrorCode::kDecode, "invalid version " + quoted + ": too many parts");
  static constexpr const char* kNames[] = {"major", "minor", "micro"};
  std::vector<long long> out(3, 0);  // Go int is 64-bit
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    // strconv.Atoi: an optional sign, then decimal digits.
    std::string_view digits = part;
    bool negative = false;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    long long n = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos ||
        ptr != digits.data() + digits.size() || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      throw Error(ErrorCode::kDecode, std::string("failed to convert ") + kNames[i] + " version part \"" +
                                          std::string(part) + "\": strconv.Atoi: parsing \"" + std::string(part) +
                                          "\": invalid syntax");
    }
    if (ec == std::errc::result_out_of_range) {
      throw Error(ErrorCode::kDecode, std::string("failed to convert ") + kNames[i] + " version part \"" +
                                          std::string(part) + "\": strconv.Atoi: parsing \"" + std::string(part) +
                                          "\": value out of range");
    }
    out[i] = negative ? -n : n;
  }
  return out;
}

}  // namespace

bool IsSupportedVersion(std::string_view version) {
  for (auto v : kSupportedVersions)
    if (v == version) return true;
  return false;
}

int CompareVersions(std::string_view a, std::string_view b) {
  auto pa = ParseVersion(a);
  auto pb = ParseVersion(b);
  for (size_t i = 0; i < 3; ++i) {
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

bool VersionAtLeast(std::string_view version, std::string_view minimum) {
  return CompareVersions(version, minimum) >= 0;
}

std::string SupportedVersionsQuoted() {
  std::string out = "[";
  for (size_t i = 0; i < kSupportedVersions.size(); ++i) {
    if (i) out += " ";
    out += "\"" + std::string(kSupportedVersions[i]) + "\"";
  }
  return out + "]";
}

namespace {
// __DATE__/__TIME__ make it differ between builds of the same commit.
// `retain` keeps the section through the static build's --gc-sections, which would otherwise drop
// it from host-local, where nothing reads it.
__attribute__((section(".cnb_ident"), used, retain)) const char kBuildIdent[] =
    "cni-bridge " CNB_VERSION " " CNB_GIT_SHA " " __DATE__ " " __TIME__;
}  // namespace

const char* BuildIdent() { return kBuildIdent; }

std::string BuildVersion() {
  // Referencing the ident keeps its section in every executable that reports its version.
  (void)kBuildIdent[0];
  return std::string(CNB_VERSION) + " (" + CNB_GIT_SHA + ")";
}

}  // namespace cnb::cni
