// SPDX-License-Identifier: Apache-2.0
// ADD, black-box: the bridge executable run in a throwaway node namespace, checked through the
// result JSON and through the kernel state read back with iproute2 / procfs / iptables.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "support/bridge_fixture.h"
#include "support/process.h"

namespace cnb::test {
namespace {

using nlohmann::json;

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool HasRoute(const json& routes, const std::string& dst, const std::string& gw) {
  for (const auto& r : routes)
    if (r.value("dst", "") == dst && r.value("gw", "") == gw) return true;
  return false;
}

// --- Result shape, one run per spec version --------------------------------------------------

class AddPerVersion : public BridgeTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(AddPerVersion, ResultShapeAndKernelStateMatchTheVersion) {
  const std::string version = GetParam();
  auto conf = Conf(version);
  conf["isDefaultGateway"] = true;
  Pod& pod = NewPod();

  auto r = Add(pod, conf);
  ASSERT_PLUGIN_OK(r);
  const json& res = r.json;
  ASSERT_TRUE(res.is_object()) << r.Describe();
  EXPECT_EQ(res.value("cniVersion", ""), version);
  ASSERT_TRUE(res.contains("dns")) << "dns is always printed up to 1.0.0 by the reference";

  std::string address;
  if (version == "0.1.0" || version == "0.2.0") {
    // 0.1.0/0.2.0: one IP per family under ip4/ip6, routes under the family, no interfaces.
    EXPECT_FALSE(res.contains("interfaces")) << res.dump(2);
    EXPECT_FALSE(res.contains("ips")) << res.dump(2);
    EXPECT_FALSE(res.contains("ip6")) << res.dump(2);
    ASSERT_TRUE(res.contains("ip4")) << res.dump(2);
    address = res["ip4"].at("ip").get<std::string>();
    EXPECT_EQ(res["ip4"].value("gateway", ""), kGateway);
    ASSERT_TRUE(res["ip4"].contains("routes")) << res.dump(2);
    EXPECT_TRUE(HasRoute(res["ip4"]["routes"], "0.0.0.0/0", kGateway)) << res.dump(2);
  } else {
    EXPECT_FALSE(res.contains("ip4")) << res.dump(2);
    ASSERT_TRUE(res.contains("interfaces") && res["interfaces"].size() == 3) << res.dump(2);
    ASSERT_TRUE(res.contains("ips") && res["ips"].size() == 1) << res.dump(2);
    const json& ip = res["ips"][0];
    address = ip.at("address").get<std::string>();
    EXPECT_EQ(ip.value("gateway", ""), kGateway);
    EXPECT_EQ(ip.value("interface", -1), 2);
    if (StartsWith(version, "0.")) {
      EXPECT_EQ(ip.value("version", ""), "4") << "0.3.x/0.4.0 ips carry version";
    } else {
      EXPECT_FALSE(ip.contains("version")) << "1.x ips have no version: " << res.dump(2);
    }
    ASSERT_TRUE(res.contains("routes")) << res.dump(2);
    EXPECT_TRUE(HasRoute(res["routes"], "0.0.0.0/0", kGateway)) << res.dump(2);

    // interfaces = [bridge, host veth, container iface with sandbox], MACs as in the kernel.
    const json& ifs = res["interfaces"];
    EXPECT_EQ(ifs[0].value("name", ""), kBridge);
    EXPECT_FALSE(ifs[0].contains("sandbox"));
    EXPECT_TRUE(StartsWith(ifs[1].value("name", ""), "veth")) << ifs.dump(2);
    EXPECT_FALSE(ifs[1].contains("sandbox"));
    EXPECT_EQ(ifs[2].value("name", ""), "eth0");
    EXPECT_EQ(ifs[2].value("sandbox", ""), pod.path());
    auto br = Link(node(), kBridge);
    auto veth = Link(node(), ifs[1].value("name", ""));
    auto eth0 = Link(pod.name(), "eth0");
    ASSERT_TRUE(br && veth && eth0);
    EXPECT_EQ(ifs[0].value("mac", ""), (*br)["address"]);
    EXPECT_EQ(ifs[1].value("mac", ""), (*veth)["address"]);
    EXPECT_EQ(ifs[2].value("mac", ""), (*eth0)["address"]);
  }

