// SPDX-License-Identifier: Apache-2.0
// Netns handles, the namespace guard and socket placement, against throwaway namespaces.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "common/error.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/route_socket.h"
#include "netlink_fixture.h"

namespace cnb::nl {
namespace {

using nltest::NetlinkKernelTest;
using nltest::NetnsInode;
using nltest::ThreadNetnsInode;

class NetnsTest : public NetlinkKernelTest {};

TEST_F(NetnsTest, OpensNamedNamespace) {
  std::string ns = NewNs();
  Netns a = Netns::Open(NsPath(ns));
  EXPECT_GE(a.fd(), 0);
  EXPECT_EQ(a.path(), NsPath(ns));
  Netns again = Netns::Open(NsPath(ns));
  EXPECT_TRUE(a.SameAs(again));
  EXPECT_FALSE(a.SameAs(Netns::Current()));
  EXPECT_TRUE(Netns::Current().SameAs(Netns::Open("/proc/self/ns/net")));
}

TEST_F(NetnsTest, MissingPathIsNotFound) {
  std::string path = "/var/run/netns/cnbt-nl-missing-" + std::to_string(::getpid());
  try {
    Netns::Open(path);
    FAIL() << "opened a missing namespace";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsNotFound());
    EXPECT_EQ(e.sys_errno(), ENOENT);
    EXPECT_EQ(e.msg(), "failed to Statfs \"" + path + "\": no such file or directory");
  }
}

TEST_F(NetnsTest, RegularFileIsRefused) {
  char path[] = "/tmp/cnbt-nl-file-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  try {
    Netns::Open(path);
    ::unlink(path);
    FAIL() << "opened a regular file as a namespace";
  } catch (const Error& e) {
    ::unlink(path);
    EXPECT_FALSE(e.IsNotFound());
    EXPECT_EQ(e.msg().rfind(std::string("unknown FS magic on \"") + path + "\": ", 0), 0u) << e.msg();
  }
}

TEST_F(NetnsTest, GuardEntersAndRestores) {
  std::string ns = NewNs();
  ino_t before = ThreadNetnsInode();
  ino_t target = NetnsInode(NsPath(ns));
  ASSERT_NE(before, target);
  Netns handle = Netns::Open(NsPath(ns));
  {
    NetnsGuard inside(handle);
    EXPECT_EQ(ThreadNetnsInode(), target);
    EXPECT_TRUE(Netns::Current().SameAs(handle));
  }
  EXPECT_EQ(ThreadNetnsInode(), before);
}

TEST_F(NetnsTest, GuardRestoresWhenExceptionThrownInside) {
  std::string ns = NewNs();
  ino_t before = ThreadNetnsInode();
  Netns handle = Netns::Open(NsPath(ns));
  try {
    NetnsGuard inside(handle);
    ASSERT_EQ(ThreadNetnsInode(), NetnsInode(NsPath(ns)));
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(ThreadNetnsInode(), before);
}

TEST_F(NetnsTest, GuardOnNonNetworkNamespaceThrowsAndStaysPut) {
  ino_t before = ThreadNetnsInode();
  Netns uts = Netns::Open("/proc/thread-self/ns/uts");  // nsfs, but not a network namespace
  EXPECT_THROW(NetnsGuard bad(uts), Error);
  EXPECT_EQ(ThreadNetnsInode(), before);
}

TEST_F(NetnsTest, SocketStaysInNamespaceItWasOpenedIn) {
  std::string a = NewNs();
  std::string b = NewNs();
  MustSh("ip -n " + a + " link add onlyina type bridge");
  ino_t before = ThreadNetnsInode();
  RouteSocket in_a = RouteSocket::OpenIn(Netns::Open(NsPath(a)));
  RouteSocket in_b = RouteSocket::OpenIn(Netns::Open(NsPath(b)));
  EXPECT_EQ(ThreadNetnsInode(), before);
  auto found = GetLink(in_a, "onlyina");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, "bridge");
  EXPECT_FALSE(GetLink(in_b, "onlyina").has_value());
  // Moving the socket keeps it usable and bound to the same namespace.
  RouteSocket moved = std::move(in_a);
  EXPECT_TRUE(GetLink(moved, "onlyina").has_value());
}

}  // namespace
}  // namespace cnb::nl
