// SPDX-License-Identifier: Apache-2.0
// Finding the node's network configurations as libcni does: conflists first, then .conf and
// .json, each in name order, a repeated network name skipped, other files ignored.
#include <gtest/gtest.h>

#include "cni/netconf_files.h"
#include "common/error.h"
#include "support/temp_dir.h"

namespace cnb::cni {
namespace {

using test::TempDir;
using test::WriteFile;

TEST(NetconfFilesTest, ConflistsFirstThenConfsInNameOrder) {
  TempDir dir;
  WriteFile(dir.path() + "/10-b.conf", R"({"cniVersion":"0.4.0","name":"single","type":"bridge","bridge":"br1"})");
  WriteFile(dir.path() + "/20-a.conflist",
            R"({"cniVersion":"1.0.0","name":"listed","plugins":[{"type":"bridge"},{"type":"portmap"}]})");
  WriteFile(dir.path() + "/30-dup.conflist", R"({"cniVersion":"1.0.0","name":"single","plugins":[{"type":"ptp"}]})");
  WriteFile(dir.path() + "/README.md", "not a config");
  NetworkConfigScan scan = FindNetworkConfigs(dir.path());
  EXPECT_TRUE(scan.errors.empty());
  ASSERT_EQ(scan.networks.size(), 2u);
  EXPECT_EQ(scan.networks[0].name, "listed");
  ASSERT_EQ(scan.networks[0].plugins.size(), 2u);
  // Each plugin as a runtime would pass it: the list's name and version filled in.
  EXPECT_EQ(scan.networks[0].plugins[1].value("name", ""), "listed");
  EXPECT_EQ(scan.networks[0].plugins[1].value("cniVersion", ""), "1.0.0");
  // "single" is the conflist's (30-dup), found first; the .conf of the same name is skipped.
  EXPECT_EQ(scan.networks[1].name, "single");
  EXPECT_EQ(scan.networks[1].plugins.at(0).value("type", ""), "ptp");
}

TEST(NetconfFilesTest, AConfIsAListOfOne) {
  TempDir dir;
  WriteFile(dir.path() + "/10-b.json", R"({"cniVersion":"0.4.0","name":"single","type":"bridge","bridge":"br1"})");
  NetworkConfigFile f = LoadNetworkConfigFile(dir.path() + "/10-b.json");
  ASSERT_EQ(f.plugins.size(), 1u);
  EXPECT_EQ(f.plugins[0].value("bridge", ""), "br1");
  EXPECT_EQ(f.cni_version, "0.4.0");
}

TEST(NetconfFilesTest, UnusableFilesAreReportedAndTheRestKept) {
  TempDir dir;
  WriteFile(dir.path() + "/10-bad.conflist", "{");
  WriteFile(dir.path() + "/20-noname.conf", R"({"type":"bridge"})");
  WriteFile(dir.path() + "/30-noplugins.conflist", R"({"name":"x","plugins":[]})");
  WriteFile(dir.path() + "/40-ok.conf", R"({"name":"ok","type":"bridge"})");
  NetworkConfigScan scan = FindNetworkConfigs(dir.path());
  ASSERT_EQ(scan.networks.size(), 1u);
  EXPECT_EQ(scan.networks[0].name, "ok");
  ASSERT_EQ(scan.errors.size(), 3u);
  EXPECT_NE(scan.errors[0].find("10-bad.conflist is not a JSON object"), std::string::npos) << scan.errors[0];
  EXPECT_NE(scan.errors[1].find("no 'plugins' key in " + dir.path() + "/30-noplugins.conflist"), std::string::npos)
      << scan.errors[1];
  EXPECT_NE(scan.errors[2].find("missing 'name' in " + dir.path() + "/20-noname.conf"), std::string::npos)
      << scan.errors[2];
}

TEST(NetconfFilesTest, ErrorCodes) {
  TempDir dir;
  try {
    LoadNetworkConfigFile(dir.path() + "/missing.conf");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_value(), 5);
    EXPECT_NE(e.msg().find("no such file or directory"), std::string::npos) << e.msg();
  }
  WriteFile(dir.path() + "/bad.conf", "[1]");
  try {
    LoadNetworkConfigFile(dir.path() + "/bad.conf");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_value(), 6);
  }
  EXPECT_TRUE(FindNetworkConfigs(dir.path() + "/none").networks.empty()) << "a missing directory holds nothing";
}

}  // namespace
}  // namespace cnb::cni
