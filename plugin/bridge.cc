#include "plugin/bridge.h"

#include <linux/if.h>
#include <linux/ip.h>
#include <sys/socket.h>

#include <chrono>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "cni/version.h"
#include "common/error.h"
#include "common/log.h"
#include "common/rollback.h"
#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/socket.h"
#include "netlink/sysctl.h"
#include "netlink/vlan.h"
#include "plugin/ipam_client.h"
#include "plugin/masq.h"
#include "plugin/netconf.h"

namespace cnb::bridge {
namespace {

using Clock = std::chrono::steady_clock;

// Index of the container interface in the result (bridge, host veth, container).
constexpr int kContainerIfIndex = 2;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

// Every log line of this call carries who it is for; the pod name comes from CNI_ARGS when the
// runtime sent it (containerd and CRI-O do).
void SetupLogging(const NetConf& conf, const cni::Invocation& inv) {
  log::Level level = log::Level::kWarn;
  if (!conf.log_level.empty() && !log::ParseLevel(conf.log_level, &level)) {
    log::Warn("unknown logLevel " + Quote(conf.log_level) + ", using warn");
  }
  log::SetLevel(level);
  if (!conf.log_file.empty()) log::SetFile(conf.log_file);
  std::string ctx = std::string("cmd=") + cni::CommandName(inv.command) + " net=" + conf.name;
  if (!inv.container_id.empty()) ctx += " id=" + inv.container_id;
  if (!inv.ifname.empty()) ctx += " if=" + inv.ifname;
  std::string pod_ns, pod_name;
  size_t start = 0;
  while (start < inv.args.size()) {
    size_t semi = inv.args.find(';', start);
    std::string pair = inv.args.substr(start, semi == std::string::npos ? std::string::npos : semi - start);
    start = semi == std::string::npos ? inv.args.size() : semi + 1;
    if (pair.rfind("K8S_POD_NAMESPACE=", 0) == 0) pod_ns = pair.substr(18);
    if (pair.rfind("K8S_POD_NAME=", 0) == 0) pod_name = pair.substr(13);
  }
  if (!pod_name.empty()) ctx += " pod=" + pod_ns + "/" + pod_name;
  log::SetContext(ctx);
}

// Logs the total duration at info, and each step's offset at debug (where the time goes).
class Timer {
 public:
  explicit Timer(const char* what) : what_(what), start_(Clock::now()) {}
  ~Timer() { log::Info(std::string(what_) + " took " + std::to_string(ElapsedUs()) + "us"); }
  void Step(const char* step) const {
    if (log::GetLevel() >= log::Level::kDebug) {
      log::Debug(std::string(what_) + " " + step + " at " + std::to_string(ElapsedUs()) + "us");
    }
  }
  long long ElapsedUs() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_).count();
  }

 private:
  const char* what_;
  Clock::time_point start_;
};

nl::Netns OpenNetns(const std::string& path) {
  try {
    return nl::Netns::Open(path);
  } catch (const Error& e) {
    throw e.Wrap("failed to open netns " + Quote(path));
  }
}

// Sysctls below a directory held open (see netlink/sysctl.h for why). Failures are ignored: these
// knobs are absent when IPv6 is disabled, and the reference ignores them too; a missing directory
// makes it a no-op.
std::optional<nl::SysctlDir> TryOpenSysctlDir(const std::string& key) {
  try {
    return nl::SysctlDir::Open(key);
  } catch (const Error& e) {
    log::Debug("sysctl directory " + key + ": " + e.msg());
    return std::nullopt;
  }
}

void TrySysctlIn(const std::optional<nl::SysctlDir>& dir, const std::string& name, const std::string& value) {
  if (!dir) return;
  try {
    dir->Ensure(name, value);
  } catch (const Error& e) {
    log::Debug("sysctl " + name + "=" + value + ": " + e.msg());
  }
}

