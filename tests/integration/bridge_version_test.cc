// SPDX-License-Identifier: Apache-2.0
// VERSION, black-box, for both executables.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "support/plugin_runner.h"

namespace cnb::test {
namespace {

class VersionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VersionTest, ReportsEverySpecVersion) {
  auto r = RunPlugin("", GetParam(), {{"CNI_COMMAND", "VERSION"}}, R"({"cniVersion":"1.0.0"})");
  ASSERT_TRUE(r.ok()) << r.Describe();
  ASSERT_TRUE(r.json.is_object()) << r.Describe();
  ASSERT_TRUE(r.json.contains("cniVersion") && r.json["cniVersion"].is_string()) << r.Describe();
  ASSERT_TRUE(r.json.contains("supportedVersions")) << r.Describe();
  std::set<std::string> supported;
  for (const auto& v : r.json["supportedVersions"]) supported.insert(v.get<std::string>());
  for (const std::string v : {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"})
    EXPECT_TRUE(supported.count(v)) << v << " missing from " << r.proc.out;
  EXPECT_TRUE(supported.count(r.json["cniVersion"].get<std::string>()));
}

TEST_P(VersionTest, VersionNeedsNoOtherEnvironmentOrStdin) {
  auto r = RunPlugin("", GetParam(), {{"CNI_COMMAND", "VERSION"}}, "");
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_TRUE(r.json.is_object() && r.json.contains("supportedVersions")) << r.Describe();
}

INSTANTIATE_TEST_SUITE_P(Executables, VersionTest, ::testing::Values("bridge", "host-local"), [](const auto& info) {
  return info.param == "bridge" ? std::string("Bridge") : std::string("HostLocal");
});

}  // namespace
}  // namespace cnb::test
