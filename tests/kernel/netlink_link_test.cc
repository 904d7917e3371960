// SPDX-License-Identifier: Apache-2.0
// Links: bridge, veth across namespaces, port flags, up/promisc/MAC/MTU/master, delete.
// Everything runs in throwaway namespaces; state is read back with iproute2 and sysfs from
// inside the namespace.
#include <linux/if.h>
#include <linux/ip.h>

#include <cerrno>

#include "common/error.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/route_socket.h"
#include "netlink_fixture.h"

namespace cnb::nl {
namespace {

using nltest::Sh;

class LinkTest : public nltest::HostPodTest {
 protected:
  // A veth "vh0" in the host namespace with "eth0" in the pod namespace.
  void MakeVeth(int master = 0, int mtu = 0) {
    Netns pod = Netns::Open(NsPath(pod_ns_));
    VethSpec spec;
    spec.host_name = "vh0";
    spec.peer_name = "eth0";
    spec.peer_ns_fd = pod.fd();
    spec.mtu = mtu;
    spec.master_ifindex = master;
    CreateVeth(*host_, spec);
  }
};

TEST_F(LinkTest, EnsureBridgeCreatesBridgeUpWithMtu) {
  LinkInfo br = EnsureBridge(*host_, {"cnbtbr0", 1400, false});
  EXPECT_GT(br.ifindex, 0);
  EXPECT_EQ(br.name, "cnbtbr0");
  EXPECT_EQ(br.kind, "bridge");
  EXPECT_TRUE(br.up());
  EXPECT_EQ(br.mtu, 1400);
  EXPECT_EQ(br.mac.size(), 17u);
  // The kernel agrees.
  EXPECT_EQ(SysNet(host_ns_, "cnbtbr0", "ifindex"), std::to_string(br.ifindex));
  EXPECT_EQ(SysNet(host_ns_, "cnbtbr0", "mtu"), "1400");
  EXPECT_EQ(SysNet(host_ns_, "cnbtbr0", "address"), br.mac);
  EXPECT_NE(Sh("ip -n " + host_ns_ + " -d link show dev cnbtbr0").find("bridge"), std::string::npos);
  int flags = std::stoi(SysNet(host_ns_, "cnbtbr0", "flags"), nullptr, 16);
  EXPECT_TRUE(flags & IFF_UP);
  // Nothing leaked into the pod namespace.
  EXPECT_FALSE(LinkExists(pod_ns_, "cnbtbr0"));
}

TEST_F(LinkTest, EnsureBridgeWithMacPinsItAndTellsWhetherItCreated) {
  bool created = false;
  LinkInfo br = EnsureBridge(*host_, {"cnbtbr0", 0, false, "02:11:22:33:44:55"}, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(br.mac, "02:11:22:33:44:55");
  EXPECT_EQ(SysNet(host_ns_, "cnbtbr0", "address"), "02:11:22:33:44:55");
  EXPECT_EQ(SysNet(host_ns_, "cnbtbr0", "addr_assign_type"), "3") << "set, so it never follows a port";
  LinkInfo again = EnsureBridge(*host_, {"cnbtbr0", 0, false, "02:66:77:88:99:aa"}, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.mac, "02:11:22:33:44:55") << "only applied at creation";
}

TEST_F(LinkTest, MacIsPinnedTrustsOnlyASysfsShowingThisLink) {
  // This process's /sys belongs to another namespace, which has no such link (or another one
  // of that name): the answer must be "cannot tell", not a guess.
  LinkInfo br = EnsureBridge(*host_, {"cnbtbr0", 0, false, "02:11:22:33:44:55"});
  EXPECT_FALSE(MacIsPinned(br).has_value());
  LinkInfo lo = *GetLink(*host_, "lo");
  lo.mac = "02:00:00:00:00:01";  // the machine's own lo exists in /sys, but with another MAC
  EXPECT_FALSE(MacIsPinned(lo).has_value());
}

TEST_F(LinkTest, SetIpv4DevConfSetsArpNotify) {
  MakeVeth();
  auto eth0 = GetLink(*pod_, "eth0");
  ASSERT_TRUE(eth0.has_value());
  ASSERT_EQ(InNs(pod_ns_, "cat /proc/sys/net/ipv4/conf/eth0/arp_notify"), "0");
  SetIpv4DevConf(*pod_, eth0->ifindex, IPV4_DEVCONF_ARP_NOTIFY, 1);
  EXPECT_EQ(InNs(pod_ns_, "cat /proc/sys/net/ipv4/conf/eth0/arp_notify"), "1");
  EXPECT_EQ(InNs(host_ns_, "cat /proc/sys/net/ipv4/conf/vh0/arp_notify"), "0") << "the other end";
  EXPECT_THROW(SetIpv4DevConf(*pod_, 999999, IPV4_DEVCONF_ARP_NOTIFY, 1), Error);
}

TEST_F(LinkTest, EnsureBridgeAcceptsExistingBridgeAndBringsItUp) {
  LinkInfo first = EnsureBridge(*host_, {"cnbtbr0", 0, false});
  MustSh("ip -n " + host_ns_ + " link set cnbtbr0 down");
  ASSERT_FALSE(GetLink(*host_, "cnbtbr0")->up());
  LinkInfo second = EnsureBridge(*host_, {"cnbtbr0", 0, false});
  EXPECT_EQ(second.ifindex, first.ifindex);
  EXPECT_TRUE(second.up());
  int flags = std::stoi(SysNet(host_ns_, "cnbtbr0", "flags"), nullptr, 16);
  EXPECT_TRUE(flags & IFF_UP);
}

TEST_F(LinkTest, EnsureBridgeRefusesNonBridge) {
  MustSh("ip -n " + host_ns_ + " link add notbr type veth peer name notbrp");
  try {
    EnsureBridge(*host_, {"notbr", 0, false});
    FAIL() << "accepted a veth as bridge";
  } catch (const Error& e) {
    EXPECT_EQ(e.msg(), "\"notbr\" already exists but is not a bridge");
  }
}

TEST_F(LinkTest, GetLinkOfMissingIsEmpty) {
  EXPECT_FALSE(GetLink(*host_, "nosuchlink0").has_value());
  EXPECT_FALSE(GetLinkByIndex(*host_, 4242).has_value());
  EXPECT_FALSE(GetLink(*host_, "a-name-much-too-long-for-linux").has_value());
  auto lo = GetLink(*host_, "lo");
  ASSERT_TRUE(lo.has_value());
  EXPECT_EQ(lo->ifindex, 1);
  EXPECT_EQ(GetLinkByIndex(*host_, 1)->name, "lo");
}

TEST_F(LinkTest, CreateVethPlacesPeerInPodWithMtuMacsAndMaster) {
  LinkInfo br = EnsureBridge(*host_, {"cnbtbr0", 0, false});
  Netns pod = Netns::Open(NsPath(pod_ns_));
  VethSpec spec;
  spec.host_name = "vethcnbt01";
  spec.peer_name = "eth0";
  spec.peer_ns_fd = pod.fd();
  spec.mtu = 1380;
  spec.host_mac = "0a:11:22:33:44:55";
  spec.peer_mac = "0A:66:77:88:99:AA";
  spec.master_ifindex = br.ifindex;
  CreateVeth(*host_, spec);

  auto host_end = GetLink(*host_, "vethcnbt01");
  ASSERT_TRUE(host_end.has_value());
  auto pod_end = GetLink(*pod_, "eth0");
  ASSERT_TRUE(pod_end.has_value());
  EXPECT_FALSE(GetLink(*host_, "eth0").has_value());
  EXPECT_FALSE(GetLink(*pod_, "vethcnbt01").has_value());

  EXPECT_EQ(host_end->kind, "veth");
  EXPECT_EQ(pod_end->kind, "veth");
  EXPECT_EQ(host_end->mtu, 1380);
  EXPECT_EQ(pod_end->mtu, 1380);
  EXPECT_EQ(host_end->mac, "0a:11:22:33:44:55");
  EXPECT_EQ(pod_end->mac, "0a:66:77:88:99:aa");
  EXPECT_EQ(host_end->master, br.ifindex);
  EXPECT_EQ(pod_end->master, 0);
  EXPECT_EQ(host_end->peer_ifindex, pod_end->ifindex);
  EXPECT_EQ(pod_end->peer_ifindex, host_end->ifindex);

  // Read back independently through the kernel's own views.
  EXPECT_EQ(SysNet(host_ns_, "vethcnbt01", "mtu"), "1380");
  EXPECT_EQ(SysNet(pod_ns_, "eth0", "mtu"), "1380");
  EXPECT_EQ(SysNet(host_ns_, "vethcnbt01", "address"), "0a:11:22:33:44:55");
  EXPECT_EQ(SysNet(pod_ns_, "eth0", "address"), "0a:66:77:88:99:aa");
  EXPECT_EQ(SysNet(pod_ns_, "eth0", "iflink"), std::to_string(host_end->ifindex));
  EXPECT_EQ(InNs(host_ns_, "readlink -f /sys/class/net/vethcnbt01/master"), "/sys/devices/virtual/net/cnbtbr0");
}

TEST_F(LinkTest, OperStateFollowsBothEnds) {
  MakeVeth();
  auto h = GetLink(*host_, "vh0");
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->oper_up);
  EXPECT_EQ(h->operstate, "down");
  SetLinkUp(*host_, h->ifindex);
  SetLinkUp(*pod_, GetLink(*pod_, "eth0")->ifindex);
  // The carrier comes up asynchronously; give it a moment.
  for (int i = 0; i < 500 && !GetLink(*host_, "vh0")->oper_up; ++i) ::usleep(10000);
  h = GetLink(*host_, "vh0");
  EXPECT_TRUE(h->oper_up);
  EXPECT_EQ(h->operstate, "up");
  EXPECT_EQ(SysNet(host_ns_, "vh0", "operstate"), "up");
}

TEST_F(LinkTest, CreateVethNameClashIsExists) {
  MakeVeth();
  Netns pod = Netns::Open(NsPath(pod_ns_));
  VethSpec host_clash;
  host_clash.host_name = "vh0";
  host_clash.peer_name = "eth1";
  host_clash.peer_ns_fd = pod.fd();
  try {
    CreateVeth(*host_, host_clash);
    FAIL() << "created a duplicate host end";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsExists()) << e.msg();
    EXPECT_NE(e.msg().find("vh0"), std::string::npos) << e.msg();
  }
  VethSpec peer_clash;
  peer_clash.host_name = "vh1";
  peer_clash.peer_name = "eth0";
  peer_clash.peer_ns_fd = pod.fd();
  try {
    CreateVeth(*host_, peer_clash);
    FAIL() << "created a duplicate pod end";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsExists()) << e.msg();
  }
  EXPECT_FALSE(LinkExists(host_ns_, "vh1"));
  EXPECT_FALSE(LinkExists(pod_ns_, "eth1"));
}

