// SPDX-License-Identifier: Apache-2.0
// host-local config decoding: ranges, the legacy single range, ipRanges, requested IPs from
// every source, routes, dataDir default, resolvConf, and the error texts.
#include <gtest/gtest.h>

#include "common/error.h"
#include "ipam/config.h"
#include "ipam/resolv_conf.h"
#include "support/invocation.h"
#include "support/temp_dir.h"

namespace cnb::ipam {
namespace {

using nlohmann::json;

IpAddr Ip(const char* s) { return *IpAddr::Parse(s); }

json Base(json ipam, const char* version = "1.0.0") {
  return json{{"cniVersion", version}, {"name", "mynet"}, {"type", "bridge"}, {"ipam", std::move(ipam)}};
}

std::string LoadError(const json& conf, const std::string& args = "") {
  try {
    LoadIpamConfig(conf, args);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal) << e.msg();
    return e.msg();
  }
  return "";
}

TEST(IpamConfig, RangesAndDefaults) {
  IpamConfig cfg =
      LoadIpamConfig(Base({{"type", "host-local"},
                           {"ranges",
                            {{{{"subnet", "10.1.0.0/24"}}, {{"subnet", "10.1.1.0/24"}, {"gateway", "10.1.1.254"}}},
                             {{{"subnet", "fd00::/64"}, {"rangeStart", "fd00::10"}, {"rangeEnd", "fd00::20"}}}}}}),
                     "");
  EXPECT_EQ(cfg.name, "mynet");
  EXPECT_EQ(cfg.type, "host-local");
  EXPECT_EQ(cfg.data_dir, "/var/lib/cni/networks");
  ASSERT_EQ(cfg.ranges.size(), 2u);
  ASSERT_EQ(cfg.ranges[0].size(), 2u);
  EXPECT_EQ(RangeSetToString(cfg.ranges[0]), "10.1.0.1-10.1.0.254,10.1.1.1-10.1.1.254");
  EXPECT_EQ(*cfg.ranges[0][1].gateway, Ip("10.1.1.254"));
  EXPECT_EQ(RangeSetToString(cfg.ranges[1]), "fd00::10-fd00::20");
  EXPECT_TRUE(cfg.requested_ips.empty());
  EXPECT_TRUE(cfg.routes.empty());
}

TEST(IpamConfig, KeysMatchCaseInsensitivelyLikeGo) {
  json conf = {{"cniVersion", "1.0.0"},
               {"Name", "mynet"},
               {"type", "bridge"},
               {"IPAM",
                {{"Type", "host-local"},
                 {"DataDir", "/tmp/x"},
                 {"Ranges", {{{{"Subnet", "10.1.0.0/24"}, {"RANGESTART", "10.1.0.10"}}}}},
                 {"Routes", {{{"Dst", "0.0.0.0/0"}, {"GW", "10.1.0.254"}}}}}}};
  IpamConfig cfg = LoadIpamConfig(conf, "");
  EXPECT_EQ(cfg.name, "mynet");
  EXPECT_EQ(cfg.type, "host-local");
  EXPECT_EQ(cfg.data_dir, "/tmp/x");
  ASSERT_EQ(cfg.ranges.size(), 1u);
  EXPECT_EQ(RangeSetToString(cfg.ranges[0]), "10.1.0.10-10.1.0.254");
  ASSERT_EQ(cfg.routes.size(), 1u);
  EXPECT_EQ(cfg.routes[0].dst.ToString(), "0.0.0.0/0");
  ASSERT_TRUE(cfg.routes[0].gw.has_value());
  EXPECT_EQ(cfg.routes[0].gw->ToString(), "10.1.0.254");
}

TEST(IpamConfig, LegacySingleRangeIsPrependedAndIpRangesBeforeIt) {
  json conf = Base({{"type", "host-local"},
                    {"subnet", "10.2.0.0/24"},
                    {"rangeStart", "10.2.0.100"},
                    {"rangeEnd", "10.2.0.110"},
                    {"gateway", "10.2.0.254"},
                    {"dataDir", "/run/cni-ipam"},
                    {"ranges", {{{{"subnet", "10.3.0.0/24"}}}}}});
  conf["runtimeConfig"] = {{"ipRanges", {{{{"subnet", "10.4.0.0/24"}}}}}};
  IpamConfig cfg = LoadIpamConfig(conf, "");
  ASSERT_EQ(cfg.ranges.size(), 3u);
  EXPECT_EQ(RangeSetToString(cfg.ranges[0]), "10.4.0.1-10.4.0.254");
  EXPECT_EQ(RangeSetToString(cfg.ranges[1]), "10.2.0.100-10.2.0.110");
  EXPECT_EQ(*cfg.ranges[1][0].gateway, Ip("10.2.0.254"));
  EXPECT_EQ(RangeSetToString(cfg.ranges[2]), "10.3.0.1-10.3.0.254");
  EXPECT_EQ(cfg.data_dir, "/run/cni-ipam");
}

TEST(IpamConfig, RequestedIpsFromAllSourcesAreUnioned) {
  json conf = Base({{"type", "host-local"}, {"ranges", {{{{"subnet", "10.1.0.0/24"}}}, {{{"subnet", "fd00::/64"}}}}}});
  conf["args"] = {{"cni", {{"ips", {"10.1.0.20", "fd00::20/64"}}}}};
  conf["runtimeConfig"] = {{"ips", {"10.1.0.30/24", "10.1.0.20"}}};
  IpamConfig cfg = LoadIpamConfig(conf, "IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.1.0.10/8");
  ASSERT_EQ(cfg.requested_ips.size(), 4u);           // the duplicate 10.1.0.20 counted once
  EXPECT_EQ(cfg.requested_ips[0], Ip("10.1.0.10"));  // prefix ignored
  EXPECT_EQ(cfg.requested_ips[1], Ip("10.1.0.20"));
  EXPECT_EQ(cfg.requested_ips[2], Ip("fd00::20"));
  EXPECT_EQ(cfg.requested_ips[3], Ip("10.1.0.30"));
}

TEST(IpamConfig, CniArgsRules) {
  json conf = Base({{"subnet", "10.1.0.0/24"}});
  // Lowercase "ip" is not the reference's key: unknown without IgnoreUnknown.
  EXPECT_EQ(LoadError(conf, "ip=10.1.0.5"), "ARGS: unknown args [\"ip=10.1.0.5\"]");
  EXPECT_TRUE(LoadIpamConfig(conf, "IgnoreUnknown=true;ip=10.1.0.5").requested_ips.empty());
  EXPECT_EQ(LoadError(conf, "IP=banana"), "ARGS: error parsing value of pair \"IP=banana\": invalid IP address banana");
  // An empty value asks for nothing, as Go decodes an empty net.IP.
  EXPECT_TRUE(LoadIpamConfig(conf, "IgnoreUnknown=1;IP=").requested_ips.empty());
}

TEST(IpamConfig, BadRequestedIpInJson) {
  json conf = Base({{"subnet", "10.1.0.0/24"}});
  conf["runtimeConfig"] = {{"ips", {"nope"}}};
  EXPECT_EQ(LoadError(conf), "cannot understand ip: invalid IP address nope");
}

TEST(IpamConfig, Routes) {
  IpamConfig cfg = LoadIpamConfig(
      Base({{"subnet", "10.1.0.0/24"},
            {"routes", {{{"dst", "0.0.0.0/0"}}, {{"dst", "192.168.0.0/16"}, {"gw", "10.1.0.254"}, {"mtu", 1400}}}}}),
      "");
  ASSERT_EQ(cfg.routes.size(), 2u);
  EXPECT_EQ(cfg.routes[0].dst.ToString(), "0.0.0.0/0");
  EXPECT_FALSE(cfg.routes[0].gw);
  EXPECT_EQ(cfg.routes[1].dst.ToString(), "192.168.0.0/16");
  EXPECT_EQ(*cfg.routes[1].gw, Ip("10.1.0.254"));
  EXPECT_EQ(cfg.routes[1].mtu, 1400);
  EXPECT_NE(LoadError(Base({{"subnet", "10.1.0.0/24"}, {"routes", {{{"dst", "bogus"}}}}})), "");
}

TEST(IpamConfig, Errors) {
  EXPECT_EQ(LoadError(json{{"cniVersion", "1.0.0"}, {"name", "n"}}), "IPAM config missing 'ipam' key");
  EXPECT_EQ(LoadError(Base({{"type", "host-local"}})), "no IP ranges specified");
  EXPECT_EQ(LoadError(Base({{"ranges", json::array()}})), "no IP ranges specified");
  EXPECT_EQ(LoadError(Base({{"subnet", "10.1.0.0/33"}})), "invalid CIDR address: 10.1.0.0/33");
  EXPECT_EQ(LoadError(Base({{"subnet", "10.1.0.0/24"}, {"gateway", "10.1.0.x"}})), "invalid IP address: 10.1.0.x");
  EXPECT_EQ(LoadError(Base({{"ranges", {{{{"subnet", "10.1.0.0/31"}}}}}})),
            "invalid range set 0: Network 10.1.0.0/31 too small to allocate from");
  EXPECT_EQ(LoadError(Base({{"ranges", {{{{"subnet", "10.1.0.0/24"}}}, json::array()}}})),
            "invalid range set 1: empty range set");
  EXPECT_EQ(LoadError(Base({{"ranges", {{{{"rangeStart", "10.1.0.1"}}}}}})),
            "invalid range set 0: IP <nil> not v4 nor v6");
  EXPECT_EQ(LoadError(Base({{"ranges", {{{{"subnet", "10.1.0.0/24"}}, {{"subnet", "fd00::/64"}}}}}})),
            "invalid range set 0: mixed address families");
  EXPECT_EQ(LoadError(Base({{"ranges", {{{{"subnet", "10.1.0.0/16"}}}, {{{"subnet", "10.1.5.0/24"}}}}}})),
            "range set 0 overlaps with 1");
  EXPECT_EQ(LoadError(Base({{"ranges", "10.1.0.0/24"}})), "json: cannot unmarshal ipam.ranges: expected array");
}

TEST(IpamConfig, OldVersionsAllowOneAddressPerFamily) {
  json two_v4 = {{"ranges", {{{{"subnet", "10.1.0.0/24"}}}, {{{"subnet", "10.2.0.0/24"}}}}}};
  EXPECT_EQ(LoadError(Base(two_v4, "0.2.0")), "CNI version 0.2.0 does not support more than 1 address per family");
  json no_version = Base(two_v4);
  no_version.erase("cniVersion");
  EXPECT_EQ(LoadError(no_version), "CNI version  does not support more than 1 address per family");
  EXPECT_EQ(LoadError(Base(two_v4, "0.3.0")), "");
  // One v4 plus one v6 is fine even for 0.2.0.
  EXPECT_EQ(LoadError(Base({{"ranges", {{{{"subnet", "10.1.0.0/24"}}}, {{{"subnet", "fd00::/64"}}}}}}, "0.2.0")), "");
}

TEST(IpamConfig, ResolvConf) {
  test::TempDir dir;
  std::string path = dir.path() + "/resolv.conf";
  test::WriteFile(path,
                  "# comment\n; other comment\n\nnameserver 10.0.0.53\nnameserver fd00::53\n"
                  "domain first.example\ndomain second.example\nsearch a.example b.example\n"
                  "search c.example\noptions ndots:2 timeout:1\nnameserver\n  options   rotate  \n");
  cni::Dns dns = ParseResolvConf(path);
  EXPECT_EQ(dns.nameservers, (std::vector<std::string>{"10.0.0.53", "fd00::53"}));
  EXPECT_EQ(dns.domain, "second.example");
  EXPECT_EQ(dns.search, (std::vector<std::string>{"a.example", "b.example", "c.example"}));
  EXPECT_EQ(dns.options, (std::vector<std::string>{"ndots:2", "timeout:1", "rotate"}));

  IpamConfig cfg = LoadIpamConfig(Base({{"subnet", "10.1.0.0/24"}, {"resolvConf", path}}), "");
  EXPECT_EQ(cfg.resolv_conf, path);

  try {
    ParseResolvConf(dir.path() + "/missing");
    ADD_FAILURE() << "no error for a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
    EXPECT_NE(e.msg().find("open " + dir.path() + "/missing"), std::string::npos) << e.msg();
  }
}

}  // namespace
}  // namespace cnb::ipam
