// SPDX-License-Identifier: Apache-2.0
// Temp dirs and the file helpers tests use to arrange and read back state on disk.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace cnb::test {

// A mkdtemp directory removed (recursively) when the object goes away; IPAM state lives here.
class TempDir {
 public:
  TempDir();  // throws std::runtime_error
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);  // throws std::runtime_error when unreadable
// Creates or truncates `path` with `content` and `mode`; throws std::runtime_error on failure.
void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0600);
bool FileExists(const std::string& path);    // lstat: a dangling symlink exists
unsigned FileMode(const std::string& path);  // permission bits, 0 when missing
// Sorted names in a directory (without . and ..); empty when it does not exist.
std::vector<std::string> ListDir(const std::string& dir);

// The host-local reservation files (names that are IP addresses) in <dataDir>/<network>;
// sorted. Empty when the directory does not exist.
std::vector<std::string> IpamIpFiles(const std::string& data_dir, const std::string& network);

}  // namespace cnb::test
