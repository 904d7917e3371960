// SPDX-License-Identifier: Apache-2.0
#include "netlink/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "netlink/internal.h"

namespace cnb::nl {
namespace {

constexpr unsigned long kNsfsMagic = 0x6e736673;
constexpr unsigned long kProcfsMagic = 0x9fa0;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

Netns Netns::Open(const std::string& path) {
  // Same order and wording as the Go ns package: statfs first, so a missing path is reported
  // as such and a path on the wrong filesystem is refused before it is opened.
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) {
    int err = errno;
    throw ErrnoError("failed to Statfs " + Quoted(path), err);
  }
  auto magic = static_cast<unsigned long>(fs.f_type);
  if (magic != kNsfsMagic && magic != kProcfsMagic) {
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%lx", magic);
    throw Error(ErrorCode::kInternal, "unknown FS magic on " + Quoted(path) + ": " + hex, {}, EINVAL);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    throw ErrnoError("failed to open " + Quoted(path), err);
  }
  return Netns(UniqueFd(fd), path);
}

Netns Netns::Current() {
  // thread-self, not self: setns() moves only the calling thread.
  return Open("/proc/thread-self/ns/net");
}

bool Netns::SameAs(const Netns& other) const {
  struct stat a {
  }, b{};
  if (::fstat(fd(), &a) != 0 || ::fstat(other.fd(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

NetnsGuard::NetnsGuard(const Netns& target) : saved_(Netns::Current()) {
  if (::setns(target.fd(), CLONE_NEWNET) != 0) {
    int err = errno;
    throw ErrnoError("failed to enter netns " + Quoted(target.path()), err);
  }
}

NetnsGuard::~NetnsGuard() {
  if (::setns(saved_.fd(), CLONE_NEWNET) != 0) {
    // Going on in the wrong namespace would configure the wrong host; stop hard instead.
    std::fprintf(stderr, "fatal: failed to return to netns %s: %s\n", saved_.path().c_str(), std::strerror(errno));
    std::abort();
  }
}

}  // namespace cnb::nl