  EXPECT_TRUE(StartsWith(address, "10.77.0.")) << address;
  EXPECT_TRUE(HasAddr(pod.name(), "eth0", address)) << address << " not on eth0 in the pod";
  EXPECT_EQ(DefaultGateway(pod.name(), 4), kGateway);
  EXPECT_EQ(ReadFile(data_dir() + "/" + kNet + "/" + WithoutPrefix(address)), pod.id + "\r\neth0");
}

INSTANTIATE_TEST_SUITE_P(AllVersions, AddPerVersion,
                         ::testing::Values("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"),
                         [](const auto& info) {
                           std::string n = "v" + info.param;
                           std::replace(n.begin(), n.end(), '.', '_');
                           return n;
                         });

// --- Kernel state -------------------------------------------------------------------------

TEST_F(BridgeTest, AddBuildsBridgeVethAddressRoutesAndForwarding) {
  // Start from forwarding off so the assertion below proves the plugin turned it on.
  WriteSysctl(node(), "net/ipv4/ip_forward", "0");
  auto conf = Conf();
  conf["isDefaultGateway"] = true;
  conf["mtu"] = 1400;
  conf["hairpinMode"] = true;
  Pod& pod = NewPod();

  auto r = Add(pod, conf);
  ASSERT_PLUGIN_OK(r);
  const std::string veth_name = HostVeth(r.json);
  const std::string address = FirstAddress(r.json);

  auto br = Link(node(), kBridge);
  ASSERT_TRUE(br.has_value()) << "bridge not created in the node";
  EXPECT_EQ((*br)["linkinfo"]["info_kind"], "bridge");
  EXPECT_TRUE(HasFlag(*br, "UP"));
  EXPECT_EQ((*br)["mtu"], 1400);
  EXPECT_EQ((*br).value("promiscuity", -1), 0) << "promiscMode defaults to false";
  EXPECT_TRUE(HasAddr(node(), kBridge, std::string(kGateway) + "/24")) << "isGateway address";

  auto veth = Link(node(), veth_name);
  ASSERT_TRUE(veth.has_value()) << veth_name;
  EXPECT_EQ((*veth)["linkinfo"]["info_kind"], "veth");
  EXPECT_EQ((*veth).value("master", ""), kBridge);
  EXPECT_TRUE(HasFlag(*veth, "UP"));
  EXPECT_EQ((*veth)["mtu"], 1400);
  EXPECT_EQ((*veth)["linkinfo"]["info_slave_data"].value("hairpin", false), true);
  EXPECT_EQ(BridgePorts(node(), kBridge).size(), 1u);

  auto eth0 = Link(pod.name(), "eth0");
  ASSERT_TRUE(eth0.has_value());
  EXPECT_EQ((*eth0)["linkinfo"]["info_kind"], "veth");
  EXPECT_TRUE(HasFlag(*eth0, "UP"));
  EXPECT_EQ((*eth0)["mtu"], 1400);
  EXPECT_TRUE(HasAddr(pod.name(), "eth0", address));
  EXPECT_EQ(DefaultGateway(pod.name(), 4), kGateway);

  EXPECT_EQ(Sysctl(node(), "net/ipv4/ip_forward"), "1");
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet), std::vector<std::string>{WithoutPrefix(address)});
  EXPECT_EQ(ReadFile(data_dir() + "/" + kNet + "/" + WithoutPrefix(address)), pod.id + "\r\neth0");
}

