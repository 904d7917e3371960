// SPDX-License-Identifier: Apache-2.0
#include "netlink/sysctl.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/file_util.h"
#include "netlink/internal.h"

namespace cnb::nl {
namespace {

// Keys come from config (interface names); never let one climb out of /proc/sys.
void CheckRelative(const std::string& key) {
  if (key.empty() || key.front() == '/' || key.find("..") != std::string::npos) {
    throw InternalError("invalid sysctl key \"" + key + "\"", EINVAL);
  }
}

// A procfs instance of our own, never attached anywhere: its dentries are ours alone, so a walk
// through its sys/net meets one dentry per namespace this process entered, not one per
// namespace on the node (see sysctl.h), and pods' lookups leave nothing behind in the shared
// /proc for the next plugin or tool to compare. Falls back to /proc where procfs cannot be
// mounted (no CAP_SYS_ADMIN over the mount, seccomp filters, kernels before 5.2).
int OpenSysRoot() {
  const int flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  UniqueFd fs(::fsopen("proc", FSOPEN_CLOEXEC));
  if (fs && ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0) {
    UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
    if (mnt) {
      // The directory fd keeps the detached mount alive; it goes away when the process exits.
      int sys = ::openat(mnt.get(), "sys", flags);
      if (sys >= 0) return sys;
    }
  }
  return ::open("/proc/sys", flags);
}

// Every /proc/sys path is opened relative to this. If neither could be opened it is -1, and
// every openat then fails with EBADF, reported with its key.
int SysRoot() {
  static const int root = OpenSysRoot();
  return root;
}

// Keys are relative to /proc/sys.
const std::string& PathOf(const std::string& key) {
  CheckRelative(key);
  return key;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

[[noreturn]] void ThrowWriteError(const std::string& key, const std::string& value, int err) {
  throw ErrnoError("failed to write sysctl " + key + "=" + value, err);
}

[[noreturn]] void ThrowReadError(const std::string& key, int err) {
  throw ErrnoError("failed to read sysctl " + key, err);
}

void WriteValue(int fd, const std::string& key, const std::string& value) {
  ssize_t n = ::pwrite(fd, value.data(), value.size(), 0);
  if (n < 0 || static_cast<size_t>(n) != value.size()) ThrowWriteError(key, value, n < 0 ? errno : EIO);
}

// The three operations, on `path` relative to `dir`; `key` names
// the sysctl in messages.
void WriteAt(int dir, const std::string& path, const std::string& key, const std::string& value) {
  UniqueFd fd(::openat(dir, path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) ThrowWriteError(key, value, errno);
  WriteValue(fd.get(), key, value);
}

std::optional<std::string> ReadAt(int dir, const std::string& path, const std::string& key) {
  UniqueFd fd(::openat(dir, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) return std::nullopt;
    ThrowReadError(key, err);
  }
  std::string out;
  if (int err = ReadAll(fd.get(), &out); err != 0) ThrowReadError(key, err);
  return Trim(std::move(out));
}

// One open for the read and the write.
void EnsureAt(int dir, const std::string& path, const std::string& key, const std::string& value) {
  UniqueFd fd(::openat(dir, path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) {
    // Read-only /proc/sys (some sandboxes) or a read-only key: fine if it already holds `value`.
    auto current = ReadAt(dir, path, key);
    if (current && *current == Trim(value)) return;
    WriteAt(dir, path, key, value);  // reports the failure (or the missing key) properly
    return;
  }
  std::string current;
  if (int err = ReadAll(fd.get(), &current); err != 0) ThrowReadError(key, err);
  if (Trim(current) == Trim(value)) return;
  WriteValue(fd.get(), key, value);
}

}  // namespace

void WriteSysctl(const std::string& key, const std::string& value) { WriteAt(SysRoot(), PathOf(key), key, value); }

std::optional<std::string> ReadSysctl(const std::string& key) { return ReadAt(SysRoot(), PathOf(key), key); }

void EnsureSysctl(const std::string& key, const std::string& value) { EnsureAt(SysRoot(), PathOf(key), key, value); }

namespace {

std::optional<UniqueFd> OpenDirectoryAt(int root, const std::string& path, const std::string& key) {
  UniqueFd fd(::openat(root, path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) return std::nullopt;
    throw ErrnoError("failed to open sysctl directory " + key, err);
  }
  return fd;
}

}  // namespace

std::optional<SysctlDir> SysctlDir::OpenDirectory(const std::string& path) {
  if (path.empty() || path.front() != '/') throw InternalError("not an absolute path: \"" + path + "\"", EINVAL);
  auto fd = OpenDirectoryAt(AT_FDCWD, path, path);
  if (!fd) return std::nullopt;
  return SysctlDir(path, std::move(*fd));
}

std::optional<SysctlDir> SysctlDir::Open(const std::string& key) {
  auto fd = OpenDirectoryAt(SysRoot(), PathOf(key), key);
  if (!fd) return std::nullopt;
  return SysctlDir(key, std::move(*fd));
}

void SysctlDir::Ensure(const std::string& name, const std::string& value) const {
  CheckRelative(name);
  EnsureAt(fd_.get(), name, key_ + "/" + name, value);
}

std::optional<std::string> SysctlDir::Read(const std::string& name) const {
  CheckRelative(name);
  return ReadAt(fd_.get(), name, key_ + "/" + name);
}

}  // namespace cnb::nl
