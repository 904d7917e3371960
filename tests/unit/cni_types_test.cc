// SPDX-License-Identifier: Apache-2.0
// The result model and its JSON in every spec version (Go: pkg/types/{020,040,100}, the
// converters in between), decoding prevResults back, and the printed form.
#include <gtest/gtest.h>

#include <string>

#include "cni/json_member.h"
#include "cni/types.h"
#include "common/error.h"

namespace cnb::cni {
namespace {

using nlohmann::json;

IpNet N(const char* t) { return *IpNet::Parse(t); }
IpAddr A(const char* t) { return *IpAddr::Parse(t); }

// A dual-stack bridge-like result using every 1.x field.
Result FullResult() {
  Result r;
  r.interfaces.push_back({"cni0", "0a:58:0a:01:00:01", "", 1450, "", ""});
  r.interfaces.push_back({"veth1234abcd", "22:33:44:55:66:77", "", std::nullopt, "", ""});
  r.interfaces.push_back({"eth0", "0a:58:0a:01:00:05", "/var/run/netns/pod", 1450, "/run/vhost.sock", "0000:00:1f.6"});
  r.ips.push_back({N("10.1.0.5/24"), A("10.1.0.1"), 2});
  r.ips.push_back({N("fd00:99::5/64"), A("fd00:99::1"), 2});
  r.ips.push_back({N("10.1.0.6/24"), std::nullopt, 2});  // a second v4: dropped by 0.2.0
  Route def4{N("0.0.0.0/0"), A("10.1.0.1")};
  Route def6{N("::/0"), std::nullopt};
  Route extra{N("192.168.0.0/16"), A("10.1.0.254"), 1400, 1360, 10, 100, 0};
  r.routes = {def4, def6, extra};
  r.dns.nameservers = {"10.1.0.10"};
  r.dns.domain = "cluster.local";
  r.dns.search = {"svc.cluster.local"};
  r.dns.options = {"ndots:5"};
  return r;
}

std::string DecodeError(const json& j, const char* def = "1.0.0") {
  try {
    ResultFromJson(j, def);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kDecode) << j.dump();
    return e.msg();
  }
  ADD_FAILURE() << "decoded without error: " << j.dump();
  return {};
}

TEST(ResultToJson, Version1x) {
  for (const char* v : {"1.0.0", "1.1.0"}) {
    json got = ResultToJson(FullResult(), v);
    json want = json::parse(R"({
      "cniVersion": "VERSION",
      "interfaces": [
        {"name": "cni0", "mac": "0a:58:0a:01:00:01", "mtu": 1450},
        {"name": "veth1234abcd", "mac": "22:33:44:55:66:77"},
        {"name": "eth0", "mac": "0a:58:0a:01:00:05", "sandbox": "/var/run/netns/pod", "mtu": 1450,
         "socketPath": "/run/vhost.sock", "pciID": "0000:00:1f.6"}
      ],
      "ips": [
        {"interface": 2, "address": "10.1.0.5/24", "gateway": "10.1.0.1"},
        {"interface": 2, "address": "fd00:99::5/64", "gateway": "fd00:99::1"},
        {"interface": 2, "address": "10.1.0.6/24"}
      ],
      "routes": [
        {"dst": "0.0.0.0/0", "gw": "10.1.0.1"},
        {"dst": "::/0"},
        {"dst": "192.168.0.0/16", "gw": "10.1.0.254", "mtu": 1400, "advmss": 1360, "priority": 10,
         "table": 100, "scope": 0}
      ],
      "dns": {"nameservers": ["10.1.0.10"], "domain": "cluster.local", "search": ["svc.cluster.local"],
              "options": ["ndots:5"]}
    })");
    want["cniVersion"] = v;
    EXPECT_EQ(got, want) << v << "\n" << got.dump(2);
  }
}