TEST_F(BridgeTest, PodAndPortSysctls) {
  Pod& pod = NewPod();
  auto r = Add(pod, DualStackConf());
  ASSERT_PLUGIN_OK(r);
  const std::string veth_name = HostVeth(r.json);
  // Pod: gratuitous ARP on link-up (set over netlink), no DAD, no router advertisements.
  EXPECT_EQ(Sysctl(pod.name(), "net/ipv4/conf/eth0/arp_notify"), "1");
  EXPECT_EQ(Sysctl(pod.name(), "net/ipv6/conf/eth0/disable_ipv6"), "0");
  EXPECT_EQ(Sysctl(pod.name(), "net/ipv6/conf/eth0/accept_dad"), "0");
  EXPECT_EQ(Sysctl(pod.name(), "net/ipv6/conf/eth0/accept_ra"), "0");
  // Node: the bridge ignores router advertisements; the port has no IPv6 of its own.
  EXPECT_EQ(Sysctl(node(), std::string("net/ipv6/conf/") + kBridge + "/accept_ra"), "0");
  EXPECT_EQ(Sysctl(node(), "net/ipv6/conf/" + veth_name + "/disable_ipv6"), "1");
  EXPECT_EQ(Sysctl(node(), "net/ipv6/conf/" + veth_name + "/accept_ra"), "0");
  for (const auto& a : Addrs(node(), veth_name)) ADD_FAILURE() << veth_name << " has " << a.cidr();
  for (const auto& route : Routes(node(), 6)) {
    EXPECT_NE(route.value("dev", ""), veth_name) << route.dump();
  }
}

// INTENTIONAL DIFFERENCE: in an IPv4-only network the reference leaves IPv6 on the container
// interface (a link-local address, multicast groups, MLD reports flooded to every pod).
TEST_F(BridgeTest, IPv4OnlyNetworkLeavesNoIPv6OnTheContainerInterface) {
  Pod& pod = NewPod();
  ASSERT_PLUGIN_OK(Add(pod, Conf()));
  EXPECT_EQ(Sysctl(pod.name(), "net/ipv6/conf/eth0/disable_ipv6"), "1");
  // Only that interface: lo keeps IPv6, so ::1 and [::] listeners keep working.
  EXPECT_EQ(Sysctl(pod.name(), "net/ipv6/conf/lo/disable_ipv6"), "0");
  EXPECT_EQ(Sysctl(pod.name(), "net/ipv6/conf/all/disable_ipv6"), "0");
  for (const auto& a : Addrs(pod.name(), "eth0")) EXPECT_EQ(a.family, "inet") << a.cidr();
  // A later IPv6 user of the netns can still bring it up (the loopback plugin does for lo).
  Ip(pod.name(), {"link", "set", "lo", "up"});
  bool has_loopback6 = false;
  for (const auto& a : Addrs(pod.name(), "lo")) has_loopback6 |= a.cidr() == "::1/128";
  EXPECT_TRUE(has_loopback6);
}

TEST_F(BridgeTest, KeepContainerIPv6RestoresTheReferenceBehaviour) {
  Pod& pod = NewPod();
  auto conf = Conf();
  conf["keepContainerIPv6"] = true;
  ASSERT_PLUGIN_OK(Add(pod, conf));
  EXPECT_EQ(Sysctl(pod.name(), "net/ipv6/conf/eth0/disable_ipv6"), "0");
  EXPECT_EQ(Sysctl(pod.name(), "net/ipv6/conf/eth0/accept_ra"), "0");
  bool link_local = false;
  for (const auto& a : Addrs(pod.name(), "eth0")) link_local |= a.family == "inet6" && StartsWith(a.cidr(), "fe80:");
  EXPECT_TRUE(link_local) << "the container interface keeps its IPv6 link-local address";
}