TEST_F(LinkTest, SetMasterEnslavesAndReleases) {
  LinkInfo br = EnsureBridge(*host_, {"cnbtbr0", 0, false});
  MakeVeth();
  int vh = GetLink(*host_, "vh0")->ifindex;
  SetMaster(*host_, vh, br.ifindex);
  EXPECT_EQ(GetLink(*host_, "vh0")->master, br.ifindex);
  EXPECT_EQ(InNs(host_ns_, "readlink -f /sys/class/net/vh0/master"), "/sys/devices/virtual/net/cnbtbr0");
  SetMaster(*host_, vh, 0);
  EXPECT_EQ(GetLink(*host_, "vh0")->master, 0);
}

TEST_F(LinkTest, BridgePortFlagsHairpinAndIsolation) {
  LinkInfo br = EnsureBridge(*host_, {"cnbtbr0", 0, false});
  MakeVeth(br.ifindex);
  int port = GetLink(*host_, "vh0")->ifindex;
  ASSERT_EQ(SysNet(host_ns_, "vh0", "brport/hairpin_mode"), "0");
  ASSERT_EQ(SysNet(host_ns_, "vh0", "brport/isolated"), "0");

  SetBridgePortFlags(*host_, port, true, true);
  EXPECT_EQ(SysNet(host_ns_, "vh0", "brport/hairpin_mode"), "1");
  EXPECT_EQ(SysNet(host_ns_, "vh0", "brport/isolated"), "1");

  SetBridgePortFlags(*host_, port, true, false);
  EXPECT_EQ(SysNet(host_ns_, "vh0", "brport/hairpin_mode"), "1");
  EXPECT_EQ(SysNet(host_ns_, "vh0", "brport/isolated"), "0");

  SetBridgePortFlags(*host_, port, false, true);
  EXPECT_EQ(SysNet(host_ns_, "vh0", "brport/hairpin_mode"), "0");
  EXPECT_EQ(SysNet(host_ns_, "vh0", "brport/isolated"), "1");

  SetBridgePortFlags(*host_, port, false, false);
  EXPECT_EQ(SysNet(host_ns_, "vh0", "brport/hairpin_mode"), "0");
  EXPECT_EQ(SysNet(host_ns_, "vh0", "brport/isolated"), "0");
}

