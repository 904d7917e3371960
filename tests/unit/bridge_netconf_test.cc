// SPDX-License-Identifier: Apache-2.0
// Netconf parsing and validation of the bridge plugin: defaults, every key, MAC priority, and the
// reference's error texts.
#include <gtest/gtest.h>

#include "cni/version.h"
#include "common/error.h"
#include "plugin/bridge/build_ident.h"
#include "plugin/bridge/ipam_client.h"
#include "plugin/bridge/netconf.h"

namespace cnb::bridge {
namespace {

cni::Invocation Inv(const std::string& json, const std::string& args = "") {
  cni::Invocation inv;
  inv.config = nlohmann::json::parse(json);
  inv.network_name = inv.config.value("name", std::string());
  inv.cni_version = inv.config.value("cniVersion", std::string("0.1.0"));
  inv.args = args;
  inv.ifname = "eth0";
  inv.container_id = "c1";
  return inv;
}

std::string ErrorOf(const std::string& json, const std::string& args = "") {
  try {
    ParseNetConf(Inv(json, args));
  } catch (const Error& e) {
    return std::to_string(e.code_value()) + " " + e.msg();
  }
  return "no error";
}

TEST(NetConf, Defaults) {
  NetConf c = ParseNetConf(Inv(R"({"cniVersion":"1.0.0","name":"n","type":"bridge","ipam":{}})"));
  EXPECT_EQ(c.bridge, "cni0");
  EXPECT_FALSE(c.is_gateway);
  EXPECT_FALSE(c.is_default_gateway);
  EXPECT_FALSE(c.ip_masq);
  EXPECT_EQ(c.mtu, 0);
  EXPECT_FALSE(c.layer3());
  EXPECT_TRUE(c.container_mac.empty());
  EXPECT_FALSE(c.prev_result.has_value());
  EXPECT_FALSE(c.keep_container_ipv6);
}

TEST(NetConf, KeepContainerIPv6) {
  NetConf c =
      ParseNetConf(Inv(R"({"cniVersion":"1.0.0","name":"n","type":"bridge","keepContainerIPv6":true,"ipam":{}})"));
  EXPECT_TRUE(c.keep_container_ipv6);
}

TEST(NetConf, AllKeys) {
  NetConf c = ParseNetConf(Inv(R"({"cniVersion":"1.0.0","name":"n","type":"bridge","bridge":"br9",
    "isDefaultGateway":true,"forceAddress":true,"ipMasq":true,"ipMasqBackend":"nftables","mtu":1400,
    "hairpinMode":true,"vlan":5,"vlanTrunk":[{"id":7},{"minID":10,"maxID":12}],"preserveDefaultVlan":true,
    "enabledad":true,"portIsolation":true,"addIf":"eth9","logLevel":"debug",
    "dns":{"nameservers":["10.0.0.53"],"search":["svc"]},
    "ipam":{"type":"host-local","subnet":"10.1.0.0/24"}})"));
  EXPECT_EQ(c.bridge, "br9");
  EXPECT_TRUE(c.is_gateway) << "isDefaultGateway implies isGateway";
  EXPECT_TRUE(c.force_address);
  EXPECT_TRUE(c.ip_masq);
  EXPECT_EQ(c.ip_masq_backend, "nftables");
  EXPECT_EQ(c.mtu, 1400);
  EXPECT_TRUE(c.hairpin_mode);
  EXPECT_EQ(c.vlan, 5);
  ASSERT_EQ(c.vlan_trunk.size(), 2u);
  EXPECT_EQ(c.vlan_trunk[0].min_id, 7);
  EXPECT_EQ(c.vlan_trunk[1].max_id, 12);
  EXPECT_TRUE(c.enable_dad);
  EXPECT_TRUE(c.port_isolation);
  EXPECT_EQ(c.ipam_type, "host-local");
  EXPECT_TRUE(c.layer3());
  ASSERT_EQ(c.dns.nameservers.size(), 1u);
  EXPECT_EQ(c.dns.search[0], "svc");
}

TEST(NetConf, KeysMatchCaseInsensitivelyLikeGo) {
  // Go's encoding/json (the reference) accepts "ipmasq" for ipMasq; a key of the exact case wins.
  NetConf c = ParseNetConf(Inv(R"({"cniVersion":"1.0.0","name":"n","type":"bridge","Bridge":"br7",
    "ISGATEWAY":true,"ipmasq":true,"MTU":1400,"hairpinmode":false,"hairpinMode":true,
    "VlanTrunk":[{"ID":7}],"Args":{"CNI":{"MAC":"02:00:00:00:00:07"}},
    "IPAM":{"Type":"host-local"}})"));
  EXPECT_EQ(c.bridge, "br7");
  EXPECT_TRUE(c.is_gateway);
  EXPECT_TRUE(c.ip_masq);
  EXPECT_EQ(c.mtu, 1400);
  EXPECT_TRUE(c.hairpin_mode) << "the exact key is preferred";
  ASSERT_EQ(c.vlan_trunk.size(), 1u);
  EXPECT_EQ(c.vlan_trunk[0].min_id, 7);
  EXPECT_EQ(c.container_mac, "02:00:00:00:00:07");
  EXPECT_EQ(c.ipam_type, "host-local");
  EXPECT_TRUE(c.layer3());
}

TEST(NetConf, MacPriorityRuntimeConfigOverArgsOverCniArgs) {
  const std::string base = R"({"cniVersion":"1.0.0","name":"n","ipam":{})";
  EXPECT_EQ(ParseNetConf(Inv(base + "}", "MAC=0A:00:00:00:00:01")).container_mac, "0a:00:00:00:00:01");
  EXPECT_EQ(ParseNetConf(Inv(base + R"(,"args":{"cni":{"mac":"0a:00:00:00:00:02"}}})", "MAC=0a:00:00:00:00:01"))
                .container_mac,
            "0a:00:00:00:00:02");
  EXPECT_EQ(ParseNetConf(Inv(base + R"(,"args":{"cni":{"mac":"0a:00:00:00:00:02"}},
                             "runtimeConfig":{"mac":"0a:00:00:00:00:03"}})",
                             "MAC=0a:00:00:00:00:01"))
                .container_mac,
            "0a:00:00:00:00:03");
}

