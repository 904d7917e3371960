// SPDX-License-Identifier: Apache-2.0
#include "support/kernel_state.h"

#include <stdexcept>
#include <thread>

#include "support/process.h"

namespace cnb::test {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::vector<std::string> IpArgv(const std::string& ns, bool json, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip", "-n", ns};
  if (json) argv.push_back("-j");
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

nlohmann::json IpJson(const std::string& ns, const std::vector<std::string>& args) {
  std::string out = RunOrThrow(IpArgv(ns, true, args));
  if (Trim(out).empty()) return nlohmann::json::array();
  return nlohmann::json::parse(out);
}

void Ip(const std::string& ns, const std::vector<std::string>& args) { RunOrThrow(IpArgv(ns, false, args)); }

std::optional<nlohmann::json> Link(const std::string& ns, const std::string& ifname) {
  auto argv = IpArgv(ns, true, {"-d", "link", "show", "dev", ifname});
  ProcessResult r = RunProcess(argv, std::nullopt, {});
  if (r.exit_code != 0) {
    // "does not exist" from the name lookup; "No such device" when the link went away between
    // that lookup and the request (a veth being deleted right now).
    if (r.err.find("does not exist") != std::string::npos || r.err.find("No such device") != std::string::npos) {
      return std::nullopt;
    }
    throw std::runtime_error("command failed: " + Describe(argv, r));
  }
  auto j = nlohmann::json::parse(r.out);
  if (!j.is_array() || j.empty()) return std::nullopt;
  return j[0];
}

bool LinkGoneWithin(const std::string& ns, const std::string& ifname, int timeout_ms) {
  constexpr int kStepMs = 20;
  for (int waited = 0;; waited += kStepMs) {
    if (!Link(ns, ifname).has_value()) return true;
    if (waited >= timeout_ms) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(kStepMs));
  }
}

std::vector<nlohmann::json> Links(const std::string& ns) {
  std::vector<nlohmann::json> links;
  for (auto& l : IpJson(ns, {"-d", "link", "show"})) links.push_back(l);
  return links;
}

std::vector<nlohmann::json> BridgePorts(const std::string& ns, const std::string& bridge) {
  std::vector<nlohmann::json> ports;
  for (auto& l : Links(ns))
    if (l.value("master", "") == bridge) ports.push_back(l);
  return ports;
}

std::vector<nlohmann::json> LinksOfKind(const std::string& ns, const std::string& kind) {
  std::vector<nlohmann::json> out;
  for (auto& l : Links(ns))
    if (l.contains("linkinfo") && l["linkinfo"].value("info_kind", "") == kind) out.push_back(l);
  return out;
}

bool HasFlag(const nlohmann::json& link, const std::string& flag) {
  if (!link.contains("flags")) return false;
  for (auto& f : link["flags"])
    if (f == flag) return true;
  return false;
}

std::vector<Addr> Addrs(const std::string& ns, const std::string& ifname) {
  std::vector<Addr> out;
  for (auto& l : IpJson(ns, {"addr", "show", "dev", ifname})) {
    if (!l.contains("addr_info")) continue;
    for (auto& a : l["addr_info"]) {
      Addr addr;
      addr.family = a.value("family", "");
      addr.local = a.value("local", "");
      addr.prefixlen = a.value("prefixlen", 0);
      addr.scope = a.value("scope", "");
      addr.tentative = a.value("tentative", false);
      addr.dadfailed = a.value("dadfailed", false);
      out.push_back(addr);
    }
  }
  return out;
}

bool HasAddr(const std::string& ns, const std::string& ifname, const std::string& cidr) {
  for (auto& a : Addrs(ns, ifname))
    if (a.cidr() == cidr) return true;
  return false;
}

std::vector<nlohmann::json> Routes(const std::string& ns, int family) {
  std::vector<nlohmann::json> out;
  for (auto& r : IpJson(ns, {family == 6 ? "-6" : "-4", "route", "show"})) out.push_back(r);
  return out;
}

std::string DefaultGateway(const std::string& ns, int family) {
  for (auto& r : Routes(ns, family))
    if (r.value("dst", "") == "default") return r.value("gateway", "");
  return "";
}

std::string SysfsNet(const std::string& ns, const std::string& ifname, const std::string& attr) {
  return Trim(RunOrThrow({"ip", "netns", "exec", ns, "cat", "/sys/class/net/" + ifname + "/" + attr}));
}

std::string Sysctl(const std::string& ns, const std::string& key) {
  return Trim(RunOrThrow({"ip", "netns", "exec", ns, "cat", "/proc/sys/" + key}));
}

void WriteSysctl(const std::string& ns, const std::string& key, const std::string& value) {
  RunOrThrow({"ip", "netns", "exec", ns, "sh", "-c", "echo " + value + " > /proc/sys/" + key});
}

std::string NatRules(const std::string& ns, bool ipv6) {
  return RunOrThrow({"ip", "netns", "exec", ns, ipv6 ? "ip6tables" : "iptables", "-t", "nat", "-S"});
}

bool Ping(const std::string& ns, const std::string& addr, int attempts) {
  for (int i = 0; i < attempts; ++i) {
    auto r =
        RunProcess({"ip", "netns", "exec", ns, "ping", "-c1", "-W1", addr}, std::nullopt, {}, std::chrono::seconds(10));
    if (r.exit_code == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::string Sha512Hex(const std::string& data) {
  std::string out = RunOrThrow({"sha512sum"}, data);
  return out.substr(0, out.find(' '));
}

std::string MasqChainName(const std::string& network, const std::string& container_id) {
  return "CNI-" + Sha512Hex(network + container_id).substr(0, 24);
}

}  // namespace cnb::test
