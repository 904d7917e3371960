// SPDX-License-Identifier: Apache-2.0
// Network namespace handles and the per-thread namespace switch.
#pragma once

#include <string>

#include "common/unique_fd.h"

namespace cnb::nl {

class Netns {
 public:
  // Opens a namespace by path (e.g. /var/run/netns/x or /proc/<pid>/ns/net). The path must be on
  // nsfs or procfs (statfs magic), as the Go plugins check. A missing path throws an Error whose
  // IsNotFound() is true ("failed to Statfs ...: no such file or directory" style message).
  static Netns Open(const std::string& path);
  // The calling thread's namespace (/proc/thread-self/ns/net).
  static Netns Current();

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  // Same namespace (device and inode of the nsfs file).
  bool SameAs(const Netns& other) const;

 private:
  Netns(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

// Enters `target` for the calling thread; the destructor switches back and aborts the process if
// it cannot (carrying on in the wrong namespace would be worse). REQUIRES: single-threaded use.
class NetnsGuard {
 public:
  explicit NetnsGuard(const Netns& target);
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;
  ~NetnsGuard();

 private:
  Netns saved_;
};

}  // namespace cnb::nl
