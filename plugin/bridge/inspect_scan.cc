// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/inspect_scan.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "common/error.h"
#include "common/file_util.h"
#include "ipam/config.h"
#include "ipam/disk_store.h"
#include "masq/masq.h"
#include "masq/spoofcheck.h"
#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/nft/socket.h"
#include "netlink/route_socket.h"
#include "plugin/bridge/alias.h"
#include "plugin/bridge/netconf.h"

namespace cnb::bridge {
namespace {

// Where runtimes bind pods' namespaces (containerd, CRI-O, podman, cnitool users).
constexpr const char* kNetnsDir = "/run/netns";

struct BridgeNetwork {
  std::string file;
  NetConf conf;
  std::optional<std::string> data_dir;  // host-local's; nullopt for another IPAM or none
};

// The pod side of a host veth.
struct PodEnd {
  std::string netns;
  std::string ifname;
  std::string mac;
  std::vector<std::string> ips;
};

// What the node holds, read once for every network.
struct NodeSnapshot {
  std::vector<nl::LinkInfo> links;
  std::map<int, PodEnd> pod_ends;  // by the host veth's ifindex
  std::vector<masq::SpoofCheckJump> spoof_checks;
};

std::vector<std::string> GlobalAddresses(nl::RouteSocket& sock, int ifindex) {
  std::vector<std::string> out;
  for (const auto& a : nl::ListAddresses(sock, ifindex)) {
    if (a.scope != RT_SCOPE_LINK) out.push_back(a.local.addr().ToString());
  }
  return out;
}

// The namespaces under /run/netns, by the id the node knows each by.
std::map<int, std::string> NamespacesById(nl::RouteSocket& node) {
  std::map<int, std::string> out;
  ForEachEntry(kNetnsDir, [&](const std::string& name, unsigned char) {
    const std::string path = std::string(kNetnsDir) + "/" + name;
    try {
      if (auto id = nl::NetnsId(node, nl::Netns::Open(path))) out.emplace(*id, path);
    } catch (const Error&) {
      // Not a namespace (a stale bind mount), or gone meanwhile: nothing of it to show.
    }
  });
  return out;
}

// Each host veth's pod end, when its namespace is one of /run/netns: the node's veth names the
// peer's namespace by id (IFLA_LINK_NETNSID) and the peer by ifindex, which is exact.
std::map<int, PodEnd> FindPodEnds(nl::RouteSocket& node, const std::vector<nl::LinkInfo>& links) {
  std::map<int, PodEnd> out;
  const std::map<int, std::string> namespaces = NamespacesById(node);
  std::map<std::string, nl::RouteSocket> sockets;
  for (const auto& link : links) {
    if (link.kind != "veth" || link.peer_netnsid < 0) continue;
    auto ns = namespaces.find(link.peer_netnsid);
    if (ns == namespaces.end()) continue;
    try {
      auto sock = sockets.find(ns->second);
      if (sock == sockets.end()) {
        sock = sockets.emplace(ns->second, nl::RouteSocket::OpenIn(nl::Netns::Open(ns->second))).first;
      }
      auto peer = nl::GetLinkByIndex(sock->second, link.peer_ifindex);
      if (!peer) continue;
      out[link.ifindex] = {ns->second, peer->name, peer->mac, GlobalAddresses(sock->second, peer->ifindex)};
    } catch (const Error&) {
      // The pod went away while we looked.
    }
  }
  return out;
}

NodeSnapshot ReadNode(nl::nft::LazyNftSocket& nft, std::vector<std::string>* errors) {
  NodeSnapshot node;
  nl::RouteSocket sock = nl::RouteSocket::Open();
  node.links = nl::ListLinks(sock);
  node.pod_ends = FindPodEnds(sock, node.links);
  try {
    node.spoof_checks = masq::ListSpoofChecks(nft.get());
  } catch (const Error& e) {
    errors->push_back("macspoofchk rules: " + e.msg());
  }
  return node;
}

std::optional<BridgeNetwork> BridgeNetworkOf(const cni::NetworkConfigFile& file) {
  for (const auto& plugin : file.plugins) {
    if (plugin.value("type", "") != "bridge") continue;
    cni::Invocation inv;
    inv.config = plugin;
    inv.network_name = file.name;
    inv.cni_version = file.cni_version.empty() ? "0.1.0" : file.cni_version;
    BridgeNetwork net{file.path, ParseNetConf(inv), std::nullopt};
    if (net.conf.ipam_type == "host-local") net.data_dir = ipam::LoadIpamConfig(plugin, "").data_dir;
    return net;
  }
  return std::nullopt;
}

// A veth in the node whose peer is "<bridge>.<vlan>", also in the node: the vlan gateway's port.
bool IsVlanGatewayPort(const nl::LinkInfo& port, const std::vector<nl::LinkInfo>& links) {
  if (port.peer_netnsid >= 0) return false;
  return std::any_of(links.begin(), links.end(), [&](const nl::LinkInfo& l) {
    return l.ifindex == port.peer_ifindex && l.peer_ifindex == port.ifindex;
  });
}

using cni::SameContainer;  // an alias or a masquerade comment may hold a cut ID

using Reservations = std::vector<ipam::DiskStore::Reservation>;

// The reservations of the attachment, or the legacy ones of its container.
std::vector<std::string> ReservedIps(const Reservations& res, const std::string& id, const std::string& ifname) {
  std::vector<std::string> exact, legacy;
  for (const auto& r : res) {
    if (!SameContainer(id, r.owner.container_id)) continue;
    if (r.owner.ifname == ifname) exact.push_back(r.ip.ToString());
    if (r.owner.ifname.empty()) legacy.push_back(r.ip.ToString());
  }
  return exact.empty() ? legacy : exact;
}

// One attachment as found, with what the state needs besides the reported keys.
struct Found {
  InspectedAttachment a;
  bool reserved = false;
  bool orphan = false;
};

// A network with its reservations (nullopt: not host-local, or unreadable).
struct NetworkView {
  BridgeNetwork net;
  std::optional<Reservations> reservations;
};

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Who a bridge port belongs to: its alias says; a veth of the Go plugins is known by its pod
// end's name and the reservation that holds one of its addresses.
Found FromPort(const NetworkView& view, const nl::LinkInfo& port, const NodeSnapshot& node) {
  Found f;
  f.a.network = view.net.conf.name;
  f.a.bridge = view.net.conf.bridge;
  f.a.host_veth = port.name;
  const auto end = node.pod_ends.find(port.ifindex);
  const PodEnd* pod = end == node.pod_ends.end() ? nullptr : &end->second;
  if (pod) {
    f.a.netns = pod->netns;
    f.a.ifname = pod->ifname;
    f.a.mac = pod->mac;
  }
  if (auto alias = ParseAlias(port.alias)) {
    f.a.container_id = alias->container_id;
    f.a.ifname = alias->ifname;
    f.a.pod_namespace = alias->pod_namespace;
    f.a.pod_name = alias->pod_name;
  } else if (pod && view.reservations) {
    for (const auto& r : *view.reservations) {
      if (!Contains(pod->ips, r.ip.ToString())) continue;
      if (!r.owner.ifname.empty() && r.owner.ifname != f.a.ifname) continue;
      f.a.container_id = r.owner.container_id;
      break;
    }
  }
  if (view.reservations && !f.a.container_id.empty()) {
    f.a.ips = ReservedIps(*view.reservations, f.a.container_id, f.a.ifname);
    f.reserved = !f.a.ips.empty();
  }
  if (f.a.ips.empty() && pod) f.a.ips = pod->ips;
  return f;
}

// Whether another network on the same bridge holds the port's reservation (so it is that one's).
bool ReservedElsewhere(const Found& f, const NetworkView& view, const std::vector<NetworkView>& all) {
  for (const auto& other : all) {
    if (&other == &view || other.net.conf.bridge != view.net.conf.bridge || !other.reservations) continue;
    if (!ReservedIps(*other.reservations, f.a.container_id, f.a.ifname).empty()) return true;
  }
  return false;
}

void AddPorts(const NetworkView& view, const std::vector<NetworkView>& all, const NodeSnapshot& node,
              std::vector<Found>* found) {
  const auto br = std::find_if(node.links.begin(), node.links.end(), [&](const nl::LinkInfo& l) {
    return l.name == view.net.conf.bridge && l.kind == "bridge";
  });
  if (br == node.links.end()) return;
  for (const auto& port : node.links) {
    if (port.master != br->ifindex || port.kind != "veth" || IsVlanGatewayPort(port, node.links)) continue;
    Found f = FromPort(view, port, node);
    if (!f.reserved && !f.a.container_id.empty() && ReservedElsewhere(f, view, all)) continue;
    found->push_back(std::move(f));
  }
}

// Reservations no port accounts for.
void AddReservationsWithoutVeth(const NetworkView& view, std::vector<Found>* found) {
  if (!view.reservations) return;
  std::map<cni::Attachment, std::vector<std::string>> owners;
  for (const auto& r : *view.reservations) owners[r.owner].push_back(r.ip.ToString());
  for (const auto& entry : owners) {
    const cni::Attachment& owner = entry.first;  // not a structured binding: the lambda takes it
    const bool has_port = std::any_of(found->begin(), found->end(), [&](const Found& f) {
      return SameContainer(f.a.container_id, owner.container_id) &&
             (owner.ifname.empty() || owner.ifname == f.a.ifname);
    });
    if (has_port) continue;
    Found f;
    f.a.network = view.net.conf.name;
    f.a.bridge = view.net.conf.bridge;
    f.a.container_id = owner.container_id;
    f.a.ifname = owner.ifname;
    f.a.ips = entry.second;
    f.reserved = true;
    found->push_back(std::move(f));
  }
}

bool SameAttachment(const InspectedAttachment& a, const cni::Attachment& owner) {
  return !a.container_id.empty() && SameContainer(a.container_id, owner.container_id) &&
         (owner.ifname.empty() || owner.ifname == a.ifname);
}

// The masquerade state of each attachment, and the network's rules no attachment accounts for.
void AddMasquerade(const BridgeNetwork& net, nl::nft::LazyNftSocket& nft, std::vector<Found>* found,
                   std::vector<std::string>* errors) {
  std::vector<cni::Attachment> owners;
  try {
    owners = masq::MakeTeardownMasquerader(nft)->List(net.conf.name);
  } catch (const Error& e) {
    errors->push_back(net.conf.name + ": cannot read the masquerade rules: " + e.msg());
    for (auto& f : *found) f.a.masquerade = "unknown";
    return;
  }
  std::vector<bool> used(owners.size(), false);
  for (auto& f : *found) {
    bool on = false;
    for (size_t i = 0; i < owners.size(); ++i) {
      if (!SameAttachment(f.a, owners[i])) continue;
      on = true;
      used[i] = true;
    }
    if (f.a.container_id.empty())
      f.a.masquerade = "unknown";
    else
      f.a.masquerade = on ? "on" : (net.conf.ip_masq ? "missing" : "off");
  }
  for (size_t i = 0; i < owners.size(); ++i) {
    if (used[i]) continue;
    Found f;
    f.a.network = net.conf.name;
    f.a.bridge = net.conf.bridge;
    f.a.container_id = owners[i].container_id;
    f.a.ifname = owners[i].ifname;
    f.a.masquerade = "on";
    f.orphan = true;
    found->push_back(std::move(f));
  }
}

std::string SpoofState(const BridgeNetwork& net, const InspectedAttachment& a, const NodeSnapshot& node) {
  const std::string id = masq::SpoofCheckId(a.container_id, a.ifname);
  const bool on = std::any_of(node.spoof_checks.begin(), node.spoof_checks.end(), [&](const masq::SpoofCheckJump& j) {
    return (!a.host_veth.empty() && j.host_veth == a.host_veth) || (!a.container_id.empty() && j.id == id);
  });
  if (on) return "on";
  return net.conf.mac_spoof_check && !a.host_veth.empty() ? "missing" : "off";
}

std::string StateOf(const Found& f, const NetworkView& view) {
  if (f.orphan) return kStateMasqOrphan;
  if (f.a.host_veth.empty()) return kStateReservationWithoutVeth;
  if (view.reservations && !f.reserved) return kStateVethWithoutReservation;
  if (f.a.masquerade == "missing") return kStateMasqMissing;
  return kStateOk;
}

std::vector<NetworkView> ReadNetworks(const std::vector<cni::NetworkConfigFile>& files,
                                      std::vector<std::string>* errors) {
  std::vector<NetworkView> views;
  for (const auto& file : files) {
    try {
      auto net = BridgeNetworkOf(file);
      if (!net) continue;
      NetworkView view{*net, std::nullopt};
      if (net->data_dir) {
        try {
          view.reservations = ipam::DiskStore::OpenExisting(*net->data_dir, net->conf.name).Reservations();
          // IPv4 first, then by address (directory order says nothing).
          std::sort(view.reservations->begin(), view.reservations->end(),
                    [](const auto& a, const auto& b) { return a.ip < b.ip; });
        } catch (const Error& e) {
          errors->push_back(file.name + ": cannot read the IPAM store in " + *net->data_dir + ": " + e.msg());
        }
      }
      views.push_back(std::move(view));
    } catch (const Error& e) {
      errors->push_back(file.path + ": " + e.msg());
    }
  }
  return views;
}

}  // namespace

std::vector<InspectedAttachment> InspectNetworks(const std::vector<cni::NetworkConfigFile>& networks,
                                                 std::vector<std::string>* errors) {
  const std::vector<NetworkView> views = ReadNetworks(networks, errors);
  nl::nft::LazyNftSocket nft;
  const NodeSnapshot node = ReadNode(nft, errors);
  std::vector<InspectedAttachment> out;
  for (const auto& view : views) {
    std::vector<Found> found;
    AddPorts(view, views, node, &found);
    AddReservationsWithoutVeth(view, &found);
    AddMasquerade(view.net, nft, &found, errors);
    for (auto& f : found) {
      f.a.macspoofchk = SpoofState(view.net, f.a, node);
      f.a.state = StateOf(f, view);
      out.push_back(std::move(f.a));
    }
  }
  return out;
}

namespace {

std::string NetnsPath(const std::string& netns) {
  const bool pid =
      !netns.empty() && std::all_of(netns.begin(), netns.end(), [](char c) { return c >= '0' && c <= '9'; });
  return pid ? "/proc/" + netns + "/ns/net" : netns;
}

void DescribeHostEnd(nl::RouteSocket& node, PodInterface* p) {
  auto host = nl::GetLinkByIndex(node, p->peer_ifindex);
  if (!host) return;
  p->host_veth = host->name;
  if (host->master != 0) {
    if (auto br = nl::GetLinkByIndex(node, host->master)) p->bridge = br->name;
  }
  if (auto alias = ParseAlias(host->alias)) {
    p->container_id = alias->container_id;
    p->pod_namespace = alias->pod_namespace;
    p->pod_name = alias->pod_name;
  }
}

}  // namespace

std::vector<PodInterface> InspectPod(const std::string& netns) {
  const std::string path = NetnsPath(netns);
  std::optional<nl::Netns> pod_ns;
  try {
    pod_ns = nl::Netns::Open(path);
  } catch (const Error& e) {
    throw e.Wrap("cannot open the network namespace " + path);
  }
  nl::RouteSocket node = nl::RouteSocket::Open();
  nl::RouteSocket pod = nl::RouteSocket::OpenIn(*pod_ns);
  // How the pod's namespace numbers the node's: the veths whose peer is there.
  const std::optional<int> node_id = nl::NetnsId(pod, nl::Netns::Current());
  std::vector<PodInterface> out;
  for (const auto& link : nl::ListLinks(pod)) {
    if (link.kind != "veth") continue;
    PodInterface p;
    p.ifname = link.name;
    p.ifindex = link.ifindex;
    p.mac = link.mac;
    p.ips = GlobalAddresses(pod, link.ifindex);
    p.peer_ifindex = link.peer_ifindex;
    if (node_id && link.peer_netnsid == *node_id) DescribeHostEnd(node, &p);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace cnb::bridge
