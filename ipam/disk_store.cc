// SPDX-License-Identifier: Apache-2.0
#include "ipam/disk_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/file_util.h"
#include "common/log.h"

namespace cnb::ipam {
namespace {

constexpr const char* kLastIpPrefix = "last_reserved_ip.";
constexpr const char* kReserveTempPrefix = ".reserve-";
constexpr const char* kIndexTempPrefix = ".tmp-";

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Index entry names must be safe single path components; the skel's validation guarantees it
// for real calls, this guards direct library use.
bool IndexUsable(const Attachment& a) {
  auto ok = [](const std::string& s) {
    return !s.empty() && s != "." && s != ".." && s.find_first_of("/:\r\n") == std::string::npos;
  };
  return ok(a.container_id) && ok(a.ifname) && a.container_id[0] != '.';
}

}  // namespace

DiskStore::DiskStore(const std::string& data_dir, const std::string& network, NoCreate)
    : dir_(data_dir + "/" + network) {}

DiskStore::DiskStore(const std::string& data_dir, const std::string& network)
    : DiskStore(data_dir, network, NoCreate{}) {
  MkdirAll(dir_);
  std::string lock_path = dir_ + "/lock";
  // Same flags and mode as the Go file mutex, so either may create it.
  lock_fd_.reset(::open(lock_path.c_str(), O_CREAT | O_RDONLY | O_CLOEXEC, 0750));
  if (!lock_fd_) throw ErrnoError("open " + lock_path, errno);
}

DiskStore DiskStore::OpenExisting(const std::string& data_dir, const std::string& network) {
  return DiskStore(data_dir, network, NoCreate{});
}

bool DiskStore::exists() const {
  struct stat st;
  return ::stat(dir_.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void DiskStore::Lock() {
  if (!lock_fd_) throw InternalError("host-local store " + dir_ + " opened without its lock");
  while (::flock(lock_fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) throw ErrnoError("flock " + dir_ + "/lock", errno);
  }
}

void DiskStore::Unlock() {
  if (lock_fd_) ::flock(lock_fd_.get(), LOCK_UN);
}

std::string DiskStore::IndexPath(const Attachment& a) const {
  return IndexDir() + "/" + a.container_id + ":" + a.ifname;
}

std::optional<std::vector<IpAddr>> DiskStore::ReadIndex(const Attachment& a) const {
  if (!IndexUsable(a)) return std::nullopt;
  auto content = ReadSmallFile(IndexPath(a));
  if (!content) return std::nullopt;
  std::vector<IpAddr> ips;
  size_t start = 0;
  while (start < content->size()) {
    size_t nl = content->find('\n', start);
    if (nl == std::string::npos) nl = content->size();
    if (auto ip = IpAddr::Parse(TrimSpace(std::string_view(*content).substr(start, nl - start)))) {
      ips.push_back(*ip);
    }
    start = nl + 1;
  }
  return ips;
}

void DiskStore::WriteIndex(const Attachment& a, const std::vector<IpAddr>& ips) {
  if (!IndexUsable(a)) return;
  if (ips.empty()) {
    ::unlink(IndexPath(a).c_str());
    return;
  }
  if (::mkdir(IndexDir().c_str(), 0755) != 0 && errno != EEXIST) throw ErrnoError("mkdir " + IndexDir(), errno);
  std::string content;
  for (const auto& ip : ips) content += ip.ToString() + "\n";
  ReplaceFile(IndexDir(), a.container_id + ":" + a.ifname, kIndexTempPrefix + std::to_string(::getpid()), content);
}

std::optional<std::string> DiskStore::ReadReservation(const IpAddr& ip) const {
  auto content = ReadSmallFile(IpPath(ip));
  if (!content) return std::nullopt;
  return TrimSpace(*content);
}

bool DiskStore::OwnedBy(const IpAddr& ip, const Attachment& a) const {
  auto content = ReadReservation(ip);
  return content && *content == ReservationKey(a);
}

bool DiskStore::Reserve(const Attachment& a, const IpAddr& ip, int range_index) {
  std::string path = IpPath(ip);
  // Cheap check first: a taken address costs one stat, not a temp file.
  if (::access(path.c_str(), F_OK) == 0) return false;

  // Index before the reservation itself: a crash in between leaves an index line whose file
  // does not match, which every reader of the index verifies and ignores.
  std::vector<IpAddr> indexed;
  if (auto have = ReadIndex(a)) {
    for (const auto& held : *have)
      if (held != ip && OwnedBy(held, a)) indexed.push_back(held);
  }
  indexed.push_back(ip);
  WriteIndex(a, indexed);

  // Improvement over the reference (create, then write): the content is complete before the
  // name appears, so a crash never leaves an empty, unmatchable reservation behind.
  std::string temp = dir_ + "/" + kReserveTempPrefix + ip.ToString() + "-" + std::to_string(::getpid());
  WriteNewFile(temp, TrimSpace(a.container_id) + "\r\n" + a.ifname);
  if (::link(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    indexed.pop_back();
    WriteIndex(a, indexed);
    if (err == EEXIST) return false;
    throw ErrnoError("link " + path, err);
  }
  ::unlink(temp.c_str());

  // The marker only steers round robin: failing to write it must not fail (and so leak) a
  // reservation that is already made.
  try {
    UpdateSmallFile(
        dir_, kLastIpPrefix + std::to_string(range_index),
        std::string(".") + kLastIpPrefix + std::to_string(range_index) + ".tmp-" + std::to_string(::getpid()),
        ip.ToString());
  } catch (const Error& e) {
    log::Warn("host-local: " + e.msg());
  }
  return true;
}

std::optional<IpAddr> DiskStore::LastReservedIp(int range_index) {
  auto content = ReadSmallFile(dir_ + "/" + kLastIpPrefix + std::to_string(range_index));
  if (!content) return std::nullopt;
  return IpAddr::Parse(*content);
}

std::vector<IpAddr> DiskStore::GetByAttachment(const Attachment& a) {
  std::vector<IpAddr> out;
  if (auto listed = ReadIndex(a)) {
    for (const auto& ip : *listed)
      if (OwnedBy(ip, a)) out.push_back(ip);
  }
  return out;
}

void DiskStore::ReleaseIp(const Attachment& a, const IpAddr& ip) {
  if (OwnedBy(ip, a) && ::unlink(IpPath(ip).c_str()) != 0 && errno != ENOENT) {
    log::Warn("host-local: cannot remove " + IpPath(ip) + ": " + std::strerror(errno));
  }
  if (auto listed = ReadIndex(a)) {
    std::vector<IpAddr> keep;
    for (const auto& held : *listed)
      if (held != ip) keep.push_back(held);
    WriteIndex(a, keep);
  }
}

std::vector<std::pair<IpAddr, std::string>> DiskStore::Scan() const {
  std::vector<std::pair<IpAddr, std::string>> out;
  ForEachEntry(dir_, [&](const std::string& name, unsigned char type) {
    if (type != DT_REG && type != DT_UNKNOWN) return;
    auto ip = IpAddr::Parse(name);
    // Only canonical names are reservations; temp files (".reserve-...") never parse.
    if (!ip || ip->ToString() != name) return;
    if (auto content = ReadSmallFile(dir_ + "/" + name)) out.emplace_back(*ip, TrimSpace(*content));
  });
  return out;
}

size_t DiskStore::ReleaseMatching(const std::string& match) {
  size_t released = 0;
  for (const auto& [ip, content] : Scan()) {
    if (content != match) continue;
    if (::unlink(IpPath(ip).c_str()) == 0) {
      ++released;
    } else if (errno != ENOENT) {
      log::Warn("host-local: cannot remove " + IpPath(ip) + ": " + std::strerror(errno));
    }
  }
  return released;
}

void DiskStore::ReleaseByAttachment(const Attachment& a) {
  if (auto listed = ReadIndex(a)) {
    size_t released = 0;
    for (const auto& ip : *listed) {
      if (OwnedBy(ip, a) && ::unlink(IpPath(ip).c_str()) == 0) ++released;
    }
    WriteIndex(a, {});
    if (released > 0) return;
    // The entry was stale (files released or replaced by the Go binary): scan after all.
  }
  if (ReleaseMatching(ReservationKey(a)) == 0) ReleaseMatching(TrimSpace(a.container_id));
}

bool DiskStore::FindByAttachment(const Attachment& a) {
  std::string key = ReservationKey(a);
  std::string legacy = TrimSpace(a.container_id);
  bool legacy_found = false;
  for (const auto& [ip, content] : Scan()) {
    if (content == key) return true;
    legacy_found = legacy_found || content == legacy;
  }
  return legacy_found;
}

std::vector<IpAddr> DiskStore::ListReserved() {
  std::vector<IpAddr> out;
  ForEachEntry(dir_, [&](const std::string& name, unsigned char) {
    auto ip = IpAddr::Parse(name);
    if (ip && ip->ToString() == name) out.push_back(*ip);
  });
  return out;
}

size_t DiskStore::Gc(const std::set<Attachment>& valid) {
  GcPolicy policy(valid);
  size_t released = 0;
  for (const auto& [ip, content] : Scan()) {
    if (policy.Keep(content)) continue;
    if (::unlink(IpPath(ip).c_str()) == 0) ++released;
  }
  // Temp files only exist while a writer holds the lock, which GC holds now: these are stale.
  ForEachEntry(dir_, [&](const std::string& name, unsigned char) {
    if (StartsWith(name, kReserveTempPrefix) || StartsWith(name, ".last_reserved_ip.")) {
      ::unlink((dir_ + "/" + name).c_str());
    }
  });
  std::set<std::string> valid_entries;
  for (const auto& a : valid) valid_entries.insert(a.container_id + ":" + a.ifname);
  ForEachEntry(IndexDir(), [&](const std::string& name, unsigned char) {
    if (!valid_entries.count(name)) ::unlink((IndexDir() + "/" + name).c_str());
  });
  return released;
}

std::vector<IpAddr> DiskStore::ReservedIps(const Attachment& a) {
  if (auto from_index = GetByAttachment(a); !from_index.empty()) return from_index;
  std::string key = ReservationKey(a);
  std::string legacy = TrimSpace(a.container_id);
  std::vector<IpAddr> out;
  for (const auto& [ip, content] : Scan())
    if (content == key || content == legacy) out.push_back(ip);
  return out;
}

std::vector<DiskStore::Reservation> DiskStore::Reservations() const {
  std::vector<Reservation> out;
  for (const auto& [ip, content] : Scan()) {
    const size_t sep = content.find("\r\n");
    if (sep == std::string::npos) {
      out.push_back({ip, {content, ""}});
    } else {
      out.push_back({ip, {content.substr(0, sep), TrimSpace(content.substr(sep + 2))}});
    }
  }
  return out;
}

}  // namespace cnb::ipam
