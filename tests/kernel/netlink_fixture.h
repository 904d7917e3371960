// Fixture for the netlink kernel tests: throwaway namespaces "cnbt-nl-<pid>-<n>" that are
// deleted in TearDown whatever happened, plus shell helpers that read kernel state back with
// iproute2 and `ip netns exec` (which remounts /sys for the namespace, unlike setns()).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

namespace cnb::nltest {

// Runs a shell command, returns its stdout with trailing newlines trimmed; *status gets the
// exit status.
inline std::string Sh(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) {
    if (status) *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

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
    for (const auto& ns : namespaces_) Sh("ip netns del " + ns);
    namespaces_.clear();
    // The code under test must always bring the thread back where it started.
    EXPECT_EQ(ThreadNetnsInode(), start_ns_inode_) << "test thread left in another netns";
  }

  // A fresh namespace with lo; returns its name.
  std::string NewNs() {
    static std::atomic<int> counter{0};
    std::string name = "cnbt-nl-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    int status = 0;
    Sh("ip netns add " + name, &status);
    // Registered before checking, so a half-made namespace is still removed.
    namespaces_.push_back(name);
    if (status != 0) ADD_FAILURE() << "ip netns add " << name << " failed";
    return name;
  }

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
    Sh("ip -n " + ns + " link show dev " + ifname, &status);
    return status == 0;
  }
  static void MustSh(const std::string& cmd) {
    int status = 0;
    Sh(cmd, &status);
    ASSERT_EQ(status, 0) << cmd;
  }

 private:
  std::vector<std::string> namespaces_;
  ino_t start_ns_inode_ = 0;
};

}  // namespace cnb::nltest