TEST(ResultToJson, Version04xAddsIpVersionDropsInterfaceExtras) {
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0"}) {
    json got = ResultToJson(FullResult(), v);
    EXPECT_EQ(got["cniVersion"], v);
    ASSERT_EQ(got["ips"].size(), 3u);
    EXPECT_EQ(got["ips"][0],
              json::parse(R"({"version":"4","interface":2,"address":"10.1.0.5/24","gateway":"10.1.0.1"})"));
    EXPECT_EQ(got["ips"][1]["version"], "6");
    EXPECT_EQ(got["ips"][2], json::parse(R"({"version":"4","interface":2,"address":"10.1.0.6/24"})"));
    EXPECT_EQ(got["interfaces"][2],
              json::parse(R"({"name":"eth0","mac":"0a:58:0a:01:00:05","sandbox":"/var/run/netns/pod"})"));
    EXPECT_EQ(got["interfaces"][0], json::parse(R"({"name":"cni0","mac":"0a:58:0a:01:00:01"})"));
    // Routes share Go's types.Route: the extended fields stay.
    EXPECT_EQ(got["routes"][2]["mtu"], 1400);
    EXPECT_EQ(got["routes"][2]["table"], 100);
    EXPECT_EQ(got["dns"]["domain"], "cluster.local");
    EXPECT_EQ(got.size(), 5u) << got.dump();
  }
}

TEST(ResultToJson, Version02xOneIpPerFamilyRoutesByFamily) {
  for (const char* v : {"0.1.0", "0.2.0"}) {
    json got = ResultToJson(FullResult(), v);
    json want = json::parse(R"({
      "cniVersion": "VERSION",
      "ip4": {"ip": "10.1.0.5/24", "gateway": "10.1.0.1",
              "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}, {"dst": "192.168.0.0/16", "gw": "10.1.0.254"}]},
      "ip6": {"ip": "fd00:99::5/64", "gateway": "fd00:99::1", "routes": [{"dst": "::/0"}]},
      "dns": {"nameservers": ["10.1.0.10"], "domain": "cluster.local", "search": ["svc.cluster.local"],
              "options": ["ndots:5"]}
    })");
    want["cniVersion"] = v;
    EXPECT_EQ(got, want) << v << "\n" << got.dump(2);
  }
}

TEST(ResultToJson, Version02xRoutesOfAFamilyWithoutIpAreDropped) {
  Result r;
  r.ips.push_back({N("10.0.0.2/24"), std::nullopt, std::nullopt});
  r.routes.push_back({N("::/0"), A("fd00::1")});
  r.routes.push_back({N("10.9.0.0/16"), std::nullopt});
  json got = ResultToJson(r, "0.2.0");
  EXPECT_EQ(got, json::parse(
                     R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24","routes":[{"dst":"10.9.0.0/16"}]},"dns":{}})"));
  // No routes at all: no "routes" key.
  r.routes.clear();
  EXPECT_FALSE(ResultToJson(r, "0.2.0")["ip4"].contains("routes"));
}

TEST(ResultToJson, Version02xWithoutIpsCannotConvert) {
  Result r;
  r.interfaces.push_back({"eth0", "aa:bb:cc:dd:ee:ff", "/proc/1/ns/net"});
  for (const char* v : {"0.1.0", "0.2.0"}) {
    try {
      ResultToJson(r, v);
      ADD_FAILURE() << "converted an IP-less result to " << v;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInternal);
      EXPECT_EQ(e.msg(), "cannot convert: no valid IP addresses");
    }
  }
  // Later versions carry an L2-only result fine.
  EXPECT_EQ(ResultToJson(r, "0.4.0")["interfaces"][0]["name"], "eth0");
  EXPECT_FALSE(ResultToJson(r, "1.0.0").contains("ips"));
}

TEST(ResultToJson, EmptyResultAndDnsAlwaysAnObject) {
  Result empty;
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    json got = ResultToJson(empty, v);
    EXPECT_EQ(got, json({{"cniVersion", v}, {"dns", json::object()}})) << v << got.dump();
  }
  Result only_ip;
  only_ip.ips.push_back({N("10.0.0.2/24")});
  EXPECT_EQ(ResultToJson(only_ip, "0.1.0")["dns"], json::object());
}

TEST(ResultToJson, GoOmitemptyZeroes) {
  Result r;
  r.interfaces.push_back({"eth0", "", "", 0});
  r.routes.push_back({N("10.0.0.0/8"), std::nullopt, 0, 0, 0, 0, 0});
  json got = ResultToJson(r, "1.1.0");
  EXPECT_EQ(got["interfaces"][0], json({{"name", "eth0"}}));  // mtu 0, empty mac: omitted
  // mtu/advmss/priority are plain ints in Go (0 omitted); table/scope are pointers (0 kept).
  EXPECT_EQ(got["routes"][0], json::parse(R"({"dst":"10.0.0.0/8","table":0,"scope":0})"));
}

