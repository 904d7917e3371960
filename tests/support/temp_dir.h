// A mkdtemp directory removed (recursively) when the object goes away; IPAM state lives here.
#pragma once

#include <string>
#include <vector>

namespace cnb::test {

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

std::string ReadFile(const std::string& path);  // throws when unreadable
bool FileExists(const std::string& path);

// The host-local reservation files (names that are IP addresses) in <dataDir>/<network>;
// sorted. Empty when the directory does not exist.
std::vector<std::string> IpamIpFiles(const std::string& data_dir, const std::string& network);

}  // namespace cnb::test
