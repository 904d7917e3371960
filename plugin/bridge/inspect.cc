// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/inspect.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "cni/netconf_files.h"
#include "common/error.h"
#include "common/strings.h"
#include "plugin/bridge/inspect_scan.h"

namespace cnb::bridge {
namespace {

constexpr const char* kUsage =
    "usage: bridge inspect [--json] [--config FILE]\n"
    "       bridge inspect [--json] --netns PATH|PID\n"
    "\n"
    "Lists every attachment of the bridge networks configured on this node (run it in the\n"
    "node's network namespace): container, ifname, pod, host veth, bridge, IPs, MAC,\n"
    "masquerade and macspoofchk, and a state that says where the IPAM store, the bridge's\n"
    "ports and the NAT rules disagree (ok, reservation-without-veth, veth-without-reservation,\n"
    "masq-missing, masq-orphan). Networks come from $NETCONFPATH (default /etc/cni/net.d) or\n"
    "--config FILE. With --netns, lists a pod's veths and their host ends instead. Read-only.\n"
    "\n"
    "  --json           a JSON array, for scripts (full container IDs)\n"
    "  --config FILE    only the network in FILE (.conf, .conflist or .json)\n"
    "  --netns PATH|PID the pod's network namespace, or a process in it\n";

struct Options {
  bool json = false;
  std::string config;
  std::string netns;
};

// nullopt (after a message on `err`) for a usage error.
std::optional<Options> ParseOptions(const std::vector<std::string>& args, std::FILE* err) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") {
      o.json = true;
    } else if ((a == "--config" || a == "--netns") && i + 1 < args.size()) {
      (a == "--config" ? o.config : o.netns) = args[++i];
    } else {
      std::fprintf(err, "bridge inspect: %s\n%s",
                   (a == "--config" || a == "--netns") ? (a + " needs a value").c_str()
                                                       : ("unknown argument " + GoQuote(a)).c_str(),
                   kUsage);
      return std::nullopt;
    }
  }
  if (!o.config.empty() && !o.netns.empty()) {
    std::fprintf(err, "bridge inspect: --config and --netns do not go together\n%s", kUsage);
    return std::nullopt;
  }
  return o;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

// Left-aligned columns, two spaces apart.
void PrintTable(const std::vector<std::vector<std::string>>& rows, std::FILE* out) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::fprintf(out, "%s\n", line.c_str());
  }
}