TEST(ToOutput, FourSpaceIndentNoTrailingNewline) {
  Result r;
  r.ips.push_back({N("10.0.0.2/24"), A("10.0.0.1"), 0});
  std::string out = ToOutput(ResultToJson(r, "1.0.0"));
  EXPECT_EQ(out,
            "{\n"
            "    \"cniVersion\": \"1.0.0\",\n"
            "    \"dns\": {},\n"
            "    \"ips\": [\n"
            "        {\n"
            "            \"address\": \"10.0.0.2/24\",\n"
            "            \"gateway\": \"10.0.0.1\",\n"
            "            \"interface\": 0\n"
            "        }\n"
            "    ]\n"
            "}");
  // Invalid UTF-8 in a string must not throw at print time.
  EXPECT_NO_THROW(ToOutput(json{{"msg", std::string("bad \xff byte")}}));
}

TEST(ResultFromJson, Version1x) {
  Result r = ResultFromJson(ResultToJson(FullResult(), "1.1.0"), "0.1.0");
  Result want = FullResult();
  EXPECT_EQ(r.cni_version, "1.1.0");
  EXPECT_EQ(r.interfaces, want.interfaces);
  EXPECT_EQ(r.ips, want.ips);
  ASSERT_EQ(r.routes.size(), 3u);
  EXPECT_EQ(r.routes[0], want.routes[0]);
  EXPECT_EQ(r.routes[2].mtu, 1400);
  EXPECT_EQ(r.routes[2].scope, 0);
  EXPECT_EQ(r.dns, want.dns);
}

TEST(ResultFromJson, Version04x) {
  json j = json::parse(R"({
    "cniVersion": "0.4.0",
    "interfaces": [{"name": "eth0", "mac": "aa:bb:cc:dd:ee:ff", "sandbox": "/proc/1/ns/net"}],
    "ips": [{"version": "4", "interface": 0, "address": "10.1.0.5/24", "gateway": "10.1.0.1"},
            {"version": "6", "address": "fd00::5/64"}],
    "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}],
    "dns": {"nameservers": ["8.8.8.8"]}
  })");
  Result r = ResultFromJson(j, "0.4.0");
  EXPECT_EQ(r.cni_version, "0.4.0");
  ASSERT_EQ(r.interfaces.size(), 1u);
  EXPECT_EQ(r.interfaces[0].sandbox, "/proc/1/ns/net");
  ASSERT_EQ(r.ips.size(), 2u);
  EXPECT_EQ(r.ips[0].address, N("10.1.0.5/24"));  // host bits kept
  EXPECT_EQ(r.ips[0].interface, 0);
  EXPECT_EQ(r.ips[0].gateway, A("10.1.0.1"));
  EXPECT_FALSE(r.ips[1].interface.has_value());
  EXPECT_FALSE(r.ips[1].gateway.has_value());
  ASSERT_EQ(r.routes.size(), 1u);
  EXPECT_EQ(r.routes[0].gw, A("10.1.0.1"));
  EXPECT_EQ(r.dns.nameservers, std::vector<std::string>{"8.8.8.8"});
}

TEST(ResultFromJson, Version02xFamiliesBecomeIpsAndRoutes) {
  json j = json::parse(R"({
    "cniVersion": "0.2.0",
    "ip4": {"ip": "10.1.0.5/24", "gateway": "10.1.0.1", "routes": [{"dst": "0.0.0.0/0"}]},
    "ip6": {"ip": "fd00::5/64", "routes": [{"dst": "::/0", "gw": "fd00::1"}]},
    "dns": {}
  })");
  Result r = ResultFromJson(j, "1.0.0");
  EXPECT_EQ(r.cni_version, "0.2.0");
  EXPECT_TRUE(r.interfaces.empty());
  ASSERT_EQ(r.ips.size(), 2u);
  EXPECT_EQ(r.ips[0].address, N("10.1.0.5/24"));
  EXPECT_EQ(r.ips[0].gateway, A("10.1.0.1"));
  EXPECT_EQ(r.ips[1].address, N("fd00::5/64"));
  ASSERT_EQ(r.routes.size(), 2u);
  EXPECT_EQ(r.routes[0].dst, N("0.0.0.0/0"));
  EXPECT_EQ(r.routes[1].gw, A("fd00::1"));
  EXPECT_TRUE(r.dns.empty());
  // Only ip6.
  Result v6 = ResultFromJson(json::parse(R"({"cniVersion":"0.1.0","ip6":{"ip":"fd00::5/64"}})"), "1.0.0");
  ASSERT_EQ(v6.ips.size(), 1u);
  EXPECT_FALSE(v6.ips[0].address.is_v4());
}

