// SPDX-License-Identifier: Apache-2.0
#include "ipam/disk_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/error_list.h"
#include "common/file_util.h"
#include "common/log.h"
#include "common/sha512.h"

namespace cnb::ipam {
namespace {

constexpr const char* kLastIpPrefix = "last_reserved_ip.";
constexpr const char* kReserveTempPrefix = ".reserve-";
constexpr const char* kIndexTempPrefix = ".tmp-";

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

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
  // A hash: any container ID fits (the spec sets no length), and no ID can name another path.
  return IndexDir() + "/" + Sha512Hex(a.container_id + '\0' + a.ifname).substr(0, 32);
}

DiskStore::IndexEntry DiskStore::ReadIndex(const Attachment& a, std::vector<IpAddr>* ips) const {
  ips->clear();
  auto content = ReadSmallFile(IndexPath(a));
  if (!content) return IndexEntry::kMissing;
  // Written whole lines at a time and never empty (an empty list removes the entry): anything
  // else is a write a crash cut short.
  if (content->empty() || content->back() != '\n') return IndexEntry::kTorn;
  size_t start = 0;
  while (start < content->size()) {
    const size_t nl = content->find('\n', start);
    auto ip = IpAddr::Parse(std::string_view(*content).substr(start, nl - start));
    if (!ip) return IndexEntry::kTorn;
    ips->push_back(*ip);
    start = nl + 1;
  }
  return IndexEntry::kRead;
}

void DiskStore::WriteIndex(const Attachment& a, const std::vector<IpAddr>& ips) {
  if (ips.empty()) {
    if (::unlink(IndexPath(a).c_str()) != 0 && errno != ENOENT) throw ErrnoError("unlink " + IndexPath(a), errno);
    return;
  }
  if (::mkdir(IndexDir().c_str(), 0755) != 0 && errno != EEXIST) throw ErrnoError("mkdir " + IndexDir(), errno);
  std::string content;
  for (const auto& ip : ips) content += ip.ToString() + "\n";
  // In place: a torn entry is detected (ReadIndex), and an extra line is verified away.
  const std::string path = IndexPath(a);
  UpdateSmallFile(IndexDir(), path.substr(IndexDir().size() + 1), kIndexTempPrefix + std::to_string(::getpid()),
                  content);
}

std::vector<IpAddr> DiskStore::ScanFor(const Attachment& a) const {
  const std::string key = ReservationKey(a);
  const std::string legacy = TrimSpace(a.container_id);
  std::vector<IpAddr> out;
  for (const auto& [ip, content] : Scan())
    if (content == key || content == legacy) out.push_back(ip);
  return out;
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
  // Cheap check first: a taken address costs one stat, not a file.
  if (::access(path.c_str(), F_OK) == 0) return false;

  // Index before the reservation itself: a crash in between leaves an index line whose file
  // does not match, which every reader of the index verifies and ignores.
  std::vector<IpAddr> have;
  std::vector<IpAddr> indexed;
  switch (ReadIndex(a, &have)) {
    case IndexEntry::kRead:
      for (const auto& held : have)
        if (held != ip && OwnedBy(held, a)) indexed.push_back(held);
      break;
    case IndexEntry::kTorn: indexed = ScanFor(a); break;
    case IndexEntry::kMissing: break;
  }
  indexed.push_back(ip);
  WriteIndex(a, indexed);

  // Improvement over the reference (create, then write): the content is complete before the
  // name appears, so a crash never leaves an empty, unmatchable reservation behind, nor a
  // temp file.
  bool made = false;
  try {
    made = LinkNewFile(dir_, ip.ToString(), TrimSpace(a.container_id) + "\r\n" + a.ifname,
                       kReserveTempPrefix + ip.ToString() + "-" + std::to_string(::getpid()));
  } catch (const Error&) {
    indexed.pop_back();
    WriteIndex(a, indexed);
    throw;
  }
  if (!made) {
    indexed.pop_back();
    WriteIndex(a, indexed);
    return false;
  }

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
  std::vector<IpAddr> listed;
  switch (ReadIndex(a, &listed)) {
    case IndexEntry::kMissing: return {};
    case IndexEntry::kTorn: return ScanFor(a);
    case IndexEntry::kRead: break;
  }
  std::vector<IpAddr> out;
  for (const auto& ip : listed)
    if (OwnedBy(ip, a)) out.push_back(ip);
  return out;
}

void DiskStore::ReleaseIp(const Attachment& a, const IpAddr& ip) {
  if (OwnedBy(ip, a) && ::unlink(IpPath(ip).c_str()) != 0 && errno != ENOENT) {
    log::Warn("host-local: cannot remove " + IpPath(ip) + ": " + std::strerror(errno));
  }
  std::vector<IpAddr> listed;
  switch (ReadIndex(a, &listed)) {
    case IndexEntry::kMissing: return;
    case IndexEntry::kTorn: WriteIndex(a, ScanFor(a)); return;
    case IndexEntry::kRead: break;
  }
  std::vector<IpAddr> keep;
  for (const auto& held : listed)
    if (held != ip) keep.push_back(held);
  WriteIndex(a, keep);
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

size_t DiskStore::ReleaseMatching(const std::string& match, ErrorList* errors) {
  size_t released = 0;
  for (const auto& [ip, content] : Scan()) {
    if (content != match) continue;
    if (::unlink(IpPath(ip).c_str()) == 0) {
      ++released;
    } else if (errno != ENOENT) {
      errors->Add(ErrnoError("host-local: cannot release " + IpPath(ip), errno, ErrorCode::kIo));
    }
  }
  return released;
}

void DiskStore::ReleaseByAttachment(const Attachment& a) {
  ErrorList errors;
  std::vector<IpAddr> listed;
  if (ReadIndex(a, &listed) == IndexEntry::kRead) {
    size_t released = 0;
    for (const auto& ip : listed) {
      if (!OwnedBy(ip, a)) continue;
      if (::unlink(IpPath(ip).c_str()) == 0) {
        ++released;
      } else if (errno != ENOENT) {
        errors.Add(ErrnoError("host-local: cannot release " + IpPath(ip), errno, ErrorCode::kIo));
      }
    }
    if (released > 0 || !errors.empty()) {
      if (errors.empty()) WriteIndex(a, {});
      errors.ThrowIfAny();
      return;
    }
    // The entry was stale (files released or replaced by the Go binary): scan after all.
  }
  if (ReleaseMatching(ReservationKey(a), &errors) == 0 && errors.empty()) {
    ReleaseMatching(TrimSpace(a.container_id), &errors);
  }
  // What is released stays released; the entry goes once nothing is left to release.
  if (errors.empty()) WriteIndex(a, {});
  errors.ThrowIfAny();
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
  ErrorList errors;
  for (const auto& [ip, content] : Scan()) {
    if (policy.Keep(content)) continue;
    if (::unlink(IpPath(ip).c_str()) == 0) {
      ++released;
    } else if (errno != ENOENT) {
      errors.Add(ErrnoError("host-local GC: cannot release " + IpPath(ip), errno, ErrorCode::kIo));
    }
  }
  // Temp files only exist while a writer holds the lock, which GC holds now: these are stale
  // (left only on filesystems without O_TMPFILE, see LinkNewFile).
  ForEachEntry(dir_, [&](const std::string& name, unsigned char) {
    if (StartsWith(name, kReserveTempPrefix) || StartsWith(name, ".last_reserved_ip.")) {
      ::unlink((dir_ + "/" + name).c_str());
    }
  });
  std::set<std::string> valid_entries;
  for (const auto& a : valid) valid_entries.insert(IndexPath(a).substr(IndexDir().size() + 1));
  ForEachEntry(IndexDir(), [&](const std::string& name, unsigned char) {
    if (!valid_entries.count(name)) ::unlink((IndexDir() + "/" + name).c_str());
  });
  errors.ThrowIfAny();
  return released;
}

std::vector<IpAddr> DiskStore::ReservedIps(const Attachment& a) {
  if (auto from_index = GetByAttachment(a); !from_index.empty()) return from_index;
  return ScanFor(a);
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
