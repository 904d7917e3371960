// SPDX-License-Identifier: Apache-2.0
// CNI spec versions: what we support and how versions compare.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace cnb::cni {

inline constexpr std::array<std::string_view, 7> kSupportedVersions = {"0.1.0", "0.2.0", "0.3.0", "0.3.1",
                                                                       "0.4.0", "1.0.0", "1.1.0"};
inline constexpr std::string_view kCurrentVersion = "1.1.0";

bool IsSupportedVersion(std::string_view version);
// Compares dotted versions ("0.4.0" < "1.0.0"); throws Error code 6 on an unparsable version.
int CompareVersions(std::string_view a, std::string_view b);
bool VersionAtLeast(std::string_view version, std::string_view minimum);
// `["0.1.0" "0.2.0" ...]`, the way the Go library prints the list in error details.
std::string SupportedVersionsQuoted();

// Build identity for --version and the about text.
std::string BuildVersion();

// A string unique to one build, stored in the ELF section kBuildIdentSection of every executable
// that calls BuildVersion(). The bridge compares it with the host-local found on CNI_PATH to
// decide whether it may run host-local in-process.
inline constexpr const char* kBuildIdentSection = ".cnb_ident";
const char* BuildIdent();

}  // namespace cnb::cni
