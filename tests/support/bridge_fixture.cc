// SPDX-License-Identifier: Apache-2.0
#include "support/bridge_fixture.h"

#include <filesystem>

namespace cnb::test {

void BridgeTest::SetUp() {
  // CI runs as root; a non-root run must fail loudly rather than pass by skipping everything.
  ASSERT_TRUE(IsRoot()) << "integration tests create network namespaces and need root";
  ASSERT_TRUE(std::filesystem::exists(PluginDir() + "/bridge")) << "no bridge executable in " << PluginDir();
  SweepStaleNamespaces();
  node_ = std::make_unique<ScopedNetns>();
  data_dir_ = std::make_unique<TempDir>();
  // A fresh netns has lo down; bring it up as on a real node.
  Ip(node(), {"link", "set", "lo", "up"});
}

void BridgeTest::TearDown() {
  pods_.clear();
  node_.reset();
  data_dir_.reset();
}

nlohmann::json BridgeTest::Conf(const std::string& version) const {
  return {
      {"cniVersion", version},
      {"name", kNet},
      {"type", "bridge"},
      {"bridge", kBridge},
      {"isGateway", true},
      {"ipam",
       {{"type", "host-local"},
        {"dataDir", data_dir()},
        {"ranges", nlohmann::json::array({nlohmann::json::array({{{"subnet", kSubnet}}})})}}},
  };
}

nlohmann::json BridgeTest::DualStackConf(const std::string& version) const {
  auto conf = Conf(version);
  conf["ipam"]["ranges"].push_back(nlohmann::json::array({{{"subnet", kSubnet6}}}));
  return conf;
}

Pod& BridgeTest::NewPod() {
  Pod pod;
  pod.ns = std::make_unique<ScopedNetns>();
  pod.id = "ctr-" + std::to_string(next_pod_++) + "-" + pod.ns->name();
  pods_.push_back(std::move(pod));
  return pods_.back();
}

std::map<std::string, std::string> BridgeTest::Env(const CniCall& call) const {
  std::map<std::string, std::string> env = {
      {"CNI_COMMAND", call.command}, {"CNI_CONTAINERID", call.container_id},
      {"CNI_NETNS", call.netns},     {"CNI_IFNAME", call.ifname},
      {"CNI_PATH", PluginDir()},
  };
  if (!call.args.empty()) env["CNI_ARGS"] = call.args;
  return env;
}

PluginRun BridgeTest::Call(const CniCall& call, const nlohmann::json& conf) {
  return RunPlugin(node(), "bridge", Env(call), conf.dump());
}

PluginRun BridgeTest::CallReference(const CniCall& call, const nlohmann::json& conf) {
  auto env = Env(call);
  env["CNI_PATH"] = kReferencePluginDir;
  return RunPlugin(node(), std::string(kReferencePluginDir) + "/bridge", env, conf.dump());
}

PluginRun BridgeTest::Add(const Pod& pod, const nlohmann::json& conf, const std::string& ifname,
                          const std::string& cni_args) {
  return Call({"ADD", pod.id, pod.path(), ifname, cni_args}, conf);
}

PluginRun BridgeTest::Del(const Pod& pod, const nlohmann::json& conf, const std::string& ifname) {
  return Call({"DEL", pod.id, pod.path(), ifname, ""}, conf);
}

PluginRun BridgeTest::Check(const Pod& pod, nlohmann::json conf, const nlohmann::json& prev,
                            const std::string& ifname) {
  conf["prevResult"] = prev;
  return Call({"CHECK", pod.id, pod.path(), ifname, ""}, conf);
}

std::string BridgeTest::HostVeth(const nlohmann::json& add_result) {
  return add_result.at("interfaces").at(1).at("name").get<std::string>();
}

std::string BridgeTest::FirstAddress(const nlohmann::json& r) {
  if (r.contains("ips") && !r["ips"].empty()) return r["ips"][0].at("address").get<std::string>();
  if (r.contains("ip4")) return r["ip4"].at("ip").get<std::string>();
  if (r.contains("ip6")) return r["ip6"].at("ip").get<std::string>();
  return "";
}

std::string BridgeTest::WithoutPrefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

void BridgeTest::ExpectCniError(const PluginRun& r, int code, const std::string& msg_part) {
  EXPECT_EQ(r.proc.exit_code, 1) << r.Describe();
  ASSERT_TRUE(r.json.is_object()) << "error must be a JSON object on stdout\n" << r.Describe();
  EXPECT_EQ(r.code(), code) << r.Describe();
  EXPECT_TRUE(r.json.contains("msg") && r.json["msg"].is_string()) << r.Describe();
  EXPECT_NE(r.msg().find(msg_part), std::string::npos) << "msg should contain \"" << msg_part << "\"\n" << r.Describe();
}

std::set<std::string> BridgeTest::NodeVeths() const {
  std::set<std::string> names;
  for (const auto& l : LinksOfKind(node(), "veth")) names.insert(l.value("ifname", ""));
  return names;
}

void BridgeTest::ExpectNothingLeftFor(const Pod& pod, const std::set<std::string>& veths_before,
                                      const std::string& ifname) {
  EXPECT_FALSE(Link(pod.name(), ifname).has_value()) << ifname << " left in the pod";
  EXPECT_EQ(NodeVeths(), veths_before) << "veths in the node changed";
  for (const auto& ip : IpamIpFiles(data_dir(), kNet)) {
    std::string content = ReadFile(data_dir() + "/" + kNet + "/" + ip);
    EXPECT_NE(content, pod.id + "\r\n" + ifname) << "reservation " << ip << " left for the pod";
  }
}

}  // namespace cnb::test
