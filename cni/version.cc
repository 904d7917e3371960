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

std::vector<int> ParseVersion(std::string_view v) {
  std::vector<int> parts;
  size_t start = 0;
  while (true) {
    size_t dot = v.find('.', start);
    std::string_view part = v.substr(start, dot == std::string_view::npos ? v.npos : dot - start);
    int n = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || n < 0) {
      throw Error(ErrorCode::kDecode, "invalid version \"" + std::string(v) + "\": the version is empty or has an invalid part");
    }
    parts.push_back(n);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() > 3) {
    throw Error(ErrorCode::kDecode, "invalid version \"" + std::string(v) + "\": too many parts");
  }
  parts.resize(3, 0);
  return parts;
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
__attribute__((section(".cnb_ident"), used)) const char kBuildIdent[] =
    "cni-bridge " CNB_VERSION " " CNB_GIT_SHA " " __DATE__ " " __TIME__;
}  // namespace

const char* BuildIdent() { return kBuildIdent; }

std::string BuildVersion() {
  // Referencing the ident keeps its section in every executable that reports its version.
  (void)kBuildIdent[0];
  return std::string(CNB_VERSION) + " (" + CNB_GIT_SHA + ")";
}

}  // namespace cnb::cni