TEST(ResultFromJson, MissingVersionUsesTheDefault) {
  // A prevResult without cniVersion is read in the config's version.
  Result legacy = ResultFromJson(json::parse(R"({"ip4":{"ip":"10.0.0.2/24"}})"), "0.2.0");
  EXPECT_EQ(legacy.cni_version, "0.2.0");
  ASSERT_EQ(legacy.ips.size(), 1u);
  Result modern = ResultFromJson(json::parse(R"({"ips":[{"address":"10.0.0.2/24"}]})"), "1.0.0");
  EXPECT_EQ(modern.cni_version, "1.0.0");
  ASSERT_EQ(modern.ips.size(), 1u);
  // Under a 0.2.0 default a 1.x-shaped body has no ip4/ip6: nothing is read.
  EXPECT_TRUE(ResultFromJson(json::parse(R"({"ips":[{"address":"10.0.0.2/24"}]})"), "0.2.0").ips.empty());
  // An empty cniVersion counts as missing.
  EXPECT_EQ(ResultFromJson(json::parse(R"({"cniVersion":""})"), "0.4.0").cni_version, "0.4.0");
}

TEST(ResultFromJson, NullsAreAbsent) {
  Result r = ResultFromJson(
      json::parse(R"({"cniVersion":"1.0.0","interfaces":null,"ips":null,"routes":null,"dns":null})"), "1.0.0");
  EXPECT_TRUE(r.interfaces.empty());
  EXPECT_TRUE(r.ips.empty());
  EXPECT_TRUE(r.routes.empty());
  EXPECT_TRUE(r.dns.empty());
}

TEST(ResultFromJson, BadTypesAreDecodeErrors) {
  EXPECT_FALSE(DecodeError(json::array()).empty());
  EXPECT_FALSE(DecodeError(json("str")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion": 1})")).empty());
  EXPECT_EQ(DecodeError(json::parse(R"({"cniVersion": "9.9.9"})")), "unsupported CNI result version \"9.9.9\"");
  EXPECT_EQ(DecodeError(json::parse(R"({})"), "banana"), "unsupported CNI result version \"banana\"");
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","ips":{}})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","ips":[5]})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":5}]})")).empty());
  EXPECT_EQ(DecodeError(json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1"}]})")),
            "invalid address \"10.0.0.1\"");
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","ips":[{}]})")).empty());
  EXPECT_FALSE(
      DecodeError(json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","gateway":"x"}]})")).empty());
  EXPECT_FALSE(
      DecodeError(json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","interface":"0"}]})")).empty());
  EXPECT_FALSE(
      DecodeError(json::parse(R"({"cniVersion":"0.4.0","ips":[{"version":4,"address":"10.0.0.1/8"}]})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","interfaces":"eth0"})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","interfaces":[{"name":1}]})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","interfaces":[{"name":"e","mtu":1.5}]})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","routes":{}})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","routes":["0.0.0.0/0"]})")).empty());
  EXPECT_FALSE(
      DecodeError(json::parse(R"({"cniVersion":"1.0.0","routes":[{"dst":"0.0.0.0/0","mtu":"1400"}]})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","routes":[{"gw":"10.0.0.1"}]})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","dns":[]})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","dns":{"nameservers":"8.8.8.8"}})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","dns":{"nameservers":[8]}})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"1.0.0","dns":{"domain":["a"]}})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"0.2.0","ip4":"10.0.0.1/24"})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.1/24","routes":{}}})")).empty());
  EXPECT_FALSE(DecodeError(json::parse(R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.1"}})")).empty());
}

