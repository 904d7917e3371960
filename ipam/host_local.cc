#include "ipam/host_local.h"

#include <set>

#include "cni/version.h"
#include "common/error.h"
#include "common/log.h"
#include "ipam/allocator.h"
#include "ipam/config.h"
#include "ipam/disk_store.h"

namespace cnb::ipam {
namespace {

Attachment AttachmentOf(const cni::Invocation& inv) { return Attachment{inv.container_id, inv.ifname}; }

// GC's still-valid attachments; nullopt when the runtime sent neither key (cnitool), in which
// case nothing is released: treating "no list" as "nothing is valid" would wipe the network.
// A present null (a nil Go slice) means an empty list.
std::optional<std::set<Attachment>> ValidAttachments(const nlohmann::json& config) {
  const nlohmann::json* list = nullptr;
  for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    auto it = config.find(key);
    if (it != config.end()) {
      list = &*it;
      break;
    }
  }
  if (!list) return std::nullopt;
  std::set<Attachment> valid;
  if (list->is_null()) return valid;
  if (!list->is_array()) throw InternalError("json: cannot unmarshal cni.dev/valid-attachments: expected array");
  for (const auto& item : *list) {
    if (!item.is_object()) throw InternalError("json: cannot unmarshal cni.dev/valid-attachments[]: expected object");
    Attachment a;
    if (auto it = item.find("containerID"); it != item.end() && it->is_string()) a.container_id = it->get<std::string>();
    if (auto it = item.find("ifname"); it != item.end() && it->is_string()) a.ifname = it->get<std::string>();
    valid.insert(std::move(a));
  }
  return valid;
}

}  // namespace

cni::Result HostLocalAdd(const cni::Invocation& inv) {
  IpamConfig cfg = LoadIpamConfig(inv.config, inv.args);
  cni::Result result;
  result.cni_version = inv.cni_version;
  if (!cfg.resolv_conf.empty()) result.dns = ParseResolvConf(cfg.resolv_conf);

  DiskStore store(cfg.data_dir, inv.network_name);
  Attachment who = AttachmentOf(inv);
  // Improvement: one lock for the whole ADD (every range set), so a dual-stack ADD is atomic
  // with respect to other host-local processes.
  StoreLock lock(store);

  std::vector<IpAddr> reserved;
  // Undo only what this ADD reserved (the reference releases every IP of the attachment, which
  // also drops a reservation that predates this failed ADD).
  auto release_reserved = [&] {
    for (const auto& ip : reserved) {
      try {
        store.ReleaseIp(who, ip);
      } catch (const Error& e) {
        log::Warn("host-local: releasing " + ip.ToString() + " after a failed ADD: " + e.msg());
      }
    }
  };

  std::vector<IpAddr> requested = cfg.requested_ips;
  for (size_t idx = 0; idx < cfg.ranges.size(); ++idx) {
    const RangeSet& set = cfg.ranges[idx];
    std::optional<IpAddr> want;
    for (auto it = requested.begin(); it != requested.end(); ++it) {
      if (RangeSetContains(set, *it)) {
        want = *it;
        requested.erase(it);
        break;
      }
    }
    try {
      Allocator allocator(set, store, static_cast<int>(idx));
      cni::IpConfig ip = allocator.Get(who, want);
      reserved.push_back(ip.address.addr());
      result.ips.push_back(std::move(ip));
    } catch (const Error& e) {
      release_reserved();
      throw InternalError("failed to allocate for range " + std::to_string(idx) + ": " + e.msg(), e.sys_errno());
    } catch (...) {
      release_reserved();
      throw;
    }
  }

  if (!requested.empty()) {
    release_reserved();
    std::string msg = "failed to allocate all requested IPs:";
    for (const auto& ip : requested) msg += " " + ip.ToString();
    throw InternalError(msg);
  }
  result.routes = cfg.routes;
  return result;
}

void HostLocalDel(const cni::Invocation& inv) {
  IpamConfig cfg = LoadIpamConfig(inv.config, inv.args);
  DiskStore store(cfg.data_dir, inv.network_name);
  StoreLock lock(store);
  // One pass covers every range set: they all live in the same directory.
  store.ReleaseByAttachment(AttachmentOf(inv));
}

void HostLocalCheck(const cni::Invocation& inv) {
  IpamConfig cfg = LoadIpamConfig(inv.config, inv.args);
  DiskStore store(cfg.data_dir, inv.network_name);
  StoreLock lock(store);
  if (!store.FindByAttachment(AttachmentOf(inv))) {
    throw InternalError("host-local: Failed to find address added by container " + inv.container_id);
  }
}

void HostLocalStatus(const cni::Invocation& inv) {
  IpamConfig cfg = LoadIpamConfig(inv.config, inv.args);
  DiskStore store(cfg.data_dir, inv.network_name);
  StoreLock lock(store);
  std::vector<IpAddr> taken = store.ListReserved();
  for (const auto& set : cfg.ranges) {
    // Count rather than iterate, so a /64 costs the same as a /24.
    uint64_t used = 0;
    for (const auto& ip : taken) {
      const Range* r = RangeFor(set, ip);
      if (r && ip != *r->gateway) ++used;
    }
    if (used >= RangeSetCapacity(set)) {
      throw Error(ErrorCode::kNotAvailable, "no IP addresses available in range set: " + RangeSetToString(set));
    }
  }
}

void HostLocalGc(const cni::Invocation& inv) {
  IpamConfig cfg = LoadIpamConfig(inv.config, inv.args);
  auto valid = ValidAttachments(inv.config);
  if (!valid) {
    log::Info("host-local GC: no valid-attachments list given, nothing released");
    return;
  }
  DiskStore store(cfg.data_dir, inv.network_name);
  StoreLock lock(store);
  size_t released = store.Gc(*valid);
  if (released > 0) log::Info("host-local GC: released " + std::to_string(released) + " reservation(s)");
}

std::vector<IpAddr> HostLocalReservedIps(const cni::Invocation& inv) {
  IpamConfig cfg = LoadIpamConfig(inv.config, inv.args);
  DiskStore store = DiskStore::OpenExisting(cfg.data_dir, inv.network_name);
  if (!store.exists()) return {};
  return store.ReservedIps(AttachmentOf(inv));
}

cni::PluginFuncs HostLocalFuncs() {
  cni::PluginFuncs funcs;
  funcs.add = HostLocalAdd;
  funcs.del = HostLocalDel;
  funcs.check = HostLocalCheck;
  funcs.status = HostLocalStatus;
  funcs.gc = HostLocalGc;
  funcs.about = "CNI host-local plugin " + cni::BuildVersion();
  return funcs;
}

}  // namespace cnb::ipam
