// /proc/sys access follows the thread's namespace: writes inside one namespace stay there.
#include <cerrno>

#include "common/error.h"
#include "netlink/netns.h"
#include "netlink/sysctl.h"
#include "netlink_fixture.h"

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

TEST_F(SysctlTest, EnsureWritesOnlyDifferences) {
  std::string a = NewNs();
  NetnsGuard inside(Netns::Open(NsPath(a)));
  ASSERT_EQ(ReadSysctl("net/ipv4/ip_forward"), "0");
  EnsureSysctl("net/ipv4/ip_forward", "1");
  EXPECT_EQ(ReadSysctl("net/ipv4/ip_forward"), "1");
  EnsureSysctl("net/ipv4/ip_forward", "1");  // already so: no write, no error
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

}  // namespace
}  // namespace cnb::nl