TEST(ResultJson, RoundTripsEveryVersion) {
  // Encoding to a version and decoding back gives what that version can carry.
  Result full = FullResult();
  for (const char* v : {"1.0.0", "1.1.0"}) {
    Result back = ResultFromJson(ResultToJson(full, v), "0.1.0");
    EXPECT_EQ(back.interfaces, full.interfaces) << v;
    EXPECT_EQ(back.ips, full.ips) << v;
    EXPECT_EQ(back.routes, full.routes) << v;
    EXPECT_EQ(back.dns, full.dns) << v;
    // And it re-encodes byte for byte.
    EXPECT_EQ(ToOutput(ResultToJson(back, v)), ToOutput(ResultToJson(full, v))) << v;
  }
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0"}) {
    Result back = ResultFromJson(ResultToJson(full, v), "0.1.0");
    EXPECT_EQ(back.cni_version, v);
    EXPECT_EQ(back.ips, full.ips) << v;
    EXPECT_EQ(back.routes, full.routes) << v;
    ASSERT_EQ(back.interfaces.size(), full.interfaces.size());
    EXPECT_FALSE(back.interfaces[2].mtu.has_value()) << v;  // not in the 0.4.0 shape
    EXPECT_TRUE(back.interfaces[2].socket_path.empty()) << v;
    EXPECT_EQ(ToOutput(ResultToJson(back, v)), ToOutput(ResultToJson(full, v))) << v;
  }
  for (const char* v : {"0.1.0", "0.2.0"}) {
    Result back = ResultFromJson(ResultToJson(full, v), "0.1.0");
    EXPECT_EQ(back.cni_version, v);
    ASSERT_EQ(back.ips.size(), 2u) << v;  // first of each family
    EXPECT_EQ(back.ips[0].address, N("10.1.0.5/24"));
    EXPECT_FALSE(back.ips[0].interface.has_value());
    EXPECT_EQ(back.ips[1].address, N("fd00:99::5/64"));
    ASSERT_EQ(back.routes.size(), 3u);  // v4 routes then v6 routes, dst/gw only
    EXPECT_FALSE(back.routes[1].mtu.has_value());
    EXPECT_TRUE(back.interfaces.empty());
    EXPECT_EQ(back.dns, full.dns);
    EXPECT_EQ(ToOutput(ResultToJson(back, v)), ToOutput(ResultToJson(full, v))) << v;
  }
}

TEST(RouteJson, Basic) {
  Route r = RouteFromJson(json::parse(R"({"dst":"10.0.0.0/8","gw":"10.0.0.1","priority":5})"));
  EXPECT_EQ(r.dst, N("10.0.0.0/8"));
  EXPECT_EQ(r.gw, A("10.0.0.1"));
  EXPECT_EQ(r.priority, 5);
  EXPECT_FALSE(r.table.has_value());
  EXPECT_EQ(RouteToJson(r, false), json::parse(R"({"dst":"10.0.0.0/8","gw":"10.0.0.1"})"));
  EXPECT_EQ(RouteToJson(r, true), json::parse(R"({"dst":"10.0.0.0/8","gw":"10.0.0.1","priority":5})"));
  // Empty gw is no gateway (Go's net.IP from "").
  EXPECT_FALSE(RouteFromJson(json::parse(R"({"dst":"::/0","gw":""})")).gw.has_value());
}

TEST(DnsJson, Basic) {
  Dns d = DnsFromJson(json::parse(R"({"nameservers":["1.1.1.1","::1"],"domain":"x","search":["a","b"]})"));
  EXPECT_EQ(d.nameservers.size(), 2u);
  EXPECT_EQ(d.domain, "x");
  EXPECT_EQ(d.search, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(d.options.empty());
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(DnsToJson(d), json::parse(R"({"nameservers":["1.1.1.1","::1"],"domain":"x","search":["a","b"]})"));
  EXPECT_EQ(DnsToJson(Dns{}), json::object());
  EXPECT_TRUE(DnsFromJson(json()).empty());
}

TEST(FindMember, ExactKeyFirstThenAsciiCaseFold) {
  auto j = nlohmann::json::parse(R"({"ipMasq":1,"IPMASQ":2,"mtu":null,"Bridge":"b"})");
  ASSERT_NE(FindMember(j, "ipMasq"), nullptr);
  EXPECT_EQ(*FindMember(j, "ipMasq"), 1);
  EXPECT_EQ(*FindMember(j, "IPMASQ"), 2);
  EXPECT_EQ(*FindMember(j, "bridge"), "b");
  ASSERT_NE(FindMember(j, "MTU"), nullptr) << "a null member is returned; callers treat it as unset";
  EXPECT_TRUE(FindMember(j, "MTU")->is_null());
  EXPECT_EQ(FindMember(j, "bridgex"), nullptr);
  EXPECT_EQ(FindMember(j, "bridg"), nullptr);
  EXPECT_EQ(FindMember(nlohmann::json::array({1}), "x"), nullptr);
}

}  // namespace
}  // namespace cnb::cni
