// Small helpers shared by the ipam_* tests (header-only so each test stays one executable).
#pragma once

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <dirent.h>

#include <nlohmann/json.hpp>

#include "cni/skel.h"

namespace cnb::ipam::testing {

// mkdtemp directory, removed recursively on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = "/tmp/cnb-ipam-test-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    ::nftw(
        path_.c_str(),
        [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void Spit(const std::string& path, const std::string& content, mode_t mode = 0600) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  ::chmod(path.c_str(), mode);
}

inline unsigned Mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// Sorted names in a directory (without . and ..); empty when it does not exist.
inline std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// An invocation as the skel would build it.
inline cni::Invocation MakeInvocation(cni::Command cmd, const nlohmann::json& config, const std::string& id = "ctr1",
                                      const std::string& ifname = "eth0", const std::string& args = "") {
  cni::Invocation inv;
  inv.command = cmd;
  inv.container_id = id;
  inv.netns = "/var/run/netns/none";
  inv.ifname = ifname;
  inv.args = args;
  inv.path = "/opt/cni/bin";
  inv.config = config;
  inv.stdin_data = config.dump();
  inv.cni_version = config.value("cniVersion", std::string("0.1.0"));
  inv.network_name = config.value("name", std::string());
  inv.env = [](const std::string&) { return std::string(); };
  return inv;
}

}  // namespace cnb::ipam::testing
