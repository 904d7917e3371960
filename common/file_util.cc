// SPDX-License-Identifier: Apache-2.0
#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/error.h"
#include "common/unique_fd.h"

namespace cnb {

int ReadAll(int fd, std::string* out, size_t limit) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return 0;
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > limit) return EFBIG;
  }
}

int WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

std::optional<std::string> ReadSmallFile(const std::string& path, size_t limit) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return std::nullopt;
  std::string out;
  if (ReadAll(fd.get(), &out, limit) != 0) return std::nullopt;
  return out;
}

void MkdirAll(const std::string& path) {
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    std::string partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) throw ErrnoError("mkdir " + partial, errno);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw ErrnoError("stat " + path, errno);
  if (!S_ISDIR(st.st_mode)) throw InternalError("mkdir " + path + ": not a directory", ENOTDIR);
}

void WriteNewFile(const std::string& path, std::string_view content) {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
  UniqueFd fd(::open(path.c_str(), flags, 0600));
  if (!fd && errno == EEXIST) {
    ::unlink(path.c_str());
    fd.reset(::open(path.c_str(), flags, 0600));
  }
  if (!fd) throw ErrnoError("open " + path, errno);
  if (int err = WriteAll(fd.get(), content); err != 0) {
    ::unlink(path.c_str());
    throw ErrnoError("write " + path, err);
  }
}

void ReplaceFile(const std::string& dir, const std::string& name, const std::string& temp_name,
                 std::string_view content) {
  const std::string temp = dir + "/" + temp_name;
  WriteNewFile(temp, content);
  const std::string path = dir + "/" + name;
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    throw ErrnoError("rename " + temp + " to " + path, err);
  }
}

bool LinkNewFile(const std::string& dir, const std::string& name, std::string_view content,
                 const std::string& fallback_temp) {
  const std::string path = dir + "/" + name;
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  if (fd) {
    if (int err = WriteAll(fd.get(), content); err != 0) throw ErrnoError("write " + path, err);
    // linkat(AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH; the /proc path needs nothing.
    const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) return true;
    if (errno == EEXIST) return false;
    if (errno != ENOENT) throw ErrnoError("link " + path, errno);
    // ENOENT: no /proc here; the named temp file below does without it.
  } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    throw ErrnoError("open " + dir, errno);
  }
  const std::string temp = dir + "/" + fallback_temp;
  WriteNewFile(temp, content);
  const int rc = ::link(temp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(temp.c_str());
  if (rc == 0) return true;
  if (err == EEXIST) return false;
  throw ErrnoError("link " + path, err);
}

void UpdateSmallFile(const std::string& dir, const std::string& name, const std::string& fallback_temp,
                     std::string_view content) {
  const std::string path = dir + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno != ENOENT) throw ErrnoError("open " + path, errno);
    if (LinkNewFile(dir, name, content, fallback_temp)) return;
    fd.reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));  // made meanwhile
    if (!fd) throw ErrnoError("open " + path, errno);
  }
  ssize_t n;
  do {
    n = ::pwrite(fd.get(), content.data(), content.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw ErrnoError("write " + path, errno);
  if (static_cast<size_t>(n) != content.size()) throw InternalError("short write to " + path, EIO);
  if (::ftruncate(fd.get(), static_cast<off_t>(content.size())) != 0) throw ErrnoError("truncate " + path, errno);
}

std::optional<DirReader> DirReader::Open(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return std::nullopt;
    throw ErrnoError("open " + dir, errno);
  }
  return DirReader(d);
}

DirReader::DirReader(DirReader&& other) noexcept : dir_(std::exchange(other.dir_, nullptr)) {}

DirReader::~DirReader() {
  if (dir_) ::closedir(dir_);
}

const dirent* DirReader::Next() {
  while (const dirent* e = ::readdir(dir_)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) return e;
  }
  return nullptr;
}

void ForEachEntry(const std::string& dir, const std::function<void(const std::string&, unsigned char)>& fn) {
  auto reader = DirReader::Open(dir);
  if (!reader) return;
  while (const dirent* e = reader->Next()) fn(e->d_name, e->d_type);
}

}  // namespace cnb
