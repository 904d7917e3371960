// SPDX-License-Identifier: Apache-2.0
// Spec versions: the supported list, comparisons and the Go library's parse errors.
#include <gtest/gtest.h>

#include <string>

#include "cni/version.h"
#include "common/error.h"

namespace cnb::cni {
namespace {

std::string CompareError(const std::string& a, const std::string& b) {
  try {
    CompareVersions(a, b);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kDecode);
    return e.msg();
  }
  ADD_FAILURE() << "no error comparing " << a << " and " << b;
  return {};
}

TEST(Version, SupportedList) {
  EXPECT_EQ(kCurrentVersion, "1.1.0");
  for (const char* v : {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    EXPECT_TRUE(IsSupportedVersion(v)) << v;
  }
  for (const char* v : {"", "0.5.0", "1.2.0", "1.0", "1", "v1.0.0", "1.0.0 ", "9.9.9"}) {
    EXPECT_FALSE(IsSupportedVersion(v)) << v;
  }
  EXPECT_EQ(SupportedVersionsQuoted(), R"(["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"])");
}

TEST(Version, Compare) {
  EXPECT_EQ(CompareVersions("0.4.0", "1.0.0"), -1);
  EXPECT_EQ(CompareVersions("1.0.0", "0.4.0"), 1);
  EXPECT_EQ(CompareVersions("0.3.1", "0.3.0"), 1);
  EXPECT_EQ(CompareVersions("1.1.0", "1.1.0"), 0);
  EXPECT_EQ(CompareVersions("0.10.0", "0.9.0"), 1);  // numeric, not lexical
  EXPECT_EQ(CompareVersions("1", "1.0.0"), 0);       // missing parts are zero
  EXPECT_EQ(CompareVersions("1.1", "1.0.9"), 1);
  EXPECT_TRUE(VersionAtLeast("0.4.0", "0.4.0"));
  EXPECT_TRUE(VersionAtLeast("1.0.0", "0.4.0"));
  EXPECT_FALSE(VersionAtLeast("0.3.1", "0.4.0"));
  EXPECT_FALSE(VersionAtLeast("1.0.0", "1.1.0"));
}

TEST(Version, ParseErrorsLikeGo) {
  EXPECT_EQ(CompareError("", "1.0.0"), "invalid version \"\": the version is empty");
  EXPECT_EQ(CompareError("1.0.0", ""), "invalid version \"\": the version is empty");
  EXPECT_EQ(CompareError("1.2.3.4", "1.0.0"), "invalid version \"1.2.3.4\": too many parts");
  EXPECT_EQ(CompareError("x.0.0", "1.0.0"),
            "failed to convert major version part \"x\": strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(CompareError("1.y", "1.0.0"),
            "failed to convert minor version part \"y\": strconv.Atoi: parsing \"y\": invalid syntax");
  EXPECT_EQ(CompareError("1.0.", "1.0.0"),
            "failed to convert micro version part \"\": strconv.Atoi: parsing \"\": invalid syntax");
  EXPECT_EQ(CompareError("1.0.0-rc1", "1.0.0"),
            "failed to convert micro version part \"0-rc1\": strconv.Atoi: parsing \"0-rc1\": invalid syntax");
  EXPECT_EQ(CompareError("99999999999999999999.0.0", "1.0.0"),
            "failed to convert major version part \"99999999999999999999\": strconv.Atoi: parsing "
            "\"99999999999999999999\": value out of range");
  EXPECT_EQ(CompareVersions("99999999999.0.0", "1.0.0"), 1);  // Go's int is 64-bit
  // Atoi takes a sign.
  EXPECT_EQ(CompareVersions("+1.0.0", "1.0.0"), 0);
  EXPECT_EQ(CompareVersions("-1.0.0", "0.1.0"), -1);
  EXPECT_FALSE(CompareError("--1.0.0", "1.0.0").empty());
}

TEST(Version, BuildIdentity) {
  EXPECT_FALSE(BuildVersion().empty());
  std::string ident = BuildIdent();
  EXPECT_EQ(ident.rfind("cni-bridge ", 0), 0u) << ident;
}

}  // namespace
}  // namespace cnb::cni
