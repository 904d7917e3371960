#include "plugin/ipam_client.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "cni/version.h"
#include "common/error.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "ipam/host_local.h"
#include "plugin/process.h"

extern char** environ;

namespace cnb::bridge {
namespace {

bool PReadAll(int fd, void* buf, size_t len, off_t off) {
  return ::pread(fd, buf, len, off) == static_cast<ssize_t>(len);
}

std::vector<std::string> EnvWithCommand(cni::Command command) {
  std::vector<std::string> env;
  const std::string key = "CNI_COMMAND=";
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, key.c_str(), key.size()) != 0) env.emplace_back(*e);
  }
  env.push_back(key + cni::CommandName(command));
  return env;
}

}  // namespace

std::optional<std::string> ReadBuildIdent(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  Elf64_Ehdr eh;
  if (!PReadAll(fd.get(), &eh, sizeof eh, 0) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
      eh.e_shnum > 4096 || eh.e_shstrndx >= eh.e_shnum) {
    return std::nullopt;
  }
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  if (!PReadAll(fd.get(), sections.data(), sections.size() * sizeof(Elf64_Shdr),
                static_cast<off_t>(eh.e_shoff))) {
    return std::nullopt;
  }
  const Elf64_Shdr& strtab = sections[eh.e_shstrndx];
  if (strtab.sh_size > (1u << 20)) return std::nullopt;
  std::string names(strtab.sh_size, '\0');
  if (!PReadAll(fd.get(), names.data(), names.size(), static_cast<off_t>(strtab.sh_offset))) return std::nullopt;
  for (const auto& s : sections) {
    if (s.sh_name >= names.size() || std::strcmp(names.c_str() + s.sh_name, cni::kBuildIdentSection) != 0) continue;
    if (s.sh_size == 0 || s.sh_size > 4096) return std::nullopt;
    std::string ident(s.sh_size, '\0');
    if (!PReadAll(fd.get(), ident.data(), ident.size(), static_cast<off_t>(s.sh_offset))) return std::nullopt;
    ident.resize(std::strlen(ident.c_str()));
    return ident;
  }
  return std::nullopt;
}

std::string FindPlugin(const std::string& name, const std::string& cni_path) {
  size_t start = 0;
  while (start <= cni_path.size()) {
    size_t colon = cni_path.find(':', start);
    std::string dir = cni_path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    start = colon == std::string::npos ? cni_path.size() + 1 : colon + 1;
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return candidate;
  }
  return {};
}

IpamClient::IpamClient(const cni::Invocation& inv, std::string type) : inv_(inv), type_(std::move(type)) {
  if (type_.find('/') != std::string::npos) throw InternalError("invalid plugin name: " + type_);
  plugin_path_ = FindPlugin(type_, inv_.path);
  if (type_ == "host-local" && !plugin_path_.empty()) {
    auto ident = ReadBuildIdent(plugin_path_);
    in_process_ = ident && *ident == cni::BuildIdent();
  }
  log::Debug("ipam " + type_ + (in_process_ ? " in-process" : " exec " + plugin_path_));
}

cni::Invocation IpamClient::With(cni::Command command) const {
  cni::Invocation copy = inv_;
  copy.command = command;
  return copy;
}

std::string IpamClient::Exec(cni::Command command) {
  if (plugin_path_.empty()) {
    // libcni's wording, so callers see the same message.
    std::string dirs = "[";
    size_t start = 0;
    bool first = true;
    while (start <= inv_.path.size()) {
      size_t colon = inv_.path.find(':', start);
      std::string dir = inv_.path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      start = colon == std::string::npos ? inv_.path.size() + 1 : colon + 1;
      if (dir.empty()) continue;
      dirs += (first ? "" : " ") + dir;
      first = false;
    }
    throw InternalError("failed to find plugin \"" + type_ + "\" in path " + dirs + "]");
  }
  ProcessRequest req;
  req.argv = {plugin_path_};
  req.stdin_data = inv_.stdin_data;
  req.env = EnvWithCommand(command);
  req.inherit_env = false;
  ProcessResult res;
  for (int attempt = 0;; ++attempt) {
    try {
      res = RunProcess(req);
      break;
    } catch (const Error& e) {
      // A binary being replaced in place: libcni retries the same way.
      if (e.sys_errno() == ETXTBSY && attempt < 5) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      throw;
    }
  }
  if (!res.err.empty()) log::Info("ipam " + type_ + " stderr: " + res.err);
  if (res.exit_code == 0) return res.out;
  if (res.out.empty()) {
    throw InternalError("netplugin failed: \"" + res.err + "\"");
  }
  auto j = nlohmann::json::parse(res.out, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("code")) {
    throw InternalError("netplugin failed but error parsing its diagnostic message \"" + res.out + "\"");
  }
  int code = j.value("code", 999);
  std::string msg = j.value("msg", std::string());
  std::string details = j.value("details", std::string());
  throw Error(static_cast<ErrorCode>(code), msg, details);
}

cni::Result IpamClient::Add() {
  if (in_process_) return ipam::HostLocalAdd(With(cni::Command::kAdd));
  std::string out = Exec(cni::Command::kAdd);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded()) throw Error(ErrorCode::kDecode, "failed to decode IPAM result: " + out);
  return cni::ResultFromJson(j, inv_.cni_version);
}

void IpamClient::Del() {
  if (in_process_) return ipam::HostLocalDel(With(cni::Command::kDel));
  Exec(cni::Command::kDel);
}

void IpamClient::Check() {
  if (in_process_) return ipam::HostLocalCheck(With(cni::Command::kCheck));
  Exec(cni::Command::kCheck);
}

void IpamClient::Status() {
  if (in_process_) return ipam::HostLocalStatus(With(cni::Command::kStatus));
  Exec(cni::Command::kStatus);
}

void IpamClient::Gc() {
  if (in_process_) return ipam::HostLocalGc(With(cni::Command::kGc));
  Exec(cni::Command::kGc);
}

std::vector<IpAddr> IpamClient::ReservedIps() {
  if (!in_process_) return {};
  try {
    return ipam::HostLocalReservedIps(inv_);
  } catch (const Error& e) {
    log::Warn("cannot read reserved IPs: " + e.msg());
    return {};
  }
}

}  // namespace cnb::bridge
