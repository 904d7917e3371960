// SPDX-License-Identifier: Apache-2.0
// Where host-local keeps its reservations. The disk store is the real one; tests use a memory
// store (tests/fakes/memory_store.h).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cni/attachments.h"
#include "common/ip.h"
#include "common/strings.h"

namespace cnb::ipam {

using cni::Attachment;

class Store {
 public:
  virtual ~Store() = default;

  // Exclusive lock shared by every host-local process of this network.
  virtual void Lock() = 0;
  virtual void Unlock() = 0;

  // Reserves `ip` for the attachment and remembers it as range set `range_index`'s last one.
  // False when the address is already taken.
  virtual bool Reserve(const Attachment& a, const IpAddr& ip, int range_index) = 0;
  virtual std::optional<IpAddr> LastReservedIp(int range_index) = 0;
  // IPs held by the attachment, for ADD's duplicate check (may be index-based, see DiskStore).
  virtual std::vector<IpAddr> GetByAttachment(const Attachment& a) = 0;
  // Releases one address if it still belongs to the attachment (used to undo a failed ADD).
  virtual void ReleaseIp(const Attachment& a, const IpAddr& ip) = 0;
  // Releases everything of the attachment; when nothing matched, legacy id-only reservations.
  virtual void ReleaseByAttachment(const Attachment& a) = 0;
  // Any reservation of the attachment or, failing that, a legacy one of its container id.
  virtual bool FindByAttachment(const Attachment& a) = 0;
  // Every reserved address (of any owner).
  virtual std::vector<IpAddr> ListReserved() = 0;
  // Releases every reservation whose owner is not in `valid`; legacy id-only reservations stay
  // when their id is the container id of some valid attachment. Returns how many were released.
  virtual size_t Gc(const std::set<Attachment>& valid) = 0;
};

// Holds the store's lock for a scope.
class StoreLock {
 public:
  explicit StoreLock(Store& store) : store_(store) { store_.Lock(); }
  ~StoreLock() { store_.Unlock(); }
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  Store& store_;
};

// The content of a reservation file: "<id>\r\n<ifname>" (the id trimmed, like the reference).
std::string ReservationKey(const Attachment& a);

// GC's rule for one reservation file content.
class GcPolicy {
 public:
  explicit GcPolicy(const std::set<Attachment>& valid);
  // Keeps "<id>\r\n<ifname>" of a valid attachment and a legacy "<id>" of a valid container id.
  // Anything else, including the empty file a crashed Go host-local leaves, is released.
  bool Keep(std::string_view content) const;

 private:
  std::set<std::string> keys_;
  std::set<std::string> ids_;
};

}  // namespace cnb::ipam
