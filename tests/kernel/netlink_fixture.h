// SPDX-License-Identifier: Apache-2.0
// Fixture for the netlink kernel tests: throwaway namespaces (support/netns.h) deleted in
// TearDown whatever happened, plus helpers that read kernel state back with iproute2 and
// `ip netns exec` (which remounts /sys for the namespace, unlike setns()).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <memory>
#include <string>

#include "netlink/netns.h"
#include "netlink/route_socket.h"
#include "support/netns.h"
#include "support/process.h"

namespace cnb::nltest {

using test::Sh;

inline ino_t NetnsInode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}
inline ino_t ThreadNetnsInode() { return NetnsInode("/proc/thread-self/ns/net"); }

class NetlinkKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "kernel tests need root";
    start_ns_inode_ = ThreadNetnsInode();
    ASSERT_NE(start_ns_inode_, 0u);
  }

  void TearDown() override {
    namespaces_.clear();
    // The code under test must always bring the thread back where it started.
    EXPECT_EQ(ThreadNetnsInode(), start_ns_inode_) << "test thread left in another netns";
  }

  // A fresh namespace; returns its name.
  std::string NewNs() { return namespaces_.emplace_back(std::make_unique<test::ScopedNetns>())->name(); }

  static std::string NsPath(const std::string& ns) { return "/var/run/netns/" + ns; }

  // `ip netns exec <ns> <cmd>`: /sys and /proc/sys as seen from inside the namespace.
  static std::string InNs(const std::string& ns, const std::string& cmd, int* status = nullptr) {
    return Sh("ip netns exec " + ns + " " + cmd, status);
  }
  static std::string SysNet(const std::string& ns, const std::string& ifname, const std::string& file) {
    return InNs(ns, "cat /sys/class/net/" + ifname + "/" + file);
  }
  static bool LinkExists(const std::string& ns, const std::string& ifname) {
    int status = 0;
    Sh("ip -n " + ns + " link show dev " + ifname + " 2>/dev/null", &status);
    return status == 0;
  }
  // Runs `cmd` and fails the test, showing its stderr, unless it exits 0.
  static void MustSh(const std::string& cmd) {
    test::ProcessResult r = test::ShellRun(cmd);
    ASSERT_EQ(r.exit_code, 0) << test::Describe({cmd}, r);
  }

 private:
  std::deque<std::unique_ptr<test::ScopedNetns>> namespaces_;
  ino_t start_ns_inode_ = 0;
};

// A "host" and a "pod" namespace with a socket in each: the shape most netlink tests need.
class HostPodTest : public NetlinkKernelTest {
 protected:
  void SetUp() override {
    NetlinkKernelTest::SetUp();
    host_ns_ = NewNs();
    pod_ns_ = NewNs();
    host_ = std::make_unique<nl::RouteSocket>(nl::RouteSocket::OpenIn(nl::Netns::Open(NsPath(host_ns_))));
    pod_ = std::make_unique<nl::RouteSocket>(nl::RouteSocket::OpenIn(nl::Netns::Open(NsPath(pod_ns_))));
  }
  void TearDown() override {
    host_.reset();
    pod_.reset();
    NetlinkKernelTest::TearDown();
  }

  std::string host_ns_;
  std::string pod_ns_;
  std::unique_ptr<nl::RouteSocket> host_;
  std::unique_ptr<nl::RouteSocket> pod_;
};

}  // namespace cnb::nltest
