#include "support/netns.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <mutex>
#include <regex>
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

void SweepStaleNamespaces() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::error_code ec;
    const std::regex pattern("^cnbt-([0-9]+)-[0-9]+$");
    for (const auto& entry : std::filesystem::directory_iterator("/var/run/netns", ec)) {
      std::smatch m;
      std::string name = entry.path().filename().string();
      if (!std::regex_match(name, m, pattern)) continue;
      long pid = std::stol(m[1]);
      if (pid == getpid() || ProcessAlive(pid)) continue;
      RunProcess({"ip", "netns", "delete", name}, std::nullopt, {});
    }
  });
}

}  // namespace cnb::test
