// SPDX-License-Identifier: Apache-2.0
#include "plugin/bridge/bridge.h"

#include <memory>
#include <optional>

#include "cni/attachments.h"
#include "cni/version.h"
#include "common/error.h"
#include "common/error_list.h"
#include "common/log.h"
#include "common/rollback.h"
#include "masq/masq.h"
#include "masq/spoofcheck.h"
#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/nft/socket.h"
#include "netlink/route_socket.h"
#include "plugin/bridge/alias.h"
#include "plugin/bridge/check.h"
#include "plugin/bridge/command.h"
#include "plugin/bridge/host_side.h"
#include "plugin/bridge/ipam_client.h"
#include "plugin/bridge/pod_side.h"
#include "plugin/bridge/result.h"
#include "plugin/bridge/sysctls.h"

namespace cnb::bridge {
namespace {

masq::MasqTarget MasqTargetOf(const NetConf& conf, const cni::Invocation& inv) {
  return {conf.name, inv.container_id, inv.ifname};
}

nl::Netns OpenPodNetns(const cni::Invocation& inv) {
  try {
    return nl::Netns::Open(inv.netns);
  } catch (const Error& e) {
    throw e.Wrap("failed to open netns \"" + inv.netns + "\"");
  }
}

// An ADD's kernel handles: the pod's netns and one netlink socket on each side.
struct AddSockets {
  nl::Netns pod_ns;
  nl::RouteSocket host;
  nl::RouteSocket pod;
};

AddSockets OpenSockets(const cni::Invocation& inv) {
  nl::Netns pod_ns = OpenPodNetns(inv);
  if (!inv.netns_override && pod_ns.SameAs(nl::Netns::Current())) {
    // Checked before anything is made: configuring our own namespace as a pod would tear into the node.
    throw Error(ErrorCode::kInvalidNetns, "netns must not be the plugin's own network namespace", inv.netns);
  }
  nl::RouteSocket host = nl::RouteSocket::Open();
  nl::RouteSocket pod = nl::RouteSocket::OpenIn(pod_ns);
  return {std::move(pod_ns), std::move(host), std::move(pod)};
}

// MACs can change while ports join; report what the kernel has now.
void RefreshMacs(nl::RouteSocket& host, int bridge_ifindex, int host_veth_ifindex, cni::Result* result) {
  if (auto fresh = nl::GetLinkByIndex(host, host_veth_ifindex)) result->interfaces[1].mac = fresh->mac;
  if (auto fresh = nl::GetLinkByIndex(host, bridge_ifindex)) result->interfaces[0].mac = fresh->mac;
}

// The L3 part of ADD: IPAM, the pod's addresses and routes, gateways, masquerade.
void AddLayer3(Command& cmd, const HostSide& host, const PodSide& pod, const nl::LinkInfo& br, Rollback& rollback,
               std::optional<IpamClient>& ipam, nl::nft::LazyNftSocket& nft, cni::Result* result) {
  const NetConf& conf = cmd.conf();
  ipam.emplace(cmd.inv(), conf.ipam_type);
  cni::Result ipres = cmd.Step("ipam", [&] { return ipam->Add(rollback); });
  if (ipres.ips.empty()) throw InternalError("IPAM plugin returned missing IP config");
  Gateways gws = TakeIpamResult(ipres, conf, result);
  cmd.Step("pod", [&] { ConfigurePod(pod, *result); });
  cmd.Step("gateway", [&] {
    if (!conf.is_gateway) return;
    if (conf.vlan == 0) return SetupGateways(host, br, gws);
    const nl::LinkInfo vlan_gateway = EnsureVlanGateway(host, br);
    result->interfaces.push_back({vlan_gateway.name, vlan_gateway.mac, "", std::nullopt, "", ""});
    SetupGateways(host, vlan_gateway, gws);
  });
  cmd.Step("masq", [&] {
    if (!conf.ip_masq) return;
    const masq::MasqTarget target = MasqTargetOf(conf, cmd.inv());
    const std::vector<IpNet> nets = AddressesOf(*result);
    masq::MakeMasquerader(conf.ip_masq_backend, nft)->Setup(target, nets);
    // Removes exactly the jumps this ADD made (`target.siblings` unknown): those of the pod's
    // other interfaces stay, and so does the chain while they use it.
    rollback.Add("remove masquerade",
                 [&nft, target, nets] { masq::MakeTeardownMasquerader(nft)->Teardown(target, nets); });
  });
}

}  // namespace

cni::Result CmdAdd(const cni::Invocation& inv) {
  nl::nft::LazyNftSocket nft;  // first, so released last (see its comment)
  Command cmd(inv, "ADD");
  const NetConf& conf = cmd.conf();
  AddSockets s = cmd.Step("sockets", [&] { return OpenSockets(inv); });
  const auto node_ipv6_conf = TryOpenSysctlDir("net/ipv6/conf");
  const HostSide host{s.host, conf, node_ipv6_conf};
  const nl::LinkInfo br = cmd.Step("bridge", [&] { return SetupBridge(host); });
  if (nl::GetLink(s.pod, inv.ifname)) {
    throw InternalError("container veth name provided (" + inv.ifname + ") already exists");
  }

  std::optional<IpamClient> ipam;  // before the rollback: its undos use it
  Rollback rollback;
  const nl::LinkInfo host_veth = CreateVethPair(host, s.pod, s.pod_ns, inv, br.ifindex, rollback);
  SetupHostPort(host, host_veth, br.ifindex, FormatAlias(AliasFor(inv.container_id, inv.ifname, inv.args)));
  cmd.Done("veth");
  auto cont = nl::GetLink(s.pod, inv.ifname);
  if (!cont) throw InternalError("failed to lookup \"" + inv.ifname + "\" in the pod after creating it");
  if (conf.mac_spoof_check) {
    cmd.Step("spoofchk", [&] {
      masq::SetupSpoofCheck(nft.get(), host_veth.name, cont->mac, inv.container_id, inv.ifname);
      rollback.Add("remove the spoof check",
                   [&nft, &inv] { masq::TeardownSpoofCheck(nft.get(), inv.container_id, inv.ifname); });
    });
  }

  cni::Result result = NewResult(conf, inv, br, host_veth, *cont);
  const PodSide pod{s.pod, s.pod_ns, conf, inv.ifname, cont->ifindex};
  if (conf.layer3()) {
    AddLayer3(cmd, host, pod, br, rollback, ipam, nft, &result);
  } else if (!conf.disable_container_interface) {
    nl::SetLinkUp(s.pod, cont->ifindex);
  }
  cmd.Step("oper-up", [&] {
    if (!conf.disable_container_interface) WaitOperUp(s.host, host_veth.ifindex);
  });
  RefreshMacs(s.host, br.ifindex, host_veth.ifindex, &result);
  if (!conf.dns.empty()) result.dns = conf.dns;
  rollback.Commit();
  return result;
}

namespace {

// What DEL finds of the pod's end while the netns is there: the link and its addresses, and
// those of the pod's other interfaces (masq::MasqTarget::siblings).
struct PodEnd {
  std::optional<nl::RouteSocket> sock;
  std::optional<nl::LinkInfo> link;
  std::vector<IpNet> addrs;
  std::optional<std::vector<IpNet>> siblings;
};

PodEnd FindPodEnd(const cni::Invocation& inv) {
  PodEnd end;
  if (inv.netns.empty()) return end;
  try {
    nl::Netns pod_ns = nl::Netns::Open(inv.netns);
    end.sock.emplace(nl::RouteSocket::OpenIn(pod_ns));
    end.link = nl::GetLink(*end.sock, inv.ifname);
    const int ifindex = end.link ? end.link->ifindex : 0;
    if (end.link && end.link->kind != "veth") {
      // We only ever make veths: another kind under this name is someone else's (the runtime's
      // DEL after an ADD that failed on it, or an operator's swap). Neither it nor its addresses
      // are ours; the IP and the rules are still released below. The reference deletes it.
      log::Warn("\"" + inv.ifname + "\" in " + inv.netns + " is a " +
                (end.link->kind.empty() ? std::string("link of no kind") : end.link->kind) +
                ", not a veth this plugin made: left alone");
      end.link.reset();
    }
    end.siblings.emplace();
    for (const auto& a : nl::ListAddresses(*end.sock, 0)) {
      if (a.ifindex != ifindex) {
        end.siblings->push_back(a.local);
      } else if (end.link && !a.local.addr().IsLinkLocalUnicast()) {
        end.addrs.push_back(a.local);
      }
    }
  } catch (const Error& e) {
    // A vanished netns means the pod's interfaces are gone already; the rest still needs undoing.
    if (!e.IsNotFound()) throw;
    log::Info("netns " + inv.netns + " is gone: " + e.msg());
    end.siblings.emplace();
  }
  return end;
}

// The addresses whose masquerade rules DEL removes: the pod's, else (netns or link gone) what
// IPAM holds or the cached result says. The reference leaks the rules when the netns is gone.
std::vector<IpNet> MasqAddresses(const PodEnd& pod, IpamClient& ipam, const NetConf& conf) {
  if (!pod.addrs.empty()) return pod.addrs;
  std::vector<IpNet> addrs;
  for (const auto& ip : ipam.ReservedIps()) addrs.push_back(IpNet(ip, ip.bits()));
  if (addrs.empty() && conf.prev_result) addrs = AddressesOf(*conf.prev_result);
  return addrs;
}

void DeletePodEnd(PodEnd& pod) {
  if (!pod.link) return;
  try {
    nl::DeleteLink(*pod.sock, pod.link->ifindex);
  } catch (const Error& e) {
    if (!e.IsNotFound()) throw;
  }
}

}  // namespace

void CmdDel(const cni::Invocation& inv) {
  // First, so released last: its release waits for the destroy work of the rules deleted below
  // (an RCU grace period), which then runs while the veth is being deleted.
  nl::nft::LazyNftSocket nft;
  Command cmd(inv, "DEL");
  const NetConf& conf = cmd.conf();
  PodEnd pod = cmd.Step("pod", [&] { return FindPodEnd(inv); });
  ErrorList errors;
  std::optional<IpamClient> ipam;
  if (conf.layer3()) ipam.emplace(inv, conf.ipam_type);
  // Rules first: their deferred destroy then overlaps the veth deletion's own RCU wait.
  if (ipam && conf.ip_masq) {
    errors.Try([&] {
      cmd.Step("masq", [&] {
        masq::MasqTarget target = MasqTargetOf(conf, inv);
        target.siblings = pod.siblings;
        masq::MakeTeardownMasquerader(nft)->Teardown(target, MasqAddresses(pod, *ipam, conf));
      });
    });
  }
  if (conf.mac_spoof_check) {
    errors.Try(
        [&] { cmd.Step("spoofchk", [&] { masq::TeardownSpoofCheck(nft.get(), inv.container_id, inv.ifname); }); });
  }
  errors.Try([&] { cmd.Step("veth", [&] { DeletePodEnd(pod); }); });
  if (ipam) errors.Try([&] { cmd.Step("ipam", [&] { ipam->Del(); }); });
  errors.ThrowIfAny();
}

void CmdCheck(const cni::Invocation& inv) {
  nl::nft::LazyNftSocket nft;  // first, so released last (see its comment)
  Command cmd(inv, "CHECK");
  const NetConf& conf = cmd.conf();
  // The reference also runs IPAM CHECK for L2 configs and then fails with "no plugin name
  // provided"; an L2 attachment has nothing for IPAM to check.
  if (conf.layer3()) IpamClient(inv, conf.ipam_type).Check();
  if (!conf.prev_result) throw InternalError("Required prevResult missing");
  nl::Netns pod_ns = OpenPodNetns(inv);
  nl::RouteSocket host = nl::RouteSocket::Open();
  nl::RouteSocket pod = nl::RouteSocket::OpenIn(pod_ns);
  CheckAttachment(conf, inv, host, pod, nft);
}

void CmdStatus(const cni::Invocation& inv) {
  Command cmd(inv, "STATUS");
  if (cmd.conf().layer3()) IpamClient(inv, cmd.conf().ipam_type).Status();
}

namespace {

// Spoof checks live in one table for every network: only those of this network's host veths
// (or of veths that are gone) are this GC's to remove.
void GcSpoofChecks(const NetConf& conf, nl::nft::LazyNftSocket& nft, const std::vector<cni::Attachment>& valid) {
  nl::RouteSocket host = nl::RouteSocket::Open();
  const auto br = nl::GetLink(host, conf.bridge);
  masq::GcSpoofChecks(nft.get(), valid, [&](const std::string& veth) {
    const auto link = nl::GetLink(host, veth);
    return !link || (br && link->master == br->ifindex);
  });
}

}  // namespace

void CmdGc(const cni::Invocation& inv) {
  nl::nft::LazyNftSocket nft;  // first, so released last (see its comment)
  Command cmd(inv, "GC");
  const NetConf& conf = cmd.conf();
  // Before anything is released: an ambiguous list is an error for the IPAM's GC and ours alike.
  const std::optional<std::vector<cni::Attachment>> valid = cni::ValidAttachments(inv.config);
  ErrorList errors;
  if (conf.layer3()) errors.Try([&] { IpamClient(inv, conf.ipam_type).Gc(); });
  if (valid) {
    errors.Try([&] { masq::MakeTeardownMasquerader(nft)->Gc(conf.name, *valid); });
    errors.Try([&] { GcSpoofChecks(conf, nft, *valid); });
  }
  errors.ThrowIfAny();
}

cni::PluginFuncs BridgeFuncs() {
  return {.add = CmdAdd,
          .del = CmdDel,
          .check = CmdCheck,
          .status = CmdStatus,
          .gc = CmdGc,
          .about = "CNI bridge plugin " + cni::BuildVersion()};
}

}  // namespace cnb::bridge