TEST(NetConf, Errors) {
  const std::string head = R"({"cniVersion":"1.0.0","name":"n",)";
  EXPECT_EQ(ErrorOf(head + R"("ipam":{},"hairpinMode":true,"promiscMode":true})"),
            "999 cannot set hairpin mode and promiscuous mode at the same time");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{},"vlan":5000})"), "999 invalid VLAN ID 5000 (must be between 0 and 4094)");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{},"vlanTrunk":[{"minID":5}]})"),
            "999 minID and maxID should be configured simultaneously, maxID is missing");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{},"vlanTrunk":[{"minID":9,"maxID":5}]})"),
            "999 minID is greater than maxID in trunk parameter");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{},"vlanTrunk":[{"id":0}]})"), "999 incorrect trunk id parameter");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{"type":"host-local"},"disableContainerInterface":true})"),
            "999 cannot use IPAM when DisableContainerInterface flag is set");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{},"ipMasqBackend":"pf"})"), "999 unknown ipmasq backend \"pf\"");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{},"isGateway":"yes"})"),
            "999 failed to load netconf: field isGateway must be a boolean");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{}})", "MAC=zz"), "999 failed to make veth pair: address zz: invalid MAC address");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{}})", "IP=10.0.0.1"), "999 ARGS: unknown args [\"IP=10.0.0.1\"]");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{}})", "IgnoreUnknown=1;IP=10.0.0.1"), "no error");
  EXPECT_EQ(ErrorOf(head + R"("ipam":{}})", "IgnoreUnknown=1;IP="), "no error");
}

TEST(NetConf, VlanGatewayNameMustFitAnInterfaceName) {
  const std::string head = R"({"cniVersion":"1.0.0","name":"n","ipam":{},"isGateway":true,)";
  NetConf c = ParseNetConf(Inv(head + R"("bridge":"cni0","vlan":100})"));
  EXPECT_EQ(VlanGatewayName(c), "cni0.100");
  // "<bridge>.<vlan>" is checked before anything is made: code 7, invalid config.
  EXPECT_EQ(ErrorOf(head + R"("bridge":"cnibridge01","vlan":4094})"),
            "7 the vlan gateway interface name \"cnibridge01.4094\" is longer than 15 characters: use a shorter "
            "bridge name");
  // Without a gateway there is no such interface, so the name does not matter.
  EXPECT_EQ(ErrorOf(R"({"cniVersion":"1.0.0","name":"n","ipam":{},"bridge":"cnibridge01","vlan":4094})"), "no error");
}