TEST_F(BridgeTest, BridgeWeCreateIsPinnedAtBirthAndAddsLeaveNeighboursAlone) {
  Pod& first = NewPod();
  auto r1 = Add(first, Conf());
  ASSERT_PLUGIN_OK(r1);
  const std::string mac = r1.json["interfaces"][0].value("mac", "");
  EXPECT_EQ(SysfsNet(node(), kBridge, "addr_assign_type"), "3") << "MAC set at creation";
  // Any change of the bridge MAC, even to the same value, flushes the node's neighbour entries
  // on it: a second ADD must not touch it.
  Ip(node(), {"neigh", "replace", "10.77.0.200", "lladdr", "02:00:00:00:00:c8", "dev", kBridge, "nud", "stale"});
  Pod& second = NewPod();
  ASSERT_PLUGIN_OK(Add(second, Conf()));
  EXPECT_EQ((*Link(node(), kBridge)).value("address", ""), mac);
  auto neigh = IpJson(node(), {"neigh", "show", "dev", kBridge});
  EXPECT_NE(neigh.dump().find("10.77.0.200"), std::string::npos) << neigh.dump();
}

TEST_F(BridgeTest, ExistingBridgeIsPinnedOnceToTheMacItHas) {
  Ip(node(), {"link", "add", "name", kBridge, "type", "bridge"});
  const std::string mac = (*Link(node(), kBridge)).value("address", "");
  ASSERT_NE(SysfsNet(node(), kBridge, "addr_assign_type"), "3") << "precondition: not pinned";
  Pod& first = NewPod();
  ASSERT_PLUGIN_OK(Add(first, Conf()));
  EXPECT_EQ(SysfsNet(node(), kBridge, "addr_assign_type"), "3");
  EXPECT_EQ((*Link(node(), kBridge)).value("address", ""), mac);
  Ip(node(), {"neigh", "replace", "10.77.0.200", "lladdr", "02:00:00:00:00:c8", "dev", kBridge, "nud", "stale"});
  Pod& second = NewPod();
  ASSERT_PLUGIN_OK(Add(second, Conf()));
  auto neigh = IpJson(node(), {"neigh", "show", "dev", kBridge});
  EXPECT_NE(neigh.dump().find("10.77.0.200"), std::string::npos) << "pinned once, not again: " << neigh.dump();
}

TEST_F(BridgeTest, BuiltHostLocalRunsInProcess) {
  // The executables of one build recognise each other by an ELF section; if the linker dropped
  // it, every ADD would quietly exec host-local instead (as happened once with --gc-sections).
  Pod& pod = NewPod();
  auto conf = Conf();
  conf["logLevel"] = "debug";
  auto add = Add(pod, conf);
  ASSERT_PLUGIN_OK(add);
  EXPECT_NE(add.proc.err.find("ipam host-local in-process"), std::string::npos) << add.proc.err;
}

TEST_F(BridgeTest, NoDefaultRouteWithoutIsDefaultGatewayAndHairpinOffByDefault) {
  Pod& pod = NewPod();
  auto r = Add(pod, Conf());
  ASSERT_PLUGIN_OK(r);
  EXPECT_EQ(DefaultGateway(pod.name(), 4), "");
  auto veth = Link(node(), HostVeth(r.json));
  ASSERT_TRUE(veth.has_value());
  EXPECT_EQ((*veth)["linkinfo"]["info_slave_data"].value("hairpin", true), false);
}

// The host veth names its attachment, so `ip -d link show` on the node answers "whose veth is
// this?" (see plugin/bridge/alias.h for the format).
TEST_F(BridgeTest, HostVethAliasNamesContainerIfnameAndPod) {
  Pod& pod = NewPod();
  auto add = Add(pod, Conf(), "net1", "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=cart-5d9f");
  ASSERT_PLUGIN_OK(add);
  auto veth = Link(node(), HostVeth(add.json));
  ASSERT_TRUE(veth.has_value());
  EXPECT_EQ(veth->value("ifalias", ""), "cni-bridge id=" + pod.id + " if=net1 pod=shop/cart-5d9f");
  const std::string shown = Sh("ip -n " + node() + " -d link show " + HostVeth(add.json));
  EXPECT_NE(shown.find("alias cni-bridge id=" + pod.id + " if=net1 pod=shop/cart-5d9f"), std::string::npos) << shown;

  Pod& plain = NewPod();  // no pod in CNI_ARGS (cnitool, podman)
  auto add_plain = Add(plain, Conf());
  ASSERT_PLUGIN_OK(add_plain);
  EXPECT_EQ(Link(node(), HostVeth(add_plain.json))->value("ifalias", ""), "cni-bridge id=" + plain.id + " if=eth0");
}

