// SPDX-License-Identifier: Apache-2.0
// /proc/sys access follows the thread's namespace: writes inside one namespace stay there.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <optional>

#include "common/error.h"
#include "netlink/netconf.h"
#include "netlink/netns.h"
#include "netlink/route_socket.h"
#include "netlink/sysctl.h"
#include "netlink_fixture.h"
#include "support/temp_dir.h"

namespace cnb::nl {
namespace {

using nltest::NetlinkKernelTest;

class SysctlTest : public NetlinkKernelTest {};

TEST_F(SysctlTest, WriteInsideNamespaceStaysThere) {
  std::string a = NewNs();
  std::string b = NewNs();
  // Read-only look at the test process's own namespace, to prove it is left alone.
  auto outside_before = ReadSysctl("net/ipv4/conf/lo/arp_notify");
  ASSERT_TRUE(outside_before.has_value());
  ASSERT_EQ(InNs(a, "cat /proc/sys/net/ipv4/conf/lo/arp_notify"), "0");
  {
    NetnsGuard inside(Netns::Open(NsPath(a)));
    WriteSysctl("net/ipv4/conf/lo/arp_notify", "1");
    EXPECT_EQ(ReadSysctl("net/ipv4/conf/lo/arp_notify"), "1");
  }
  EXPECT_EQ(InNs(a, "cat /proc/sys/net/ipv4/conf/lo/arp_notify"), "1");
  EXPECT_EQ(InNs(b, "cat /proc/sys/net/ipv4/conf/lo/arp_notify"), "0");
  EXPECT_EQ(ReadSysctl("net/ipv4/conf/lo/arp_notify"), outside_before);
}

// In a temp dir a write leaves a trace (the file's mtime), which /proc/sys files do not.
TEST(SysctlDirTest, EnsureWritesOnlyDifferences) {
  test::TempDir dir;
  const std::string key = dir.path() + "/ip_forward";
  test::WriteFile(key, "1\n", 0644);
  const timespec old_times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, key.c_str(), old_times, 0), 0);
  auto mtime = [&] {
    struct stat st {};
    ::stat(key.c_str(), &st);
    return st.st_mtim.tv_sec;
  };
  auto sysdir = SysctlDir::OpenDirectory(dir.path());
  ASSERT_TRUE(sysdir.has_value());
  sysdir->Ensure("ip_forward", "1");  // already so: no write
  EXPECT_EQ(mtime(), 1000000000) << "Ensure wrote a value that was already there";
  EXPECT_EQ(test::ReadFile(key), "1\n");
  sysdir->Ensure("ip_forward", "0");
  EXPECT_NE(mtime(), 1000000000) << "Ensure did not write a different value";
  EXPECT_EQ(sysdir->Read("ip_forward"), "0");
  EXPECT_FALSE(SysctlDir::OpenDirectory(dir.path() + "/missing").has_value());
  EXPECT_THROW(SysctlDir::OpenDirectory("relative/path"), Error);
}

TEST_F(SysctlTest, EnsureChangesTheNamespacesValue) {
  std::string a = NewNs();
  NetnsGuard inside(Netns::Open(NsPath(a)));
  ASSERT_EQ(ReadSysctl("net/ipv4/ip_forward"), "0");
  EnsureSysctl("net/ipv4/ip_forward", "1");
  EXPECT_EQ(ReadSysctl("net/ipv4/ip_forward"), "1");
  EnsureSysctl("net/ipv4/ip_forward", "0");
  EXPECT_EQ(ReadSysctl("net/ipv4/ip_forward"), "0");
}

TEST_F(SysctlTest, MissingKeys) {
  EXPECT_FALSE(ReadSysctl("net/ipv4/conf/nosuchif0/arp_notify").has_value());
  std::string a = NewNs();
  NetnsGuard inside(Netns::Open(NsPath(a)));
  try {
    WriteSysctl("net/ipv4/conf/nosuchif0/arp_notify", "1");
    FAIL() << "wrote a missing key";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsNotFound()) << e.msg();
    EXPECT_NE(e.msg().find("net/ipv4/conf/nosuchif0/arp_notify"), std::string::npos) << e.msg();
  }
  EXPECT_THROW(EnsureSysctl("net/ipv4/conf/nosuchif0/arp_notify", "1"), Error);
  EXPECT_THROW(ReadSysctl("../../etc/passwd"), Error);
  EXPECT_THROW(WriteSysctl("/net/ipv4/ip_forward", "1"), Error);
}

TEST_F(SysctlTest, SysctlDirOpensKeysBelowItself) {
  std::string a = NewNs();
  {
    NetnsGuard inside(Netns::Open(NsPath(a)));
    auto lo = SysctlDir::Open("net/ipv4/conf/lo");
    ASSERT_TRUE(lo.has_value());
    EXPECT_EQ(lo->Read("arp_notify"), "0");
    lo->Ensure("arp_notify", "1");
    EXPECT_EQ(lo->Read("arp_notify"), "1");
    auto conf = SysctlDir::Open("net/ipv4/conf");
    ASSERT_TRUE(conf.has_value());
    conf->Ensure("lo/arp_ignore", "2");  // several components below the directory
    EXPECT_FALSE(SysctlDir::Open("net/ipv4/conf/nosuchif0").has_value());
    EXPECT_FALSE(lo->Read("nosuchkey").has_value());
    EXPECT_THROW(lo->Ensure("nosuchkey", "1"), Error);
    EXPECT_THROW(conf->Ensure("../../../kernel/hostname", "x"), Error);
    EXPECT_THROW(conf->Ensure("/proc/sys/kernel/hostname", "x"), Error);
  }
  EXPECT_EQ(InNs(a, "cat /proc/sys/net/ipv4/conf/lo/arp_notify"), "1");
  EXPECT_EQ(InNs(a, "cat /proc/sys/net/ipv4/conf/lo/arp_ignore"), "2");
}

TEST_F(SysctlTest, SysctlDirFollowsTheNamespaceItWasOpenedIn) {
  // Opened inside `a`, written from the test's own namespace: still `a`'s setting.
  std::string a = NewNs();
  std::optional<SysctlDir> lo;
  {
    NetnsGuard inside(Netns::Open(NsPath(a)));
    lo = SysctlDir::Open("net/ipv4/conf/lo");
  }
  ASSERT_TRUE(lo.has_value());
  lo->Ensure("arp_notify", "1");
  EXPECT_EQ(InNs(a, "cat /proc/sys/net/ipv4/conf/lo/arp_notify"), "1");
}

TEST_F(SysctlTest, ForwardingEnabledReadsWhatTheSysctlsSay) {
  std::string a = NewNs();
  RouteSocket sock = RouteSocket::OpenIn(Netns::Open(NsPath(a)));
  MustSh("ip netns exec " + a + " sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'");
  MustSh("ip netns exec " + a + " sh -c 'echo 0 > /proc/sys/net/ipv6/conf/all/forwarding'");
  EXPECT_FALSE(ForwardingEnabled(sock, AF_INET));
  EXPECT_FALSE(ForwardingEnabled(sock, AF_INET6));
  MustSh("ip netns exec " + a + " sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'");
  EXPECT_TRUE(ForwardingEnabled(sock, AF_INET));
  EXPECT_FALSE(ForwardingEnabled(sock, AF_INET6));
  MustSh("ip netns exec " + a + " sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'");
  EXPECT_TRUE(ForwardingEnabled(sock, AF_INET6));
  // The reply and its ack are both consumed: the socket still answers the next request.
  EXPECT_TRUE(ForwardingEnabled(sock, AF_INET));
}

}  // namespace
}  // namespace cnb::nl
