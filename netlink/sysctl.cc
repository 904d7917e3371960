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

void WriteSysctl(const std::string& key, const std::string& value) {
  std::string path = PathOf(key);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    throw Error(ErrorCode::kInternal,
                "failed to write sysctl " + key + "=" + value + ": " + internal::ErrnoText(err), {}, err);
  }
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0 || static_cast<size_t>(n) != value.size()) {
    int err = n < 0 ? errno : EIO;
    throw Error(ErrorCode::kInternal,
                "failed to write sysctl " + key + "=" + value + ": " + internal::ErrnoText(err), {}, err);
  }
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
  auto current = ReadSysctl(key);
  if (current && *current == Trim(value)) return;
  WriteSysctl(key, value);  // also reports a missing key properly
}

}  // namespace cnb::nl
