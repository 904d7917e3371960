// SPDX-License-Identifier: Apache-2.0
#include "netlink/link.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/inet.h>
#include <netlink/route/link/veth.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "netlink/internal.h"
#include "netlink/link_parse.h"
#include "netlink/mac.h"

namespace cnb::nl {
namespace {

using internal::Check;
using internal::LinkPtr;
using internal::MsgPtr;
using internal::Nest;
using internal::Put;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }
std::string IndexName(int ifindex) { return "link index " + std::to_string(ifindex); }

// NLE_NODEV is what the kernel's ENODEV becomes; ENOENT/ESRCH arrive as NLE_OBJ_NOTFOUND.
bool IsMissing(int rc) { return rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND; }

std::optional<LinkInfo> Lookup(RouteSocket& sock, int ifindex, const char* name, const std::string& what) {
  rtnl_link* raw = nullptr;
  int rc = rtnl_link_get_kernel(sock.raw(), ifindex, name, &raw);
  LinkPtr link(raw);
  if (IsMissing(rc)) {
    internal::ErrnoFor(rc);  // drop the remembered kernel errno
    return std::nullopt;
  }
  Check(rc, "failed to look up " + what);
  return LinkInfoOf(link.get());
}

LinkPtr NewLink() {
  LinkPtr link(rtnl_link_alloc());
  if (!link) throw InternalError("out of memory allocating a link", ENOMEM);
  return link;
}

// An RTM_NEWLINK/SETLINK for an existing link: `edit` fills in only the attributes to change.
template <typename Edit>
void ChangeLink(RouteSocket& sock, int ifindex, const std::string& what, Edit edit) {
  LinkPtr orig = NewLink();
  rtnl_link_set_ifindex(orig.get(), ifindex);
  LinkPtr changes = NewLink();
  edit(changes.get());
  Check(rtnl_link_change(sock.raw(), orig.get(), changes.get(), 0), what);
}

internal::NlAddrPtr MacAddr(const std::string& mac) {
  uint8_t bytes[6];
  if (!ParseMac(mac, bytes)) throw InternalError("invalid MAC address " + Quoted(mac), EINVAL);
  internal::NlAddrPtr addr(nl_addr_build(AF_LLC, bytes, sizeof(bytes)));
  if (!addr) throw InternalError("out of memory building a MAC address", ENOMEM);
  return addr;
}

MsgPtr NewRequest(int type, int flags, const ifinfomsg& ifi) {
  MsgPtr msg(nlmsg_alloc_simple(type, flags | NLM_F_REQUEST | NLM_F_ACK));
  if (!msg) throw InternalError("out of memory building a netlink request", ENOMEM);
  if (nlmsg_append(msg.get(), const_cast<ifinfomsg*>(&ifi), sizeof(ifi), NLMSG_ALIGNTO) < 0) {
    throw InternalError("netlink request too large", EMSGSIZE);
  }
  return msg;
}

}  // namespace

bool LinkInfo::up() const { return flags & IFF_UP; }
bool LinkInfo::promisc() const { return flags & IFF_PROMISC; }

std::optional<LinkInfo> GetLink(RouteSocket& sock, const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return std::nullopt;  // no link can have it
  return Lookup(sock, 0, name.c_str(), "link " + Quoted(name));
}

std::optional<LinkInfo> GetLinkByIndex(RouteSocket& sock, int ifindex) {
  if (ifindex <= 0) return std::nullopt;
  return Lookup(sock, ifindex, nullptr, IndexName(ifindex));
}

std::vector<uint8_t> BuildBridgeCreateMessage(const BridgeSpec& spec) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  MsgPtr msg = NewRequest(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifi);
  Put(nla_put_string(msg.get(), IFLA_IFNAME, spec.name.c_str()));
  if (spec.mtu > 0) Put(nla_put_u32(msg.get(), IFLA_MTU, static_cast<uint32_t>(spec.mtu)));
  if (!spec.mac.empty()) {
    uint8_t mac[6];
    if (!ParseMac(spec.mac, mac)) throw InternalError("invalid MAC " + Quoted(spec.mac), EINVAL);
    Put(nla_put(msg.get(), IFLA_ADDRESS, sizeof(mac), mac));
  }
  nlattr* info = Nest(msg.get(), IFLA_LINKINFO);
  Put(nla_put_string(msg.get(), IFLA_INFO_KIND, "bridge"));
  if (spec.vlan_filtering) {
    nlattr* data = Nest(msg.get(), IFLA_INFO_DATA);
    Put(nla_put_u8(msg.get(), IFLA_BR_VLAN_FILTERING, 1));
    nla_nest_end(msg.get(), data);
  }
  nla_nest_end(msg.get(), info);
  return internal::ToBytes(msg.get());
}