TEST_F(BridgeTest, PromiscModeSetsBridgePromiscuous) {
  auto conf = Conf();
  conf["promiscMode"] = true;
  Pod& pod = NewPod();
  ASSERT_PLUGIN_OK(Add(pod, conf));
  auto br = Link(node(), kBridge);
  ASSERT_TRUE(br.has_value());
  EXPECT_TRUE(HasFlag(*br, "PROMISC")) << br->dump(2);
}

TEST_F(BridgeTest, WithoutIsGatewayTheBridgeHasNoAddress) {
  auto conf = Conf();
  conf["isGateway"] = false;
  Pod& pod = NewPod();
  ASSERT_PLUGIN_OK(Add(pod, conf));
  for (const auto& a : Addrs(node(), kBridge))
    EXPECT_NE(a.family, "inet") << "unexpected " << a.cidr() << " on the bridge";
}

// --- Container MAC: runtimeConfig.mac > args.cni.mac > CNI_ARGS MAC= -------------------------

TEST_F(BridgeTest, ContainerMacPriority) {
  const std::string mac_env = "0a:58:0a:4d:00:0a";
  const std::string mac_args = "0a:58:0a:4d:00:0b";
  const std::string mac_rt = "0a:58:0a:4d:00:0c";

  struct Case {
    bool env, args, rt;
    std::string expected;
  };
  for (const Case& c : {Case{true, false, false, mac_env}, Case{true, true, false, mac_args},
                        Case{true, true, true, mac_rt}, Case{false, false, true, mac_rt}}) {
    SCOPED_TRACE("env=" + std::to_string(c.env) + " args=" + std::to_string(c.args) +
                 " runtimeConfig=" + std::to_string(c.rt));
    auto conf = Conf();
    if (c.args) conf["args"] = {{"cni", {{"mac", mac_args}}}};
    if (c.rt) conf["runtimeConfig"] = {{"mac", mac_rt}};
    Pod& pod = NewPod();
    auto r = Add(pod, conf, "eth0", c.env ? "IgnoreUnknown=1;MAC=" + mac_env : "");
    ASSERT_PLUGIN_OK(r);
    auto eth0 = Link(pod.name(), "eth0");
    ASSERT_TRUE(eth0.has_value());
    EXPECT_EQ((*eth0)["address"], c.expected);
    EXPECT_EQ(r.json["interfaces"][2].value("mac", ""), c.expected);
  }
}

// --- ipMasq ---------------------------------------------------------------------------------

TEST_F(BridgeTest, IpMasqInstallsPerContainerChainInNodeNat) {
  auto conf = Conf();
  conf["ipMasq"] = true;
  Pod& pod = NewPod();
  auto r = Add(pod, conf);
  ASSERT_PLUGIN_OK(r);
  const std::string ip = WithoutPrefix(FirstAddress(r.json));
  const std::string chain = MasqChainName(kNet, pod.id);
  const std::string comment =
      "-m comment --comment \"name: \\\"" + std::string(kNet) + "\\\" id: \\\"" + pod.id + "\\\"\"";
  const std::string rules = NatRules(node());

  EXPECT_NE(rules.find("-N " + chain + "\n"), std::string::npos) << rules;
  EXPECT_NE(rules.find("-A POSTROUTING -s " + ip + "/32 " + comment + " -j " + chain), std::string::npos) << rules;
  EXPECT_NE(rules.find("-A " + chain + " -d " + kSubnet + " " + comment + " -j ACCEPT"), std::string::npos) << rules;
  EXPECT_NE(rules.find("-A " + chain + " ! -d 224.0.0.0/4 " + comment + " -j MASQUERADE"), std::string::npos) << rules;
}