// `node_ipv6_conf` is the node's net/ipv6/conf, shared with the host veth's setting.
nl::LinkInfo SetupBridge(nl::Socket& host, const NetConf& conf, const std::optional<nl::SysctlDir>& node_ipv6_conf) {
  nl::LinkInfo br;
  bool created = false;
  try {
    // Created with a MAC of its own, the bridge is pinned from birth: otherwise the kernel makes
    // it follow the lowest port MAC as pods come and go (the reference pins it only in gateway
    // mode).
    br = nl::EnsureBridge(host, {conf.bridge, conf.mtu, conf.vlan_enabled(), nl::RandomMac()}, &created);
  } catch (const Error& e) {
    throw e.Wrap("failed to create bridge " + Quote(conf.bridge));
  }
  if (conf.promisc_mode && !br.promisc()) {
    try {
      nl::SetPromisc(host, br.ifindex, true);
    } catch (const Error& e) {
      throw e.Wrap("could not set promiscuous mode on " + Quote(conf.bridge));
    }
  }
  // A bridge that existed already is pinned to the MAC it has now, unless it is pinned already: the
  // reference re-pins on every gateway-mode ADD, and every such change (even to the same MAC)
  // flushes the node's neighbour entries on the bridge, for all pods at once.
  if (!created && !nl::MacIsPinned(br).value_or(false)) nl::SetMac(host, br.ifindex, br.mac);
  TrySysctlIn(node_ipv6_conf, conf.bridge + "/accept_ra", "0");
  return br;
}

// Creates the pair in one request, retrying on a host-side name clash.
nl::LinkInfo CreateVethPair(nl::Socket& host, nl::Socket& pod, const nl::Netns& pod_ns,
                            const NetConf& conf, const cni::Invocation& inv, int bridge_ifindex) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    nl::VethSpec spec;
    spec.host_name = nl::RandomVethName();
    spec.peer_name = inv.ifname;
    spec.peer_ns_fd = pod_ns.fd();
    spec.mtu = conf.mtu;
    // An explicit MAC keeps udev's MACAddressPolicy from rewriting it after we report it.
    spec.host_mac = nl::RandomMac();
    spec.peer_mac = conf.container_mac;
    spec.master_ifindex = bridge_ifindex;
    try {
      nl::CreateVeth(host, spec);
    } catch (const Error& e) {
      if (e.sys_errno() == EXFULL) {
        throw e.Wrap("failed to make veth pair: bridge " + Quote(conf.bridge) +
                     " has no free port (a Linux bridge takes at most 1023)");
      }
      if (e.IsExists()) {
        if (nl::GetLink(pod, inv.ifname)) {
          throw InternalError("container veth name (" + Quote(inv.ifname) + ") peer provided (" +
                              Quote(spec.host_name) + ") already exists");
        }
        continue;  // host-side name taken: draw another
      }
      throw e.Wrap("failed to make veth pair");
    }
    auto link = nl::GetLink(host, spec.host_name);
    if (!link) throw InternalError("failed to lookup " + Quote(spec.host_name) + " after creating it");
    return *link;
  }
  throw InternalError("failed to make veth pair: could not find a free host interface name");
}

void SetupPortVlans(nl::Socket& host, const NetConf& conf, const nl::LinkInfo& port) {
  try {
    if (!conf.preserve_default_vlan) nl::DelPortVlan(host, port.ifindex, 1);
    if (conf.vlan != 0) {
      nl::AddPortVlan(host, port.ifindex, {static_cast<uint16_t>(conf.vlan), true, true});
    } else {
      nl::AddPortVlan(host, port.ifindex, {1, true, true});
    }
    for (const auto& r : conf.vlan_trunk) {
      for (int vid = r.min_id; vid <= r.max_id; ++vid) {
        nl::AddPortVlan(host, port.ifindex, {static_cast<uint16_t>(vid), false, false});
      }
    }
  } catch (const Error& e) {
    throw e.Wrap("failed to setup vlan tag on interface " + Quote(port.name));
  }
}

struct Gateways {
  std::vector<IpNet> v4;
  std::vector<IpNet> v6;
};

