// SPDX-License-Identifier: Apache-2.0
// The standalone host-local executable, as other plugins (ptp, macvlan, flannel) exec it.
#include <string>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"

namespace cnb::test {
namespace {

using nlohmann::json;

class HostLocalExecTest : public BridgeTest {
 protected:
  PluginRun Run(const std::string& command, const std::string& id, const json& conf) {
    return RunPlugin(node(), "host-local",
                     {{"CNI_COMMAND", command},
                      {"CNI_CONTAINERID", id},
                      {"CNI_NETNS", "/var/run/netns/unused"},
                      {"CNI_IFNAME", "eth0"},
                      {"CNI_PATH", PluginDir()}},
                     conf.dump());
  }
};

TEST_F(HostLocalExecTest, AddReservesDelReleases) {
  auto conf = DualStackConf("1.0.0");
  conf["ipam"]["routes"] = json::array({{{"dst", "0.0.0.0/0"}}});
  auto add = Run("ADD", "hl-1", conf);
  ASSERT_PLUGIN_OK(add);
  // An IPAM result: no interfaces, no ips[].interface.
  EXPECT_FALSE(add.json.contains("interfaces")) << add.json.dump(2);
  ASSERT_EQ(add.json["ips"].size(), 2u) << add.json.dump(2);
  EXPECT_FALSE(add.json["ips"][0].contains("interface"));
  EXPECT_EQ(add.json["ips"][0].value("address", ""), "10.77.0.2/24");
  EXPECT_EQ(add.json["ips"][0].value("gateway", ""), kGateway);
  EXPECT_EQ(add.json["ips"][1].value("address", ""), "fd77::2/64");
  EXPECT_EQ(add.json["routes"], json::array({{{"dst", "0.0.0.0/0"}}}));
  EXPECT_EQ(ReadFile(data_dir() + "/" + kNet + "/10.77.0.2"), "hl-1\r\neth0");
  EXPECT_EQ(ReadFile(data_dir() + "/" + kNet + "/fd77::2"), "hl-1\r\neth0");

  EXPECT_PLUGIN_OK(Run("CHECK", "hl-1", conf));
  auto dup = Run("ADD", "hl-1", conf);
  EXPECT_EQ(dup.proc.exit_code, 1) << dup.Describe();
  EXPECT_NE(dup.msg().find("duplicate allocation is not allowed"), std::string::npos) << dup.Describe();

  ASSERT_PLUGIN_OK(Run("DEL", "hl-1", conf));
  EXPECT_TRUE(IpamIpFiles(data_dir(), kNet).empty());
  EXPECT_PLUGIN_OK(Run("DEL", "hl-1", conf));
  EXPECT_EQ(Run("CHECK", "hl-1", conf).proc.exit_code, 1);
}

TEST_F(HostLocalExecTest, ResultInOldVersionShape) {
  auto add = Run("ADD", "hl-2", Conf("0.2.0"));
  ASSERT_PLUGIN_OK(add);
  EXPECT_EQ(add.json["ip4"].value("ip", ""), "10.77.0.2/24") << add.json.dump(2);
  EXPECT_EQ(add.json["ip4"].value("gateway", ""), kGateway);
}

}  // namespace
}  // namespace cnb::test
