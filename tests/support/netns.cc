// SPDX-License-Identifier: Apache-2.0
#include "support/netns.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "support/process.h"

namespace cnb::test {
namespace {

std::atomic<unsigned> g_counter{0};
// `ip netns add` remounts /var/run/netns on first use; serialising creation avoids that race
// when the concurrency tests build many namespaces.
std::mutex g_create_mutex;

bool ProcessAlive(long pid) { return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

}  // namespace

bool IsRoot() { return geteuid() == 0; }

ScopedNetns::ScopedNetns() {
  SweepStaleNamespaces();  // once per test process, before its first namespace
  name_ = "cnbt-" + std::to_string(getpid()) + "-" + std::to_string(g_counter++);
  std::lock_guard<std::mutex> lock(g_create_mutex);
  RunOrThrow({"ip", "netns", "add", name_});
  alive_ = true;
}

ScopedNetns::~ScopedNetns() { Remove(); }

void ScopedNetns::Remove() {
  if (!alive_) return;
  alive_ = false;
  // Destructors must not throw; a failed delete shows up in the before-stop leak check.
  RunProcess({"ip", "netns", "delete", name_}, std::nullopt, {});
}

std::string ScopedNetns::Exec(std::vector<std::string> argv, const std::string& stdin_data) const {
  argv.insert(argv.begin(), {"ip", "netns", "exec", name_});
  return RunOrThrow(argv, stdin_data);
}

void SweepStaleNamespaces() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::error_code ec;
    // Names are "cnbt-<pid>-<n>"; parsed by hand because std::regex trips a GCC 12
    // -Wmaybe-uninitialized false positive in the sanitizer build.
    auto digits = [](std::string_view s) {
      return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
    };
    for (const auto& entry : std::filesystem::directory_iterator("/var/run/netns", ec)) {
      std::string name = entry.path().filename().string();
      std::string_view rest(name);
      if (!rest.starts_with("cnbt-")) continue;
      rest.remove_prefix(5);
      size_t dash = rest.find('-');
      if (dash == std::string_view::npos || !digits(rest.substr(0, dash)) || !digits(rest.substr(dash + 1))) continue;
      long pid = std::stol(std::string(rest.substr(0, dash)));
      if (pid == getpid() || ProcessAlive(pid)) continue;
      RunProcess({"ip", "netns", "delete", name}, std::nullopt, {});
    }
  });
}

}  // namespace cnb::test