// Fills interface indexes and missing gateways, adds default routes, and collects the gateway
// addresses for the bridge, as the reference's calcGateways does.
Gateways CalcGateways(cni::Result& result, const NetConf& conf) {
  Gateways gws;
  bool default_v4 = false;
  bool default_v6 = false;
  for (auto& ip : result.ips) {
    bool v4 = ip.address.is_v4();
    ip.interface = kContainerIfIndex;
    if (!ip.gateway && conf.is_gateway) ip.gateway = ip.address.NetworkAddr().Next();
    bool& found = v4 ? default_v4 : default_v6;
    if (conf.is_default_gateway && !found) {
      for (const auto& r : result.routes) {
        if (r.gw && r.dst.IsDefaultRoute() && r.dst.is_v4() == v4) {
          found = true;
          break;
        }
      }
      if (!found) {
        cni::Route def;
        def.dst = IpNet(v4 ? IpAddr() : *IpAddr::Parse("::"), 0);
        def.gw = ip.gateway;
        result.routes.push_back(def);
        found = true;
      }
    }
    if (conf.is_gateway && ip.gateway) (v4 ? gws.v4 : gws.v6).push_back(IpNet(*ip.gateway, ip.address.prefix()));
  }
  return gws;
}

// Inside the pod: sysctls, addresses, link up, routes.
void ConfigurePod(nl::Socket& pod, const nl::Netns& pod_ns, const NetConf& conf, const std::string& ifname,
                  int ifindex, const cni::Result& result) {
  bool has_v6 = false;
  for (const auto& ip : result.ips) has_v6 |= !ip.address.is_v4();
  {
    // /proc/sys/net follows the thread's namespace, so these writes happen inside the pod.
    nl::NetnsGuard inside(pod_ns);
    // One walk for all of them (lo included).
    auto pod_ipv6 = TryOpenSysctlDir("net/ipv6/conf");
    const std::string eth = ifname + "/";
    if (!has_v6 && !conf.keep_container_ipv6) {
      // An IPv4-only network: IPv6 on this interface only (never lo, so ::1 and [::] listeners
      // keep working), off before the link comes up. Left on, the interface gets a link-local
      // address and joins multicast groups: it is open to NDP and RA tricks and link-local
      // traffic that bypasses IPv4 policy (Docker's CVE-2024-32473), and its MLD reports are
      // flooded by the bridge to every other pod. The reference leaves it on.
      TrySysctlIn(pod_ipv6, eth + "disable_ipv6", "1");
    } else if (conf.enable_dad) {
      TrySysctlIn(pod_ipv6, eth + "enhanced_dad", "1");
      TrySysctlIn(pod_ipv6, eth + "accept_dad", "1");
    } else {
      TrySysctlIn(pod_ipv6, eth + "accept_dad", "0");
    }
    // The pod's addresses and routes are IPAM's alone: a router advertisement (a rogue pod's,
    // or a router on the bridge) must not add a SLAAC address or a default route behind our
    // back (CVE-2020-10749 class; plugins#909). The reference leaves it on. Also ends the
    // router solicitations every pod would otherwise flood to all bridge ports.
    if (has_v6 || conf.keep_container_ipv6) TrySysctlIn(pod_ipv6, eth + "accept_ra", "0");
    if (has_v6) {
      TrySysctlIn(pod_ipv6, "lo/disable_ipv6", "0");
      TrySysctlIn(pod_ipv6, eth + "disable_ipv6", "0");
      TrySysctlIn(pod_ipv6, eth + "keep_addr_on_down", "1");
    }
  }
  // Gratuitous ARP when the link comes up, as the reference; over netlink, since this is the one
  // IPv4 setting and a /proc/sys/net/ipv4 walk costs more than the request.
  try {
    nl::SetIpv4DevConf(pod, ifindex, IPV4_DEVCONF_ARP_NOTIFY, 1);
  } catch (const Error& e) {
    log::Debug("arp_notify on " + ifname + ": " + e.msg());
  }
  for (const auto& ip : result.ips) {
    try {
      // accept_dad=0 (written above) already skips DAD; no IFA_F_NODAD, like the reference.
      nl::AddAddress(pod, ifindex, ip.address);
    } catch (const Error& e) {
      throw e.Wrap("failed to add IP addr " + ip.address.ToString() + " to " + Quote(ifname));
    }
  }
  nl::SetLinkUp(pod, ifindex);
  if (has_v6 && conf.enable_dad) {
    try {
      nl::WaitAddressesSettled(pod, ifindex, std::chrono::seconds(5));
    } catch (const Error& e) {
      throw e.Wrap("failed to settle addresses for " + Quote(ifname));
    }
  }
  std::optional<IpAddr> gw4, gw6;
  for (const auto& ip : result.ips) {
    auto& gw = ip.address.is_v4() ? gw4 : gw6;
    if (!gw && ip.gateway) gw = ip.gateway;
  }
  for (const auto& r : result.routes) {
    nl::RouteSpec spec;
    spec.dst = r.dst.Network();
    spec.gw = r.gw ? r.gw : (r.dst.is_v4() ? gw4 : gw6);
    spec.ifindex = ifindex;
    spec.priority = r.priority;
    spec.table = r.table;
    spec.scope = r.scope;
    try {
      nl::AddRoute(pod, spec);
    } catch (const Error& e) {
      // The kernel's reason alone after the route, as the reference words it.
      std::string reason = e.sys_errno() ? std::strerror(e.sys_errno()) : e.msg();
      if (e.sys_errno() && !reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
      throw Error(e.code(), "failed to add route '" + spec.dst.ToString() + " via " +
                  (spec.gw ? spec.gw->ToString() : std::string("<nil>")) + " dev " + ifname + "': " + reason,
                  e.details(), e.sys_errno());
    }
  }
}

// Puts a gateway address on the bridge, with the reference's conflict rules. The add comes
// first: in the steady state the address is already there and EEXIST says so at once, whereas
// listing means dumping every address in the node (each host veth has one), which grows with
// the number of pods. Only a newly added address is checked against the others.
void EnsureGatewayAddr(nl::Socket& host, const nl::LinkInfo& br, const IpNet& gw, bool force) {
  try {
    if (!nl::TryAddAddress(host, br.ifindex, gw)) return;  // the usual case after the first pod
  } catch (const Error& e) {
    throw e.Wrap("could not add IP address to " + Quote(br.name));
  }
  bool replaced = false;
  for (const auto& a : nl::ListAddresses(host, br.ifindex, gw.is_v4() ? AF_INET : AF_INET6)) {
    if (a.local == gw) continue;
    if (gw.is_v4() || a.local.Contains(gw.addr()) || gw.Contains(a.local.addr())) {
      if (!force) {
        try {
          nl::DelAddress(host, br.ifindex, gw);
        } catch (const Error& e) {
          log::Warn("could not take back " + gw.ToString() + " from " + br.name + ": " + e.msg());
        }
        throw InternalError(Quote(br.name) + " already has an IP address different from " + gw.ToString());
      }
      nl::DelAddress(host, br.ifindex, a.local);
      replaced = true;
    }
  }
  if (replaced) {
    // Ours may have been a secondary of the deleted primary, which the kernel drops with it.
    try {
      nl::TryAddAddress(host, br.ifindex, gw);
    } catch (const Error& e) {
      throw e.Wrap("could not add IP address to " + Quote(br.name));
    }
  }
}

// Polls the host end until it is operationally up; a veth normally gets there within a
// millisecond, but the kernel may defer it under load.
void WaitOperUp(nl::Socket& host, int ifindex) {
  static constexpr int kDelaysMs[] = {0, 1, 5, 20, 50, 100, 250, 500, 1000, 1000};
  std::string state = "unknown";
  for (int delay : kDelaysMs) {
    if (delay) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    auto link = nl::GetLinkByIndex(host, ifindex);
    if (!link) break;
    if (link->oper_up) return;
    state = link->operstate;
  }
  throw InternalError("bridge port in error state: " + state);
}

std::vector<IpNet> AddressesOf(const cni::Result& r) {
  std::vector<IpNet> out;
  for (const auto& ip : r.ips) out.push_back(ip.address);
  return out;
}

std::vector<Attachment> ValidAttachments(const nlohmann::json& config, bool* present) {
  std::vector<Attachment> out;
  *present = false;
  for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) continue;
    *present = true;
    if (!it->is_array()) throw InternalError(std::string(key) + " must be a list");
    for (const auto& a : *it) {
      if (!a.is_object()) continue;
      out.push_back({a.value("containerID", std::string()), a.value("ifname", std::string())});
    }
  }
  return out;
}

}  // namespace

