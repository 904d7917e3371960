#include "netlink/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/read_all.h"
#include "common/unique_fd.h"
#include "netlink/internal.h"

namespace cnb::nl {
namespace {

std::string PathOf(const std::string& key) {
  // Keys come from config (interface names); never let one climb out of /proc/sys.
  if (key.empty() || key.front() == '/' || key.find("..") != std::string::npos) {
    throw InternalError("invalid sysctl key \"" + key + "\"", EINVAL);
  }
  return "/proc/sys/" + key;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

}  // namespace

namespace {

[[noreturn]] void ThrowWriteError(const std::string& key, const std::string& value, int err) {
  throw Error(ErrorCode::kInternal, "failed to write sysctl " + key + "=" + value + ": " + internal::ErrnoText(err),
              {}, err);
}

void WriteValue(int fd, const std::string& key, const std::string& value) {
  ssize_t n = ::pwrite(fd, value.data(), value.size(), 0);
  if (n < 0 || static_cast<size_t>(n) != value.size()) ThrowWriteError(key, value, n < 0 ? errno : EIO);
}

}  // namespace

void WriteSysctl(const std::string& key, const std::string& value) {
  std::string path = PathOf(key);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) ThrowWriteError(key, value, errno);
  WriteValue(fd.get(), key, value);
}

std::optional<std::string> ReadSysctl(const std::string& key) {
  std::string path = PathOf(key);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) return std::nullopt;
    throw Error(ErrorCode::kInternal, "failed to read sysctl " + key + ": " + internal::ErrnoText(err),
                {}, err);
  }
  std::string out;
  if (int err = ReadAll(fd.get(), &out); err != 0) {
    throw Error(ErrorCode::kInternal, "failed to read sysctl " + key + ": " + internal::ErrnoText(err), {}, err);
  }
  return Trim(std::move(out));
}

void EnsureSysctl(const std::string& key, const std::string& value) {
  // One open for the read and the write: each /proc/sys/net path lookup costs time in
  // proportion to the number of network namespaces on the node (one dentry per namespace for
  // the same name is compared on the way).
  std::string path = PathOf(key);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) {
    // Read-only /proc/sys (some sandboxes) or a read-only key: fine if it already holds `value`.
    auto current = ReadSysctl(key);
    if (current && *current == Trim(value)) return;
    WriteSysctl(key, value);  // reports the failure (or the missing key) properly
    return;
  }
  std::string current;
  if (int err = ReadAll(fd.get(), &current); err != 0) {
    throw Error(ErrorCode::kInternal, "failed to read sysctl " + key + ": " + internal::ErrnoText(err), {}, err);
  }
  if (Trim(current) == Trim(value)) return;
  WriteValue(fd.get(), key, value);
}

}  // namespace cnb::nl