// `list` as a JSON array of `to_json` objects, or as a table of `header` and `to_row` rows.
template <typename T, typename ToJson, typename ToRow>
void PrintList(const std::vector<T>& list, bool json, std::FILE* out, ToJson to_json, std::vector<std::string> header,
               ToRow to_row) {
  if (json) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& item : list) doc.push_back(to_json(item));
    // Reservation files come from any writer: a byte that is not UTF-8 becomes U+FFFD.
    std::fprintf(out, "%s\n", doc.dump(4, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {std::move(header)};
  for (const auto& item : list) rows.push_back(to_row(item));
  PrintTable(rows, out);
}

std::string PodOf(const std::string& ns, const std::string& name) { return name.empty() ? "" : ns + "/" + name; }

void PrintAttachments(const std::vector<InspectedAttachment>& list, bool json, std::FILE* out) {
  PrintList(
      list, json, out,
      [](const InspectedAttachment& a) {
        return nlohmann::ordered_json{{"network", a.network},
                                      {"containerID", a.container_id},
                                      {"ifname", a.ifname},
                                      {"podNamespace", a.pod_namespace},
                                      {"podName", a.pod_name},
                                      {"hostVeth", a.host_veth},
                                      {"bridge", a.bridge},
                                      {"ips", a.ips},
                                      {"mac", a.mac},
                                      {"netns", a.netns},
                                      {"masquerade", a.masquerade},
                                      {"macspoofchk", a.macspoofchk},
                                      {"state", a.state}};
      },
      {"NETWORK", "CONTAINER", "IFNAME", "POD", "HOST VETH", "BRIDGE", "IPS", "MAC", "MASQ", "SPOOFCHK", "STATE"},
      [](const InspectedAttachment& a) {
        return std::vector<std::string>{a.network,
                                        OrDash(a.container_id.substr(0, 12)),
                                        OrDash(a.ifname),
                                        OrDash(PodOf(a.pod_namespace, a.pod_name)),
                                        OrDash(a.host_veth),
                                        a.bridge,
                                        OrDash(Join(a.ips, ",")),
                                        OrDash(a.mac),
                                        a.masquerade,
                                        a.macspoofchk,
                                        a.state};
      });
}

void PrintPod(const std::vector<PodInterface>& list, bool json, std::FILE* out) {
  PrintList(
      list, json, out,
      [](const PodInterface& p) {
        return nlohmann::ordered_json{
            {"ifname", p.ifname},   {"ifindex", p.ifindex},          {"mac", p.mac},
            {"ips", p.ips},         {"peerIfindex", p.peer_ifindex}, {"hostVeth", p.host_veth},
            {"bridge", p.bridge},   {"containerID", p.container_id}, {"podNamespace", p.pod_namespace},
            {"podName", p.pod_name}};
      },
      {"IFNAME", "IFINDEX", "MAC", "IPS", "PEER IFINDEX", "HOST VETH", "BRIDGE", "CONTAINER", "POD"},
      [](const PodInterface& p) {
        return std::vector<std::string>{p.ifname,
                                        std::to_string(p.ifindex),
                                        p.mac,
                                        OrDash(Join(p.ips, ",")),
                                        std::to_string(p.peer_ifindex),
                                        OrDash(p.host_veth),
                                        OrDash(p.bridge),
                                        OrDash(p.container_id.substr(0, 12)),
                                        OrDash(PodOf(p.pod_namespace, p.pod_name))};
      });
}

// The networks to inspect, or nullopt after saying why there are none.
std::optional<std::vector<cni::NetworkConfigFile>> LoadNetworks(const Options& o, const std::string& env_netconfpath,
                                                                std::vector<std::string>* errors, std::FILE* err) {
  if (!o.config.empty()) return std::vector<cni::NetworkConfigFile>{cni::LoadNetworkConfigFile(o.config)};
  const std::string dir = env_netconfpath.empty() ? cni::kDefaultNetconfDir : env_netconfpath;
  cni::NetworkConfigScan scan = cni::FindNetworkConfigs(dir);
  errors->insert(errors->end(), scan.errors.begin(), scan.errors.end());
  if (scan.networks.empty()) {
    for (const auto& e : *errors) std::fprintf(err, "bridge inspect: %s\n", e.c_str());
    std::fprintf(err, "bridge inspect: no network configuration in %s (set NETCONFPATH, or use --config FILE)\n",
                 dir.c_str());
    return std::nullopt;
  }
  return scan.networks;
}

int Inspect(const Options& o, const std::string& env_netconfpath, std::FILE* out, std::FILE* err) {
  std::vector<std::string> errors;
  if (!o.netns.empty()) {
    PrintPod(InspectPod(o.netns), o.json, out);
  } else {
    auto networks = LoadNetworks(o, env_netconfpath, &errors, err);
    if (!networks) return 1;
    const bool any_bridge = std::any_of(networks->begin(), networks->end(), [](const cni::NetworkConfigFile& f) {
      return std::any_of(f.plugins.begin(), f.plugins.end(),
                         [](const nlohmann::json& p) { return p.value("type", "") == "bridge"; });
    });
    if (!any_bridge) {
      std::fprintf(err, "bridge inspect: none of the %zu network configuration(s) uses the bridge plugin\n",
                   networks->size());
      return 1;
    }
    PrintAttachments(InspectNetworks(*networks, &errors), o.json, out);
  }
  for (const auto& e : errors) std::fprintf(err, "bridge inspect: %s\n", e.c_str());
  return errors.empty() ? 0 : 1;
}

}  // namespace

int RunInspect(const std::vector<std::string>& args, const std::string& env_netconfpath, std::FILE* out,
               std::FILE* err) {
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    std::fputs(kUsage, out);
    return 0;
  }
  const std::optional<Options> o = ParseOptions(args, err);
  if (!o) return 2;
  try {
    return Inspect(*o, env_netconfpath, out, err);
  } catch (const Error& e) {
    std::fprintf(err, "bridge inspect: %s\n", e.msg().c_str());
  } catch (const std::exception& e) {
    std::fprintf(err, "bridge inspect: %s\n", e.what());
  }
  return 1;
}

}  // namespace cnb::bridge