TEST_F(BridgeTest, NoMasqRulesWithoutIpMasq) {
  Pod& pod = NewPod();
  ASSERT_PLUGIN_OK(Add(pod, Conf()));
  EXPECT_EQ(NatRules(node()).find("CNI-"), std::string::npos) << NatRules(node());
}

// --- L2 mode --------------------------------------------------------------------------------

TEST_F(BridgeTest, EmptyIpamIsLayer2Only) {
  auto conf = Conf();
  conf["ipam"] = json::object();
  Pod& pod = NewPod();
  auto r = Add(pod, conf);
  ASSERT_PLUGIN_OK(r);
  EXPECT_TRUE(!r.json.contains("ips") || r.json["ips"].empty()) << r.json.dump(2);
  ASSERT_EQ(r.json["interfaces"].size(), 3u) << r.json.dump(2);
  auto eth0 = Link(pod.name(), "eth0");
  ASSERT_TRUE(eth0.has_value());
  EXPECT_TRUE(HasFlag(*eth0, "UP"));
  for (const auto& a : Addrs(pod.name(), "eth0"))
    EXPECT_NE(a.scope, "global") << "L2 mode must not assign " << a.cidr();
  for (const auto& a : Addrs(node(), kBridge))
    EXPECT_NE(a.scope, "global") << "L2 mode must not put " << a.cidr() << " on the bridge";
  EXPECT_EQ(Link(node(), HostVeth(r.json)).value().value("master", ""), kBridge);
}

// --- Dual stack -----------------------------------------------------------------------------

TEST_F(BridgeTest, DualStackGetsOneAddressPerFamilyAndV6IsNotTentative) {
  auto conf = DualStackConf();
  conf["isDefaultGateway"] = true;
  Pod& pod = NewPod();
  auto r = Add(pod, conf);
  ASSERT_PLUGIN_OK(r);
  ASSERT_EQ(r.json["ips"].size(), 2u) << r.json.dump(2);
  std::string v4 = r.json["ips"][0].value("address", "");
  std::string v6 = r.json["ips"][1].value("address", "");
  EXPECT_TRUE(StartsWith(v4, "10.77.0.")) << v4;
  EXPECT_TRUE(StartsWith(v6, "fd77::")) << v6;
  EXPECT_EQ(r.json["ips"][1].value("gateway", ""), kGateway6);

  bool found6 = false;
  for (const auto& a : Addrs(pod.name(), "eth0")) {
    if (a.cidr() != v6) continue;
    found6 = true;
    EXPECT_FALSE(a.tentative) << v6 << " still tentative after ADD returned";
    EXPECT_FALSE(a.dadfailed);
  }
  EXPECT_TRUE(found6) << v6 << " not on eth0";
  EXPECT_TRUE(HasAddr(pod.name(), "eth0", v4));
  EXPECT_EQ(DefaultGateway(pod.name(), 4), kGateway);
  EXPECT_EQ(DefaultGateway(pod.name(), 6), kGateway6);
  EXPECT_TRUE(HasAddr(node(), kBridge, std::string(kGateway6) + "/64"));
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet).size(), 2u);
}

// --- Requested IPs --------------------------------------------------------------------------