LinkInfo EnsureBridge(RouteSocket& sock, const BridgeSpec& spec, bool* created) {
  if (spec.name.empty() || spec.name.size() >= IFNAMSIZ) {
    throw InternalError("invalid bridge name " + Quoted(spec.name), EINVAL);
  }
  // EEXIST: someone (us, earlier) made it; its kind is checked below.
  int err = internal::SendRequestTolerating(sock, BuildBridgeCreateMessage(spec), "could not add " + Quoted(spec.name),
                                            EEXIST);
  if (created) *created = err == 0;
  auto link = GetLink(sock, spec.name);
  if (!link) throw InternalError("failed to find bridge " + Quoted(spec.name) + " after creating it", ENODEV);
  if (link->kind != "bridge") throw InternalError(Quoted(spec.name) + " already exists but is not a bridge");
  if (!link->up()) {
    SetLinkUp(sock, link->ifindex, true);
    if (auto fresh = GetLinkByIndex(sock, link->ifindex)) link = fresh;
  }
  return *link;
}

void CreateVeth(RouteSocket& sock, const VethSpec& spec) {
  if (spec.host_name.empty() || spec.peer_name.empty()) {
    throw InternalError("veth pair needs both names", EINVAL);
  }
  std::string what = "failed to create veth " + Quoted(spec.host_name) + " with peer " + Quoted(spec.peer_name);
  LinkPtr host(rtnl_link_veth_alloc());
  if (!host) throw InternalError(what + ": out of memory", ENOMEM);
  // get_peer takes its own reference; the host object releases the peer's last one.
  LinkPtr peer(rtnl_link_veth_get_peer(host.get()));
  if (!peer) throw InternalError(what + ": no peer object", ENOMEM);

  rtnl_link_set_name(host.get(), spec.host_name.c_str());
  rtnl_link_set_name(peer.get(), spec.peer_name.c_str());
  if (spec.peer_ns_fd >= 0) rtnl_link_set_ns_fd(peer.get(), spec.peer_ns_fd);
  if (spec.mtu > 0) {
    rtnl_link_set_mtu(host.get(), static_cast<unsigned>(spec.mtu));
    rtnl_link_set_mtu(peer.get(), static_cast<unsigned>(spec.mtu));
  }
  if (!spec.host_mac.empty()) rtnl_link_set_addr(host.get(), MacAddr(spec.host_mac).get());
  if (!spec.peer_mac.empty()) rtnl_link_set_addr(peer.get(), MacAddr(spec.peer_mac).get());
  // IFLA_MASTER in the create request: the kernel enslaves the new host end before answering.
  if (spec.master_ifindex > 0) rtnl_link_set_master(host.get(), spec.master_ifindex);
  // One queue per end, asked for explicitly. Without it a veth is allocated one queue per
  // possible CPU and then shrunk to one in use, and each shrink waits for an RCU grace period
  // while holding RTNL, which every concurrent ADD and DEL on the node waits for.
  for (rtnl_link* end : {host.get(), peer.get()}) {
    rtnl_link_set_num_tx_queues(end, 1);
    rtnl_link_set_num_rx_queues(end, 1);
  }

  Check(rtnl_link_add(sock.raw(), host.get(), NLM_F_CREATE | NLM_F_EXCL), what);
}

