// SPDX-License-Identifier: Apache-2.0
// The on-disk store, byte-compatible with the Go host-local so both can share a directory:
//   <dataDir>/<network>/<ip>                 "<containerID>\r\n<ifname>", no newline, 0600
//   <dataDir>/<network>/last_reserved_ip.<N> last address of range set N, 0600
//   <dataDir>/<network>/lock                 empty; flock(LOCK_EX) serializes all writers
// Additions the Go binary never notices (their names do not parse as IPs and their contents
// never equal "<id>\r\n<ifname>"):
//   .index/<containerID>:<ifname>           the attachment's IPs, one per line (see below)
//   .reserve-<ip>-<pid>                     a reservation being written (only under the lock)
#pragma once

#include <string>

#include "common/error_list.h"
#include "common/unique_fd.h"
#include "ipam/store.h"

namespace cnb::ipam {

class DiskStore : public Store {
 public:
  // Creates <data_dir>/<network> (0755, with parents) and opens the lock file (0750).
  DiskStore(const std::string& data_dir, const std::string& network);
  // Read-only view of an existing directory: creates nothing and cannot lock.
  static DiskStore OpenExisting(const std::string& data_dir, const std::string& network);

  void Lock() override;
  void Unlock() override;
  bool Reserve(const Attachment& a, const IpAddr& ip, int range_index) override;
  std::optional<IpAddr> LastReservedIp(int range_index) override;
  // From the index only (verified against the files), so ADD costs the same at 1 or 1000 pods.
  // Reservations the Go binary made for the same attachment are not seen by this check.
  std::vector<IpAddr> GetByAttachment(const Attachment& a) override;
  void ReleaseIp(const Attachment& a, const IpAddr& ip) override;
  // Through the index when it has an entry; otherwise (or when none of the listed files still
  // matches) the reference's full scan, which also covers Go-made and legacy files.
  void ReleaseByAttachment(const Attachment& a) override;
  bool FindByAttachment(const Attachment& a) override;
  std::vector<IpAddr> ListReserved() override;
  // Also deletes stale temp files and index entries of invalid attachments.
  size_t Gc(const std::set<Attachment>& valid) override;

  // The attachment's IPs without the lock: index if present, else a full scan (incl. legacy).
  std::vector<IpAddr> ReservedIps(const Attachment& a);
  struct Reservation {
    IpAddr ip;
    Attachment owner;  // ifname "" for a legacy file holding the container ID only
  };
  // Every reservation with its owner, from the files alone, without the lock (for `bridge
  // inspect`, which must not write). Throws when the directory exists but cannot be read.
  std::vector<Reservation> Reservations() const;
  bool exists() const;
  const std::string& dir() const { return dir_; }

 private:
  struct NoCreate {};
  DiskStore(const std::string& data_dir, const std::string& network, NoCreate);

  std::string IpPath(const IpAddr& ip) const { return dir_ + "/" + ip.ToString(); }
  std::string IndexDir() const { return dir_ + "/.index"; }
  std::string IndexPath(const Attachment& a) const;
  enum class IndexEntry { kMissing, kTorn, kRead };
  // The attachment's index entry into `ips` (kRead); kTorn for a write a crash cut short, whose
  // readers fall back to a scan.
  IndexEntry ReadIndex(const Attachment& a, std::vector<IpAddr>* ips) const;
  void WriteIndex(const Attachment& a, const std::vector<IpAddr>& ips);
  // The attachment's reservations (or legacy ones of its container ID) by reading every file.
  std::vector<IpAddr> ScanFor(const Attachment& a) const;
  // Trimmed content of a reservation file, nullopt if it cannot be read.
  std::optional<std::string> ReadReservation(const IpAddr& ip) const;
  bool OwnedBy(const IpAddr& ip, const Attachment& a) const;
  // Every top-level entry whose name parses as an IP, with its trimmed content.
  std::vector<std::pair<IpAddr, std::string>> Scan() const;
  // Releases the reservations holding `match`; failures (other than already gone) go to `errors`.
  size_t ReleaseMatching(const std::string& match, ErrorList* errors);

  std::string dir_;
  UniqueFd lock_fd_;
};

}  // namespace cnb::ipam