TEST_F(BridgeTest, RequestedIpFromCniArgsArgsAndRuntimeConfig) {
  {
    Pod& pod = NewPod();
    // The bridge parses CNI_ARGS too and knows only MAC, so IP needs IgnoreUnknown (as
    // runtimes always send it).
    auto r = Add(pod, Conf(), "eth0", "IgnoreUnknown=1;IP=10.77.0.50");
    ASSERT_PLUGIN_OK(r);
    EXPECT_EQ(FirstAddress(r.json), "10.77.0.50/24");
    EXPECT_TRUE(HasAddr(pod.name(), "eth0", "10.77.0.50/24"));
  }
  {
    auto conf = Conf();
    conf["args"] = {{"cni", {{"ips", {"10.77.0.51"}}}}};
    Pod& pod = NewPod();
    auto r = Add(pod, conf);
    ASSERT_PLUGIN_OK(r);
    EXPECT_EQ(FirstAddress(r.json), "10.77.0.51/24");
    EXPECT_TRUE(HasAddr(pod.name(), "eth0", "10.77.0.51/24"));
  }
  {
    auto conf = Conf();
    conf["runtimeConfig"] = {{"ips", {"10.77.0.52/24"}}};
    Pod& pod = NewPod();
    auto r = Add(pod, conf);
    ASSERT_PLUGIN_OK(r);
    EXPECT_EQ(FirstAddress(r.json), "10.77.0.52/24");
    EXPECT_TRUE(HasAddr(pod.name(), "eth0", "10.77.0.52/24"));
  }
  EXPECT_EQ(IpamIpFiles(data_dir(), kNet), (std::vector<std::string>{"10.77.0.50", "10.77.0.51", "10.77.0.52"}));
}

// --- forceAddress ---------------------------------------------------------------------------

TEST_F(BridgeTest, ForeignBridgeAddressIsAnErrorUnlessForceAddress) {
  Ip(node(), {"link", "add", kBridge, "type", "bridge"});
  Ip(node(), {"addr", "add", "10.66.0.1/24", "dev", kBridge});
  Ip(node(), {"link", "set", kBridge, "up"});

  Pod& refused = NewPod();
  auto before = NodeVeths();
  auto r = Add(refused, Conf());
  ExpectCniError(r, 999, "already has an IP address different from");
  // Intentional difference: the reference leaves the veth of a failed ADD behind.
  ExpectNothingLeftFor(refused, before);

  auto conf = Conf();
  conf["forceAddress"] = true;
  Pod& forced = NewPod();
  ASSERT_PLUGIN_OK(Add(forced, conf));
  EXPECT_TRUE(HasAddr(node(), kBridge, std::string(kGateway) + "/24"));
  EXPECT_FALSE(HasAddr(node(), kBridge, "10.66.0.1/24")) << "forceAddress replaces the v4 address";
}

// --- Compatibility of configs ---------------------------------------------------------------

TEST_F(BridgeTest, UnknownKeysAreIgnored) {
  auto conf = Conf("0.3.1");
  conf["addIf"] = "eth0";  // AKS kubenet conflist
  conf["vendorExtension"] = {{"nested", {1, 2, 3}}};
  conf["ipam"]["unknownIpamKey"] = true;
  Pod& pod = NewPod();
  auto r = Add(pod, conf);
  ASSERT_PLUGIN_OK(r);
  EXPECT_TRUE(HasAddr(pod.name(), "eth0", FirstAddress(r.json)));
}

TEST_F(BridgeTest, ConfigDnsIsPassedThroughToTheResult) {
  const json dns = {{"nameservers", {"10.77.0.53", "fd77::53"}},
                    {"domain", "cluster.local"},
                    {"search", {"ns.svc.cluster.local", "svc.cluster.local"}},
                    {"options", {"ndots:5"}}};
  for (const std::string version : {"0.4.0", "1.0.0"}) {
    SCOPED_TRACE(version);
    auto conf = Conf(version);
    conf["dns"] = dns;
    Pod& pod = NewPod();
    auto r = Add(pod, conf);
    ASSERT_PLUGIN_OK(r);
    EXPECT_EQ(r.json.value("dns", json()), dns) << r.json.dump(2);
  }
}

}  // namespace
}  // namespace cnb::test