// Keys we parse but do not apply yet: refusing them beats silently giving less protection or
// a gateway the pods cannot reach. Only ADD refuses, so DEL can still clean up.
void RejectUnsupported(const NetConf& conf) {
  if (conf.mac_spoof_check) {
    throw Error(ErrorCode::kUnsupportedField, "macspoofchk is not supported by this bridge plugin",
                "macspoofchk: true");
  }
  if (conf.vlan != 0 && conf.is_gateway) {
    throw Error(ErrorCode::kUnsupportedField,
                "a gateway on a VLAN interface (vlan with isGateway) is not supported by this bridge plugin",
                "vlan: " + std::to_string(conf.vlan));
  }
}

cni::Result CmdAdd(const cni::Invocation& inv) {
  nl::nft::LazySocket nft;  // first, so released last (see its comment)
  NetConf conf = ParseNetConf(inv);
  SetupLogging(conf, inv);
  RejectUnsupported(conf);
  Timer timer("ADD");

  nl::Netns pod_ns = OpenNetns(inv.netns);
  if (!inv.netns_override && pod_ns.SameAs(nl::Netns::Current())) {
    // Checked before anything is made: configuring our own namespace as a pod would tear into the node.
    throw Error(ErrorCode::kInvalidNetns, "netns must not be the plugin's own network namespace", inv.netns);
  }
  nl::Socket host = nl::Socket::Open();
  nl::Socket pod = nl::Socket::OpenIn(pod_ns);

  timer.Step("sockets");
  auto node_ipv6_conf = TryOpenSysctlDir("net/ipv6/conf");
  nl::LinkInfo br = SetupBridge(host, conf, node_ipv6_conf);
  timer.Step("bridge");
  if (nl::GetLink(pod, inv.ifname)) {
    throw InternalError("container veth name provided (" + inv.ifname + ") already exists");
  }

  // Declared before the rollback so its undos can still use them.
  std::optional<IpamClient> ipam;
  std::unique_ptr<Masquerader> masq;
  Rollback rollback;
  nl::LinkInfo host_veth = CreateVethPair(host, pod, pod_ns, conf, inv, br.ifindex);
  // Removing one end removes the pair, wherever the other end is.
  rollback.Add("delete veth " + host_veth.name, [&host, idx = host_veth.ifindex] { nl::DeleteLink(host, idx); });
  if (host_veth.master != br.ifindex) {
    try {
      nl::SetMaster(host, host_veth.ifindex, br.ifindex);
    } catch (const Error& e) {
      throw e.Wrap("failed to connect " + Quote(host_veth.name) + " to bridge " + conf.bridge);
    }
  }
  if (conf.hairpin_mode || conf.port_isolation) {
    try {
      nl::SetBridgePortFlags(host, host_veth.ifindex, conf.hairpin_mode, conf.port_isolation);
    } catch (const Error& e) {
      throw e.Wrap("failed to setup hairpin mode for " + host_veth.name);
    }
  }
  if (conf.vlan_enabled()) SetupPortVlans(host, conf, host_veth);
  // A bridge port forwards frames and has no use for an IPv6 stack of its own (the reference
  // leaves it on; LXD turns it off too). Off before the link comes up, the port never gets a
  // link-local address, routes in the node's tables, DAD or MLD work: that work is done under
  // the kernel's RTNL lock and grows with the number of ports, so every later ADD waited for it.
  TrySysctlIn(node_ipv6_conf, host_veth.name + "/disable_ipv6", "1");
  TrySysctlIn(node_ipv6_conf, host_veth.name + "/accept_ra", "0");
  nl::SetLinkUp(host, host_veth.ifindex);

  timer.Step("veth");
  auto cont = nl::GetLink(pod, inv.ifname);
  if (!cont) throw InternalError("failed to lookup " + Quote(inv.ifname) + " in the pod after creating it");

  cni::Result result;
  result.interfaces.push_back({conf.bridge, br.mac, "", std::nullopt, "", ""});
  result.interfaces.push_back({host_veth.name, host_veth.mac, "", std::nullopt, "", ""});
  result.interfaces.push_back({inv.ifname, cont->mac, inv.netns, std::nullopt, "", ""});

  if (conf.layer3()) {
    ipam.emplace(inv, conf.ipam_type);
    cni::Result ipres = ipam->Add();
    rollback.Add("release IPs", [&ipam] { ipam->Del(); });
    if (ipres.ips.empty()) throw InternalError("IPAM plugin returned missing IP config");
    result.ips = ipres.ips;
    result.routes = ipres.routes;
    result.dns = ipres.dns;
    Gateways gws = CalcGateways(result, conf);
    timer.Step("ipam");

    ConfigurePod(pod, pod_ns, conf, inv.ifname, cont->ifindex, result);
    timer.Step("pod");

    if (conf.is_gateway) {
      for (const auto* list : {&gws.v4, &gws.v6}) {
        for (const auto& gw : *list) {
          try {
            EnsureGatewayAddr(host, br, gw, conf.force_address);
          } catch (const Error& e) {
            throw e.Wrap("failed to set bridge addr");
          }
        }
      }
      try {
        // Read over netlink: usually already on, and then no /proc/sys walk at all.
        if (!gws.v4.empty() && !nl::ForwardingEnabled(host, AF_INET)) nl::EnsureSysctl("net/ipv4/ip_forward", "1");
        if (!gws.v6.empty() && !nl::ForwardingEnabled(host, AF_INET6)) {
          nl::EnsureSysctl("net/ipv6/conf/all/forwarding", "1");
        }
      } catch (const Error& e) {
        throw e.Wrap("failed to enable forwarding");
      }
    }
    timer.Step("gateway");
    if (conf.ip_masq) {
      masq = MakeMasquerader(conf.ip_masq_backend, nft);
      MasqTarget target{conf.name, inv.container_id, inv.ifname};
      auto nets = AddressesOf(result);
      masq->Setup(target, nets);
      rollback.Add("remove masquerade", [&masq, target, nets] { masq->Teardown(target, nets); });
    }
  } else if (!conf.disable_container_interface) {
    nl::SetLinkUp(pod, cont->ifindex);
  }

  timer.Step("masq");
  if (!conf.disable_container_interface) WaitOperUp(host, host_veth.ifindex);
  timer.Step("oper-up");

  // MACs can change while ports join; report what the kernel has now.
  if (auto fresh = nl::GetLinkByIndex(host, host_veth.ifindex)) result.interfaces[1].mac = fresh->mac;
  if (auto fresh = nl::GetLinkByIndex(host, br.ifindex)) result.interfaces[0].mac = fresh->mac;
  if (!conf.dns.empty()) result.dns = conf.dns;

  rollback.Commit();
  return result;
}

