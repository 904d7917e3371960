// SPDX-License-Identifier: Apache-2.0
// A private mount namespace kept alive by a helper process, for storage faults: a tiny tmpfs or a
// read-only bind mount laid over a test's dataDir there is seen by every plugin run inside it
// and by nothing else on the machine (no mount propagates out of it). It goes away, with its
// mounts, when the helper (our own child, killed by its PID) does.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/process.h"

namespace cnb::test {

class PrivateMountNs {
 public:
  // Starts `unshare --mount --propagation private sleep` and waits until it is in its own mount
  // namespace; throws std::runtime_error when it cannot. Namespaces (/var/run/netns/...) made
  // before this are visible inside, later ones are not: make the pods first.
  PrivateMountNs();
  ~PrivateMountNs();
  PrivateMountNs(const PrivateMountNs&) = delete;
  PrivateMountNs& operator=(const PrivateMountNs&) = delete;

  // The prefix that runs a command inside: {"nsenter", "-t", <pid>, "-m"}. As a RunPlugin wrapper
  // (with node_ns "" and `ip netns exec <node>` appended) it runs a plugin in the node's netns
  // and this mount namespace.
  std::vector<std::string> Enter() const;
  // `path` as seen inside, for the test's own reads: /proc/<pid>/root<path>.
  std::string Path(const std::string& path) const;
  // `sh -c <cmd>` inside; its result.
  ProcessResult Sh(const std::string& cmd) const;
  // The same, throwing std::runtime_error (with its stderr) unless it exits 0.
  std::string ShOrThrow(const std::string& cmd) const;

 private:
  pid_t pid_ = -1;
};

}  // namespace cnb::test