std::optional<bool> MacIsPinned(const LinkInfo& link) {
  if (link.name.empty() || link.name.find('/') != std::string::npos || link.name == "." || link.name == "..") {
    return std::nullopt;
  }
  UniqueFd dir(::open(("/sys/class/net/" + link.name).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return std::nullopt;
  auto read = [&dir](const char* file) -> std::optional<std::string> {
    UniqueFd fd(::openat(dir.get(), file, O_RDONLY | O_CLOEXEC));
    std::string text;
    if (!fd || ReadAll(fd.get(), &text) != 0) return std::nullopt;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  };
  auto ifindex = read("ifindex");
  auto address = read("address");
  auto assign_type = read("addr_assign_type");
  if (!ifindex || !address || !assign_type || *ifindex != std::to_string(link.ifindex) || *address != link.mac) {
    return std::nullopt;
  }
  return *assign_type == "3";  // NET_ADDR_SET
}

void DeleteLink(RouteSocket& sock, int ifindex) {
  LinkPtr link = NewLink();
  rtnl_link_set_ifindex(link.get(), ifindex);
  Check(rtnl_link_delete(sock.raw(), link.get()), "failed to delete " + IndexName(ifindex));
}

void DeleteLinkByName(RouteSocket& sock, const std::string& name) {
  LinkPtr link = NewLink();
  rtnl_link_set_name(link.get(), name.c_str());
  Check(rtnl_link_delete(sock.raw(), link.get()), "failed to delete link " + Quoted(name));
}

void SetLinkUp(RouteSocket& sock, int ifindex, bool up) {
  ChangeLink(sock, ifindex, std::string("failed to set ") + (up ? "up " : "down ") + IndexName(ifindex),
             [up](rtnl_link* c) {
               if (up) {
                 rtnl_link_set_flags(c, IFF_UP);
               } else {
                 rtnl_link_unset_flags(c, IFF_UP);
               }
             });
}

void SetLinkUp(RouteSocket& sock, int ifindex, const std::string& alias) {
  ChangeLink(sock, ifindex, "failed to set up " + IndexName(ifindex), [&alias](rtnl_link* c) {
    rtnl_link_set_flags(c, IFF_UP);
    if (!alias.empty()) rtnl_link_set_ifalias(c, alias.c_str());
  });
}

std::vector<LinkInfo> ListLinks(RouteSocket& sock) {
  internal::CachePtr cache = internal::DumpCache(
      sock, [&](nl_cache** c) { return rtnl_link_alloc_cache(sock.raw(), AF_UNSPEC, c); }, "failed to list links");
  std::vector<LinkInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    out.push_back(LinkInfoOf(reinterpret_cast<rtnl_link*>(o)));
  }
  return out;
}

std::optional<int> NetnsId(RouteSocket& sock, const Netns& ns) {
  const std::string what = "failed to read the id of network namespace " + ns.path();
  internal::MsgPtr msg(nlmsg_alloc_simple(RTM_GETNSID, 0));
  if (!msg) throw InternalError(what + ": out of memory", ENOMEM);
  rtgenmsg rtg{};
  rtg.rtgen_family = AF_UNSPEC;
  internal::Put(nlmsg_append(msg.get(), &rtg, sizeof(rtg), NLMSG_ALIGNTO));
  internal::Put(nla_put_u32(msg.get(), NETNSA_FD, static_cast<uint32_t>(ns.fd())));
  int id = NETNSA_NSID_NOT_ASSIGNED;
  internal::Exchange(sock, msg.get(), what, internal::StoreS32Attr<RTM_NEWNSID, rtgenmsg, NETNSA_MAX, NETNSA_NSID>,
                     &id);
  if (id < 0) return std::nullopt;
  return id;
}

void SetMaster(RouteSocket& sock, int ifindex, int master_ifindex) {
  ChangeLink(sock, ifindex, "failed to connect " + IndexName(ifindex) + " to bridge " + IndexName(master_ifindex),
             [master_ifindex](rtnl_link* c) { rtnl_link_set_master(c, master_ifindex); });
}

void SetMtu(RouteSocket& sock, int ifindex, int mtu) {
  ChangeLink(sock, ifindex, "failed to set MTU " + std::to_string(mtu) + " on " + IndexName(ifindex),
             [mtu](rtnl_link* c) { rtnl_link_set_mtu(c, static_cast<unsigned>(mtu)); });
}

void SetMac(RouteSocket& sock, int ifindex, const std::string& mac) {
  auto addr = MacAddr(mac);
  ChangeLink(sock, ifindex, "failed to set MAC " + mac + " on " + IndexName(ifindex),
             [&addr](rtnl_link* c) { rtnl_link_set_addr(c, addr.get()); });
}

void SetPromisc(RouteSocket& sock, int ifindex, bool on) {
  ChangeLink(sock, ifindex,
             std::string("failed to turn promiscuous mode ") + (on ? "on" : "off") + " for " + IndexName(ifindex),
             [on](rtnl_link* c) {
               if (on) {
                 rtnl_link_set_flags(c, IFF_PROMISC);
               } else {
                 rtnl_link_unset_flags(c, IFF_PROMISC);
               }
             });
}

void SetIpv4DevConf(RouteSocket& sock, int ifindex, int devconf_id, uint32_t value) {
  const std::string what = "failed to set IPv4 setting " + std::to_string(devconf_id) + "=" + std::to_string(value) +
                           " on " + IndexName(ifindex);
  ChangeLink(sock, ifindex, what, [&](rtnl_link* c) {
    // IFLA_AF_SPEC{AF_INET{IFLA_INET_CONF{devconf_id: value}}}
    Check(rtnl_link_inet_set_conf(c, static_cast<unsigned>(devconf_id), value), what);
  });
}

std::vector<uint8_t> BuildBridgePortFlagsMessage(int port_ifindex, bool hairpin, bool isolated) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = port_ifindex;
  MsgPtr msg = NewRequest(RTM_SETLINK, 0, ifi);
  // NLA_F_NESTED matters: without it the bridge reads IFLA_PROTINFO as a bare port state.
  nlattr* protinfo = Nest(msg.get(), IFLA_PROTINFO);
  // Both are written explicitly so that "false" clears a flag left over from earlier.
  Put(nla_put_u8(msg.get(), IFLA_BRPORT_MODE, hairpin ? 1 : 0));
  Put(nla_put_u8(msg.get(), IFLA_BRPORT_ISOLATED, isolated ? 1 : 0));
  nla_nest_end(msg.get(), protinfo);
  return internal::ToBytes(msg.get());
}

void SetBridgePortFlags(RouteSocket& sock, int port_ifindex, bool hairpin, bool isolated) {
  internal::SendRequest(sock, BuildBridgePortFlagsMessage(port_ifindex, hairpin, isolated),
                        std::string("failed to set bridge port flags (hairpin ") + (hairpin ? "on" : "off") +
                            ", isolation " + (isolated ? "on" : "off") + ") on " + IndexName(port_ifindex));
}

}  // namespace cnb::nl