void CmdDel(const cni::Invocation& inv) {
  // First, so released last: its release waits for the destroy work of the rules deleted below
  // (an RCU grace period), which then runs while the veth is being deleted.
  nl::nft::LazySocket nft;
  NetConf conf = ParseNetConf(inv);
  SetupLogging(conf, inv);
  Timer timer("DEL");

  // The pod's end and its addresses, while the netns is there.
  std::optional<nl::Socket> pod;
  std::optional<nl::LinkInfo> pod_link;
  std::vector<IpNet> addrs;
  if (!inv.netns.empty()) {
    try {
      nl::Netns pod_ns = nl::Netns::Open(inv.netns);
      pod.emplace(nl::Socket::OpenIn(pod_ns));
      pod_link = nl::GetLink(*pod, inv.ifname);
      if (pod_link) {
        for (const auto& a : nl::ListAddresses(*pod, pod_link->ifindex)) {
          if (!a.local.addr().IsLinkLocalUnicast()) addrs.push_back(a.local);
        }
      }
    } catch (const Error& e) {
      // A vanished netns means the pod's interfaces are gone already; the rest still needs undoing.
      if (!e.IsNotFound()) throw;
      log::Info("netns " + inv.netns + " is gone: " + e.msg());
    }
  }
  timer.Step("pod");

  std::optional<Error> first_error;
  auto note = [&first_error](const Error& e) {
    if (!first_error) first_error = e;
  };
  std::optional<IpamClient> ipam;
  if (conf.layer3()) {
    ipam.emplace(inv, conf.ipam_type);
    if (conf.ip_masq && addrs.empty()) {
      // The netns or link was already gone: find the addresses from IPAM or the cached result so
      // the masquerade rules go too (the reference leaks them here).
      for (const auto& ip : ipam->ReservedIps()) addrs.push_back(IpNet(ip, ip.bits()));
      if (addrs.empty() && conf.prev_result) addrs = AddressesOf(*conf.prev_result);
    }
    // Rules first: their deferred destroy then overlaps the veth deletion's own RCU wait.
    if (conf.ip_masq) {
      try {
        MakeTeardownMasquerader(nft)->Teardown({conf.name, inv.container_id, inv.ifname}, addrs);
      } catch (const Error& e) {
        note(e);
      }
    }
    timer.Step("masq");
  }
  if (pod_link) {
    try {
      nl::DeleteLink(*pod, pod_link->ifindex);
    } catch (const Error& e) {
      if (!e.IsNotFound()) note(e);
    }
  }
  timer.Step("veth");
  if (ipam) {
    try {
      ipam->Del();
    } catch (const Error& e) {
      note(e);
    }
    timer.Step("ipam");
  }
  if (first_error) throw *first_error;
}

