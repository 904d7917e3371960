// SPDX-License-Identifier: Apache-2.0
#include "plugin/host-local/host_local.h"

#include <optional>
#include <set>

#include "cni/attachments.h"
#include "cni/version.h"
#include "common/error.h"
#include "common/log.h"
#include "ipam/allocator.h"
#include "ipam/config.h"
#include "ipam/disk_store.h"
#include "ipam/resolv_conf.h"

namespace cnb::host_local {
namespace {

using ipam::Attachment;

Attachment AttachmentOf(const cni::Invocation& inv) { return Attachment{inv.container_id, inv.ifname}; }

// The network's store, opened and locked for one command.
struct LockedStore {
  explicit LockedStore(const cni::Invocation& inv)
      : config(ipam::LoadIpamConfig(inv.config, inv.args)), store(config.data_dir, inv.network_name), lock(store) {}
  ipam::IpamConfig config;
  ipam::DiskStore store;
  ipam::StoreLock lock;
};

// The address of range set `index` the caller asked for, taken out of `requested`.
std::optional<IpAddr> TakeRequested(const ipam::RangeSet& set, std::vector<IpAddr>* requested) {
  for (auto it = requested->begin(); it != requested->end(); ++it) {
    if (ipam::RangeSetContains(set, *it)) {
      IpAddr ip = *it;
      requested->erase(it);
      return ip;
    }
  }
  return std::nullopt;
}

// One address from each range set, all or none: whatever this ADD reserved is released again
// when a later set fails. Only what this ADD reserved: the reference releases every IP of the
// attachment, which also drops a reservation that predates this failed ADD.
class Reservations {
 public:
  Reservations(ipam::Store& store, Attachment who) : store_(store), who_(std::move(who)) {}
  Reservations(const Reservations&) = delete;
  Reservations& operator=(const Reservations&) = delete;
  ~Reservations() {
    if (!committed_) ReleaseAll();
  }

  cni::IpConfig Reserve(const ipam::RangeSet& set, int index, std::optional<IpAddr> want) {
    try {
      ipam::Allocator allocator(set, store_, index);
      cni::IpConfig ip = allocator.Get(who_, want);
      reserved_.push_back(ip.address.addr());
      return ip;
    } catch (const Error& e) {
      throw InternalError("failed to allocate for range " + std::to_string(index) + ": " + e.msg(), e.sys_errno());
    }
  }
  void Commit() { committed_ = true; }

 private:
  void ReleaseAll() {
    for (const auto& ip : reserved_) {
      try {
        store_.ReleaseIp(who_, ip);
      } catch (const Error& e) {
        log::Warn("host-local: releasing " + ip.ToString() + " after a failed ADD: " + e.msg());
      }
    }
  }

  ipam::Store& store_;
  Attachment who_;
  std::vector<IpAddr> reserved_;
  bool committed_ = false;
};

}  // namespace

cni::Result Add(const cni::Invocation& inv) {
  // One lock for the whole ADD (every range set), so a dual-stack ADD is atomic with respect to
  // other host-local processes (the reference locks once per set).
  LockedStore s(inv);
  cni::Result result;
  result.cni_version = inv.cni_version;
  if (!s.config.resolv_conf.empty()) result.dns = ipam::ParseResolvConf(s.config.resolv_conf);

  Reservations reservations(s.store, AttachmentOf(inv));
  std::vector<IpAddr> requested = s.config.requested_ips;
  for (size_t idx = 0; idx < s.config.ranges.size(); ++idx) {
    const ipam::RangeSet& set = s.config.ranges[idx];
    result.ips.push_back(reservations.Reserve(set, static_cast<int>(idx), TakeRequested(set, &requested)));
  }
  if (!requested.empty()) {
    std::string msg = "failed to allocate all requested IPs:";
    for (const auto& ip : requested) msg += " " + ip.ToString();
    throw InternalError(msg);
  }
  result.routes = s.config.routes;
  reservations.Commit();
  return result;
}

void Del(const cni::Invocation& inv) {
  LockedStore s(inv);
  // One pass covers every range set: they all live in the same directory.
  s.store.ReleaseByAttachment(AttachmentOf(inv));
}

void Check(const cni::Invocation& inv) {
  LockedStore s(inv);
  if (!s.store.FindByAttachment(AttachmentOf(inv))) {
    throw InternalError("host-local: Failed to find address added by container " + inv.container_id);
  }
}

// Read-only and lock-free: containerd asks every 5 s, and a snapshot of the directory answers
// "is any address left" as well as a locked one would. Creates nothing (not even the store).
void Status(const cni::Invocation& inv) {
  const ipam::IpamConfig config = ipam::LoadIpamConfig(inv.config, inv.args);
  ipam::DiskStore store = ipam::DiskStore::OpenExisting(config.data_dir, inv.network_name);
  const std::vector<IpAddr> taken = store.ListReserved();
  for (const auto& set : config.ranges) {
    // Count rather than iterate, so a /64 costs the same as a /24.
    uint64_t used = 0;
    for (const auto& ip : taken) {
      const ipam::Range* r = ipam::RangeFor(set, ip);
      if (r && ip != *r->gateway) ++used;
    }
    if (used >= ipam::RangeSetCapacity(set)) {
      throw Error(ErrorCode::kNotAvailable, "no IP addresses available in range set: " + ipam::RangeSetToString(set));
    }
  }
}

void Gc(const cni::Invocation& inv) {
  // Checked before the store is touched: an ambiguous list must not release anything.
  std::optional<std::vector<Attachment>> valid = cni::ValidAttachments(inv.config);
  if (!valid) {
    // Treating "no list" as "nothing is valid" would wipe the network.
    log::Info("host-local GC: no valid-attachments list given, nothing released");
    return;
  }
  LockedStore s(inv);
  size_t released = s.store.Gc(std::set<Attachment>(valid->begin(), valid->end()));
  if (released > 0) log::Info("host-local GC: released " + std::to_string(released) + " reservation(s)");
}

std::vector<IpAddr> ReservedIps(const cni::Invocation& inv) {
  ipam::IpamConfig config = ipam::LoadIpamConfig(inv.config, inv.args);
  ipam::DiskStore store = ipam::DiskStore::OpenExisting(config.data_dir, inv.network_name);
  if (!store.exists()) return {};
  return store.ReservedIps(AttachmentOf(inv));
}

cni::PluginFuncs Funcs() {
  return {.add = Add,
          .del = Del,
          .check = Check,
          .status = Status,
          .gc = Gc,
          .about = "CNI host-local plugin " + cni::BuildVersion()};
}

}  // namespace cnb::host_local
