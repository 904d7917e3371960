// SPDX-License-Identifier: Apache-2.0
#include "support/private_mount_ns.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "common/process.h"

namespace cnb::test {
namespace {

std::string MountNsOf(const std::string& pid) {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/" + pid + "/ns/mnt", ec).string();
}

std::string Comm(pid_t pid) {
  std::string comm;
  if (FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/comm").c_str(), "r")) {
    char buf[64] = {};
    if (std::fgets(buf, sizeof buf, f)) comm = buf;
    std::fclose(f);
  }
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

}  // namespace

PrivateMountNs::PrivateMountNs() {
  const std::string unshare = FindInPath("unshare");
  if (unshare.empty()) throw std::runtime_error("unshare (util-linux) is not on PATH");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd : {0, 1, 2}) posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
  std::vector<std::string> argv = {unshare, "--mount", "--propagation", "private", "sleep", "3600"};
  std::vector<char*> c_argv;
  for (auto& s : argv) c_argv.push_back(s.data());
  c_argv.push_back(nullptr);
  char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* env[] = {path, nullptr};
  const int rc = posix_spawn(&pid_, unshare.c_str(), &actions, nullptr, c_argv.data(), env);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn unshare: ") + std::strerror(rc));
  // unshare execs sleep in the new namespace: the same PID, in another mount namespace.
  const std::string own = MountNsOf("self");
  for (int i = 0; i < 500; ++i) {
    if (Comm(pid_) == "sleep" && MountNsOf(std::to_string(pid_)) != own) return;
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("unshare --mount exited early (status " + std::to_string(status) + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("unshare --mount did not reach its own mount namespace");
}

PrivateMountNs::~PrivateMountNs() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);  // our own child, not reaped yet
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

std::vector<std::string> PrivateMountNs::Enter() const { return {"nsenter", "-t", std::to_string(pid_), "-m"}; }

std::string PrivateMountNs::Path(const std::string& path) const {
  return "/proc/" + std::to_string(pid_) + "/root" + path;
}

ProcessResult PrivateMountNs::Sh(const std::string& cmd) const {
  std::vector<std::string> argv = Enter();
  argv.insert(argv.end(), {"/bin/sh", "-c", cmd});
  return RunProcess(argv, std::nullopt, {});
}

std::string PrivateMountNs::ShOrThrow(const std::string& cmd) const {
  ProcessResult r = Sh(cmd);
  if (r.exit_code != 0) throw std::runtime_error("in the private mount namespace: " + Describe({cmd}, r));
  return r.out;
}

}  // namespace cnb::test