void CmdCheck(const cni::Invocation& inv) {
  NetConf conf = ParseNetConf(inv);
  SetupLogging(conf, inv);
  // The reference also runs IPAM CHECK for L2 configs and then fails with "no plugin name
  // provided"; an L2 attachment has nothing for IPAM to check.
  if (conf.layer3()) IpamClient(inv, conf.ipam_type).Check();
  if (!conf.prev_result) throw InternalError("Required prevResult missing");
  const cni::Result& prev = *conf.prev_result;

  nl::Netns pod_ns = OpenNetns(inv.netns);
  nl::Socket host = nl::Socket::Open();
  nl::Socket pod = nl::Socket::OpenIn(pod_ns);

  const cni::Interface* br_if = nullptr;
  const cni::Interface* cont_if = nullptr;
  for (const auto& i : prev.interfaces) {
    if (i.name == conf.bridge) br_if = &i;
    else if (i.name == inv.ifname && i.sandbox == inv.netns) cont_if = &i;
  }

  // Bridge.
  auto br = nl::GetLink(host, conf.bridge);
  if (!br_if || !br) throw InternalError("CNI created bridge " + conf.bridge + " in host namespace was not found");
  if (br->kind != "bridge") throw InternalError("Error: Bridge interface " + conf.bridge + " not found: not a bridge");
  if (!br_if->mac.empty() && br_if->mac != br->mac) {
    throw InternalError("Bridge interface " + conf.bridge + " Mac doesn't match: " + br_if->mac);
  }
  if (br->promisc() != conf.promisc_mode) {
    throw InternalError("Bridge interface " + conf.bridge + " configured Promisc Mode " +
                        (conf.promisc_mode ? "true" : "false") + " doesn't match current state: " +
                        (br->promisc() ? "true " : "false "));
  }

  // Container interface.
  if (!cont_if) {
    // Like the reference, the sandbox reported is that of the matched entry: none matched.
    throw InternalError("Sandbox in prevResult  doesn't match configured netns: " + inv.netns);
  }
  auto cont = nl::GetLink(pod, inv.ifname);
  if (!cont) throw InternalError("Interface name " + inv.ifname + " not found");
  if (cont->kind != "veth") throw InternalError("Error: Container interface " + inv.ifname + " not of type veth");
  if (!cont_if->mac.empty() && cont_if->mac != cont->mac) {
    throw InternalError("Interface " + inv.ifname + " Mac " + cont_if->mac + " doesn't match container Mac: " +
                        cont->mac);
  }

  // Host end: the veth in the result whose peer is the container interface.
  bool veth_found = false;
  for (const auto& i : prev.interfaces) {
    if (&i == br_if || &i == cont_if || !i.sandbox.empty()) continue;
    auto link = nl::GetLink(host, i.name);
    if (!link) throw InternalError("Interface name " + i.name + " not found");
    if (link->kind != "veth" || link->peer_ifindex != cont->ifindex || cont->peer_ifindex != link->ifindex) continue;
    if (link->master != br->ifindex) {
      throw InternalError("Interface " + i.name + " not attached to bridge " + conf.bridge);
    }
    if (!i.mac.empty() && i.mac != link->mac) {
      throw InternalError("Interface " + i.name + " Mac doesn't match: " + i.mac + " not found");
    }
    veth_found = true;
    break;
  }
  if (!veth_found) throw InternalError("CNI veth created for bridge " + conf.bridge + " was not found");

  // Addresses and routes in the pod.
  auto addrs = nl::ListAddresses(pod, cont->ifindex);
  for (const auto& ip : prev.ips) {
    if (ip.interface && (*ip.interface < 0 || *ip.interface >= static_cast<int>(prev.interfaces.size()) ||
                         &prev.interfaces[*ip.interface] != cont_if)) {
      continue;
    }
    bool found = false;
    for (const auto& a : addrs) found |= a.local == ip.address;
    if (!found) {
      throw InternalError("Failed to match addr " + ip.address.ToString() + " on interface " + inv.ifname);
    }
  }
  std::vector<nl::RouteInfo> routes4, routes6;
  bool loaded4 = false, loaded6 = false;
  for (const auto& r : prev.routes) {
    bool v4 = r.dst.is_v4();
    auto& routes = v4 ? routes4 : routes6;
    bool& loaded = v4 ? loaded4 : loaded6;
    if (!loaded) {
      routes = nl::ListRoutes(pod, v4 ? AF_INET : AF_INET6, true);
      loaded = true;
    }
    bool found = false;
    for (const auto& k : routes) {
      if (k.dst == r.dst.Network() && (!r.gw || (k.gw && *k.gw == *r.gw))) found = true;
    }
    if (!found) {
      throw InternalError("Expected Route {Dst:" + r.dst.ToString() +
                          " GW:" + (r.gw ? r.gw->ToString() : std::string("<nil>")) + "} not found in routing table");
    }
  }
}