TEST_F(LinkTest, BridgePortFlagsOnNonPortFails) {
  MakeVeth();
  int vh = GetLink(*host_, "vh0")->ifindex;
  EXPECT_THROW(SetBridgePortFlags(*host_, vh, true, false), Error);
}

TEST_F(LinkTest, PromiscSurvivesOtherFlagChanges) {
  LinkInfo br = EnsureBridge(*host_, {"cnbtbr0", 0, false});
  ASSERT_FALSE(br.promisc());
  SetPromisc(*host_, br.ifindex, true);
  EXPECT_TRUE(GetLinkByIndex(*host_, br.ifindex)->promisc());
  EXPECT_NE(Sh("ip -n " + host_ns_ + " link show dev cnbtbr0").find("PROMISC"), std::string::npos);
  // Changing only IFF_UP must leave IFF_PROMISC alone (ifi_change masks the flags).
  SetLinkUp(*host_, br.ifindex, false);
  auto now = GetLinkByIndex(*host_, br.ifindex);
  EXPECT_FALSE(now->up());
  EXPECT_TRUE(now->promisc());
  SetLinkUp(*host_, br.ifindex, true);
  EXPECT_TRUE(GetLinkByIndex(*host_, br.ifindex)->promisc());
  SetPromisc(*host_, br.ifindex, false);
  now = GetLinkByIndex(*host_, br.ifindex);
  EXPECT_FALSE(now->promisc());
  EXPECT_TRUE(now->up());
  EXPECT_EQ(Sh("ip -n " + host_ns_ + " link show dev cnbtbr0").find("PROMISC"), std::string::npos);
}