// Numbers are range-checked as JSON numbers, before they are narrowed to an int: 2^32 + 1400
// must not become an MTU of 1400, nor 2^32 "no VLAN".
TEST(NetConf, NumbersOutOfRangeAreInvalidNotNarrowed) {
  const std::string head = R"({"cniVersion":"1.0.0","name":"n","ipam":{},)";
  EXPECT_EQ(ErrorOf(head + R"("mtu":4294968696})"), "7 failed to load netconf: field mtu is out of range: 4294968696");
  EXPECT_EQ(ErrorOf(head + R"("vlan":4294967296})"),
            "7 failed to load netconf: field vlan is out of range: 4294967296");
  EXPECT_EQ(ErrorOf(head + R"("vlan":-4294967296})"),
            "7 failed to load netconf: field vlan is out of range: -4294967296");
  EXPECT_EQ(ErrorOf(head + R"("vlan":18446744073709551615})"),
            "7 failed to load netconf: field vlan is out of range: 18446744073709551615");
  EXPECT_EQ(ErrorOf(head + R"("vlanTrunk":[{"id":4294967297}]})"),
            "7 failed to load netconf: vlanTrunk field id is out of range: 4294967297");
  EXPECT_EQ(ErrorOf(head + R"("mtu":1400.5})"), "999 failed to load netconf: field mtu must be an integer");
  EXPECT_EQ(ErrorOf(head + R"("mtu":"1400"})"), "999 failed to load netconf: field mtu must be an integer");
  EXPECT_EQ(ErrorOf(head + R"("mtu":2147483647})"), "no error");  // the largest int; the kernel judges it
}

// Only DEL forgives a prevResult it cannot read (it finds everything by name); CHECK needs it.
TEST(NetConf, ADamagedPrevResultFailsAllButDel) {
  const std::string json = R"({"cniVersion":"1.0.0","name":"n","ipam":{},"prevResult":{"ips":[{"address":"x"}]}})";
  EXPECT_NE(ErrorOf(json).find("could not parse prevResult"), std::string::npos) << ErrorOf(json);
  cni::Invocation del = Inv(json);
  del.command = cni::Command::kDel;
  NetConf c = ParseNetConf(del);
  EXPECT_FALSE(c.prev_result.has_value());
}

TEST(NetConf, PrevResultIsDecodedInTheConfigVersion) {
  NetConf c = ParseNetConf(Inv(R"({"cniVersion":"0.4.0","name":"n","ipam":{},"prevResult":{
    "interfaces":[{"name":"cni0"},{"name":"eth0","sandbox":"/var/run/netns/x"}],
    "ips":[{"version":"4","interface":1,"address":"10.0.0.2/24","gateway":"10.0.0.1"}]}})"));
  ASSERT_TRUE(c.prev_result.has_value());
  ASSERT_EQ(c.prev_result->ips.size(), 1u);
  EXPECT_EQ(c.prev_result->ips[0].address.ToString(), "10.0.0.2/24");
  EXPECT_EQ(c.prev_result->interfaces[1].sandbox, "/var/run/netns/x");
}

TEST(NormalizeMac, Forms) {
  EXPECT_EQ(NormalizeMac("AA:bb:CC:00:11:22").value(), "aa:bb:cc:00:11:22");
  EXPECT_EQ(NormalizeMac("aa-bb-cc-00-11-22").value(), "aa:bb:cc:00:11:22");
  EXPECT_FALSE(NormalizeMac("aa:bb:cc:00:11").has_value());
  EXPECT_FALSE(NormalizeMac("aa:bb:cc:00:11:2g").has_value());
}

TEST(FindPlugin, FirstRegularFileOnThePath) {
  EXPECT_EQ(FindPlugin("sh", "/nonexistent:/bin:/usr/bin"), "/bin/sh");
  EXPECT_EQ(FindPlugin("no-such-plugin", "/bin"), "");
  EXPECT_EQ(FindPlugin("bin", "/"), "") << "directories are not plugins";
}

TEST(BuildIdent, ReadFromOwnExecutable) {
  // This test binary calls BuildVersion(), so it carries the identity section.
  EXPECT_FALSE(cni::BuildVersion().empty());
  auto ident = ReadBuildIdent("/proc/self/exe");
  ASSERT_TRUE(ident.has_value());
  EXPECT_EQ(*ident, cni::BuildIdent());
  EXPECT_FALSE(ReadBuildIdent("/bin/sh").has_value()) << "a foreign binary has no identity";
  EXPECT_FALSE(ReadBuildIdent("/etc/hostname").has_value());
}

}  // namespace
}  // namespace cnb::bridge
