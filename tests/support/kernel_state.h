// SPDX-License-Identifier: Apache-2.0
// Reading kernel state back from inside a namespace with iproute2's JSON output, /proc/sys and
// iptables, so tests assert what the kernel really holds rather than what a plugin printed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cnb::test {

// `ip -n <ns> -j <args...>` parsed; throws std::runtime_error when ip fails.
nlohmann::json IpJson(const std::string& ns, const std::vector<std::string>& args);
// `ip -n <ns> <args...>`; throws when it fails (used to set up and to break things on purpose).
void Ip(const std::string& ns, const std::vector<std::string>& args);

// One link with details (`ip -d link show dev`), or nullopt when it does not exist.
std::optional<nlohmann::json> Link(const std::string& ns, const std::string& ifname);
// Whether `ifname` is gone from `ns`, polling up to `timeout_ms`: the kernel destroys a deleted
// netns (and the veth peers inside it) from a workqueue, after the last reference is dropped.
bool LinkGoneWithin(const std::string& ns, const std::string& ifname, int timeout_ms = 5000);
// Every link in the namespace, with details.
std::vector<nlohmann::json> Links(const std::string& ns);
// Links whose master is `bridge` (the bridge's ports).
std::vector<nlohmann::json> BridgePorts(const std::string& ns, const std::string& bridge);
// Links of a given kind ("veth", "bridge", ...).
std::vector<nlohmann::json> LinksOfKind(const std::string& ns, const std::string& kind);
bool HasFlag(const nlohmann::json& link, const std::string& flag);

struct Addr {
  std::string family;  // "inet" / "inet6"
  std::string local;
  int prefixlen = 0;
  std::string scope;
  bool tentative = false;
  bool dadfailed = false;
  std::string cidr() const { return local + "/" + std::to_string(prefixlen); }
};
std::vector<Addr> Addrs(const std::string& ns, const std::string& ifname);
bool HasAddr(const std::string& ns, const std::string& ifname, const std::string& cidr);

// `ip -4|-6 -j route show [table main]` entries.
std::vector<nlohmann::json> Routes(const std::string& ns, int family);
// Gateway of the default route of `family` (4/6), or "" when there is none.
std::string DefaultGateway(const std::string& ns, int family);

// Contents of /sys/class/net/<ifname>/<attr> as seen inside `ns` (ip netns exec mounts a sysfs
// of that namespace), trimmed; e.g. "addr_assign_type", which iproute2 does not show.
std::string SysfsNet(const std::string& ns, const std::string& ifname, const std::string& attr);
// Contents of /proc/sys/<key> (e.g. "net/ipv4/ip_forward") read inside `ns`, trimmed.
std::string Sysctl(const std::string& ns, const std::string& key);
void WriteSysctl(const std::string& ns, const std::string& key, const std::string& value);

// `iptables -t nat -S` (or ip6tables) inside `ns`.
std::string NatRules(const std::string& ns, bool ipv6 = false);

// `ip netns exec <ns> ping -c1 -W1 <addr>` succeeded (retried a few times: a freshly
// attached port may still be learning).
bool Ping(const std::string& ns, const std::string& addr, int attempts = 3);

// sha512 hex digest (via coreutils sha512sum), for the masquerade chain name.
std::string Sha512Hex(const std::string& data);
// The reference's chain name: "CNI-" + first 24 hex of sha512(network name + container id).
std::string MasqChainName(const std::string& network, const std::string& container_id);

}  // namespace cnb::test
