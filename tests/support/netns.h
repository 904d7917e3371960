// SPDX-License-Identifier: Apache-2.0
// The one throwaway network namespace of the C++ tests (unit, kernel and integration alike),
// named "cnbt-<pid>-<counter>" so that parallel test processes never collide and leftovers can
// be traced to the process that made them (and swept when it is gone).
#pragma once

#include <string>
#include <vector>

namespace cnb::test {

class ScopedNetns {
 public:
  // Creates the namespace with `ip netns add`; throws std::runtime_error on failure.
  ScopedNetns();
  // Deletes it (and with it every link inside, including the far ends of veth pairs).
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  const std::string& name() const { return name_; }
  // The path a plugin gets as CNI_NETNS.
  std::string path() const { return "/var/run/netns/" + name_; }
  // Deletes the namespace now (idempotent); used to test DEL after the netns is gone.
  void Remove();
  // Runs `ip netns exec <name> argv...` (so /sys and /proc/sys are the namespace's) and returns
  // its stdout; throws std::runtime_error with its stderr unless it exits 0.
  std::string Exec(std::vector<std::string> argv, const std::string& stdin_data = {}) const;

 private:
  std::string name_;
  bool alive_ = false;
};

// Deletes "cnbt-<pid>-<n>" namespaces whose creating process no longer exists (left by a test
// process that was killed before its destructors ran). Never touches live processes' ones.
// Every test namespace is a ScopedNetns, so this covers them all.
void SweepStaleNamespaces();

// True when running as root (the network tests require it and fail, not skip, without it).
bool IsRoot();

}  // namespace cnb::test