void CmdStatus(const cni::Invocation& inv) {
  NetConf conf = ParseNetConf(inv);
  SetupLogging(conf, inv);
  if (conf.layer3()) IpamClient(inv, conf.ipam_type).Status();
}

void CmdGc(const cni::Invocation& inv) {
  nl::nft::LazySocket nft;  // first, so released last (see its comment)
  NetConf conf = ParseNetConf(inv);
  SetupLogging(conf, inv);
  Timer timer("GC");
  std::optional<Error> first_error;
  if (conf.layer3()) {
    try {
      IpamClient(inv, conf.ipam_type).Gc();
    } catch (const Error& e) {
      first_error = e;
    }
  }
  bool present = false;
  auto valid = ValidAttachments(inv.config, &present);
  if (present) {
    try {
      MakeTeardownMasquerader(nft)->Gc(conf.name, valid);
    } catch (const Error& e) {
      if (!first_error) first_error = e;
    }
  }
  if (first_error) throw *first_error;
}

cni::PluginFuncs BridgeFuncs() {
  cni::PluginFuncs f;
  f.add = CmdAdd;
  f.del = CmdDel;
  f.check = CmdCheck;
  f.status = CmdStatus;
  f.gc = CmdGc;
  f.about = "CNI bridge plugin " + cni::BuildVersion();
  return f;
}

}  // namespace cnb::bridge
