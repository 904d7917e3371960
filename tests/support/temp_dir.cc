// SPDX-License-Identifier: Apache-2.0
#include "support/temp_dir.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "common/file_util.h"
#include "common/unique_fd.h"

namespace cnb::test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cnbt-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error(std::string("mkdtemp: ") + strerror(errno));
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string out;
  if (!fd || ReadAll(fd.get(), &out) != 0) throw std::runtime_error("cannot read " + path);
  return out;
}

void WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd || WriteAll(fd.get(), content) != 0 || ::fchmod(fd.get(), mode) != 0) {
    throw std::runtime_error("cannot write " + path + ": " + strerror(errno));
  }
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

unsigned FileMode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  ForEachEntry(dir, [&](const std::string& name, unsigned char) { out.push_back(name); });
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> IpamIpFiles(const std::string& data_dir, const std::string& network) {
  std::vector<std::string> out;
  for (const auto& name : ListDir(data_dir + "/" + network)) {
    // Only names that parse as an address: host-local also keeps `lock`,
    // `last_reserved_ip.<N>` and (ours) a hidden index and temp files there.
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1) {
      out.push_back(name);
    }
  }
  return out;
}

}  // namespace cnb::test
