// SPDX-License-Identifier: Apache-2.0
// Files without iostreams: whole-descriptor reads and writes, small files created or replaced
// so that readers never see them half-written, and directory listing with an owned DIR*.
#pragma once

#include <dirent.h>

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace cnb {

// Appends everything up to EOF to `out`, retrying on EINTR. Returns 0, the errno of a failed
// read, or EFBIG once more than `limit` bytes have arrived.
int ReadAll(int fd, std::string* out, size_t limit = std::numeric_limits<size_t>::max());
// Writes all of `data`, retrying on EINTR. Returns 0 or the errno of the failed write (EIO for
// a write that made no progress).
int WriteAll(int fd, std::string_view data);

// The content of a regular file of at most `limit` bytes (symlinks are not followed); nullopt
// when it is missing, unreadable or larger.
std::optional<std::string> ReadSmallFile(const std::string& path, size_t limit = 4096);
// mkdir -p with mode 0755; throws unless `path` ends up a directory.
void MkdirAll(const std::string& path);
// Creates `path` exclusively with `content` and mode 0600; a stale file of the same name (a
// crashed process with a recycled pid) is replaced. Throws on failure, leaving no file.
void WriteNewFile(const std::string& path, std::string_view content);
// Temp file `temp_name` in `dir`, then renamed to `name`: readers see the old or the new content.
void ReplaceFile(const std::string& dir, const std::string& name, const std::string& temp_name,
                 std::string_view content);
// Creates <dir>/<name> (mode 0600) holding `content`: it appears whole or not at all, and false
// means the name exists already (nothing is changed then). Written as an anonymous O_TMPFILE
// and linked into place, so a crash at any point leaves nothing behind. Filesystems without
// O_TMPFILE go through <dir>/<fallback_temp>, which only a crash can leave.
bool LinkNewFile(const std::string& dir, const std::string& name, std::string_view content,
                 const std::string& fallback_temp);
// Rewrites a small file in place, creating it (as LinkNewFile) only when missing. Replacing it
// instead would free its block on every call, and on a filesystem mounted with `discard` that
// free is a synchronous discard the caller waits for. The new content is written before the
// file is cut to its length, so a crash leaves the old content or the new one, possibly
// followed by the old one's tail: only for content whose readers tolerate that.
void UpdateSmallFile(const std::string& dir, const std::string& name, const std::string& fallback_temp,
                     std::string_view content);

// An open directory stream, closed when it goes out of scope.
class DirReader {
 public:
  // nullopt when `dir` does not exist; throws on other failures.
  static std::optional<DirReader> Open(const std::string& dir);
  DirReader(DirReader&& other) noexcept;
  DirReader& operator=(DirReader&&) = delete;
  DirReader(const DirReader&) = delete;
  ~DirReader();
  // The next entry other than "." and ".."; nullptr at the end.
  const dirent* Next();

 private:
  explicit DirReader(DIR* dir) : dir_(dir) {}
  DIR* dir_;
};

// Calls fn(name, d_type) for each entry of `dir`; nothing when `dir` does not exist.
void ForEachEntry(const std::string& dir, const std::function<void(const std::string&, unsigned char)>& fn);

}  // namespace cnb