TEST_F(LinkTest, SetMacAndMtu) {
  MakeVeth();
  int vh = GetLink(*host_, "vh0")->ifindex;
  SetMac(*host_, vh, "0E:00:00:00:00:42");
  SetMtu(*host_, vh, 1280);
  auto link = GetLinkByIndex(*host_, vh);
  EXPECT_EQ(link->mac, "0e:00:00:00:00:42");
  EXPECT_EQ(link->mtu, 1280);
  EXPECT_EQ(SysNet(host_ns_, "vh0", "address"), "0e:00:00:00:00:42");
  EXPECT_EQ(SysNet(host_ns_, "vh0", "mtu"), "1280");
  EXPECT_THROW(SetMac(*host_, vh, "not-a-mac"), Error);
}

TEST_F(LinkTest, DeleteLinkRemovesBothEnds) {
  MakeVeth();
  int vh = GetLink(*host_, "vh0")->ifindex;
  ASSERT_TRUE(LinkExists(pod_ns_, "eth0"));
  DeleteLink(*host_, vh);
  EXPECT_FALSE(GetLink(*host_, "vh0").has_value());
  EXPECT_FALSE(GetLink(*pod_, "eth0").has_value());
  EXPECT_FALSE(LinkExists(host_ns_, "vh0"));
  EXPECT_FALSE(LinkExists(pod_ns_, "eth0"));
  try {
    DeleteLink(*host_, vh);
    FAIL() << "deleted a missing link";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsNotFound()) << e.msg() << " errno " << e.sys_errno();
  }
}

TEST_F(LinkTest, ChangesOnMissingLinkAreNotFound) {
  try {
    SetLinkUp(*host_, 4242);
    FAIL() << "changed a missing link";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsNotFound()) << e.msg() << " errno " << e.sys_errno();
  }
}

}  // namespace
}  // namespace cnb::nl
